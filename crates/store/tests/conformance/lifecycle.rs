//! The account lifecycle on every backend: passwords replaced with the other sessions ended,
//! sessions listed and ended by their user, users disabled, and the rules that keep a team
//! owned and the organisation administered, also when two changes race.

use chrono::{Duration, Utc};
use tocsin_core::lifecycle::Refusal;
use tocsin_core::model::Scope;
use tocsin_core::{secret, Role, SessionId, UserId};
use tocsin_store::{NewSession, StoreError};

use crate::accounts::{new_user, Db};

async fn session(db: &Db, user: UserId, name: &str, ttl: Duration) -> SessionId {
    let id = SessionId::new();
    db.accounts
        .create_session(NewSession {
            id,
            token_hash: secret::hash(name),
            csrf_hash: secret::hash(&format!("csrf-{name}")),
            user_id: user,
            expires_at: Utc::now() + ttl,
        })
        .await
        .expect("session");
    id
}

fn refused(r: Result<impl std::fmt::Debug, StoreError>, want: Refusal) {
    match r {
        Err(StoreError::Refused(got)) => assert_eq!(got, want),
        other => panic!("expected {want:?}, got {other:?}"),
    }
}

pub async fn the_last_owner_keeps_the_team(db: Db) {
    let (s, a) = (&db.store, &db.accounts);
    let t = s.create_team("ops").await.expect("team").id;
    let ann = a.create_user(new_user("ann")).await.expect("ann");
    let bob = a.create_user(new_user("bob")).await.expect("bob");
    let all = &Scope::All;
    a.set_member(all, t, ann.id, Role::Owner)
        .await
        .expect("ann");
    a.set_member(all, t, bob.id, Role::Admin)
        .await
        .expect("bob");

    refused(
        a.set_member(all, t, ann.id, Role::Admin).await,
        Refusal::LastOwner,
    );
    refused(a.remove_member(all, t, ann.id).await, Refusal::LastOwner);
    // Nothing changed; other members come and go as before.
    let roles: Vec<_> = a
        .list_members(all, t)
        .await
        .expect("members")
        .into_iter()
        .map(|m| m.role)
        .collect();
    assert_eq!(roles, [Role::Owner, Role::Admin]);
    a.set_member(all, t, bob.id, Role::Owner)
        .await
        .expect("bob owner");
    a.set_member(all, t, ann.id, Role::Observer)
        .await
        .expect("ann steps down");
    a.set_member(all, t, ann.id, Role::Owner)
        .await
        .expect("back");

    // A disabled owner does not count: the active one stays.
    a.set_disabled(None, ann.id, true)
        .await
        .expect("disable ann");
    refused(a.remove_member(all, t, bob.id).await, Refusal::LastOwner);
    a.set_disabled(None, ann.id, false)
        .await
        .expect("enable ann");

    // Two owners stepping down at once: one does, the other is refused.
    let (a1, a2) = (a.clone(), a.clone());
    let (r1, r2) = tokio::join!(
        tokio::spawn(async move { a1.set_member(&Scope::All, t, ann.id, Role::Admin).await }),
        tokio::spawn(async move { a2.remove_member(&Scope::All, t, bob.id).await }),
    );
    let (r1, r2) = (r1.expect("task"), r2.expect("task"));
    assert!(
        r1.is_ok() != r2.is_ok(),
        "exactly one of the racing changes passes: {r1:?} {r2:?}"
    );
    let owners = a
        .list_members(all, t)
        .await
        .expect("members")
        .into_iter()
        .filter(|m| m.role == Role::Owner)
        .count();
    assert_eq!(owners, 1);
}

