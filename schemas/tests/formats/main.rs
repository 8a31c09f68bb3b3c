//! The schedule formats, out and in: round trips through pretalx-style
//! files, exports checked by the c3voc validators and an independent
//! iCalendar parser, and imports that are idempotent, update what changed,
//! and refuse malformed files whole.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

mod ical;
mod import;
mod round_trip;
mod test_utils;
mod validity;
