//! The programme: a grid of areas by time for one festival day, with a line
//! at "now", or a list for small screens; favourites marked on both.

use jiff::civil::Date;
use jiff::Timestamp;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use lineup_schemas::model::{AreaKind, Slot, SlotStatus, Stored};

use crate::components::Empty;
use crate::context::{use_open, Open};
use crate::festival::FestivalData;
use crate::time;

/// Pixels per minute in the grid.
const SCALE: f64 = 1.6;

/// The programme page: `?day=2026-07-11` picks the day, `?view=list` the list.
#[component]
pub fn ProgrammePage() -> impl IntoView {
    let open = use_open();
    let query = use_query_map();
    let navigate = use_navigate();
    let now = RwSignal::new(time::now());
    let tick = set_interval_with_handle(move || now.set(time::now()), std::time::Duration::from_secs(30));
    on_cleanup(move || {
        if let Ok(tick) = tick {
            tick.clear();
        }
    });
    let narrow = web_sys::window()
        .and_then(|window| window.inner_width().ok()?.as_f64())
        .is_some_and(|width| width < 700.0);
    let as_list = move || match query.read().get("view").as_deref() {
        Some("list") => true,
        Some("grid") => false,
        _ => narrow,
    };
    let go = move |day: Option<Date>, list: bool| {
        let mut path = open.path("programme");
        path.push_str(&format!("?view={}", if list { "list" } else { "grid" }));
        if let Some(day) = day {
            path.push_str(&format!("&day={day}"));
        }
        navigate(&path, Default::default());
    };
    move || {
        let data = open.get()?;
        let zone = data.festival.zone();
        let days = festival_days(&data);
        let asked: Option<Date> = query.read().get("day").and_then(|day| day.parse().ok());
        let today = time::day_of(now.get(), &zone);
        let day = asked
            .or_else(|| days.contains(&today).then_some(today))
            .or_else(|| days.first().copied())?;
        let list = as_list();
        let go = go.clone();
        let switcher = days
            .iter()
            .map(|&candidate| {
                let go = go.clone();
                view! {
                    <button
                        class:current=candidate == day
                        on:click=move |_| go(Some(candidate), list)
                    >
                        {candidate.strftime("%a %-d").to_string()}
                    </button>
                }
            })
            .collect_view();
        let go_view = go.clone();
        let slots: Vec<Stored<Slot>> = data
            .slots
            .iter()
            .filter(|slot| time::day_of(slot.start, &zone) == day)
            .cloned()
            .collect();
        let body = if data.slots.is_empty() {
            view! {
                <Empty
                    title="The programme is empty"
                    hint="Organisers add areas, artists and slots under Edit programme, or import a schedule.xml."
                />
            }
            .into_any()
        } else if slots.is_empty() {
            view! { <Empty title="Nothing on this day" hint="Pick another day above." /> }.into_any()
        } else if list {
            view! { <ProgrammeList open data=data.clone() slots /> }.into_any()
        } else {
            view! { <ProgrammeGrid open data=data.clone() slots day now=now.get() /> }.into_any()
        };
        Some(view! {
            <div class="programme">
                <div class="toolbar">
                    <div class="days" role="group" aria-label="Day">{switcher}</div>
                    <div class="views" role="group" aria-label="View">
                        <button class:current=!list on:click={ let go = go_view.clone(); move |_| go(Some(day), false) }>"Grid"</button>
                        <button class:current=list on:click=move |_| go_view(Some(day), true)>"List"</button>
                        <a href=crate::context::use_node().client().url(&format!("/festivals/{}/programme.ics", open.id)) download="programme.ics">"Calendar (.ics)"</a>
                    </div>
                </div>
                {body}
            </div>
        })
    }
}

/// The festival's days, and any day a slot falls on outside them.
fn festival_days(data: &FestivalData) -> Vec<Date> {
    let zone = data.festival.zone();
    let last = Timestamp::from_second(data.festival.end.as_second() - 1).unwrap_or(data.festival.end);
    let mut days = time::days_between(data.festival.start, last.max(data.festival.start), &zone);
    for slot in &data.slots {
        let day = time::day_of(slot.start, &zone);
        if !days.contains(&day) {
            days.push(day);
        }
    }
    days.sort();
    days
}

/// A star that keeps a slot among this device's favourites.
#[component]
pub fn FavouriteStar(open: Open, id: lineup_core::DocumentId) -> impl IntoView {
    let favourites = open.favourites;
    let slot = id;
    view! {
        <button
            class="star"
            class:on=move || favourites.contains(&slot)
            aria-pressed=move || favourites.contains(&slot).to_string()
            title=move || if favourites.contains(&slot) { "Take out of my schedule" } else { "Add to my schedule" }
            on:click=move |_| favourites.toggle(slot)
        >
            {move || if favourites.contains(&slot) { "★" } else { "☆" }}
        </button>
    }
}

