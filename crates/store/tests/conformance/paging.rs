//! What every backend must do for paging's configuration: contact methods, notification
//! rules, team channels, escalation policies and the policy a service runs.

use tocsin_core::model::Scope;
use tocsin_core::paging::policy::{PolicyRules, Repeat, Step, Target};
use tocsin_core::paging::records::{MethodKind, MAX_PER_OWNER};
use tocsin_core::{ChannelId, ContactMethodId, PolicyId, ScheduleId, TeamId, UserId};
use tocsin_store::paging::NewDestination;
use tocsin_store::StoreError;

use crate::accounts::{new_user, Db};
use crate::cases::team_and_service;

fn webhook(name: &str) -> NewDestination {
    NewDestination {
        kind: MethodKind::Webhook,
        name: name.to_owned(),
        target: "https://hooks.example.com/tocsin".into(),
        signing_secret: Some(format!("secret-of-{name}")),
    }
}

fn email(name: &str) -> NewDestination {
    NewDestination {
        kind: MethodKind::Email,
        name: name.to_owned(),
        target: "oncall@example.com".into(),
        signing_secret: None,
    }
}

pub(crate) async fn user(db: &Db, name: &str) -> UserId {
    db.accounts
        .create_user(new_user(name))
        .await
        .expect("user")
        .id
}

pub(crate) fn team(t: TeamId) -> Scope {
    Scope::Teams(vec![t])
}

pub(crate) fn one_step(targets: Vec<Target>) -> PolicyRules {
    PolicyRules {
        repeat: Repeat::Times(1),
        ack_timeout_minutes: Some(30),
        steps: vec![Step {
            delay_minutes: 0,
            round_robin: false,
            targets,
        }],
    }
}

pub(crate) fn not_found<T: std::fmt::Debug>(r: Result<T, StoreError>) {
    assert!(matches!(r, Err(StoreError::NotFound(_))), "{r:?}");
}

