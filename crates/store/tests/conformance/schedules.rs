//! What every backend must do for on-call schedules: team-owned schedules with their rules,
//! overrides, secret calendar feeds, the engine's read, and the policies that name schedules.

use chrono::{DateTime, Utc};
use tocsin_core::model::Scope;
use tocsin_core::paging::policy::Target;
use tocsin_core::schedule::records::FeedOf;
use tocsin_core::schedule::{Layer, Override, Rotation, RotationUnit, ScheduleRules};
use tocsin_core::{OverrideId, ScheduleId, TeamId, UserId};

use crate::accounts::Db;
use crate::cases::team_and_service;
use crate::paging::{conflict, invalid, not_found, one_step, team, user};

fn rules(participants: Vec<UserId>) -> ScheduleRules {
    ScheduleRules {
        time_zone: "Europe/Berlin".into(),
        layers: vec![Layer {
            name: "primary".into(),
            participants,
            rotation: Rotation {
                unit: RotationUnit::Day,
                length: 1,
            },
            start: "2026-01-05T09:00:00".into(),
            restrictions: vec![],
        }],
    }
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("an instant")
        .with_timezone(&Utc)
}

fn hash(s: &str) -> [u8; 32] {
    tocsin_core::secret::hash(s)
}

pub async fn schedules_are_team_owned_unique_and_scoped(db: Db) {
    let s = &db.store;
    let (ann, bob) = (user(&db, "ann").await, user(&db, "bob").await);
    let (a, _) = team_and_service(s, "Alpha").await;
    let (b, _) = team_and_service(s, "Bravo").await;
    let r = rules(vec![ann, bob]);
    let day = s
        .create_schedule(&team(a), a, "Days", &r)
        .await
        .expect("schedule");
    assert_eq!((day.team_id, day.name.as_str()), (a, "Days"));
    assert_eq!(day.rules, r);
    assert_eq!(day.created_at, day.updated_at);
    assert_eq!(s.get_schedule(&team(a), day.id).await.expect("get"), day);
    // Names are unique per team only.
    let taken = conflict(s.create_schedule(&team(a), a, "Days", &r).await);
    assert!(taken.contains("Days"), "{taken}");
    let theirs = s
        .create_schedule(&team(b), b, "Days", &rules(vec![bob]))
        .await
        .expect("the same name in another team");
    let all = s
        .create_schedule(&Scope::All, a, "All hands", &r)
        .await
        .expect("schedule");
    // A participant who is not a user: refused with its path, nothing stored.
    let ghost = rules(vec![ann, UserId::new()]);
    let (field, _) = invalid(s.create_schedule(&team(a), a, "Ghost", &ghost).await);
    assert_eq!(field, "layers[0].participants[1]");
    // Outside the scope: not found, for every call.
    not_found(s.create_schedule(&team(b), a, "X", &r).await);
    not_found(s.create_schedule(&Scope::All, TeamId::new(), "X", &r).await);
    not_found(s.get_schedule(&team(b), day.id).await);
    not_found(s.update_schedule(&team(b), day.id, "X", &r).await);
    not_found(s.delete_schedule(&team(b), day.id).await);
    assert_eq!(
        s.list_schedules(&team(a), None).await.expect("list"),
        vec![all.clone(), day.clone()]
    );
    assert_eq!(
        s.list_schedules(&Scope::All, Some(b)).await.expect("list"),
        vec![theirs.clone()]
    );
    assert!(s
        .list_schedules(&team(b), Some(a))
        .await
        .expect("list")
        .is_empty());
    // Update: new name and rules, checked as on creation.
    let r2 = rules(vec![bob]);
    let up = s
        .update_schedule(&team(a), day.id, "Weekdays", &r2)
        .await
        .expect("update");
    assert_eq!((up.name.as_str(), &up.rules), ("Weekdays", &r2));
    assert!(up.updated_at >= day.updated_at);
    assert_eq!(s.get_schedule(&Scope::All, day.id).await.expect("get"), up);
    conflict(s.update_schedule(&team(a), day.id, "All hands", &r2).await);
    invalid(
        s.update_schedule(&team(a), day.id, "Weekdays", &ghost)
            .await,
    );
    assert_eq!(s.get_schedule(&Scope::All, day.id).await.expect("get"), up);
    // Read without the caller's scope, as the engine and the feeds do: the rules as stored.
    assert_eq!(
        s.get_schedule(&Scope::All, theirs.id)
            .await
            .expect("read")
            .rules,
        theirs.rules
    );
    s.delete_schedule(&team(a), all.id).await.expect("delete");
    not_found(s.get_schedule(&Scope::All, all.id).await);
    not_found(s.delete_schedule(&Scope::All, ScheduleId::new()).await);
    assert!(s
        .list_schedules(&Scope::All, None)
        .await
        .expect("list")
        .iter()
        .all(|x| x.id != all.id));
}

