//! Team channels, escalation policies and the policy a service runs.

use serde_json::{json, Value};
use tocsin_core::paging::message::verify;
use tocsin_server::notify::testing::Answer;

use super::{ann, keys, receiver, teams, WAIT};
use crate::support::ADMIN_TOKEN;

#[tokio::test]
async fn channels_show_their_secret_once_test_signed_and_stay_while_a_policy_names_them() {
    let (_tmp, server, ann, _) = ann().await;
    let [(a, _), (b, _)] = teams(&server).await;
    let rx = receiver(Answer::Status(202)).await;
    let ch = server
        .admin(
            "POST",
            &format!("/teams/{a}/channels"),
            Some(json!({"type": "webhook", "name": "ops room", "url": rx.url("/ops")})),
        )
        .await;
    assert_eq!(
        keys(&ch),
        [
            "created_at",
            "id",
            "name",
            "signing_secret",
            "team_id",
            "type",
            "url"
        ]
    );
    assert!(ch["id"].as_str().expect("id").starts_with("chn_"));
    let secret = ch["signing_secret"].as_str().expect("secret").to_owned();
    let ch_id = ch["id"].as_str().expect("id").to_owned();
    let list = server
        .admin("GET", &format!("/teams/{a}/channels"), None)
        .await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert!(list[0].get("signing_secret").is_none(), "{list}");
    assert_eq!(
        server
            .admin("GET", &format!("/teams/{b}/channels"), None)
            .await,
        json!([])
    );
    // Another team's path does not reach it.
    for (method, path) in [
        ("GET", format!("/api/v1/teams/{b}/channels/{ch_id}")),
        ("DELETE", format!("/api/v1/teams/{b}/channels/{ch_id}")),
        ("POST", format!("/api/v1/teams/{b}/channels/{ch_id}/test")),
    ] {
        let (st, v) = server.call(Some(ADMIN_TOKEN), method, &path, None).await;
        assert_eq!(st, 404, "{method} {path}: {v}");
    }
    let sent = server
        .admin("POST", &format!("/teams/{a}/channels/{ch_id}/test"), None)
        .await;
    assert_eq!(sent["status"], "sent", "{sent}");
    let got = rx.wait_for(1, WAIT).await.expect("the channel's test");
    assert!(verify(
        &secret,
        &got[0].body,
        got[0].header("x-tocsin-signature")
    ));

    let (st, dup) = server
        .post(
            &format!("/api/v1/teams/{a}/channels"),
            json!({"type": "email", "name": "ops room", "address": "ops@example.com"}),
        )
        .await;
    assert_eq!((st, dup["code"].as_str()), (409, Some("conflict")), "{dup}");

    let p = server
        .admin(
            "POST",
            "/escalation-policies",
            Some(json!({"team_id": a, "name": "Primary", "repeat": 0, "steps": [
                {"delay_minutes": 0, "targets": [{"type": "user", "id": ann}, {"type": "channel", "id": ch_id}]}
            ]})),
        )
        .await;
    let (st, held) = server
        .call(
            Some(ADMIN_TOKEN),
            "DELETE",
            &format!("/api/v1/teams/{a}/channels/{ch_id}"),
            None,
        )
        .await;
    assert_eq!(
        (st, held["code"].as_str()),
        (409, Some("conflict")),
        "{held}"
    );
    assert!(
        held["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Primary")),
        "{held}"
    );
    server
        .admin(
            "DELETE",
            &format!("/escalation-policies/{}", p["id"].as_str().expect("id")),
            None,
        )
        .await;
    let (st, _) = server
        .call(
            Some(ADMIN_TOKEN),
            "DELETE",
            &format!("/api/v1/teams/{a}/channels/{ch_id}"),
            None,
        )
        .await;
    assert_eq!(st, 204);
}

