//! Resources (a van, the PA, the green room) and their bookings, with
//! double bookings flagged.

use std::collections::BTreeSet;

use leptos::prelude::*;
use lineup_core::DocumentId;
use lineup_schemas::fields::Choice;
use lineup_schemas::model::{Booking, BookingState, Resource};
use lineup_schemas::rules::booking_clashes;

use crate::actions;
use crate::components::{Doing, DoingNote, Empty, Reason};
use crate::context::{use_node, use_open};
use crate::time;

/// Every resource with its bookings.
#[component]
pub fn Resources() -> impl IntoView {
    let open = use_open();
    let node = use_node();
    let list = move || {
        let data = open.get()?;
        let zone = data.festival.zone();
        if data.resources.is_empty() {
            return Some(view! { <Empty title="No resources yet" hint="Crew leads and organisers add the things people book: vans, rooms, the PA." /> }.into_any());
        }
        let clashing: BTreeSet<DocumentId> = booking_clashes(&data.bookings)
            .into_iter()
            .flat_map(|clash| [clash.first, clash.second])
            .collect();
        let can_change = open.cannot_lead().is_none();
        Some(view! {
            <div class="resources">
                {data.resources.iter().map(|resource| {
                    let bookings: Vec<_> = data.bookings.iter().filter(|booking| booking.resource == resource.id).cloned().collect();
                    view! {
                        <section class="resource">
                            <h2>{resource.name.clone()}</h2>
                            <p class="description">{resource.description.clone()}</p>
                            {if bookings.is_empty() {
                                view! { <p class="hint">"Not booked."</p> }.into_any()
                            } else {
                                view! {
                                    <ul class="bookings">
                                        {bookings.into_iter().map(|booking| {
                                            let id = booking.id;
                                            let doing = Doing::new();
                                            let cancel = move |_| {
                                                let before = open.get_untracked().and_then(|data| data.bookings.iter().find(|booking| booking.id == id).cloned());
                                                doing.change(node.client(), before, |booking: &mut Booking| booking.state = BookingState::Cancelled);
                                            };
                                            let clash = clashing.contains(&id);
                                            view! {
                                                <li class="booking" class:clash=clash class:cancelled=booking.state == BookingState::Cancelled>
                                                    <span class="when">{time::day_and_clock(booking.start, &zone)} "–" {time::day_and_clock(booking.end, &zone)}</span>
                                                    <span class="who">{data.name_of(&booking.booked_by)}</span>
                                                    <span class="state">{booking.state.word()}</span>
                                                    <span class="hint">{booking.note.clone()}</span>
                                                    {clash.then(|| view! { <span class="warning">"Double booked"</span> })}
                                                    {(can_change && booking.state != BookingState::Cancelled).then(|| view! { <button class="quiet" on:click=cancel>"Cancel booking"</button> })}
                                                    <DoingNote doing />
                                                </li>
                                            }
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                        </section>
                    }
                }).collect_view()}
            </div>
        }.into_any())
    };
    view! {
        <div class="resources-page">
            {list}
            <NewBooking />
            <NewResource />
        </div>
    }
}

#[component]
fn NewResource() -> impl IntoView {
    let open = use_open();
    let node = use_node();
    let (name, description) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let doing = Doing::new();
    let cannot_lead = Signal::derive(move || open.cannot_lead());
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if name.get_untracked().trim().is_empty() {
            return doing.refuse("name the resource");
        }
        let resource = Resource {
            festival: open.id,
            name: name.get_untracked().trim().to_owned(),
            description: description.get_untracked(),
        };
        let client = node.client();
        doing.run(
            async move { actions::create(&client, &resource).await },
            move |_| {
                name.set(String::new());
                description.set(String::new());
            },
        );
    };
    view! {
        <Show when=move || open.owner.get()>
        <form class="panel" on:submit=submit>
            <h2>"Add a resource"</h2>
            <Reason reason=cannot_lead />
            <fieldset disabled=move || cannot_lead.get().is_some()>
                <label>"Resource" <input name="resource_name" bind:value=name /></label>
                <label>"Description" <input name="resource_description" bind:value=description /></label>
                <button type="submit" disabled=move || doing.pending.get()>"Add resource"</button>
            </fieldset>
            <DoingNote doing />
        </form>
        </Show>
    }
}

#[component]
fn NewBooking() -> impl IntoView {
    let open = use_open();
    let node = use_node();
    let (resource, start, end, note) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let doing = Doing::new();
    let cannot_lead = Signal::derive(move || open.cannot_lead());
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(data) = open.get_untracked() else { return };
        let zone = data.festival.zone();
        let Some(me) = node.me.with_untracked(|me| me.ready().map(|me| me.public_key)) else {
            return;
        };
        let Some(resource) = data
            .resources
            .iter()
            .find(|candidate| candidate.id.to_string() == resource.get_untracked())
        else {
            return doing.refuse("choose what to book");
        };
        let (Some(start), Some(end)) = (
            time::from_input(&start.get_untracked(), &zone),
            time::from_input(&end.get_untracked(), &zone),
        ) else {
            return doing.refuse("give the booking a start and an end");
        };
        if end <= start {
            return doing.refuse("the booking must end after it starts");
        }
        let booking = Booking {
            festival: open.id,
            resource: resource.id,
            start,
            end,
            booked_by: me,
            state: BookingState::Confirmed,
            note: note.get_untracked(),
        };
        let client = node.client();
        doing.run(
            async move { actions::create(&client, &booking).await },
            move |_| note.set(String::new()),
        );
    };
    let resources = move || {
        open.get().map(|data| {
            data.resources
                .iter()
                .map(|resource| view! { <option value=resource.id.to_string()>{resource.name.clone()}</option> })
                .collect_view()
        })
    };
    view! {
        <Show when=move || open.owner.get()>
        <form class="panel" on:submit=submit>
            <h2>"Book"</h2>
            <Reason reason=cannot_lead />
            <fieldset disabled=move || cannot_lead.get().is_some()>
                <label>"What" <select name="booking_resource" bind:value=resource><option value="">"Choose…"</option>{resources}</select></label>
                <div class="row">
                    <label>"From" <input name="booking_start" type="datetime-local" bind:value=start /></label>
                    <label>"Until" <input name="booking_end" type="datetime-local" bind:value=end /></label>
                </div>
                <label>"Note" <input name="booking_note" bind:value=note /></label>
                <button type="submit" disabled=move || doing.pending.get()>"Book"</button>
            </fieldset>
            <DoingNote doing />
        </form>
        </Show>
    }
}
