//! Upgrading a PostgreSQL database from before accounts (SQLite's twin is a unit test in
//! `sqlite/accounts.rs`): the bootstrap token, role `admin` without a team, becomes an
//! organisation admin token, and there is no user until first start creates one.

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
