//! A festival as the app shows it: every document of it, read in one
//! request, the people in its groups, and what this person may do there.

use std::collections::{BTreeMap, BTreeSet};

use lineup_core::{DocumentId, PublicKey};
use lineup_schemas::model::{
    Announcement, Area, Artist, Booking, Document, Festival, Profile, Resource, Shift, ShiftSignup, Slot,
    Stored, Task,
};
use lineup_schemas::rules::{self, Roster};
use lineup_schemas::Kind;
use serde::Deserialize;
use serde_json::{json, Value as Json};

use crate::api::documents::{read, read_all, selection, PAGE};
use crate::api::{ApiError, Client};

/// What a person is at a festival.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// Plans the programme and everything else.
    Organiser,
    /// Runs shifts, tasks, resources and bookings; takes in volunteers.
    CrewLead,
    /// Works shifts.
    Crew,
    /// Has asked to join, not yet accepted.
    Asked,
    /// Looks at a demo festival this node made: its people are made up,
    /// so nothing in it can be changed from here.
    Demo,
}

impl Role {
    /// May change the programme, areas, artists and announcements.
    pub fn plans(self) -> bool {
        self == Role::Organiser
    }

    /// May change shifts, tasks, resources and bookings.
    pub fn leads_crew(self) -> bool {
        matches!(self, Role::Organiser | Role::CrewLead)
    }

    /// Works at the festival: may sign up for shifts.
    pub fn works(self) -> bool {
        matches!(self, Role::Organiser | Role::CrewLead | Role::Crew)
    }

    /// As people read it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Organiser => "Organiser",
            Role::CrewLead => "Crew lead",
            Role::Crew => "Crew",
            Role::Asked => "Asked to join",
            Role::Demo => "Demo (read-only)",
        }
    }
}

/// A key group of a festival: who is in it and who asks to be.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// What its members are.
    pub role: Role,
    /// The key group's document.
    pub group: String,
    /// The code that asks to join it.
    pub invite: String,
    /// Its members (keys).
    pub members: Vec<Member>,
    /// Requests to join no one has answered yet.
    pub requests: Vec<Request>,
}

/// A key in a group.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    /// Who.
    pub public_key: String,
    /// The membership that makes them one (revoking it removes them).
    pub membership: String,
    /// Whether they may take others in.
    pub can_authorise: bool,
}

/// A request to join a group.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    /// The request document, which an answer names.
    pub request: String,
    /// Who asks.
    pub public_key: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct People {
    groups: Vec<Group>,
}

/// Everything of one festival.
#[derive(Debug, Clone, PartialEq)]
pub struct FestivalData {
    /// The festival.
    pub festival: Stored<Festival>,
    /// Its areas, by name.
    pub areas: Vec<Stored<Area>>,
    /// Its artists, by name.
    pub artists: Vec<Stored<Artist>>,
    /// Its slots, by start.
    pub slots: Vec<Stored<Slot>>,
    /// Its shifts, by start.
    pub shifts: Vec<Stored<Shift>>,
    /// Sign-ups for its shifts, by members of its groups only: anyone may
    /// write a sign-up, only the crew's count.
    pub signups: Vec<Stored<ShiftSignup>>,
    /// Its tasks.
    pub tasks: Vec<Stored<Task>>,
    /// Its resources, by name.
    pub resources: Vec<Stored<Resource>>,
    /// Bookings of its resources, by start.
    pub bookings: Vec<Stored<Booking>>,
    /// Its announcements, newest first.
    pub announcements: Vec<Stored<Announcement>>,
    /// Everyone's profile, one per key.
    pub profiles: BTreeMap<PublicKey, Stored<Profile>>,
    /// Its groups (empty on a node that cannot tell).
    pub groups: Vec<Group>,
    /// Documents that could not be read yet (something they name has not
    /// arrived).
    pub unreadable: usize,
}

/// The festival of a query's variables, with every kind of its documents.
fn festival_query() -> String {
    let collection = |alias: &str, kind: Kind, filtered: bool| {
        let filter = if filtered {
            ", filter: { owner: { eq: $festival } }"
        } else {
            ""
        };
        format!(
            "{alias}: all_{id}(first: {PAGE}{filter}) {{ documents {{ {selection} }} }}\n",
            id = kind.schema_id(),
            selection = selection(kind),
        )
    };
    let mut query = format!(
        "query Festival($festival: DocumentId!) {{\nfestival: {id}(id: $festival) {{ {selection} }}\n",
        id = Kind::Festival.schema_id(),
        selection = selection(Kind::Festival),
    );
    for (alias, kind) in [
        ("areas", Kind::Area),
        ("artists", Kind::Artist),
        ("slots", Kind::Slot),
        ("shifts", Kind::Shift),
        ("tasks", Kind::Task),
        ("resources", Kind::Resource),
        ("bookings", Kind::Booking),
        ("announcements", Kind::Announcement),
    ] {
        query.push_str(&collection(alias, kind, true));
    }
    query.push_str(&collection("signups", Kind::ShiftSignup, false));
    query.push_str(&collection("profiles", Kind::Profile, false));
    query.push_str(
        "people: festivalPeople(festival: $festival) { groups { role group invite \
         members { publicKey membership canAuthorise } requests { request publicKey } } }\n}",
    );
    query
}

impl FestivalData {
    /// Loads a festival; `None` if the node does not have it.
    pub async fn load(client: &Client, festival: DocumentId) -> Result<Option<Self>, ApiError> {
        let answer: Json = client
            .query(&festival_query(), json!({ "festival": festival.to_string() }))
            .await?;
        if answer["festival"].is_null() {
            return Ok(None);
        }
        Self::from_answer(&answer).map(Some)
    }

