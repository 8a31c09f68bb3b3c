//! An imported schedule against what the festival already has: which rooms,
//! persons and events are new, which changed, and which slots the file no
//! longer has.

use std::collections::{BTreeMap, BTreeSet};

use lineup_core::Value;

use crate::formats::guid::exchange_guid;
use crate::formats::import::{ImportedPerson, ImportedRoom, ImportedSchedule};
use crate::model::{Area, AreaKind, Artist, Document, Programme, Slot, SlotStatus, Stored};
use crate::plan::{Action, Change, Plan, Planned, Target};
use crate::Kind;

/// The changes that bring `programme` to what `schedule` says.
pub(crate) fn plan(schedule: &ImportedSchedule, programme: &Programme) -> Plan {
    let festival = programme.festival.id;
    let mut plan = Plan::default();
    let areas: Vec<&Stored<Area>> = programme
        .areas
        .iter()
        .filter(|area| area.festival == festival)
        .collect();
    let artists: Vec<&Stored<Artist>> = programme
        .artists
        .iter()
        .filter(|artist| artist.festival == festival)
        .collect();

    let rooms = match_rooms(&schedule.rooms, &areas);
    let room_targets: Vec<Target> = schedule
        .rooms
        .iter()
        .zip(rooms)
        .map(|(room, found)| match found {
            Some(Found { document, by_name }) => {
                update_area(&mut plan, room, document, by_name);
                Target::Existing(document.id)
            }
            None => plan.create(
                &Area {
                    festival,
                    name: room.name.clone(),
                    kind: AreaKind::Stage,
                    capacity: room.capacity.unwrap_or(0),
                    location: String::new(),
                    description: String::new(),
                    guid: room.guid.clone().unwrap_or_default(),
                },
                &[],
            ),
        })
        .collect();

    let persons = match_persons(&schedule.persons, &artists);
    let person_targets: Vec<Target> = schedule
        .persons
        .iter()
        .zip(persons)
        .map(|(person, found)| match found {
            Some(Found { document, by_name }) => {
                update_artist(&mut plan, person, document, by_name);
                Target::Existing(document.id)
            }
            None => plan.create(
                &Artist {
                    festival,
                    name: person.name.clone(),
                    bio: person.bio.clone().unwrap_or_default(),
                    links: person.links.clone(),
                    photo: None,
                    guid: person.keys().next().unwrap_or_default().to_owned(),
                },
                &[],
            ),
        })
        .collect();

    // Each slot under its own guid, else under the one it is exported with.
    let slots = programme.slots.iter().filter(|slot| slot.festival == festival);
    let mut by_guid: BTreeMap<String, &Stored<Slot>> = BTreeMap::new();
    for slot in slots.clone().filter(|slot| !slot.guid.is_empty()) {
        by_guid.entry(slot.guid.clone()).or_insert(slot);
    }
    for slot in slots {
        by_guid.entry(exchange_guid(&slot.id, &slot.guid)).or_insert(slot);
    }

    let mut matched = BTreeSet::new();
    for event in &schedule.events {
        let wanted = Slot {
            festival,
            title: event.title.clone(),
            description: event.description.clone(),
            // The relations are planned apart, as they may be to documents
            // this plan creates.
            artists: Vec::new(),
            area: festival,
            start: event.start,
            end: event.end,
            status: SlotStatus::Scheduled,
            track: event.track.clone(),
            language: event.language.clone(),
            guid: event.guid.clone(),
        };
        let area = room_targets[event.room];
        let artists: Vec<Target> = event
            .persons
            .iter()
            .map(|person| person_targets[*person])
            .collect();
        let existing = by_guid
            .get(&event.guid)
            .filter(|slot| !matched.contains(&slot.id));
        match existing {
            None => {
                plan.create(
                    &wanted,
                    &[
                        ("area", Planned::Relation(area)),
                        ("artists", Planned::Relations(artists)),
                    ],
                );
            }
            Some(slot) => {
                matched.insert(slot.id);
                let mut fields = changed_fields(&slot.value, &wanted, &["owner", "guid", "area", "artists"]);
                if area != Target::Existing(slot.area) {
                    fields.insert("area".to_owned(), Planned::Relation(area));
                }
                if artists
                    .iter()
                    .copied()
                    .ne(slot.artists.iter().map(|id| Target::Existing(*id)))
                {
                    fields.insert("artists".to_owned(), Planned::Relations(artists));
                }
                push_update(&mut plan, Kind::Slot, slot, fields);
            }
        }
    }

    // A slot that came from an import (it has a guid) and is no longer in
    // the file is cancelled, not deleted: those who chose it see it go. So
    // is the copy of a slot that two devices imported at once.
    for slot in &programme.slots {
        let gone = slot.festival == festival
            && !slot.guid.is_empty()
            && slot.status == SlotStatus::Scheduled
            && !matched.contains(&slot.id);
        if gone {
            let fields = BTreeMap::from([(
                "status".to_owned(),
                Planned::Value(Value::Str("cancelled".to_owned())),
            )]);
            push_update(&mut plan, Kind::Slot, slot, fields);
        }
    }
    plan
}

