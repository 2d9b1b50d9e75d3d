//! Upgrading PostgreSQL databases left by older versions (SQLite's twins are unit tests in
//! `sqlite/users.rs` and `sqlite/sessions.rs`). From before accounts: the bootstrap token,
//! role `admin` without a team, becomes an organisation admin token, and there is no user until
//! first start creates one. From before the lifecycle: users stay enabled, sessions alive.

use tocsin_core::model::Scope;
use tocsin_core::{secret, TokenId, TokenRole};
use tocsin_store::NewUser;

use crate::backend::Backend;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_upgrade_keeps_the_bootstrap_token_org_wide() {
    let hash: String = secret::hash("old")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let setup = format!(
        "{}
         CREATE TABLE tocsin_schema_migrations (
           version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
         INSERT INTO tocsin_schema_migrations (version) VALUES (1);
         INSERT INTO api_tokens (id, name, token_hash, role, created_at)
           VALUES ('{}', 'admin', decode('{hash}', 'hex'), 'admin', now());",
        include_str!("../../migrations/postgres/0001_init.sql"),
        TokenId::new()
    );
    let Some(b) = Backend::postgres_after(&setup).await else {
        return;
    };
    let tok = b
        .store
        .token_by_hash(secret::hash("old"))
        .await
        .expect("read")
        .expect("token kept");
    assert_eq!(
        (tok.token.role, tok.token.user_id, tok.token.team_id),
        (TokenRole::OrgAdmin, None, None)
    );
    assert!(b
        .accounts
        .list_users(&Scope::All, None)
        .await
        .expect("users")
        .is_empty());
    let first = NewUser {
        username: "admin".into(),
        email: "a@example.com".into(),
        password_hash: "x".into(),
        org_admin: true,
    };
    assert!(b
        .accounts
        .ensure_first_admin(first.clone())
        .await
        .expect("first"));
    assert!(!b.accounts.ensure_first_admin(first).await.expect("again"));
    b.finish().await;
}

/// Upgrading from schema 2 (accounts, before the lifecycle): users stay enabled, their live
/// sessions keep working and are listed, never seen yet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_upgrade_keeps_users_enabled_and_sessions_alive() {
    let user = tocsin_core::UserId::new();
    let session = tocsin_core::SessionId::new();
    let hex = |h: [u8; 32]| h.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let setup = format!(
        "{}
         {}
         CREATE TABLE tocsin_schema_migrations (
           version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
         INSERT INTO tocsin_schema_migrations (version) VALUES (1), (2);
         INSERT INTO users (id, username, email, password_hash, org_admin, created_at)
           VALUES ('{user}', 'ann', 'ann@example.com', 'x', false, now());
         INSERT INTO sessions (id, token_hash, csrf_hash, user_id, created_at, expires_at)
           VALUES ('{session}', decode('{}', 'hex'), decode('{}', 'hex'), '{user}', now(),
                   now() + interval '1 hour');",
        include_str!("../../migrations/postgres/0001_init.sql"),
        include_str!("../../migrations/postgres/0002_accounts.sql"),
        hex(secret::hash("cookie")),
        hex(secret::hash("csrf")),
    );
    let Some(b) = Backend::postgres_after(&setup).await else {
        return;
    };
    let ann = b
        .accounts
        .user_by_id(user)
        .await
        .expect("read")
        .expect("ann");
    assert!(!ann.disabled && ann.disabled_at.is_none());
    let s = b
        .accounts
        .session_by_hash(secret::hash("cookie"))
        .await
        .expect("read")
        .expect("session kept");
    assert_eq!((s.id, s.last_seen_at), (session, None));
    assert_eq!(b.accounts.list_sessions(user).await.expect("list").len(), 1);
    b.finish().await;
}
