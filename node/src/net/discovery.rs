//! Finds other Lineup nodes on the LAN with mDNS (DNS-SD), so that crew
//! devices on the festival Wi-Fi sync without anyone typing an address.
//!
//! Each node announces one instance of [`SERVICE_TYPE`] at its QUIC port,
//! with its node key and wire version in the TXT record, and browses for the
//! others. What it finds is only a hint: the transport checks on connecting
//! that the node at that address holds the announced key.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use lineup_core::PublicKey;
use mdns_sd::{IfKind, ResolvedService, ServiceDaemon, ServiceEvent, ServiceInfo};
use tokio::sync::watch;

use super::wire;

/// The DNS-SD service type every Lineup node announces and browses.
pub const SERVICE_TYPE: &str = "_lineup._udp.local.";
/// TXT key of the node key, as hex.
const KEY_PROPERTY: &str = "key";
/// TXT key of the replication wire version ([`wire::VERSION`]).
const VERSION_PROPERTY: &str = "v";
/// How long stopping waits for the goodbye packets to go out.
const GOODBYE: Duration = Duration::from_secs(1);

/// The other nodes announced on the LAN now: their QUIC addresses by node key.
pub type Neighbours = HashMap<PublicKey, Vec<SocketAddr>>;

/// Why discovery could not start.
#[derive(Debug, thiserror::Error)]
#[error("mDNS: {0}")]
pub struct DiscoveryError(#[from] mdns_sd::Error);

/// Announcing this node and browsing for others, until [`Discovery::stop`].
pub struct Discovery {
    daemon: ServiceDaemon,
    /// This node's instance, to say goodbye with.
    fullname: String,
    browsing: tokio::task::JoinHandle<()>,
    neighbours: watch::Receiver<Neighbours>,
}

impl std::fmt::Debug for Discovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Discovery")
            .field("fullname", &self.fullname)
            .finish_non_exhaustive()
    }
}

impl Discovery {
    /// Announces the node `key` listening for QUIC on `quic` (an unspecified
    /// IP announces the IPv4 addresses of every interface, and follows them
    /// as they change), and starts browsing for other nodes.
    pub fn start(key: PublicKey, quic: SocketAddr) -> Result<Self, DiscoveryError> {
        let daemon = ServiceDaemon::new()?;
        // The transport listens on IPv4; loopback reaches no other device.
        daemon.disable_interface(vec![IfKind::IPv6, IfKind::LoopbackV4, IfKind::LoopbackV6])?;
        let instance = instance_name(key);
        let host = format!("{instance}.local.");
        let properties = [
            (KEY_PROPERTY, key.to_string()),
            (VERSION_PROPERTY, wire::VERSION.to_string()),
        ];
        let service = if quic.ip().is_unspecified() {
            ServiceInfo::new(SERVICE_TYPE, &instance, &host, "", quic.port(), &properties[..])?
                .enable_addr_auto()
        } else {
            ServiceInfo::new(
                SERVICE_TYPE,
                &instance,
                &host,
                quic.ip(),
                quic.port(),
                &properties[..],
            )?
        };
        let fullname = service.get_fullname().to_owned();
        daemon.register(service)?;
        let events = daemon.browse(SERVICE_TYPE)?;
        let (found, neighbours) = watch::channel(Neighbours::new());
        let browsing = tokio::spawn(browse(events, key, found));
        Ok(Self {
            daemon,
            fullname,
            browsing,
            neighbours,
        })
    }

    /// The nodes found on the LAN, kept up to date as they come and go.
    pub fn neighbours(&self) -> watch::Receiver<Neighbours> {
        self.neighbours.clone()
    }

    /// Tells the LAN this node is gone and stops browsing.
    pub async fn stop(self) {
        self.browsing.abort();
        if let Ok(goodbye) = self.daemon.unregister(&self.fullname) {
            let _ = tokio::time::timeout(GOODBYE, goodbye.recv_async()).await;
        }
        if let Ok(stopped) = self.daemon.shutdown() {
            let _ = tokio::time::timeout(GOODBYE, stopped.recv_async()).await;
        }
    }
}

/// A DNS label (at most 63 bytes) that names this node on the link: a node
/// key's hex is 64 characters, so the name carries a prefix and the TXT
/// record the whole key.
fn instance_name(key: PublicKey) -> String {
    format!("lineup-{}", &key.to_string()[..16])
}

