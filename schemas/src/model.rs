//! The festival's documents as typed values: read from the fields a node
//! materialises, written back as the fields of an operation.

use std::ops::Deref;

use jiff::{tz::TimeZone, Timestamp};
use lineup_core::{DocumentId, DocumentViewId, PublicKey};

use crate::fields::{Choice, FieldError, Fields, Reader, Writer};
use crate::Kind;

/// A festival document's typed fields.
pub trait Document: Sized {
    /// Its schema.
    const KIND: Kind;
    /// Reads it from a document's fields, checking what the schema cannot
    /// say (an end after the start, a known time zone).
    fn read(fields: &Fields) -> Result<Self, FieldError>;
    /// Its fields, for a CREATE (or an UPDATE of those that changed).
    fn fields(&self) -> Fields;
}

/// A document as a node holds it: its id, the view read, and its fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored<T> {
    /// The document.
    pub id: DocumentId,
    /// The view its fields were read from (what an UPDATE builds on).
    pub view: DocumentViewId,
    /// Its fields.
    pub value: T,
}

impl<T: Document> Stored<T> {
    /// Reads a document's fields.
    pub fn read(id: DocumentId, view: DocumentViewId, fields: &Fields) -> Result<Self, FieldError> {
        Ok(Self {
            id,
            view,
            value: T::read(fields)?,
        })
    }
}

impl<T> Deref for Stored<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

/// A festival's programme: what exchange formats carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Programme {
    /// The festival.
    pub festival: Stored<Festival>,
    /// Its areas.
    pub areas: Vec<Stored<Area>>,
    /// Its artists.
    pub artists: Vec<Stored<Artist>>,
    /// Its slots, cancelled ones too.
    pub slots: Vec<Stored<Slot>>,
}

/// From `start` to `end`, checked to be in that order.
fn interval(fields: &Reader<'_>) -> Result<(Timestamp, Timestamp), FieldError> {
    let (start, end) = (fields.time("start")?, fields.time("end")?);
    if end <= start {
        return Err(FieldError {
            schema: "",
            field: "end",
            problem: format!("{end} is not after the start {start}"),
        });
    }
    Ok((start, end))
}

/// Names the schema in an error from a helper that does not know it.
fn in_schema<T>(kind: Kind, result: Result<T, FieldError>) -> Result<T, FieldError> {
    result.map_err(|error| FieldError {
        schema: kind.name(),
        ..error
    })
}

macro_rules! choice {
    ($(#[$meta:meta])* $name:ident { $($(#[$variant_meta:meta])* $variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$variant_meta])* $variant),+
        }

        impl Choice for $name {
            const ALL: &'static [Self] = &[$($name::$variant),+];

            fn word(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }
        }
    };
}

/// A festival: its dates, place and time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Festival {
    /// The key group that owns it and everything in it.
    pub organisers: DocumentId,
    /// The key group that runs shifts and tasks (a member of the organisers).
    pub crew_leads: DocumentId,
    /// The key group of everyone working at it.
    pub crew: DocumentId,
    /// Its name.
    pub name: String,
    /// What it is.
    pub description: String,
    /// Where it is.
    pub place: String,
    /// When it opens.
    pub start: Timestamp,
    /// When it closes.
    pub end: Timestamp,
    /// The IANA time zone its times are shown in.
    pub time_zone: String,
    /// A demo festival, never a real one.
    pub demo: bool,
}

impl Festival {
    /// The festival's time zone.
    pub fn zone(&self) -> TimeZone {
        // Checked when read; a festival made in code falls back to UTC.
        TimeZone::get(&self.time_zone).unwrap_or(TimeZone::UTC)
    }
}

impl Document for Festival {
    const KIND: Kind = Kind::Festival;

    fn read(fields: &Fields) -> Result<Self, FieldError> {
        let reader = Reader::new(Self::KIND.name(), fields);
        let (start, end) = in_schema(Self::KIND, interval(&reader))?;
        let time_zone = reader.str("time_zone")?;
        if TimeZone::get(&time_zone).is_err() {
            return Err(FieldError {
                schema: Self::KIND.name(),
                field: "time_zone",
                problem: format!("{time_zone:?} is not an IANA time zone"),
            });
        }
        Ok(Self {
            organisers: reader.relation("owner")?,
            crew_leads: reader.relation("crew_leads")?,
            crew: reader.relation("crew")?,
            name: reader.str("name")?,
            description: reader.str("description")?,
            place: reader.str("place")?,
            start,
            end,
            time_zone,
            demo: reader.bool("demo")?,
        })
    }