#[tokio::test]
async fn policies_are_checked_named_and_run_by_services_of_their_team() {
    let (_tmp, server, ann, _) = ann().await;
    let [(a, svc_a), (b, _)] = teams(&server).await;
    let theirs = server
        .admin(
            "POST",
            &format!("/teams/{b}/channels"),
            Some(json!({"type": "email", "name": "desk", "address": "desk@example.com"})),
        )
        .await;
    let step =
        |targets: Value| json!([{"delay_minutes": 5, "round_robin": true, "targets": targets}]);
    let body = json!({
        "team_id": a, "name": "Primary", "repeat": "until_acknowledged", "ack_timeout_minutes": 30,
        "steps": step(json!([{"type": "user", "id": ann}]))
    });
    let (st, p) = server
        .post("/api/v1/escalation-policies", body.clone())
        .await;
    assert_eq!(st, 201, "{p}");
    assert_eq!(
        keys(&p),
        [
            "ack_timeout_minutes",
            "created_at",
            "id",
            "name",
            "repeat",
            "steps",
            "team_id",
            "updated_at"
        ]
    );
    assert!(p["id"].as_str().expect("id").starts_with("esc_"));
    assert_eq!(p["repeat"], "until_acknowledged");
    assert_eq!(p["ack_timeout_minutes"], 30);
    assert_eq!(p["steps"], step(json!([{"type": "user", "id": ann}])));
    let pid = p["id"].as_str().expect("id").to_owned();

    // Refusals: each names its field, and nothing is stored.
    let ghost = "usr_01J00000000000000000000000";
    for (change, code, names) in [
        (
            json!({"steps": step(json!([{"type": "user", "id": ann}, {"type": "user", "id": ghost}]))}),
            "invalid_field",
            "steps[0].targets[1]",
        ),
        (
            json!({"steps": step(json!([{"type": "channel", "id": theirs["id"]}]))}),
            "invalid_field",
            "steps[0].targets[0]",
        ),
        (
            json!({"steps": step(json!([{"type": "schedule", "id": "sch_01J00000000000000000000000"}]))}),
            "invalid_field",
            "the policy's team has no schedule sch_01J00000000000000000000000",
        ),
        (json!({"steps": []}), "invalid_field", "steps"),
        (
            json!({"steps": step(json!([]))}),
            "invalid_field",
            "steps[0].targets",
        ),
        (json!({"repeat": "forever"}), "invalid_field", "repeat"),
        (
            json!({"ack_timeout_minutes": 0}),
            "invalid_field",
            "ack_timeout_minutes",
        ),
        (json!({"name": ""}), "invalid_field", "name"),
        (json!({"team_id": null}), "missing_field", "team_id"),
        (
            json!({"steps": step(json!([{"type": "pager", "id": ann}]))}),
            "invalid_field",
            "steps[0].targets[0]",
        ),
        (json!({"name": "Primary"}), "conflict", "Primary"),
    ] {
        let mut bad = body.clone();
        for (k, v) in change.as_object().expect("object") {
            bad[k] = v.clone();
        }
        if bad["name"] == "Primary" && change.get("name").is_none() {
            bad["name"] = json!("Other");
        }
        let (st, v) = server
            .post("/api/v1/escalation-policies", bad.clone())
            .await;
        let want = if code == "conflict" { 409 } else { 400 };
        assert_eq!(
            (st, v["code"].as_str()),
            (want, Some(code)),
            "{change}: {v}"
        );
        assert!(
            v["detail"].as_str().is_some_and(|d| d.contains(names)),
            "{change}: {v}"
        );
    }
    let all = server.admin("GET", "/escalation-policies", None).await;
    assert_eq!(all.as_array().map(Vec::len), Some(1), "{all}");
    assert_eq!(
        server
            .admin("GET", &format!("/escalation-policies?team_id={b}"), None)
            .await,
        json!([])
    );
    assert_eq!(
        server
            .admin("GET", &format!("/escalation-policies?team_id={a}"), None)
            .await[0]["id"],
        pid
    );

    // PUT replaces name and rules; it cannot move the policy.
    let mut put = body.clone();
    put["name"] = json!("Main");
    put["repeat"] = json!(2);
    let updated = server
        .admin(
            "PUT",
            &format!("/escalation-policies/{pid}"),
            Some(put.clone()),
        )
        .await;
    assert_eq!(
        (updated["name"].as_str(), updated["repeat"].as_u64()),
        (Some("Main"), Some(2))
    );
    assert_eq!(updated["created_at"], p["created_at"]);
    put["team_id"] = json!(b);
    let (st, v) = server
        .call(
            Some(ADMIN_TOKEN),
            "PUT",
            &format!("/api/v1/escalation-policies/{pid}"),
            Some(put),
        )
        .await;
    assert_eq!(
        (st, v["code"].as_str()),
        (400, Some("invalid_field")),
        "{v}"
    );
    assert!(
        v["detail"].as_str().is_some_and(|d| d.contains("team_id")),
        "{v}"
    );
    assert_eq!(
        server
            .admin("GET", &format!("/escalation-policies/{pid}"), None)
            .await,
        updated
    );

    // A service runs it: every service answer says so.
    let svc_path = format!("/api/v1/services/{svc_a}");
    let (st, svc) = server
        .call(
            Some(ADMIN_TOKEN),
            "PATCH",
            &svc_path,
            Some(json!({"escalation_policy_id": pid})),
        )
        .await;
    assert_eq!(
        (st, svc["escalation_policy_id"].as_str()),
        (200, Some(pid.as_str())),
        "{svc}"
    );
    assert_eq!(server.get(&svc_path).await.1["escalation_policy_id"], pid);
    let listed = server
        .admin("GET", &format!("/services?team_id={a}"), None)
        .await;
    assert_eq!(listed[0]["escalation_policy_id"], pid);
    let (st, unchanged) = server
        .call(Some(ADMIN_TOKEN), "PATCH", &svc_path, Some(json!({})))
        .await;
    assert_eq!(
        (st, unchanged["escalation_policy_id"].as_str()),
        (200, Some(pid.as_str()))
    );
    // Another team's policy, or none, is refused; a used policy stays.
    let pb = server
        .admin("POST", "/escalation-policies", Some(json!({"team_id": b, "name": "Theirs", "repeat": 0, "steps": step(json!([{"type": "user", "id": ann}]))})))
        .await;
    for other in [pb["id"].clone(), json!("esc_01J00000000000000000000000")] {
        let (st, v) = server
            .call(
                Some(ADMIN_TOKEN),
                "PATCH",
                &svc_path,
                Some(json!({"escalation_policy_id": other})),
            )
            .await;
        assert_eq!(
            (st, v["code"].as_str()),
            (400, Some("invalid_field")),
            "{v}"
        );
        assert!(
            v["detail"]
                .as_str()
                .is_some_and(|d| d.contains("escalation_policy_id")),
            "{v}"
        );
    }
    let (st, v) = server
        .call(
            Some(ADMIN_TOKEN),
            "PATCH",
            &svc_path,
            Some(json!({"escalation_policy_id": "svc_x"})),
        )
        .await;
    assert_eq!(
        (st, v["code"].as_str()),
        (400, Some("invalid_field")),
        "{v}"
    );
    assert_eq!(server.get(&svc_path).await.1["escalation_policy_id"], pid);
    let (st, used) = server
        .call(
            Some(ADMIN_TOKEN),
            "DELETE",
            &format!("/api/v1/escalation-policies/{pid}"),
            None,
        )
        .await;
    assert_eq!(
        (st, used["code"].as_str()),
        (409, Some("conflict")),
        "{used}"
    );
    let (st, cleared) = server
        .call(
            Some(ADMIN_TOKEN),
            "PATCH",
            &svc_path,
            Some(json!({"escalation_policy_id": null})),
        )
        .await;
    assert_eq!(
        (st, &cleared["escalation_policy_id"]),
        (200, &Value::Null),
        "{cleared}"
    );
    let (st, _) = server
        .call(
            Some(ADMIN_TOKEN),
            "DELETE",
            &format!("/api/v1/escalation-policies/{pid}"),
            None,
        )
        .await;
    assert_eq!(st, 204);
    let (st, _) = server
        .get(&format!("/api/v1/escalation-policies/{pid}"))
        .await;
    assert_eq!(st, 404);

    // Every write is in the audit log.
    let audit = server.admin("GET", "/audit?limit=500", None).await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in [
        "channel.create",
        "escalation_policy.create",
        "escalation_policy.update",
        "escalation_policy.delete",
        "service.set_policy",
    ] {
        assert!(actions.contains(&a), "{a} not in {actions:?}");
    }
}
