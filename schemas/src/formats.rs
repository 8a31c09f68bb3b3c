//! The schedule formats festivals already use: iCalendar, frab `schedule.xml`
//! and c3voc `schedule.json`, out and in.
