//! The first page: the festivals on this node, founding one, and joining one
//! with an invite.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use lineup_schemas::model::{Festival, Stored};
use lineup_schemas::Kind;
use serde_json::{json, Value as Json};

use crate::actions;
use crate::api::documents::{read_all, selection, PAGE};
use crate::components::{Doing, DoingNote, Empty, Loading, Problem};
use crate::context::{use_node, Loaded};
use crate::festival::Role;
use crate::time;

/// The festivals this node's key belongs to, with their names and dates.
#[component]
pub fn Festivals() -> impl IntoView {
    let node = use_node();
    let festivals = RwSignal::new(Loaded::Loading);
    node.reload_on_change(festivals, |client| async move {
        let query = format!(
            "{{ festivals: all_{id}(first: {PAGE}) {{ documents {{ {selection} }} }} }}",
            id = Kind::Festival.schema_id(),
            selection = selection(Kind::Festival)
        );
        let answer: Json = client.query(&query, json!({})).await?;
        Ok(read_all::<Festival>(&answer["festivals"]).0)
    });
    let list = move || {
        let memberships = node.memberships.get();
        let all = festivals.get();
        match (memberships, all) {
            (Loaded::Failed(error), _) | (_, Loaded::Failed(error)) => view! { <Problem error /> }.into_any(),
            (Loaded::Ready(memberships), Loaded::Ready(all)) => {
                let mine: Vec<(Stored<Festival>, Role)> = memberships
                    .iter()
                    .filter_map(|(id, role)| {
                        Some((all.iter().find(|festival| festival.id == *id)?.clone(), *role))
                    })
                    .collect();
                if mine.is_empty() {
                    return view! {
                        <Empty
                            title="No festivals here yet"
                            hint="Found one below, or join one with the invite an organiser or crew lead gave you."
                        />
                    }
                    .into_any();
                }
                view! {
                    <ul class="cards">
                        {mine.into_iter().map(|(festival, role)| view! { <FestivalCard festival role /> }).collect_view()}
                    </ul>
                }
                .into_any()
            }
            _ => view! { <Loading what="festivals" /> }.into_any(),
        }
    };
    view! {
        <section class="page">
            <h1>"Festivals"</h1>
            {list}
            <Show when=move || node.is_owner()>
                <FoundFestival />
                <JoinFestival />
            </Show>
        </section>
    }
}

#[component]
fn FestivalCard(festival: Stored<Festival>, role: Role) -> impl IntoView {
    let zone = festival.zone();
    let dates = format!(
        "{} – {}",
        time::day_name(time::day_of(festival.start, &zone)),
        time::day_name(time::last_day(festival.end, &zone))
    );
    let name = festival.name.clone();
    view! {
        <li class="card">
            <h2>
                <A href=format!("/f/{}", festival.id)>{name}</A>
            </h2>
            <p class="where">{festival.place.clone()} " · " {dates}</p>
            <span class="badge">{role.label()}</span>
        </li>
    }
}

/// Founds a festival: the node's key becomes its first organiser.
#[component]
fn FoundFestival() -> impl IntoView {
    let node = use_node();
    let navigate = use_navigate();
    let (name, place, description) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let (start, end) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let zone = RwSignal::new(browser_time_zone());
    let doing = Doing::new();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Ok(time_zone) = jiff::tz::TimeZone::get(&zone.get_untracked()) else {
            return doing.refuse(format!(
                "{} is not a time zone (e.g. Europe/Berlin)",
                zone.get_untracked()
            ));
        };
        // A festival day runs from 06:00 to 06:00 the next morning: the
        // festival starts when its first day does and ends when its last does.
        let day = |text: String, what: &str| {
            text.parse::<jiff::civil::Date>()
                .map(|day| time::day_bounds(day, &time_zone))
                .map_err(|_| format!("choose the {what} day"))
        };
        let (start, end) = match (
            day(start.get_untracked(), "first"),
            day(end.get_untracked(), "last"),
        ) {
            (Ok(first), Ok(last)) => (first.0, last.1),
            (Err(problem), _) | (_, Err(problem)) => return doing.refuse(problem),
        };
        if end <= start {
            return doing.refuse("the last day cannot be before the first");
        }
        if name.get_untracked().trim().is_empty() {
            return doing.refuse("give the festival a name");
        }
        let variables = json!({
            "name": name.get_untracked().trim(), "description": description.get_untracked(),
            "place": place.get_untracked(), "start": start.as_second(), "end": end.as_second(),
            "timeZone": zone.get_untracked(),
        });
        let client = node.client();
        let navigate = navigate.clone();
        doing.run(
            async move {
                actions::call(
                    &client,
                    "mutation Found($name: String!, $description: String!, $place: String!, $start: Int!, $end: Int!, $timeZone: String!) \
                     { createFestival(name: $name, description: $description, place: $place, start: $start, end: $end, timeZone: $timeZone) }",
                    variables,
                )
                .await
            },
            move |festival: String| navigate(&format!("/f/{festival}"), Default::default()),
        );
    };
    view! {
        <form class="panel" on:submit=submit>
            <h2>"Found a festival"</h2>
            <label>"Name" <input name="name" required bind:value=name /></label>
            <label>"Place" <input name="place" bind:value=place /></label>
            <div class="row">
                <label>"First day" <input name="start" type="date" required bind:value=start /></label>
                <label>"Last day" <input name="end" type="date" required bind:value=end /></label>
            </div>
            <label>"Time zone" <input name="time_zone" bind:value=zone /></label>
            <label>"Description" <textarea name="description" bind:value=description></textarea></label>
            <button type="submit" disabled=move || doing.pending.get()>"Found festival"</button>
            <DoingNote doing />
        </form>
    }
}

/// Asks to join the group an invite names.
#[component]
fn JoinFestival() -> impl IntoView {
    let node = use_node();
    let invite = RwSignal::new(String::new());
    let asked = RwSignal::new(false);
    let doing = Doing::new();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let code = invite.get_untracked().trim().to_owned();
        if code.parse::<lineup_schemas::Invite>().is_err() {
            return doing.refuse("that is not an invite: it starts with lineup-invite:");
        }
        let client = node.client();
        doing.run(
            async move {
                actions::call(
                    &client,
                    "mutation Join($invite: String!) { joinFestival(invite: $invite) }",
                    json!({ "invite": code }),
                )
                .await
            },
            move |_| {
                asked.set(true);
                invite.set(String::new());
            },
        );
    };
    view! {
        <form class="panel" on:submit=submit>
            <h2>"Join a festival"</h2>
            <p class="hint">"Paste the invite an organiser or crew lead gave you. They accept you on their device; this may take until your devices meet on the network."</p>
            <label>"Invite" <input name="invite" placeholder="lineup-invite:…" bind:value=invite /></label>
            <button type="submit" disabled=move || doing.pending.get()>"Ask to join"</button>
            <DoingNote doing />
            <Show when=move || asked.get()>
                <p class="done" role="status">"Asked. The festival shows here once you are accepted."</p>
            </Show>
        </form>
    }
}

/// The browser's time zone, the likely one of a festival founded here.
fn browser_time_zone() -> String {
    let options =
        js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new()).resolved_options();
    js_sys::Reflect::get(&options, &"timeZone".into())
        .ok()
        .and_then(|zone| zone.as_string())
        .unwrap_or_else(|| "UTC".into())
}