pub async fn overrides_belong_to_their_schedule_and_end(db: Db) {
    let s = &db.store;
    let (ann, bob) = (user(&db, "ann").await, user(&db, "bob").await);
    let (a, _) = team_and_service(s, "Alpha").await;
    let (b, _) = team_and_service(s, "Bravo").await;
    let sch = s
        .create_schedule(&team(a), a, "Days", &rules(vec![ann]))
        .await
        .expect("schedule");
    let other = s
        .create_schedule(&team(b), b, "Nights", &rules(vec![bob]))
        .await
        .expect("schedule");
    let (t0, t1, t2) = (
        at("2030-03-01T08:00:00Z"),
        at("2030-03-01T20:00:00.123456Z"),
        at("2030-03-02T08:00:00Z"),
    );
    let late = s
        .create_override(&team(a), sch.id, bob, t1, t2)
        .await
        .expect("override");
    let early = s
        .create_override(&team(a), sch.id, ann, t0, t1)
        .await
        .expect("override");
    assert_eq!((late.user_id, late.start, late.end), (bob, t1, t2));
    // Listed by start; only those ending after the instant asked.
    assert_eq!(
        s.list_overrides(&team(a), sch.id, t0).await.expect("list"),
        vec![early, late]
    );
    assert_eq!(
        s.list_overrides(&team(a), sch.id, t1).await.expect("list"),
        vec![late]
    );
    // The rule form the engine evaluates, from the same read.
    let as_rules: Vec<Override> = s
        .list_overrides(&team(a), sch.id, t1)
        .await
        .expect("list")
        .iter()
        .map(|o| o.rule())
        .collect();
    assert_eq!(
        as_rules,
        vec![Override {
            user: bob,
            start: t1,
            end: t2
        }]
    );
    // An override already ended is left out of what is current.
    s.create_override(
        &team(a),
        sch.id,
        bob,
        at("2020-01-01T00:00:00Z"),
        at("2020-01-02T00:00:00Z"),
    )
    .await
    .expect("a past override");
    let current = s
        .list_overrides(&team(a), sch.id, chrono::Utc::now())
        .await
        .expect("list");
    assert_eq!(
        current.iter().map(|o| o.start).collect::<Vec<_>>(),
        vec![t0, t1],
        "only those not yet ended"
    );
    // A user who does not exist names `user_id`; another team's schedule is not found.
    let (field, _) = invalid(
        s.create_override(&team(a), sch.id, UserId::new(), t0, t1)
            .await,
    );
    assert_eq!(field, "user_id");
    not_found(s.create_override(&team(a), other.id, ann, t0, t1).await);
    not_found(s.list_overrides(&team(b), sch.id, t0).await);
    not_found(s.delete_override(&team(b), sch.id, late.id).await);
    not_found(s.delete_override(&team(b), other.id, late.id).await);
    not_found(s.delete_override(&team(a), sch.id, OverrideId::new()).await);
    s.delete_override(&team(a), sch.id, late.id)
        .await
        .expect("delete");
    assert_eq!(
        s.list_overrides(&team(a), sch.id, t0).await.expect("list"),
        vec![early]
    );
    // A user's feed finds schedules naming them and those overriding for them.
    let mine = s.schedules_of_user(ann, t0).await.expect("mine");
    assert_eq!(mine.len(), 1);
    assert_eq!((mine[0].0.id, mine[0].1.len()), (sch.id, 1));
    let bobs = s.schedules_of_user(bob, t0).await.expect("bob's");
    assert_eq!(
        bobs.iter().map(|(x, _)| x.id).collect::<Vec<_>>(),
        vec![other.id]
    );
    s.create_override(&Scope::All, sch.id, bob, t1, t2)
        .await
        .expect("override");
    let mut bobs: Vec<_> = s
        .schedules_of_user(bob, t0)
        .await
        .expect("bob's")
        .into_iter()
        .map(|(x, _)| x.id)
        .collect();
    bobs.sort();
    let mut want = vec![sch.id, other.id];
    want.sort();
    assert_eq!(bobs, want);
    // Overrides go with their schedule.
    s.delete_schedule(&team(a), sch.id).await.expect("delete");
    assert!(s.schedules_of_user(ann, t0).await.expect("mine").is_empty());
}

