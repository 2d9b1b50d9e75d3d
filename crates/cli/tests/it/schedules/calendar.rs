//! The iCalendar feeds: with credentials, and behind a secret URL that works without them
//! until revoked. Read back with the `icalendar` crate's parser.

use icalendar::{Calendar, CalendarDateTime, Component, DatePerhapsTime};
use serde_json::Value;

use super::{daily, id, world};
use crate::support::ADMIN_TOKEN;

/// GET `url` without credentials: (status, content type, body).
async fn fetch(url: &str) -> (u16, String, String) {
    let r = reqwest::get(url).await.expect("GET");
    let st = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (st, ct, r.text().await.unwrap_or_default())
}

/// Each event's (summary, start in UTC as RFC 3339), checking UIDs are unique.
fn events(text: &str) -> Vec<(String, String)> {
    let cal: Calendar = text.parse().expect("RFC 5545 text");
    let mut uids = std::collections::HashSet::new();
    cal.events()
        .map(|e| {
            assert!(
                uids.insert(e.get_uid().expect("uid").to_owned()),
                "unique uid"
            );
            let start = match e.get_start() {
                Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(t))) => t.to_rfc3339(),
                other => panic!("a UTC start, got {other:?}"),
            };
            (e.get_summary().expect("summary").to_owned(), start)
        })
        .collect()
}

#[tokio::test]
async fn calendar_feeds_parse_and_secret_urls_work_without_auth_until_revoked() {
    let w = world().await;
    let (st, sch) = w
        .server
        .post(
            "/api/v1/schedules",
            daily(&w.a, "Payments", &[&w.ann, &w.bob], "2026-01-05T09:00:00"),
        )
        .await;
    assert_eq!(st, 201, "{sch}");
    let s = id(&sch);

    // With credentials.
    let (st, ct, text) = w
        .server
        .get_text(&format!("/api/v1/schedules/{s}/calendar.ics"))
        .await;
    assert_eq!(st, 200, "{text}");
    assert!(ct.starts_with("text/calendar"), "{ct}");
    let evs = events(&text);
    assert!(
        evs.len() >= 66,
        "a shift a day, 7 days back to 60 ahead: {}",
        evs.len()
    );
    assert!(evs
        .iter()
        .all(|(s, _)| s == "On call: ann (primary)" || s == "On call: bob (primary)"));
    // Every shift the API lists in the feed's range is an event (the first is cut at the
    // range's start, so compare the later ones).
    let now = chrono::Utc::now();
    let (from, to) = (
        now - chrono::Duration::days(6),
        now + chrono::Duration::days(59),
    );
    let shifts = w
        .server
        .admin(
            "GET",
            &format!(
                "/schedules/{s}/shifts?from={}&to={}",
                from.format("%Y-%m-%dT%H:%M:%SZ"),
                to.format("%Y-%m-%dT%H:%M:%SZ")
            ),
            None,
        )
        .await;
    let starts: Vec<String> = evs.iter().map(|(_, t)| t.clone()).collect();
    for x in shifts.as_array().expect("shifts").iter().skip(1) {
        let t = chrono::DateTime::parse_from_rfc3339(x["start"].as_str().expect("start"))
            .expect("instant")
            .to_rfc3339();
        assert!(starts.contains(&t), "{t} in the feed");
    }

    // A secret URL: no credentials needed, shown once.
    let f = w
        .server
        .admin("POST", &format!("/schedules/{s}/calendar-feed"), None)
        .await;
    let url = f["url"].as_str().expect("url").to_owned();
    assert!(
        url.starts_with(&w.server.url("/calendar/")) && url.ends_with(".ics"),
        "{url}"
    );
    let (st, ct, body) = fetch(&url).await;
    assert_eq!(st, 200, "{body}");
    assert!(ct.starts_with("text/calendar"), "{ct}");
    assert_eq!(events(&body).len(), evs.len());
    // A new one replaces it; revoking ends it.
    let g = w
        .server
        .admin("POST", &format!("/schedules/{s}/calendar-feed"), None)
        .await;
    let url2 = g["url"].as_str().expect("url").to_owned();
    assert_ne!(url, url2);
    assert_eq!(fetch(&url).await.0, 404);
    assert_eq!(fetch(&url2).await.0, 200);
    w.server
        .admin("DELETE", &format!("/schedules/{s}/calendar-feed"), None)
        .await;
    let (st, _, body) = fetch(&url2).await;
    assert_eq!(st, 404, "{body}");
    let (st, e) = w
        .server
        .call(
            Some(ADMIN_TOKEN),
            "DELETE",
            &format!("/api/v1/schedules/{s}/calendar-feed"),
            None,
        )
        .await;
    assert_eq!(st, 404, "nothing left to revoke: {e}");
    for junk in ["/calendar/nope.ics", "/calendar/nope", "/calendar/.ics"] {
        assert_eq!(fetch(&w.server.url(junk)).await.0, 404, "{junk}");
    }

    // A user's own feed: only their shifts, from every schedule they are on.
    let (st, other) = w
        .server
        .post(
            "/api/v1/schedules",
            daily(&w.b, "Nights", &[&w.ann], "2026-01-05T21:00:00"),
        )
        .await;
    assert_eq!(st, 201, "{other}");
    let (st, mine) = w
        .server
        .call(
            Some(&w.ann_token),
            "POST",
            &format!("/api/v1/users/{}/calendar-feed", w.ann),
            None,
        )
        .await;
    assert_eq!(st, 201, "{mine}");
    let (st, _, body) = fetch(mine["url"].as_str().expect("url")).await;
    assert_eq!(st, 200, "{body}");
    let evs = events(&body);
    assert!(
        evs.iter().all(|(s, _)| s.starts_with("On call: ann (")),
        "{evs:?}"
    );
    assert!(evs.iter().any(|(s, _)| s.contains("Payments")));
    assert!(evs.iter().any(|(s, _)| s.contains("Nights")));
    // Bob cannot make or revoke ann's.
    let bob_token = w.server.user_token("bob", crate::paging::PASSWORD).await;
    let (st, _) = w
        .server
        .call(
            Some(&bob_token),
            "POST",
            &format!("/api/v1/users/{}/calendar-feed", w.ann),
            None,
        )
        .await;
    assert_eq!(st, 404);
    // Disabling ann stops her feed; enabling her brings it back.
    let my_url = mine["url"].as_str().expect("url");
    w.server
        .admin("POST", &format!("/users/{}/disable", w.ann), None)
        .await;
    assert_eq!(fetch(my_url).await.0, 404);
    w.server
        .admin("POST", &format!("/users/{}/enable", w.ann), None)
        .await;
    assert_eq!(fetch(my_url).await.0, 200);
    let ann_token = w.server.user_token("ann", crate::paging::PASSWORD).await;
    let (st, v): (u16, Value) = w
        .server
        .call(
            Some(&ann_token),
            "DELETE",
            &format!("/api/v1/users/{}/calendar-feed", w.ann),
            None,
        )
        .await;
    assert_eq!(st, 204, "{v}");
    assert_eq!(fetch(mine["url"].as_str().expect("url")).await.0, 404);
}
