//! My schedule: my favourite slots and my shifts together, in time order,
//! with where I have promised to be in two places at once.

use std::collections::BTreeSet;

use leptos::prelude::*;
use lineup_core::DocumentId;
use lineup_schemas::formats::personal_ical;
use lineup_schemas::model::Programme;
use lineup_schemas::rules::{own_clashes, Commitment};

use crate::components::Empty;
use crate::context::{use_node, use_open};
use crate::time;

/// Favourites and shifts, and their clashes.
#[component]
pub fn MySchedule() -> impl IntoView {
    let open = use_open();
    let node = use_node();
    move || {
        let data = open.get()?;
        let zone = data.festival.zone();
        let favourites = open.favourites.all();
        let me = node
            .me
            .with(|me| me.ready().filter(|me| me.owner).map(|me| me.public_key));
        let my_shifts: BTreeSet<DocumentId> = me
            .map(|me| {
                data.signups
                    .iter()
                    .filter(|signup| signup.person == me)
                    .map(|signup| signup.shift)
                    .collect()
            })
            .unwrap_or_default();
        let clashes = match (me, node.me.with(|me| me.ready().map(|me| me.public_key))) {
            (Some(me), _) => own_clashes(&me, &data.shifts, &data.signups, &data.slots, &favourites),
            // A visitor has no shifts (the node's key is not theirs); their
            // favourites may still overlap.
            (None, Some(node_key)) => own_clashes(&node_key, &[], &[], &data.slots, &favourites),
            (None, None) => Vec::new(),
        };
        let clashing: BTreeSet<Commitment> = clashes
            .iter()
            .flat_map(|clash| [clash.first, clash.second])
            .collect();
        let mut entries: Vec<(jiff::Timestamp, Commitment, String, String)> = data
            .slots
            .iter()
            .filter(|slot| favourites.contains(&slot.id))
            .map(|slot| {
                let artists = data.artist_names(&slot.artists);
                let what = if artists.is_empty() {
                    slot.title.clone()
                } else {
                    format!("{} — {artists}", slot.title)
                };
                (
                    slot.start,
                    Commitment::Slot(slot.id),
                    what,
                    format!(
                        "{} · {}",
                        time::span(slot.start, slot.end, &zone),
                        data.area_name(&slot.area)
                    ),
                )
            })
            .chain(
                data.shifts
                    .iter()
                    .filter(|shift| my_shifts.contains(&shift.id))
                    .map(|shift| {
                        (
                            shift.start,
                            Commitment::Shift(shift.id),
                            format!("Shift: {}", shift.role),
                            format!(
                                "{} · {}",
                                time::span(shift.start, shift.end, &zone),
                                data.area_name(&shift.area)
                            ),
                        )
                    }),
            )
            .collect();
        entries.sort_by_key(|(start, commitment, ..)| (*start, *commitment));
        if entries.is_empty() {
            return Some(view! {
                <Empty title="Your schedule is empty" hint="Star slots in the programme, or sign up for a shift: they show here together." />
            }.into_any());
        }
        let programme = Programme {
            festival: data.festival.clone(),
            areas: data.areas.clone(),
            artists: data.artists.clone(),
            slots: data.slots.clone(),
        };
        let shifts: Vec<_> = data
            .shifts
            .iter()
            .filter(|shift| my_shifts.contains(&shift.id))
            .cloned()
            .collect();
        let calendar = personal_ical(&programme, &favourites, &shifts, time::now());
        let download = format!(
            "data:text/calendar;charset=utf-8,{}",
            js_sys::encode_uri_component(&calendar)
        );
        let mut day = None;
        Some(view! {
            <div class="my-schedule">
                {(!clashes.is_empty()).then(|| view! {
                    <p class="warning" role="alert">{format!("{} clashes: you cannot be in two places at once.", clashes.len())}</p>
                })}
                <ul class="schedule">
                    {entries.into_iter().map(|(start, commitment, what, detail)| {
                        let this_day = time::day_of(start, &zone);
                        let heading = (day != Some(this_day)).then(|| view! { <li class="day">{time::day_name(this_day)}</li> });
                        day = Some(this_day);
                        let clash = clashing.contains(&commitment);
                        view! {
                            {heading}
                            <li class="entry" class:clash=clash class:shift=matches!(commitment, Commitment::Shift(_))>
                                <span class="what">{what}</span>
                                <span class="when">{detail}</span>
                                {clash.then(|| view! { <span class="warning">"Clash"</span> })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <a class="button" href=download download="my-schedule.ics">"Download my schedule (.ics)"</a>
            </div>
        }.into_any())
    }
}
