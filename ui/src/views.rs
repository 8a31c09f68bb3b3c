//! The app's pages, one module each, named after what the person sees.

pub mod announcements;
pub mod artist;
pub mod channel;
pub mod channels;
pub mod edit;
pub mod festivals;
pub mod home;
pub mod my_schedule;
pub mod network;
pub mod people;
pub mod programme;
pub mod resources;
pub mod settings;
pub mod shifts;
pub mod tasks;

use leptos::prelude::*;
use leptos_router::components::A;

/// An address the app has no page for.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="state empty">
            <h1>"Nothing here"</h1>
            <p>"This address is not a page of Lineup. " <A href="/">"See the festivals"</A></p>
        </section>
    }
}
