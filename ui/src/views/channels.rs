//! Crew channels: the festival's channels, whether this device is in each,
//! and opening a new one with some of the festival's people.

use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use lineup_core::{DocumentId, PublicKey};

use crate::channels::{self, Channel, NewChannel, Setting};
use crate::components::{Doing, DoingNote, Empty, Loading, Problem};
use crate::context::{use_node, use_open, Loaded, Open};
use crate::festival::{FestivalData, Role};

/// The festival's channels, and a form for a new one.
#[component]
pub fn Channels() -> impl IntoView {
    view! {
        <OwnersOnly>
            <ChannelList />
            <NewChannelForm />
        </OwnersOnly>
    }
}

/// Channels are read by the owner's node for its owner: a visitor's
/// browser is shown why there is nothing here for it.
#[component]
pub fn OwnersOnly(children: ChildrenFn) -> impl IntoView {
    let node = use_node();
    // Only a change of who is looking renders the page anew: `me` is
    // reloaded on every change the node reports.
    let owner = Memo::new(move |_| node.me.with(|me| me.ready().map(|me| me.owner)));
    move || {
        match owner.get() {
        None => view! { <Loading what="who you are" /> }.into_any(),
        Some(false) => view! {
            <Empty
                title="Crew channels are private"
                hint="They are end-to-end encrypted: only the crew's own devices read them. Open Lineup on your own device."
            />
        }
        .into_any(),
        Some(true) => children().into_any(),
    }
    }
}

#[component]
fn ChannelList() -> impl IntoView {
    let open = use_open();
    let node = use_node();
    let list = RwSignal::new(Loaded::Loading);
    let festival = open.id;
    node.reload_on_change(list, move |client| async move {
        channels::of_festival(&client, festival).await
    });
    move || {
        list.with(|list| match list {
            Loaded::Loading => view! { <Loading what="the channels" /> }.into_any(),
            Loaded::Failed(error) => view! { <Problem error=error.clone() /> }.into_any(),
            Loaded::Ready(list) if list.is_empty() => view! {
                <Empty
                    title="No channels yet"
                    hint="Open one below: what its members write is end-to-end encrypted, and the other devices on the network pass it on without reading it."
                />
            }
            .into_any(),
            Loaded::Ready(list) => view! {
                <ul class="cards channels">
                    {list.iter().map(|channel| view! { <ChannelCard open channel=channel.clone() /> }).collect_view()}
                </ul>
            }
            .into_any(),
        })
    }
}

#[component]
fn ChannelCard(open: Open, channel: Channel) -> impl IntoView {
    let standing = if channel.member {
        format!("You are in it · {} members", channel.members.len())
    } else {
        "You are not in it: its messages are sealed for its members".to_owned()
    };
    view! {
        <li class="card channel" class:sealed=!channel.member>
            <h2><A href=open.path(&format!("channels/{}", channel.id))>{channel.name.clone()}</A></h2>
            <p class="hint">{channel.setting.label()} " · run by " {group_name(&open, channel.key_group)}</p>
            <p class="standing">{standing}</p>
        </li>
    }
}

/// The festival groups whose channels someone in `role` opens and runs:
/// those in which their key may create documents.
pub fn runs_channels_of(role: Option<Role>) -> &'static [Role] {
    match role {
        Some(Role::Organiser) => &[Role::Organiser, Role::CrewLead],
        Some(Role::CrewLead) => &[Role::CrewLead],
        _ => &[],
    }
}

/// Which of the festival's groups `id` is, if it is one of them.
pub fn group_role(open: &Open, id: DocumentId) -> Option<Role> {
    let id = id.to_string();
    open.get_untracked().and_then(|data| {
        data.groups
            .iter()
            .find(|group| group.group == id)
            .map(|group| group.role)
    })
}

/// What people call the festival group `id`.
pub fn group_name(open: &Open, id: DocumentId) -> &'static str {
    group_role(open, id).map_or("a group of this festival", role_heading)
}

/// A festival group's members as a heading names them.
pub fn role_heading(role: Role) -> &'static str {
    match role {
        Role::Organiser => "Organisers",
        Role::CrewLead => "Crew leads",
        _ => "Crew",
    }
}

/// Everyone in the festival's groups but this device's key, by name.
pub fn people_but(data: &FestivalData, me: Option<PublicKey>) -> Vec<(PublicKey, String)> {
    let keys: BTreeSet<PublicKey> = data
        .groups
        .iter()
        .flat_map(|group| &group.members)
        .filter_map(|member| member.public_key.parse().ok())
        .filter(|key| Some(*key) != me)
        .collect();
    let mut people: Vec<(PublicKey, String)> =
        keys.into_iter().map(|key| (key, data.name_of(&key))).collect();
    people.sort_by_key(|(key, name)| (name.to_lowercase(), *key));
    people
}

/// This owner's key, once known.
pub fn my_key() -> Option<PublicKey> {
    use_node()
        .me
        .with_untracked(|me| me.ready().filter(|me| me.owner).map(|me| me.public_key))
}

