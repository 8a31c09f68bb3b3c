//! QUIC between nodes, each side known by its ed25519 node key.
//!
//! A node's TLS certificate carries its node key as the certificate's key,
//! and TLS 1.3 has each side sign the handshake with the key of its
//! certificate: a completed handshake proves that the peer holds the node key
//! it shows. Certificates are not chained to any authority; the node key is
//! the identity, as in p2panda. Both sides show one (mutual TLS), so either
//! knows whom it talks to; a dialler that knows whom it wants (from mDNS, or
//! a remembered peer) refuses anybody else.

use std::net::SocketAddr;
use std::sync::Arc;

use lineup_core::{PrivateKey, PublicKey};
use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};

/// Names the protocol and its version in the TLS handshake: nodes of another
/// version fail to connect instead of misreading each other.
pub const ALPN: &[u8] = b"lineup/1";

/// The name a dialler asks for: nodes are told apart by key, not by name.
const SERVER_NAME: &str = "lineup.node";

/// An ed25519 key as PKCS#8 v1 (RFC 8410) wants it: this prefix, then the
/// 32 bytes of the secret key.
const PKCS8_ED25519_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// An ed25519 public key in a certificate (RFC 8410): this prefix, then the
/// 32 bytes of the key.
const SPKI_ED25519_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// Why a connection could not be made or kept.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The node key could not be made into a certificate.
    #[error("cannot make this node's certificate: {0}")]
    Certificate(String),
    /// TLS or QUIC refused the configuration.
    #[error("cannot configure QUIC: {0}")]
    Config(String),
    /// The socket could not be bound.
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    /// The connection could not be started.
    #[error("cannot dial {0}: {1}")]
    Dial(SocketAddr, quinn::ConnectError),
    /// The handshake failed or the connection was lost, e.g. because the peer
    /// is not the node that was expected.
    #[error("connection failed: {0}")]
    Connection(#[from] quinn::ConnectionError),
    /// The peer showed no node key (cannot happen after a handshake this
    /// side verified).
    #[error("the peer showed no node key")]
    NoPeerKey,
}

/// One node's QUIC endpoint: it accepts other nodes and dials them.
#[derive(Debug)]
pub struct Transport {
    endpoint: quinn::Endpoint,
    identity: Identity,
}

/// The node key as TLS shows it.
#[derive(Debug)]
struct Identity {
    public_key: PublicKey,
    certificate: CertificateDer<'static>,
    secret: PrivatePkcs8KeyDer<'static>,
}

/// A node that connects, before its handshake.
#[derive(Debug)]
pub struct Incoming(quinn::Incoming);

impl Incoming {
    /// Completes the handshake: the peer proves its node key.
    pub async fn handshake(self) -> Result<Connection, TransportError> {
        Connection::proved(self.0.await?)
    }

    /// Turns the node away (this node is too busy).
    pub fn refuse(self) {
        self.0.refuse();
    }
}

/// A connection to a node whose key the handshake proved.
#[derive(Debug, Clone)]
pub struct Connection {
    quic: quinn::Connection,
    peer: PublicKey,
}

impl Connection {
    /// The peer's node key.
    pub fn peer(&self) -> PublicKey {
        self.peer
    }

    /// The QUIC connection, for streams.
    pub fn quic(&self) -> &quinn::Connection {
        &self.quic
    }

    fn proved(quic: quinn::Connection) -> Result<Self, TransportError> {
        let peer = quic
            .peer_identity()
            .and_then(|identity| identity.downcast::<Vec<CertificateDer<'static>>>().ok())
            .and_then(|certificates| node_key_of(certificates.first()?).ok())
            .ok_or(TransportError::NoPeerKey)?;
        Ok(Self { quic, peer })
    }
}

/// What a peer may do on a connection: open a sync session and a live
/// stream at a time (no more streams: QUIC makes it wait), and stay
/// connected while nothing changes.
fn transport_config() -> Arc<quinn::TransportConfig> {
    let mut config = quinn::TransportConfig::default();
    config.max_concurrent_bidi_streams(2u32.into());
    config.max_concurrent_uni_streams(0u32.into());
    config.keep_alive_interval(Some(std::time::Duration::from_secs(5)));
    Arc::new(config)
}

impl Transport {
    /// Listens on `address` (port 0 for any) as the node of `key`. Call
    /// within a Tokio runtime.
    pub fn bind(address: SocketAddr, key: &PrivateKey) -> Result<Self, TransportError> {
        let identity = Identity::of(key)?;
        let mut server = quinn::ServerConfig::with_crypto(Arc::new(identity.server_crypto()?));
        server.transport_config(transport_config());
        let endpoint =
            quinn::Endpoint::server(server, address).map_err(|error| TransportError::Bind(address, error))?;
        Ok(Self { endpoint, identity })
    }

    /// The address the endpoint listens on.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.endpoint.local_addr()
    }