    fn fields(&self) -> Fields {
        Writer::default()
            .relation("owner", self.organisers)
            .relation("crew_leads", self.crew_leads)
            .relation("crew", self.crew)
            .str("name", &self.name)
            .str("description", &self.description)
            .str("place", &self.place)
            .time("start", self.start)
            .time("end", self.end)
            .str("time_zone", &self.time_zone)
            .bool("demo", self.demo)
            .done()
    }
}

choice!(
    /// What an area is.
    AreaKind {
        /// A stage: the programme happens here.
        Stage = "stage",
        /// A camp.
        Camp = "camp",
        /// An info point.
        InfoPoint = "info_point",
        /// Anything else.
        Other = "other",
    }
);

/// A place at a festival.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    /// The festival it belongs to.
    pub festival: DocumentId,
    /// Its name.
    pub name: String,
    /// What it is.
    pub kind: AreaKind,
    /// How many people it holds; 0 when unknown.
    pub capacity: u32,
    /// Where it is, in words.
    pub location: String,
    /// What it is, in words.
    pub description: String,
    /// Its id in exchange formats; empty: derived from the document id.
    pub guid: String,
}

impl Document for Area {
    const KIND: Kind = Kind::Area;

    fn read(fields: &Fields) -> Result<Self, FieldError> {
        let reader = Reader::new(Self::KIND.name(), fields);
        Ok(Self {
            festival: reader.relation("owner")?,
            name: reader.str("name")?,
            kind: reader.choice("kind")?,
            capacity: reader.count("capacity")?,
            location: reader.str("location")?,
            description: reader.str("description")?,
            guid: reader.str("guid")?,
        })
    }

    fn fields(&self) -> Fields {
        Writer::default()
            .relation("owner", self.festival)
            .str("name", &self.name)
            .choice("kind", self.kind)
            .int("capacity", self.capacity.into())
            .str("location", &self.location)
            .str("description", &self.description)
            .str("guid", &self.guid)
            .done()
    }
}

/// Someone who performs or speaks.
#[derive(Debug, Clone, PartialEq)]
pub struct Artist {
    /// The festival they appear at.
    pub festival: DocumentId,
    /// Their name.
    pub name: String,
    /// About them.
    pub bio: String,
    /// Their web pages.
    pub links: Vec<String>,
    /// Their photo, a blob.
    pub photo: Option<DocumentId>,
    /// Their id in exchange formats; empty: derived from the document id.
    pub guid: String,
}

impl Document for Artist {
    const KIND: Kind = Kind::Artist;

    fn read(fields: &Fields) -> Result<Self, FieldError> {
        let reader = Reader::new(Self::KIND.name(), fields);
        Ok(Self {
            festival: reader.relation("owner")?,
            name: reader.str("name")?,
            bio: reader.str("bio")?,
            links: reader
                .str("links")?
                .lines()
                .map(str::trim)
                .filter(|link| !link.is_empty())
                .map(str::to_owned)
                .collect(),
            photo: reader.optional_relation("photo")?,
            guid: reader.str("guid")?,
        })
    }

    fn fields(&self) -> Fields {
        Writer::default()
            .relation("owner", self.festival)
            .str("name", &self.name)
            .str("bio", &self.bio)
            .str("links", &self.links.join("\n"))
            .optional_relation("photo", self.photo)
            .str("guid", &self.guid)
            .done()
    }
}

choice!(
    /// Whether a slot happens.
    SlotStatus {
        /// It happens as planned.
        Scheduled = "scheduled",
        /// It does not happen.
        Cancelled = "cancelled",
    }
);

/// A programme item: artists on an area from start to end.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    /// The festival it is part of.
    pub festival: DocumentId,
    /// What it is called.
    pub title: String,
    /// What happens.
    pub description: String,
    /// Who performs, in order.
    pub artists: Vec<DocumentId>,
    /// Where.
    pub area: DocumentId,
    /// When it starts.
    pub start: Timestamp,
    /// When it ends.
    pub end: Timestamp,
    /// Whether it happens.
    pub status: SlotStatus,
    /// Its track (a genre, a theme); may be empty.
    pub track: String,
    /// Its language; may be empty.
    pub language: String,
    /// Its id in exchange formats; empty: derived from the document id.
    pub guid: String,
}

