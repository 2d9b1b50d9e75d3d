//! Paging an incident's timeline.
//!
//! An incident can gather any number of alerts, each with a raw body of up to 256 KiB, so no
//! read returns the whole timeline: pages of at most [`MAX_EVENTS`] events, newest first,
//! carry each body's size but not the body, which is fetched one at a time. The rules of a
//! page (the limit's bounds, what a cursor is, how the next one is found) live here once, so
//! the stores only run their query and every reader pages alike.

use crate::ids::{EventId, InvalidId};
use crate::model::TimelineEvent;

/// Events in a page when the caller does not say.
pub const DEFAULT_EVENTS: u32 = 50;
/// The most events one page may hold. Without its body an alert event is a few hundred bytes
/// whatever the alert carried; the largest event is a person's note (at most 10,000
/// characters, written by a signed-in responder, not by whoever holds a webhook key).
pub const MAX_EVENTS: u32 = 200;

/// A page request that is known to be valid: built only by [`EventPageQuery::parse`] or
/// [`EventPageQuery::newest`], so a store never sees an unbounded limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPageQuery {
    limit: u32,
    before: Option<EventId>,
}

/// Why a page request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventPageError {
    #[error("limit must be 1–{MAX_EVENTS}")]
    Limit,
    #[error("cursor: {0}; pass the `next_cursor` of the previous page")]
    Cursor(#[from] InvalidId),
}

impl EventPageQuery {
    /// The newest `limit` events (clamped to 1–[`MAX_EVENTS`]: for callers inside Tocsin).
    pub fn newest(limit: u32) -> Self {
        Self {
            limit: limit.clamp(1, MAX_EVENTS),
            before: None,
        }
    }

    /// A page as a client asked for it. A limit outside 1–[`MAX_EVENTS`] is refused rather
    /// than clamped, as the incident list does, so a client never mistakes a shorter page
    /// for what it asked. The cursor is the `next_cursor` of the previous page: an event id,
    /// opaque to clients (an empty one means the first page).
    pub fn parse(limit: Option<u32>, cursor: Option<&str>) -> Result<Self, EventPageError> {
        let limit = limit.unwrap_or(DEFAULT_EVENTS);
        if limit == 0 || limit > MAX_EVENTS {
            return Err(EventPageError::Limit);
        }
        let before = cursor
            .filter(|c| !c.is_empty())
            .map(str::parse::<EventId>)
            .transpose()?;
        Ok(Self { limit, before })
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Only events strictly older than this one.
    pub fn before(&self) -> Option<EventId> {
        self.before
    }

    /// How many rows a store reads: one more than the page, to know whether more follow.
    pub fn fetch(&self) -> u32 {
        self.limit + 1
    }
}

/// One page of a timeline, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct EventPage {
    pub events: Vec<TimelineEvent>,
    /// The cursor of the next (older) page; none on the last.
    pub next_cursor: Option<EventId>,
}

impl EventPage {
    /// The page from up to [`EventPageQuery::fetch`] rows read newest first.
    pub fn from_rows(mut rows: Vec<TimelineEvent>, q: &EventPageQuery) -> Self {
        let limit = q.limit as usize;
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|e| e.id)
        } else {
            None
        };
        Self {
            events: rows,
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EventKind;
    use crate::ServiceId;

    fn ev() -> TimelineEvent {
        TimelineEvent {
            id: EventId::new(),
            incident_id: None,
            service_id: ServiceId::new(),
            kind: EventKind::Note,
            source: None,
            level: None,
            actor: None,
            text: None,
            received_at: chrono::Utc::now(),
            occurred_at: None,
            payload: None,
            payload_size: None,
            payload_url: None,
        }
    }

    #[test]
    fn limits_outside_the_bounds_are_refused_and_inside_kept() {
        assert_eq!(
            EventPageQuery::parse(Some(0), None),
            Err(EventPageError::Limit)
        );
        assert_eq!(
            EventPageQuery::parse(Some(MAX_EVENTS + 1), None),
            Err(EventPageError::Limit)
        );
        let q = EventPageQuery::parse(None, None).expect("default");
        assert_eq!(
            (q.limit(), q.before(), q.fetch()),
            (DEFAULT_EVENTS, None, 51)
        );
        assert_eq!(
            EventPageQuery::parse(Some(MAX_EVENTS), Some("")).map(|q| q.limit()),
            Ok(200)
        );
        assert_eq!(EventPageQuery::newest(10_000).limit(), MAX_EVENTS);
        assert_eq!(EventPageQuery::newest(0).limit(), 1);
    }

    #[test]
    fn cursors_are_event_ids_and_nothing_else() {
        let id = EventId::new();
        let q = EventPageQuery::parse(Some(5), Some(&id.to_string())).expect("event id");
        assert_eq!(q.before(), Some(id));
        for bad in ["x", "inc_01J0000000000000000000000", "evt_", "evt_!!"] {
            assert!(matches!(
                EventPageQuery::parse(None, Some(bad)),
                Err(EventPageError::Cursor(_))
            ));
        }
    }

    #[test]
    fn the_extra_row_becomes_the_cursor_and_is_left_out() {
        let q = EventPageQuery::newest(2);
        let rows: Vec<_> = (0..3).map(|_| ev()).collect();
        let page = EventPage::from_rows(rows.clone(), &q);
        assert_eq!(page.events, rows[..2]);
        assert_eq!(page.next_cursor, Some(rows[1].id));
        let last = EventPage::from_rows(rows[..2].to_vec(), &q);
        assert_eq!(last.next_cursor, None);
        assert_eq!(last.events.len(), 2);
    }
}