#[component]
fn NewChannelForm() -> impl IntoView {
    let open = use_open();
    let node = use_node();
    let navigate = use_navigate();
    let me = my_key();
    let name = RwSignal::new(String::new());
    let setting = RwSignal::new(Setting::Chat.word().to_owned());
    let chosen_group = RwSignal::new(String::new());
    let members = RwSignal::new(BTreeSet::<PublicKey>::new());
    let doing = Doing::new();
    // Only a change of what the form offers draws it anew: not every
    // change on the network, which would take the focus from the name.
    let choices = Memo::new(move |_| open.get().map(|data| Choices::of(&data, open.role.get(), me)));
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Ok(key_group) = chosen_group.get_untracked().parse::<DocumentId>() else {
            return doing.refuse("choose the group that runs the channel");
        };
        if name.get_untracked().trim().is_empty() {
            return doing.refuse("give the channel a name");
        }
        let new = NewChannel {
            festival: open.id,
            key_group,
            name: name.get_untracked().trim().to_owned(),
            setting: Setting::parse(&setting.get_untracked()).unwrap_or(Setting::Chat),
            members: members.get_untracked().into_iter().collect(),
        };
        let client = node.client();
        let navigate = navigate.clone();
        doing.run(async move { channels::create(&client, &new).await }, move |id| {
            navigate(&open.path(&format!("channels/{id}")), Default::default());
        });
    };
    move || {
        let Choices {
            groups,
            people,
            everyone_in,
        } = choices.get()?;
        let Some((first_group, _)) = groups.first() else {
            return Some(
                view! {
                    <p class="hint">"Crew leads and organisers open channels and add people to them."</p>
                }
                .into_any(),
            );
        };
        // The select shows the first group: so must the form's choice.
        if chosen_group.get_untracked().is_empty() {
            chosen_group.set(first_group.clone());
        }
        let group_options = groups
            .into_iter()
            .map(|(id, role)| view! { <option value=id>{role_heading(role)}</option> })
            .collect_view();
        let everyone_in = everyone_in
            .into_iter()
            .map(|(role, keys)| {
                let label = format!("Everyone in {}", role_heading(role));
                let empty = keys.is_empty();
                let take = move |_| members.update(|members| members.extend(keys.iter().copied()));
                view! { <button type="button" class="quiet" on:click=take disabled=empty>{label}</button> }
            })
            .collect_view();
        let people = people
            .into_iter()
            .map(|(key, name)| {
                let ticked = move || members.with(|members| members.contains(&key));
                let toggle = move |_| {
                    members.update(|members| {
                        if !members.remove(&key) {
                            members.insert(key);
                        }
                    })
                };
                view! {
                    <label class="check">
                        <input type="checkbox" prop:checked=ticked on:change=toggle />
                        {name}
                    </label>
                }
            })
            .collect_view();
        Some(view! {
            <form class="panel new-channel" on:submit=submit.clone()>
                <h2>"Open a channel"</h2>
                <div class="row">
                    <label>"Channel name" <input name="channel_name" bind:value=name /></label>
                    <label>"Kind"
                        <select name="channel_setting" bind:value=setting>
                            {Setting::ALL.map(|setting| view! { <option value=setting.word()>{setting.label()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>"Run by"
                        <select name="channel_group" bind:value=chosen_group>{group_options}</select>
                    </label>
                </div>
                <p class="hint">{move || Setting::parse(&setting.get()).unwrap_or(Setting::Chat).meaning()}
                    " Whoever runs it adds and removes people."</p>
                <fieldset class="people-choice">
                    <legend>"Members besides you"</legend>
                    <div class="actions">{everyone_in}</div>
                    {people}
                </fieldset>
                <button type="submit" disabled=move || doing.pending.get()>"Open channel"</button>
                <DoingNote doing />
            </form>
        }
        .into_any())
    }
}

/// What the form for a new channel offers.
#[derive(Debug, Clone, PartialEq)]
struct Choices {
    /// The groups (ids) whose channels this person may open, and what they are.
    groups: Vec<(String, Role)>,
    /// Everyone else in the festival's groups, by name.
    people: Vec<(PublicKey, String)>,
    /// Each group's members but this person.
    everyone_in: Vec<(Role, Vec<PublicKey>)>,
}

impl Choices {
    fn of(data: &FestivalData, role: Option<Role>, me: Option<PublicKey>) -> Self {
        let runs = runs_channels_of(role);
        Self {
            groups: data
                .groups
                .iter()
                .filter(|group| runs.contains(&group.role))
                .map(|group| (group.group.clone(), group.role))
                .collect(),
            people: people_but(data, me),
            everyone_in: data
                .groups
                .iter()
                .map(|group| {
                    let keys = group
                        .members
                        .iter()
                        .filter_map(|member| member.public_key.parse().ok())
                        .filter(|key| Some(*key) != me)
                        .collect();
                    (group.role, keys)
                })
                .collect(),
        }
    }
}
