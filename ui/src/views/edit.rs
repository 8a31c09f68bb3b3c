//! The organisers' desk: areas, artists and slots, with clashes shown while
//! a slot is typed, before it is saved.

use leptos::prelude::*;
use lineup_core::DocumentId;
use lineup_schemas::fields::Choice;
use lineup_schemas::model::{Area, AreaKind, Artist, Slot, SlotStatus, Stored};
use lineup_schemas::rules::{self, Finding};
use lineup_schemas::Kind;

use crate::actions;
use crate::components::{Doing, DoingNote};
use crate::context::{use_node, use_open};
use crate::festival::FestivalData;
use crate::time;

/// What the organisers edit.
#[component]
pub fn EditProgramme() -> impl IntoView {
    let open = use_open();
    move || match open.cannot_plan() {
        Some(reason) => view! { <p class="reason">{reason}</p> }.into_any(),
        None => view! {
            <div class="edit">
                <Findings />
                <SlotForm />
                <ImportSchedule />
                <div class="columns">
                    <AreaForm />
                    <ArtistForm />
                </div>
            </div>
        }
        .into_any(),
    }
}

/// What the rules find in the programme as it stands.
#[component]
fn Findings() -> impl IntoView {
    let open = use_open();
    move || {
        let data = open.get()?;
        let findings = rules::findings(&data.slots, &data.shifts, &data.signups, &data.bookings);
        if findings.is_empty() {
            return Some(view! { <p class="done">"No clashes in the programme."</p> }.into_any());
        }
        Some(view! {
            <section class="findings" role="alert">
                <h2>"To sort out"</h2>
                <ul>{findings.iter().map(|finding| view! { <li class="warning">{describe(&data, finding)}</li> }).collect_view()}</ul>
            </section>
        }.into_any())
    }
}

/// A finding as the organisers read it.
pub fn describe(data: &FestivalData, finding: &Finding) -> String {
    let zone = data.festival.zone();
    let title = |id: &DocumentId| {
        data.slots
            .iter()
            .find(|slot| slot.id == *id)
            .map(|slot| format!("“{}”", slot.title))
            .unwrap_or_else(|| "the new slot".into())
    };
    match finding {
        Finding::SlotClash(clash) => format!(
            "{} and {} are both on {} at {}",
            title(&clash.first),
            title(&clash.second),
            data.area_name(&clash.area),
            time::span(clash.overlap.start, clash.overlap.end, &zone)
        ),
        Finding::ArtistDoubleBooked(double) => format!(
            "{} plays {} and {} at once, {}",
            data.artist_names(&[double.artist]),
            title(&double.first),
            title(&double.second),
            time::span(double.overlap.start, double.overlap.end, &zone)
        ),
        Finding::OverCapacity(over) => format!(
            "a shift needs {} people and {} signed up",
            over.capacity, over.signed_up
        ),
        Finding::BookingClash(clash) => format!(
            "a resource is booked twice at {}",
            time::span(clash.overlap.start, clash.overlap.end, &zone)
        ),
    }
}

/// The id a slot being typed has, in the rules, until it is saved.
fn draft_id() -> DocumentId {
    let Ok(id) = format!("0020{}", "0".repeat(64)).parse() else {
        unreachable!("a hash of zeros is a document id")
    };
    id
}

