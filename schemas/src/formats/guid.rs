//! Stable ids in exchange formats: a document's own guid when it has a
//! usable one, else a UUID derived from its document id, the same on every
//! node and in every export.

use lineup_core::{DocumentId, Hash};

/// The guid a document carries in `schedule.xml`, `schedule.json` and as an
/// iCalendar UID: its own `guid` when that is a UUID, else
/// [`derived_guid`]. A `guid` that is not a UUID (a pretalx person code, a
/// frab person id) stays the key later imports match on; the formats, which
/// want UUIDs, get the derived one.
pub fn exchange_guid(id: &DocumentId, guid: &str) -> String {
    if is_uuid(guid) {
        guid.to_owned()
    } else {
        derived_guid(id)
    }
}

/// A UUID derived from a document id: the first 16 bytes of the id's digest
/// in the UUIDv8 layout (RFC 9562: version 8, variant `10`).
pub fn derived_guid(id: &DocumentId) -> String {
    uuid_v8(id.hash().digest())
}

/// A UUID derived from names, for a file's event that has no guid of its
/// own: the same names give the same UUID on every import.
pub(crate) fn named_guid(names: &[&str]) -> String {
    // Each name ends with a NUL so that ("ab", "c") and ("a", "bc") differ.
    let mut bytes = b"lineup guid\0".to_vec();
    for name in names {
        bytes.extend_from_slice(name.as_bytes());
        bytes.push(0);
    }
    uuid_v8(Hash::of(&bytes).digest())
}

fn uuid_v8(digest: &[u8; 32]) -> String {
    let mut bytes = [0; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Whether `text` is a UUID written as 8-4-4-4-12 hex digits (either case).
pub(crate) fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(index, char)| match index {
            8 | 13 | 18 | 23 => char == '-',
            _ => char.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_derived_guid_is_a_version_8_uuid_that_depends_only_on_the_id() {
        let id = DocumentId(Hash::of(b"slot"));
        let guid = derived_guid(&id);
        assert!(is_uuid(&guid), "{guid}");
        assert_eq!(&guid[14..15], "8", "version 8");
        assert!(matches!(&guid[19..20], "8" | "9" | "a" | "b"), "variant 10");
        assert_eq!(guid, derived_guid(&DocumentId(Hash::of(b"slot"))));
        assert_ne!(guid, derived_guid(&DocumentId(Hash::of(b"other slot"))));
    }

    #[test]
    fn a_document_keeps_its_own_guid_only_when_it_is_a_uuid() {
        let id = DocumentId(Hash::of(b"artist"));
        let own = "8079583e-8321-506c-95af-fd2903a5f075";
        assert_eq!(exchange_guid(&id, own), own);
        assert_eq!(exchange_guid(&id, ""), derived_guid(&id));
        assert_eq!(exchange_guid(&id, "NQTF8Y"), derived_guid(&id));
    }

    #[test]
    fn named_guids_keep_names_apart() {
        assert_ne!(named_guid(&["ab", "c"]), named_guid(&["a", "bc"]));
        assert_eq!(named_guid(&["democon", "25"]), named_guid(&["democon", "25"]));
    }
}
