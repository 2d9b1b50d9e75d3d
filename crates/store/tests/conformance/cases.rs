//! What every backend must do, stated once.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tocsin_core::model::{EventKind, IncidentQuery, Scope, Service};
use tocsin_core::secret;
use tocsin_core::{
    Action, AlertEvent, Decision, IncidentId, IncidentStatus, ServiceId, Severity, SourceKind,
    TeamId, TokenRole,
};
use tocsin_store::{Bootstrap, NewToken, Store, StoreError};

use crate::timeline::whole_timeline;

type S = Arc<dyn Store>;

pub fn alert(key: &str, action: Action) -> AlertEvent {
    let level = match action {
        Action::Trigger(Severity::Critical) => "CRITICAL",
        Action::Trigger(Severity::Warning) => "WARNING",
        Action::Trigger(Severity::Info) => "INFO",
        Action::Resolve => "OK",
        Action::Acknowledge => "acknowledge",
        Action::Test => "CRITICAL",
    };
    AlertEvent {
        source: SourceKind::Kapacitor,
        dedup_key: key.to_owned(),
        action,
        level: level.to_owned(),
        title: format!("{key} is {level}"),
        description: "details".to_owned(),
        tags: BTreeMap::from([("host".to_owned(), "web-1".to_owned())]),
        occurred_at: None,
        raw: format!("{{\"id\":\"{key}\",\"level\":\"{level}\"}}"),
    }
}

const CRIT: Action = Action::Trigger(Severity::Critical);
const WARN: Action = Action::Trigger(Severity::Warning);

/// A new team named `team` with one service, `api` (key `key-of-<team>`).
pub async fn team_and_service(s: &S, team: &str) -> (TeamId, Service) {
    let t = s.create_team(team).await.expect("team");
    let svc = s
        .create_service(&Scope::All, t.id, "api", &format!("key-of-{team}"))
        .await
        .expect("service");
    (t.id, svc)
}

fn is_not_found<T: std::fmt::Debug>(r: Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::NotFound(_)))
}

pub async fn bootstrap_runs_once(s: S) {
    let b = Bootstrap {
        team_name: "Default Team".into(),
        service_name: "Default Service".into(),
        service_api_key: "the-default-key".into(),
        admin_token_name: "admin".into(),
        admin_token_hash: secret::hash("admin-token"),
    };
    assert!(s.bootstrap(b.clone()).await.expect("first"));
    assert!(!s.bootstrap(b).await.expect("second"));
    let teams = s.list_teams(&Scope::All).await.expect("teams");
    assert_eq!(teams.len(), 1);
    assert_eq!(teams[0].name, "Default Team");
    let svcs = s.list_services(&Scope::All, None).await.expect("services");
    assert_eq!(svcs.len(), 1);
    assert_eq!(svcs[0].api_key, "the-default-key");
    let tok = s
        .token_by_hash(secret::hash("admin-token"))
        .await
        .expect("token")
        .expect("admin token exists");
    assert_eq!(
        (tok.token.role, tok.token.team_id, tok.token.user_id),
        (TokenRole::OrgAdmin, None, None)
    );
}

pub async fn teams_are_unique_sorted_and_scoped(s: S) {
    let zeta = s.create_team("Zeta").await.expect("Zeta");
    let alpha = s.create_team("alpha").await.expect("alpha");
    match s.create_team("Zeta").await {
        Err(StoreError::Conflict(d)) => assert!(d.contains("Zeta"), "{d}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    // Bytewise order, whatever the database's collation: "Z" < "a".
    let names: Vec<String> = s
        .list_teams(&Scope::All)
        .await
        .expect("list")
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["Zeta", "alpha"]);
    let only_alpha = Scope::Teams(vec![alpha.id]);
    let seen = s.list_teams(&only_alpha).await.expect("scoped list");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].id, alpha.id);
    assert_eq!(
        s.get_team(&only_alpha, alpha.id).await.expect("get"),
        alpha_read(&s, alpha.id).await
    );
    assert!(is_not_found(s.get_team(&only_alpha, zeta.id).await));
    assert!(is_not_found(s.get_team(&Scope::All, TeamId::new()).await));
    assert!(s
        .list_teams(&Scope::Teams(vec![]))
        .await
        .expect("empty")
        .is_empty());
}