/// Adds a slot, or changes the one picked from the list.
#[component]
fn SlotForm() -> impl IntoView {
    let open = use_open();
    let node = use_node();
    let editing: RwSignal<Option<Stored<Slot>>> = RwSignal::new(None);
    let (title, area, start, end) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let artists: RwSignal<Vec<DocumentId>> = RwSignal::new(Vec::new());
    let (description, track, cancelled) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(false),
    );
    let doing = Doing::new();
    let clear = move || {
        editing.set(None);
        for field in [title, area, start, end, description, track] {
            field.set(String::new());
        }
        artists.set(Vec::new());
        cancelled.set(false);
    };
    // The slot as typed so far, if it is one.
    let draft = move || -> Result<Slot, &'static str> {
        let data = open.get().ok_or("the festival has not loaded")?;
        let zone = data.festival.zone();
        let area = data
            .areas
            .iter()
            .find(|candidate| candidate.id.to_string() == area.get())
            .ok_or("choose an area")?;
        let start = time::from_input(&start.get(), &zone).ok_or("give a start")?;
        let end = time::from_input(&end.get(), &zone).ok_or("give an end")?;
        if end <= start {
            return Err("the slot must end after it starts");
        }
        let before = editing.get();
        Ok(Slot {
            festival: open.id,
            title: title.get().trim().to_owned(),
            description: description.get(),
            artists: artists.get(),
            area: area.id,
            start,
            end,
            status: if cancelled.get() {
                SlotStatus::Cancelled
            } else {
                SlotStatus::Scheduled
            },
            track: track.get(),
            language: before
                .as_ref()
                .map(|slot| slot.language.clone())
                .unwrap_or_default(),
            guid: before.map(|slot| slot.guid.clone()).unwrap_or_default(),
        })
    };
    let warnings = move || {
        let data = open.get()?;
        let slot = draft().ok()?;
        let id = editing
            .with(|editing| editing.as_ref().map(|slot| slot.id))
            .unwrap_or_else(draft_id);
        let mut slots: Vec<Stored<Slot>> = data
            .slots
            .iter()
            .filter(|other| other.id != id)
            .cloned()
            .collect();
        slots.push(Stored {
            id,
            view: lineup_core::DocumentViewId::from(lineup_core::OperationId(*id.hash())),
            value: slot,
        });
        let findings: Vec<Finding> = rules::findings(&slots, &[], &[], &[])
            .into_iter()
            .filter(|finding| match finding {
                Finding::SlotClash(clash) => clash.first == id || clash.second == id,
                Finding::ArtistDoubleBooked(double) => double.first == id || double.second == id,
                _ => false,
            })
            .collect();
        (!findings.is_empty()).then(|| {
            view! {
                <ul class="findings" role="alert">
                    {findings.iter().map(|finding| view! { <li class="warning">"Clash: " {describe(&data, finding)}</li> }).collect_view()}
                </ul>
            }
        })
    };
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let slot = match draft() {
            Ok(slot) if slot.title.is_empty() => return doing.refuse("give the slot a title"),
            Ok(slot) => slot,
            Err(problem) => return doing.refuse(problem),
        };
        let client = node.client();
        let before = editing.get_untracked();
        doing.run(
            async move {
                match before {
                    Some(before) => actions::save(&client, before.id, &before.value, &slot).await,
                    None => actions::create(&client, &slot).await.map(drop),
                }
            },
            move |_| clear(),
        );
    };
    let pick = move |slot: Stored<Slot>| {
        let Some(data) = open.get_untracked() else { return };
        let zone = data.festival.zone();
        title.set(slot.title.clone());
        area.set(slot.area.to_string());
        start.set(time::to_input(slot.start, &zone));
        end.set(time::to_input(slot.end, &zone));
        description.set(slot.description.clone());
        track.set(slot.track.clone());
        artists.set(slot.artists.clone());
        cancelled.set(slot.status == SlotStatus::Cancelled);
        editing.set(Some(slot));
    };
    let areas = move || {
        open.get().map(|data| {
            data.areas
                .iter()
                .map(|candidate| {
                    let value = candidate.id.to_string();
                    let selected = value == area.get_untracked();
                    view! { <option value=value selected=selected>{candidate.name.clone()}</option> }
                })
                .collect_view()
        })
    };
    let artist_choices = move || {
        open.get().map(|data| {
            if data.artists.is_empty() {
                return view! { <p class="hint">"No artists yet: add them below."</p> }.into_any();
            }
            data.artists
                .iter()
                .map(|artist| {
                    let id = artist.id;
                    view! {
                        <label class="check">
                            <input
                                type="checkbox"
                                prop:checked=move || artists.with(|chosen| chosen.contains(&id))
                                on:change=move |_| artists.update(|chosen| {
                                    if let Some(at) = chosen.iter().position(|other| *other == id) {
                                        chosen.remove(at);
                                    } else {
                                        chosen.push(id);
                                    }
                                })
                            />
                            {artist.name.clone()}
                        </label>
                    }
                })
                .collect_view()
                .into_any()
        })
    };
    let list = move || {
        let data = open.get()?;
        let zone = data.festival.zone();
        if data.slots.is_empty() {
            return Some(view! { <p class="hint">"No slots yet."</p> }.into_any());
        }
        Some(
            data.slots
                .iter()
                .map(|slot| {
                    let picked = slot.clone();
                    let id = slot.id;
                    let client = node.client();
                    let remove = move |_| {
                        let client = client.clone();
                        doing.run(async move { actions::delete(&client, Kind::Slot, id).await }, |_| ());
                    };
                    view! {
                        <li class="slot">
                            <span class="when">{time::day_and_clock(slot.start, &zone)} "–" {time::clock(slot.end, &zone)}</span>
                            <span class="what">{slot.title.clone()}</span>
                            <span class="where">{data.area_name(&slot.area)}</span>
                            <button class="quiet" on:click=move |_| pick(picked.clone())>"Edit"</button>
                            <button class="quiet" on:click=remove>"Delete"</button>
                        </li>
                    }
                })
                .collect_view()
                .into_any(),
        )
    };
    view! {
        <section class="panel">
            <form on:submit=submit>
                <h2>{move || if editing.with(Option::is_some) { "Change the slot" } else { "Add a slot" }}</h2>
                <label>"Title" <input name="slot_title" bind:value=title /></label>
                <div class="row">
                    <label>"Area" <select name="slot_area" bind:value=area><option value="">"Choose…"</option>{areas}</select></label>
                    <label>"Starts" <input name="slot_start" type="datetime-local" bind:value=start /></label>
                    <label>"Ends" <input name="slot_end" type="datetime-local" bind:value=end /></label>
                </div>
                <fieldset class="artists"><legend>"Artists"</legend>{artist_choices}</fieldset>
                <label>"Track" <input name="slot_track" bind:value=track /></label>
                <label>"Description" <textarea name="slot_description" bind:value=description></textarea></label>
                <label class="check"><input type="checkbox" bind:checked=cancelled />"Cancelled"</label>
                {warnings}
                <button type="submit" disabled=move || doing.pending.get()>
                    {move || if editing.with(Option::is_some) { "Save slot" } else { "Add slot" }}
                </button>
                <Show when=move || editing.with(Option::is_some)>
                    <button type="button" class="quiet" on:click=move |_| clear()>"Cancel"</button>
                </Show>
                <DoingNote doing />
            </form>
            <h3>"Slots"</h3>
            <ul class="slot-list">{list}</ul>
        </section>
    }
}

