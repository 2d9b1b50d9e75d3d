//! The role × resource matrix: for each kind of caller and each route, the status it gets, on
//! its own team's resources and on another team's. One table; every cell is a real request.
//! A second table says who sees a service's webhook key (a write credential), checked on every
//! page and API answer that shows a service.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::support::{alert, Server};

const PASSWORD: &str = "correct horse battery";

/// Callers, in the order of the table's columns.
const CALLERS: [&str; 6] = [
    "org_admin",
    "owner",
    "admin",
    "responder",
    "observer",
    "no_membership",
];

/// `(method, path, body, statuses on the caller's own team's resources)`. Placeholders:
/// `{team}`, `{svc}`, `{user}` (a member of the team), `{spare}` (a user made a member just
/// before), `{inc}` (a new incident), `{tok}` (a new team token), `{chn}` (a new email
/// channel of the team), `{pol}` (a new escalation policy of the team, paging `{user}`),
/// `{hb}` (a new heartbeat of `{svc}`), `{sch}` (a new schedule of the team, rotating `{user}`; `{ovr}` a new override on it, and
/// `{schf}` a new schedule with a live calendar feed), `{n}` (a unique number);
/// in org routes also `{me}` (the caller's own user) and `{foreign_session}` (a session of
/// a user who is none of the callers), `{mw}` (a new maintenance window of `{svc}`).
/// Every row runs twice: on team A's resources (the callers' team, these statuses) and on
/// team B's (404 for everyone but the org admin, who gets the same as on A).
/// `(method, path, body template, expected status per caller)`.
type Route = (&'static str, &'static str, Option<&'static str>, [u16; 6]);

const TEAM_ROUTES: &[Route] = &[
    ("GET", "/teams/{team}", None, [200, 200, 200, 200, 200, 404]),
    (
        "GET",
        "/teams/{team}/members",
        None,
        [200, 200, 200, 200, 200, 404],
    ),
    (
        "POST",
        "/teams/{team}/members",
        Some(r#"{"user_id": "{spare}", "role": "observer"}"#),
        [201, 201, 403, 403, 403, 404],
    ),
    (
        "DELETE",
        "/teams/{team}/members/{spare}",
        None,
        [204, 204, 403, 403, 403, 404],
    ),
    (
        "GET",
        "/services/{svc}",
        None,
        [200, 200, 200, 200, 200, 404],
    ),
    (
        "POST",
        "/services",
        Some(r#"{"name": "svc {n}", "team_id": "{team}"}"#),
        [201, 201, 201, 403, 403, 404],
    ),
    (
        "POST",
        "/services/{svc}/rotate-key",
        None,
        [200, 200, 200, 403, 403, 404],
    ),
    (
        "GET",
        "/services/{svc}/alert-sources",
        None,
        [200, 200, 200, 200, 200, 404],
    ),
    // Heartbeats (issue 18): members read them, those who manage services change them.
    (
        "GET",
        "/services/{svc}/heartbeats",
        None,
        [200, 200, 200, 200, 200, 404],
    ),
    (
        "POST",
        "/services/{svc}/heartbeats",
        Some(r#"{"name": "hb {n}", "interval_seconds": 60}"#),
        [201, 201, 201, 403, 403, 404],
    ),
    (
        "GET",
        "/services/{svc}/heartbeats/{hb}",
        None,
        [200, 200, 200, 200, 200, 404],
    ),
    (
        "DELETE",
        "/services/{svc}/heartbeats/{hb}",
        None,
        [204, 204, 204, 403, 403, 404],
    ),
    // The team's Kapacitor: members read it, admins set it (the server then calls it).
    (
        "GET",
        "/teams/{team}/kapacitor",
        None,
        [200, 200, 200, 200, 200, 404],
    ),
    (
        "GET",
        "/teams/{team}/kapacitor/tasks",
        None,
        [409, 409, 409, 409, 409, 404],
    ),
    (
        "PUT",
        "/teams/{team}/kapacitor",
        Some(r#"{"kapacitor_url": null}"#),
        [200, 200, 200, 403, 403, 404],
    ),
    (
        "POST",
        "/services/{svc}/alert-sources/kapacitor/test",
        None,
        [200, 200, 200, 403, 403, 404],
    ),
    (
        "GET",
        "/incidents/{inc}",
        None,
        [200, 200, 200, 200, 200, 404],
    ),
    (
        "GET",
        "/incidents/{inc}/events",
        None,
        [200, 200, 200, 200, 200, 404],
    ),
    (
        "GET",
        "/incidents/{inc}/notifications",
        None,
        [200, 200, 200, 200, 200, 404],
    ),
    (
        "POST",
        "/incidents/{inc}/acknowledge",
        None,
        [200, 200, 200, 200, 403, 404],
    ),
    (
        "POST",
        "/incidents/{inc}/resolve",
        None,
        [200, 200, 200, 200, 403, 404],
    ),
    (
        "POST",
        "/incidents/{inc}/notes",
        Some(r#"{"text": "on it"}"#),
        [201, 201, 201, 201, 403, 404],
    ),
    ("GET", "/users/{user}", None, [200, 200, 200, 200, 200, 404]),
    (
        "POST",
        "/users/{spare}/password",
        Some(r#"{"new_password": "reset by an admin"}"#),
        [204, 403, 403, 403, 403, 404],
    ),
    (
        "POST",
        "/users/{spare}/disable",
        None,
        [200, 403, 403, 403, 403, 404],
    ),
    (
        "POST",
        "/users/{spare}/enable",
        None,
        [200, 403, 403, 403, 403, 404],
    ),
    (
        "POST",
        "/tokens",
        Some(r#"{"name": "t{n}", "team_id": "{team}", "role": "observer"}"#),
        [201, 201, 403, 403, 403, 404],
    ),
    (
        "DELETE",
        "/tokens/{tok}",
        None,
        [200, 200, 403, 403, 403, 404],
    ),
    // Paging: a team's channels and policies are read by members and written by admins; a
    // user's contact methods and rules are theirs and the org admin's, and exist for nobody
    // else.
    (
        "GET",
        "/teams/{team}/channels",
        None,
        [200, 200, 200, 200, 200, 404],
    ),
    (
        "POST",
        "/teams/{team}/channels",
        Some(r#"{"type": "email", "name": "desk {n}", "address": "desk@example.com"}"#),
        [201, 201, 201, 403, 403, 404],
    ),
    (
        "GET",
        "/teams/{team}/channels/{chn}",
        None,
        [200, 200, 200, 200, 200, 404],
    ),
    (
        "POST",
        "/teams/{team}/channels/{chn}/test",
        None,
        [200, 200, 200, 403, 403, 404],
    ),
    (
        "DELETE",
        "/teams/{team}/channels/{chn}",
        None,
        [204, 204, 204, 403, 403, 404],
    ),
    (
        "GET",
        "/escalation-policies/{pol}",
        None,
        [200, 200, 200, 200, 200, 404],
    ),
    (
        "POST",
        "/escalation-policies",
        Some(
            r#"{"team_id": "{team}", "name": "p {n}", "repeat": 0, "steps": [{"delay_minutes": 0, "targets": [{"type": "user", "id": "{user}"}]}]}"#,
        ),
        [201, 201, 201, 403, 403, 404],
    ),
    (
        "PUT",
        "/escalation-policies/{pol}",
        Some(
            r#"{"name": "p {n}", "repeat": 1, "steps": [{"delay_minutes": 5, "targets": [{"type": "user", "id": "{user}"}]}]}"#,
        ),
        [200, 200, 200, 403, 403, 404],
    ),
    (
        "DELETE",
        "/escalation-policies/{pol}",
        None,
        [204, 204, 204, 403, 403, 404],
    ),
    (
        "PATCH",
        "/services/{svc}",
        Some(r#"{"escalation_policy_id": "{pol}"}"#),
        [200, 200, 200, 403, 403, 404],
    ),
    (
        "GET",
        "/users/{user}/contact-methods",
        None,
        [200, 404, 404, 404, 404, 404],
    ),
    (
        "POST",
        "/users/{user}/contact-methods",
        Some(r#"{"type": "email", "name": "m {n}", "address": "m@example.com"}"#),
        [201, 404, 404, 404, 404, 404],
    ),
    (
        "GET",
        "/users/{user}/notification-rules",
        None,
        [200, 404, 404, 404, 404, 404],
    ),
    (
        "GET",
        "/schedules/{sch}",
        None,
        [200, 200, 200, 200, 200, 404],
    ),
    (
        "POST",
        "/schedules",
        Some(
            r#"{"team_id": "{team}", "name": "s {n}", "time_zone": "Europe/Berlin", "layers": [{"name": "l", "participants": ["{user}"], "rotation": {"unit": "week", "length": 1}, "start": "2026-01-05T09:00:00"}]}"#,
        ),
        [201, 201, 201, 403, 403, 404],
    ),
    (
        "PUT",
        "/schedules/{sch}",
        Some(
            r#"{"team_id": "{team}", "name": "s {n}", "time_zone": "Europe/Berlin", "layers": [{"name": "l", "participants": ["{user}"], "rotation": {"unit": "week", "length": 1}, "start": "2026-01-05T09:00:00"}]}"#,
        ),
        [200, 200, 200, 403, 403, 404],
    ),
    (
        "DELETE",
        "/schedules/{sch}",
        None,
        [204, 204, 204, 403, 403, 404],
    ),
    (
        "GET",
        "/schedules/{sch}/on-call",
        None,
        [200, 200, 200, 200, 200, 404],
    ),
    (
        "GET",
        "/schedules/{sch}/shifts?from=2027-01-01T00:00:00Z&to=2027-01-08T00:00:00Z",
        None,
        [200, 200, 200, 200, 200, 404],
    ),
    (
        "GET",
        "/schedules/{sch}/overrides",
        None,
        [200, 200, 200, 200, 200, 404],
    ),
    (
        "POST",
        "/schedules/{sch}/overrides",
        Some(
            r#"{"user_id": "{user}", "start": "2027-01-01T00:00:00Z", "end": "2027-01-02T00:00:00Z"}"#,
        ),
        [201, 201, 201, 403, 403, 404],
    ),
    (
        "DELETE",
        "/schedules/{sch}/overrides/{ovr}",
        None,
        [204, 204, 204, 403, 403, 404],
    ),
    (
        "GET",
        "/schedules/{sch}/calendar.ics",
        None,
        [200, 200, 200, 200, 200, 404],
    ),
    (
        "POST",
        "/schedules/{sch}/calendar-feed",
        None,
        [201, 201, 201, 403, 403, 404],
    ),
    (
        "DELETE",
        "/schedules/{schf}/calendar-feed",
        None,
        [204, 204, 204, 403, 403, 404],
    ),
    // Noise control (issue 18): members read, team admins write.
    (
        "GET",
        "/services/{svc}/rules",
        None,
        [200, 200, 200, 200, 200, 404],
    ),
    (
        "PUT",
        "/services/{svc}/rules",
        Some(
            r#"[{"action": "suppress", "conditions": [{"field": "tags.env", "op": "==", "value": "dev"}]}]"#,
        ),
        [200, 200, 200, 403, 403, 404],
    ),
    (
        "POST",
        "/services/{svc}/rules/preview",
        Some(r#"{"rules": []}"#),
        [200, 200, 200, 200, 200, 404],
    ),
    (
        "GET",
        "/services/{svc}/maintenance-windows",
        None,
        [200, 200, 200, 200, 200, 404],
    ),
    (
        "POST",
        "/services/{svc}/maintenance-windows",
        Some(r#"{"start": "2027-01-01T00:00:00Z", "end": "2027-01-02T00:00:00Z"}"#),
        [201, 201, 201, 403, 403, 404],
    ),
    (
        "DELETE",
        "/services/{svc}/maintenance-windows/{mw}",
        None,
        [200, 200, 200, 403, 403, 404],
    ),
    (
        "GET",
        "/users/{user}/calendar.ics",
        None,
        [200, 404, 404, 404, 404, 404],
    ),
    (
        "POST",
        "/users/{user}/calendar-feed",
        None,
        [201, 404, 404, 404, 404, 404],
    ),
];

/// Routes with no team in them.
const ORG_ROUTES: &[Route] = &[
    ("GET", "/teams", None, [200, 200, 200, 200, 200, 200]),
    ("GET", "/services", None, [200, 200, 200, 200, 200, 200]),
    ("GET", "/incidents", None, [200, 200, 200, 200, 200, 200]),
    ("GET", "/users", None, [200, 200, 200, 200, 200, 200]),
    ("GET", "/tokens", None, [200, 200, 200, 200, 200, 200]),
    ("GET", "/audit", None, [200, 200, 403, 403, 403, 403]),
    (
        "GET",
        "/session/sessions",
        None,
        [200, 200, 200, 200, 200, 200],
    ),
    (
        "DELETE",
        "/session/sessions/{foreign_session}",
        None,
        [404, 404, 404, 404, 404, 404],
    ),
    (
        "POST",
        "/users/{me}/password",
        Some(r#"{"current_password": "not the password", "new_password": "long enough pw"}"#),
        [403, 403, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/teams",
        Some(r#"{"name": "team {n}"}"#),
        [201, 403, 403, 403, 403, 403],
    ),
    (
        "POST",
        "/users",
        Some(r#"{"username": "u{n}", "email": "u{n}@example.com", "password": "long enough pw"}"#),
        [201, 403, 403, 403, 403, 403],
    ),
    (
        "GET",
        "/escalation-policies",
        None,
        [200, 200, 200, 200, 200, 200],
    ),
    (
        "GET",
        "/users/{me}/contact-methods",
        None,
        [200, 200, 200, 200, 200, 200],
    ),
    (
        "POST",
        "/users/{me}/contact-methods",
        Some(r#"{"type": "email", "name": "mine {n}", "address": "me@example.com"}"#),
        [201, 201, 201, 201, 201, 201],
    ),
    ("GET", "/schedules", None, [200, 200, 200, 200, 200, 200]),
    (
        "POST",
        "/users/{me}/calendar-feed",
        None,
        [201, 201, 201, 201, 201, 201],
    ),
    (
        "GET",
        "/users/{me}/calendar.ics",
        None,
        [200, 200, 200, 200, 200, 200],
    ),
    (
        "DELETE",
        "/users/{me}/calendar-feed",
        None,
        [204, 204, 204, 204, 204, 204],
    ),
    (
        "GET",
        "/users/{me}/notification-rules",
        None,
        [200, 200, 200, 200, 200, 200],
    ),
    // The Kapacitor doctor reads only the script: anyone signed in.
    (
        "POST",
        "/kapacitor/check",
        Some(r#"{"script": "stream|from()|alert().noRecoveries()"}"#),
        [200, 200, 200, 200, 200, 200],
    ),
];

/// Who sees a service's webhook key: only callers who may change the service. Each caller's
/// token; the narrowed ones are a user's token capped at a lower role, or a team token.
const KEY_SEERS: &[(&str, bool)] = &[
    ("org_admin", true),
    ("owner", true),
    ("admin", true),
    ("responder", false),
    ("observer", false),
    ("no_membership", false),
    ("owner_token_as_responder", false),
    ("admin_token_as_observer", false),
    ("team_token_admin", true),
    ("team_token_responder", false),
];

/// Everything that shows team A's service (`{svc}`) or its alert sources, pages and API, and
/// whether it carries the key for the callers who may see it (never for the others).
const SHOWS_SERVICE: &[(&str, bool)] = &[
    ("/api/v1/services/{svc}/alert-sources", true),
    ("/api/v1/services/{svc}/alert-sources?q=kap", true),
    ("/services/{svc}", true),
    ("/api/v1/services/{svc}", false),
    ("/api/v1/services", false),
    ("/api/v1/teams/{team}", false),
    ("/services", false),
    ("/", false),
];

struct TeamFixture {
    team: String,
    svc: String,
    user: String,
    spare: String,
}

struct World {
    _tmp: tempfile::TempDir,
    server: Server,
    a: TeamFixture,
    b: TeamFixture,
    tokens: HashMap<&'static str, String>,
    /// Each caller's user id.
    ids: HashMap<&'static str, String>,
    foreign_session: String,
    n: u32,
}

impl World {
    async fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.server.admin(method, path, body).await
    }

    async fn new_user(&self, name: &str) -> String {
        self.server.new_user(name, PASSWORD, false).await
    }

    async fn add(&self, team: &str, user: &str, role: &str) {
        self.server.add_member(team, user, role).await;
    }

    async fn fresh_incident(&mut self, svc: &str) -> String {
        self.n += 1;
        let url = self.server.kapacitor_url(svc).await;
        let (s, b) = self
            .server
            .send(&url, alert(&format!("matrix:{}", self.n), "CRITICAL"))
            .await;
        assert_eq!(s, 202, "{b}");
        b["incident_id"].as_str().expect("incident").to_owned()
    }

    /// Fill a template's placeholders for one team, creating what it needs.
    async fn fill(&mut self, template: &str, on_b: bool) -> String {
        let f = if on_b { &self.b } else { &self.a };
        let (team, svc, user, spare) = (
            f.team.clone(),
            f.svc.clone(),
            f.user.clone(),
            f.spare.clone(),
        );
        let mut out = template
            .replace("{team}", &team)
            .replace("{svc}", &svc)
            .replace("{user}", &user)
            .replace("{spare}", &spare);
        if template.contains("{spare}") {
            self.add(&team, &spare, "observer").await;
        }
        if out.contains("{inc}") {
            let inc = self.fresh_incident(&svc).await;
            out = out.replace("{inc}", &inc);
        }
        if out.contains("{hb}") {
            self.n += 1;
            let h = self
                .admin(
                    "POST",
                    &format!("/services/{svc}/heartbeats"),
                    Some(
                        json!({"name": format!("heartbeat {}", self.n), "interval_seconds": 3600}),
                    ),
                )
                .await;
            out = out.replace("{hb}", h["id"].as_str().expect("heartbeat id"));
        }
        if out.contains("{chn}") {
            self.n += 1;
            let c = self
                .admin(
                    "POST",
                    &format!("/teams/{team}/channels"),
                    Some(json!({"type": "email", "name": format!("channel {}", self.n), "address": "ops@example.com"})),
                )
                .await;
            out = out.replace("{chn}", c["id"].as_str().expect("channel id"));
        }
        if out.contains("{pol}") {
            self.n += 1;
            let p = self
                .admin(
                    "POST",
                    "/escalation-policies",
                    Some(json!({"team_id": team, "name": format!("policy {}", self.n), "repeat": 0,
                        "steps": [{"delay_minutes": 0, "targets": [{"type": "user", "id": user}]}]})),
                )
                .await;
            out = out.replace("{pol}", p["id"].as_str().expect("policy id"));
        }
        for (mark, feed) in [("{sch}", false), ("{schf}", true)] {
            if !out.contains(mark) {
                continue;
            }
            self.n += 1;
            let sch = self
                .admin(
                    "POST",
                    "/schedules",
                    Some(json!({"team_id": team, "name": format!("schedule {}", self.n),
                        "time_zone": "UTC", "layers": [{"name": "l", "participants": [user],
                        "rotation": {"unit": "day", "length": 1}, "start": "2026-01-01T00:00:00"}]})),
                )
                .await;
            let sch = sch["id"].as_str().expect("schedule id").to_owned();
            if feed {
                self.admin("POST", &format!("/schedules/{sch}/calendar-feed"), None)
                    .await;
            }
            if out.contains("{ovr}") {
                let o = self
                    .admin(
                        "POST",
                        &format!("/schedules/{sch}/overrides"),
                        Some(json!({"user_id": user, "start": "2027-01-01T00:00:00Z",
                            "end": "2027-01-02T00:00:00Z"})),
                    )
                    .await;
                out = out.replace("{ovr}", o["id"].as_str().expect("override id"));
            }
            out = out.replace(mark, &sch);
        }
        if out.contains("{mw}") {
            let w = self
                .admin(
                    "POST",
                    &format!("/services/{svc}/maintenance-windows"),
                    Some(json!({"start": "2027-01-01T00:00:00Z", "end": null})),
                )
                .await;
            out = out.replace("{mw}", w["id"].as_str().expect("window id"));
        }
        if out.contains("{tok}") {
            self.n += 1;
            let t = self
                .admin(
                    "POST",
                    "/tokens",
                    Some(json!({"name": format!("team token {}", self.n), "team_id": team, "role": "responder"})),
                )
                .await;
            out = out.replace("{tok}", t["id"].as_str().expect("token id"));
        }
        self.n += 1;
        out.replace("{n}", &self.n.to_string())
    }
}

async fn world() -> World {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let blank = || TeamFixture {
        team: String::new(),
        svc: String::new(),
        user: String::new(),
        spare: String::new(),
    };
    let mut w = World {
        _tmp: tmp,
        server,
        a: blank(),
        b: blank(),
        tokens: HashMap::new(),
        ids: HashMap::new(),
        foreign_session: String::new(),
        n: 0,
    };
    for (on_a, name) in [(true, "Team A"), (false, "Team B")] {
        let team = w.admin("POST", "/teams", Some(json!({"name": name}))).await;
        let team = team["id"].as_str().expect("team").to_owned();
        let svc = w
            .admin(
                "POST",
                "/services",
                Some(json!({"name": "web", "team_id": team})),
            )
            .await;
        let fx = TeamFixture {
            svc: svc["id"].as_str().expect("svc").to_owned(),
            user: w.new_user(&format!("member-{}", &team[20..])).await,
            spare: w.new_user(&format!("spare-{}", &team[20..])).await,
            team,
        };
        w.add(&fx.team, &fx.user, "observer").await;
        if on_a {
            w.a = fx;
        } else {
            w.b = fx;
        }
    }
    let root = w
        .admin(
            "POST",
            "/users",
            Some(json!({"username": "root", "email": "root@example.com", "password": PASSWORD, "org_admin": true})),
        )
        .await;
    w.ids
        .insert(CALLERS[0], root["id"].as_str().expect("root").to_owned());
    let team_a = w.a.team.clone();
    for (caller, role) in
        CALLERS[1..]
            .iter()
            .zip(["owner", "admin", "responder", "observer", "no_membership"])
    {
        let id = w.new_user(&format!("as-{role}")).await;
        if role != "no_membership" {
            w.add(&team_a, &id, role).await;
        }
        w.ids.insert(caller, id);
    }
    // A session of team A's plain member, whom none of the callers is.
    let member = w.server.get(&format!("/api/v1/users/{}", w.a.user)).await.1;
    let theirs = w
        .server
        .session(member["username"].as_str().expect("name"), PASSWORD)
        .await;
    let (_, list) = w
        .server
        .call_as(&theirs, "GET", "/api/v1/session/sessions", None)
        .await;
    w.foreign_session = list[0]["id"].as_str().expect("session id").to_owned();
    for (caller, user) in CALLERS.iter().zip([
        "root",
        "as-owner",
        "as-admin",
        "as-responder",
        "as-observer",
        "as-no_membership",
    ]) {
        let t = w.server.user_token(user, PASSWORD).await;
        w.tokens.insert(caller, t);
    }
    w
}

#[tokio::test]
async fn role_by_route_matrix() {
    let mut w = world().await;
    let mut failures = Vec::new();
    let mut cells = 0;
    // (route, on team B?)
    let mut rows: Vec<(Route, bool)> = Vec::new();
    for &(m, p, b, a) in TEAM_ROUTES {
        rows.push(((m, p, b, a), false));
        let mut on_b = [404; 6];
        on_b[0] = a[0];
        rows.push(((m, p, b, on_b), true));
    }
    rows.extend(ORG_ROUTES.iter().map(|r| (*r, false)));
    for ((method, path, body, expected), on_b) in rows {
        for (i, caller) in CALLERS.iter().enumerate() {
            let path = path
                .replace("{me}", &w.ids[caller])
                .replace("{foreign_session}", &w.foreign_session.clone());
            let path_now = w.fill(&path, on_b).await;
            let body_now = match body {
                Some(b) => {
                    let filled = w.fill(b, on_b).await;
                    Some(serde_json::from_str::<Value>(&filled).expect("body template"))
                }
                None => None,
            };
            let token = w.tokens[caller].clone();
            let (status, v) = w
                .server
                .call(
                    Some(&token),
                    method,
                    &format!("/api/v1{path_now}"),
                    body_now,
                )
                .await;
            cells += 1;
            if status != expected[i] {
                failures.push(format!(
                    "{caller:>13} {method} {path} on team {}: expected {}, got {status} {v}",
                    if on_b { "B" } else { "A" },
                    expected[i]
                ));
            }
            if status == 404 && expected[i] == 404 {
                assert_eq!(v["code"], "not_found", "{method} {path}: {v}");
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cells} cells differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        cells,
        (TEAM_ROUTES.len() * 2 + ORG_ROUTES.len()) * CALLERS.len()
    );
}

#[tokio::test]
async fn only_those_who_may_change_a_service_see_its_webhook_key() {
    let mut w = world().await;
    let (svc, team) = (w.a.svc.clone(), w.a.team.clone());
    let url = w.server.kapacitor_url(&svc).await;
    let key = url.rsplit('/').next().expect("key").to_owned();
    assert!(key.len() >= 20, "{url}");
    for (user, name, role) in [
        ("as-owner", "owner_token_as_responder", "responder"),
        ("as-admin", "admin_token_as_observer", "observer"),
    ] {
        let t = w
            .server
            .user_token_with(user, PASSWORD, json!({"role": role}))
            .await;
        w.tokens.insert(name, t);
    }
    for (name, role) in [
        ("team_token_admin", "admin"),
        ("team_token_responder", "responder"),
    ] {
        let t = w
            .admin(
                "POST",
                "/tokens",
                Some(json!({"name": name, "team_id": team, "role": role})),
            )
            .await;
        w.tokens
            .insert(name, t["token"].as_str().expect("token").to_owned());
    }
    let mut failures = Vec::new();
    for &(caller, sees) in KEY_SEERS {
        let token = w.tokens[caller].clone();
        for &(path, carries) in SHOWS_SERVICE {
            let path = path.replace("{svc}", &svc).replace("{team}", &team);
            let r = w
                .server
                .http
                .get(w.server.url(&path))
                .bearer_auth(&token)
                .send()
                .await
                .expect("GET");
            let status = r.status().as_u16();
            let body = r.text().await.expect("body");
            let theirs = path.contains(&team) || path.contains(&svc);
            let expected = if caller == "no_membership" && theirs {
                404
            } else {
                200
            };
            if status != expected {
                failures.push(format!(
                    "{caller:>24} GET {path}: expected {expected}, got {status}"
                ));
            }
            let shown = sees && carries;
            if body.contains(&key) != shown && status == 200 {
                failures.push(format!(
                    "{caller:>24} GET {path}: {} the key",
                    if shown { "does not see" } else { "sees" }
                ));
            }
        }
        // Those without the key still learn that the source exists and whether it is active.
        if caller != "no_membership" {
            let (s, sources) = w
                .server
                .call(
                    Some(&token),
                    "GET",
                    &format!("/api/v1/services/{svc}/alert-sources"),
                    None,
                )
                .await;
            assert_eq!(s, 200, "{caller}: {sources}");
            let k = sources
                .as_array()
                .and_then(|a| a.iter().find(|x| x["source"] == "kapacitor"))
                .cloned()
                .unwrap_or_default();
            assert!(k["active"].is_boolean(), "{caller}: {k}");
            assert_eq!(k["webhook_url"].is_string(), sees, "{caller}: {k}");
            assert_eq!(k["webhook_url"].is_null(), !sees, "{caller}: {k}");
            let page = w
                .server
                .http
                .get(w.server.url(&format!("/services/{svc}")))
                .bearer_auth(&token)
                .send()
                .await
                .expect("page")
                .text()
                .await
                .expect("html");
            assert_eq!(
                page.contains("Only team owners and admins can see the webhook URL"),
                !sees,
                "{caller}: the page says who can see the URL"
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} cells differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Lists never show another team's rows, for every caller without org rights.
#[tokio::test]
async fn lists_hold_only_the_callers_teams() {
    let mut w = world().await;
    let inc_b = w.fresh_incident(&w.b.svc.clone()).await;
    let inc_a = w.fresh_incident(&w.a.svc.clone()).await;
    let pol_b = w.fill("{pol}", true).await;
    let pol_a = w.fill("{pol}", false).await;
    for caller in &CALLERS[1..] {
        let token = w.tokens[caller].clone();
        let get = |p: &'static str| {
            let (server, token) = (&w.server, token.clone());
            async move {
                let (s, v) = server.call(Some(&token), "GET", p, None).await;
                assert_eq!(s, 200, "{caller} {p}: {v}");
                v.to_string()
            }
        };
        let everything = [
            get("/api/v1/teams").await,
            get("/api/v1/services").await,
            get("/api/v1/incidents").await,
            get("/api/v1/users").await,
            get("/api/v1/tokens").await,
            get("/api/v1/escalation-policies").await,
        ]
        .join(" ");
        for secret in [&w.b.team, &w.b.svc, &inc_b, &w.b.user, &pol_b] {
            assert!(
                !everything.contains(secret.as_str()),
                "{caller} sees {secret}"
            );
        }
        for (mine, what) in [(&inc_a, "incident"), (&pol_a, "policy")] {
            assert_eq!(
                everything.contains(mine.as_str()),
                *caller != "no_membership",
                "{caller} and team A's {what}"
            );
        }
    }
    let (_, v) = w
        .server
        .call(
            Some(&w.tokens["org_admin"]),
            "GET",
            "/api/v1/incidents",
            None,
        )
        .await;
    assert!(v.to_string().contains(&inc_b));
}
