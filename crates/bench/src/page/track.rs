//! Matching pages to the alerts that caused them: the 202 of each alert names its incident
//! (`incident_id`, `action`), each webhook names it too (`event.data.incident.id`), and the
//! latency of a page is from the 202 being read to the webhook being received. Either may
//! come first: the engine wakes on the commit, which is before the 202 is written.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use hdrhistogram::Histogram;
use serde::Deserialize;

use crate::load::Observer;
use crate::report::Latency;

/// What one incident has seen.
#[derive(Debug, Default)]
struct Entry {
    /// When its opening alert was due, and when its 202 was read.
    answered: Option<(Instant, Instant)>,
    /// When its first `incident.triggered` webhook arrived.
    paged: Option<Instant>,
    pages: u32,
}

#[derive(Debug)]
struct Inner {
    incidents: HashMap<String, Entry>,
    /// 202 read → webhook received, µs.
    page: Histogram<u64>,
    /// Alert due to be sent → webhook received, µs (includes the ingest's own latency).
    from_due: Histogram<u64>,
    opened: u64,
    paged: u64,
    duplicates: u64,
    paged_before_answer: u64,
    webhooks: u64,
    other_events: u64,
    unreadable: u64,
}

/// Shared by the load's connections (answers) and the receiver (webhooks).
#[derive(Debug)]
pub struct Tracker(Mutex<Inner>);

/// The counts and latencies at one moment.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Tally {
    /// 202s whose action was `opened`: incidents this run opened.
    pub opened: u64,
    /// Of those, how many had an `incident.triggered` webhook.
    pub paged: u64,
    pub missing: u64,
    /// Up to five of the missing incidents' ids, to look at their timelines.
    pub missing_sample: Vec<String>,
    /// `incident.triggered` webhooks beyond the first for an incident.
    pub duplicates: u64,
    /// Incidents paged that no 202 of this run opened (another run's, or not answered yet).
    pub unmatched: u64,
    /// Pages that arrived before the 202 was read (their latency counts as 0).
    pub paged_before_answer: u64,
    /// Every webhook received, of any event type.
    pub webhooks: u64,
    /// Webhooks that were not `incident.triggered` (resolve and acknowledge notices).
    pub other_events: u64,
    /// Webhooks whose body was not an event.
    pub unreadable: u64,
    /// 202 read → webhook received, µs.
    pub latency_us: Latency,
    /// Alert due to be sent → webhook received, µs.
    pub from_due_us: Latency,
}

#[derive(Deserialize)]
struct Answer {
    action: String,
    incident_id: String,
}

#[derive(Deserialize)]
struct Webhook {
    event: Event,
}

#[derive(Deserialize)]
struct Event {
    event_type: String,
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    incident: Incident,
}

#[derive(Deserialize)]
struct Incident {
    id: String,
}

fn histogram() -> Histogram<u64> {
    // 1 µs to 10 min, 3 significant digits.
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("constant histogram bounds are valid")
}