    /// This node's key, which peers see.
    pub fn public_key(&self) -> PublicKey {
        self.identity.public_key
    }

    /// Dials the node at `address`; with `expected`, only that node is
    /// accepted at the other end.
    pub async fn connect(
        &self,
        address: SocketAddr,
        expected: Option<PublicKey>,
    ) -> Result<Connection, TransportError> {
        let mut config = quinn::ClientConfig::new(Arc::new(self.identity.client_crypto(expected)?));
        config.transport_config(transport_config());
        let connecting = self
            .endpoint
            .connect_with(config, address, SERVER_NAME)
            .map_err(|error| TransportError::Dial(address, error))?;
        Connection::proved(connecting.await?)
    }

    /// The next node that connects, before its handshake (finish it apart,
    /// so that a peer that stalls its handshake holds up nobody else);
    /// `None` once the endpoint is closed.
    pub async fn accept(&self) -> Option<Incoming> {
        self.endpoint.accept().await.map(Incoming)
    }

    /// Closes every connection and stops listening.
    pub fn close(&self) {
        self.endpoint.close(0u32.into(), b"closing");
    }
}

impl Identity {
    /// A self-signed certificate whose key is the node key.
    fn of(key: &PrivateKey) -> Result<Self, TransportError> {
        let mut pkcs8 = PKCS8_ED25519_PREFIX.to_vec();
        pkcs8.extend_from_slice(&key.to_bytes());
        let secret = PrivatePkcs8KeyDer::from(pkcs8);
        let key_pair = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&secret, &rcgen::PKCS_ED25519)
            .map_err(|error| TransportError::Certificate(error.to_string()))?;
        let certificate = rcgen::CertificateParams::new(vec![SERVER_NAME.to_owned()])
            .and_then(|parameters| parameters.self_signed(&key_pair))
            .map_err(|error| TransportError::Certificate(error.to_string()))?
            .der()
            .clone();
        Ok(Self {
            public_key: key.public_key(),
            certificate,
            secret,
        })
    }

    fn chain(&self) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        (
            vec![self.certificate.clone()],
            PrivateKeyDer::Pkcs8(self.secret.clone_key()),
        )
    }

    fn server_crypto(&self) -> Result<QuicServerConfig, TransportError> {
        let (certificates, secret) = self.chain();
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(config_error)?
            .with_client_cert_verifier(Arc::new(NodeKeyVerifier::new(None)))
            .with_single_cert(certificates, secret)
            .map_err(config_error)?;
        config.alpn_protocols = vec![ALPN.to_vec()];
        QuicServerConfig::try_from(config).map_err(config_error)
    }

    fn client_crypto(&self, expected: Option<PublicKey>) -> Result<QuicClientConfig, TransportError> {
        let (certificates, secret) = self.chain();
        let mut config = rustls::ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(config_error)?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NodeKeyVerifier::new(expected)))
            .with_client_auth_cert(certificates, secret)
            .map_err(config_error)?;
        config.alpn_protocols = vec![ALPN.to_vec()];
        QuicClientConfig::try_from(config).map_err(config_error)
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn config_error(error: impl std::fmt::Display) -> TransportError {
    TransportError::Config(error.to_string())
}

/// The node key a certificate carries; an error if it carries another kind of key.
fn node_key_of(certificate: &CertificateDer<'_>) -> Result<PublicKey, rustls::Error> {
    let bad = || rustls::Error::InvalidCertificate(CertificateError::BadEncoding);
    let parsed = webpki::EndEntityCert::try_from(certificate).map_err(|_| bad())?;
    let spki = parsed.subject_public_key_info();
    let key = spki
        .as_ref()
        .strip_prefix(&SPKI_ED25519_PREFIX[..])
        .and_then(|key| <[u8; 32]>::try_from(key).ok())
        .ok_or_else(bad)?;
    PublicKey::from_bytes(&key).map_err(|_| bad())
}

/// Accepts a peer whose certificate carries a node key (the one expected, if
/// any) and whose handshake signature that key made.
#[derive(Debug)]
struct NodeKeyVerifier {
    expected: Option<PublicKey>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl NodeKeyVerifier {
    fn new(expected: Option<PublicKey>) -> Self {
        Self {
            expected,
            algorithms: rustls::crypto::ring::default_provider().signature_verification_algorithms,
        }
    }

    fn check(&self, certificate: &CertificateDer<'_>) -> Result<(), rustls::Error> {
        let key = node_key_of(certificate)?;
        match self.expected {
            Some(expected) if expected != key => Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            )),
            _ => Ok(()),
        }
    }

    fn signed_by_certificate(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        if signature.scheme != SignatureScheme::ED25519 {
            return Err(rustls::Error::PeerIncompatible(
                rustls::PeerIncompatible::NoSignatureSchemesInCommon,
            ));
        }
        rustls::crypto::verify_tls13_signature(message, certificate, signature, &self.algorithms)
    }
}

