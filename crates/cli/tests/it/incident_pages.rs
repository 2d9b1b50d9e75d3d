//! Incident pages stay small whatever the alerts carried (issue 20, finding 3): an incident
//! and its web page once embedded every event with its raw body (300 alerts of 250 KiB made a
//! 73 MiB page). Now both hold the newest events without bodies, older ones are paged with a
//! cursor, and one body is fetched on demand, exactly as received.

use serde_json::{json, Value};

use crate::support::{alert, Server};

/// Far above what a bounded page needs, far below what the unbounded one made (12 MiB here).
const MIB: usize = 1024 * 1024;

/// A Kapacitor alert of about 200 KiB: a long series, as a big `groupBy` query sends.
fn big_alert(n: usize) -> String {
    let mut body: Value = serde_json::from_str(&alert("big", "CRITICAL")).expect("alert json");
    let rows: Vec<Value> = (0..5_000)
        .map(|i| {
            json!([
                format!(
                    "2026-11-24T10:{:02}:{:02}.000000{n:03}Z",
                    i / 60 % 60,
                    i % 60
                ),
                i
            ])
        })
        .collect();
    body["data"]["series"][0]["values"] = Value::Array(rows);
    let body = body.to_string();
    assert!(
        body.len() > 190 * 1024 && body.len() < 256 * 1024,
        "{}",
        body.len()
    );
    body
}