/// An existing document an imported one is, and whether only by name.
#[derive(Clone, Copy)]
struct Found<'a, T> {
    document: &'a Stored<T>,
    by_name: bool,
}

/// Rooms by guid first, then by name: without a guid among all areas; with
/// one among the areas that have none yet (they adopt it).
fn match_rooms<'a>(rooms: &[ImportedRoom], areas: &[&'a Stored<Area>]) -> Vec<Option<Found<'a, Area>>> {
    let mut claimed = BTreeSet::new();
    let mut found: Vec<Option<Found<'a, Area>>> = rooms
        .iter()
        .map(|room| {
            let guid = room.guid.as_deref()?;
            let area = areas.iter().find(|area| {
                !claimed.contains(&area.id)
                    && (area.guid == guid || exchange_guid(&area.id, &area.guid) == guid)
            })?;
            claimed.insert(area.id);
            Some(Found {
                document: *area,
                by_name: false,
            })
        })
        .collect();
    for (room, found) in rooms.iter().zip(&mut found) {
        if found.is_some() {
            continue;
        }
        let area = areas.iter().find(|area| {
            !claimed.contains(&area.id)
                && area.name == room.name
                && (room.guid.is_none() || area.guid.is_empty())
        });
        if let Some(area) = area {
            claimed.insert(area.id);
            *found = Some(Found {
                document: *area,
                by_name: true,
            });
        }
    }
    found
}

/// Persons by their guid, code or id (or the artist's exchange guid) first,
/// then by name: without any of those among all artists; with one among the
/// artists that have no guid yet (they adopt it).
fn match_persons<'a>(
    persons: &[ImportedPerson],
    artists: &[&'a Stored<Artist>],
) -> Vec<Option<Found<'a, Artist>>> {
    let mut claimed = BTreeSet::new();
    let mut found: Vec<Option<Found<'a, Artist>>> = persons
        .iter()
        .map(|person| {
            let artist = artists.iter().find(|artist| {
                !claimed.contains(&artist.id)
                    && ((!artist.guid.is_empty() && person.keys().any(|key| key == artist.guid))
                        || person.guid.as_deref() == Some(exchange_guid(&artist.id, &artist.guid).as_str()))
            })?;
            claimed.insert(artist.id);
            Some(Found {
                document: *artist,
                by_name: false,
            })
        })
        .collect();
    for (person, found) in persons.iter().zip(&mut found) {
        if found.is_some() {
            continue;
        }
        let has_keys = person.keys().next().is_some();
        let artist = artists.iter().find(|artist| {
            !claimed.contains(&artist.id)
                && artist.name == person.name
                && (!has_keys || artist.guid.is_empty())
        });
        if let Some(artist) = artist {
            claimed.insert(artist.id);
            *found = Some(Found {
                document: *artist,
                by_name: true,
            });
        }
    }
    found
}

/// A room found by guid takes the file's name; one found by name adopts
/// the file's guid.
fn update_area(plan: &mut Plan, room: &ImportedRoom, area: &Stored<Area>, by_name: bool) {
    let mut wanted = area.value.clone();
    if by_name {
        if let Some(guid) = &room.guid {
            wanted.guid = guid.clone();
        }
    } else {
        wanted.name = room.name.clone();
    }
    let fields = changed_fields(&area.value, &wanted, &[]);
    push_update(plan, Kind::Area, area, fields);
}

/// An artist found by a key takes the file's name; one found by name adopts
/// the file's key; either takes the file's biography when it has one, and
/// the file's links it does not have yet.
fn update_artist(plan: &mut Plan, person: &ImportedPerson, artist: &Stored<Artist>, by_name: bool) {
    let mut wanted = artist.value.clone();
    if by_name {
        if let Some(key) = person.keys().next() {
            wanted.guid = key.to_owned();
        }
    } else {
        wanted.name = person.name.clone();
    }
    if let Some(bio) = &person.bio {
        wanted.bio = bio.clone();
    }
    for link in &person.links {
        if !wanted.links.contains(link) {
            wanted.links.push(link.clone());
        }
    }
    let fields = changed_fields(&artist.value, &wanted, &[]);
    push_update(plan, Kind::Artist, artist, fields);
}

/// The fields of `wanted` that differ from those of `stored`, but `skip`.
fn changed_fields<T: Document>(stored: &T, wanted: &T, skip: &[&str]) -> BTreeMap<String, Planned> {
    let stored = stored.fields();
    wanted
        .fields()
        .into_iter()
        .filter(|(name, value)| !skip.contains(&name.as_str()) && stored.get(name) != Some(value))
        .map(|(name, value)| (name, Planned::Value(value)))
        .collect()
}

/// An update of `document` writing `fields`, if there are any.
fn push_update<T>(plan: &mut Plan, kind: Kind, document: &Stored<T>, fields: BTreeMap<String, Planned>) {
    if fields.is_empty() {
        return;
    }
    plan.changes.push(Change {
        kind,
        action: Action::Update {
            document: document.id,
            previous: document.view.clone(),
        },
        fields,
    });
}