impl ServerCertVerifier for NodeKeyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.check(end_entity).map(|()| ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _certificate: &CertificateDer<'_>,
        _signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::PeerIncompatible(
            rustls::PeerIncompatible::Tls13RequiredForQuic,
        ))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.signed_by_certificate(message, certificate, signature)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ED25519]
    }
}

impl ClientCertVerifier for NodeKeyVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.check(end_entity).map(|()| ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _certificate: &CertificateDer<'_>,
        _signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::PeerIncompatible(
            rustls::PeerIncompatible::Tls13RequiredForQuic,
        ))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.signed_by_certificate(message, certificate, signature)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ED25519]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> PrivateKey {
        PrivateKey::from_bytes(&[seed; 32])
    }

    fn local() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 0))
    }

    #[test]
    fn the_certificate_carries_the_node_key_and_nothing_else_passes() {
        let identity = Identity::of(&key(1)).unwrap();
        assert_eq!(node_key_of(&identity.certificate).unwrap(), key(1).public_key());
        let other_kind = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let other = rcgen::CertificateParams::new(vec![SERVER_NAME.to_owned()])
            .unwrap()
            .self_signed(&other_kind)
            .unwrap();
        assert!(node_key_of(other.der()).is_err());
        assert!(node_key_of(&CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00])).is_err());
    }

    #[tokio::test]
    async fn both_sides_learn_the_other_node_key_and_talk() {
        let (alice, bob) = (
            Transport::bind(local(), &key(1)).unwrap(),
            Transport::bind(local(), &key(2)).unwrap(),
        );
        let bob_address = bob.local_addr().unwrap();
        let accepting = tokio::spawn(async move {
            let connection = bob.accept().await.unwrap().handshake().await.unwrap();
            let (mut send, mut receive) = connection.quic().accept_bi().await.unwrap();
            let asked = receive.read_to_end(64).await.unwrap();
            send.write_all(&[asked, b" too".to_vec()].concat()).await.unwrap();
            send.finish().unwrap();
            // Held until the answer is read, so the connection stays open.
            let _ = connection.quic().closed().await;
            connection.peer()
        });
        let connection = alice
            .connect(bob_address, Some(key(2).public_key()))
            .await
            .unwrap();
        assert_eq!(connection.peer(), key(2).public_key());
        let (mut send, mut receive) = connection.quic().open_bi().await.unwrap();
        send.write_all(b"hello").await.unwrap();
        send.finish().unwrap();
        assert_eq!(receive.read_to_end(64).await.unwrap(), b"hello too");
        connection.quic().close(0u32.into(), b"done");
        assert_eq!(accepting.await.unwrap(), key(1).public_key());
    }

    #[tokio::test]
    async fn a_dialler_refuses_a_node_other_than_the_one_it_expects() {
        let (alice, bob) = (
            Transport::bind(local(), &key(1)).unwrap(),
            Transport::bind(local(), &key(2)).unwrap(),
        );
        let bob_address = bob.local_addr().unwrap();
        let accepting =
            tokio::spawn(async move { bob.accept().await.unwrap().handshake().await.map(|c| c.peer()) });
        let dialled = alice.connect(bob_address, Some(key(3).public_key())).await;
        assert!(
            matches!(dialled, Err(TransportError::Connection(_))),
            "{dialled:?}"
        );
        assert!(accepting.await.unwrap().is_err());
    }

    #[tokio::test]
    async fn a_dialler_without_a_node_key_is_refused() {
        let bob = Transport::bind(local(), &key(2)).unwrap();
        let bob_address = bob.local_addr().unwrap();
        let accepting =
            tokio::spawn(async move { bob.accept().await.unwrap().handshake().await.map(|c| c.peer()) });
        // A client with an ordinary (P-256) certificate, speaking our ALPN.
        let stranger = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let certificate = rcgen::CertificateParams::new(vec![SERVER_NAME.to_owned()])
            .unwrap()
            .self_signed(&stranger)
            .unwrap();
        let mut config = rustls::ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NodeKeyVerifier::new(None)))
            .with_client_auth_cert(
                vec![certificate.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(stranger.serialize_der())),
            )
            .unwrap();
        config.alpn_protocols = vec![ALPN.to_vec()];
        let endpoint = quinn::Endpoint::client(local()).unwrap();
        let client = quinn::ClientConfig::new(Arc::new(QuicClientConfig::try_from(config).unwrap()));
        let dialled = endpoint
            .connect_with(client, bob_address, SERVER_NAME)
            .unwrap()
            .await;
        // TLS 1.3 clients finish before the server has checked them: the
        // refusal shows as the connection closing.
        if let Ok(connection) = dialled {
            assert!(connection.accept_uni().await.is_err());
        }
        assert!(accepting.await.unwrap().is_err());
    }
}
