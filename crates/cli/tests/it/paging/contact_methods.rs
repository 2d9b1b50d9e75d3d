//! Contact methods, their test sends, and notification rules.

use serde_json::{json, Value};
use tocsin_core::paging::message::verify;
use tocsin_server::notify::testing::Answer;

use super::{ann, keys, receiver, PASSWORD, WAIT};
use crate::support::ADMIN_TOKEN;

#[tokio::test]
async fn a_webhook_contact_method_shows_its_secret_once_and_its_test_is_signed_with_it() {
    let (_tmp, server, me, token) = ann().await;
    let rx = receiver(Answer::Status(204)).await;
    let base = format!("/api/v1/users/{me}/contact-methods");
    let (st, cm) = server
        .call(
            Some(&token),
            "POST",
            &base,
            Some(json!({"type": "webhook", "name": " pager ", "url": rx.url("/hook?x=1")})),
        )
        .await;
    assert_eq!(st, 201, "{cm}");
    assert_eq!(
        keys(&cm),
        [
            "created_at",
            "id",
            "name",
            "signing_secret",
            "type",
            "url",
            "user_id"
        ]
    );
    assert!(cm["id"].as_str().expect("id").starts_with("cm_"), "{cm}");
    assert_eq!(
        (cm["type"].as_str(), cm["name"].as_str()),
        (Some("webhook"), Some("pager"))
    );
    assert_eq!(cm["url"], rx.url("/hook?x=1"));
    assert_eq!(cm["user_id"], me);
    let secret = cm["signing_secret"].as_str().expect("secret").to_owned();
    assert!(secret.len() >= 40, "32 random bytes: {secret}");
    let one = format!("{base}/{}", cm["id"].as_str().expect("id"));

    // Never again: not in the list, not in the method itself.
    let (st, list) = server.call(Some(&token), "GET", &base, None).await;
    assert_eq!(st, 200);
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    let (st, shown) = server.call(Some(&token), "GET", &one, None).await;
    assert_eq!(st, 200);
    for v in [&list[0], &shown] {
        assert!(v.get("signing_secret").is_none(), "{v}");
        assert!(!v.to_string().contains(&secret));
        assert_eq!(v["id"], cm["id"]);
    }

    // The test: a real signed POST the receiver checks with the secret from the create answer.
    let (st, sent) = server
        .call(Some(&token), "POST", &format!("{one}/test"), None)
        .await;
    assert_eq!(st, 200, "{sent}");
    assert_eq!(sent["status"], "sent", "{sent}");
    assert!(sent.get("error").is_none(), "{sent}");
    let got = rx.wait_for(1, WAIT).await.expect("the test arrived");
    let r = &got[0];
    assert_eq!(r.uri, "/hook?x=1");
    assert!(verify(&secret, &r.body, r.header("x-tocsin-signature")));
    assert!(!verify(
        "another secret",
        &r.body,
        r.header("x-tocsin-signature")
    ));
    assert_eq!(r.header("x-tocsin-delivery"), sent["delivery_id"]);
    let body: Value = serde_json::from_slice(&r.body).expect("json body");
    let incident = &body["event"]["data"]["incident"];
    assert_eq!(incident["number"], 0);
    assert_eq!(incident["title"], "Test notification from Tocsin");
    assert_eq!(body["event"]["id"], sent["delivery_id"]);

    // A receiver that refuses: failed, with why.
    rx.answer(Answer::Status(500));
    let (st, failed) = server
        .call(Some(&token), "POST", &format!("{one}/test"), None)
        .await;
    assert_eq!(st, 200, "{failed}");
    assert_eq!(failed["status"], "failed", "{failed}");
    assert!(
        failed["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{failed}"
    );
    assert_ne!(failed["delivery_id"], sent["delivery_id"]);

    // Names are the user's own; a deleted method is gone.
    let (st, dup) = server
        .call(
            Some(&token),
            "POST",
            &base,
            Some(json!({"type": "slack", "name": "pager", "url": rx.url("/s")})),
        )
        .await;
    assert_eq!((st, dup["code"].as_str()), (409, Some("conflict")), "{dup}");
    let (st, _) = server.call(Some(&token), "DELETE", &one, None).await;
    assert_eq!(st, 204);
    for (method, path) in [
        ("GET", one.clone()),
        ("DELETE", one.clone()),
        ("POST", format!("{one}/test")),
    ] {
        let (st, v) = server.call(Some(&token), method, &path, None).await;
        assert_eq!(
            (st, v["code"].as_str()),
            (404, Some("not_found")),
            "{method} {path}: {v}"
        );
    }
}

#[tokio::test]
async fn slack_and_email_methods_have_no_secret_and_test_as_their_kind_sends() {
    let (_tmp, server, me, token) = ann().await;
    let rx = receiver(Answer::Status(200)).await;
    let base = format!("/api/v1/users/{me}/contact-methods");
    let (st, slack) = server
        .call(
            Some(&token),
            "POST",
            &base,
            Some(json!({"type": "slack", "name": "chat", "url": rx.url("/slack")})),
        )
        .await;
    assert_eq!(st, 201, "{slack}");
    assert!(slack.get("signing_secret").is_none(), "{slack}");
    let (st, sent) = server
        .call(
            Some(&token),
            "POST",
            &format!("{base}/{}/test", slack["id"].as_str().expect("id")),
            None,
        )
        .await;
    assert_eq!((st, sent["status"].as_str()), (200, Some("sent")), "{sent}");
    let got = rx.wait_for(1, WAIT).await.expect("the slack test");
    assert_eq!(got[0].header("x-tocsin-signature"), "");
    let text: Value = serde_json::from_slice(&got[0].body).expect("json");
    assert!(
        text["text"]
            .as_str()
            .is_some_and(|t| t.contains("Test notification from Tocsin")),
        "{text}"
    );

    let (st, mail) = server
        .call(
            Some(&token),
            "POST",
            &base,
            Some(json!({"type": "email", "name": "inbox", "address": " ann@example.com "})),
        )
        .await;
    assert_eq!(st, 201, "{mail}");
    assert_eq!(
        keys(&mail),
        ["address", "created_at", "id", "name", "type", "user_id"]
    );
    assert_eq!(mail["address"], "ann@example.com");
    // This server has no SMTP relay: the test fails and says so.
    let (st, failed) = server
        .call(
            Some(&token),
            "POST",
            &format!("{base}/{}/test", mail["id"].as_str().expect("id")),
            None,
        )
        .await;
    assert_eq!(
        (st, failed["status"].as_str()),
        (200, Some("failed")),
        "{failed}"
    );
    assert!(
        failed["error"]
            .as_str()
            .is_some_and(|e| e.contains("--smtp-url")),
        "{failed}"
    );
}

#[tokio::test]
async fn bad_destinations_name_their_field_and_change_nothing() {
    let (_tmp, server, me, token) = ann().await;
    let base = format!("/api/v1/users/{me}/contact-methods");
    for (body, code, field) in [
        (
            json!({"type": "webhook", "name": "a"}),
            "missing_field",
            "url",
        ),
        (
            json!({"type": "webhook", "name": "a", "url": "https://x.example", "address": "a@b.c"}),
            "invalid_field",
            "address",
        ),
        (
            json!({"type": "email", "name": "a", "url": "https://x.example"}),
            "invalid_field",
            "url",
        ),
        (
            json!({"type": "email", "name": "a", "address": "not an address"}),
            "invalid_field",
            "address",
        ),
        (
            json!({"type": "slack", "name": "a", "url": "ftp://x.example"}),
            "invalid_field",
            "url",
        ),
        (
            json!({"type": "webhook", "name": "a", "url": "no url"}),
            "invalid_field",
            "url",
        ),
        (
            json!({"type": "sms", "name": "a", "url": "https://x.example"}),
            "invalid_field",
            "type",
        ),
        (
            json!({"type": "webhook", "name": "  ", "url": "https://x.example"}),
            "invalid_field",
            "name",
        ),
        (
            json!({"type": "webhook", "url": "https://x.example"}),
            "missing_field",
            "name",
        ),
        (
            json!({"type": "webhook", "name": "a", "url": "https://x.example", "secret": "mine"}),
            "invalid_field",
            "secret",
        ),
    ] {
        let (st, v) = server
            .call(Some(&token), "POST", &base, Some(body.clone()))
            .await;
        assert_eq!((st, v["code"].as_str()), (400, Some(code)), "{body}: {v}");
        let detail = v["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains(field),
            "{body}: {detail} does not name {field}"
        );
    }
    let (st, v) = server
        .call(
            Some(&token),
            "GET",
            "/api/v1/users/usr_nope/contact-methods",
            None,
        )
        .await;
    assert_eq!((st, v["code"].as_str()), (400, Some("invalid_id")), "{v}");
    let (_, list) = server.call(Some(&token), "GET", &base, None).await;
    assert_eq!(list, json!([]), "nothing was created");
}

#[tokio::test]
async fn contact_methods_and_rules_are_their_users_own_or_an_org_admins() {
    let (_tmp, server, ann, ann_token) = ann().await;
    let bob = server.new_user("bob", PASSWORD, false).await;
    let bob_token = server.user_token("bob", PASSWORD).await;
    // Even in the same team, Bob does not see Ann's.
    let team = server
        .admin("POST", "/teams", Some(json!({"name": "Ops"})))
        .await;
    let team = team["id"].as_str().expect("team");
    server.add_member(team, &ann, "owner").await;
    server.add_member(team, &bob, "owner").await;
    // The organisation admin adds one for Ann.
    let cm = server
        .admin(
            "POST",
            &format!("/users/{ann}/contact-methods"),
            Some(json!({"type": "email", "name": "inbox", "address": "ann@example.com"})),
        )
        .await;
    let cm_id = cm["id"].as_str().expect("id");
    let (st, mine) = server
        .call(
            Some(&ann_token),
            "GET",
            &format!("/api/v1/users/{ann}/contact-methods"),
            None,
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(mine[0]["id"], cm["id"]);
    let rule = json!({"contact_method_id": cm_id, "delay_minutes": 0});
    for (method, path, body) in [
        ("GET", format!("/users/{ann}/contact-methods"), None),
        (
            "POST",
            format!("/users/{ann}/contact-methods"),
            Some(json!({"type": "email", "name": "x", "address": "x@example.com"})),
        ),
        ("GET", format!("/users/{ann}/contact-methods/{cm_id}"), None),
        (
            "POST",
            format!("/users/{ann}/contact-methods/{cm_id}/test"),
            None,
        ),
        (
            "DELETE",
            format!("/users/{ann}/contact-methods/{cm_id}"),
            None,
        ),
        ("GET", format!("/users/{ann}/notification-rules"), None),
        (
            "POST",
            format!("/users/{ann}/notification-rules"),
            Some(rule.clone()),
        ),
    ] {
        let (st, v) = server
            .call(Some(&bob_token), method, &format!("/api/v1{path}"), body)
            .await;
        assert_eq!(
            (st, v["code"].as_str()),
            (404, Some("not_found")),
            "{method} {path}: {v}"
        );
    }
    // Bob's own user cannot hang a rule on Ann's method either: a bad value, named.
    let (st, v) = server
        .call(
            Some(&bob_token),
            "POST",
            &format!("/api/v1/users/{bob}/notification-rules"),
            Some(rule),
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
            .is_some_and(|d| d.contains("contact_method_id")),
        "{v}"
    );
    // An org admin asking for a user who does not exist: not found.
    let (st, _) = server
        .call(
            Some(ADMIN_TOKEN),
            "GET",
            "/api/v1/users/usr_01J00000000000000000000000/contact-methods",
            None,
        )
        .await;
    assert_eq!(st, 404);
    let (_, still) = server
        .call(
            Some(&ann_token),
            "GET",
            &format!("/api/v1/users/{ann}/contact-methods"),
            None,
        )
        .await;
    assert_eq!(still.as_array().map(Vec::len), Some(1), "{still}");
}

#[tokio::test]
async fn notification_rules_are_checked_listed_soonest_first_and_go_with_their_method() {
    let (_tmp, server, me, token) = ann().await;
    let cms = format!("/api/v1/users/{me}/contact-methods");
    let rules = format!("/api/v1/users/{me}/notification-rules");
    let mut ids = Vec::new();
    for (name, address) in [("a", "a@example.com"), ("b", "b@example.com")] {
        let (st, cm) = server
            .call(
                Some(&token),
                "POST",
                &cms,
                Some(json!({"type": "email", "name": name, "address": address})),
            )
            .await;
        assert_eq!(st, 201, "{cm}");
        ids.push(cm["id"].as_str().expect("id").to_owned());
    }
    let mut made = Vec::new();
    for (cm, delay) in [(&ids[0], 10), (&ids[1], 0), (&ids[0], 0)] {
        let (st, r) = server
            .call(
                Some(&token),
                "POST",
                &rules,
                Some(json!({"contact_method_id": cm, "delay_minutes": delay})),
            )
            .await;
        assert_eq!(st, 201, "{r}");
        assert_eq!(
            keys(&r),
            [
                "contact_method_id",
                "created_at",
                "delay_minutes",
                "id",
                "user_id"
            ]
        );
        assert_eq!(
            (r["contact_method_id"].as_str(), r["delay_minutes"].as_u64()),
            (Some(cm.as_str()), Some(delay))
        );
        made.push(r);
    }
    let (st, dup) = server
        .call(
            Some(&token),
            "POST",
            &rules,
            Some(json!({"contact_method_id": ids[0], "delay_minutes": 10})),
        )
        .await;
    assert_eq!((st, dup["code"].as_str()), (409, Some("conflict")), "{dup}");
    for (body, code, field) in [
        (
            json!({"contact_method_id": ids[0], "delay_minutes": 1441}),
            "invalid_field",
            "delay_minutes",
        ),
        (
            json!({"contact_method_id": ids[0], "delay_minutes": -1}),
            "invalid_field",
            "delay_minutes",
        ),
        (
            json!({"contact_method_id": "chn_01J00000000000000000000000", "delay_minutes": 1}),
            "invalid_field",
            "contact_method_id",
        ),
        (
            json!({"delay_minutes": 1}),
            "missing_field",
            "contact_method_id",
        ),
    ] {
        let (st, v) = server
            .call(Some(&token), "POST", &rules, Some(body.clone()))
            .await;
        assert_eq!((st, v["code"].as_str()), (400, Some(code)), "{body}: {v}");
        assert!(
            v["detail"].as_str().is_some_and(|d| d.contains(field)),
            "{body}: {v}"
        );
    }
    let (_, listed) = server.call(Some(&token), "GET", &rules, None).await;
    let delays: Vec<u64> = listed
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|r| r["delay_minutes"].as_u64())
        .collect();
    assert_eq!(delays, [0, 0, 10], "{listed}");
    // Delete one rule; then the method, which takes its other rules along.
    let one = format!("{rules}/{}", made[1]["id"].as_str().expect("id"));
    assert_eq!(server.call(Some(&token), "DELETE", &one, None).await.0, 204);
    assert_eq!(server.call(Some(&token), "DELETE", &one, None).await.0, 404);
    let (st, _) = server
        .call(Some(&token), "DELETE", &format!("{cms}/{}", ids[0]), None)
        .await;
    assert_eq!(st, 204);
    let (_, left) = server.call(Some(&token), "GET", &rules, None).await;
    assert_eq!(left, json!([]), "the method's rules went with it");
}
