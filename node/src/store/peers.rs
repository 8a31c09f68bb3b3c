//! The nodes this one has been connected to, so that it finds them again
//! after a restart without being told.

use std::net::SocketAddr;

use lineup_core::PublicKey;
use rusqlite::{params, Connection};

use super::{stored, StoreError};

/// At most this many peers are dialled again on start, the most recent first.
const REMEMBERED: usize = 64;

/// Notes that `public_key` was reached at `address` at `now` (seconds since 1970).
pub(crate) fn remember(
    connection: &Connection,
    public_key: &PublicKey,
    address: SocketAddr,
    now: u64,
) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO peers (public_key, address, last_seen) VALUES (?1, ?2, ?3)
             ON CONFLICT (public_key) DO UPDATE SET address = ?2, last_seen = ?3",
        )?
        .execute(params![public_key.as_bytes(), address.to_string(), now as i64])?;
    Ok(())
}

/// The peers last reached, the most recent first.
pub(crate) fn remembered(connection: &Connection) -> Result<Vec<(PublicKey, SocketAddr)>, StoreError> {
    let mut statement = connection
        .prepare_cached("SELECT public_key, address FROM peers ORDER BY last_seen DESC LIMIT ?1")?;
    let rows = statement.query_map(params![REMEMBERED as i64], |row| {
        Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, String>(1)?))
    })?;
    rows.map(|row| {
        let (public_key, address) = row?;
        let public_key = stored(<[u8; 32]>::try_from(public_key.as_slice()), "peer key")?;
        Ok((
            PublicKey::from_checked_bytes(public_key),
            stored(address.parse(), "peer address")?,
        ))
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Durability, Store};

    #[test]
    fn peers_are_remembered_once_each_latest_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("lineup.sqlite"), Durability::Normal).unwrap();
        let (alice, bob) = (
            lineup_core::PrivateKey::from_bytes(&[1; 32]).public_key(),
            lineup_core::PrivateKey::from_bytes(&[2; 32]).public_key(),
        );
        let address = |port| SocketAddr::from(([127, 0, 0, 1], port));
        remember(store.connection(), &alice, address(1), 10).unwrap();
        remember(store.connection(), &bob, address(2), 20).unwrap();
        remember(store.connection(), &alice, address(3), 30).unwrap();
        assert_eq!(
            remembered(store.connection()).unwrap(),
            vec![(alice, address(3)), (bob, address(2))]
        );
    }
}
