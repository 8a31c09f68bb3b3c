//! Lock files: signed entries shipped inside a program (schema definitions
//! every node must agree on), one `<entry hex> <operation hex>` per line,
//! in the order they are ingested.

use crate::{EncodedEntry, EncodedOperation};

/// The entries of a lock file. A line that is not hex gives empty bytes,
/// which ingest refuses: a lock file is part of the build, and its tests
/// prove it whole.
pub fn read_lock(text: &str) -> Vec<(EncodedEntry, EncodedOperation)> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let (entry, operation) = line.split_once(' ').unwrap_or((line, ""));
            (
                EncodedEntry::from_bytes(hex::decode(entry.trim()).unwrap_or_default()),
                EncodedOperation::from_bytes(hex::decode(operation.trim()).unwrap_or_default()),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_line_is_an_entry_and_its_operation() {
        let lock = read_lock("00ff 84\n\n0a 0b\n");
        let bytes: Vec<(&[u8], &[u8])> = lock
            .iter()
            .map(|(entry, operation)| (entry.as_bytes(), operation.as_bytes()))
            .collect();
        assert_eq!(
            bytes,
            [(&[0x00, 0xff][..], &[0x84][..]), (&[0x0a][..], &[0x0b][..])]
        );
    }
}
