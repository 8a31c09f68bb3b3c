//! The shifts board: open shifts by area and time, who works them, signing
//! up and leaving, and "my shifts".

use std::sync::Arc;

use leptos::prelude::*;
use lineup_core::{DocumentId, PublicKey};
use lineup_schemas::model::{Shift, ShiftSignup, Stored};
use lineup_schemas::rules::{Roster, Standing};
use lineup_schemas::Kind;

use crate::actions;
use crate::components::{AreaOptions, Doing, DoingNote, Empty, Reason};
use crate::context::{use_node, use_open, Open};
use crate::festival::FestivalData;
use crate::time;

/// All shifts, by area, and mine on top.
#[component]
pub fn Shifts() -> impl IntoView {
    let open = use_open();
    let node = use_node();
    let me = move || {
        node.me
            .with(|me| me.ready().filter(|me| me.owner).map(|me| me.public_key))
    };
    let board = move || {
        let data = open.get()?;
        let rosters = data.rosters();
        let me = me();
        if data.shifts.is_empty() {
            return Some(
                view! { <Empty title="No shifts yet" hint="Crew leads and organisers add shifts below." /> }
                    .into_any(),
            );
        }
        let mine: Vec<Stored<Shift>> = me
            .map(|me| {
                data.shifts
                    .iter()
                    .filter(|shift| {
                        rosters
                            .get(&shift.id)
                            .is_some_and(|roster| roster.standing(&me).is_some())
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let areas: Vec<_> = data
            .areas
            .iter()
            .filter(|area| data.shifts.iter().any(|shift| shift.area == area.id))
            .cloned()
            .collect();
        Some(view! {
            <section class="my-shifts" class:hidden=me.is_none()>
                <h2>"My shifts"</h2>
                {if mine.is_empty() {
                    view! { <p class="hint">"You have not signed up for a shift."</p> }.into_any()
                } else {
                    view! {
                        <ul class="shifts">
                            {mine.into_iter().map(|shift| view! { <ShiftCard open data=data.clone() roster=rosters.get(&shift.id).cloned() shift me /> }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
            {areas.into_iter().map(|area| {
                let shifts: Vec<_> = data.shifts.iter().filter(|shift| shift.area == area.id).cloned().collect();
                view! {
                    <section class="area-shifts">
                        <h2>{area.name.clone()}</h2>
                        <ul class="shifts">
                            {shifts.into_iter().map(|shift| view! { <ShiftCard open data=data.clone() roster=rosters.get(&shift.id).cloned() shift me /> }).collect_view()}
                        </ul>
                    </section>
                }
            }).collect_view()}
        }.into_any())
    };
    view! {
        <div class="shifts-board">
            {board}
            <NewShift />
        </div>
    }
}

#[component]
fn ShiftCard(
    open: Open,
    data: Arc<FestivalData>,
    roster: Option<Roster>,
    shift: Stored<Shift>,
    me: Option<PublicKey>,
) -> impl IntoView {
    let node = use_node();
    let zone = data.festival.zone();
    let roster = roster.unwrap_or(Roster {
        shift: shift.id,
        capacity: shift.capacity,
        confirmed: Vec::new(),
        waiting: Vec::new(),
    });
    let taken = roster.confirmed.len();
    let full = roster.open_places() == 0;
    let standing = me.and_then(|me| roster.standing(&me));
    let my_signups: Vec<DocumentId> = me
        .map(|me| {
            data.signups
                .iter()
                .filter(|signup| signup.shift == shift.id && signup.person == me)
                .map(|signup| signup.id)
                .collect()
        })
        .unwrap_or_default();
    let names = |volunteers: &[lineup_schemas::rules::Volunteer]| {
        volunteers
            .iter()
            .map(|volunteer| data.name_of(&volunteer.person))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let confirmed = names(&roster.confirmed);
    let waiting = names(&roster.waiting);
    let doing = Doing::new();
    let shift_id = shift.id;
    let sign_up = move |_| {
        let Some(person) = me else { return };
        let client = node.client();
        let signup = ShiftSignup {
            person,
            shift: shift_id,
            signed_up_at: time::now(),
        };
        doing.run(async move { actions::create(&client, &signup).await }, |_| ());
    };
    let leave = {
        let my_signups = my_signups.clone();
        move |_| {
            let client = node.client();
            let my_signups = my_signups.clone();
            doing.run(
                async move {
                    for signup in my_signups {
                        actions::delete(&client, Kind::ShiftSignup, signup).await?;
                    }
                    Ok(())
                },
                |_| (),
            )
        }
    };
    let remove = move |_| {
        let client = node.client();
        doing.run(
            async move { actions::delete(&client, Kind::Shift, shift_id).await },
            |_| (),
        );
    };
    let cannot_work = Signal::derive(move || open.cannot_work());
    let signed_up = standing.is_some();
    view! {
        <li class="shift" class:full=full class:mine=signed_up>
            <div class="shift-head">
                <span class="role">{shift.role.clone()}</span>
                <span class="when">{time::day_and_clock(shift.start, &zone)} "–" {time::clock(shift.end, &zone)}</span>
                <span class="places">
                    {if full { format!("Full: {taken} of {}", roster.capacity) } else { format!("{taken} of {} places taken", roster.capacity) }}
                </span>
            </div>
            <p class="description">{shift.description.clone()}</p>
            <p class="roster">
                {(!confirmed.is_empty()).then(|| format!("Working: {confirmed}"))}
                {(!waiting.is_empty()).then(|| format!(" · Waiting: {waiting}"))}
            </p>
            {standing.map(|standing| view! {
                <p class="standing">
                    {match standing {
                        Standing::Confirmed => "You work this shift.".to_owned(),
                        Standing::Waiting { ahead } => format!("You are on the waiting list ({ahead} ahead of you)."),
                    }}
                </p>
            })}
            <div class="actions">
                {if signed_up {
                    view! { <button on:click=leave disabled=move || doing.pending.get()>"Leave"</button> }.into_any()
                } else {
                    view! {
                        <button on:click=sign_up disabled=move || doing.pending.get() || cannot_work.get().is_some()>
                            {if full { "Join waiting list" } else { "Sign up" }}
                        </button>
                        <Reason reason=cannot_work />
                    }.into_any()
                }}
                <Show when=move || open.cannot_lead().is_none()>
                    <button class="quiet" on:click=remove>"Delete shift"</button>
                </Show>
                <DoingNote doing />
            </div>
        </li>
    }
}

/// Crew leads add shifts.
#[component]
fn NewShift() -> impl IntoView {
    let open = use_open();
    let node = use_node();
    let (area, role, start, end) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let (capacity, description) = (RwSignal::new("2".to_owned()), RwSignal::new(String::new()));
    let doing = Doing::new();
    let cannot_lead = Signal::derive(move || open.cannot_lead());
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(data) = open.get() else { return };
        let zone = data.festival.zone();
        let Some(area) = data
            .areas
            .iter()
            .find(|candidate| candidate.id.to_string() == area.get_untracked())
        else {
            return doing.refuse("choose the area of the shift");
        };
        let (Some(start), Some(end)) = (
            time::from_input(&start.get_untracked(), &zone),
            time::from_input(&end.get_untracked(), &zone),
        ) else {
            return doing.refuse("give the shift a start and an end");
        };
        if end <= start {
            return doing.refuse("the shift must end after it starts");
        }
        let Ok(capacity) = capacity.get_untracked().trim().parse::<u32>() else {
            return doing.refuse("say how many people the shift needs");
        };
        if role.get_untracked().trim().is_empty() {
            return doing.refuse("say what the shift does (e.g. Bar, Gate)");
        }
        let shift = Shift {
            festival: open.id,
            area: area.id,
            role: role.get_untracked().trim().to_owned(),
            start,
            end,
            capacity,
            description: description.get_untracked(),
        };
        let client = node.client();
        doing.run(async move { actions::create(&client, &shift).await }, move |_| {
            role.set(String::new());
            description.set(String::new());
        });
    };
    view! {
        <Show when=move || open.owner.get()>
        <form class="panel" on:submit=submit>
            <h2>"Add a shift"</h2>
            <Reason reason=cannot_lead />
            <fieldset disabled=move || cannot_lead.get().is_some()>
                <label>"Area" <select name="area" bind:value=area><option value="">"Choose…"</option><AreaOptions /></select></label>
                <label>"Role" <input name="role" bind:value=role placeholder="Bar" /></label>
                <div class="row">
                    <label>"Starts" <input name="start" type="datetime-local" bind:value=start /></label>
                    <label>"Ends" <input name="end" type="datetime-local" bind:value=end /></label>
                    <label>"People" <input name="capacity" type="number" min="1" bind:value=capacity /></label>
                </div>
                <label>"Description" <textarea name="description" bind:value=description></textarea></label>
                <button type="submit" disabled=move || doing.pending.get()>"Add shift"</button>
            </fieldset>
            <DoingNote doing />
        </form>
        </Show>
    }
}