async fn alpha_read(s: &S, id: TeamId) -> tocsin_core::model::Team {
    s.get_team(&Scope::All, id).await.expect("get")
}

pub async fn services_are_found_by_key_hash_and_scoped(s: S) {
    let (t1, svc1) = team_and_service(&s, "one").await;
    let (t2, _svc2) = team_and_service(&s, "two").await;
    assert!(is_not_found(
        s.create_service(&Scope::All, TeamId::new(), "x", "k").await
    ));
    // A team outside the caller's scope is not found either, and gets no service.
    assert!(is_not_found(
        s.create_service(&Scope::Teams(vec![t2]), t1, "x", "k")
            .await
    ));
    assert!(matches!(
        s.create_service(&Scope::All, t1, "api", "another-key")
            .await,
        Err(StoreError::Conflict(_))
    ));
    let b = s
        .create_service(&Scope::All, t1, "billing", "key-b")
        .await
        .expect("b");
    let all = s.list_services(&Scope::All, None).await.expect("all");
    assert_eq!(all.len(), 3);
    let names: Vec<String> = s
        .list_services(&Scope::All, Some(t1))
        .await
        .expect("by team")
        .into_iter()
        .map(|x| x.name)
        .collect();
    assert_eq!(names, ["api", "billing"], "no service x");
    assert_eq!(svc1.team_id, t1);
    let scope2 = Scope::Teams(vec![t2]);
    assert_eq!(
        s.list_services(&scope2, None).await.expect("scoped").len(),
        1
    );
    assert!(s
        .list_services(&scope2, Some(t1))
        .await
        .expect("none")
        .is_empty());
    assert!(is_not_found(s.get_service(&scope2, b.id).await));
    assert_eq!(
        s.get_service(&Scope::All, b.id).await.expect("get").name,
        "billing"
    );
    assert!(is_not_found(
        s.get_service(&Scope::All, ServiceId::new()).await
    ));
}

pub async fn ingest_opens_joins_resolves_ignores_and_tests(s: S) {
    let (_, svc) = team_and_service(&s, "t").await;
    let opened = s.ingest(&svc, alert("cpu", CRIT)).await.expect("open");
    assert_eq!(opened.decision, Decision::Open(Severity::Critical));
    assert_eq!(opened.incident_number, Some(1));
    let id = opened.incident_id.expect("id");
    let joined = s.ingest(&svc, alert("cpu", WARN)).await.expect("join");
    assert_eq!(joined.decision, Decision::Join(Severity::Warning));
    assert_eq!(
        (joined.incident_id, joined.incident_number),
        (Some(id), Some(1))
    );
    let inc = s.get_incident(&Scope::All, id).await.expect("get");
    assert_eq!(inc.event_count, 2);
    assert_eq!(inc.severity, Severity::Warning);
    assert_eq!(inc.status, IncidentStatus::Triggered);
    assert_eq!(inc.title, "cpu is WARNING");
    assert_eq!(inc.tags.get("host").map(String::as_str), Some("web-1"));
    assert_eq!(inc.alert_source, SourceKind::Kapacitor);

    let resolved = s
        .ingest(&svc, alert("cpu", Action::Resolve))
        .await
        .expect("resolve");
    assert_eq!(resolved.decision, Decision::Resolve);
    assert_eq!(resolved.incident_id, Some(id));
    let inc = s.get_incident(&Scope::All, id).await.expect("get");
    assert_eq!(inc.status, IncidentStatus::Resolved);
    assert_eq!(inc.resolved_by.as_deref(), Some("kapacitor"));
    assert!(inc.resolved_at.is_some());

    let ignored = s
        .ingest(&svc, alert("cpu", Action::Resolve))
        .await
        .expect("ignore");
    assert_eq!(
        (ignored.decision, ignored.incident_id),
        (Decision::Ignore, None)
    );
    let test = s
        .ingest(&svc, alert("cpu", Action::Test))
        .await
        .expect("test");
    assert_eq!((test.decision, test.incident_id), (Decision::Test, None));

    let timeline = whole_timeline(&s, &Scope::All, id).await.expect("timeline");
    let kinds: Vec<EventKind> = timeline.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::Opened,
            EventKind::Joined,
            EventKind::AutoResolved
        ]
    );
    assert_eq!(
        s.event_payload(&Scope::All, id, timeline[0].id)
            .await
            .expect("payload"),
        "{\"id\":\"cpu\",\"level\":\"CRITICAL\"}"
    );
    assert_eq!(timeline[0].level.as_deref(), Some("CRITICAL"));
    assert_eq!(timeline[0].id, opened.event_id);

    let activity = s
        .alert_source_activity(&Scope::All, svc.id)
        .await
        .expect("activity");
    assert_eq!(activity.len(), 1);
    let a = &activity[0];
    assert_eq!(a.source, SourceKind::Kapacitor);
    assert!(a.last_incident_at.is_some() && a.last_test_at.is_some());
    assert!(a.last_event_at >= a.last_test_at);
    assert!(a.is_active(Utc::now()));
}