#[component]
fn AreaForm() -> impl IntoView {
    let open = use_open();
    let node = use_node();
    let (name, location) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let kind = RwSignal::new("stage".to_owned());
    let doing = Doing::new();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if name.get_untracked().trim().is_empty() {
            return doing.refuse("give the area a name");
        }
        let area = Area {
            festival: open.id,
            name: name.get_untracked().trim().to_owned(),
            kind: AreaKind::ALL
                .iter()
                .copied()
                .find(|candidate| candidate.word() == kind.get_untracked())
                .unwrap_or(AreaKind::Other),
            capacity: 0,
            location: location.get_untracked(),
            description: String::new(),
            guid: String::new(),
        };
        let client = node.client();
        doing.run(async move { actions::create(&client, &area).await }, move |_| {
            name.set(String::new());
            location.set(String::new());
        });
    };
    let list = move || {
        open.get().map(|data| {
            data.areas
                .iter()
                .map(|area| {
                    let id = area.id;
                    let client = node.client();
                    let used = data.slots.iter().any(|slot| slot.area == id) || data.shifts.iter().any(|shift| shift.area == id);
                    let remove = move |_| {
                        let client = client.clone();
                        doing.run(async move { actions::delete(&client, Kind::Area, id).await }, |_| ());
                    };
                    view! {
                        <li>
                            {area.name.clone()} <span class="hint">{format!(" {}", area.kind.word().replace('_', " "))}</span>
                            <button class="quiet" on:click=remove disabled=used title=if used { "Slots or shifts are on it" } else { "" }>"Delete"</button>
                        </li>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <section class="panel">
            <form on:submit=submit>
                <h2>"Add an area"</h2>
                <label>"Area name" <input name="area_name" bind:value=name /></label>
                <label>"Kind"
                    <select name="area_kind" bind:value=kind>
                        <option value="stage">"Stage"</option>
                        <option value="camp">"Camp"</option>
                        <option value="info_point">"Info point"</option>
                        <option value="other">"Other"</option>
                    </select>
                </label>
                <label>"Location" <input name="area_location" bind:value=location /></label>
                <button type="submit" disabled=move || doing.pending.get()>"Add area"</button>
                <DoingNote doing />
            </form>
            <ul class="plain">{list}</ul>
        </section>
    }
}

#[component]
fn ArtistForm() -> impl IntoView {
    let open = use_open();
    let node = use_node();
    let (name, bio, links) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let doing = Doing::new();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if name.get_untracked().trim().is_empty() {
            return doing.refuse("give the artist a name");
        }
        let artist = Artist {
            festival: open.id,
            name: name.get_untracked().trim().to_owned(),
            bio: bio.get_untracked(),
            links: links
                .get_untracked()
                .lines()
                .map(str::trim)
                .filter(|link| !link.is_empty())
                .map(str::to_owned)
                .collect(),
            photo: None,
            guid: String::new(),
        };
        let client = node.client();
        doing.run(
            async move { actions::create(&client, &artist).await },
            move |_| {
                name.set(String::new());
                bio.set(String::new());
                links.set(String::new());
            },
        );
    };
    let list = move || {
        open.get().map(|data| {
            data.artists
                .iter()
                .map(|artist| {
                    let id = artist.id;
                    let client = node.client();
                    let remove = move |_| {
                        let client = client.clone();
                        doing.run(async move { actions::delete(&client, Kind::Artist, id).await }, |_| ());
                    };
                    view! { <li>{artist.name.clone()} <button class="quiet" on:click=remove>"Delete"</button></li> }
                })
                .collect_view()
        })
    };
    view! {
        <section class="panel">
            <form on:submit=submit>
                <h2>"Add an artist"</h2>
                <label>"Artist name" <input name="artist_name" bind:value=name /></label>
                <label>"Bio" <textarea name="artist_bio" bind:value=bio></textarea></label>
                <label>"Links, one per line" <textarea name="artist_links" bind:value=links></textarea></label>
                <button type="submit" disabled=move || doing.pending.get()>"Add artist"</button>
                <DoingNote doing />
            </form>
            <ul class="plain">{list}</ul>
        </section>
    }
}

/// Imports a `schedule.xml` or `schedule.json` (what pretalx and frab
/// write) into the festival, all or nothing.
#[component]
fn ImportSchedule() -> impl IntoView {
    let open = use_open();
    let node = use_node();
    let file: NodeRef<leptos::html::Input> = NodeRef::new();
    let doing = Doing::new();
    let imported = RwSignal::new(None::<String>);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(chosen) = file
            .get()
            .and_then(|input| input.files())
            .and_then(|files| files.get(0))
        else {
            return doing.refuse("choose a schedule.xml or schedule.json file");
        };
        let client = node.client();
        let festival = open.id.to_string();
        imported.set(None);
        doing.run(
            async move {
                let text = wasm_bindgen_futures::JsFuture::from(chosen.text())
                    .await
                    .ok()
                    .and_then(|text| text.as_string())
                    .ok_or_else(|| crate::api::ApiError::Refused("the file could not be read".into()))?;
                let answer: serde_json::Value = client
                    .query(
                        "mutation Import($festival: String!, $file: String!) { importSchedule(festival: $festival, file: $file) { created updated } }",
                        serde_json::json!({ "festival": festival, "file": text }),
                    )
                    .await?;
                Ok(format!(
                    "Imported: {} new, {} changed.",
                    answer["importSchedule"]["created"], answer["importSchedule"]["updated"]
                ))
            },
            move |message| imported.set(Some(message)),
        );
    };
    view! {
        <form class="panel" on:submit=submit>
            <h2>"Import a schedule"</h2>
            <p class="hint">
                "A schedule.xml or schedule.json as pretalx and frab export it. Areas, artists and slots are added or updated; a file that does not fit changes nothing. Export: "
                <a href=node.client().url(&format!("/festivals/{}/schedule.xml", open.id)) download="schedule.xml">"schedule.xml"</a> ", "
                <a href=node.client().url(&format!("/festivals/{}/schedule.json", open.id)) download="schedule.json">"schedule.json"</a>
            </p>
            <label>"Schedule file" <input name="schedule_file" type="file" accept=".xml,.json" node_ref=file /></label>
            <button type="submit" disabled=move || doing.pending.get()>
                {move || if doing.pending.get() { "Importing…" } else { "Import" }}
            </button>
            <DoingNote doing />
            {move || imported.get().map(|message| view! { <p class="done" role="status">{message}</p> })}
        </form>
    }
}
