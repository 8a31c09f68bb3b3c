//! Clashes in the programme and in bookings: two things that need the same
//! area, artist or resource at once.

use lineup_core::DocumentId;

use super::sweep::{overlapping, Timed};
use super::Overlap;
use crate::model::{Booking, BookingState, Slot, SlotStatus, Stored};

/// Two slots on one area at once.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SlotClash {
    /// When both happen.
    pub overlap: Overlap,
    /// Where.
    pub area: DocumentId,
    /// The slot that starts first (then ends first, then has the lower id).
    pub first: DocumentId,
    /// The other.
    pub second: DocumentId,
}

/// An artist in two slots at once, on any areas.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ArtistDoubleBooking {
    /// When both happen.
    pub overlap: Overlap,
    /// Who.
    pub artist: DocumentId,
    /// The slot that starts first (then ends first, then has the lower id).
    pub first: DocumentId,
    /// The other.
    pub second: DocumentId,
}

/// A resource booked twice at once.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BookingClash {
    /// When both bookings hold it.
    pub overlap: Overlap,
    /// What is booked.
    pub resource: DocumentId,
    /// The booking that starts first (then ends first, then has the lower id).
    pub first: DocumentId,
    /// The other.
    pub second: DocumentId,
}

fn happens(slot: &Stored<Slot>) -> bool {
    slot.status != SlotStatus::Cancelled
}

/// Every two slots that are not cancelled and overlap on the same area, in
/// time order.
pub fn slot_clashes(slots: &[Stored<Slot>]) -> Vec<SlotClash> {
    let timed = slots
        .iter()
        .filter(|slot| happens(slot))
        .map(|slot| Timed {
            group: slot.area,
            start: slot.start,
            end: slot.end,
            id: slot.id,
        })
        .collect();
    overlapping(timed, |pair| SlotClash {
        overlap: pair.overlap,
        area: pair.group,
        first: pair.first,
        second: pair.second,
    })
}

/// Every artist in two slots that are not cancelled and overlap, on any
/// areas, in time order.
pub fn artist_double_bookings(slots: &[Stored<Slot>]) -> Vec<ArtistDoubleBooking> {
    let mut timed = Vec::new();
    for slot in slots.iter().filter(|slot| happens(slot)) {
        // An artist listed twice in one slot is still there once.
        let mut artists = slot.artists.clone();
        artists.sort();
        artists.dedup();
        timed.extend(artists.into_iter().map(|artist| Timed {
            group: artist,
            start: slot.start,
            end: slot.end,
            id: slot.id,
        }));
    }
    overlapping(timed, |pair| ArtistDoubleBooking {
        overlap: pair.overlap,
        artist: pair.group,
        first: pair.first,
        second: pair.second,
    })
}

