//! A festival's front page: what is on now and next, and the latest news.

use leptos::prelude::*;
use leptos_router::components::A;
use lineup_schemas::model::SlotStatus;

use crate::components::Empty;
use crate::context::use_open;
use crate::time;

/// Now playing, next up, and the latest announcements.
#[component]
pub fn Home() -> impl IntoView {
    let open = use_open();
    // The clock moves on: "now" is looked at again every half minute.
    let now = RwSignal::new(time::now());
    let tick = leptos::prelude::set_interval_with_handle(
        move || now.set(time::now()),
        std::time::Duration::from_secs(30),
    );
    on_cleanup(move || {
        if let Ok(tick) = tick {
            tick.clear();
        }
    });
    move || {
        let data = open.get()?;
        let zone = data.festival.zone();
        let now = now.get();
        let live: Vec<_> = data
            .slots
            .iter()
            .filter(|slot| slot.status == SlotStatus::Scheduled)
            .collect();
        let playing: Vec<_> = live
            .iter()
            .filter(|slot| slot.start <= now && now < slot.end)
            .collect();
        let next: Vec<_> = data
            .areas
            .iter()
            .filter_map(|area| live.iter().find(|slot| slot.area == area.id && slot.start > now))
            .collect();
        let today = time::day_of(now, &zone);
        let item = |slot: &lineup_schemas::model::Stored<lineup_schemas::model::Slot>| {
            let artists = data.artist_names(&slot.artists);
            // Most slots are named after their artist: say it once.
            let artists = if artists == slot.title {
                String::new()
            } else {
                artists
            };
            view! {
                <li class="slot">
                    <span class="when">{time::span(slot.start, slot.end, &zone)}</span>
                    <span class="what">{slot.title.clone()}</span>
                    <span class="who">{artists}</span>
                    <span class="where">{data.area_name(&slot.area)}</span>
                </li>
            }
        };
        let news: Vec<_> = data.announcements.iter().take(3).cloned().collect();
        let during = data.festival.start <= now && now < data.festival.end;
        Some(view! {
            <div class="home">
                <p class="today">
                    {if during { format!("Today: {}", time::day_name(today)) } else {
                        format!("{} – {}", time::day_name(time::day_of(data.festival.start, &zone)), time::day_name(time::last_day(data.festival.end, &zone)))
                    }}
                </p>
                <p class="description">{data.festival.description.clone()}</p>
                <section>
                    <h2>"Now playing"</h2>
                    {if playing.is_empty() {
                        view! { <p class="hint">"Nothing on stage right now."</p> }.into_any()
                    } else {
                        view! { <ul class="slots">{playing.iter().map(|slot| item(slot)).collect_view()}</ul> }.into_any()
                    }}
                </section>
                <section>
                    <h2>"Next up"</h2>
                    {if next.is_empty() {
                        view! { <p class="hint">"Nothing more is planned."</p> }.into_any()
                    } else {
                        view! { <ul class="slots">{next.iter().map(|slot| item(slot)).collect_view()}</ul> }.into_any()
                    }}
                    <A href=open.path("programme")>"The whole programme"</A>
                </section>
                <section>
                    <h2>"Latest news"</h2>
                    {if news.is_empty() {
                        view! { <Empty title="No announcements yet" hint="Organisers post news on the News page." /> }.into_any()
                    } else {
                        view! {
                            <ul class="news">
                                {news.into_iter().map(|news| view! {
                                    <li class=format!("announcement {}", priority_class(news.priority))>
                                        <h3>{news.title.clone()}</h3>
                                        <p class="when">{time::day_and_clock(news.published_at, &zone)}</p>
                                        <p>{news.body.clone()}</p>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </section>
            </div>
        })
    }
}

/// The style of an announcement's priority.
pub fn priority_class(priority: lineup_schemas::model::Priority) -> &'static str {
    use lineup_schemas::fields::Choice;
    priority.word()
}
