//! Peer codes: `lineup-peer:<ip:port>[,<ip:port>...]`, the QUIC addresses
//! one node is reachable at, for its user to give to another node's user
//! where the nodes do not find each other on the LAN (the Wi-Fi isolates
//! clients, or drops multicast).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

/// What a peer code starts with.
const PREFIX: &str = "lineup-peer:";

/// A code names at most this many addresses: a node dials them all at once.
pub const MAX_ADDRESSES: usize = 8;

/// The QUIC addresses of one node, at least one and at most
/// [`MAX_ADDRESSES`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerCode(Vec<SocketAddr>);

/// Why a text is not a peer code (or an address).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeerCodeError {
    /// A part of the code is not an address.
    #[error("{0:?} in the peer code is no address: expected ip:port, e.g. 10.0.0.7:2022")]
    NotAnAddress(String),
    /// The code names no address.
    #[error("the peer code names no address")]
    Empty,
    /// The code names more addresses than a node has interfaces.
    #[error("the peer code names more than {MAX_ADDRESSES} addresses")]
    TooMany,
    /// Neither an address nor a peer code.
    #[error("{0} is no address: expected host:port (e.g. 10.0.0.7:2022) or a code {PREFIX}<ip:port>,...")]
    Unknown(String),
}

impl PeerCode {
    /// The code of `addresses`, in this order.
    pub fn new(addresses: Vec<SocketAddr>) -> Result<Self, PeerCodeError> {
        match addresses.len() {
            0 => Err(PeerCodeError::Empty),
            n if n > MAX_ADDRESSES => Err(PeerCodeError::TooMany),
            _ => Ok(Self(addresses)),
        }
    }

    /// The addresses, in the order to try them.
    pub fn addresses(&self) -> &[SocketAddr] {
        &self.0
    }

    /// The code of a node whose QUIC socket is bound to `bound`: that
    /// address, or, bound to every interface (`0.0.0.0`, `::`), the
    /// addresses of this machine's interfaces at its port.
    pub fn of_socket(bound: SocketAddr) -> Self {
        if !bound.ip().is_unspecified() {
            return Self(vec![bound]);
        }
        // Without a list of interfaces, the loopback address still works here.
        let interfaces = if_addrs::get_if_addrs()
            .map(|interfaces| interfaces.iter().map(if_addrs::Interface::ip).collect())
            .unwrap_or_default();
        Self::of_interfaces(bound, interfaces)
    }

    /// The code of a node bound to the unspecified address `bound`, on a
    /// machine with these interface addresses: those the socket takes
    /// (IPv4 only for `0.0.0.0`; both for `::`, which takes IPv4 too), IPv4
    /// first, less loopback and link-local ones, which another machine
    /// cannot dial; the loopback address if that leaves none.
    fn of_interfaces(bound: SocketAddr, mut interfaces: Vec<IpAddr>) -> Self {
        interfaces.retain(|ip| {
            let reachable = match ip {
                IpAddr::V4(ip) => !ip.is_loopback() && !ip.is_link_local(),
                // fe80::/10 needs a scope id, which a code cannot carry.
                IpAddr::V6(ip) => !ip.is_loopback() && (ip.segments()[0] & 0xffc0) != 0xfe80,
            };
            reachable && (bound.is_ipv6() || ip.is_ipv4())
        });
        interfaces.sort_by_key(IpAddr::is_ipv6);
        let mut unique: Vec<IpAddr> = Vec::with_capacity(interfaces.len());
        for ip in interfaces {
            if !unique.contains(&ip) && unique.len() < MAX_ADDRESSES {
                unique.push(ip);
            }
        }
        let mut interfaces = unique;
        if interfaces.is_empty() {
            interfaces.push(match bound.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            });
        }
        Self(
            interfaces
                .into_iter()
                .map(|ip| SocketAddr::new(ip, bound.port()))
                .collect(),
        )
    }
}

/// The addresses to dial that `text` gives: one `host:port`, or a peer
/// code's.
pub fn addresses_in(text: &str) -> Result<Vec<SocketAddr>, PeerCodeError> {
    let text = text.trim();
    if text.starts_with(PREFIX) {
        return Ok(text.parse::<PeerCode>()?.0);
    }
    text.parse()
        .map(|address| vec![address])
        .map_err(|_| PeerCodeError::Unknown(text.to_owned()))
}

impl fmt::Display for PeerCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(PREFIX)?;
        for (index, address) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            write!(f, "{address}")?;
        }
        Ok(())
    }
}

