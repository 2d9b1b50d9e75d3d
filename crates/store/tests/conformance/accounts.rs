//! What every backend must do for accounts (`AccountStore`), stated once.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use tocsin_core::model::{AuditEntry, Scope};
use tocsin_core::{secret, AuditId, Role, SessionId, TeamId, TokenRole, UserId};
use tocsin_store::{
    AccountStore, NewSession, NewToken, NewUser, Store, StoreError, TokenVisibility,
};

/// Both halves of one database.
pub struct Db {
    pub store: Arc<dyn Store>,
    pub accounts: Arc<dyn AccountStore>,
}

pub(crate) fn new_user(name: &str) -> NewUser {
    NewUser {
        username: name.to_owned(),
        email: format!("{}@example.com", name.to_lowercase()),
        password_hash: format!("$argon2id$hash-of-{name}"),
        org_admin: false,
    }
}

fn micros(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).expect("time")
}

fn names<T>(items: &[T], f: impl Fn(&T) -> &str) -> Vec<String> {
    items.iter().map(|i| f(i).to_owned()).collect()
}

pub async fn first_admin_is_created_once_even_when_racing(db: Db) {
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let a = db.accounts.clone();
            tokio::spawn(async move {
                let mut u = new_user(&format!("admin{i}"));
                u.org_admin = true;
                a.ensure_first_admin(u).await
            })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        if t.await.expect("task").expect("ensure") {
            created += 1;
        }
    }
    assert_eq!(created, 1, "exactly one start creates the first admin");
    let users = db
        .accounts
        .list_users(&Scope::All, None)
        .await
        .expect("users");
    assert_eq!(users.len(), 1);
    assert!(users[0].org_admin);
    let mut again = new_user("late");
    again.org_admin = true;
    assert!(!db.accounts.ensure_first_admin(again).await.expect("again"));
}

pub async fn usernames_are_unique_ignoring_ascii_case(db: Db) {
    let a = &db.accounts;
    let alice = a.create_user(new_user("Alice")).await.expect("alice");
    assert_eq!(alice.username, "Alice");
    assert!(!alice.org_admin);
    for dup in ["Alice", "alice", "ALICE"] {
        assert!(
            matches!(
                a.create_user(new_user(dup)).await,
                Err(StoreError::Conflict(_))
            ),
            "{dup} collides with Alice"
        );
    }
    for login in ["Alice", "alice", "aLiCe"] {
        let (u, hash) = a
            .credentials(login)
            .await
            .expect("credentials")
            .expect("found");
        assert_eq!(u.id, alice.id, "{login}");
        assert_eq!(hash, "$argon2id$hash-of-Alice");
    }
    // Case folding is ASCII only, as SQLite's NOCASE: the Kelvin sign is not a `k`.
    a.create_user(new_user("kim")).await.expect("kim");
    assert!(a.credentials("\u{212A}im").await.expect("kelvin").is_none());
    for unknown in ["bob", "alice ", "", "ali\0ce"] {
        assert!(
            a.credentials(unknown).await.expect("credentials").is_none(),
            "{unknown:?}"
        );
    }
    let got = a.user_by_id(alice.id).await.expect("by id").expect("found");
    assert_eq!(
        (got.username.as_str(), got.email.as_str()),
        ("Alice", "alice@example.com")
    );
    assert!(a.user_by_id(UserId::new()).await.expect("by id").is_none());
}