pub async fn a_new_password_ends_the_other_sessions(db: Db) {
    let a = &db.accounts;
    let eve = a.create_user(new_user("eve")).await.expect("eve");
    let day = Duration::hours(12);
    let keep = session(&db, eve.id, "e1", day).await;
    session(&db, eve.id, "e2", day).await;
    session(&db, eve.id, "e3", day).await;
    let ended = a
        .set_password(eve.id, "$argon2id$new".into(), Some(keep))
        .await
        .expect("change");
    assert_eq!(ended, 2);
    assert_eq!(
        a.password_hash(eve.id).await.expect("hash").as_deref(),
        Some("$argon2id$new")
    );
    let left: Vec<_> = a
        .list_sessions(eve.id)
        .await
        .expect("list")
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(left, [keep]);
    assert!(a
        .session_by_hash(secret::hash("e2"))
        .await
        .expect("get")
        .is_none());
    assert_eq!(
        a.set_password(eve.id, "$argon2id$newer".into(), None)
            .await
            .expect("reset"),
        1
    );
    assert!(a.list_sessions(eve.id).await.expect("list").is_empty());
    assert!(matches!(
        a.set_password(UserId::new(), "x".into(), None).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(a.password_hash(UserId::new()).await.expect("none"), None);
}

pub async fn sessions_are_listed_touched_and_ended_by_their_user(db: Db) {
    let a = &db.accounts;
    let eve = a.create_user(new_user("eve")).await.expect("eve");
    let bob = a.create_user(new_user("bob")).await.expect("bob");
    let day = Duration::hours(12);
    let first = session(&db, eve.id, "s1", day).await;
    let second = session(&db, eve.id, "s2", day).await;
    session(&db, eve.id, "gone", Duration::seconds(-1)).await;
    let bobs = session(&db, bob.id, "b1", day).await;

    let mine = a.list_sessions(eve.id).await.expect("list");
    assert_eq!(
        mine.iter().map(|s| s.id).collect::<Vec<_>>(),
        [first, second],
        "expired sessions are not listed; oldest first"
    );
    assert!(mine.iter().all(|s| s.last_seen_at.is_none()));
    assert!(mine[0].expires_at > Utc::now());
    a.touch_session(first).await.expect("touch");
    let seen = a.list_sessions(eve.id).await.expect("list")[0].last_seen_at;
    assert!(seen.is_some_and(|t| (Utc::now() - t).num_seconds().abs() < 60));
    let stored = a
        .session_by_hash(secret::hash("s1"))
        .await
        .expect("get")
        .expect("found");
    assert_eq!(stored.last_seen_at, seen);

    // Only one's own: someone else's session is not found, and stays.
    assert!(matches!(
        a.end_session(eve.id, bobs).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(a.list_sessions(bob.id).await.expect("bob").len(), 1);
    a.end_session(eve.id, second).await.expect("end");
    assert!(matches!(
        a.end_session(eve.id, second).await,
        Err(StoreError::NotFound(_))
    ));
    session(&db, eve.id, "s3", day).await;
    assert_eq!(
        a.end_sessions(eve.id, Some(first)).await.expect("others"),
        1
    );
    assert_eq!(
        a.list_sessions(eve.id)
            .await
            .expect("list")
            .into_iter()
            .map(|s| s.id)
            .collect::<Vec<_>>(),
        [first]
    );
    assert_eq!(a.list_sessions(bob.id).await.expect("bob").len(), 1);
}

pub async fn disabled_users_lose_their_sessions_and_an_org_admin_remains(db: Db) {
    let a = &db.accounts;
    let mut root = new_user("root");
    root.org_admin = true;
    let root = a.create_user(root).await.expect("root");
    let ann = a.create_user(new_user("ann")).await.expect("ann");
    session(&db, ann.id, "ann-1", Duration::hours(1)).await;

    refused(
        a.set_disabled(Some(root.id), root.id, true).await,
        Refusal::DisableSelf,
    );
    refused(
        a.set_disabled(None, root.id, true).await,
        Refusal::LastOrgAdmin,
    );
    let off = a
        .set_disabled(Some(root.id), ann.id, true)
        .await
        .expect("disable");
    assert!(off.disabled && off.disabled_at.is_some());
    assert!(a.list_sessions(ann.id).await.expect("list").is_empty());
    assert!(a
        .session_by_hash(secret::hash("ann-1"))
        .await
        .expect("get")
        .is_none());
    let seen = a.user_by_id(ann.id).await.expect("get").expect("ann");
    assert_eq!(seen.disabled_at, off.disabled_at);
    let (cred, _) = a.credentials("ANN").await.expect("get").expect("ann");
    assert!(cred.disabled);
    let again = a
        .set_disabled(Some(root.id), ann.id, true)
        .await
        .expect("again");
    assert_eq!(again.disabled_at, off.disabled_at, "the first time is kept");
    let on = a
        .set_disabled(Some(root.id), ann.id, false)
        .await
        .expect("enable");
    assert!(!on.disabled && on.disabled_at.is_none());
    assert!(matches!(
        a.set_disabled(None, UserId::new(), true).await,
        Err(StoreError::NotFound(_))
    ));

    // Two org admins disabling each other at once: one stays.
    let mut other = new_user("root2");
    other.org_admin = true;
    let other = a.create_user(other).await.expect("root2");
    let (a1, a2) = (a.clone(), a.clone());
    let (r1, r2) = tokio::join!(
        tokio::spawn(async move { a1.set_disabled(Some(other.id), root.id, true).await }),
        tokio::spawn(async move { a2.set_disabled(Some(root.id), other.id, true).await }),
    );
    let (r1, r2) = (r1.expect("task"), r2.expect("task"));
    assert!(r1.is_ok() != r2.is_ok(), "{r1:?} {r2:?}");
    let active = a
        .list_users(&Scope::All, None)
        .await
        .expect("users")
        .into_iter()
        .filter(|u| u.org_admin && !u.disabled)
        .count();
    assert_eq!(active, 1);
}