fn micros(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

impl Default for Tracker {
    fn default() -> Self {
        Tracker(Mutex::new(Inner {
            incidents: HashMap::new(),
            page: histogram(),
            from_due: histogram(),
            opened: 0,
            paged: 0,
            duplicates: 0,
            paged_before_answer: 0,
            webhooks: 0,
            other_events: 0,
            unreadable: 0,
        }))
    }
}

impl Tracker {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere cannot leave the counts half-written: take them as they are.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A 202 read at `at` for the alert due at `due`.
    pub fn answer(&self, due: Instant, at: Instant, status: u16, body: &[u8]) {
        if !(200..300).contains(&status) {
            return;
        }
        let Ok(a) = serde_json::from_slice::<Answer>(body) else {
            return;
        };
        if a.action != "opened" {
            return;
        }
        let mut g = self.lock();
        let inner = &mut *g;
        inner.opened += 1;
        let e = inner.incidents.entry(a.incident_id).or_default();
        e.answered = Some((due, at));
        if let Some(p) = e.paged {
            inner.paged += 1;
            inner.paged_before_answer += 1;
            inner.page.saturating_record(1);
            inner
                .from_due
                .saturating_record(micros(p.saturating_duration_since(due)));
        }
    }

    /// A webhook received at `at`.
    pub fn webhook(&self, at: Instant, body: &[u8]) {
        let mut g = self.lock();
        let inner = &mut *g;
        inner.webhooks += 1;
        let Ok(w) = serde_json::from_slice::<Webhook>(body) else {
            inner.unreadable += 1;
            return;
        };
        if w.event.event_type != "incident.triggered" {
            inner.other_events += 1;
            return;
        }
        let e = inner.incidents.entry(w.event.data.incident.id).or_default();
        e.pages += 1;
        if e.pages > 1 {
            inner.duplicates += 1;
            return;
        }
        e.paged = Some(at);
        if let Some((due, answered)) = e.answered {
            inner.paged += 1;
            inner
                .page
                .saturating_record(micros(at.saturating_duration_since(answered)));
            inner
                .from_due
                .saturating_record(micros(at.saturating_duration_since(due)));
        }
    }

    pub fn tally(&self) -> Tally {
        let g = self.lock();
        let unmatched = g
            .incidents
            .values()
            .filter(|e| e.paged.is_some() && e.answered.is_none())
            .count() as u64;
        let mut missing_sample: Vec<String> = g
            .incidents
            .iter()
            .filter(|(_, e)| e.answered.is_some() && e.paged.is_none())
            .map(|(id, _)| id.clone())
            .collect();
        missing_sample.sort();
        missing_sample.truncate(5);
        Tally {
            missing_sample,
            opened: g.opened,
            paged: g.paged,
            missing: g.opened - g.paged,
            duplicates: g.duplicates,
            unmatched,
            paged_before_answer: g.paged_before_answer,
            webhooks: g.webhooks,
            other_events: g.other_events,
            unreadable: g.unreadable,
            latency_us: Latency::of(&g.page),
            from_due_us: Latency::of(&g.from_due),
        }
    }
}

impl Observer for Tracker {
    fn answered(&self, due: Instant, status: u16, body: &[u8]) {
        self.answer(due, Instant::now(), status, body);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn answer(id: &str, action: &str) -> Vec<u8> {
        format!(
            r#"{{"action":"{action}","incident_id":"{id}","incident_number":1,"event_id":"evt_1"}}"#
        )
        .into_bytes()
    }

    fn page(id: &str, event_type: &str) -> Vec<u8> {
        format!(
            r#"{{"event":{{"id":"ntf_1","event_type":"{event_type}","occurred_at":"2026-01-01T00:00:00Z","data":{{"incident":{{"id":"{id}","number":1}},"step":0,"loop":0}}}}}}"#
        )
        .into_bytes()
    }

    #[test]
    fn pages_are_matched_to_answers_in_either_order() {
        let t = Tracker::default();
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        // inc_a: answered at 5 ms, paged at 25 ms → 20 ms.
        t.answer(t0, ms(5), 202, &answer("inc_a", "opened"));
        t.webhook(ms(25), &page("inc_a", "incident.triggered"));
        // inc_b: paged before its 202 was read → 0, counted.
        t.webhook(ms(7), &page("inc_b", "incident.triggered"));
        t.answer(ms(1), ms(8), 202, &answer("inc_b", "opened"));
        // inc_a again: a duplicate; a resolve notice is another event.
        t.webhook(ms(30), &page("inc_a", "incident.triggered"));
        t.webhook(ms(31), &page("inc_a", "incident.resolved"));
        // inc_c opened, never paged; a joined alert is not an opening; inc_z unknown.
        t.answer(t0, ms(9), 202, &answer("inc_c", "opened"));
        t.answer(t0, ms(9), 202, &answer("inc_a", "joined"));
        t.answer(t0, ms(9), 429, b"{}");
        t.webhook(ms(40), &page("inc_z", "incident.triggered"));
        t.webhook(ms(41), b"not json");

        let s = t.tally();
        assert_eq!(
            (s.opened, s.paged, s.missing, s.duplicates, s.unmatched),
            (3, 2, 1, 1, 1)
        );
        assert_eq!(s.missing_sample, ["inc_c"]);
        assert_eq!(
            (
                s.paged_before_answer,
                s.webhooks,
                s.other_events,
                s.unreadable
            ),
            (1, 6, 1, 1)
        );
        // Two samples: 1 µs (before the answer) and 20 ms (to the histogram's 3 digits).
        assert_eq!(s.latency_us.p50, 1);
        assert!(
            (19_960..=20_040).contains(&s.latency_us.max),
            "{:?}",
            s.latency_us
        );
        // From due: inc_b 6 ms (due at 1, paged at 7), inc_a 25 ms.
        assert!(
            (5_960..=6_040).contains(&s.from_due_us.p50),
            "{:?}",
            s.from_due_us
        );
        assert!(
            (24_960..=25_040).contains(&s.from_due_us.max),
            "{:?}",
            s.from_due_us
        );
    }
}
