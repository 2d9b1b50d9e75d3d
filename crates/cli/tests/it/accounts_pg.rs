//! Accounts on PostgreSQL with two nodes sharing it: one first admin, sessions and tokens
//! good on either node, a revocation or a key rotation on one node obeyed by the other, and
//! one audit log.

use serde_json::json;

use crate::pg_cluster::PgCluster;
use crate::support::{alert, Server, ADMIN_TOKEN};

const PASSWORD: &str = "the admin's long password";

#[tokio::test]
async fn accounts_work_across_two_nodes_on_postgres() {
    let pg = PgCluster::start();
    let dirs = [
        tempfile::tempdir().expect("tmp"),
        tempfile::tempdir().expect("tmp"),
    ];
    let env = [("TOCSIN_ADMIN_PASSWORD", PASSWORD)];
    // Started together, so their first starts race for the admin user.
    let ((a, printed_a), (b, printed_b)) = tokio::join!(
        Server::spawn_app_pg_with_env(dirs[0].path(), &pg.url, &env),
        Server::spawn_app_pg_with_env(dirs[1].path(), &pg.url, &env),
    );
    let created = [&printed_a, &printed_b]
        .iter()
        .filter(|lines| {
            lines
                .iter()
                .any(|l| l.contains("Created the organisation admin user"))
        })
        .count();
    assert_eq!(
        created, 1,
        "one node creates the admin: {printed_a:?} {printed_b:?}"
    );

    // A session made on one node is good on the other; user names ignore ASCII case.
    let admin = a.session("ADMIN", PASSWORD).await;
    let (st, users) = b.call_as(&admin, "GET", "/api/v1/users", None).await;
    assert_eq!(st, 200, "{users}");
    assert_eq!(users[0]["username"], "admin");
    assert!(users[0]["org_admin"].as_bool().expect("flag"));

    let (st, ann) = b.call_as(
        &admin,
        "POST",
        "/api/v1/users",
        Some(json!({"username": "ann", "email": "ann@example.com", "password": "ann's password"})),
    )
    .await;
    assert_eq!(st, 201, "{ann}");
    let ann_id = ann["id"].as_str().expect("id").to_owned();
    let (st, dup) = a.call_as(
        &admin,
        "POST",
        "/api/v1/users",
        Some(json!({"username": "Ann", "email": "other@example.com", "password": "another password"})),
    )
    .await;
    assert_eq!(st, 409, "{dup}");

    let (_, teams) = a.get("/api/v1/teams").await;
    let team = teams[0]["id"].as_str().expect("team").to_owned();
    let (st, member) = a
        .call_as(
            &admin,
            "POST",
            &format!("/api/v1/teams/{team}/members"),
            Some(json!({"user_id": ann_id, "role": "responder"})),
        )
        .await;
    assert_eq!(st, 201, "{member}");
    assert_eq!(member["role"], "responder");

    // Ann's token, made through a session on node A, acts on node B.
    let ann_token = a.user_token("ann", "ann's password").await;
    let (svc, url) = a.new_service("pg-accounts").await;
    let (st, opened) = b.send(&url, alert("disk:db-1", "CRITICAL")).await;
    assert_eq!(st, 202, "{opened}");
    let inc = opened["incident_id"].as_str().expect("incident").to_owned();
    let (st, acked) = b
        .call(
            Some(&ann_token),
            "POST",
            &format!("/api/v1/incidents/{inc}/acknowledge"),
            None,
        )
        .await;
    assert_eq!(st, 200, "{acked}");
    assert_eq!(acked["acknowledged_by"], "ann");
    let (st, _) = b
        .call(
            Some(&ann_token),
            "POST",
            "/api/v1/teams",
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(st, 403, "a responder does not create teams");

    // Revoked on node B, refused on node A.
    let (st, tokens) = b
        .call(Some(&ann_token), "GET", "/api/v1/tokens", None)
        .await;
    assert_eq!(st, 200, "{tokens}");
    let mine = tokens
        .as_array()
        .expect("tokens")
        .iter()
        .find(|t| t["user_id"] == ann_id.as_str())
        .and_then(|t| t["id"].as_str())
        .expect("ann's token listed")
        .to_owned();
    let (st, revoked) = b
        .call_as(&admin, "DELETE", &format!("/api/v1/tokens/{mine}"), None)
        .await;
    assert_eq!(st, 200, "{revoked}");
    assert!(revoked["revoked_at"].is_string());
    let (st, _) = a.call(Some(&ann_token), "GET", "/api/v1/teams", None).await;
    assert_eq!(st, 401);

    // A key rotated with a grace on node A: node B takes the new key and, for the grace, the
    // old one.
    let (st, rotated) = a
        .call_as(
            &admin,
            "POST",
            &format!("/api/v1/services/{svc}/rotate-key"),
            Some(json!({"grace_seconds": 600})),
        )
        .await;
    assert_eq!(st, 200, "{rotated}");
    let new_url = rotated["webhook_url"]
        .as_str()
        .expect("url")
        .replacen(&a.base, &b.base, 1);
    assert!(rotated["previous_key_expires_at"].is_string());
    assert_eq!(
        b.send(&new_url, alert("disk:db-2", "CRITICAL")).await.0,
        202
    );
    assert_eq!(b.send(&url, alert("disk:db-3", "CRITICAL")).await.0, 202);

    // Signing out on node A ends the session on node B.
    let (st, _) = a.call_as(&admin, "DELETE", "/api/v1/session", None).await;
    assert_eq!(st, 204);
    let (st, _) = b.call_as(&admin, "GET", "/api/v1/users", None).await;
    assert_eq!(st, 401);

    // One audit log, whichever node wrote it.
    let (st, audit) = b
        .call(Some(ADMIN_TOKEN), "GET", "/api/v1/audit", None)
        .await;
    assert_eq!(st, 200, "{audit}");
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for want in [
        "login",
        "user.create",
        "member.set_role",
        "token.create",
        "incident.acknowledge",
        "token.revoke",
        "service.rotate_key",
        "logout",
    ] {
        assert!(actions.contains(&want), "{want} in {actions:?}");
    }
}

/// Disabled on one node, refused on the other at its next request: the user row is read for
/// every request, so no node holds a stale "enabled". A password changed on one node ends the
/// other sessions on both.
#[tokio::test]
async fn lifecycle_changes_hold_across_two_nodes_on_postgres() {
    let pg = PgCluster::start();
    let dirs = [
        tempfile::tempdir().expect("tmp"),
        tempfile::tempdir().expect("tmp"),
    ];
    let a = Server::spawn_app_pg(dirs[0].path(), &pg.url).await;
    let b = Server::spawn_app_pg(dirs[1].path(), &pg.url).await;
    let (st, ann) = a
        .call(
            Some(ADMIN_TOKEN),
            "POST",
            "/api/v1/users",
            Some(json!({"username": "ann", "email": "ann@example.com", "password": "ann's password"})),
        )
        .await;
    assert_eq!(st, 201, "{ann}");
    let ann = ann["id"].as_str().expect("id").to_owned();
    let token = a.user_token("ann", "ann's password").await;
    let on_a = a.session("ann", "ann's password").await;
    let on_b = b.session("ann", "ann's password").await;

    let (st, _) = a
        .call_as(
            &on_a,
            "POST",
            &format!("/api/v1/users/{ann}/password"),
            Some(
                json!({"current_password": "ann's password", "new_password": "ann's new password"}),
            ),
        )
        .await;
    assert_eq!(st, 204);
    assert_eq!(b.call_as(&on_a, "GET", "/api/v1/teams", None).await.0, 200);
    assert_eq!(b.call_as(&on_b, "GET", "/api/v1/teams", None).await.0, 401);

    let (st, v) = b
        .call(
            Some(ADMIN_TOKEN),
            "POST",
            &format!("/api/v1/users/{ann}/disable"),
            None,
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        a.call(Some(&token), "GET", "/api/v1/teams", None).await.0,
        401
    );
    assert_eq!(a.call_as(&on_a, "GET", "/api/v1/teams", None).await.0, 401);
    assert_eq!(a.sign_in("ann", "ann's new password").await.status(), 403);
    let (st, _) = a
        .call(
            Some(ADMIN_TOKEN),
            "POST",
            &format!("/api/v1/users/{ann}/enable"),
            None,
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(
        b.call(Some(&token), "GET", "/api/v1/teams", None).await.0,
        200
    );
}
