//! An artist's page: who they are, their links, and when and where they play.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use lineup_core::DocumentId;

use crate::components::Empty;
use crate::context::use_open;
use crate::time;
use crate::views::programme::FavouriteStar;

/// One artist.
#[component]
pub fn ArtistPage() -> impl IntoView {
    let open = use_open();
    let params = use_params_map();
    move || {
        let data = open.get()?;
        let id: Option<DocumentId> = params.read().get("artist").and_then(|id| id.parse().ok());
        let Some(artist) = id.and_then(|id| data.artists.iter().find(|artist| artist.id == id)) else {
            return Some(view! { <Empty title="No such artist here" hint="They may not have arrived from the other devices yet." /> }.into_any());
        };
        let zone = data.festival.zone();
        let slots: Vec<_> = data
            .slots
            .iter()
            .filter(|slot| slot.artists.contains(&artist.id))
            .cloned()
            .collect();
        let photo = artist.photo.map(
            |photo| view! { <img class="photo" src=crate::context::use_node().client().url(&format!("/blobs/{photo}")) alt=artist.name.clone() /> },
        );
        Some(view! {
            <article class="artist page">
                <h2>{artist.name.clone()}</h2>
                {photo}
                <p class="bio">{artist.bio.clone()}</p>
                <ul class="links">
                    {artist.links.iter().map(|link| view! { <li><a href=link.clone() rel="noopener" target="_blank">{link.clone()}</a></li> }).collect_view()}
                </ul>
                <h3>"Plays"</h3>
                {if slots.is_empty() {
                    view! { <p class="hint">"Not in the programme yet."</p> }.into_any()
                } else {
                    view! {
                        <ul class="slot-list">
                            {slots.into_iter().map(|slot| view! {
                                <li class="slot">
                                    <span class="when">{time::day_and_clock(slot.start, &zone)} "–" {time::clock(slot.end, &zone)}</span>
                                    <span class="what">{slot.title.clone()}</span>
                                    <span class="where">{data.area_name(&slot.area)}</span>
                                    <FavouriteStar open id=slot.id />
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </article>
        }.into_any())
    }
}