    fn from_answer(answer: &Json) -> Result<Self, ApiError> {
        let festival: Stored<Festival> = read(&answer["festival"])?;
        let mut unreadable = 0;
        fn all<T: Document>(answer: &Json, alias: &str, unreadable: &mut usize) -> Vec<Stored<T>> {
            let (documents, missing) = read_all(&answer[alias]);
            *unreadable += missing;
            documents
        }
        let mut areas: Vec<Stored<Area>> = all(answer, "areas", &mut unreadable);
        let mut artists: Vec<Stored<Artist>> = all(answer, "artists", &mut unreadable);
        let mut slots: Vec<Stored<Slot>> = all(answer, "slots", &mut unreadable);
        let mut shifts: Vec<Stored<Shift>> = all(answer, "shifts", &mut unreadable);
        let tasks: Vec<Stored<Task>> = all(answer, "tasks", &mut unreadable);
        let mut resources: Vec<Stored<Resource>> = all(answer, "resources", &mut unreadable);
        let mut bookings: Vec<Stored<Booking>> = all(answer, "bookings", &mut unreadable);
        let mut announcements: Vec<Stored<Announcement>> = all(answer, "announcements", &mut unreadable);
        let signups: Vec<Stored<ShiftSignup>> = all(answer, "signups", &mut unreadable);
        let profiles: Vec<Stored<Profile>> = all(answer, "profiles", &mut unreadable);
        let groups = serde_json::from_value::<Option<People>>(answer["people"].clone())
            .map_err(|error| ApiError::Unexpected(error.to_string()))?
            .map(|people| people.groups)
            .unwrap_or_default();

        areas.sort_by_key(|document| document.name.to_lowercase());
        artists.sort_by_key(|document| document.name.to_lowercase());
        slots.sort_by_key(|slot| (slot.start, slot.end, slot.id));
        shifts.sort_by_key(|shift| (shift.start, shift.end, shift.id));
        resources.sort_by_key(|document| document.name.to_lowercase());
        bookings.sort_by_key(|booking| (booking.start, booking.id));
        announcements
            .sort_by_key(|announcement| std::cmp::Reverse((announcement.published_at, announcement.id)));

        let members: BTreeSet<&str> = groups
            .iter()
            .flat_map(|group| group.members.iter().map(|member| member.public_key.as_str()))
            .collect();
        let festival_shifts: BTreeSet<DocumentId> = shifts.iter().map(|shift| shift.id).collect();
        let signups = signups
            .into_iter()
            .filter(|signup| festival_shifts.contains(&signup.shift))
            .filter(|signup| members.contains(signup.person.to_string().as_str()))
            .collect();
        let profiles = lineup_schemas::model::profiles_by_person(&profiles)
            .into_iter()
            .map(|(person, profile)| (person, profile.clone()))
            .collect();
        Ok(Self {
            festival,
            areas,
            artists,
            slots,
            shifts,
            signups,
            tasks,
            resources,
            bookings,
            announcements,
            profiles,
            groups,
            unreadable,
        })
    }

    /// Every shift's roster.
    pub fn rosters(&self) -> BTreeMap<DocumentId, Roster> {
        rules::rosters(&self.shifts, &self.signups)
    }

    /// A person's name as they chose it, or the start of their key.
    pub fn name_of(&self, person: &PublicKey) -> String {
        self.profiles
            .get(person)
            .map(|profile| profile.display_name.trim())
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| short_key(&person.to_string()))
    }

    /// An area's name.
    pub fn area_name(&self, area: &DocumentId) -> String {
        self.areas
            .iter()
            .find(|candidate| candidate.id == *area)
            .map(|area| area.name.clone())
            .unwrap_or_else(|| "an area not here yet".into())
    }

    /// The names of a slot's artists.
    pub fn artist_names(&self, artists: &[DocumentId]) -> String {
        artists
            .iter()
            .filter_map(|id| self.artists.iter().find(|artist| artist.id == *id))
            .map(|artist| artist.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The first characters of a key, enough to tell people apart.
pub fn short_key(key: &str) -> String {
    format!("{}…", &key[..key.len().min(8)])
}

/// The festivals this node's key belongs to, and as what.
pub async fn my_festivals(client: &Client) -> Result<Vec<(DocumentId, Role)>, ApiError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer {
        my_festivals: Vec<Belonging>,
    }
    #[derive(Deserialize)]
    struct Belonging {
        festival: String,
        role: Role,
    }
    let answer: Answer = client
        .query("{ myFestivals { festival role } }", json!({}))
        .await?;
    answer
        .my_festivals
        .into_iter()
        .map(|belonging| {
            let festival = belonging
                .festival
                .parse()
                .map_err(|_| ApiError::Unexpected(format!("{} is no document id", belonging.festival)))?;
            Ok((festival, belonging.role))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asks_for_every_kind_of_the_festival_in_one_query() {
        let query = festival_query();
        for kind in Kind::ALL.into_iter().filter(|kind| !Kind::SECRET.contains(kind)) {
            assert!(query.contains(&format!("{}", kind.schema_id())), "{kind:?}");
        }
        assert_eq!(query.matches("filter: { owner: { eq: $festival } }").count(), 8);
    }

    #[test]
    fn roles_say_what_they_allow() {
        assert!(Role::Organiser.plans() && Role::Organiser.works());
        assert!(!Role::CrewLead.plans() && Role::CrewLead.leads_crew());
        assert!(!Role::Crew.leads_crew() && Role::Crew.works());
        assert!(!Role::Asked.works());
        assert!(!Role::Demo.plans() && !Role::Demo.works());
    }
}