pub async fn incident_numbers_count_per_team_and_never_reopen(s: S) {
    let (_, a) = team_and_service(&s, "a").await;
    let (_, b) = team_and_service(&s, "b").await;
    for (i, key) in ["k1", "k2", "k3"].iter().enumerate() {
        let o = s.ingest(&a, alert(key, CRIT)).await.expect("a");
        assert_eq!(o.incident_number, Some(i as i64 + 1));
    }
    let o = s.ingest(&b, alert("k1", CRIT)).await.expect("b");
    assert_eq!(o.incident_number, Some(1), "numbers are per team");
    s.ingest(&a, alert("k1", Action::Resolve))
        .await
        .expect("resolve");
    let again = s.ingest(&a, alert("k1", CRIT)).await.expect("again");
    assert_eq!(again.decision, Decision::Open(Severity::Critical));
    assert_eq!(
        again.incident_number,
        Some(4),
        "a resolved incident is never reopened"
    );
    let all = s
        .list_incidents(
            &Scope::All,
            &IncidentQuery {
                service_id: Some(a.id),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .expect("list");
    assert_eq!(all.len(), 4);
}

pub async fn list_filters_paginates_and_searches(s: S) {
    let (t1, a) = team_and_service(&s, "one").await;
    let (t2, b) = team_and_service(&s, "two").await;
    let mut ids: Vec<IncidentId> = Vec::new();
    for i in 0..7 {
        let o = s
            .ingest(&a, alert(&format!("Disk-{i}"), CRIT))
            .await
            .expect("a");
        ids.push(o.incident_id.expect("id"));
    }
    s.ingest(&b, alert("memory", CRIT)).await.expect("b");
    s.ingest(&a, alert("Disk-0", Action::Resolve))
        .await
        .expect("resolve");
    s.acknowledge(&Scope::All, ids[1], "ann")
        .await
        .expect("ack");

    let q = |f: fn(&mut IncidentQuery)| {
        let mut q = IncidentQuery {
            limit: 100,
            ..Default::default()
        };
        f(&mut q);
        q
    };
    let all = s
        .list_incidents(&Scope::All, &q(|_| {}))
        .await
        .expect("all");
    assert_eq!(all.len(), 8);
    let mut sorted = all.clone();
    sorted.sort_by_key(|x| std::cmp::Reverse(x.id));
    assert_eq!(all, sorted, "newest first");

    let mut page = IncidentQuery {
        service_id: Some(a.id),
        limit: 3,
        ..Default::default()
    };
    let mut seen = Vec::new();
    loop {
        let got = s.list_incidents(&Scope::All, &page).await.expect("page");
        assert!(got.len() <= 3);
        let Some(last) = got.last() else { break };
        page.before = Some(last.id);
        seen.extend(got.iter().map(|i| i.id));
    }
    ids.reverse();
    assert_eq!(seen, ids, "pages cover every incident once, newest first");

    let team2 = IncidentQuery {
        team_id: Some(t2),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        s.list_incidents(&Scope::All, &team2)
            .await
            .expect("t2")
            .len(),
        1
    );
    let open = IncidentQuery {
        statuses: vec![IncidentStatus::Triggered, IncidentStatus::Acknowledged],
        service_id: Some(a.id),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        s.list_incidents(&Scope::All, &open)
            .await
            .expect("open")
            .len(),
        6
    );
    let acked = IncidentQuery {
        statuses: vec![IncidentStatus::Acknowledged],
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        s.list_incidents(&Scope::All, &acked)
            .await
            .expect("acked")
            .len(),
        1
    );
    let by_key = IncidentQuery {
        dedup_key: Some("Disk-3".into()),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        s.list_incidents(&Scope::All, &by_key)
            .await
            .expect("key")
            .len(),
        1
    );
    // Case-insensitive substring of the title or the key.
    let text = IncidentQuery {
        text: Some("dISK-".into()),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        s.list_incidents(&Scope::All, &text)
            .await
            .expect("text")
            .len(),
        7
    );
    let text = IncidentQuery {
        text: Some("MEMORY IS crit".into()),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        s.list_incidents(&Scope::All, &text)
            .await
            .expect("title")
            .len(),
        1
    );
    let text = IncidentQuery {
        text: Some("100%_".into()),
        limit: 10,
        ..Default::default()
    };
    assert!(
        s.list_incidents(&Scope::All, &text)
            .await
            .expect("literal")
            .is_empty(),
        "no LIKE wildcards"
    );

    let scope1 = Scope::Teams(vec![t1]);
    let scoped = s.list_incidents(&scope1, &q(|_| {})).await.expect("scoped");
    assert_eq!(scoped.len(), 7);
    let none = s.list_incidents(&scope1, &team2).await.expect("other team");
    assert!(none.is_empty());
    let zero = IncidentQuery {
        limit: 0,
        ..Default::default()
    };
    assert_eq!(
        s.list_incidents(&Scope::All, &zero)
            .await
            .expect("limit 0")
            .len(),
        1,
        "limit is at least 1"
    );
}

pub async fn acknowledge_resolve_and_notes(s: S) {
    let (_, svc) = team_and_service(&s, "t").await;
    let id = s
        .ingest(&svc, alert("k", CRIT))
        .await
        .expect("open")
        .incident_id
        .expect("id");
    let acked = s.acknowledge(&Scope::All, id, "ann").await.expect("ack");
    assert_eq!(acked.status, IncidentStatus::Acknowledged);
    assert_eq!(acked.acknowledged_by.as_deref(), Some("ann"));
    assert!(acked.acknowledged_at.is_some());
    let again = s
        .acknowledge(&Scope::All, id, "bob")
        .await
        .expect("ack twice");
    assert_eq!(
        again.acknowledged_by.as_deref(),
        Some("ann"),
        "a second ack changes nothing"
    );
    // An acknowledged incident still takes repeats.
    let j = s.ingest(&svc, alert("k", CRIT)).await.expect("join");
    assert_eq!(j.decision, Decision::Join(Severity::Critical));
    let note = s
        .add_note(&Scope::All, id, "ann", "looking")
        .await
        .expect("note");
    assert_eq!(
        (note.kind, note.text.as_deref()),
        (EventKind::Note, Some("looking"))
    );
    let resolved = s.resolve(&Scope::All, id, "bob").await.expect("resolve");
    assert_eq!(resolved.status, IncidentStatus::Resolved);
    assert_eq!(resolved.resolved_by.as_deref(), Some("bob"));
    assert!(matches!(
        s.resolve(&Scope::All, id, "bob").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.acknowledge(&Scope::All, id, "bob").await,
        Err(StoreError::Conflict(_))
    ));
    // Notes are still welcome after the end.
    s.add_note(&Scope::All, id, "bob", "post-mortem")
        .await
        .expect("late note");
    let kinds: Vec<EventKind> = whole_timeline(&s, &Scope::All, id)
        .await
        .expect("tl")
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            EventKind::Opened,
            EventKind::Acknowledged,
            EventKind::Joined,
            EventKind::Note,
            EventKind::Resolved,
            EventKind::Note
        ]
    );
    let next = s.ingest(&svc, alert("k", CRIT)).await.expect("new");
    assert_ne!(next.incident_id, Some(id));
    assert!(is_not_found(
        s.acknowledge(&Scope::All, IncidentId::new(), "x").await
    ));
}

