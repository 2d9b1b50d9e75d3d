//! Schedules, on-call answers, shifts and overrides through the API (the hand-off scenario on
//! both databases; every store call is proven on both by the conformance suite).

use serde_json::{json, Value};

use super::{daily, id, world};
use crate::paging::keys;
use crate::support::ADMIN_TOKEN;

/// `GET /schedules/{id}/on-call?at=…` as the admin: (usernames, until).
async fn on_call(w: &super::World, sch: &str, at: &str) -> (Vec<String>, Value) {
    let v = w
        .server
        .admin("GET", &format!("/schedules/{sch}/on-call?at={at}"), None)
        .await;
    let users = v["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| u["username"].as_str().expect("username").to_owned())
        .collect();
    (users, v["until"].clone())
}

#[tokio::test]
async fn on_call_hands_over_at_the_local_time_across_daylight_saving_and_shifts_agree() {
    hand_offs(world().await).await;
}

#[cfg(feature = "postgres-tests")]
#[tokio::test]
async fn on_call_hand_offs_and_overrides_on_postgres() {
    hand_offs(super::world_pg().await).await;
}

/// Who is on call and the shifts, across a hand-off and a daylight-saving change, with an
/// override; on whichever database `w` runs.
async fn hand_offs(w: super::World) {
    // From Monday 1 March 2027, 09:00 in Berlin: 08:00Z until 28 March, 07:00Z after.
    let body = daily(&w.a, "Payments", &[&w.ann, &w.bob], "2027-03-01T09:00:00");
    let (st, sch) = w.server.post("/api/v1/schedules", body.clone()).await;
    assert_eq!(st, 201, "{sch}");
    assert_eq!(
        keys(&sch),
        [
            "created_at",
            "gaps",
            "id",
            "layers",
            "name",
            "team_id",
            "time_zone",
            "updated_at"
        ]
    );
    assert!(id(&sch).starts_with("sch_"));
    assert_eq!(sch["team_id"], json!(w.a));
    assert_eq!(sch["time_zone"], "Europe/Berlin");
    assert_eq!(sch["layers"], body["layers"].clone());
    let s = id(&sch);
    // Read back as created (the gaps run from the moment asked, so they differ).
    let without_gaps = |mut v: Value| {
        v.as_object_mut().expect("object").remove("gaps");
        v
    };
    assert_eq!(
        without_gaps(
            w.server
                .admin("GET", &format!("/schedules/{s}"), None)
                .await
        ),
        without_gaps(sch.clone())
    );
    // Not started yet: the next 14 days are one gap.
    assert_eq!(sch["gaps"].as_array().map(Vec::len), Some(1), "{sch}");
    // Day 0 is ann's until the first hand-off, 2 March 09:00 CET (08:00Z); then bob's.
    assert_eq!(
        on_call(&w, &s, "2027-03-02T07:59:59Z").await,
        (vec!["ann".to_owned()], json!("2027-03-02T08:00:00Z"))
    );
    assert_eq!(
        on_call(&w, &s, "2027-03-02T08:00:00Z").await,
        (vec!["bob".to_owned()], json!("2027-03-03T08:00:00Z"))
    );
    // After the clocks go forward on 28 March, 09:00 CEST is 07:00Z.
    assert_eq!(
        on_call(&w, &s, "2027-03-29T06:59:59Z").await,
        (vec!["bob".to_owned()], json!("2027-03-29T07:00:00Z"))
    );
    assert_eq!(
        on_call(&w, &s, "2027-03-29T07:00:00%2B00:00").await,
        (vec!["ann".to_owned()], json!("2027-03-30T07:00:00Z"))
    );
    // Before the first hand-off nobody is on call.
    assert_eq!(
        on_call(&w, &s, "2027-02-28T12:00:00Z").await.0,
        Vec::<String>::new()
    );
    let on = w
        .server
        .admin("GET", &format!("/schedules/{s}/on-call"), None)
        .await;
    assert_eq!(keys(&on), ["until", "users"]);
    assert_eq!(on["users"][0]["id"], Value::Null, "nobody yet: {on}");

    // The shifts over the DST week say the same, and each starts where on-call changes.
    let shifts = w
        .server
        .admin(
            "GET",
            &format!("/schedules/{s}/shifts?from=2027-03-27T00:00:00Z&to=2027-03-30T00:00:00Z"),
            None,
        )
        .await;
    let got: Vec<(String, String, String)> = shifts
        .as_array()
        .expect("shifts")
        .iter()
        .map(|x| {
            assert_eq!(x["layer"], "primary");
            assert_eq!(x["override"], false);
            (
                x["user_id"].as_str().expect("user").to_owned(),
                x["start"].as_str().expect("start").to_owned(),
                x["end"].as_str().expect("end").to_owned(),
            )
        })
        .collect();
    let (ann, bob) = (w.ann.clone(), w.bob.clone());
    assert_eq!(
        got,
        vec![
            (
                bob.clone(),
                "2027-03-27T00:00:00Z".into(),
                "2027-03-27T08:00:00Z".into()
            ),
            (
                ann.clone(),
                "2027-03-27T08:00:00Z".into(),
                "2027-03-28T07:00:00Z".into()
            ),
            (
                bob.clone(),
                "2027-03-28T07:00:00Z".into(),
                "2027-03-29T07:00:00Z".into()
            ),
            (
                ann.clone(),
                "2027-03-29T07:00:00Z".into(),
                "2027-03-30T00:00:00Z".into()
            ),
        ]
    );
    for (user, start, _) in &got {
        let (who, _) = on_call(&w, &s, start).await;
        let want = if *user == ann { "ann" } else { "bob" };
        assert_eq!(who, vec![want.to_owned()], "at {start}");
    }

    // An override wins while it lasts, then the rotation resumes.
    let (st, o) = w
        .server
        .post(
            &format!("/api/v1/schedules/{s}/overrides"),
            json!({"user_id": bob, "start": "2027-03-29T12:00:00Z", "end": "2027-03-29T14:00:00Z"}),
        )
        .await;
    assert_eq!(st, 201, "{o}");
    assert_eq!(keys(&o), ["created_at", "end", "id", "start", "user_id"]);
    assert!(id(&o).starts_with("ovr_"));
    assert_eq!(
        on_call(&w, &s, "2027-03-29T13:00:00Z").await,
        (vec!["bob".to_owned()], json!("2027-03-29T14:00:00Z"))
    );
    assert_eq!(
        on_call(&w, &s, "2027-03-29T14:00:00Z").await,
        (vec!["ann".to_owned()], json!("2027-03-30T07:00:00Z"))
    );
    let day = w
        .server
        .admin(
            "GET",
            &format!("/schedules/{s}/shifts?from=2027-03-29T07:00:00Z&to=2027-03-30T07:00:00Z"),
            None,
        )
        .await;
    let day: Vec<(Value, Value, Value)> = day
        .as_array()
        .expect("shifts")
        .iter()
        .map(|x| {
            (
                x["user_id"].clone(),
                x["start"].clone(),
                x["override"].clone(),
            )
        })
        .collect();
    assert_eq!(
        day,
        vec![
            (json!(ann), json!("2027-03-29T07:00:00Z"), json!(false)),
            (json!(bob), json!("2027-03-29T12:00:00Z"), json!(true)),
            (json!(ann), json!("2027-03-29T14:00:00Z"), json!(false)),
        ]
    );
    let listed = w
        .server
        .admin("GET", &format!("/schedules/{s}/overrides"), None)
        .await;
    assert_eq!(listed, json!([o.clone()]));
    let oid = id(&o);
    w.server
        .admin("DELETE", &format!("/schedules/{s}/overrides/{oid}"), None)
        .await;
    assert_eq!(
        on_call(&w, &s, "2027-03-29T13:00:00Z").await.0,
        vec!["ann".to_owned()]
    );
    let (st, _) = w
        .server
        .call(
            Some(ADMIN_TOKEN),
            "DELETE",
            &format!("/api/v1/schedules/{s}/overrides/{oid}"),
            None,
        )
        .await;
    assert_eq!(st, 404);
}

#[tokio::test]
async fn gaps_are_returned_on_save_and_the_schedule_is_listed_updated_and_held_by_policies() {
    let w = world().await;
    // Office hours only: every evening and weekend is a gap.
    let mut office = daily(&w.a, "Office", &[&w.ann], "2026-01-05T09:00:00");
    office["layers"][0]["restrictions"] =
        json!([{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00"}]);
    let (st, o) = w.server.post("/api/v1/schedules", office.clone()).await;
    assert_eq!(st, 201, "{o}");
    let gaps = o["gaps"].as_array().expect("gaps");
    assert!(gaps.len() >= 8, "two weeks of evenings and weekends: {o}");
    for g in gaps {
        assert_eq!(keys(g), ["end", "start"]);
        assert!(g["start"].as_str() < g["end"].as_str(), "{g}");
    }
    // Around the clock: no gap.
    let (st, all) = w
        .server
        .post(
            "/api/v1/schedules",
            daily(&w.a, "All day", &[&w.ann, &w.bob], "2026-01-05T09:00:00"),
        )
        .await;
    assert_eq!(st, 201, "{all}");
    assert_eq!(all["gaps"], json!([]));
    let (oid, aid) = (id(&o), id(&all));

    // Listed by name, per team.
    let list = w
        .server
        .admin("GET", &format!("/schedules?team_id={}", w.a), None)
        .await;
    let names: Vec<&str> = list
        .as_array()
        .expect("list")
        .iter()
        .map(|s| s["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["All day", "Office"]);
    assert_eq!(
        w.server
            .admin("GET", &format!("/schedules?team_id={}", w.b), None)
            .await,
        json!([])
    );

    // PUT replaces name and rules; the gaps follow.
    let mut round = daily(&w.a, "Office hours", &[&w.bob], "2026-01-05T09:00:00");
    round["team_id"] = json!(w.a);
    let up = w
        .server
        .admin("PUT", &format!("/schedules/{oid}"), Some(round))
        .await;
    assert_eq!(up["name"], "Office hours");
    assert_eq!(up["gaps"], json!([]));
    assert_eq!(up["layers"][0]["participants"], json!([w.bob]));

    // A policy may name the team's schedule, not another team's; while it does, the
    // schedule stays.
    let (st, foreign) = w
        .server
        .post(
            "/api/v1/schedules",
            daily(&w.b, "Theirs", &[&w.bob], "2026-01-05T09:00:00"),
        )
        .await;
    assert_eq!(st, 201, "{foreign}");
    let policy = |target: &str| {
        json!({"team_id": w.a, "name": "Primary", "repeat": 0, "steps": [
            {"delay_minutes": 0, "targets": [{"type": "schedule", "id": target}]}
        ]})
    };
    let (st, e) = w
        .server
        .post("/api/v1/escalation-policies", policy(&id(&foreign)))
        .await;
    assert_eq!(
        (st, e["code"].as_str()),
        (400, Some("invalid_field")),
        "{e}"
    );
    assert!(
        e["detail"]
            .as_str()
            .expect("detail")
            .contains("steps[0].targets[0]"),
        "{e}"
    );
    let (st, p) = w
        .server
        .post("/api/v1/escalation-policies", policy(&aid))
        .await;
    assert_eq!(st, 201, "{p}");
    let (st, e) = w
        .server
        .call(
            Some(ADMIN_TOKEN),
            "DELETE",
            &format!("/api/v1/schedules/{aid}"),
            None,
        )
        .await;
    assert_eq!((st, e["code"].as_str()), (409, Some("conflict")), "{e}");
    assert!(
        e["detail"].as_str().expect("detail").contains("Primary"),
        "{e}"
    );
    w.server
        .admin("DELETE", &format!("/escalation-policies/{}", id(&p)), None)
        .await;
    w.server
        .admin("DELETE", &format!("/schedules/{aid}"), None)
        .await;
    let (st, _) = w.server.get(&format!("/api/v1/schedules/{aid}")).await;
    assert_eq!(st, 404);
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field_and_changes_nothing() {
    let w = world().await;
    let ok = daily(&w.a, "Days", &[&w.ann], "2026-01-05T09:00:00");
    let (st, sch) = w.server.post("/api/v1/schedules", ok.clone()).await;
    assert_eq!(st, 201, "{sch}");
    let s = id(&sch);
    let with = |path: &str, v: Value| {
        let mut b = ok.clone();
        let mut at = &mut b;
        for p in path.split('.') {
            at = match p.parse::<usize>() {
                Ok(i) => &mut at[i],
                Err(_) => &mut at[p],
            };
        }
        *at = v;
        b
    };
    let ghost = "usr_01JDQ3Z5K2M8N9P0Q1R2S3T4V5";
    for (body, code, field) in [
        (
            with("time_zone", json!("Mars/Olympus")),
            "invalid_field",
            "time_zone",
        ),
        (with("layers", json!([])), "invalid_field", "layers"),
        (
            with("layers.0.start", json!("tomorrow")),
            "invalid_field",
            "layers[0].start",
        ),
        (
            with("layers.0.rotation.length", json!(0)),
            "invalid_field",
            "layers[0].rotation.length",
        ),
        (
            with("layers.0.participants", json!([])),
            "invalid_field",
            "layers[0].participants",
        ),
        (
            with("layers.0.participants", json!([w.ann, ghost])),
            "invalid_field",
            "layers[0].participants[1]",
        ),
        (with("name", json!(" ")), "invalid_field", "name"),
        (with("team_id", Value::Null), "missing_field", "team_id"),
        (with("name", json!("Days")), "conflict", "Days"),
    ] {
        let (st, e) = w.server.post("/api/v1/schedules", body.clone()).await;
        let want = if code == "conflict" { 409 } else { 400 };
        assert_eq!((st, e["code"].as_str()), (want, Some(code)), "{body}: {e}");
        assert!(
            e["detail"].as_str().expect("detail").contains(field),
            "{field}: {e}"
        );
    }
    let list = w.server.admin("GET", "/schedules", None).await;
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(1),
        "nothing stored: {list}"
    );

    for (query, field) in [
        ("shifts?from=2027-01-01T00:00:00Z", "to"),
        ("shifts?to=2027-01-01T00:00:00Z", "from"),
        ("shifts?from=yesterday&to=2027-01-01T00:00:00Z", "from"),
        (
            "shifts?from=2027-01-02T00:00:00Z&to=2027-01-01T00:00:00Z",
            "to",
        ),
        (
            "shifts?from=2027-01-01T00:00:00Z&to=2029-01-01T00:00:00Z",
            "to",
        ),
        ("on-call?at=noon", "at"),
    ] {
        let (st, e) = w
            .server
            .get(&format!("/api/v1/schedules/{s}/{query}"))
            .await;
        assert_eq!(
            (st, e["code"].as_str()),
            (400, Some("invalid_query")),
            "{query}: {e}"
        );
        assert!(
            e["detail"]
                .as_str()
                .expect("detail")
                .contains(&format!("`{field}`")),
            "{query}: {e}"
        );
    }
    for (body, field) in [
        (
            json!({"user_id": w.ann, "start": "2027-01-02T00:00:00Z", "end": "2027-01-01T00:00:00Z"}),
            "end",
        ),
        (
            json!({"user_id": ghost, "start": "2027-01-01T00:00:00Z", "end": "2027-01-02T00:00:00Z"}),
            "user_id",
        ),
        (
            json!({"user_id": w.ann, "start": "soon", "end": "2027-01-02T00:00:00Z"}),
            "start",
        ),
    ] {
        let (st, e) = w
            .server
            .post(&format!("/api/v1/schedules/{s}/overrides"), body.clone())
            .await;
        assert_eq!(
            (st, e["code"].as_str()),
            (400, Some("invalid_field")),
            "{body}: {e}"
        );
        assert!(
            e["detail"].as_str().expect("detail").contains(field),
            "{field}: {e}"
        );
    }
    assert_eq!(
        w.server
            .admin("GET", &format!("/schedules/{s}/overrides"), None)
            .await,
        json!([])
    );
    // Moving a schedule to another team is refused.
    let (st, e) = w
        .server
        .call(
            Some(ADMIN_TOKEN),
            "PUT",
            &format!("/api/v1/schedules/{s}"),
            Some(with("team_id", json!(w.b))),
        )
        .await;
    assert_eq!(st, 400, "{e}");
    assert!(
        e["detail"].as_str().expect("detail").contains("team_id"),
        "{e}"
    );
}

/// Each layer's own rotation, for the timeline's rows: the restricted layer has only its
/// hours, and where both layers cover an instant the final result takes the last layer.
#[tokio::test]
async fn layers_show_their_own_rotation_under_the_final_result() {
    let w = world().await;
    let mut rules = daily(&w.a, "Layered", &[&w.ann], "2026-01-05T09:00:00");
    let mut office = rules["layers"][0].clone();
    office["name"] = json!("office");
    office["participants"] = json!([w.bob]);
    office["restrictions"] =
        json!([{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00"}]);
    rules["layers"] = json!([rules["layers"][0].clone(), office]);
    let (st, sch) = w.server.post("/api/v1/schedules", rules).await;
    assert_eq!(st, 201, "{sch}");
    let sch = id(&sch);
    // Monday 2026-03-02, Berlin: 08:00Z to the next day.
    let range = "from=2026-03-02T00:00:00Z&to=2026-03-03T00:00:00Z";
    let (st, layers) = w
        .server
        .get(&format!("/api/v1/schedules/{sch}/layers?{range}"))
        .await;
    assert_eq!(st, 200, "{layers}");
    let layers = layers.as_array().expect("layers");
    assert_eq!(layers.len(), 2);
    assert_eq!(layers[1]["layer"], "office");
    let office: Vec<(&str, &str)> = layers[1]["shifts"]
        .as_array()
        .expect("shifts")
        .iter()
        .map(|s| {
            (
                s["start"].as_str().unwrap_or(""),
                s["end"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        office,
        [("2026-03-02T08:00:00Z", "2026-03-02T16:00:00Z")],
        "09:00–17:00 Berlin"
    );
    let (_, finals) = w
        .server
        .get(&format!("/api/v1/schedules/{sch}/shifts?{range}"))
        .await;
    let at_noon: Vec<&Value> = finals
        .as_array()
        .expect("shifts")
        .iter()
        .filter(|s| {
            s["start"].as_str() <= Some("2026-03-02T11:00:00Z")
                && s["end"].as_str() > Some("2026-03-02T11:00:00Z")
        })
        .collect();
    assert_eq!(at_noon.len(), 1);
    assert_eq!(at_noon[0]["user_id"], json!(w.bob), "the last layer wins");
    let (st, bad) = w
        .server
        .get(&format!(
            "/api/v1/schedules/{sch}/layers?from=2026-03-02T00:00:00Z"
        ))
        .await;
    assert_eq!(st, 400, "{bad}");
}
