//! The schedule formats festivals already use: iCalendar, frab `schedule.xml`
//! and c3voc `schedule.json`, out and in.
//!
//! Every function here is pure: a programme in, text out; text and a
//! programme in, a [`Plan`](crate::plan::Plan) out.
//!
//! # Ids
//!
//! A slot, area or artist carries its own `guid` when that is a UUID, else a
//! UUID derived from its document id ([`derived_guid`]: the id's first 16
//! digest bytes in the UUIDv8 layout), the same on every node and in every
//! export ([`exchange_guid`]). A `guid` that is not a UUID (a pretalx person
//! code, a frab person id) is still what imports match on; the formats,
//! which want UUIDs, get the derived one. Shifts take the derived one. The
//! numeric event `id` both formats still require is derived from the guid
//! (1 to 2³¹ − 1, the next free number on a clash).
//!
//! # Exports
//!
//! - **iCalendar** ([`programme_ical`], [`personal_ical`]): one `VEVENT` per
//!   slot, a cancelled one with `STATUS:CANCELLED` so that a calendar that
//!   has it shows it called off instead of keeping it; `UID` is the slot's
//!   guid, so importing again updates rather than duplicates. Times are UTC
//!   (`DTSTART:20260703T190000Z`); `X-WR-TIMEZONE` names the festival's zone.
//!   `DTSTAMP` is the export's time, given by the caller, and `SEQUENCE` its
//!   minute, so a later export wins in calendars that compare sequences.
//!   Text is escaped, lines are folded at 75 octets, lines end in CRLF.
//! - **`schedule.xml`** ([`schedule_xml`]) and **`schedule.json`**
//!   ([`schedule_json`]): rooms are the areas of kind stage and any other
//!   area that has a scheduled slot, by name (a name two areas share gets
//!   ` (2)`); every day lists every room. Events are the scheduled slots on a known
//!   area (cancelled slots are left out, as pretalx does); persons are their
//!   artists. A festival day runs from 06:00 local time to 06:00 the next
//!   day, as the app shows it ([`crate::rules::festival_day`] with
//!   [`crate::rules::DAY_CHANGE`]): a slot starting before 06:00 belongs to
//!   the day before (frab's `day_change`). The days are the festival's, from its start to its end
//!   (at most a year of them), and any other day a slot is on. Times are
//!   local in the festival's zone, with their offset. An event's
//!   description goes into `abstract`; the model has no event type
//!   (`other`) nor web page (`schedule.json`'s required `url` is
//!   `urn:uuid:<guid>`). The schedule `version` is a hash of what the
//!   export says of its events, so it changes when they do. The JSON
//!   `time_zone_name` is left out when the schema's pattern does not take
//!   the zone's name.
//!
//! # Imports
//!
//! [`import_schedule_xml`] and [`import_schedule_json`] read what pretalx
//! and frab write into a plan for the programme's festival. A file with any
//! error gives an [`ImportError`] naming the line (malformed XML or JSON,
//! and every `schedule.xml` error) or the place (`day 2 / room "Saal 1" /
//! event "Opening" (guid …): start: "25:00" is not a time`), and no plan.
//!
//! What becomes what:
//!
//! - rooms become areas of kind stage (with the JSON room's capacity);
//!   persons become artists (`name`, else `public_name`; biography; their
//!   `url` and `links`); events become scheduled slots on their room's area
//!   with their persons as artists, in order. The event's subtitle, abstract
//!   and description become the slot's description, those that are not
//!   empty, each once, a blank line between. Title, track, language and
//!   guid are kept as the file has them (trimmed).
//! - An event's room is the room it is listed under; its own `<room>` is
//!   not read.
//! - Not kept, as the model has no place for them: event type, slug, URL,
//!   logo, links, attachments, recording, person avatars.
//!
//! Times:
//!
//! - The event's `date`, a full date and time, decides the start;
//!   `<start>` is then not used, even when it disagrees. A `date` without
//!   an offset is local time in the conference's `time_zone_name` (when
//!   this build knows that zone), else in the festival's zone.
//! - Only without a `date`: the day's date and `start`, local time; a
//!   `start` earlier than the local time the day starts at (its `start` or
//!   `day_start`) is on the next calendar date.
//! - The end is `end` (JSON) when there is one, else the start plus
//!   `duration`. Durations are `HH:MM` or `HH:MM:SS` (any number of hours);
//!   times of day `H:MM`, `HH:MM` or `HH:MM:SS` before 24:00. A `start` or
//!   `duration` that is present must be well-formed even where it is not
//!   used. An event must end after it starts. Times are kept to the second.
//!
//! Matching, so that importing the same file again plans nothing:
//!
//! - Slots by guid: the slot's own, or the one it is exported with. An
//!   event without a guid gets one derived from the conference's acronym
//!   and the event's `id` (or `code`); without either it is an error. Two
//!   events with one guid are an error.
//! - Areas by the room's guid; a guid the file gives to rooms of different
//!   names (pretalx has done so) is not used. Then by name: a room without
//!   a guid matches any area of that name; one with a guid only an area
//!   without one, which adopts it.
//! - Artists by the person's `guid`, `code` or `id` against the artist's
//!   guid (and the person's `guid` against the artist's exported one). Then
//!   by name: a person without any of those matches any artist of that
//!   name; one with them only an artist without a guid, which adopts the
//!   first of guid, code, id. A new artist keeps that first key as its
//!   guid. A person without a name is left out.
//! - A matched slot is updated with only the fields that differ (title,
//!   description, times, area, artists, track, language, and status back to
//!   scheduled), building on the view read. An area found by guid takes the
//!   room's name; an artist found by key takes the person's name; an artist
//!   takes the file's biography when it has one, and adds the file's links
//!   it lacks (links added in Lineup stay).
//! - A slot of the festival that has a guid (it came from an import), is
//!   scheduled and is not in the file is cancelled. So a festival takes its
//!   imported programme from one file: a second source's slots would be
//!   cancelled by the first's next import. Two slots with one guid (two
//!   devices imported the same file at once) are one slot and its copy: the
//!   first in the programme's order is matched, the copy cancelled.
//!
//! Leniency: unknown elements and keys are ignored; `null` is as missing;
//! ids may be numbers or text; a byte order mark is skipped; a person's URL
//! that is a path is resolved against the file's `base_url` (kept as it is
//! without one).

mod c3voc;
mod frab;
mod guid;
mod ical;
mod import;
mod matching;
mod timetable;

pub use c3voc::{import_schedule_json, schedule_json};
pub use frab::{import_schedule_xml, schedule_xml};
pub use guid::{derived_guid, exchange_guid};
pub use ical::{personal_ical, programme_ical};
pub use import::ImportError;