#[component]
fn ProgrammeList(open: Open, data: std::sync::Arc<FestivalData>, slots: Vec<Stored<Slot>>) -> impl IntoView {
    let zone = data.festival.zone();
    view! {
        <ul class="slot-list">
            {slots
                .into_iter()
                .map(|slot| {
                    let cancelled = slot.status == SlotStatus::Cancelled;
                    view! {
                        <li class="slot" class:cancelled=cancelled>
                            <span class="when">{time::span(slot.start, slot.end, &zone)}</span>
                            <span class="what">{slot.title.clone()} {cancelled.then_some(" (cancelled)")}</span>
                            <span class="who"><Artists open data=data.clone() item=slot.clone() /></span>
                            <span class="where">{data.area_name(&slot.area)}</span>
                            <FavouriteStar open id=slot.id />
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

/// A slot's (`item`'s) artists, each a link to their page.
#[component]
fn Artists(open: Open, data: std::sync::Arc<FestivalData>, item: Stored<Slot>) -> impl IntoView {
    let named: Vec<(String, String)> = item
        .artists
        .iter()
        .filter_map(|id| data.artists.iter().find(|artist| artist.id == *id))
        .map(|artist| (open.path(&format!("artists/{}", artist.id)), artist.name.clone()))
        .collect();
    named
        .into_iter()
        .map(|(path, name)| view! { <A href=path>{name}</A> " " })
        .collect_view()
}

#[component]
fn ProgrammeGrid(
    open: Open,
    data: std::sync::Arc<FestivalData>,
    slots: Vec<Stored<Slot>>,
    day: Date,
    now: Timestamp,
) -> impl IntoView {
    let zone = data.festival.zone();
    // From the hour the first slot starts in to the end of the last one.
    let first = slots.iter().map(|slot| slot.start).min().unwrap_or(now);
    let last = slots.iter().map(|slot| slot.end).max().unwrap_or(now);
    let from =
        Timestamp::from_second(first.as_second() - first.as_second().rem_euclid(3600)).unwrap_or(first);
    let minutes = |time: Timestamp| (time.as_second() - from.as_second()) as f64 / 60.0;
    let height = minutes(last).max(60.0) * SCALE;
    let hours: Vec<Timestamp> = (0..)
        .map(|hour| Timestamp::from_second(from.as_second() + hour * 3600).unwrap_or(from))
        .take_while(|hour| *hour < last)
        .collect();
    let mut areas: Vec<_> = data
        .areas
        .iter()
        .filter(|area| slots.iter().any(|slot| slot.area == area.id) || area.kind == AreaKind::Stage)
        .cloned()
        .collect();
    areas.sort_by_key(|area| area.kind != AreaKind::Stage);
    let now_line = (time::day_of(now, &zone) == day && from <= now && now < last).then(|| {
        view! {
            <div class="now-line" style=format!("top: calc(var(--head) + {:.0}px)", minutes(now) * SCALE)>
                <span>{format!("now {}", time::clock(now, &zone))}</span>
            </div>
        }
    });
    view! {
        <div class="grid-scroll">
            <div class="grid" style=format!("--columns: {}", areas.len())>
                <div class="corner"></div>
                {areas.iter().map(|area| view! { <div class="area-head">{area.name.clone()}</div> }).collect_view()}
                <div class="hours" style=format!("height: {height:.0}px")>
                    {hours.iter().map(|hour| view! {
                        <span class="hour" style=format!("top: {:.0}px", minutes(*hour) * SCALE)>{time::clock(*hour, &zone)}</span>
                    }).collect_view()}
                </div>
                {areas.iter().map(|area| {
                    let column: Vec<_> = slots.iter().filter(|slot| slot.area == area.id).cloned().collect();
                    let (lanes, count) = lanes(&column);
                    view! {
                        <div class="area-column" style=format!("height: {height:.0}px")>
                            {column.into_iter().zip(lanes).map(|(slot, lane)| {
                                let cancelled = slot.status == SlotStatus::Cancelled;
                                // Clashing slots stand side by side, not on top of each other.
                                let style = format!(
                                    "top: {:.0}px; height: {:.0}px; left: calc({:.3}% + 3px); width: calc({:.3}% - 6px); right: auto",
                                    minutes(slot.start) * SCALE,
                                    ((slot.end.as_second() - slot.start.as_second()) as f64 / 60.0 * SCALE).max(18.0),
                                    100.0 * lane as f64 / count as f64,
                                    100.0 / count as f64,
                                );
                                view! {
                                    <div class="block" class:cancelled=cancelled class:favourite=move || open.favourites.contains(&slot.id) style=style>
                                        <span class="when">{time::span(slot.start, slot.end, &zone)}</span>
                                        <span class="what">{slot.title.clone()}</span>
                                        <span class="who"><Artists open data=data.clone() item=slot.clone() /></span>
                                        <FavouriteStar open id=slot.id />
                                    </div>
                                }
                            }).collect_view()}
                        </div>
                    }
                }).collect_view()}
                {now_line}
            </div>
        </div>
    }
}

/// Which lane each of an area's slots (sorted by start) takes so that slots
/// at the same time sit side by side, and how many lanes there are.
fn lanes(slots: &[Stored<Slot>]) -> (Vec<usize>, usize) {
    let mut ends: Vec<Timestamp> = Vec::new();
    let lanes = slots
        .iter()
        .map(|slot| match ends.iter().position(|end| *end <= slot.start) {
            Some(lane) => {
                ends[lane] = slot.end;
                lane
            }
            None => {
                ends.push(slot.end);
                ends.len() - 1
            }
        })
        .collect();
    (lanes, ends.len().max(1))
}