impl Document for Slot {
    const KIND: Kind = Kind::Slot;

    fn read(fields: &Fields) -> Result<Self, FieldError> {
        let reader = Reader::new(Self::KIND.name(), fields);
        let (start, end) = in_schema(Self::KIND, interval(&reader))?;
        Ok(Self {
            festival: reader.relation("owner")?,
            title: reader.str("title")?,
            description: reader.str("description")?,
            artists: reader.relation_list("artists")?,
            area: reader.relation("area")?,
            start,
            end,
            status: reader.choice("status")?,
            track: reader.str("track")?,
            language: reader.str("language")?,
            guid: reader.str("guid")?,
        })
    }

    fn fields(&self) -> Fields {
        Writer::default()
            .relation("owner", self.festival)
            .str("title", &self.title)
            .str("description", &self.description)
            .relation_list("artists", &self.artists)
            .relation("area", self.area)
            .time("start", self.start)
            .time("end", self.end)
            .choice("status", self.status)
            .str("track", &self.track)
            .str("language", &self.language)
            .str("guid", &self.guid)
            .done()
    }
}

/// A volunteer shift.
#[derive(Debug, Clone, PartialEq)]
pub struct Shift {
    /// The festival it is for.
    pub festival: DocumentId,
    /// Where.
    pub area: DocumentId,
    /// What the volunteers do (bar, gate, stage hands).
    pub role: String,
    /// When it starts.
    pub start: Timestamp,
    /// When it ends.
    pub end: Timestamp,
    /// How many people it needs.
    pub capacity: u32,
    /// What to know.
    pub description: String,
}

impl Document for Shift {
    const KIND: Kind = Kind::Shift;

    fn read(fields: &Fields) -> Result<Self, FieldError> {
        let reader = Reader::new(Self::KIND.name(), fields);
        let (start, end) = in_schema(Self::KIND, interval(&reader))?;
        Ok(Self {
            festival: reader.relation("owner")?,
            area: reader.relation("area")?,
            role: reader.str("role")?,
            start,
            end,
            capacity: reader.count("capacity")?,
            description: reader.str("description")?,
        })
    }

    fn fields(&self) -> Fields {
        Writer::default()
            .relation("owner", self.festival)
            .relation("area", self.area)
            .str("role", &self.role)
            .time("start", self.start)
            .time("end", self.end)
            .int("capacity", self.capacity.into())
            .str("description", &self.description)
            .done()
    }
}

/// A person signed up for a shift, with their own key.
#[derive(Debug, Clone, PartialEq)]
pub struct ShiftSignup {
    /// Who: the key that signed it.
    pub person: PublicKey,
    /// For which shift.
    pub shift: DocumentId,
    /// When, by their device's clock: orders the waiting list.
    pub signed_up_at: Timestamp,
}

impl Document for ShiftSignup {
    const KIND: Kind = Kind::ShiftSignup;

    fn read(fields: &Fields) -> Result<Self, FieldError> {
        let reader = Reader::new(Self::KIND.name(), fields);
        Ok(Self {
            person: reader.key("owner")?,
            shift: reader.relation("shift")?,
            signed_up_at: reader.time("signed_up_at")?,
        })
    }

    fn fields(&self) -> Fields {
        Writer::default()
            .key("owner", &self.person)
            .relation("shift", self.shift)
            .time("signed_up_at", self.signed_up_at)
            .done()
    }
}

/// Something to do.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// The festival it is for.
    pub festival: DocumentId,
    /// What to do.
    pub title: String,
    /// How.
    pub description: String,
    /// Where, if anywhere.
    pub area: Option<DocumentId>,
    /// Who does it, if anyone yet.
    pub assignee: Option<PublicKey>,
    /// When it must be done, if ever.
    pub due: Option<Timestamp>,
    /// Whether it is done.
    pub done: bool,
}

impl Document for Task {
    const KIND: Kind = Kind::Task;

