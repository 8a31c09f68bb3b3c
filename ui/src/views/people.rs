//! People and roles: the members of each of the festival's groups, who asks
//! to join, invites, and accepting, refusing and revoking.

use leptos::prelude::*;
use serde_json::json;

use crate::actions;
use crate::components::{Doing, DoingNote, Empty};
use crate::context::{use_node, use_open, Open};
use crate::festival::{short_key, Group, Role};

/// The festival's three groups.
#[component]
pub fn People() -> impl IntoView {
    let open = use_open();
    move || {
        let data = open.get()?;
        if data.groups.is_empty() {
            return Some(view! { <Empty title="No groups to show" hint="This node cannot tell who belongs to this festival yet." /> }.into_any());
        }
        Some(view! {
            <div class="people">
                {data.groups.iter().cloned().map(|group| view! { <GroupCard open group /> }).collect_view()}
            </div>
        }.into_any())
    }
}

/// Why this person may not take people into or out of a group, if not.
fn cannot_authorise(open: &Open, group: Role) -> Option<&'static str> {
    match (open.role.get(), group) {
        (Some(Role::Organiser), _) => None,
        (Some(Role::CrewLead), Role::Crew) => None,
        (Some(Role::CrewLead), _) => Some("Only organisers decide who organises and who leads the crew."),
        (None, _) if !open.owner.get() => Some("You are looking as a visitor."),
        (Some(Role::Demo), _) => Some("The demo festival's people are made up."),
        _ => Some(match group {
            Role::Crew => "Only crew leads and organisers take in crew.",
            _ => "Only organisers decide who organises and who leads the crew.",
        }),
    }
}

#[component]
fn GroupCard(open: Open, group: Group) -> impl IntoView {
    let node = use_node();
    let data = open.get_untracked();
    let me = node.me.with_untracked(|me| {
        me.ready()
            .filter(|me| me.owner)
            .map(|me| me.public_key.to_string())
    });
    let name_of = move |key: &str| {
        let short = short_key(key);
        let name = key
            .parse()
            .ok()
            .and_then(|key| data.as_ref().map(|data| data.name_of(&key)))
            .unwrap_or_else(|| short.clone());
        let named = if name == short {
            short
        } else {
            format!("{name} ({short})")
        };
        if me.as_deref() == Some(key) {
            format!("{named}, you")
        } else {
            named
        }
    };
    let reason = cannot_authorise(&open, group.role);
    // Organisers need every right over the festival's documents. Crew leads
    // and crew get those from their group's own memberships; crew leads
    // also create, change and delete what their group itself owns (the
    // channels they run), and only organisers take people in.
    let (authorise, documents) = match group.role {
        Role::Organiser => (true, true),
        Role::CrewLead => (false, true),
        _ => (false, false),
    };
    let heading = match group.role {
        Role::Organiser => "Organisers",
        Role::CrewLead => "Crew leads",
        _ => "Crew",
    };
    let invite = group.invite.clone();
    let copied = RwSignal::new(false);
    let copy = move |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&invite);
            copied.set(true);
        }
    };
    view! {
        <section class="group panel">
            <h2>{heading}</h2>
            <p class="invite">
                "Invite: " <code class="invite-code">{group.invite.clone()}</code>
                <button class="quiet" on:click=copy>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
            </p>
            <h3>"Members"</h3>
            <ul class="members">
                {group.members.iter().map(|member| {
                    let doing = Doing::new();
                    let membership = member.membership.clone();
                    let revocable = !membership.is_empty();
                    let revoke = move |_| {
                        let client = node.client();
                        let membership = membership.clone();
                        doing.run(async move {
                            actions::call(&client, "mutation Revoke($membership: String!) { revokeMembership(membership: $membership) }", json!({ "membership": membership })).await
                        }, |_| ());
                    };
                    view! {
                        <li class="member">
                            <span class="who">{name_of(&member.public_key)}</span>
                            {member.can_authorise.then_some(" · takes people in")}
                            {revocable.then(|| view! {
                                <button class="quiet" on:click=revoke disabled=reason.is_some() title=reason.unwrap_or("")>"Revoke"</button>
                            })}
                            <DoingNote doing />
                        </li>
                    }
                }).collect_view()}
            </ul>
            <h3>"Asking to join"</h3>
            {if group.requests.is_empty() {
                view! { <p class="hint">"Nobody is waiting."</p> }.into_any()
            } else {
                view! {
                    <ul class="requests">
                        {group.requests.iter().map(|request| {
                            let doing = Doing::new();
                            let (for_accept, for_reject) = (request.request.clone(), request.request.clone());
                            let accept = move |_| {
                                let client = node.client();
                                let request = for_accept.clone();
                                doing.run(async move {
                                    actions::call(
                                        &client,
                                        "mutation Accept($request: String!, $authorise: Boolean!, $documents: Boolean!) { acceptMembership(request: $request, canAuthorise: $authorise, canCreate: $documents, canUpdate: $documents, canDelete: $documents) }",
                                        json!({ "request": request, "authorise": authorise, "documents": documents }),
                                    ).await
                                }, |_| ());
                            };
                            let reject = move |_| {
                                let client = node.client();
                                let request = for_reject.clone();
                                doing.run(async move {
                                    actions::call(&client, "mutation Reject($request: String!) { rejectMembership(request: $request) }", json!({ "request": request })).await
                                }, |_| ());
                            };
                            view! {
                                <li class="request">
                                    <span class="who">{name_of(&request.public_key)}</span>
                                    <button on:click=accept disabled=move || reason.is_some() || doing.pending.get()>"Accept"</button>
                                    <button class="quiet" on:click=reject disabled=move || reason.is_some() || doing.pending.get()>"Refuse"</button>
                                    {reason.map(|reason| view! { <p class="reason">{reason}</p> })}
                                    <DoingNote doing />
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
