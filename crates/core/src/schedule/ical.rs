//! The iCalendar (RFC 5545) feed of shifts that calendar apps subscribe to.
//!
//! Each shift is one `VEVENT` with times in UTC and a UID made of the schedule, the user and
//! the shift's start, so an app that refreshes the feed updates the same events instead of
//! adding copies. Written with the `icalendar` crate (escaping, line folding, CRLF).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, Event, EventLike};

use super::Shift;
use crate::ids::UserId;

/// The feed: `name` titles the calendar, `who` gives each user's display name.
pub fn feed(
    name: &str, schedule_key: &str, shifts: &[Shift], who: &HashMap<UserId, String>,
    stamp: DateTime<Utc>,
) -> String {
    feed_of_many(name, &[(schedule_key, shifts)], who, stamp)
}

/// One feed of several schedules' shifts (a user's own feed): each group is a schedule's key
/// and its shifts, so UIDs stay unique when two schedules hand over at the same instant.
pub fn feed_of_many(
    name: &str, groups: &[(&str, &[Shift])], who: &HashMap<UserId, String>, stamp: DateTime<Utc>,
) -> String {
    let mut cal = Calendar::new();
    cal.name(name);
    for (schedule_key, shifts) in groups {
        for s in *shifts {
            cal.push(event(schedule_key, s, who, stamp));
        }
    }
    cal.done().to_string()
}

fn event(
    schedule_key: &str, s: &Shift, who: &HashMap<UserId, String>, stamp: DateTime<Utc>,
) -> Event {
    let person = who.get(&s.user_id).map_or("unknown user", String::as_str);
    let why = match (&s.layer, s.is_override) {
        (_, true) => " (override)".to_owned(),
        (Some(layer), false) => format!(" ({layer})"),
        (None, false) => String::new(),
    };
    Event::new()
        .uid(&format!(
            "{schedule_key}-{}-{}@tocsin",
            s.user_id,
            s.start.timestamp()
        ))
        .summary(&format!("On call: {person}{why}"))
        .timestamp(stamp)
        .starts(s.start)
        .ends(s.end)
        .done()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + i64::from(h) * 3600, 0).expect("an instant")
    }

    #[test]
    fn a_real_parser_reads_every_shift_back() {
        let (a, b) = (UserId::new(), UserId::new());
        let shifts = vec![
            Shift {
                user_id: a,
                start: at(0),
                end: at(8),
                layer: Some("primary, \"EU\"; nights".into()),
                is_override: false,
            },
            Shift {
                user_id: b,
                start: at(8),
                end: at(9),
                layer: None,
                is_override: true,
            },
        ];
        let who = HashMap::from([(a, "alice".to_owned()), (b, "bob".to_owned())]);
        let text = feed("Payments on call", "sch_1", &shifts, &who, at(0));
        assert!(text.contains("\r\n"), "lines end in CRLF");
        let parsed: Calendar = text.parse().expect("RFC 5545 text");
        let events: Vec<&Event> = parsed.events().collect();
        assert_eq!(events.len(), 2);
        assert_eq!(
            events[0].get_summary(),
            Some("On call: alice (primary, \"EU\"; nights)")
        );
        assert_eq!(events[1].get_summary(), Some("On call: bob (override)"));
        let uids: Vec<_> = events.iter().filter_map(|e| e.get_uid()).collect();
        assert_eq!(uids.len(), 2);
        assert_ne!(uids[0], uids[1]);
        assert!(text.contains(&at(8).format("DTSTART:%Y%m%dT%H%M%SZ").to_string()));
    }
}
