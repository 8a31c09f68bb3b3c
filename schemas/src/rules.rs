//! The rules the data alone does not enforce: clashes and capacity.
//!
//! Every rule reads documents as a node holds them and gives findings a UI
//! can show: which documents, and why. The same documents in any order give
//! the same findings, sorted, so that every node, whatever order entries
//! reached it in, shows the same problems and the same waiting lists: clashes
//! by when they start, then end, then by document id. Each document is
//! expected once in its slice.
//!
//! Times are instants, and a time span is half-open, from its start up to but
//! not including its end: a slot that ends at 22:00 and one that starts at
//! 22:00 do not clash, and a clock change during the festival changes nothing
//! but how times are shown. The festival's time zone matters only for that
//! ([`festival_day`]).

mod clashes;
mod days;
mod personal;
mod shifts;
mod sweep;
#[cfg(test)]
mod test_utils;

use jiff::Timestamp;

pub use clashes::{
    artist_double_bookings, booking_clashes, slot_clashes, ArtistDoubleBooking, BookingClash, SlotClash,
};
pub use days::{festival_day, DAY_CHANGE};
pub use personal::{own_clashes, Commitment, OwnClash};
pub use shifts::{rosters, OverCapacity, Roster, Standing, Volunteer};

use crate::model::{Booking, Shift, ShiftSignup, Slot, Stored};

/// When two things happen at once: from `start` up to `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Overlap {
    /// When the later of the two starts.
    pub start: Timestamp,
    /// When the earlier of the two ends.
    pub end: Timestamp,
}

/// Something for the organisers to sort out.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Finding {
    /// Two slots on one area at once.
    SlotClash(SlotClash),
    /// An artist in two slots at once.
    ArtistDoubleBooked(ArtistDoubleBooking),
    /// More people signed up for a shift than it needs.
    OverCapacity(OverCapacity),
    /// A resource booked twice at once.
    BookingClash(BookingClash),
}

/// Everything the organisers' rules find in a festival's slots, shifts,
/// sign-ups and bookings: by rule, in the order each rule gives.
pub fn findings(
    slots: &[Stored<Slot>],
    shifts: &[Stored<Shift>],
    signups: &[Stored<ShiftSignup>],
    bookings: &[Stored<Booking>],
) -> Vec<Finding> {
    let mut findings: Vec<Finding> = slot_clashes(slots).into_iter().map(Finding::SlotClash).collect();
    findings.extend(
        artist_double_bookings(slots)
            .into_iter()
            .map(Finding::ArtistDoubleBooked),
    );
    findings.extend(
        rosters(shifts, signups)
            .values()
            .filter_map(Roster::over_capacity)
            .map(Finding::OverCapacity),
    );
    findings.extend(booking_clashes(bookings).into_iter().map(Finding::BookingClash));
    findings
}

#[cfg(test)]
mod tests {
    use super::test_utils::*;
    use super::*;

    #[test]
    fn findings_list_every_rule_in_turn() {
        let mut slot_a = slot(
            "a",
            "stage",
            berlin("2026-07-10T20:00"),
            berlin("2026-07-10T21:00"),
        );
        slot_a.value.artists = vec![id("dj")];
        let slot_b = slot(
            "b",
            "stage",
            berlin("2026-07-10T20:30"),
            berlin("2026-07-10T21:30"),
        );
        let mut slot_c = slot(
            "c",
            "tent",
            berlin("2026-07-10T20:45"),
            berlin("2026-07-10T21:15"),
        );
        slot_c.value.artists = vec![id("dj")];
        let bar = shift("bar", 1, berlin("2026-07-10T18:00"), berlin("2026-07-10T22:00"));
        let signups = [
            signup("s1", person(1), "bar", berlin("2026-06-01T10:00")),
            signup("s2", person(2), "bar", berlin("2026-06-01T11:00")),
        ];
        let bookings = [
            booking(
                "van1",
                "van",
                berlin("2026-07-09T08:00"),
                berlin("2026-07-09T12:00"),
            ),
            booking(
                "van2",
                "van",
                berlin("2026-07-09T11:00"),
                berlin("2026-07-09T13:00"),
            ),
        ];

        let found = findings(&[slot_c, slot_b, slot_a], &[bar], &signups, &bookings);

        let kinds: Vec<&str> = found
            .iter()
            .map(|finding| match finding {
                Finding::SlotClash(_) => "slot clash",
                Finding::ArtistDoubleBooked(_) => "artist double-booked",
                Finding::OverCapacity(_) => "over capacity",
                Finding::BookingClash(_) => "booking clash",
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "slot clash",
                "artist double-booked",
                "over capacity",
                "booking clash"
            ]
        );
    }
}
