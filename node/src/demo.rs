//! The demo festival: three days, six areas, 160 artists on 156 slots, 216
//! shifts and the volunteers signed up for them, tasks, bookings and
//! announcements, so that someone trying Lineup sees it full.
//!
//! It is signed by demo keys, made from the node's key but never its
//! identity, and its festival says `demo`. Entries of demo keys never
//! replicate ([`Node::is_demo_key`]): a demo stays on the machine it was
//! made on and can never leak into a real festival.

use std::collections::HashSet;

use jiff::civil::{date, Date};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use lineup_core::{
    DocumentId, DocumentViewId, Entry, LogId, Operation, OperationId, PrivateKey, PublicKey, SchemaId,
};
use lineup_schemas::fields::Fields;
use lineup_schemas::model::{
    Announcement, Area, AreaKind, Artist, Booking, BookingState, Document, Priority, Profile, Resource,
    Shift, ShiftSignup, Slot, SlotStatus, Task,
};
use lineup_schemas::Kind;

use crate::auth::grants::Permissions;
use crate::auth::memberships::{membership_fields, request_fields, Answer};
use crate::auth::schemas::key_group_schemas;
use crate::festival::{found_by, Creator, FestivalDetails, FestivalError, Founded};
use crate::node::{Node, NodeError};

/// How many volunteers sign up for shifts.
const VOLUNTEERS: usize = 40;

/// What the demo made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoFestival {
    /// The festival and its groups.
    pub founded: Founded,
    /// How many entries were signed.
    pub entries: usize,
}

/// The demo's keys: the organiser (who founds the festival), the crew lead
/// and the volunteers. Made from the node's own key, so that they are the
/// same each time on one node, secret, and no one else's.
pub struct DemoKeys {
    organiser: PrivateKey,
    crew_lead: PrivateKey,
    volunteers: Vec<PrivateKey>,
}

impl DemoKeys {
    /// The demo keys of the node whose key is `node_key`.
    pub fn of(node_key: &PrivateKey) -> Self {
        let key = |role: &str, number: usize| {
            let mut material = node_key.to_bytes().to_vec();
            material.extend_from_slice(format!("{role} {number}").as_bytes());
            PrivateKey::from_bytes(&blake3::derive_key("lineup demo key v1", &material))
        };
        Self {
            organiser: key("organiser", 0),
            crew_lead: key("crew lead", 0),
            volunteers: (0..VOLUNTEERS).map(|number| key("volunteer", number)).collect(),
        }
    }

    /// Their public keys.
    pub fn public_keys(&self) -> HashSet<PublicKey> {
        [&self.organiser, &self.crew_lead]
            .into_iter()
            .chain(&self.volunteers)
            .map(PrivateKey::public_key)
            .collect()
    }
}

/// A demo key that signs each new document in a log of its own and gives
/// the entries to the node as a client would.
struct DemoAuthor<'a> {
    node: &'a Node,
    key: &'a PrivateKey,
    next_log: u64,
    signed: usize,
}

impl<'a> DemoAuthor<'a> {
    fn new(node: &'a Node, key: &'a PrivateKey) -> Self {
        Self {
            node,
            key,
            next_log: 0,
            signed: 0,
        }
    }
}

impl Creator for DemoAuthor<'_> {
    async fn create(&mut self, schema: &SchemaId, fields: Fields) -> Result<DocumentId, NodeError> {
        let payload = Operation::create(schema.clone(), fields).encode();
        let (_, entry) = Entry::sign_after(self.key, LogId(self.next_log), &[], &payload)
            .unwrap_or_else(|error| unreachable!("a first entry always signs: {error}"));
        self.node.publish(entry.clone(), payload).await?;
        self.next_log += 1;
        self.signed += 1;
        Ok(DocumentId(entry.hash()))
    }
}

