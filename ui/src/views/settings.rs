//! Settings: my name as others see it, my identity, and whether this node
//! shares the programme on the network.

use leptos::prelude::*;
use lineup_schemas::model::{Profile, Stored};
use lineup_schemas::Kind;
use serde_json::{json, Value as Json};

use crate::actions;
use crate::api::documents::{read_all, selection, PAGE};
use crate::api::ApiError;
use crate::components::{Doing, DoingNote, Loading, Problem};
use crate::context::{use_node, Loaded};

/// The person's settings.
#[component]
pub fn Settings() -> impl IntoView {
    let node = use_node();
    let profiles = RwSignal::new(Loaded::Loading);
    node.reload_on_change(profiles, |client| async move {
        let query = format!(
            "{{ profiles: all_{id}(first: {PAGE}) {{ documents {{ {selection} }} }} }}",
            id = Kind::Profile.schema_id(),
            selection = selection(Kind::Profile)
        );
        let answer: Json = client.query(&query, json!({})).await?;
        Ok(read_all::<Profile>(&answer["profiles"]).0)
    });
    move || match node.me.get() {
        Loaded::Loading => view! { <Loading what="settings" /> }.into_any(),
        Loaded::Failed(error) => view! { <Problem error /> }.into_any(),
        Loaded::Ready(me) => {
            let mine: Option<Stored<Profile>> = profiles.with(|profiles| {
                profiles.ready().and_then(|profiles| {
                    lineup_schemas::model::profiles_by_person(profiles)
                        .get(&me.public_key)
                        .map(|profile| (*profile).clone())
                })
            });
            view! {
                <section class="page settings">
                    <h1>"Settings"</h1>
                    {if me.owner {
                        view! { <NameForm mine person=me.public_key /> }.into_any()
                    } else {
                        view! { <p class="reason">"You are looking as a visitor: settings belong to the device's owner."</p> }.into_any()
                    }}
                    <section class="panel">
                        <h2>"Identity"</h2>
                        <p>"This device's public key, which others see your changes signed with:"</p>
                        <code class="key">{me.public_key.to_string()}</code>
                    </section>
                    <Show when=move || me.owner && crate::session::in_desktop_app()>
                        <MoveIdentity />
                    </Show>
                    <section class="panel">
                        <h2>"Share on the network"</h2>
                        {match (me.shared, crate::session::in_desktop_app()) {
                            (true, _) => "Other devices on this network can open the programme here (read-only).",
                            (false, true) => "Only this device can open Lineup here. Switch on \"Share programme on this network\" in the Lineup menu to let visitors read the programme.",
                            (false, false) => "Only this device can open Lineup here. Start the node with --http 0.0.0.0:2020 to let visitors read the programme.",
                        }}
                    </section>
                    <Show when=move || me.owner && !crate::session::in_desktop_app()>
                        <button class="quiet" on:click=move |_| {
                            crate::session::forget_token();
                            if let Some(window) = web_sys::window() {
                                let _ = window.location().reload();
                            }
                        }>"Forget the owner token on this browser"</button>
                    </Show>
                </section>
            }
            .into_any()
        }
    }
}

/// The shortest passphrase the app seals an identity with (the node's rule,
/// told before the file dialog opens).
const MIN_PASSPHRASE_CHARS: usize = 8;

/// Moving to a new device: the identity leaves in a passphrase-sealed file
/// and comes in from one, in the desktop app.
#[component]
fn MoveIdentity() -> impl IntoView {
    let passphrase = RwSignal::new(String::new());
    let repeated = RwSignal::new(String::new());
    let exporting = Doing::new();
    let saved_to = RwSignal::new(None::<String>);
    let export = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let chosen = passphrase.get_untracked();
        if chosen.chars().count() < MIN_PASSPHRASE_CHARS {
            return exporting.refuse(format!(
                "Choose a passphrase of at least {MIN_PASSPHRASE_CHARS} characters."
            ));
        }
        if chosen != repeated.get_untracked() {
            return exporting.refuse("The two passphrases differ.");
        }
        saved_to.set(None);
        exporting.run(
            async move {
                crate::desktop_app::export_identity(&chosen)
                    .await
                    .map_err(ApiError::Refused)
            },
            move |path| saved_to.set(path),
        );
    };
    let import_passphrase = RwSignal::new(String::new());
    let importing = Doing::new();
    let import = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let passphrase = import_passphrase.get_untracked();
        importing.run(
            async move {
                crate::desktop_app::import_identity(&passphrase)
                    .await
                    .map_err(ApiError::Refused)
            },
            |imported| {
                // The node restarted with the other key: start over with it.
                if imported.is_some() {
                    if let Some(window) = web_sys::window() {
                        let _ = window.location().reload();
                    }
                }
            },
        );
    };
    view! {
        <form class="panel" on:submit=export>
            <h2>"Move to another device"</h2>
            <p class="hint">"Export your identity into a file sealed with a passphrase, then import it in Lineup on the new device. Keep the file and the passphrase apart: together they let anyone act as you."</p>
            <label>"Passphrase" <input name="passphrase" type="password" autocomplete="new-password" bind:value=passphrase /></label>
            <label>"Passphrase again" <input name="passphrase_again" type="password" autocomplete="new-password" bind:value=repeated /></label>
            <button type="submit" disabled=move || exporting.pending.get()>"Export identity…"</button>
            <DoingNote doing=exporting />
            {move || saved_to.get().map(|path| view! { <p class="done" role="status">"Saved to " <code>{path}</code></p> })}
        </form>
        <form class="panel" on:submit=import>
            <h2>"Take an identity from another device"</h2>
            <p class="reason">"This device becomes the person in the file. Use one identity on one device only: two devices signing as one person fork their logs, and other nodes stop taking that person's changes. Stop using the old device first. A lost device is not moved but revoked: on the festival's People page, an organiser revokes its key."</p>
            <label>"Passphrase" <input name="import_passphrase" type="password" autocomplete="current-password" bind:value=import_passphrase /></label>
            <button type="submit" disabled=move || importing.pending.get()>"Import identity…"</button>
            <DoingNote doing=importing />
        </form>
    }
}

#[component]
fn NameForm(mine: Option<Stored<Profile>>, person: lineup_core::PublicKey) -> impl IntoView {
    let node = use_node();
    let name = RwSignal::new(
        mine.as_ref()
            .map(|profile| profile.display_name.clone())
            .unwrap_or_default(),
    );
    let about = RwSignal::new(
        mine.as_ref()
            .map(|profile| profile.about.clone())
            .unwrap_or_default(),
    );
    let doing = Doing::new();
    let saved = RwSignal::new(false);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let profile = Profile {
            person,
            display_name: name.get_untracked().trim().to_owned(),
            about: about.get_untracked(),
        };
        let client = node.client();
        let before = mine.clone();
        saved.set(false);
        doing.run(
            async move {
                match before {
                    Some(before) => actions::save(&client, before.id, &before.value, &profile).await,
                    None => actions::create(&client, &profile).await.map(drop),
                }
            },
            move |_| saved.set(true),
        );
    };
    view! {
        <form class="panel" on:submit=submit>
            <h2>"Your name"</h2>
            <label>"Display name" <input name="display_name" bind:value=name /></label>
            <label>"About you" <input name="about" bind:value=about placeholder="e.g. lights, first aid" /></label>
            <button type="submit" disabled=move || doing.pending.get()>"Save"</button>
            <DoingNote doing />
            <Show when=move || saved.get()><span class="done" role="status">"Saved"</span></Show>
        </form>
    }
}