    fn read(fields: &Fields) -> Result<Self, FieldError> {
        let reader = Reader::new(Self::KIND.name(), fields);
        Ok(Self {
            festival: reader.relation("owner")?,
            title: reader.str("title")?,
            description: reader.str("description")?,
            area: reader.optional_relation("area")?,
            assignee: reader.optional_key("assignee")?,
            due: reader.optional_time("due")?,
            done: reader.bool("done")?,
        })
    }

    fn fields(&self) -> Fields {
        Writer::default()
            .relation("owner", self.festival)
            .str("title", &self.title)
            .str("description", &self.description)
            .optional_relation("area", self.area)
            .optional_key("assignee", self.assignee.as_ref())
            .optional_time("due", self.due)
            .bool("done", self.done)
            .done()
    }
}

/// Something crews book.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// The festival it belongs to.
    pub festival: DocumentId,
    /// What it is called.
    pub name: String,
    /// What it is.
    pub description: String,
}

impl Document for Resource {
    const KIND: Kind = Kind::Resource;

    fn read(fields: &Fields) -> Result<Self, FieldError> {
        let reader = Reader::new(Self::KIND.name(), fields);
        Ok(Self {
            festival: reader.relation("owner")?,
            name: reader.str("name")?,
            description: reader.str("description")?,
        })
    }

    fn fields(&self) -> Fields {
        Writer::default()
            .relation("owner", self.festival)
            .str("name", &self.name)
            .str("description", &self.description)
            .done()
    }
}

choice!(
    /// Where a booking stands.
    BookingState {
        /// Asked for.
        Requested = "requested",
        /// Given.
        Confirmed = "confirmed",
        /// Called off.
        Cancelled = "cancelled",
    }
);

/// A resource booked from start to end.
#[derive(Debug, Clone, PartialEq)]
pub struct Booking {
    /// The festival it is at.
    pub festival: DocumentId,
    /// What is booked.
    pub resource: DocumentId,
    /// From when.
    pub start: Timestamp,
    /// Until when.
    pub end: Timestamp,
    /// By whom.
    pub booked_by: PublicKey,
    /// Where it stands.
    pub state: BookingState,
    /// What for.
    pub note: String,
}

impl Document for Booking {
    const KIND: Kind = Kind::Booking;

    fn read(fields: &Fields) -> Result<Self, FieldError> {
        let reader = Reader::new(Self::KIND.name(), fields);
        let (start, end) = in_schema(Self::KIND, interval(&reader))?;
        Ok(Self {
            festival: reader.relation("owner")?,
            resource: reader.relation("resource")?,
            start,
            end,
            booked_by: reader.key("booked_by")?,
            state: reader.choice("state")?,
            note: reader.str("note")?,
        })
    }

    fn fields(&self) -> Fields {
        Writer::default()
            .relation("owner", self.festival)
            .relation("resource", self.resource)
            .time("start", self.start)
            .time("end", self.end)
            .key("booked_by", &self.booked_by)
            .choice("state", self.state)
            .str("note", &self.note)
            .done()
    }
}

choice!(
    /// How loudly an announcement is made.
    Priority {
        /// For those who look.
        Info = "info",
        /// For everyone.
        Important = "important",
        /// Now, for everyone.
        Urgent = "urgent",
    }
);

/// News for everyone at a festival.
#[derive(Debug, Clone, PartialEq)]
pub struct Announcement {
    /// The festival it is for.
    pub festival: DocumentId,
    /// Its headline.
    pub title: String,
    /// Its text.
    pub body: String,
    /// How loudly.
    pub priority: Priority,
    /// When it was made.
    pub published_at: Timestamp,
}

impl Document for Announcement {
    const KIND: Kind = Kind::Announcement;

    fn read(fields: &Fields) -> Result<Self, FieldError> {
        let reader = Reader::new(Self::KIND.name(), fields);
        Ok(Self {
            festival: reader.relation("owner")?,
            title: reader.str("title")?,
            body: reader.str("body")?,
            priority: reader.choice("priority")?,
            published_at: reader.time("published_at")?,
        })
    }

    fn fields(&self) -> Fields {
        Writer::default()
            .relation("owner", self.festival)
            .str("title", &self.title)
            .str("body", &self.body)
            .choice("priority", self.priority)
            .time("published_at", self.published_at)
            .done()
    }
}

/// How a person appears to others.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Whose: the key that signed it.
    pub person: PublicKey,
    /// The name others see.
    pub display_name: String,
    /// About them.
    pub about: String,
}

