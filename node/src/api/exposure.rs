//! Who may do what when the API is shared with the LAN.
//!
//! Bound to 127.0.0.1 the API serves this machine only. Bound to another
//! address (visitors on the festival network read the programme), requests
//! from other machines are rate-limited per address, and their `publish` only
//! takes entries of application schemas this node already has: a stranger
//! cannot flood the node or make it build schemas of their choosing. Requests
//! from this machine and requests with the owner token are not limited.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ApiState;

/// How the API is exposed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Exposure {
    /// Only this machine can reach it.
    Local,
    /// Other machines can reach it; each address may send `per_second`
    /// requests a second on average, `burst` at once.
    Lan {
        /// Sustained requests per second per address.
        per_second: f64,
        /// Requests an address may send at once.
        burst: f64,
    },
}

impl Exposure {
    /// The exposure of an API bound to `address`, with default limits.
    pub fn of(address: SocketAddr) -> Self {
        if address.ip().is_loopback() {
            Exposure::Local
        } else {
            Exposure::Lan {
                per_second: 50.0,
                burst: 200.0,
            }
        }
    }
}

/// Present in a request's data when it comes from another machine on a
/// shared API, without the owner token.
pub(crate) struct Stranger;

/// The address a request came from, when the server knows it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Peer(pub(crate) Option<SocketAddr>);

/// Token buckets per client address.
#[derive(Debug, Default)]
pub(crate) struct RateLimits(Mutex<HashMap<IpAddr, (f64, Instant)>>);

impl RateLimits {
    /// Takes one request's token for `address`; `false` if it has none left.
    fn take(&self, address: IpAddr, per_second: f64, burst: f64) -> bool {
        let mut buckets = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        // Forget addresses whose buckets have filled up again, so the map
        // stays as small as the set of active clients.
        if buckets.len() > 10_000 {
            buckets.retain(|_, (tokens, since)| *tokens + since.elapsed().as_secs_f64() * per_second < burst);
        }
        let (tokens, since) = buckets.entry(address).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*since).as_secs_f64() * per_second).min(burst);
        *since = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Whether a request comes from another machine through a shared API.
pub(crate) fn is_stranger(state: &ApiState, peer: Option<SocketAddr>) -> bool {
    matches!(state.exposure, Exposure::Lan { .. }) && peer.is_none_or(|peer| !peer.ip().is_loopback())
}

/// Middleware: notes where a request came from, and refuses requests beyond
/// their address's rate with 429.
pub(crate) async fn limit_rate(
    State(state): State<Arc<ApiState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    request.extensions_mut().insert(Peer(peer));
    let Exposure::Lan { per_second, burst } = state.exposure else {
        return next.run(request).await;
    };
    if is_stranger(&state, peer) && !state.is_owner(request.headers()) {
        let address = peer.map_or(IpAddr::from([0, 0, 0, 0]), |peer| peer.ip());
        if !state.rate_limits.take(address, per_second, burst) {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                "too many requests from this address; try again shortly",
            )
                .into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_burst_then_its_rate() {
        let limits = RateLimits::default();
        let address = IpAddr::from([10, 0, 0, 7]);
        let granted = (0..50).filter(|_| limits.take(address, 1.0, 20.0)).count();
        assert_eq!(granted, 20);
        assert!(
            limits.take(IpAddr::from([10, 0, 0, 8]), 1.0, 20.0),
            "others keep theirs"
        );
    }

    #[test]
    fn loopback_addresses_keep_the_api_local() {
        assert_eq!(Exposure::of("127.0.0.1:2020".parse().unwrap()), Exposure::Local);
        assert!(matches!(
            Exposure::of("0.0.0.0:2020".parse().unwrap()),
            Exposure::Lan { .. }
        ));
    }
}
