//! What the fuzz targets check for each input. Shared with lineup-core's
//! `fuzz_regressions` test, which replays every input the fuzzers kept.

use lineup_core::{validate_operation, EncodedEntry, EncodedOperation, Schema};

/// Decoding returns an error or an entry that encodes back to exactly those
/// bytes; it never panics.
pub(crate) fn entry(data: &[u8]) {
    let encoded = EncodedEntry::from_bytes(data.to_vec());
    if let Ok(entry) = encoded.decode_unverified() {
        assert_eq!(entry.encode(), encoded, "a decoded entry re-encodes to its bytes");
        let _ = encoded.decode();
    }
}

/// Decoding returns an error or an operation; checked against a system schema
/// it gives an error or a typed operation whose encoding decodes and validates
/// to the same bytes again; it never panics.
pub(crate) fn operation(data: &[u8]) {
    let Ok(plain) = EncodedOperation::from_bytes(data.to_vec()).decode() else {
        return;
    };
    let Some(schema) = Schema::system(&plain.schema_id) else {
        return;
    };
    if let Ok(operation) = validate_operation(&plain, &schema) {
        let reencoded = operation.encode();
        let again = reencoded.decode().expect("an encoded operation decodes");
        let again = validate_operation(&again, &schema).expect("and validates");
        // Bytes, not values: NaN is not equal to itself.
        assert_eq!(again.encode(), reencoded, "encoding is stable");
    }
}