pub async fn users_are_listed_by_name_within_scope(db: Db) {
    let (s, a) = (&db.store, &db.accounts);
    let t1 = s.create_team("one").await.expect("team").id;
    let t2 = s.create_team("two").await.expect("team").id;
    let carol = a.create_user(new_user("carol")).await.expect("carol");
    let bob = a.create_user(new_user("bob")).await.expect("bob");
    let alice = a.create_user(new_user("Alice")).await.expect("alice");
    let dave = a.create_user(new_user("dave")).await.expect("dave");
    a.set_member(&Scope::All, t1, alice.id, Role::Owner)
        .await
        .expect("member");
    a.set_member(&Scope::All, t2, carol.id, Role::Observer)
        .await
        .expect("member");

    let all = a.list_users(&Scope::All, None).await.expect("all");
    assert_eq!(
        names(&all, |u| &u.username),
        ["Alice", "bob", "carol", "dave"],
        "sorted ignoring case"
    );
    let in_t1 = a
        .list_users(&Scope::Teams(vec![t1]), Some(bob.id))
        .await
        .expect("t1");
    assert_eq!(names(&in_t1, |u| &u.username), ["Alice", "bob"]);
    let both = a
        .list_users(&Scope::Teams(vec![t1, t2]), None)
        .await
        .expect("both");
    assert_eq!(names(&both, |u| &u.username), ["Alice", "carol"]);
    assert!(a
        .list_users(&Scope::Teams(vec![]), None)
        .await
        .expect("none")
        .is_empty());
    let me_only = a
        .list_users(&Scope::Teams(vec![]), Some(dave.id))
        .await
        .expect("me");
    assert_eq!(names(&me_only, |u| &u.username), ["dave"]);

    let got = a
        .get_user(&Scope::Teams(vec![t1]), None, alice.id)
        .await
        .expect("visible");
    assert_eq!(got.id, alice.id);
    assert!(matches!(
        a.get_user(&Scope::Teams(vec![t1]), None, carol.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        a.get_user(&Scope::Teams(vec![]), Some(bob.id), bob.id)
            .await
            .expect("self")
            .id,
        bob.id
    );
    assert!(matches!(
        a.get_user(&Scope::All, None, UserId::new()).await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn members_get_roles_changed_and_removed(db: Db) {
    let (s, a) = (&db.store, &db.accounts);
    let t = s.create_team("ops").await.expect("team").id;
    let other = s.create_team("other").await.expect("team").id;
    let zed = a.create_user(new_user("zed")).await.expect("zed");
    let amy = a.create_user(new_user("Amy")).await.expect("amy");

    let (m, before) = a
        .set_member(&Scope::All, t, zed.id, Role::Responder)
        .await
        .expect("add");
    assert_eq!(
        (m.team_id, m.user_id, m.username.as_str(), m.role, before),
        (t, zed.id, "zed", Role::Responder, None)
    );
    let (m, before) = a
        .set_member(&Scope::Teams(vec![t]), t, zed.id, Role::Admin)
        .await
        .expect("change");
    assert_eq!((m.role, before), (Role::Admin, Some(Role::Responder)));
    a.set_member(&Scope::All, t, amy.id, Role::Owner)
        .await
        .expect("add amy");
    a.set_member(&Scope::All, other, amy.id, Role::Observer)
        .await
        .expect("amy elsewhere");

    let members = a.list_members(&Scope::All, t).await.expect("members");
    assert_eq!(names(&members, |m| &m.username), ["Amy", "zed"]);
    assert_eq!(
        members.iter().map(|m| m.role).collect::<Vec<_>>(),
        [Role::Owner, Role::Admin]
    );
    let mut mine = a.memberships(amy.id).await.expect("memberships");
    mine.sort();
    let mut want = vec![(t, Role::Owner), (other, Role::Observer)];
    want.sort();
    assert_eq!(mine, want);
    assert!(a
        .memberships(UserId::new())
        .await
        .expect("nobody")
        .is_empty());

    // Out of scope, unknown team, unknown user: not found, nothing changed.
    assert!(matches!(
        a.list_members(&Scope::Teams(vec![other]), t).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        a.set_member(&Scope::Teams(vec![other]), t, zed.id, Role::Owner)
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        a.set_member(&Scope::All, TeamId::new(), zed.id, Role::Owner)
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        a.set_member(&Scope::All, t, UserId::new(), Role::Owner)
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        a.remove_member(&Scope::Teams(vec![other]), t, zed.id).await,
        Err(StoreError::NotFound(_))
    ));

    a.remove_member(&Scope::All, t, zed.id)
        .await
        .expect("remove");
    assert!(matches!(
        a.remove_member(&Scope::All, t, zed.id).await,
        Err(StoreError::NotFound(_))
    ));
    let members = a.list_members(&Scope::All, t).await.expect("members");
    assert_eq!(names(&members, |m| &m.username), ["Amy"]);
    assert!(a.memberships(zed.id).await.expect("zed").is_empty());
}

pub async fn tokens_are_seen_and_revoked_by_owner_or_team(db: Db) {
    let (s, a) = (&db.store, &db.accounts);
    let t1 = s.create_team("one").await.expect("team").id;
    let t2 = s.create_team("two").await.expect("team").id;
    let ann = a.create_user(new_user("ann")).await.expect("ann");
    let ben = a.create_user(new_user("ben")).await.expect("ben");
    let token = |name: &str, role, user: Option<UserId>, team: Option<TeamId>| NewToken {
        name: name.to_owned(),
        role,
        user_id: user,
        team_id: team,
        hash: secret::hash(name),
        expires_at: None,
    };
    let anns = s
        .create_token(
            &Scope::All,
            token("ann-cli", TokenRole::Owner, Some(ann.id), None),
        )
        .await
        .expect("ann's");
    let anns_t2 = s
        .create_token(
            &Scope::All,
            token("ann-t2", TokenRole::Observer, Some(ann.id), Some(t2)),
        )
        .await
        .expect("ann's, limited");
    let bens = s
        .create_token(
            &Scope::All,
            token("ben-cli", TokenRole::Responder, Some(ben.id), None),
        )
        .await
        .expect("ben's");
    let team1 = s
        .create_token(
            &Scope::All,
            token("t1-ci", TokenRole::Admin, None, Some(t1)),
        )
        .await
        .expect("team 1's");
    let team2 = s
        .create_token(
            &Scope::All,
            token("t2-ci", TokenRole::Responder, None, Some(t2)),
        )
        .await
        .expect("team 2's");
    let found = s
        .token_by_hash(secret::hash("ann-t2"))
        .await
        .expect("by hash")
        .expect("found");
    assert_eq!(
        (found.token.role, found.token.user_id, found.token.team_id),
        (TokenRole::Observer, Some(ann.id), Some(t2))
    );
    assert!(
        matches!(
            s.create_token(
                &Scope::All,
                token("ghost", TokenRole::Owner, Some(UserId::new()), None)
            )
            .await,
            Err(StoreError::Conflict(_))
        ),
        "a token for a user that does not exist"
    );

    let ids = |toks: Vec<tocsin_core::model::ApiToken>| {
        toks.into_iter().map(|t| t.id).collect::<Vec<_>>()
    };
    let mut every = vec![anns.id, anns_t2.id, bens.id, team1.id, team2.id];
    every.sort();
    let all = TokenVisibility {
        all: true,
        ..Default::default()
    };
    assert_eq!(ids(a.list_tokens(&all).await.expect("all")), every);
    let ann_and_t1 = TokenVisibility {
        all: false,
        user: Some(ann.id),
        teams: vec![t1],
    };
    let mut want = vec![anns.id, anns_t2.id, team1.id];
    want.sort();
    assert_eq!(
        ids(a.list_tokens(&ann_and_t1).await.expect("ann + t1")),
        want,
        "her own (whatever their team) and team 1's team tokens, not other users' tokens"
    );
    let nothing = TokenVisibility::default();
    assert!(a.list_tokens(&nothing).await.expect("none").is_empty());

    assert!(matches!(
        a.revoke_token(&ann_and_t1, bens.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        a.revoke_token(&ann_and_t1, team2.id).await,
        Err(StoreError::NotFound(_))
    ));
    let revoked = a.revoke_token(&ann_and_t1, team1.id).await.expect("revoke");
    let at = revoked.revoked_at.expect("revoked");
    let stored = s
        .token_by_hash(secret::hash("t1-ci"))
        .await
        .expect("by hash")
        .expect("still stored");
    assert_eq!(
        stored.token.revoked_at.map(|t| t.timestamp_micros()),
        Some(at.timestamp_micros())
    );
    let again = a.revoke_token(&all, team1.id).await.expect("again");
    assert_eq!(
        again.revoked_at, stored.token.revoked_at,
        "revoking twice keeps the first time"
    );
    let untouched = s
        .token_by_hash(secret::hash("t2-ci"))
        .await
        .expect("by hash")
        .expect("found");
    assert_eq!(untouched.token.revoked_at, None);
}

pub async fn sessions_are_found_by_hash_and_expired_ones_forgotten(db: Db) {
    let a = &db.accounts;
    let eve = a.create_user(new_user("eve")).await.expect("eve");
    let later = micros((Utc::now() + Duration::hours(12)).timestamp_micros());
    let live = NewSession {
        id: SessionId::new(),
        token_hash: secret::hash("cookie-1"),
        csrf_hash: secret::hash("csrf-1"),
        user_id: eve.id,
        expires_at: later,
    };
    a.create_session(live.clone()).await.expect("create");
    let got = a
        .session_by_hash(secret::hash("cookie-1"))
        .await
        .expect("get")
        .expect("found");
    assert_eq!(got.id, live.id);
    assert_eq!(got.token_hash, live.token_hash);
    assert_eq!(got.csrf_hash, live.csrf_hash);
    assert_eq!(got.expires_at, later);
    assert_eq!((got.user.id, got.user.username.as_str()), (eve.id, "eve"));
    assert!(a
        .session_by_hash(secret::hash("csrf-1"))
        .await
        .expect("get")
        .is_none());
    assert!(matches!(
        a.create_session(NewSession {
            id: SessionId::new(),
            ..live.clone()
        })
        .await,
        Err(StoreError::Conflict(_))
    ));

    // Every sign-in clears the sessions that have expired (the server also checks the time
    // of any session it finds).
    let old = NewSession {
        id: SessionId::new(),
        token_hash: secret::hash("cookie-old"),
        csrf_hash: secret::hash("csrf-old"),
        user_id: eve.id,
        expires_at: Utc::now() - Duration::seconds(1),
    };
    a.create_session(old).await.expect("create old");
    a.create_session(NewSession {
        id: SessionId::new(),
        token_hash: secret::hash("cookie-2"),
        csrf_hash: secret::hash("csrf-2"),
        user_id: eve.id,
        expires_at: later,
    })
    .await
    .expect("sign in again");
    assert!(a
        .session_by_hash(secret::hash("cookie-old"))
        .await
        .expect("get")
        .is_none());

    a.delete_session(live.id).await.expect("delete");
    a.delete_session(live.id)
        .await
        .expect("deleting twice is fine");
    assert!(a
        .session_by_hash(secret::hash("cookie-1"))
        .await
        .expect("get")
        .is_none());
    assert!(a
        .session_by_hash(secret::hash("cookie-2"))
        .await
        .expect("get")
        .is_some());
}

pub async fn rotated_keys_keep_the_old_one_only_through_the_grace(db: Db) {
    let (s, a) = (&db.store, &db.accounts);
    let t = s.create_team("t").await.expect("team").id;
    let other = s.create_team("other").await.expect("team").id;
    let svc = s
        .create_service(&Scope::All, t, "api", "key-0")
        .await
        .expect("svc");

    let found = a
        .service_by_any_key_hash(secret::hash("key-0"))
        .await
        .expect("get")
        .expect("current key");
    assert_eq!(
        (found.service.id, found.stored_hash, found.valid_until),
        (svc.id, secret::hash("key-0"), None)
    );

    assert!(matches!(
        a.rotate_service_key(&Scope::Teams(vec![other]), svc.id, "nope", None)
            .await,
        Err(StoreError::NotFound(_))
    ));
    let grace = micros((Utc::now() + Duration::hours(1)).timestamp_micros());
    let r = a
        .rotate_service_key(&Scope::Teams(vec![t]), svc.id, "key-1", Some(grace))
        .await
        .expect("rotate with grace");
    assert_eq!(
        (r.old_key.as_str(), r.service.api_key.as_str(), r.service.id),
        ("key-0", "key-1", svc.id)
    );
    let new = a
        .service_by_any_key_hash(secret::hash("key-1"))
        .await
        .expect("get")
        .expect("new key");
    assert_eq!(
        (new.service.api_key.as_str(), new.valid_until),
        ("key-1", None)
    );
    let old = a
        .service_by_any_key_hash(secret::hash("key-0"))
        .await
        .expect("get")
        .expect("old key in its grace");
    assert_eq!(
        (old.service.id, old.stored_hash, old.valid_until),
        (svc.id, secret::hash("key-0"), Some(grace))
    );
    assert_eq!(
        old.service.api_key, "key-1",
        "the record shows the current key"
    );
    assert_eq!(
        s.get_service(&Scope::All, svc.id)
            .await
            .expect("get")
            .api_key,
        "key-1"
    );

    // Rotating again at once: the grace key is now key-1, key-0 is gone.
    a.rotate_service_key(&Scope::All, svc.id, "key-2", Some(grace))
        .await
        .expect("rotate again");
    assert!(a
        .service_by_any_key_hash(secret::hash("key-0"))
        .await
        .expect("get")
        .is_none());
    assert!(a
        .service_by_any_key_hash(secret::hash("key-1"))
        .await
        .expect("get")
        .is_some());

    // A grace that already ended, and no grace at all: the old key stops at once.
    a.rotate_service_key(
        &Scope::All,
        svc.id,
        "key-3",
        Some(Utc::now() - Duration::seconds(1)),
    )
    .await
    .expect("rotate, grace over");
    assert!(a
        .service_by_any_key_hash(secret::hash("key-2"))
        .await
        .expect("get")
        .is_none());
    a.rotate_service_key(&Scope::All, svc.id, "key-4", None)
        .await
        .expect("rotate, no grace");
    for gone in ["key-1", "key-2", "key-3"] {
        assert!(
            a.service_by_any_key_hash(secret::hash(gone))
                .await
                .expect("get")
                .is_none(),
            "{gone}"
        );
    }
    assert!(a
        .service_by_any_key_hash(secret::hash("key-4"))
        .await
        .expect("get")
        .is_some());
}

pub async fn audit_is_listed_newest_first_within_scope(db: Db) {
    let (s, a) = (&db.store, &db.accounts);
    let t1 = s.create_team("one").await.expect("team").id;
    let t2 = s.create_team("two").await.expect("team").id;
    let at = micros(1_764_000_000_123_456);
    let mut made = Vec::new();
    for (i, team) in [Some(t1), None, Some(t2), Some(t1), None, Some(t1)]
        .into_iter()
        .enumerate()
    {
        let e = AuditEntry {
            id: AuditId::new(),
            at,
            actor: format!("actor-{i}"),
            action: "member.set_role".to_owned(),
            team_id: team,
            target: (i % 2 == 0).then(|| format!("usr_{i}")),
            detail: (i % 3 == 0).then(|| "observer → owner".to_owned()),
        };
        a.record_audit(e.clone()).await.expect("record");
        made.push(e);
    }
    let newest_first = |keep: &dyn Fn(&AuditEntry) -> bool| {
        let mut v: Vec<AuditEntry> = made.iter().filter(|e| keep(e)).cloned().collect();
        v.sort_by_key(|e| std::cmp::Reverse(e.id));
        v
    };

    let all = a.list_audit(&Scope::All, 100, None).await.expect("all");
    assert_eq!(all, newest_first(&|_| true), "every field round-trips");
    let t1_only = a
        .list_audit(&Scope::Teams(vec![t1]), 100, None)
        .await
        .expect("t1");
    assert_eq!(t1_only, newest_first(&|e| e.team_id == Some(t1)));
    assert!(a
        .list_audit(&Scope::Teams(vec![]), 100, None)
        .await
        .expect("none")
        .is_empty());

    let page1 = a.list_audit(&Scope::All, 4, None).await.expect("page 1");
    assert_eq!(page1.len(), 4);
    let page2 = a
        .list_audit(&Scope::All, 4, page1.last().map(|e| e.id))
        .await
        .expect("page 2");
    let paged: Vec<AuditEntry> = page1.into_iter().chain(page2).collect();
    assert_eq!(paged, all);
    assert_eq!(
        a.list_audit(&Scope::All, 0, None)
            .await
            .expect("zero")
            .len(),
        1,
        "a limit of 0 still returns one"
    );
}
