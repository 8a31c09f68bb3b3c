//! What every view shares: the node, who is looking, live changes, and the
//! festival open in the app.

use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use lineup_core::DocumentId;

use crate::api::live::Live;
use crate::api::{ApiError, Client};
use crate::favourites::Favourites;
use crate::festival::{my_festivals, FestivalData, Role};
use crate::session::Me;

/// The app's connection to its node.
#[derive(Clone, Copy)]
pub struct Node {
    /// The GraphQL client.
    pub client: StoredValue<Client>,
    /// The node's key and whether this browser owns it.
    pub me: RwSignal<Loaded<Me>>,
    /// The node's changes as they happen.
    pub live: Live,
    /// The festivals the node's key belongs to, with its role in each.
    pub memberships: RwSignal<Loaded<Vec<(DocumentId, Role)>>>,
}

/// Something loaded from the node: what the app had last, if anything.
#[derive(Debug, Clone, PartialEq)]
pub enum Loaded<T> {
    /// Asked, no answer yet.
    Loading,
    /// The node could not answer.
    Failed(ApiError),
    /// The answer.
    Ready(T),
}

impl<T> Loaded<T> {
    /// The answer, if there is one.
    pub fn ready(&self) -> Option<&T> {
        match self {
            Loaded::Ready(value) => Some(value),
            _ => None,
        }
    }
}

impl Node {
    /// Connects to the node that served the app.
    pub fn connect(client: Client) -> Self {
        let node = Self {
            live: Live::start(client.clone()),
            client: StoredValue::new(client),
            me: RwSignal::new(Loaded::Loading),
            memberships: RwSignal::new(Loaded::Loading),
        };
        node.reload_on_change(node.me, |client| async move { Me::load(&client).await });
        node.reload_on_change(
            node.memberships,
            |client| async move { my_festivals(&client).await },
        );
        node
    }

    /// The client, to ask the node.
    pub fn client(&self) -> Client {
        self.client.get_value()
    }

    /// Whether this browser acts for the node's key.
    pub fn is_owner(&self) -> bool {
        self.me.with(|me| me.ready().is_some_and(|me| me.owner))
    }

    /// Keeps `target` loaded by `load`, again after every change the node
    /// reports; an answer overtaken by a newer question is dropped.
    pub fn reload_on_change<T, F, Fut>(&self, target: RwSignal<Loaded<T>>, load: F)
    where
        T: Send + Sync + 'static,
        F: Fn(Client) -> Fut + 'static,
        Fut: std::future::Future<Output = Result<T, ApiError>> + 'static,
    {
        let client = self.client;
        let changes = self.live.changes;
        let asked = StoredValue::new(0_u64);
        Effect::new(move |_| {
            changes.track();
            let question = asked.get_value() + 1;
            asked.set_value(question);
            let answer = load(client.get_value());
            spawn_local(async move {
                let answer = answer.await;
                if asked.get_value() != question {
                    return;
                }
                match answer {
                    Ok(value) => target.set(Loaded::Ready(value)),
                    // Keep showing what was there; say the node is gone only
                    // when there was nothing.
                    Err(error) => {
                        if target.with_untracked(|loaded| loaded.ready().is_none()) {
                            target.set(Loaded::Failed(error));
                        }
                    }
                }
            });
        });
    }
}

/// The node, from any view.
pub fn use_node() -> Node {
    expect_context::<Node>()
}

/// The festival open in the app.
#[derive(Clone, Copy)]
pub struct Open {
    /// Its document.
    pub id: DocumentId,
    /// Its documents, reloaded on every change.
    pub data: RwSignal<Loaded<Option<Arc<FestivalData>>>>,
    /// This device's favourites in it.
    pub favourites: Favourites,
    /// What the person may do there; `None` for a visitor, or for an owner
    /// who is not one of its people.
    pub role: Memo<Option<Role>>,
    /// Whether this browser acts for the node's key.
    pub owner: Memo<bool>,
}

impl Open {
    /// Opens a festival.
    pub fn new(node: Node, id: DocumentId) -> Self {
        let data = RwSignal::new(Loaded::Loading);
        node.reload_on_change(data, move |client| async move {
            FestivalData::load(&client, id)
                .await
                .map(|data| data.map(Arc::new))
        });
        let owner = Memo::new(move |_| node.is_owner());
        let role = Memo::new(move |_| {
            if !owner.get() {
                return None;
            }
            node.memberships.with(|memberships| {
                memberships
                    .ready()
                    .and_then(|memberships| memberships.iter().find(|(festival, _)| *festival == id))
                    .map(|(_, role)| *role)
            })
        });
        Self {
            id,
            data,
            favourites: Favourites::of(id),
            role,
            owner,
        }
    }

    /// The festival's documents, once here.
    pub fn get(&self) -> Option<Arc<FestivalData>> {
        self.data.with(|data| data.ready().cloned().flatten())
    }

    /// The festival's documents as they are, without following changes
    /// (for event handlers).
    pub fn get_untracked(&self) -> Option<Arc<FestivalData>> {
        self.data.with_untracked(|data| data.ready().cloned().flatten())
    }

    /// The app's path to one of the festival's pages.
    pub fn path(&self, page: &str) -> String {
        if page.is_empty() {
            format!("/f/{}", self.id)
        } else {
            format!("/f/{}/{page}", self.id)
        }
    }

    /// Why this person may not plan the programme, if they may not.
    pub fn cannot_plan(&self) -> Option<&'static str> {
        match self.role.get() {
            Some(role) if role.plans() => None,
            None if !self.owner.get() => {
                Some("Only the festival's organisers can change this; you are looking as a visitor.")
            }
            Some(Role::Demo) => Some("The demo festival's organisers are made up: nobody can change it."),
            _ => Some("Only the festival's organisers can change this."),
        }
    }

    /// Why this person may not run the crew's things, if they may not.
    pub fn cannot_lead(&self) -> Option<&'static str> {
        match self.role.get() {
            Some(role) if role.leads_crew() => None,
            None if !self.owner.get() => {
                Some("Only crew leads and organisers can change this; you are looking as a visitor.")
            }
            Some(Role::Demo) => Some("The demo festival's crew is made up: nobody can change it."),
            _ => Some("Only crew leads and organisers can change this."),
        }
    }

    /// Why this person may not sign up for shifts, if they may not.
    pub fn cannot_work(&self) -> Option<&'static str> {
        match self.role.get() {
            Some(role) if role.works() => None,
            None if !self.owner.get() => Some("Open Lineup on your own device to sign up."),
            Some(Role::Asked) => Some("Your request to join the crew has not been accepted yet."),
            Some(Role::Demo) => Some("The demo festival's crew is made up: nobody can sign up."),
            _ => Some("Join the crew with an invite to sign up."),
        }
    }
}

/// The festival open in the app, from any of its views.
pub fn use_open() -> Open {
    expect_context::<Open>()
}
