//! The app's frame: the routes, the bar at the top, and the festival
//! shell around a festival's pages.

use leptos::prelude::*;
use leptos_router::components::{Outlet, ParentRoute, Route, Router, Routes, A};
use leptos_router::hooks::{use_location, use_params_map};
use leptos_router::path;
use lineup_core::DocumentId;

use crate::api::{ApiError, Client};
use crate::components::{Loading, Problem};
use crate::context::{use_node, Loaded, Node, Open};
use crate::views;

/// The whole app.
#[component]
pub fn App(client: Client) -> impl IntoView {
    let node = Node::connect(client);
    provide_context(node);
    view! {
        <Router>
            <TopBar />
            <main>
                <Routes fallback=|| view! { <views::NotFound /> }>
                    <Route path=path!("/") view=views::festivals::Festivals />
                    <Route path=path!("/network") view=views::network::Network />
                    <Route path=path!("/settings") view=views::settings::Settings />
                    <ParentRoute path=path!("/f/:festival") view=FestivalShell>
                        <Route path=path!("") view=views::home::Home />
                        <Route path=path!("programme") view=views::programme::ProgrammePage />
                        <Route path=path!("artists/:artist") view=views::artist::ArtistPage />
                        <Route path=path!("edit") view=views::edit::EditProgramme />
                        <Route path=path!("shifts") view=views::shifts::Shifts />
                        <Route path=path!("tasks") view=views::tasks::Tasks />
                        <Route path=path!("resources") view=views::resources::Resources />
                        <Route path=path!("announcements") view=views::announcements::Announcements />
                        <Route path=path!("my") view=views::my_schedule::MySchedule />
                        <Route path=path!("people") view=views::people::People />
                        <Route path=path!("channels") view=views::channels::Channels />
                        <Route path=path!("channels/:channel") view=views::channel::ChannelPage />
                    </ParentRoute>
                </Routes>
            </main>
        </Router>
    }
}

/// Instead of the app, when there is no node to talk to.
#[component]
pub fn NoNode(error: ApiError) -> impl IntoView {
    view! {
        <main>
            <section class="page">
                <h1>"Lineup could not start"</h1>
                <Problem error />
            </section>
        </main>
    }
}

/// Lineup, the live state of the connection, and the pages of the node.
#[component]
fn TopBar() -> impl IntoView {
    let node = use_node();
    let live = node.live;
    let status = move || {
        if !live.connected.get() {
            ("offline", "Not connected to the node: reconnecting…".to_owned())
        } else if live.arriving.get() > 0 {
            ("syncing", format!("Receiving {} changes…", live.arriving.get()))
        } else {
            ("live", "Live".to_owned())
        }
    };
    let visitor = move || {
        node.me.with(|me| match me {
            Loaded::Ready(me) if !me.owner => Some(view! { <span class="badge">"Visitor: read-only"</span> }),
            _ => None,
        })
    };
    view! {
        <header class="top">
            <A href="/" attr:class="brand">"Lineup"</A>
            <nav class="node-pages">
                <A href="/network">"Network"</A>
                <A href="/settings">"Settings"</A>
            </nav>
            {visitor}
            <span class=move || format!("live-state {}", status().0) role="status" title=move || status().1>
                {move || status().1}
            </span>
        </header>
    }
}

/// A festival's pages: its name, its tabs, and the page open.
#[component]
fn FestivalShell() -> impl IntoView {
    let params = use_params_map();
    // A memo: moving between the festival's pages changes other parameters,
    // which must not open the festival again.
    let id = Memo::new(move |_| {
        params
            .read()
            .get("festival")
            .and_then(|id| id.parse::<DocumentId>().ok())
    });
    move || match id.get() {
        None => view! { <p class="state problem">"This address names no festival."</p> }.into_any(),
        Some(id) => {
            let open = Open::new(use_node(), id);
            provide_context(open);
            view! { <FestivalFrame open /> }.into_any()
        }
    }
}

/// Whether the page at `path` is the tab at `tab`'s, or one under it (a
/// channel is under Channels); the festival's front page has only itself.
fn shows(path: &str, tab: &str, page: &str) -> bool {
    path == tab || (!page.is_empty() && path.strip_prefix(tab).is_some_and(|rest| rest.starts_with('/')))
}

#[component]
fn FestivalFrame(open: Open) -> impl IntoView {
    let location = use_location();
    let tab = move |page: &'static str, label: &'static str| {
        let href = open.path(page);
        let current = href.clone();
        view! {
            <A href=href attr:class=move || if shows(&location.pathname.get(), &current, page) { "tab current" } else { "tab" }>
                {label}
            </A>
        }
    };
    let header = move || {
        open.data.with(|data| match data {
            Loaded::Loading => view! { <Loading what="the festival" /> }.into_any(),
            Loaded::Failed(error) => view! { <Problem error=error.clone() /> }.into_any(),
            Loaded::Ready(None) => view! {
                <p class="state empty">
                    "This node does not have this festival (yet). If it is on another device, connect to it on the Network page."
                </p>
            }
            .into_any(),
            Loaded::Ready(Some(data)) => {
                let festival = &data.festival;
                let role = open.role.get().map(|role| view! { <span class="badge">{role.label()}</span> });
                view! {
                    <div class="festival-title">
                        <h1>{festival.name.clone()}</h1>
                        <p class="where">{festival.place.clone()}</p>
                        {role}
                    </div>
                }
                .into_any()
            }
        })
    };
    // Channels are the owner's node's to read: a visitor has none.
    let channels = move || open.owner.get().then(|| tab("channels", "Channels"));
    let edits = move || {
        open.cannot_plan()
            .is_none()
            .then(|| tab("edit", "Edit programme"))
    };
    view! {
        <section class="festival">
            {header}
            <nav class="tabs">
                {tab("", "Today")}
                {tab("programme", "Programme")}
                {tab("my", "My schedule")}
                {tab("shifts", "Shifts")}
                {tab("tasks", "Tasks")}
                {tab("resources", "Resources")}
                {tab("announcements", "News")}
                {tab("people", "People")}
                {channels}
                {edits}
            </nav>
            <Show when=move || open.get().is_some()>
                <Outlet />
            </Show>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::shows;

    #[test]
    fn a_tab_is_current_on_its_page_and_the_pages_under_it() {
        assert!(shows("/f/x/channels", "/f/x/channels", "channels"));
        assert!(shows("/f/x/channels/y", "/f/x/channels", "channels"));
        assert!(!shows("/f/x/channelsy", "/f/x/channels", "channels"));
        assert!(shows("/f/x", "/f/x", ""));
        assert!(!shows("/f/x/programme", "/f/x", ""));
    }
}
