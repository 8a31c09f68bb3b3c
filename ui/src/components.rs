//! Small pieces every view uses: the states a page can be in, and changes
//! in progress.

use std::future::Future;

use leptos::prelude::*;
use leptos::task::spawn_local;

use lineup_schemas::model::{Document, Stored};

use crate::actions;
use crate::api::{ApiError, Client};
use crate::context::use_open;

/// Something is on its way.
#[component]
pub fn Loading(#[prop(into)] what: String) -> impl IntoView {
    view! { <p class="state loading" role="status">{format!("Loading {what}…")}</p> }
}

/// The node could not answer.
#[component]
pub fn Problem(error: ApiError) -> impl IntoView {
    view! { <p class="state problem" role="alert">{error.to_string()}</p> }
}

/// Nothing here yet, and what would put something here.
#[component]
pub fn Empty(#[prop(into)] title: String, #[prop(into)] hint: String) -> impl IntoView {
    view! {
        <div class="state empty">
            <p class="empty-title">{title}</p>
            <p class="hint">{hint}</p>
        </div>
    }
}

/// Why a control is off, next to it.
#[component]
pub fn Reason(reason: Signal<Option<&'static str>>) -> impl IntoView {
    move || {
        reason
            .get()
            .map(|reason| view! { <p class="reason">{reason}</p> })
    }
}

/// A change the person asked for: pending while the node works on it, then
/// the node's reason if it refused.
#[derive(Clone, Copy)]
pub struct Doing {
    /// The node is working on it.
    pub pending: RwSignal<bool>,
    /// Why it failed.
    pub error: RwSignal<Option<String>>,
}

impl Doing {
    /// Nothing asked yet.
    pub fn new() -> Self {
        Self {
            pending: RwSignal::new(false),
            error: RwSignal::new(None),
        }
    }

    /// Runs a change; `then` runs after it succeeded.
    pub fn run<T: 'static>(
        self,
        change: impl Future<Output = Result<T, ApiError>> + 'static,
        then: impl FnOnce(T) + 'static,
    ) {
        if self.pending.get_untracked() {
            return;
        }
        self.pending.set(true);
        self.error.set(None);
        spawn_local(async move {
            let done = change.await;
            self.pending.set(false);
            match done {
                Ok(value) => then(value),
                Err(error) => self.error.set(Some(error.to_string())),
            }
        });
    }

    /// Changes a document as `edit` says, sending only the fields that
    /// changed; nothing when the document is not (or no longer) here.
    pub fn change<T: Document + Clone + 'static>(
        self,
        client: Client,
        before: Option<Stored<T>>,
        edit: impl FnOnce(&mut T),
    ) {
        let Some(before) = before else { return };
        let mut after = before.value.clone();
        edit(&mut after);
        self.run(
            async move { actions::save(&client, before.id, &before.value, &after).await },
            |_| (),
        );
    }

    /// Shows it fail, without asking the node: a form that cannot be sent.
    pub fn refuse(self, reason: impl Into<String>) {
        self.error.set(Some(reason.into()));
    }
}

/// "Saving…" while a change is under way, and why it failed.
#[component]
pub fn DoingNote(doing: Doing) -> impl IntoView {
    view! {
        <Show when=move || doing.pending.get()>
            <span class="pending" role="status">"Saving…"</span>
        </Show>
        {move || doing.error.get().map(|error| view! { <p class="state problem" role="alert">{error}</p> })}
    }
}

/// The open festival's areas as a `<select>`'s options.
#[component]
pub fn AreaOptions() -> impl IntoView {
    let open = use_open();
    move || {
        open.get().map(|data| {
            data.areas
                .iter()
                .map(|area| view! { <option value=area.id.to_string()>{area.name.clone()}</option> })
                .collect_view()
        })
    }
}