pub(crate) fn conflict<T: std::fmt::Debug>(r: Result<T, StoreError>) -> String {
    match r {
        Err(StoreError::Conflict(detail)) => detail,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

/// The field an `Invalid` names.
pub(crate) fn invalid<T: std::fmt::Debug>(r: Result<T, StoreError>) -> (String, String) {
    match r {
        Err(StoreError::Invalid { field, detail }) => (field, detail),
        other => panic!("expected invalid, got {other:?}"),
    }
}

pub async fn contact_methods_belong_to_their_user(db: Db) {
    let (ann, bob) = (user(&db, "ann").await, user(&db, "bob").await);
    let s = &db.store;
    let hook = s
        .create_contact_method(ann, webhook("pager"))
        .await
        .expect("create");
    assert_eq!(hook.user_id, ann);
    assert_eq!(hook.kind, MethodKind::Webhook);
    assert_eq!(hook.signing_secret.as_deref(), Some("secret-of-pager"));
    let mail = s
        .create_contact_method(ann, email("inbox"))
        .await
        .expect("create");
    // Read back exactly as created, sorted by name.
    let listed = s.list_contact_methods(ann).await.expect("list");
    assert_eq!(listed, vec![mail.clone(), hook.clone()]);
    assert_eq!(s.get_contact_method(ann, hook.id).await.expect("get"), hook);
    // Another user's is not found, by get or delete; bob's list is his own.
    not_found(s.get_contact_method(bob, hook.id).await);
    not_found(s.delete_contact_method(bob, hook.id).await);
    assert!(s.list_contact_methods(bob).await.expect("list").is_empty());
    // Names are unique per user only.
    let taken = conflict(s.create_contact_method(ann, email("pager")).await);
    assert!(taken.contains("pager"), "{taken}");
    s.create_contact_method(bob, email("pager"))
        .await
        .expect("bob's own pager");
    not_found(s.create_contact_method(UserId::new(), email("ghost")).await);
    not_found(s.get_contact_method(ann, ContactMethodId::new()).await);
    s.delete_contact_method(ann, hook.id).await.expect("delete");
    not_found(s.get_contact_method(ann, hook.id).await);
    not_found(s.delete_contact_method(ann, hook.id).await);
    assert_eq!(s.list_contact_methods(ann).await.expect("list"), vec![mail]);
}

pub async fn a_user_has_a_bounded_number_of_contact_methods(db: Db) {
    let ann = user(&db, "ann").await;
    let tasks: Vec<_> = (0..MAX_PER_OWNER + 5)
        .map(|i| {
            let s = db.store.clone();
            tokio::spawn(async move { s.create_contact_method(ann, email(&format!("m{i}"))).await })
        })
        .collect();
    let mut made = 0;
    for t in tasks {
        match t.await.expect("task") {
            Ok(_) => made += 1,
            Err(StoreError::Conflict(_)) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(made, MAX_PER_OWNER, "even when racing");
    let n = db
        .store
        .list_contact_methods(ann)
        .await
        .expect("list")
        .len();
    assert_eq!(n, MAX_PER_OWNER);
}

pub async fn notification_rules_go_with_their_contact_method(db: Db) {
    let (ann, bob) = (user(&db, "ann").await, user(&db, "bob").await);
    let s = &db.store;
    let hook = s
        .create_contact_method(ann, webhook("hook"))
        .await
        .expect("hook");
    let mail = s
        .create_contact_method(ann, email("mail"))
        .await
        .expect("mail");
    let later = s
        .create_notification_rule(ann, mail.id, 10)
        .await
        .expect("rule");
    let now = s
        .create_notification_rule(ann, hook.id, 0)
        .await
        .expect("rule");
    assert_eq!((now.contact_method_id, now.delay_minutes), (hook.id, 0));
    let also = s
        .create_notification_rule(ann, hook.id, 5)
        .await
        .expect("rule");
    // Soonest first.
    assert_eq!(
        s.list_notification_rules(ann).await.expect("list"),
        vec![now.clone(), also.clone(), later.clone()]
    );
    conflict(s.create_notification_rule(ann, hook.id, 0).await);
    // Bob cannot hang a rule on Ann's method; the refusal names the field.
    let (field, _) = invalid(s.create_notification_rule(bob, hook.id, 0).await);
    assert_eq!(field, "contact_method_id");
    invalid(
        s.create_notification_rule(ann, ContactMethodId::new(), 0)
            .await,
    );
    assert!(s
        .list_notification_rules(bob)
        .await
        .expect("list")
        .is_empty());
    not_found(s.delete_notification_rule(bob, later.id).await);
    s.delete_notification_rule(ann, later.id)
        .await
        .expect("delete");
    not_found(s.delete_notification_rule(ann, later.id).await);
    // Deleting the method takes its rules with it.
    s.delete_contact_method(ann, hook.id).await.expect("delete");
    assert!(s
        .list_notification_rules(ann)
        .await
        .expect("list")
        .is_empty());
    s.create_notification_rule(ann, mail.id, 0)
        .await
        .expect("the other method still takes rules");
}

pub async fn channels_are_team_owned_and_scoped(db: Db) {
    let s = &db.store;
    let (a, _) = team_and_service(s, "Alpha").await;
    let (b, _) = team_and_service(s, "Bravo").await;
    let ops = s
        .create_channel(&team(a), a, webhook("ops"))
        .await
        .expect("channel");
    assert_eq!(ops.team_id, a);
    assert_eq!(ops.signing_secret.as_deref(), Some("secret-of-ops"));
    let desk = s
        .create_channel(&Scope::All, a, email("desk"))
        .await
        .expect("channel");
    let theirs = s
        .create_channel(&team(b), b, email("desk"))
        .await
        .expect("the same name in another team");
    conflict(s.create_channel(&team(a), a, email("ops")).await);
    // A scope without the team: not found, for every call.
    not_found(s.create_channel(&team(b), a, email("x")).await);
    not_found(
        s.create_channel(&Scope::All, TeamId::new(), email("x"))
            .await,
    );
    not_found(s.get_channel(&team(b), ops.id).await);
    not_found(s.delete_channel(&team(b), ops.id).await);
    assert_eq!(s.get_channel(&team(a), ops.id).await.expect("get"), ops);
    assert_eq!(
        s.list_channels(&team(a), None).await.expect("list"),
        vec![desk.clone(), ops.clone()]
    );
    assert_eq!(
        s.list_channels(&Scope::All, Some(b)).await.expect("list"),
        vec![theirs]
    );
    assert!(s
        .list_channels(&team(b), Some(a))
        .await
        .expect("list")
        .is_empty());
    assert_eq!(
        s.list_channels(&Scope::All, None).await.expect("all").len(),
        3
    );
    s.delete_channel(&team(a), desk.id).await.expect("delete");
    not_found(s.get_channel(&Scope::All, desk.id).await);
    not_found(s.delete_channel(&Scope::All, ChannelId::new()).await);
}

pub async fn policies_name_only_what_exists_and_hold_their_channels(db: Db) {
    let s = &db.store;
    let ann = user(&db, "ann").await;
    let (a, _) = team_and_service(s, "Alpha").await;
    let (b, _) = team_and_service(s, "Bravo").await;
    let ops = s
        .create_channel(&team(a), a, webhook("ops"))
        .await
        .expect("channel");
    let foreign = s
        .create_channel(&team(b), b, webhook("ops"))
        .await
        .expect("channel");
    let mut rules = one_step(vec![Target::User { id: ann }]);
    rules.steps.push(Step {
        delay_minutes: 15,
        round_robin: true,
        targets: vec![Target::User { id: ann }, Target::Channel { id: ops.id }],
    });
    let p = s
        .create_policy(&team(a), a, "Primary", &rules)
        .await
        .expect("policy");
    assert_eq!((p.team_id, p.name.as_str()), (a, "Primary"));
    assert_eq!(p.rules, rules);
    assert_eq!(p.created_at, p.updated_at);
    assert_eq!(s.get_policy(&team(a), p.id).await.expect("get"), p);
    conflict(s.create_policy(&team(a), a, "Primary", &rules).await);

    // What does not exist, or is another team's, is refused with its path; nothing stored.
    let ghost = one_step(vec![
        Target::User { id: ann },
        Target::User { id: UserId::new() },
    ]);
    let (field, _) = invalid(s.create_policy(&team(a), a, "Ghost", &ghost).await);
    assert_eq!(field, "steps[0].targets[1]");
    let theirs = one_step(vec![Target::Channel { id: foreign.id }]);
    let (field, detail) = invalid(s.create_policy(&team(a), a, "Theirs", &theirs).await);
    assert_eq!(field, "steps[0].targets[0]");
    assert!(detail.contains(&foreign.id.to_string()), "{detail}");
    let sched = one_step(vec![Target::Schedule {
        id: ScheduleId::new(),
    }]);
    let (field, detail) = invalid(s.create_policy(&team(a), a, "Sched", &sched).await);
    assert_eq!(field, "steps[0].targets[0]");
    assert!(detail.contains("schedule"), "{detail}");
    not_found(s.create_policy(&team(b), a, "Scope", &rules).await);
    assert_eq!(
        s.list_policies(&team(a), None).await.expect("list"),
        vec![p.clone()]
    );

    // The channel stays while the policy names it.
    let held = conflict(s.delete_channel(&team(a), ops.id).await);
    assert!(held.contains("Primary"), "{held}");
    invalid(s.update_policy(&team(a), p.id, "Primary", &theirs).await);
    let simpler = one_step(vec![Target::User { id: ann }]);
    not_found(s.update_policy(&team(b), p.id, "Primary", &simpler).await);
    let q = s
        .create_policy(&team(a), a, "Secondary", &simpler)
        .await
        .expect("policy");
    conflict(s.update_policy(&team(a), q.id, "Primary", &simpler).await);
    let updated = s
        .update_policy(&team(a), p.id, "Main", &simpler)
        .await
        .expect("update");
    assert_eq!((updated.name.as_str(), &updated.rules), ("Main", &simpler));
    assert_eq!(updated.created_at, p.created_at);
    assert!(updated.updated_at >= p.updated_at);
    assert_eq!(s.get_policy(&Scope::All, p.id).await.expect("get"), updated);
    s.delete_channel(&team(a), ops.id)
        .await
        .expect("no policy names it now");

    // Lists: by name, per scope and team.
    let other = s
        .create_policy(&team(b), b, "Theirs", &simpler)
        .await
        .expect("policy");
    assert_eq!(
        s.list_policies(&team(a), None).await.expect("list"),
        vec![updated.clone(), q.clone()]
    );
    assert_eq!(
        s.list_policies(&Scope::All, Some(b)).await.expect("list"),
        vec![other.clone()]
    );
    assert!(s
        .list_policies(&team(b), Some(a))
        .await
        .expect("list")
        .is_empty());
    not_found(s.get_policy(&team(b), p.id).await);
    not_found(s.delete_policy(&team(b), p.id).await);
    s.delete_policy(&team(a), q.id).await.expect("delete");
    not_found(s.get_policy(&team(a), q.id).await);
    not_found(s.delete_policy(&team(a), PolicyId::new()).await);
}

pub async fn services_run_a_policy_of_their_own_team(db: Db) {
    let s = &db.store;
    let ann = user(&db, "ann").await;
    let (a, svc) = team_and_service(s, "Alpha").await;
    let (b, theirs) = team_and_service(s, "Bravo").await;
    let rules = one_step(vec![Target::User { id: ann }]);
    let p = s
        .create_policy(&team(a), a, "Primary", &rules)
        .await
        .expect("policy");
    let pb = s
        .create_policy(&team(b), b, "Primary", &rules)
        .await
        .expect("policy");
    assert_eq!(svc.escalation_policy_id, None);
    assert_eq!(
        s.service_policy(&team(a), svc.id).await.expect("read"),
        None
    );

    let set = s
        .set_service_policy(&team(a), svc.id, Some(p.id))
        .await
        .expect("set");
    assert_eq!(set.escalation_policy_id, Some(p.id));
    assert_eq!(set.id, svc.id);
    let got = s.get_service(&team(a), svc.id).await.expect("get");
    assert_eq!(got.escalation_policy_id, Some(p.id));
    assert_eq!(got, set);
    let listed = s.list_services(&team(a), Some(a)).await.expect("list");
    assert_eq!(listed[0].escalation_policy_id, Some(p.id));
    assert_eq!(
        s.service_policy(&team(a), svc.id).await.expect("read"),
        Some(p.id)
    );
    // The webhook-key lookup reads the same row, the policy included.
    let found = db
        .accounts
        .service_by_any_key_hash(tocsin_core::secret::hash("key-of-Alpha"))
        .await
        .expect("lookup")
        .expect("found");
    assert_eq!(found.service.escalation_policy_id, Some(p.id));

    // Another team's policy, or none at all, is refused and changes nothing.
    let (field, _) = invalid(s.set_service_policy(&team(a), svc.id, Some(pb.id)).await);
    assert_eq!(field, "escalation_policy_id");
    invalid(
        s.set_service_policy(&team(a), svc.id, Some(PolicyId::new()))
            .await,
    );
    assert_eq!(
        s.service_policy(&Scope::All, svc.id).await.expect("read"),
        Some(p.id)
    );
    // Out of scope: not found.
    not_found(s.set_service_policy(&team(b), svc.id, None).await);
    not_found(s.service_policy(&team(b), svc.id).await);
    not_found(s.set_service_policy(&team(a), theirs.id, Some(p.id)).await);

    // A policy in use stays.
    let used = conflict(s.delete_policy(&team(a), p.id).await);
    assert!(used.contains("api"), "{used}");
    let cleared = s
        .set_service_policy(&team(a), svc.id, None)
        .await
        .expect("clear");
    assert_eq!(cleared.escalation_policy_id, None);
    assert_eq!(
        s.service_policy(&team(a), svc.id).await.expect("read"),
        None
    );
    s.delete_policy(&team(a), p.id).await.expect("now unused");
}

/// A policy naming a channel and the channel's delete, racing: never both, so no policy
/// ever names a channel that is gone.
pub async fn a_channel_and_a_policy_naming_it_never_both_win_a_race(db: Db) {
    let ann = user(&db, "ann").await;
    let (a, _) = team_and_service(&db.store, "Alpha").await;
    let mut outcomes = [0u32; 2];
    for round in 0..12 {
        let ch = db
            .store
            .create_channel(&team(a), a, email(&format!("ch{round}")))
            .await
            .expect("channel");
        let rules = one_step(vec![
            Target::User { id: ann },
            Target::Channel { id: ch.id },
        ]);
        let (s1, s2) = (db.store.clone(), db.store.clone());
        let name = format!("p{round}");
        let create =
            tokio::spawn(async move { s1.create_policy(&team(a), a, &name, &rules).await });
        let delete = tokio::spawn(async move { s2.delete_channel(&team(a), ch.id).await });
        let (created, deleted) = (create.await.expect("task"), delete.await.expect("task"));
        match (created, deleted) {
            (Ok(_), Err(StoreError::Conflict(_))) => outcomes[0] += 1,
            (Err(StoreError::Invalid { .. }), Ok(())) => outcomes[1] += 1,
            other => panic!("round {round}: {other:?}"),
        }
        let exists = db.store.get_channel(&Scope::All, ch.id).await.is_ok();
        let named = db
            .store
            .list_policies(&Scope::All, Some(a))
            .await
            .expect("policies")
            .iter()
            .any(|p| p.rules.names_channel(ch.id));
        assert!(
            exists || !named,
            "round {round}: a policy names a deleted channel"
        );
    }
    assert_eq!(outcomes.iter().sum::<u32>(), 12);
}