/// Every two bookings of the same resource, neither cancelled, that
/// overlap, in time order. Requested bookings count: they are what an
/// organiser decides between.
pub fn booking_clashes(bookings: &[Stored<Booking>]) -> Vec<BookingClash> {
    let timed = bookings
        .iter()
        .filter(|booking| booking.state != BookingState::Cancelled)
        .map(|booking| Timed {
            group: booking.resource,
            start: booking.start,
            end: booking.end,
            id: booking.id,
        })
        .collect();
    overlapping(timed, |pair| BookingClash {
        overlap: pair.overlap,
        resource: pair.group,
        first: pair.first,
        second: pair.second,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use jiff::{civil, SignedDuration, Timestamp};
    use proptest::prelude::*;

    use super::*;
    use crate::rules::test_utils::*;
    use crate::rules::{festival_day, DAY_CHANGE};

    fn clash(area: &str, first: &str, second: &str, start: Timestamp, end: Timestamp) -> SlotClash {
        SlotClash {
            overlap: Overlap { start, end },
            area: id(area),
            first: id(first),
            second: id(second),
        }
    }

    #[test]
    fn slots_overlapping_on_one_area_clash_for_as_long_as_both_run() {
        let slots = [
            slot(
                "late",
                "stage",
                berlin("2026-07-10T21:00"),
                berlin("2026-07-10T23:00"),
            ),
            slot(
                "early",
                "stage",
                berlin("2026-07-10T20:00"),
                berlin("2026-07-10T22:00"),
            ),
        ];

        assert_eq!(
            slot_clashes(&slots),
            [clash(
                "stage",
                "early",
                "late",
                berlin("2026-07-10T21:00"),
                berlin("2026-07-10T22:00")
            )]
        );
    }

    #[test]
    fn a_slot_inside_another_clashes_for_its_whole_length() {
        let slots = [
            slot(
                "set",
                "stage",
                berlin("2026-07-10T20:00"),
                berlin("2026-07-10T23:00"),
            ),
            slot(
                "guest",
                "stage",
                berlin("2026-07-10T21:00"),
                berlin("2026-07-10T21:30"),
            ),
        ];

        assert_eq!(
            slot_clashes(&slots),
            [clash(
                "stage",
                "set",
                "guest",
                berlin("2026-07-10T21:00"),
                berlin("2026-07-10T21:30")
            )]
        );
    }

    #[test]
    fn touching_slots_do_not_clash() {
        let slots = [
            slot(
                "one",
                "stage",
                berlin("2026-07-10T20:00"),
                berlin("2026-07-10T22:00"),
            ),
            slot(
                "two",
                "stage",
                berlin("2026-07-10T22:00"),
                berlin("2026-07-10T23:00"),
            ),
        ];

        assert_eq!(slot_clashes(&slots), []);
    }

    #[test]
    fn slots_on_different_areas_do_not_clash() {
        let slots = [
            slot(
                "one",
                "stage",
                berlin("2026-07-10T20:00"),
                berlin("2026-07-10T22:00"),
            ),
            slot(
                "two",
                "tent",
                berlin("2026-07-10T21:00"),
                berlin("2026-07-10T23:00"),
            ),
        ];

        assert_eq!(slot_clashes(&slots), []);
    }

    #[test]
    fn three_slots_at_once_clash_pairwise() {
        let slots = [
            slot(
                "a",
                "stage",
                berlin("2026-07-10T20:00"),
                berlin("2026-07-10T23:00"),
            ),
            slot(
                "b",
                "stage",
                berlin("2026-07-10T21:00"),
                berlin("2026-07-10T23:00"),
            ),
            slot(
                "c",
                "stage",
                berlin("2026-07-10T22:00"),
                berlin("2026-07-10T22:30"),
            ),
        ];

        let pairs: BTreeSet<(DocumentId, DocumentId)> = slot_clashes(&slots)
            .into_iter()
            .map(|clash| (clash.first, clash.second))
            .collect();
        assert_eq!(
            pairs,
            BTreeSet::from([(id("a"), id("b")), (id("a"), id("c")), (id("b"), id("c"))])
        );
    }

    #[test]
    fn a_cancelled_slot_never_clashes() {
        let mut cancelled = slot(
            "off",
            "stage",
            berlin("2026-07-10T20:00"),
            berlin("2026-07-10T22:00"),
        );
        cancelled.value.status = SlotStatus::Cancelled;
        cancelled.value.artists = vec![id("dj")];
        let mut on = slot(
            "on",
            "stage",
            berlin("2026-07-10T21:00"),
            berlin("2026-07-10T23:00"),
        );
        on.value.artists = vec![id("dj")];
        let slots = [cancelled, on];

        assert_eq!(slot_clashes(&slots), []);
        assert_eq!(artist_double_bookings(&slots), []);
    }

    #[test]
    fn a_slot_crossing_midnight_clashes_with_one_next_morning_and_is_listed_on_the_day_it_starts() {
        let night = slot(
            "night",
            "stage",
            berlin("2026-07-10T23:00"),
            berlin("2026-07-11T02:00"),
        );
        let morning = slot(
            "morning",
            "stage",
            berlin("2026-07-11T01:30"),
            berlin("2026-07-11T03:00"),
        );
        let slots = [morning, night.clone()];

        assert_eq!(
            slot_clashes(&slots),
            [clash(
                "stage",
                "night",
                "morning",
                berlin("2026-07-11T01:30"),
                berlin("2026-07-11T02:00")
            )]
        );
        let zone = berlin_zone();
        assert_eq!(
            festival_day(night.start, &zone, DAY_CHANGE),
            civil::date(2026, 7, 10)
        );
        assert_eq!(
            festival_day(night.start, &zone, civil::time(0, 0, 0, 0)),
            civil::date(2026, 7, 10),
            "even when the day changes at midnight"
        );
    }

    #[test]
    fn a_slot_across_the_autumn_clock_change_lasts_an_hour_longer_and_clashes_by_instant() {
        // On 2026-10-25 Berlin's clocks go back from 03:00 to 02:00.
        let long = slot(
            "long",
            "stage",
            berlin("2026-10-25T01:30"),
            berlin("2026-10-25T03:30"),
        );
        // 02:10 to 02:40 after the clocks went back.
        let repeat = slot(
            "repeat",
            "stage",
            berlin_later("2026-10-25T02:10"),
            berlin_later("2026-10-25T02:40"),
        );

        assert_eq!(long.end.duration_since(long.start), SignedDuration::from_hours(3));
        assert_eq!(
            slot_clashes(&[repeat, long]),
            [clash(
                "stage",
                "long",
                "repeat",
                berlin_later("2026-10-25T02:10"),
                berlin_later("2026-10-25T02:40")
            )]
        );
    }

    #[test]
    fn slots_whose_clock_times_look_apart_on_the_autumn_night_clash_by_instant() {
        // Ends at 02:45 once the clocks went back...
        let first = slot(
            "first",
            "stage",
            berlin("2026-10-25T01:30"),
            berlin_later("2026-10-25T02:45"),
        );
        // ...starts at 02:50 before they did: an hour and 55 minutes earlier.
        let second = slot(
            "second",
            "stage",
            berlin_earlier("2026-10-25T02:50"),
            berlin("2026-10-25T03:30"),
        );

        assert_eq!(
            slot_clashes(&[second, first]),
            [clash(
                "stage",
                "first",
                "second",
                berlin_earlier("2026-10-25T02:50"),
                berlin_later("2026-10-25T02:45")
            )]
        );
    }

    #[test]
    fn a_slot_across_the_spring_clock_change_lasts_an_hour_less() {
        // On 2026-03-29 Berlin's clocks go forward from 02:00 to 03:00.
        let short = slot(
            "short",
            "stage",
            berlin("2026-03-29T01:30"),
            berlin("2026-03-29T03:30"),
        );
        let touching = slot(
            "touching",
            "stage",
            berlin("2026-03-29T00:30"),
            berlin("2026-03-29T01:30"),
        );
        let after = slot(
            "after",
            "stage",
            berlin("2026-03-29T03:15"),
            berlin("2026-03-29T04:00"),
        );

        assert_eq!(
            short.end.duration_since(short.start),
            SignedDuration::from_hours(1)
        );
        assert_eq!(
            slot_clashes(&[after, touching, short]),
            [clash(
                "stage",
                "short",
                "after",
                berlin("2026-03-29T03:15"),
                berlin("2026-03-29T03:30")
            )]
        );
    }

    #[test]
    fn an_artist_in_two_overlapping_slots_is_double_booked_on_any_areas() {
        let mut stage = slot(
            "stage set",
            "stage",
            berlin("2026-07-10T20:00"),
            berlin("2026-07-10T22:00"),
        );
        stage.value.artists = vec![id("band"), id("dj")];
        let mut tent = slot(
            "tent set",
            "tent",
            berlin("2026-07-10T21:30"),
            berlin("2026-07-10T23:00"),
        );
        tent.value.artists = vec![id("dj")];

        assert_eq!(
            artist_double_bookings(&[tent, stage]),
            [ArtistDoubleBooking {
                overlap: Overlap {
                    start: berlin("2026-07-10T21:30"),
                    end: berlin("2026-07-10T22:00"),
                },
                artist: id("dj"),
                first: id("stage set"),
                second: id("tent set"),
            }]
        );
    }

    #[test]
    fn an_artist_in_touching_slots_is_not_double_booked() {
        let mut one = slot(
            "one",
            "stage",
            berlin("2026-07-10T20:00"),
            berlin("2026-07-10T21:00"),
        );
        one.value.artists = vec![id("dj")];
        let mut two = slot(
            "two",
            "tent",
            berlin("2026-07-10T21:00"),
            berlin("2026-07-10T22:00"),
        );
        two.value.artists = vec![id("dj")];

        assert_eq!(artist_double_bookings(&[one, two]), []);
    }

    #[test]
    fn an_artist_listed_twice_in_one_slot_is_not_double_booked_by_it() {
        let mut one = slot(
            "one",
            "stage",
            berlin("2026-07-10T20:00"),
            berlin("2026-07-10T21:00"),
        );
        one.value.artists = vec![id("dj"), id("dj")];
        let mut two = slot(
            "two",
            "tent",
            berlin("2026-07-10T20:30"),
            berlin("2026-07-10T22:00"),
        );
        two.value.artists = vec![id("dj")];

        assert_eq!(artist_double_bookings(&[one.clone()]), []);
        assert_eq!(artist_double_bookings(&[one, two]).len(), 1);
    }

    #[test]
    fn bookings_of_one_resource_that_overlap_clash_whether_requested_or_confirmed() {
        let mut confirmed = booking(
            "load-in",
            "van",
            berlin("2026-07-09T08:00"),
            berlin("2026-07-09T12:00"),
        );
        confirmed.value.state = BookingState::Confirmed;
        let requested = booking(
            "supplies",
            "van",
            berlin("2026-07-09T11:00"),
            berlin("2026-07-09T13:00"),
        );

        assert_eq!(
            booking_clashes(&[requested, confirmed]),
            [BookingClash {
                overlap: Overlap {
                    start: berlin("2026-07-09T11:00"),
                    end: berlin("2026-07-09T12:00"),
                },
                resource: id("van"),
                first: id("load-in"),
                second: id("supplies"),
            }]
        );
    }

    #[test]
    fn a_cancelled_booking_never_clashes() {
        let mut cancelled = booking(
            "load-in",
            "van",
            berlin("2026-07-09T08:00"),
            berlin("2026-07-09T12:00"),
        );
        cancelled.value.state = BookingState::Cancelled;
        let requested = booking(
            "supplies",
            "van",
            berlin("2026-07-09T11:00"),
            berlin("2026-07-09T13:00"),
        );

        assert_eq!(booking_clashes(&[cancelled, requested]), []);
    }

    #[test]
    fn bookings_that_touch_or_hold_other_resources_do_not_clash() {
        let bookings = [
            booking(
                "morning",
                "van",
                berlin("2026-07-09T08:00"),
                berlin("2026-07-09T12:00"),
            ),
            booking(
                "noon",
                "van",
                berlin("2026-07-09T12:00"),
                berlin("2026-07-09T14:00"),
            ),
            booking(
                "truck",
                "truck",
                berlin("2026-07-09T09:00"),
                berlin("2026-07-09T13:00"),
            ),
        ];

        assert_eq!(booking_clashes(&bookings), []);
    }

    /// Slots on three areas within an hour, some cancelled.
    fn programme() -> impl Strategy<Value = Vec<Stored<Slot>>> {
        prop::collection::vec((0..3u8, 0..50i64, 1..20i64, any::<bool>()), 0..40).prop_map(|specs| {
            specs
                .into_iter()
                .enumerate()
                .map(|(index, (area, start, minutes, cancelled))| {
                    let start = Timestamp::from_second(1_783_000_000 + start * 60).unwrap();
                    let end = start + SignedDuration::from_mins(minutes);
                    let mut slot = slot(&format!("slot {index}"), &format!("area {area}"), start, end);
                    if cancelled {
                        slot.value.status = SlotStatus::Cancelled;
                    }
                    slot
                })
                .collect()
        })
    }

    /// Slot clashes by their definition: every pair compared.
    fn every_pair_compared(slots: &[Stored<Slot>]) -> Vec<SlotClash> {
        let mut clashes = Vec::new();
        for (index, a) in slots.iter().enumerate() {
            for b in &slots[index + 1..] {
                let both_happen = happens(a) && happens(b);
                if both_happen && a.area == b.area && a.start < b.end && b.start < a.end {
                    let (first, second) = if (a.start, a.end, a.id) < (b.start, b.end, b.id) {
                        (a, b)
                    } else {
                        (b, a)
                    };
                    clashes.push(SlotClash {
                        overlap: Overlap {
                            start: second.start,
                            end: first.end.min(second.end),
                        },
                        area: a.area,
                        first: first.id,
                        second: second.id,
                    });
                }
            }
        }
        clashes.sort();
        clashes
    }

    proptest! {
        #[test]
        fn the_sweep_finds_the_clashes_that_comparing_every_pair_finds(slots in programme()) {
            prop_assert_eq!(slot_clashes(&slots), every_pair_compared(&slots));
        }

        #[test]
        fn slot_clashes_are_the_same_whatever_order_the_slots_come_in(
            (slots, shuffled) in programme().prop_flat_map(|slots| (Just(slots.clone()), Just(slots).prop_shuffle()))
        ) {
            prop_assert_eq!(slot_clashes(&slots), slot_clashes(&shuffled));
        }
    }
}