pub async fn out_of_scope_incidents_are_not_found(s: S) {
    let (t1, a) = team_and_service(&s, "a").await;
    let (t2, _) = team_and_service(&s, "b").await;
    let id = s
        .ingest(&a, alert("k", CRIT))
        .await
        .expect("open")
        .incident_id
        .expect("id");
    let other = Scope::Teams(vec![t2]);
    assert!(is_not_found(s.get_incident(&other, id).await));
    assert!(is_not_found(whole_timeline(&s, &other, id).await));
    assert!(is_not_found(s.acknowledge(&other, id, "x").await));
    assert!(is_not_found(s.resolve(&other, id, "x").await));
    assert!(is_not_found(s.add_note(&other, id, "x", "y").await));
    assert!(s
        .alert_source_activity(&other, a.id)
        .await
        .expect("activity")
        .is_empty());
    assert_eq!(
        s.alert_source_activity(&Scope::Teams(vec![t1]), a.id)
            .await
            .expect("activity")
            .len(),
        1
    );
    let inc = s.get_incident(&Scope::All, id).await.expect("still there");
    assert_eq!(inc.status, IncidentStatus::Triggered, "nothing changed");
    assert_eq!(
        whole_timeline(&s, &Scope::All, id).await.expect("tl").len(),
        1
    );
}

