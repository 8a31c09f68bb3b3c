//! A person's own clashes: shifts they signed up for and slots they want to
//! see, at the same time.

use std::collections::BTreeSet;

use lineup_core::{DocumentId, PublicKey};

use super::sweep::{overlapping, Timed};
use super::Overlap;
use crate::model::{Shift, ShiftSignup, Slot, SlotStatus, Stored};

/// Something a person means to be at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Commitment {
    /// A shift they signed up for, confirmed or waiting.
    Shift(DocumentId),
    /// A slot among their favourites.
    Slot(DocumentId),
}

/// Two things a person means to be at, at once.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OwnClash {
    /// When both happen.
    pub overlap: Overlap,
    /// The one that starts first (then ends first, then shifts before slots,
    /// then the lower id).
    pub first: Commitment,
    /// The other.
    pub second: Commitment,
}

/// Every two of `person`'s commitments that overlap, in time order: the
/// shifts they signed up for (whether confirmed or waiting, since a place
/// may come free) and their `favourites` among the slots that are not
/// cancelled. Sign-ups for shifts not given, and favourites not among the
/// slots, are left out.
pub fn own_clashes(
    person: &PublicKey,
    shifts: &[Stored<Shift>],
    signups: &[Stored<ShiftSignup>],
    slots: &[Stored<Slot>],
    favourites: &BTreeSet<DocumentId>,
) -> Vec<OwnClash> {
    let signed_up: BTreeSet<DocumentId> = signups
        .iter()
        .filter(|signup| signup.person == *person)
        .map(|signup| signup.shift)
        .collect();
    let shifts = shifts
        .iter()
        .filter(|shift| signed_up.contains(&shift.id))
        .map(|shift| Timed {
            group: (),
            start: shift.start,
            end: shift.end,
            id: Commitment::Shift(shift.id),
        });
    let slots = slots
        .iter()
        .filter(|slot| favourites.contains(&slot.id) && slot.status != SlotStatus::Cancelled)
        .map(|slot| Timed {
            group: (),
            start: slot.start,
            end: slot.end,
            id: Commitment::Slot(slot.id),
        });
    overlapping(shifts.chain(slots).collect(), |pair| OwnClash {
        overlap: pair.overlap,
        first: pair.first,
        second: pair.second,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_utils::*;

    fn between(first: Commitment, second: Commitment) -> (Commitment, Commitment) {
        (first, second)
    }

    fn pairs(clashes: &[OwnClash]) -> Vec<(Commitment, Commitment)> {
        clashes.iter().map(|clash| (clash.first, clash.second)).collect()
    }

    #[test]
    fn a_persons_overlapping_shifts_and_favourite_slots_are_reported_pairwise() {
        let shifts = [
            shift("bar", 2, berlin("2026-07-10T18:00"), berlin("2026-07-10T22:00")),
            shift("gate", 2, berlin("2026-07-10T21:00"), berlin("2026-07-10T23:00")),
        ];
        let signups = [
            signup("s1", person(1), "bar", berlin("2026-06-01T10:00")),
            signup("s2", person(1), "gate", berlin("2026-06-01T10:05")),
        ];
        let slots = [
            slot(
                "band",
                "stage",
                berlin("2026-07-10T21:30"),
                berlin("2026-07-10T22:30"),
            ),
            slot(
                "dj",
                "tent",
                berlin("2026-07-10T22:15"),
                berlin("2026-07-10T23:30"),
            ),
        ];
        let favourites = BTreeSet::from([id("band"), id("dj")]);

        let clashes = own_clashes(&person(1), &shifts, &signups, &slots, &favourites);

        let (bar, gate) = (Commitment::Shift(id("bar")), Commitment::Shift(id("gate")));
        let (band, dj) = (Commitment::Slot(id("band")), Commitment::Slot(id("dj")));
        assert_eq!(
            pairs(&clashes),
            [
                between(bar, gate),
                between(bar, band),
                between(gate, band),
                between(band, dj),
                between(gate, dj),
            ]
        );
        assert_eq!(
            clashes[0].overlap,
            Overlap {
                start: berlin("2026-07-10T21:00"),
                end: berlin("2026-07-10T22:00"),
            }
        );
    }

    #[test]
    fn a_shift_the_person_waits_for_counts_and_someone_elses_does_not() {
        let shifts = [
            shift("bar", 1, berlin("2026-07-10T18:00"), berlin("2026-07-10T22:00")),
            shift("gate", 1, berlin("2026-07-10T18:00"), berlin("2026-07-10T22:00")),
        ];
        let signups = [
            signup("first", person(2), "bar", berlin("2026-06-01T09:00")),
            signup("waits", person(1), "bar", berlin("2026-06-01T10:00")),
            signup("other", person(2), "gate", berlin("2026-06-01T10:00")),
        ];
        let slots = [slot(
            "band",
            "stage",
            berlin("2026-07-10T21:00"),
            berlin("2026-07-10T23:00"),
        )];
        let favourites = BTreeSet::from([id("band")]);

        let clashes = own_clashes(&person(1), &shifts, &signups, &slots, &favourites);

        assert_eq!(
            pairs(&clashes),
            [between(
                Commitment::Shift(id("bar")),
                Commitment::Slot(id("band"))
            )]
        );
    }

    #[test]
    fn slots_that_are_cancelled_or_not_favourites_do_not_clash_with_a_person() {
        let mut cancelled = slot(
            "off",
            "stage",
            berlin("2026-07-10T20:00"),
            berlin("2026-07-10T22:00"),
        );
        cancelled.value.status = SlotStatus::Cancelled;
        let unwanted = slot(
            "unwanted",
            "tent",
            berlin("2026-07-10T20:00"),
            berlin("2026-07-10T22:00"),
        );
        let wanted = slot(
            "wanted",
            "field",
            berlin("2026-07-10T21:00"),
            berlin("2026-07-10T23:00"),
        );
        let favourites = BTreeSet::from([id("off"), id("wanted")]);

        let clashes = own_clashes(&person(1), &[], &[], &[cancelled, unwanted, wanted], &favourites);

        assert_eq!(clashes, []);
    }

    #[test]
    fn a_shift_signed_up_for_twice_does_not_clash_with_itself() {
        let shifts = [shift(
            "bar",
            2,
            berlin("2026-07-10T18:00"),
            berlin("2026-07-10T22:00"),
        )];
        let signups = [
            signup("s1", person(1), "bar", berlin("2026-06-01T10:00")),
            signup("s2", person(1), "bar", berlin("2026-06-02T10:00")),
        ];

        assert_eq!(
            own_clashes(&person(1), &shifts, &signups, &[], &BTreeSet::new()),
            []
        );
    }

    #[test]
    fn a_shift_that_ends_when_a_favourite_starts_does_not_clash() {
        let shifts = [shift(
            "bar",
            2,
            berlin("2026-07-10T18:00"),
            berlin("2026-07-10T22:00"),
        )];
        let signups = [signup("s1", person(1), "bar", berlin("2026-06-01T10:00"))];
        let slots = [slot(
            "band",
            "stage",
            berlin("2026-07-10T22:00"),
            berlin("2026-07-10T23:00"),
        )];
        let favourites = BTreeSet::from([id("band")]);

        assert_eq!(
            own_clashes(&person(1), &shifts, &signups, &slots, &favourites),
            []
        );
    }
}