/// Why the demo could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Founding the festival failed.
    #[error(transparent)]
    Festival(#[from] FestivalError),
    /// The node refused an entry.
    #[error(transparent)]
    Node(#[from] NodeError),
}

/// Whether the demo festival is on this node already.
pub async fn is_here(node: &Node) -> Result<bool, NodeError> {
    Ok(node
        .log_heights()
        .await?
        .iter()
        .any(|log| node.is_demo_key(&log.public_key)))
}

/// Makes the demo festival on `node`, signed by `keys` (the node's own,
/// [`DemoKeys::of`]).
pub async fn make(node: &Node, keys: &DemoKeys) -> Result<DemoFestival, DemoError> {
    let zone = TimeZone::get("Europe/Berlin").unwrap_or(TimeZone::UTC);
    let first_day = date(2027, 7, 8);
    let at = |day: Date, hour: i8, minute: i8| -> Timestamp {
        day.at(hour, minute, 0, 0)
            .to_zoned_datetime(zone.clone())
            .map(|zoned| zoned.timestamp())
            .unwrap_or_else(|error| unreachable!("demo times exist in Berlin: {error}"))
    };
    let day = |number: i64| first_day.checked_add(number.days()).unwrap_or(first_day);

    let mut organiser = DemoAuthor::new(node, &keys.organiser);
    let details = FestivalDetails {
        name: "Wiesenklang (demo)".into(),
        description: "A demo festival: three days of music and talks by the lake. Nothing here is real."
            .into(),
        place: "Lake Stechlin, Brandenburg".into(),
        start: at(day(0), 12, 0),
        end: at(day(3), 14, 0),
        time_zone: "Europe/Berlin".into(),
    };
    let founded = found_by(&mut organiser, details, true).await?;
    let festival = founded.festival;

    let areas = make_areas(&mut organiser, festival).await?;
    let artists = make_artists(&mut organiser, festival).await?;
    make_slots(&mut organiser, festival, &areas, &artists, |n, h| {
        at(day(n), h, 0)
    })
    .await?;

    // The crew lead joins the crew leads, accepted by the organiser. Being
    // a member is enough (the crew leads' own memberships give the rest);
    // `can_authorise` in the group would let her revoke the organisers'.
    let mut crew_lead = DemoAuthor::new(node, &keys.crew_lead);
    join(
        &mut crew_lead,
        &mut organiser,
        founded.crew_leads,
        Permissions::default(),
    )
    .await?;
    let shifts = make_shifts(&mut crew_lead, festival, &areas, |n, h| at(day(n), h, 0)).await?;
    let assignees: Vec<PublicKey> = keys.volunteers.iter().map(PrivateKey::public_key).collect();
    make_tasks(&mut crew_lead, festival, &areas, &assignees, |n, h| {
        at(day(n), h, 0)
    })
    .await?;
    make_bookings(&mut crew_lead, festival, |n, h| at(day(n), h, 0)).await?;
    make_announcements(&mut organiser, festival, |n, h, m| at(day(n), h, m)).await?;

    let mut volunteers_signed = 0;
    for number in 0..VOLUNTEERS {
        let mut volunteer = DemoAuthor::new(node, &keys.volunteers[number]);
        join(
            &mut volunteer,
            &mut crew_lead,
            founded.crew,
            Permissions::default(),
        )
        .await?;
        let profile = Profile {
            person: volunteer.key.public_key(),
            display_name: volunteer_name(number),
            about: String::new(),
        };
        volunteer
            .create(Kind::Profile.schema_id(), profile.fields())
            .await?;
        // Each signs up for six shifts, weeks before the festival.
        for pick in 0..6 {
            let shift = shifts[(number * 7 + pick * 37) % shifts.len()];
            let signup = ShiftSignup {
                person: volunteer.key.public_key(),
                shift,
                signed_up_at: at(first_day, 12, 0) - ((number * 97 + pick * 13) as i64 % 900).hours(),
            };
            volunteer
                .create(Kind::ShiftSignup.schema_id(), signup.fields())
                .await?;
        }
        volunteers_signed += volunteer.signed;
    }
    Ok(DemoFestival {
        founded,
        entries: organiser.signed + crew_lead.signed + volunteers_signed,
    })
}

/// `member` asks to join `group`; `authoriser` accepts with `permissions`.
async fn join(
    member: &mut DemoAuthor<'_>,
    authoriser: &mut DemoAuthor<'_>,
    group: DocumentId,
    permissions: Permissions,
) -> Result<(), NodeError> {
    let schemas = key_group_schemas();
    let request = member
        .create(&schemas.request, request_fields(group, None))
        .await?;
    let answer = Answer::Accept {
        permissions,
        schema: None,
    };
    let view = DocumentViewId::from(OperationId(request.0));
    authoriser
        .create(&schemas.membership, membership_fields(group, view, answer))
        .await?;
    Ok(())
}

/// The stages first: the programme happens there.
const AREAS: [(&str, AreaKind, u32, &str); 6] = [
    ("Main Stage", AreaKind::Stage, 8000, "Electronic"),
    ("Lake Stage", AreaKind::Stage, 3000, "Indie"),
    ("Forest Stage", AreaKind::Stage, 1500, "Jazz"),
    ("Workshop Tent", AreaKind::Stage, 300, "Talks"),
    ("Campsite", AreaKind::Camp, 5000, ""),
    ("Info Point", AreaKind::InfoPoint, 0, ""),
];

async fn make_areas(
    organiser: &mut DemoAuthor<'_>,
    festival: DocumentId,
) -> Result<Vec<DocumentId>, NodeError> {
    let mut areas = Vec::new();
    for (number, (name, kind, capacity, _)) in AREAS.iter().enumerate() {
        let area = Area {
            festival,
            name: (*name).into(),
            kind: *kind,
            capacity: *capacity,
            location: format!("Field {}", (b'A' + number as u8) as char),
            description: String::new(),
            guid: String::new(),
        };
        areas.push(organiser.create(Kind::Area.schema_id(), area.fields()).await?);
    }
    Ok(areas)
}

const FIRST_WORDS: [&str; 16] = [
    "Velvet", "Neon", "Paper", "Silver", "Quiet", "Electric", "Northern", "Copper", "Midnight", "Golden",
    "Wild", "Hollow", "Crystal", "Salt", "Static", "Amber",
];
const SECOND_WORDS: [&str; 10] = [
    "Foxes", "Harbour", "Lanterns", "Tides", "Orchard", "Pilots", "Meadows", "Engines", "Ghosts", "Rivers",
];

fn artist_name(number: usize) -> String {
    format!(
        "{} {}",
        FIRST_WORDS[number % FIRST_WORDS.len()],
        SECOND_WORDS[(number / FIRST_WORDS.len()) % SECOND_WORDS.len()]
    )
}

async fn make_artists(
    organiser: &mut DemoAuthor<'_>,
    festival: DocumentId,
) -> Result<Vec<DocumentId>, NodeError> {
    let mut artists = Vec::new();
    for number in 0..160 {
        let name = artist_name(number);
        let artist = Artist {
            festival,
            bio: format!("{name} play their first show by a lake. (A demo artist: not real.)"),
            links: vec![format!(
                "https://example.org/{}",
                name.to_lowercase().replace(' ', "-")
            )],
            name,
            photo: None,
            guid: String::new(),
        };
        artists.push(
            organiser
                .create(Kind::Artist.schema_id(), artist.fields())
                .await?,
        );
    }
    Ok(artists)
}

/// Thirteen slots a day on each stage: the three music stages from 14:00
/// into the night (the last ends at 03:00 the next morning), the workshop
/// tent from 10:00; fifty minutes each, ten to change over.
async fn make_slots(
    organiser: &mut DemoAuthor<'_>,
    festival: DocumentId,
    areas: &[DocumentId],
    artists: &[DocumentId],
    at: impl Fn(i64, i8) -> Timestamp,
) -> Result<(), NodeError> {
    let mut next = 0;
    for day in 0..3 {
        for (stage, (name, _, _, track)) in AREAS.iter().enumerate().take(4) {
            let first_hour = if *name == "Workshop Tent" { 10 } else { 14 };
            for number in 0..13 {
                let hour = first_hour + number;
                let start = at(day + hour / 24, (hour % 24) as i8);
                // Every tenth slot is a back-to-back set by two artists.
                let performers = if (day as usize * 52 + stage * 13 + number as usize) % 10 == 9 {
                    2
                } else {
                    1
                };
                let names: Vec<String> = (0..performers)
                    .map(|n| artist_name((next + n) % artists.len()))
                    .collect();
                let slot = Slot {
                    festival,
                    title: names.join(" b2b "),
                    description: format!("Live on the {name}."),
                    artists: (0..performers)
                        .map(|n| artists[(next + n) % artists.len()])
                        .collect(),
                    area: areas[stage],
                    start,
                    end: start + 50.minutes(),
                    // One set is called off, as happens.
                    status: if day == 1 && stage == 2 && number == 5 {
                        SlotStatus::Cancelled
                    } else {
                        SlotStatus::Scheduled
                    },
                    track: (*track).into(),
                    language: "en".into(),
                    guid: String::new(),
                };
                organiser.create(Kind::Slot.schema_id(), slot.fields()).await?;
                next = (next + performers) % artists.len();
            }
        }
    }
    Ok(())
}

/// What volunteers do where: twelve duties, in six four-hour blocks a day
/// from 10:00, on each of the three days: 216 shifts.
const DUTIES: [(usize, &str, u32); 12] = [
    (0, "Stage hands", 6),
    (0, "Bar", 4),
    (0, "Security", 4),
    (1, "Stage hands", 4),
    (1, "Bar", 3),
    (2, "Stage hands", 3),
    (2, "Bar", 2),
    (3, "Host", 2),
    (4, "Camp watch", 3),
    (4, "Cleaning", 5),
    (5, "Info desk", 2),
    (5, "Gate", 4),
];

async fn make_shifts(
    crew_lead: &mut DemoAuthor<'_>,
    festival: DocumentId,
    areas: &[DocumentId],
    at: impl Fn(i64, i8) -> Timestamp,
) -> Result<Vec<DocumentId>, NodeError> {
    let mut shifts = Vec::new();
    for day in 0..3 {
        for block in 0..6 {
            let hour = 10 + block * 4;
            let start = at(day + hour / 24, (hour % 24) as i8);
            for (area, role, capacity) in DUTIES {
                let shift = Shift {
                    festival,
                    area: areas[area],
                    role: role.into(),
                    start,
                    end: start + 4.hours(),
                    capacity,
                    description: format!("{role} at the {}. Bring water.", AREAS[area].0),
                };
                shifts.push(crew_lead.create(Kind::Shift.schema_id(), shift.fields()).await?);
            }
        }
    }
    Ok(shifts)
}

const TASKS: [&str; 12] = [
    "Fix the fence by the car park",
    "Count the bar floats",
    "Refill the water stations",
    "Check the fire extinguishers",
    "Put up the signposts",
    "Charge the radios",
    "Empty the recycling bins",
    "Test the stage lights",
    "Hand out the wristbands",
    "Brief the night watch",
    "Restock the first-aid kits",
    "Sweep the dance floor",
];

async fn make_tasks(
    crew_lead: &mut DemoAuthor<'_>,
    festival: DocumentId,
    areas: &[DocumentId],
    assignees: &[PublicKey],
    at: impl Fn(i64, i8) -> Timestamp,
) -> Result<(), NodeError> {
    for (number, title) in TASKS.iter().cycle().take(24).enumerate() {
        let task = Task {
            festival,
            title: (*title).into(),
            description: String::new(),
            area: (number % 3 != 2).then(|| areas[number % areas.len()]),
            assignee: (number % 2 == 0).then(|| assignees[number % assignees.len()]),
            due: (number % 4 != 3).then(|| at((number % 3) as i64, 9 + (number % 8) as i8)),
            done: number < 6,
        };
        crew_lead.create(Kind::Task.schema_id(), task.fields()).await?;
    }
    Ok(())
}

const RESOURCES: [(&str, &str); 5] = [
    ("Van", "The white van, keys at the info point"),
    ("Golf cart", "For the campsite rounds"),
    ("Radio set A", "Ten radios with chargers"),
    ("Radio set B", "Ten radios with chargers"),
    ("Generator", "5 kW, diesel"),
];

async fn make_bookings(
    crew_lead: &mut DemoAuthor<'_>,
    festival: DocumentId,
    at: impl Fn(i64, i8) -> Timestamp,
) -> Result<(), NodeError> {
    let mut resources = Vec::new();
    for (name, description) in RESOURCES {
        let resource = Resource {
            festival,
            name: name.into(),
            description: description.into(),
        };
        resources.push(
            crew_lead
                .create(Kind::Resource.schema_id(), resource.fields())
                .await?,
        );
    }
    let booker = crew_lead.key.public_key();
    for number in 0..15 {
        let start = at((number % 3) as i64, 8 + (number * 3 % 12) as i8);
        let booking = Booking {
            festival,
            resource: resources[number % resources.len()],
            start,
            end: start + 2.hours(),
            booked_by: booker,
            state: match number % 5 {
                0 => BookingState::Requested,
                4 => BookingState::Cancelled,
                _ => BookingState::Confirmed,
            },
            note: format!("Run {}", number + 1),
        };
        crew_lead
            .create(Kind::Booking.schema_id(), booking.fields())
            .await?;
    }
    Ok(())
}

const ANNOUNCEMENTS: [(&str, &str, Priority); 8] = [
    (
        "Welcome to Wiesenklang",
        "The gates open at noon. Have a wonderful time!",
        Priority::Important,
    ),
    (
        "Water stations",
        "Free water at the info point and behind the main stage.",
        Priority::Info,
    ),
    ("Lost and found", "Ask at the info point.", Priority::Info),
    (
        "Swimming",
        "The lake is open for swimming from 08:00 to 20:00.",
        Priority::Info,
    ),
    (
        "Forest Stage change",
        "One set on Friday is cancelled; see the programme.",
        Priority::Important,
    ),
    (
        "Thunderstorm warning",
        "Storm expected around 17:00: the stages pause, please shelter.",
        Priority::Urgent,
    ),
    (
        "Breakfast",
        "Breakfast at the campsite from 08:00.",
        Priority::Info,
    ),
    ("Thank you", "See you next year!", Priority::Important),
];

async fn make_announcements(
    organiser: &mut DemoAuthor<'_>,
    festival: DocumentId,
    at: impl Fn(i64, i8, i8) -> Timestamp,
) -> Result<(), NodeError> {
    for (number, (title, body, priority)) in ANNOUNCEMENTS.iter().enumerate() {
        let announcement = Announcement {
            festival,
            title: (*title).into(),
            body: (*body).into(),
            priority: *priority,
            published_at: at((number / 3) as i64, 11 + (number % 3 * 3) as i8, 30),
        };
        organiser
            .create(Kind::Announcement.schema_id(), announcement.fields())
            .await?;
    }
    Ok(())
}

const FIRST_NAMES: [&str; 20] = [
    "Ada", "Ben", "Cleo", "Dara", "Emil", "Fatma", "Gus", "Hana", "Ivo", "Jule", "Kemal", "Lena", "Mika",
    "Nora", "Otto", "Pia", "Quinn", "Rosa", "Sami", "Tilda",
];

fn volunteer_name(number: usize) -> String {
    let initial = (b'A' + (number / FIRST_NAMES.len()) as u8 * 7 % 26) as char;
    format!("{} {initial}.", FIRST_NAMES[number % FIRST_NAMES.len()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_node_has_demo_keys_of_its_own() {
        let node_key = PrivateKey::from_bytes(&[1; 32]);
        let keys = DemoKeys::of(&node_key).public_keys();
        assert_eq!(keys.len(), VOLUNTEERS + 2);
        assert_eq!(keys, DemoKeys::of(&node_key).public_keys(), "the same each time");
        assert!(
            !keys.contains(&node_key.public_key()),
            "never the node's identity"
        );
        let other = DemoKeys::of(&PrivateKey::from_bytes(&[2; 32])).public_keys();
        assert!(keys.is_disjoint(&other));
    }

    #[test]
    fn volunteers_have_different_names() {
        let names: HashSet<String> = (0..VOLUNTEERS).map(volunteer_name).collect();
        assert_eq!(names.len(), VOLUNTEERS);
    }
}
