//! One channel: its messages as they arrive, sending, and who is in it.
//! What this device cannot read says why, instead of showing ciphertext.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use lineup_core::{DocumentId, PublicKey};

use crate::channels::{self, Channel, Message, Setting};
use crate::components::{Doing, DoingNote, Empty, Loading, Problem};
use crate::context::{use_node, use_open, Loaded, Open};
use crate::festival::{short_key, FestivalData, Role};
use crate::time;
use crate::views::channels::{group_name, group_role, my_key, people_but, OwnersOnly};

/// The channel the address names.
#[component]
pub fn ChannelPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("channel")
            .and_then(|id| id.parse::<DocumentId>().ok())
    });
    view! {
        <OwnersOnly>
            {move || match id.get() {
                None => view! { <p class="state problem">"This address names no channel."</p> }.into_any(),
                Some(id) => view! { <LoadedChannel id /> }.into_any(),
            }}
        </OwnersOnly>
    }
}

#[component]
fn LoadedChannel(id: DocumentId) -> impl IntoView {
    let open = use_open();
    let node = use_node();
    let loaded = RwSignal::new(Loaded::Loading);
    node.reload_on_change(
        loaded,
        move |client| async move { channels::one(&client, id).await },
    );
    // Each part of the page follows only what it shows: a reload that
    // changed nothing there re-renders nothing, and what the person is
    // typing stays.
    let channel = Memo::new(move |_| loaded.with(|loaded| loaded.ready().cloned().flatten()));
    let about = Memo::new(move |_| channel.with(|channel| channel.as_ref().map(About::of)));
    let messages = Memo::new(move |_| {
        channel.with(|channel| {
            channel
                .as_ref()
                .map(|channel| channel.messages.clone())
                .unwrap_or_default()
        })
    });
    let members = Memo::new(move |_| {
        channel.with(|channel| {
            channel
                .as_ref()
                .map(|channel| channel.members.clone())
                .unwrap_or_default()
        })
    });
    let member = Memo::new(move |_| about.with(|about| about.as_ref().is_some_and(|about| about.member)));
    let state = move || {
        loaded.with(|loaded| match loaded {
            Loaded::Loading => Some(view! { <Loading what="the channel" /> }.into_any()),
            Loaded::Failed(error) => Some(view! { <Problem error=error.clone() /> }.into_any()),
            Loaded::Ready(None) => Some(
                view! {
                    <Empty
                        title="No such channel here (yet)"
                        hint="If it was just opened on another device, it shows once that device's changes arrive."
                    />
                }
                .into_any(),
            ),
            Loaded::Ready(Some(_)) => None,
        })
    };
    let heading = move || {
        about.get().map(|about| {
            let sealed = messages.with(|messages| messages.iter().filter(|message| message.letter.is_err()).count());
            view! {
                <h2>{about.name}</h2>
                <p class="hint">
                    {about.setting.label()} ": " {about.setting.meaning()} " Run by " {group_name(&open, about.key_group)} "."
                </p>
                {(!about.member).then(|| view! {
                    <div class="state sealed" role="status">
                        <p class="empty-title">"You are not in this channel"</p>
                        <p class="hint">
                            "Its messages are end-to-end encrypted for its members: this device passes them on but cannot read them. "
                            "Whoever runs the channel can add you."
                        </p>
                        {(sealed > 0).then(|| view! { <p class="hint">{format!("Sealed messages here: {sealed}.")}</p> })}
                    </div>
                })}
            }
        })
    };
    let data = open.get_untracked();
    let me = my_key();
    let zone = data.as_ref().map(|data| data.festival.zone());
    let sender_name = move |key: &PublicKey| {
        let name = name_in(data.as_deref(), key);
        if Some(*key) == me {
            format!("{name} (you)")
        } else {
            name
        }
    };
    // Who runs the channel, while this device is in it.
    let run_by = Memo::new(move |_| {
        about.with(|about| {
            about
                .as_ref()
                .filter(|about| about.member)
                .map(|about| about.key_group)
        })
    });
    let members_panel = move || {
        let key_group = run_by.get()?;
        Some(view! { <Members open id key_group members=members.get() /> })
    };
    view! {
        <p><A href=open.path("channels")>"← All channels"</A></p>
        {state}
        <section class="channel-page">
            {heading}
            <Show when=move || about.with(Option::is_some) && messages.with(Vec::is_empty)>
                <p class="hint">"Nothing said yet."</p>
            </Show>
            <ul class="messages">
                <For
                    each=move || messages.get()
                    // A message read later, or unreadable for another
                    // reason, is drawn anew.
                    key=Message::clone
                    children=move |message| {
                        let sender = sender_name(&message.sender);
                        view! { <MessageRow message sender zone=zone.clone() /> }
                    }
                />
            </ul>
            <Show when=move || member.get()>
                <SendForm id />
            </Show>
            {members_panel}
        </section>
    }
}