#[tokio::test]
async fn an_incident_of_big_alerts_is_read_in_bounded_pages_and_bodies_on_demand() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let url = server.default_webhook().await;

    // 60 alerts of ~200 KiB into one incident, one after another on loopback.
    let mut sent = Vec::new();
    let mut events = Vec::new();
    for n in 0..60 {
        let body = big_alert(n);
        let (s, r) = server.send(&url, body.clone()).await;
        assert_eq!(s, 202, "{r}");
        events.push(r["event_id"].as_str().expect("event id").to_owned());
        sent.push(body);
    }
    let (_, first) = server.get("/api/v1/incidents?limit=1").await;
    let id = first["incidents"][0]["id"]
        .as_str()
        .expect("incident")
        .to_owned();
    assert_eq!(first["incidents"][0]["event_count"], 60);

    // The incident: the newest 50 events, oldest first, sizes but no bodies, a cursor on.
    let (s, ct, text) = server.get_text(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(s, 200, "{text:.300}");
    assert!(ct.starts_with("application/json"), "{ct}");
    assert!(
        text.len() < MIB,
        "GET /api/v1/incidents/{{id}} is {} bytes",
        text.len()
    );
    let detail: Value = serde_json::from_str(&text).expect("json");
    let timeline = detail["timeline"].as_array().expect("timeline");
    let ids: Vec<&str> = timeline.iter().filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(
        ids,
        events[10..].iter().map(String::as_str).collect::<Vec<_>>()
    );
    for (ev, body) in timeline.iter().zip(&sent[10..]) {
        assert!(ev["payload"].is_null(), "{ev}");
        assert_eq!(ev["payload_size"].as_u64(), Some(body.len() as u64), "{ev}");
        let want = format!(
            "/api/v1/incidents/{id}/events/{}/payload",
            ev["id"].as_str().unwrap_or("")
        );
        assert_eq!(ev["payload_url"].as_str(), Some(want.as_str()));
    }
    assert_eq!(
        detail["events_next_cursor"].as_str(),
        Some(events[10].as_str())
    );

    // Every event once, newest first, across pages of the events list.
    let (s, page) = server
        .get(&format!("/api/v1/incidents/{id}/events?limit=7"))
        .await;
    assert_eq!(s, 200, "{page}");
    let newest: Vec<&str> = page["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["id"].as_str())
        .collect();
    let want: Vec<&str> = events.iter().rev().take(7).map(String::as_str).collect();
    assert_eq!(newest, want);
    assert_eq!(page["next_cursor"].as_str(), Some(want[6]));
    let all: Vec<String> = server
        .timeline(&id)
        .await
        .iter()
        .filter_map(|e| e["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(all, events);
    let (s, text) = {
        let (s, _, t) = server
            .get_text(&format!("/api/v1/incidents/{id}/events?limit=200"))
            .await;
        (s, t)
    };
    assert_eq!(s, 200);
    assert!(
        text.len() < MIB,
        "a full events page is {} bytes",
        text.len()
    );

    // A body on demand, byte for byte, as JSON.
    for i in [0, 59] {
        let path = format!("/api/v1/incidents/{id}/events/{}/payload", events[i]);
        let (s, ct, body) = server.get_text(&path).await;
        assert_eq!(s, 200, "{body:.300}");
        assert_eq!(ct, "application/json");
        assert!(body == sent[i], "payload {i} differs from what was sent");
    }

    // The web page: one page of events, a link to older ones, bodies not in it.
    let (s, ct, html) = server.get_text(&format!("/incidents/{id}")).await;
    assert_eq!(s, 200, "{html:.300}");
    assert!(ct.starts_with("text/html"), "{ct}");
    assert!(
        html.len() < MIB,
        "/incidents/{{id}} is {} bytes",
        html.len()
    );
    assert!(
        !html.contains("2026-11-24T10:00:00.000000059Z"),
        "no body in the page"
    );
    assert!(html.contains(&format!(
        "/api/v1/incidents/{id}/events/{}/payload",
        events[59]
    )));
    assert!(!html.contains(&format!("/events/{}/payload", events[9])));
    let older = format!("/incidents/{id}?cursor={}", events[10]);
    assert!(html.contains(&older), "an older-events link");
    let (s, _, html) = server.get_text(&older).await;
    assert_eq!(s, 200, "{html:.300}");
    assert!(
        html.contains(&format!("/events/{}/payload", events[0])),
        "the oldest event"
    );
    assert!(!html.contains(&format!("/events/{}/payload", events[10])));
    assert!(!html.contains("Older events →"), "the last page");
}

#[tokio::test]
async fn bad_pages_are_400_and_other_teams_bodies_404() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let url = server.default_webhook().await;
    let (_, opened) = server.send(&url, alert("cpu", "CRITICAL")).await;
    let id = opened["incident_id"].as_str().expect("incident").to_owned();
    let event = opened["event_id"].as_str().expect("event").to_owned();
    let (_, other) = server.send(&url, alert("disk", "CRITICAL")).await;
    let other_event = other["event_id"].as_str().expect("event").to_owned();

    let events = format!("/api/v1/incidents/{id}/events");
    for (query, code) in [
        ("?cursor=nonsense", "invalid_query"),
        ("?cursor=inc_01JD0000000000000000000000", "invalid_query"),
        ("?limit=201", "invalid_query"),
        ("?limit=0", "invalid_query"),
        ("?limit=many", "invalid_query"),
    ] {
        let (s, body) = server.get(&format!("{events}{query}")).await;
        assert_eq!(s, 400, "{query}: {body}");
        assert_eq!(body["code"], code, "{query}: {body}");
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{body}"
        );
    }
    let (s, page) = server.get(&format!("{events}?limit=200&cursor=")).await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["events"].as_array().map(Vec::len), Some(1));
    let (s, body) = server
        .get(&format!("/incidents/{id}?cursor=nonsense"))
        .await;
    assert_eq!(s, 400, "the web page refuses a bad cursor too: {body}");

    let payload = |inc: &str, ev: &str| format!("/api/v1/incidents/{inc}/events/{ev}/payload");
    let (s, body) = server.get(&payload(&id, "evt_nonsense")).await;
    assert_eq!((s, &body["code"]), (400, &json!("invalid_id")), "{body}");
    let (s, body) = server.get(&payload(&id, &other_event)).await;
    assert_eq!(s, 404, "another incident's event: {body}");
    let (s, note) = server
        .post(
            &format!("/api/v1/incidents/{id}/notes"),
            json!({"text": "on it"}),
        )
        .await;
    assert_eq!(s, 201, "{note}");
    let (s, body) = server
        .get(&payload(&id, note["id"].as_str().expect("note")))
        .await;
    assert_eq!(s, 404, "a note has no payload: {body}");

    // A token of another team sees none of it; one of this team does.
    let (_, team_b) = server
        .post("/api/v1/teams", json!({"name": "Team B"}))
        .await;
    let (_, teams) = server.get("/api/v1/teams").await;
    let team_a = teams
        .as_array()
        .and_then(|t| t.iter().find(|t| t["id"] != team_b["id"]))
        .and_then(|t| t["id"].as_str())
        .expect("team a")
        .to_owned();
    let token = |team: String| {
        let server = &server;
        async move {
            let (s, t) = server
                .post(
                    "/api/v1/tokens",
                    json!({"name": format!("observer of {team}"), "team_id": team, "role": "observer"}),
                )
                .await;
            assert_eq!(s, 201, "{t}");
            t["token"].as_str().expect("token").to_owned()
        }
    };
    let outsider = token(team_b["id"].as_str().expect("team b").to_owned()).await;
    let observer = token(team_a).await;
    for path in [
        format!("/api/v1/incidents/{id}"),
        events.clone(),
        payload(&id, &event),
    ] {
        let (s, body) = server.call(Some(&outsider), "GET", &path, None).await;
        assert_eq!(
            (s, &body["code"]),
            (404, &json!("not_found")),
            "{path}: {body}"
        );
        let (s, body) = server.call(Some(&observer), "GET", &path, None).await;
        assert_eq!(s, 200, "{path}: {body}");
    }
}