pub async fn tokens_are_found_by_hash_and_touched(s: S) {
    let (t, _) = team_and_service(&s, "t").await;
    let expires: DateTime<Utc> =
        DateTime::from_timestamp_micros(4_000_000_000_000_000).expect("time");
    // A team token is made only within a scope that holds its team.
    assert!(is_not_found(
        s.create_token(
            &Scope::Teams(vec![]),
            NewToken {
                name: "ci".into(),
                role: TokenRole::Responder,
                user_id: None,
                team_id: Some(t),
                hash: secret::hash("tok-1"),
                expires_at: Some(expires),
            }
        )
        .await
    ));
    // Nor for a team that does not exist, even with every team in scope: not found, not a
    // foreign-key conflict naming the schema.
    assert!(is_not_found(
        s.create_token(
            &Scope::All,
            NewToken {
                name: "ghost".into(),
                role: TokenRole::Observer,
                user_id: None,
                team_id: Some(TeamId::new()),
                hash: secret::hash("tok-ghost"),
                expires_at: None,
            }
        )
        .await
    ));
    let made = s
        .create_token(
            &Scope::Teams(vec![t]),
            NewToken {
                name: "ci".into(),
                role: TokenRole::Responder,
                user_id: None,
                team_id: Some(t),
                hash: secret::hash("tok-1"),
                expires_at: Some(expires),
            },
        )
        .await
        .expect("create");
    let found = s
        .token_by_hash(secret::hash("tok-1"))
        .await
        .expect("get")
        .expect("found");
    assert_eq!(found.hash, secret::hash("tok-1"));
    assert_eq!(found.token.id, made.id);
    assert_eq!(found.token.team_id, Some(t));
    assert_eq!(found.token.expires_at, Some(expires));
    assert_eq!(found.token.last_used_at, None);
    assert!(s
        .token_by_hash(secret::hash("tok-2"))
        .await
        .expect("get")
        .is_none());
    s.touch_token(made.id).await.expect("touch");
    let touched = s
        .token_by_hash(secret::hash("tok-1"))
        .await
        .expect("get")
        .expect("found");
    assert!(touched.token.last_used_at.is_some());
    assert!(matches!(
        s.create_token(
            &Scope::All,
            NewToken {
                name: "dup".into(),
                role: TokenRole::OrgAdmin,
                user_id: None,
                team_id: None,
                hash: secret::hash("tok-1"),
                expires_at: None,
            }
        )
        .await,
        Err(StoreError::Conflict(_))
    ));
}

