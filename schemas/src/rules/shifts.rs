//! Who works a shift and who waits: sign-ups in an order every node agrees
//! on, the first up to the shift's capacity confirmed.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use lineup_core::{DocumentId, PublicKey};

use crate::model::{Shift, ShiftSignup, Stored};

/// A person on a shift's roster.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Volunteer {
    /// Who.
    pub person: PublicKey,
    /// Their sign-up (their earliest, if they signed up twice).
    pub signup: DocumentId,
    /// When they signed up, by their device's clock.
    pub signed_up_at: Timestamp,
}

/// Where a person stands on a shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Standing {
    /// They work it.
    Confirmed,
    /// They wait for a place.
    Waiting {
        /// How many wait before them.
        ahead: usize,
    },
}

/// More people signed up for a shift than it needs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OverCapacity {
    /// The shift.
    pub shift: DocumentId,
    /// How many people it needs.
    pub capacity: u32,
    /// How many signed up, each person once.
    pub signed_up: usize,
}

/// A shift's sign-ups: who works it and who waits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Roster {
    /// The shift.
    pub shift: DocumentId,
    /// How many people it needs.
    pub capacity: u32,
    /// The first to sign up, up to the capacity, in order.
    pub confirmed: Vec<Volunteer>,
    /// Everyone after them, in order: the first of them moves up when a
    /// confirmed person's sign-up goes.
    pub waiting: Vec<Volunteer>,
}

impl Roster {
    /// The roster of `shift` from `signups`, which are all for it.
    ///
    /// Sign-ups count by when they were made, then by their document id,
    /// never by when a node received them: when sign-ups made on both sides
    /// of a network split exceed the capacity, every node confirms the same
    /// people and keeps the same waiting list once they meet.
    fn new(shift: &Stored<Shift>, mut signups: Vec<&Stored<ShiftSignup>>) -> Self {
        signups.sort_by_key(|signup| (signup.signed_up_at, signup.id));
        let mut seen = BTreeSet::new();
        let mut confirmed: Vec<Volunteer> = signups
            .into_iter()
            // A person who signed up twice counts once, by their earliest.
            .filter(|signup| seen.insert(signup.person))
            .map(|signup| Volunteer {
                person: signup.person,
                signup: signup.id,
                signed_up_at: signup.signed_up_at,
            })
            .collect();
        let places = confirmed.len().min(shift.capacity as usize);
        let waiting = confirmed.split_off(places);
        Self {
            shift: shift.id,
            capacity: shift.capacity,
            confirmed,
            waiting,
        }
    }

    /// Where `person` stands, if they signed up.
    pub fn standing(&self, person: &PublicKey) -> Option<Standing> {
        if self.confirmed.iter().any(|volunteer| volunteer.person == *person) {
            return Some(Standing::Confirmed);
        }
        self.waiting
            .iter()
            .position(|volunteer| volunteer.person == *person)
            .map(|ahead| Standing::Waiting { ahead })
    }

    /// How many more people the shift needs.
    pub fn open_places(&self) -> u32 {
        let confirmed = u32::try_from(self.confirmed.len()).unwrap_or(u32::MAX);
        self.capacity.saturating_sub(confirmed)
    }

    /// The finding that more people signed up than the shift needs, if they
    /// did.
    pub fn over_capacity(&self) -> Option<OverCapacity> {
        (!self.waiting.is_empty()).then(|| OverCapacity {
            shift: self.shift,
            capacity: self.capacity,
            signed_up: self.confirmed.len() + self.waiting.len(),
        })
    }
}

