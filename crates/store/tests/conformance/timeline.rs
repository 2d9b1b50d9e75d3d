//! Timeline pages and raw payloads: every event exactly once, newest first, never a body in a
//! list, and nothing outside the caller's teams.

use std::collections::HashSet;
use std::sync::Arc;

use tocsin_core::model::{EventKind, Scope, TimelineEvent};
use tocsin_core::timeline::MAX_EVENTS;
use tocsin_core::{Action, EventId, EventPageQuery, IncidentId, Severity};
use tocsin_store::{Store, StoreError};

use crate::cases::{alert, team_and_service};

type S = Arc<dyn Store>;

const CRIT: Action = Action::Trigger(Severity::Critical);

/// The whole timeline, oldest first, read page by page as a client would.
pub async fn whole_timeline(
    s: &S, scope: &Scope, id: IncidentId,
) -> Result<Vec<TimelineEvent>, StoreError> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = EventPageQuery::parse(Some(3), cursor.as_deref()).expect("valid page");
        let page = s.timeline_page(scope, id, &q).await?;
        out.extend(page.events);
        match page.next_cursor {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    out.reverse();
    Ok(out)
}

fn page(limit: u32, cursor: Option<EventId>) -> EventPageQuery {
    EventPageQuery::parse(Some(limit), cursor.map(|c| c.to_string()).as_deref())
        .expect("valid page")
}

pub async fn timeline_pages_hold_every_event_once_newest_first_without_bodies(s: S) {
    let (_, svc) = team_and_service(&s, "t").await;
    // Two incidents on one service, their events interleaved, plus notes.
    let mut mine = Vec::new();
    let first = s.ingest(&svc, alert("a", CRIT)).await.expect("open a");
    let id = first.incident_id.expect("id");
    mine.push(first.event_id);
    let other = s
        .ingest(&svc, alert("b", CRIT))
        .await
        .expect("open b")
        .incident_id
        .expect("id");
    for i in 0..22 {
        if i % 5 == 0 {
            let n = s
                .add_note(&Scope::All, id, "bob", &format!("note {i}"))
                .await
                .expect("note");
            mine.push(n.id);
        }
        mine.push(
            s.ingest(&svc, alert("a", CRIT))
                .await
                .expect("join")
                .event_id,
        );
        s.ingest(&svc, alert("b", CRIT)).await.expect("join b");
    }
    mine.reverse(); // newest first

    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let got = s
            .timeline_page(&Scope::All, id, &page(4, cursor))
            .await
            .expect("page");
        assert!(got.events.len() <= 4, "a page holds at most its limit");
        pages += 1;
        for ev in &got.events {
            assert_eq!(ev.incident_id, Some(id), "only this incident's events");
            assert_eq!(ev.payload, None, "no body in a list read");
            match ev.kind {
                EventKind::Note => assert_eq!(ev.payload_size, None),
                _ => assert_eq!(
                    ev.payload_size,
                    Some(alert("a", CRIT).raw.len() as i64),
                    "the body's size in bytes"
                ),
            }
        }
        seen.extend(got.events.iter().map(|e| e.id));
        match got.next_cursor {
            Some(c) => {
                assert_eq!(Some(&c), seen.last(), "the cursor is the page's last event");
                cursor = Some(c);
            }
            None => break,
        }
    }
    assert_eq!(seen, mine, "every event once, newest first");
    assert_eq!(pages, mine.len().div_ceil(4));
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        seen.len(),
        "no event twice"
    );

    // One page of the most events holds them all; the other incident is its own.
    let all = s
        .timeline_page(&Scope::All, id, &page(MAX_EVENTS, None))
        .await
        .expect("all");
    assert_eq!(all.events.iter().map(|e| e.id).collect::<Vec<_>>(), mine);
    assert_eq!(all.next_cursor, None);
    let theirs = whole_timeline(&s, &Scope::All, other).await.expect("b");
    assert_eq!(theirs.len(), 23);
    assert!(theirs.iter().all(|e| e.incident_id == Some(other)));
    // A cursor past the oldest event gives an empty last page.
    let oldest = *mine.last().expect("events");
    let past = s
        .timeline_page(&Scope::All, id, &page(10, Some(oldest)))
        .await
        .expect("past the end");
    assert!(past.events.is_empty());
    assert_eq!(past.next_cursor, None);
}

pub async fn payloads_are_read_one_at_a_time_exactly_and_within_scope(s: S) {
    let (team, svc) = team_and_service(&s, "t").await;
    let (elsewhere, _) = team_and_service(&s, "u").await;
    let mut big = alert("k", CRIT);
    // ~200 KiB, with multi-byte characters: sizes are bytes, bodies come back byte for byte.
    big.raw = format!(
        "{{\"id\":\"k\",\"level\":\"CRITICAL\",\"details\":\"{}\"}}",
        "é—x".repeat(200 * 1024 / 6)
    );
    let opened = s.ingest(&svc, big.clone()).await.expect("open");
    let id = opened.incident_id.expect("id");
    let joined = s.ingest(&svc, alert("k", CRIT)).await.expect("join");
    let note = s
        .add_note(&Scope::All, id, "bob", "looking")
        .await
        .expect("note");
    let other = s.ingest(&svc, alert("other", CRIT)).await.expect("other");

    let mine = Scope::Teams(vec![team]);
    assert_eq!(
        s.event_payload(&mine, id, opened.event_id)
            .await
            .expect("big"),
        big.raw
    );
    assert_eq!(
        s.event_payload(&mine, id, joined.event_id)
            .await
            .expect("small"),
        alert("k", CRIT).raw
    );
    let listed = s
        .timeline_page(&mine, id, &page(10, None))
        .await
        .expect("page");
    let sizes: Vec<Option<i64>> = listed.events.iter().map(|e| e.payload_size).collect();
    assert_eq!(
        sizes,
        [
            None,
            Some(alert("k", CRIT).raw.len() as i64),
            Some(big.raw.len() as i64)
        ]
    );
    assert!(listed.events.iter().all(|e| e.payload.is_none()));

    let not_found = |r: Result<String, StoreError>| matches!(r, Err(StoreError::NotFound(_)));
    assert!(
        not_found(s.event_payload(&mine, id, note.id).await),
        "a note has no body"
    );
    assert!(
        not_found(s.event_payload(&mine, id, other.event_id).await),
        "another incident's event is not this incident's"
    );
    assert!(not_found(s.event_payload(&mine, id, EventId::new()).await));
    assert!(not_found(
        s.event_payload(&mine, IncidentId::new(), opened.event_id)
            .await
    ));
    let outside = Scope::Teams(vec![elsewhere]);
    assert!(
        not_found(s.event_payload(&outside, id, opened.event_id).await),
        "out of scope is not found"
    );
    assert!(matches!(
        s.timeline_page(&outside, id, &page(10, None)).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        s.timeline_page(&Scope::Teams(vec![]), id, &page(10, None))
            .await,
        Err(StoreError::NotFound(_))
    ));
}