/// Follows the browse events, keeping `found` up to date.
async fn browse(events: mdns_sd::Receiver<ServiceEvent>, own: PublicKey, found: watch::Sender<Neighbours>) {
    // Removal events name the instance, not the key.
    let mut keys_by_name: HashMap<String, PublicKey> = HashMap::new();
    while let Ok(event) = events.recv_async().await {
        match event {
            ServiceEvent::ServiceResolved(service) => {
                let Some((key, addresses)) = neighbour(&service) else {
                    tracing::debug!("ignoring {}: not a node this one can talk to", service.fullname);
                    continue;
                };
                if key == own {
                    continue;
                }
                tracing::debug!("found node {key} at {addresses:?}");
                keys_by_name.insert(service.fullname.clone(), key);
                found.send_if_modified(|neighbours| {
                    neighbours.insert(key, addresses.clone()) != Some(addresses)
                });
            }
            ServiceEvent::ServiceRemoved(_, fullname) => {
                if let Some(key) = keys_by_name.remove(&fullname) {
                    tracing::debug!("node {key} left");
                    found.send_modify(|neighbours| {
                        neighbours.remove(&key);
                    });
                }
            }
            _ => {}
        }
    }
}

/// The node key and QUIC addresses a resolved service announces, if it is
/// a node speaking this wire version at an address worth dialling.
fn neighbour(service: &ResolvedService) -> Option<(PublicKey, Vec<SocketAddr>)> {
    if service.get_property_val_str(VERSION_PROPERTY)? != wire::VERSION.to_string() {
        return None;
    }
    let key = service.get_property_val_str(KEY_PROPERTY)?.parse().ok()?;
    if service.get_port() == 0 {
        return None;
    }
    let mut addresses: Vec<SocketAddr> = service
        .get_addresses_v4()
        .into_iter()
        .filter(|ip| !(ip.is_loopback() || ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast()))
        .map(|ip| SocketAddr::new(IpAddr::V4(ip), service.get_port()))
        .collect();
    addresses.sort();
    (!addresses.is_empty()).then_some((key, addresses))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lineup_core::PrivateKey;

    fn announced(addresses: &str, port: u16, properties: &[(&str, String)]) -> ResolvedService {
        ServiceInfo::new(
            SERVICE_TYPE,
            "lineup-test",
            "lineup-test.local.",
            addresses,
            port,
            properties,
        )
        .unwrap()
        .as_resolved_service()
    }

    #[test]
    fn reads_the_key_and_addresses_a_node_announces() {
        let key = PrivateKey::generate(&mut rand::rngs::OsRng).public_key();
        let properties = [
            (KEY_PROPERTY, key.to_string()),
            (VERSION_PROPERTY, "1".to_owned()),
        ];
        let service = announced("10.0.0.7,192.168.1.20,127.0.0.1", 2022, &properties);
        assert_eq!(
            neighbour(&service),
            Some((
                key,
                vec![
                    "10.0.0.7:2022".parse().unwrap(),
                    "192.168.1.20:2022".parse().unwrap()
                ]
            ))
        );
    }

    #[test]
    fn ignores_what_it_cannot_talk_to() {
        let key = PrivateKey::generate(&mut rand::rngs::OsRng)
            .public_key()
            .to_string();
        let versioned = |version: &str| {
            [
                (KEY_PROPERTY, key.clone()),
                (VERSION_PROPERTY, version.to_owned()),
            ]
        };
        // Another wire version, no key, a key that is not one, no usable address, no port.
        assert_eq!(neighbour(&announced("10.0.0.7", 2022, &versioned("2"))), None);
        assert_eq!(
            neighbour(&announced(
                "10.0.0.7",
                2022,
                &[(VERSION_PROPERTY, "1".to_owned())]
            )),
            None
        );
        assert_eq!(
            neighbour(&announced(
                "10.0.0.7",
                2022,
                &[
                    (KEY_PROPERTY, "00".repeat(31)),
                    (VERSION_PROPERTY, "1".to_owned())
                ]
            )),
            None
        );
        assert_eq!(neighbour(&announced("127.0.0.1", 2022, &versioned("1"))), None);
        assert_eq!(neighbour(&announced("10.0.0.7", 0, &versioned("1"))), None);
        assert!(neighbour(&announced("10.0.0.7", 2022, &versioned("1"))).is_some());
    }

    #[test]
    fn instance_names_fit_a_dns_label() {
        let name = instance_name(PrivateKey::generate(&mut rand::rngs::OsRng).public_key());
        assert!(name.len() <= 63, "{name}");
    }
}