/// What the page says about the channel, apart from its messages and members.
#[derive(Debug, Clone, PartialEq)]
struct About {
    name: String,
    setting: Setting,
    key_group: DocumentId,
    member: bool,
}

impl About {
    fn of(channel: &Channel) -> Self {
        Self {
            name: channel.name.clone(),
            setting: channel.setting,
            key_group: channel.key_group,
            member: channel.member,
        }
    }
}

/// Who may add and remove people in a channel run by `key_group`.
fn runners(open: &Open, key_group: DocumentId) -> &'static str {
    match group_role(open, key_group) {
        Some(Role::Organiser) => "Organisers",
        Some(Role::CrewLead) => "Crew leads and organisers",
        _ => "Members of the group that runs it",
    }
}

/// A person's name at the festival, or the start of their key.
fn name_in(data: Option<&FestivalData>, key: &PublicKey) -> String {
    data.map(|data| data.name_of(key))
        .unwrap_or_else(|| short_key(&key.to_string()))
}

#[component]
fn MessageRow(message: Message, sender: String, zone: Option<jiff::tz::TimeZone>) -> impl IntoView {
    match message.letter {
        Ok((text, sent_at)) => view! {
            <li class="message">
                <p class="meta"><span class="who">{sender}</span> " · "
                    <span class="when">{zone.map(|zone| time::day_and_clock(sent_at, &zone))}</span></p>
                <p class="text">{text}</p>
            </li>
        }
        .into_any(),
        Err(why) => view! {
            <li class="message sealed">
                <p class="meta"><span class="who">{sender}</span></p>
                <p class="text">"Cannot be read on this device: " {why}</p>
            </li>
        }
        .into_any(),
    }
}

#[component]
fn SendForm(id: DocumentId) -> impl IntoView {
    let node = use_node();
    let text = RwSignal::new(String::new());
    let doing = Doing::new();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let message = text.get_untracked();
        if message.trim().is_empty() {
            return doing.refuse("write something to send");
        }
        let client = node.client();
        doing.run(
            async move { channels::send(&client, id, &message).await },
            move |_| text.set(String::new()),
        );
    };
    view! {
        <form class="panel send" on:submit=submit>
            <label>"Message" <textarea name="channel_message" bind:value=text></textarea></label>
            <button type="submit" disabled=move || doing.pending.get()>"Send"</button>
            <DoingNote doing />
        </form>
    }
}

#[component]
fn Members(open: Open, id: DocumentId, key_group: DocumentId, members: Vec<PublicKey>) -> impl IntoView {
    let node = use_node();
    let me = my_key();
    let data = open.get_untracked();
    let rows = members
        .iter()
        .map(|key| {
            let key = *key;
            let name = name_in(data.as_deref(), &key);
            let doing = Doing::new();
            let remove = move |_| {
                let client = node.client();
                doing.run(
                    async move { channels::change_members(&client, id, &[key], false).await },
                    |_| (),
                );
            };
            let mine = Some(key) == me;
            view! {
                <li class="member">
                    <span class="who">{name.clone()} {mine.then_some(", you")}</span>
                    {(!mine).then(|| view! {
                        <button class="quiet" on:click=remove disabled=move || doing.pending.get()
                            aria-label=format!("Remove {name}")>"Remove"</button>
                    })}
                    <DoingNote doing />
                </li>
            }
        })
        .collect_view();
    let candidates: Vec<(PublicKey, String)> = data
        .map(|data| people_but(&data, me))
        .unwrap_or_default()
        .into_iter()
        .filter(|(key, _)| !members.contains(key))
        .collect();
    // The select shows the first person: so does the form's choice.
    let first = candidates
        .first()
        .map(|(key, _)| key.to_string())
        .unwrap_or_default();
    let chosen = RwSignal::new(first);
    let doing = Doing::new();
    let add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Ok(key) = chosen.get_untracked().parse::<PublicKey>() else {
            return doing.refuse("choose whom to add");
        };
        let client = node.client();
        doing.run(
            async move { channels::change_members(&client, id, &[key], true).await },
            |_| (),
        );
    };
    let adding = if candidates.is_empty() {
        view! { <p class="hint">"Everyone in the festival's groups is in this channel."</p> }.into_any()
    } else {
        view! {
            <form class="add-member" on:submit=add>
                <label>"Add someone"
                    <select name="channel_add" bind:value=chosen>
                        {candidates.into_iter().map(|(key, name)| view! { <option value=key.to_string()>{name}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit" disabled=move || doing.pending.get()>"Add"</button>
                <DoingNote doing />
            </form>
        }
        .into_any()
    };
    view! {
        <section class="panel channel-members">
            <h3>{format!("Members ({})", members.len())}</h3>
            <ul class="members">{rows}</ul>
            {adding}
            <p class="hint">
                {runners(&open, key_group)} " add and remove people."
                " Whoever is removed reads nothing sent after."
            </p>
        </section>
    }
}