pub async fn calendar_feeds_are_found_by_hash_until_revoked(db: Db) {
    let s = &db.store;
    let ann = user(&db, "ann").await;
    let (a, _) = team_and_service(s, "Alpha").await;
    let sch = s
        .create_schedule(&team(a), a, "Days", &rules(vec![ann]))
        .await
        .expect("schedule");
    let of = FeedOf::Schedule(sch.id);
    let f = s.create_calendar_feed(of, hash("one")).await.expect("feed");
    assert_eq!(f.of, of);
    let mine = s
        .create_calendar_feed(FeedOf::User(ann), hash("mine"))
        .await
        .expect("feed");
    assert_eq!(
        s.calendar_feed_by_hash(hash("one")).await.expect("lookup"),
        Some(f)
    );
    assert_eq!(
        s.calendar_feed_by_hash(hash("mine")).await.expect("lookup"),
        Some(mine)
    );
    assert_eq!(
        s.calendar_feed_by_hash(hash("nope")).await.expect("lookup"),
        None
    );
    // A new feed replaces the old one.
    let g = s.create_calendar_feed(of, hash("two")).await.expect("feed");
    assert_eq!(
        s.calendar_feed_by_hash(hash("one")).await.expect("lookup"),
        None
    );
    assert_eq!(
        s.calendar_feed_by_hash(hash("two")).await.expect("lookup"),
        Some(g)
    );
    // Revoking ends it and leaves the user's.
    assert!(s.revoke_calendar_feed(of).await.expect("revoke"));
    assert!(!s.revoke_calendar_feed(of).await.expect("revoke again"));
    assert_eq!(
        s.calendar_feed_by_hash(hash("two")).await.expect("lookup"),
        None
    );
    assert_eq!(
        s.calendar_feed_by_hash(hash("mine")).await.expect("lookup"),
        Some(mine)
    );
    // Of something that does not exist: not found.
    not_found(
        s.create_calendar_feed(FeedOf::Schedule(ScheduleId::new()), hash("x"))
            .await,
    );
    not_found(
        s.create_calendar_feed(FeedOf::User(UserId::new()), hash("y"))
            .await,
    );
    // A schedule's feeds go with it.
    let h = s
        .create_calendar_feed(of, hash("three"))
        .await
        .expect("feed");
    assert_eq!(
        s.calendar_feed_by_hash(hash("three"))
            .await
            .expect("lookup"),
        Some(h)
    );
    s.delete_schedule(&team(a), sch.id).await.expect("delete");
    assert_eq!(
        s.calendar_feed_by_hash(hash("three"))
            .await
            .expect("lookup"),
        None
    );
}

pub async fn policies_name_only_their_teams_schedules_which_stay_while_named(db: Db) {
    let s = &db.store;
    let ann = user(&db, "ann").await;
    let (a, _) = team_and_service(s, "Alpha").await;
    let (b, _) = team_and_service(s, "Bravo").await;
    let ours = s
        .create_schedule(&team(a), a, "Days", &rules(vec![ann]))
        .await
        .expect("schedule");
    let foreign = s
        .create_schedule(&team(b), b, "Days", &rules(vec![ann]))
        .await
        .expect("schedule");
    // Another team's schedule is refused, naming the target; nothing stored.
    let theirs = one_step(vec![
        Target::User { id: ann },
        Target::Schedule { id: foreign.id },
    ]);
    let (field, detail) = invalid(s.create_policy(&team(a), a, "Theirs", &theirs).await);
    assert_eq!(field, "steps[0].targets[1]");
    assert!(detail.contains(&foreign.id.to_string()), "{detail}");
    assert!(s
        .list_policies(&team(a), None)
        .await
        .expect("list")
        .is_empty());
    // The team's own is accepted, and then held.
    let rules_ = one_step(vec![Target::Schedule { id: ours.id }]);
    let p = s
        .create_policy(&team(a), a, "Primary", &rules_)
        .await
        .expect("policy");
    let held = conflict(s.delete_schedule(&team(a), ours.id).await);
    assert!(held.contains("Primary"), "{held}");
    s.get_schedule(&team(a), ours.id)
        .await
        .expect("still there");
    invalid(s.update_policy(&team(a), p.id, "Primary", &theirs).await);
    // Once the policy no longer names it, it may go.
    let simpler = one_step(vec![Target::User { id: ann }]);
    s.update_policy(&team(a), p.id, "Primary", &simpler)
        .await
        .expect("update");
    s.delete_schedule(&team(a), ours.id).await.expect("delete");
    // Deleting another team's schedule was never held by this policy.
    s.delete_schedule(&team(b), foreign.id)
        .await
        .expect("delete");
}