pub async fn concurrent_identical_alerts_open_one_incident(s: S) {
    let (_, svc) = team_and_service(&s, "t").await;
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let (s, svc) = (s.clone(), svc.clone());
            tokio::spawn(async move { s.ingest(&svc, alert("same", CRIT)).await })
        })
        .collect();
    let mut opened = 0;
    for t in tasks {
        let o = t.await.expect("task").expect("ingest");
        assert_eq!(o.incident_number, Some(1));
        if matches!(o.decision, Decision::Open(_)) {
            opened += 1;
        }
    }
    assert_eq!(opened, 1);
    let all = s
        .list_incidents(
            &Scope::All,
            &IncidentQuery {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .expect("list");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].event_count, 32);
}

pub async fn times_keep_microseconds(s: S) {
    let (_, svc) = team_and_service(&s, "t").await;
    let at = DateTime::from_timestamp_micros(1_764_000_000_123_456).expect("time");
    let mut ev = alert("k", CRIT);
    ev.occurred_at = Some(at);
    let o = s.ingest(&svc, ev).await.expect("open");
    let tl = whole_timeline(&s, &Scope::All, o.incident_id.expect("id"))
        .await
        .expect("tl");
    assert_eq!(tl[0].occurred_at, Some(at));
    let inc = s
        .get_incident(&Scope::All, o.incident_id.expect("id"))
        .await
        .expect("get");
    assert_eq!(inc.created_at, inc.updated_at);
    assert_eq!(
        inc.created_at.timestamp_subsec_nanos() % 1000,
        0,
        "microsecond precision"
    );
}

pub async fn filters_with_nul_find_nothing(s: S) {
    let (_, svc) = team_and_service(&s, "t").await;
    s.ingest(&svc, alert("disk", CRIT)).await.expect("open");
    let q = |text: Option<&str>, key: Option<&str>| IncidentQuery {
        limit: 50,
        text: text.map(str::to_owned),
        dedup_key: key.map(str::to_owned),
        ..Default::default()
    };
    assert_eq!(
        s.list_incidents(&Scope::All, &q(Some("disk"), None))
            .await
            .expect("plain")
            .len(),
        1
    );
    for (text, key) in [(Some("disk\0"), None), (None, Some("disk\0"))] {
        assert!(
            s.list_incidents(&Scope::All, &q(text, key))
                .await
                .expect("a NUL is no error")
                .is_empty(),
            "{text:?} {key:?}"
        );
    }
}

/// The overview's counts: opened per UTC day since a time, open per service, within scope.
pub async fn incident_summary_counts_by_day_and_open_by_service(s: S) {
    let (t1, a) = team_and_service(&s, "one").await;
    let (t2, b) = team_and_service(&s, "two").await;
    for key in ["x", "y", "z"] {
        s.ingest(&a, alert(key, CRIT)).await.expect("a");
    }
    s.ingest(&a, alert("x", Action::Resolve))
        .await
        .expect("resolve");
    s.ingest(&b, alert("w", CRIT)).await.expect("b");
    let since = Utc::now() - chrono::Duration::days(30);
    let today = Utc::now().format("%Y-%m-%d").to_string();

    let all = s
        .incident_summary(&Scope::All, None, since)
        .await
        .expect("all");
    assert_eq!(all.opened_per_day, vec![(today.clone(), 4)]);
    let mut open = all.open_by_service.clone();
    open.sort_by_key(|(id, _)| *id == b.id);
    assert_eq!(open, vec![(a.id, 2), (b.id, 1)]);

    let one = s
        .incident_summary(&Scope::All, Some(t1), since)
        .await
        .expect("team one");
    assert_eq!(one.opened_per_day, vec![(today, 3)]);
    assert_eq!(one.open_by_service, vec![(a.id, 2)]);

    // Another team's scope sees none of it, even when it names the team.
    let scoped = s
        .incident_summary(&Scope::Teams(vec![t2]), Some(t1), since)
        .await
        .expect("scoped");
    assert!(scoped.opened_per_day.is_empty() && scoped.open_by_service.is_empty());
    // Nothing since the future.
    let later = s
        .incident_summary(&Scope::All, None, Utc::now() + chrono::Duration::days(1))
        .await
        .expect("later");
    assert!(later.opened_per_day.is_empty());
}