/// The roster of every shift, by shift id. Sign-ups for shifts not given
/// are left out: the shift may not have reached this node yet.
pub fn rosters(shifts: &[Stored<Shift>], signups: &[Stored<ShiftSignup>]) -> BTreeMap<DocumentId, Roster> {
    let mut by_shift: BTreeMap<DocumentId, Vec<&Stored<ShiftSignup>>> = BTreeMap::new();
    for signup in signups {
        by_shift.entry(signup.shift).or_default().push(signup);
    }
    shifts
        .iter()
        .map(|shift| {
            let signups = by_shift.remove(&shift.id).unwrap_or_default();
            (shift.id, Roster::new(shift, signups))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::rules::test_utils::*;

    fn bar(capacity: u32) -> Stored<Shift> {
        shift(
            "bar",
            capacity,
            berlin("2026-07-10T18:00"),
            berlin("2026-07-10T22:00"),
        )
    }

    fn people(volunteers: &[Volunteer]) -> Vec<PublicKey> {
        volunteers.iter().map(|volunteer| volunteer.person).collect()
    }

    #[test]
    fn the_first_to_sign_up_are_confirmed_up_to_capacity_and_the_rest_wait_in_order() {
        let signups = [
            signup("s3", person(3), "bar", berlin("2026-06-03T10:00")),
            signup("s1", person(1), "bar", berlin("2026-06-01T10:00")),
            signup("s4", person(4), "bar", berlin("2026-06-04T10:00")),
            signup("s2", person(2), "bar", berlin("2026-06-02T10:00")),
        ];

        let rosters = rosters(&[bar(2)], &signups);

        let roster = &rosters[&id("bar")];
        assert_eq!(people(&roster.confirmed), [person(1), person(2)]);
        assert_eq!(people(&roster.waiting), [person(3), person(4)]);
        assert_eq!(
            roster.over_capacity(),
            Some(OverCapacity {
                shift: id("bar"),
                capacity: 2,
                signed_up: 4,
            })
        );
    }

    #[test]
    fn sign_ups_made_at_the_same_moment_are_ordered_by_document_id() {
        let at = berlin("2026-06-01T10:00");
        let (a, b) = (
            signup("a", person(1), "bar", at),
            signup("b", person(2), "bar", at),
        );
        let (earlier, later) = if a.id < b.id { (a, b) } else { (b, a) };

        let rosters = rosters(&[bar(1)], &[later.clone(), earlier.clone()]);

        let roster = &rosters[&id("bar")];
        assert_eq!(people(&roster.confirmed), [earlier.person]);
        assert_eq!(people(&roster.waiting), [later.person]);
    }

    #[test]
    fn a_persons_second_sign_up_counts_once_by_their_earliest() {
        let signups = [
            signup("again", person(1), "bar", berlin("2026-06-03T10:00")),
            signup("first", person(1), "bar", berlin("2026-06-01T10:00")),
            signup("other", person(2), "bar", berlin("2026-06-02T10:00")),
        ];

        let rosters = rosters(&[bar(2)], &signups);

        let roster = &rosters[&id("bar")];
        assert_eq!(people(&roster.confirmed), [person(1), person(2)]);
        assert_eq!(roster.confirmed[0].signup, id("first"));
        assert_eq!(roster.waiting, []);
        assert_eq!(roster.over_capacity(), None);
    }

    #[test]
    fn a_full_shift_is_not_over_capacity() {
        let signups = [
            signup("s1", person(1), "bar", berlin("2026-06-01T10:00")),
            signup("s2", person(2), "bar", berlin("2026-06-02T10:00")),
        ];

        let rosters = rosters(&[bar(2)], &signups);

        let roster = &rosters[&id("bar")];
        assert_eq!(roster.over_capacity(), None);
        assert_eq!(roster.open_places(), 0);
    }

    #[test]
    fn a_shift_without_sign_ups_has_every_place_open() {
        let rosters = rosters(&[bar(3)], &[]);

        let roster = &rosters[&id("bar")];
        assert_eq!((roster.confirmed.len(), roster.waiting.len()), (0, 0));
        assert_eq!(roster.open_places(), 3);
    }

    #[test]
    fn sign_ups_for_unknown_shifts_are_ignored() {
        let signups = [
            signup("s1", person(1), "gone", berlin("2026-06-01T10:00")),
            signup("s2", person(2), "bar", berlin("2026-06-02T10:00")),
        ];

        let rosters = rosters(&[bar(1)], &signups);

        assert_eq!(rosters.keys().collect::<Vec<_>>(), [&id("bar")]);
        assert_eq!(people(&rosters[&id("bar")].confirmed), [person(2)]);
    }

    #[test]
    fn a_person_sees_whether_they_work_a_shift_or_how_many_wait_before_them() {
        let signups = [
            signup("s1", person(1), "bar", berlin("2026-06-01T10:00")),
            signup("s2", person(2), "bar", berlin("2026-06-02T10:00")),
            signup("s3", person(3), "bar", berlin("2026-06-03T10:00")),
        ];

        let rosters = rosters(&[bar(1)], &signups);

        let roster = &rosters[&id("bar")];
        assert_eq!(roster.standing(&person(1)), Some(Standing::Confirmed));
        assert_eq!(roster.standing(&person(2)), Some(Standing::Waiting { ahead: 0 }));
        assert_eq!(roster.standing(&person(3)), Some(Standing::Waiting { ahead: 1 }));
        assert_eq!(roster.standing(&person(4)), None);
    }

    /// Sign-ups of five people for two shifts and one unknown one, within
    /// a few seconds, so that some are made at the same moment and some
    /// people sign up twice.
    fn signups() -> impl Strategy<Value = Vec<Stored<ShiftSignup>>> {
        prop::collection::vec((1..6u8, 0..3u8, 0..4i64), 0..30).prop_map(|specs| {
            specs
                .into_iter()
                .enumerate()
                .map(|(index, (who, which, second))| {
                    let at = Timestamp::from_second(1_780_000_000 + second).unwrap();
                    signup(
                        &format!("signup {index}"),
                        person(who),
                        &format!("shift {which}"),
                        at,
                    )
                })
                .collect()
        })
    }

    fn shifts() -> [Stored<Shift>; 2] {
        let (start, end) = (berlin("2026-07-10T18:00"), berlin("2026-07-10T22:00"));
        [shift("shift 0", 2, start, end), shift("shift 1", 0, start, end)]
    }

    proptest! {
        #[test]
        fn rosters_are_the_same_whatever_order_the_sign_ups_come_in(
            (signups, shuffled) in signups().prop_flat_map(|signups| (Just(signups.clone()), Just(signups).prop_shuffle()))
        ) {
            prop_assert_eq!(rosters(&shifts(), &signups), rosters(&shifts(), &shuffled));
        }

        #[test]
        fn a_roster_lists_each_person_who_signed_up_once_confirming_at_most_its_capacity(signups in signups()) {
            for (shift, roster) in rosters(&shifts(), &signups) {
                let listed = people(&roster.confirmed).into_iter().chain(people(&roster.waiting));
                let listed: Vec<PublicKey> = listed.collect();
                let signed_up: BTreeSet<PublicKey> =
                    signups.iter().filter(|signup| signup.shift == shift).map(|signup| signup.person).collect();
                prop_assert_eq!(listed.iter().copied().collect::<BTreeSet<_>>(), signed_up.clone());
                prop_assert_eq!(listed.len(), signed_up.len());
                prop_assert!(roster.confirmed.len() <= roster.capacity as usize);
                prop_assert!(roster.waiting.is_empty() || roster.confirmed.len() == roster.capacity as usize);
            }
        }
    }
}