impl Document for Profile {
    const KIND: Kind = Kind::Profile;

    fn read(fields: &Fields) -> Result<Self, FieldError> {
        let reader = Reader::new(Self::KIND.name(), fields);
        Ok(Self {
            person: reader.key("owner")?,
            display_name: reader.str("display_name")?,
            about: reader.str("about")?,
        })
    }

    fn fields(&self) -> Fields {
        Writer::default()
            .key("owner", &self.person)
            .str("display_name", &self.display_name)
            .str("about", &self.about)
            .done()
    }
}

/// One profile per key: of several a key made (on two devices, say), the
/// one with the smallest document id, the same on every node.
pub fn profiles_by_person(
    profiles: &[Stored<Profile>],
) -> std::collections::BTreeMap<PublicKey, &Stored<Profile>> {
    let mut chosen: std::collections::BTreeMap<PublicKey, &Stored<Profile>> =
        std::collections::BTreeMap::new();
    for profile in profiles {
        chosen
            .entry(profile.person)
            .and_modify(|kept| {
                if profile.id < kept.id {
                    *kept = profile;
                }
            })
            .or_insert(profile);
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use lineup_core::{Hash, Value};

    fn id(n: u8) -> DocumentId {
        DocumentId(Hash::of(&[n]))
    }

    fn slot() -> Slot {
        Slot {
            festival: id(1),
            title: "Closing night".into(),
            description: String::new(),
            artists: vec![id(2), id(3)],
            area: id(4),
            start: Timestamp::from_second(1_783_000_000).unwrap(),
            end: Timestamp::from_second(1_783_003_600).unwrap(),
            status: SlotStatus::Scheduled,
            track: "Electronic".into(),
            language: "en".into(),
            guid: String::new(),
        }
    }

    #[test]
    fn a_document_reads_back_what_it_wrote() {
        let slot = slot();
        assert_eq!(Slot::read(&slot.fields()), Ok(slot));
    }

    #[test]
    fn a_slot_that_ends_before_it_starts_is_refused_naming_the_field() {
        let mut fields = slot().fields();
        fields.insert("end".into(), Value::Int(1_783_000_000));
        let error = Slot::read(&fields).unwrap_err();
        assert_eq!((error.schema, error.field), ("slot", "end"));
    }

    #[test]
    fn a_word_outside_the_choices_is_refused_naming_them() {
        let mut fields = slot().fields();
        fields.insert("status".into(), Value::Str("postponed".into()));
        let error = Slot::read(&fields).unwrap_err().to_string();
        assert_eq!(
            error,
            "slot.status: \"postponed\" is not one of scheduled, cancelled"
        );
    }

    #[test]
    fn a_key_with_two_profiles_shows_the_same_one_everywhere() {
        let person = lineup_core::PrivateKey::from_bytes(&[7; 32]).public_key();
        let profile = |n: u8, name: &str| Stored {
            id: id(n),
            view: DocumentViewId::from(lineup_core::OperationId(Hash::of(&[n]))),
            value: Profile {
                person,
                display_name: name.into(),
                about: String::new(),
            },
        };
        let (first, second) = (profile(10, "Ada"), profile(11, "Ada L."));
        let kept = if first.id < second.id { "Ada" } else { "Ada L." };
        for order in [vec![first.clone(), second.clone()], vec![second, first]] {
            assert_eq!(profiles_by_person(&order)[&person].display_name, kept);
        }
    }

    #[test]
    fn a_festival_needs_a_known_time_zone() {
        let festival = Festival {
            organisers: id(1),
            crew_leads: id(2),
            crew: id(3),
            name: "Fusion".into(),
            description: String::new(),
            place: "Lärz".into(),
            start: Timestamp::from_second(1_782_900_000).unwrap(),
            end: Timestamp::from_second(1_783_200_000).unwrap(),
            time_zone: "Europe/Berlin".into(),
            demo: false,
        };
        assert_eq!(Festival::read(&festival.fields()).as_ref(), Ok(&festival));
        let mut fields = festival.fields();
        fields.insert("time_zone".into(), Value::Str("Europe/Atlantis".into()));
        assert_eq!(Festival::read(&fields).unwrap_err().field, "time_zone");
    }
}