impl FromStr for PeerCode {
    type Err = PeerCodeError;

    fn from_str(code: &str) -> Result<Self, PeerCodeError> {
        let code = code.trim();
        let addresses = code
            .strip_prefix(PREFIX)
            .ok_or_else(|| PeerCodeError::Unknown(code.to_owned()))?;
        if addresses.trim().is_empty() {
            return Err(PeerCodeError::Empty);
        }
        let addresses = addresses
            .split(',')
            .map(|address| {
                let address = address.trim();
                address
                    .parse()
                    .map_err(|_| PeerCodeError::NotAnAddress(address.to_owned()))
            })
            .collect::<Result<Vec<SocketAddr>, _>>()?;
        Self::new(addresses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_code_reads_back_as_its_addresses() {
        let code = PeerCode::new(vec![address("10.0.0.7:2022"), address("[2001:db8::7]:2022")]).unwrap();
        assert_eq!(code.to_string(), "lineup-peer:10.0.0.7:2022,[2001:db8::7]:2022");
        assert_eq!(code.to_string().parse(), Ok(code.clone()));
        assert_eq!(
            format!("  {code}\n").parse::<PeerCode>(),
            Ok(code.clone()),
            "pasted with blanks"
        );
        assert_eq!(addresses_in(&code.to_string()), Ok(code.addresses().to_vec()));
        assert_eq!(
            addresses_in(" 10.0.0.8:2022 "),
            Ok(vec![address("10.0.0.8:2022")]),
            "an address as it is"
        );
    }

    #[test]
    fn garbage_is_refused_with_what_is_wrong() {
        assert_eq!(
            "lineup-peer:10.0.0.7:2022,the laptop".parse::<PeerCode>(),
            Err(PeerCodeError::NotAnAddress("the laptop".into()))
        );
        assert_eq!(
            "lineup-peer:10.0.0.7".parse::<PeerCode>(),
            Err(PeerCodeError::NotAnAddress("10.0.0.7".into())),
            "no port"
        );
        assert_eq!("lineup-peer: ".parse::<PeerCode>(), Err(PeerCodeError::Empty));
        assert_eq!(
            "lineup-peer:10.0.0.7:2022,".parse::<PeerCode>(),
            Err(PeerCodeError::NotAnAddress(String::new()))
        );
        let many = ["10.0.0.7:2022"; MAX_ADDRESSES + 1].join(",");
        assert_eq!(
            format!("lineup-peer:{many}").parse::<PeerCode>(),
            Err(PeerCodeError::TooMany)
        );
        let refused = addresses_in("alice's laptop").unwrap_err();
        assert_eq!(refused, PeerCodeError::Unknown("alice's laptop".into()));
        assert!(refused.to_string().contains("host:port"), "{refused}");
        assert!(addresses_in("lineup-invite:0020ab:0020cd").is_err());
    }

    #[test]
    fn a_node_on_every_interface_gives_those_another_machine_can_dial() {
        let interfaces: Vec<IpAddr> = [
            "127.0.0.1",
            "fe80::1c2a:5ff:fe3b:1",
            "192.168.1.20",
            "169.254.3.4",
            "2001:db8::20",
            "10.8.0.2",
        ]
        .iter()
        .map(|ip| ip.parse().unwrap())
        .collect();
        let on_v4 = PeerCode::of_interfaces(address("0.0.0.0:2022"), interfaces.clone());
        assert_eq!(on_v4.to_string(), "lineup-peer:192.168.1.20:2022,10.8.0.2:2022");
        let on_v6 = PeerCode::of_interfaces(address("[::]:2022"), interfaces);
        assert_eq!(
            on_v6.to_string(),
            "lineup-peer:192.168.1.20:2022,10.8.0.2:2022,[2001:db8::20]:2022"
        );
        let alone = PeerCode::of_interfaces(address("0.0.0.0:2022"), vec!["127.0.0.1".parse().unwrap()]);
        assert_eq!(alone.to_string(), "lineup-peer:127.0.0.1:2022");
        assert_eq!(
            PeerCode::of_socket(address("10.0.0.7:4000")).to_string(),
            "lineup-peer:10.0.0.7:4000",
            "bound to one address: that one"
        );
        let many: Vec<IpAddr> = (1..=20).map(|n| IpAddr::from([10, 0, 0, n])).collect();
        assert_eq!(
            PeerCode::of_interfaces(address("0.0.0.0:2022"), many)
                .addresses()
                .len(),
            MAX_ADDRESSES
        );
    }
}
