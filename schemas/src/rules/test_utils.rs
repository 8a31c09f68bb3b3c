//! Festival documents for the rules' tests, named so that a test reads as
//! a programme: `slot("headliner", "main stage", start, end)`.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use lineup_core::{DocumentId, DocumentViewId, Hash, OperationId, PublicKey};

use crate::model::{Booking, BookingState, Shift, ShiftSignup, Slot, SlotStatus, Stored};

/// The id of the document called `name`.
pub(super) fn id(name: &str) -> DocumentId {
    DocumentId(Hash::of(name.as_bytes()))
}

/// Someone; never used to check a signature.
pub(super) fn person(n: u8) -> PublicKey {
    PublicKey::from_checked_bytes([n; 32])
}

/// A document called `name`, as created.
pub(super) fn stored<T>(name: &str, value: T) -> Stored<T> {
    let id = id(name);
    Stored {
        id,
        view: DocumentViewId::from(OperationId(id.0)),
        value,
    }
}

/// The festival's zone.
pub(super) fn berlin_zone() -> TimeZone {
    TimeZone::get("Europe/Berlin").unwrap()
}

fn local(time: &str) -> DateTime {
    time.parse().unwrap()
}

/// The instant a Berlin clock shows `time` (`2026-07-10T22:00`); panics if
/// it shows it twice or never.
pub(super) fn berlin(time: &str) -> Timestamp {
    berlin_zone()
        .to_ambiguous_timestamp(local(time))
        .unambiguous()
        .unwrap()
}

/// The first instant a Berlin clock shows `time` in the hour it repeats
/// when the clocks go back.
pub(super) fn berlin_earlier(time: &str) -> Timestamp {
    let ambiguous = berlin_zone().to_ambiguous_timestamp(local(time));
    assert!(ambiguous.is_ambiguous(), "{time} is shown once");
    ambiguous.earlier().unwrap()
}

/// The second instant a Berlin clock shows `time` in the hour it repeats
/// when the clocks go back.
pub(super) fn berlin_later(time: &str) -> Timestamp {
    let ambiguous = berlin_zone().to_ambiguous_timestamp(local(time));
    assert!(ambiguous.is_ambiguous(), "{time} is shown once");
    ambiguous.later().unwrap()
}

/// A scheduled slot on `area`, with no artists.
pub(super) fn slot(name: &str, area: &str, start: Timestamp, end: Timestamp) -> Stored<Slot> {
    stored(
        name,
        Slot {
            festival: id("festival"),
            title: name.into(),
            description: String::new(),
            artists: Vec::new(),
            area: id(area),
            start,
            end,
            status: SlotStatus::Scheduled,
            track: String::new(),
            language: String::new(),
            guid: String::new(),
        },
    )
}

/// A shift that needs `capacity` people.
pub(super) fn shift(name: &str, capacity: u32, start: Timestamp, end: Timestamp) -> Stored<Shift> {
    stored(
        name,
        Shift {
            festival: id("festival"),
            area: id("bar"),
            role: name.into(),
            start,
            end,
            capacity,
            description: String::new(),
        },
    )
}

/// `person`'s sign-up for the shift called `shift`, made `at`.
pub(super) fn signup(name: &str, person: PublicKey, shift: &str, at: Timestamp) -> Stored<ShiftSignup> {
    stored(
        name,
        ShiftSignup {
            person,
            shift: id(shift),
            signed_up_at: at,
        },
    )
}

/// A requested booking of the resource called `resource`.
pub(super) fn booking(name: &str, resource: &str, start: Timestamp, end: Timestamp) -> Stored<Booking> {
    stored(
        name,
        Booking {
            festival: id("festival"),
            resource: id(resource),
            start,
            end,
            booked_by: PublicKey::from_checked_bytes([0; 32]),
            state: BookingState::Requested,
            note: String::new(),
        },
    )
}
