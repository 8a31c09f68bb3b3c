//! News for everyone at the festival, and the organisers posting it.

use leptos::prelude::*;
use lineup_schemas::fields::Choice;
use lineup_schemas::model::{Announcement, Priority};
use lineup_schemas::Kind;

use crate::actions;
use crate::components::{Doing, DoingNote, Empty};
use crate::context::{use_node, use_open};
use crate::time;
use crate::views::home::priority_class;

/// Every announcement, newest first.
#[component]
pub fn Announcements() -> impl IntoView {
    let open = use_open();
    let node = use_node();
    let list = move || {
        let data = open.get()?;
        let zone = data.festival.zone();
        if data.announcements.is_empty() {
            return Some(view! { <Empty title="No announcements yet" hint="Organisers post news here; it reaches every device on the network." /> }.into_any());
        }
        let planner = open.cannot_plan().is_none();
        Some(view! {
            <ul class="news">
                {data.announcements.iter().map(|news| {
                    let id = news.id;
                    let doing = Doing::new();
                    let remove = move |_| {
                        let client = node.client();
                        doing.run(async move { actions::delete(&client, Kind::Announcement, id).await }, |_| ());
                    };
                    view! {
                        <li class=format!("announcement {}", priority_class(news.priority))>
                            <h3>{news.title.clone()}</h3>
                            <p class="when">{time::day_and_clock(news.published_at, &zone)} " · " {news.priority.word()}</p>
                            <p>{news.body.clone()}</p>
                            {planner.then(|| view! { <button class="quiet" on:click=remove>"Delete"</button> <DoingNote doing /> })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        }.into_any())
    };
    view! {
        <div class="announcements">
            <NewAnnouncement />
            {list}
        </div>
    }
}

#[component]
fn NewAnnouncement() -> impl IntoView {
    let open = use_open();
    let node = use_node();
    let (title, body) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let priority = RwSignal::new("info".to_owned());
    let doing = Doing::new();
    let cannot_plan = Signal::derive(move || open.cannot_plan());
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if title.get_untracked().trim().is_empty() {
            return doing.refuse("give the announcement a title");
        }
        let announcement = Announcement {
            festival: open.id,
            title: title.get_untracked().trim().to_owned(),
            body: body.get_untracked(),
            priority: Priority::ALL
                .iter()
                .copied()
                .find(|candidate| candidate.word() == priority.get_untracked())
                .unwrap_or(Priority::Info),
            published_at: time::now(),
        };
        let client = node.client();
        doing.run(
            async move { actions::create(&client, &announcement).await },
            move |_| {
                title.set(String::new());
                body.set(String::new());
            },
        );
    };
    view! {
        <Show when=move || cannot_plan.get().is_none()>
            <form class="panel" on:submit=submit>
                <h2>"Announce"</h2>
                <label>"Headline" <input name="announcement_title" bind:value=title /></label>
                <label>"Message" <textarea name="announcement_body" bind:value=body></textarea></label>
                <label>"Priority"
                    <select name="announcement_priority" bind:value=priority>
                        <option value="info">"Info"</option>
                        <option value="important">"Important"</option>
                        <option value="urgent">"Urgent"</option>
                    </select>
                </label>
                <button type="submit" disabled=move || doing.pending.get()>"Publish"</button>
                <DoingNote doing />
            </form>
        </Show>
    }
}
