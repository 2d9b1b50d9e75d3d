//! PostgreSQL, for running several Tocsin nodes against one database.
//!
//! Every node is stateless apart from a short key cache; the database carries the rules that
//! must hold across nodes: the partial unique index for "one open incident per key", a row
//! update for per-team incident numbers, and COMMIT before any 2xx. Alerts are written by the
//! group-commit [`writer`], one transaction per batch of concurrent alerts. Connections come from a
//! pool with short connect and wait timeouts and a server-side statement timeout, so when the
//! database is down calls fail fast with [`StoreError::Unavailable`] (503) instead of hanging,
//! and the pool reconnects by itself once it is back.

use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tocsin_core::model::{
    AlertSourceActivity, ApiToken, EventKind, Incident, IncidentQuery, IncidentSummary,
    IngestOutcome, Scope, Service, Team, TimelineEvent,
};
use tocsin_core::{
    decide_human, AlertEvent, EventId, EventPage, EventPageQuery, HumanAction, HumanDecision,
    IncidentId, ServiceId, TeamId, TokenId,
};
use tokio_postgres::types::ToSql;
use tokio_postgres::{GenericClient, NoTls};

use crate::{Bootstrap, NewToken, Store, StoreError, StoredToken};

mod audit;
mod batch;
mod bind;
mod error;
mod ingest;
mod keys;
mod lifecycle;
mod members;
mod migrate;
mod plan;
mod rows;
mod sessions;
mod timeline;
mod tokens;
mod users;
mod writer;

use rows::{EVENT_COLS, INCIDENT_COLS, SERVICE_COLS, TEAM_COLS, TOKEN_COLS};
use writer::Writer;

/// Connections per node. PostgreSQL's default `max_connections` is 100, so this leaves room
/// for several nodes and an operator's psql.
pub const POOL_SIZE: usize = 16;
/// How long to wait for the server to accept a new connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a request may wait for a free pooled connection.
const WAIT_TIMEOUT: Duration = Duration::from_secs(5);
/// The server cancels any one statement that runs longer (milliseconds).
const STATEMENT_TIMEOUT_MS: u32 = 10_000;
/// The client gives up on a whole store call after this, even if the server never answers
/// (a network partition does not close the socket).
const CALL_TIMEOUT: Duration = Duration::from_secs(15);

type Params = Vec<Box<dyn ToSql + Sync + Send>>;

pub struct PgStore {
    pool: Pool,
    writer: Writer,
}

impl PgStore {
    /// Connect to `url` (`postgres://user:pass@host:port/db`), apply migrations, and build the
    /// pool. TLS is not supported yet: use a loopback or private network, or a local proxy.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError::Other(format!("invalid PostgreSQL URL: {e}")))?;
        config.connect_timeout(CONNECT_TIMEOUT);
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(30));
        config.application_name("tocsin");
        let options = format!(
            "{} -c statement_timeout={STATEMENT_TIMEOUT_MS}",
            config.get_options().unwrap_or_default()
        );
        config.options(options.trim());

        let (mut client, conn) = config.connect(NoTls).await?;
        let conn = tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "migration connection closed");
            }
        });
        let migrated = migrate::migrate(&mut client).await;
        drop(client);
        conn.abort();
        migrated?;

        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                // A connection whose socket closed is dropped on checkout; a restarted server
                // therefore costs at most one failed call per stale pooled connection.
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .wait_timeout(Some(WAIT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let writer = Writer::spawn(pool.clone());
        Ok(Self { pool, writer })
    }

    async fn client(&self) -> Result<deadpool_postgres::Client, StoreError> {
        Ok(self.pool.get().await?)
    }
}

/// Bound a whole store call, so no request waits on a silent database for longer.
async fn bounded<T>(f: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
    tokio::time::timeout(CALL_TIMEOUT, f)
        .await
        .unwrap_or_else(|_| {
            Err(StoreError::Unavailable(
                "the database did not answer".into(),
            ))
        })
}

/// The plain client under a pooled one, for helpers that also take transactions.
fn pg(c: &deadpool_postgres::Client) -> &tokio_postgres::Client {
    c
}

fn refs(p: &Params) -> Vec<&(dyn ToSql + Sync)> {
    p.iter()
        .map(|b| b.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

/// `AND column = ANY($n)` for a scope, with its parameter appended to `args`.
fn scope_sql(scope: &Scope, column: &str, args: &mut Params) -> String {
    match scope {
        Scope::All => String::new(),
        Scope::Teams(teams) => {
            args.push(Box::new(
                teams.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
            ));
            format!(" AND {column} = ANY(${})", args.len())
        }
    }
}

async fn get_incident_in(
    c: &impl GenericClient,
    scope: &Scope,
    id: IncidentId,
    lock: bool,
) -> Result<Incident, StoreError> {
    let mut args: Params = vec![Box::new(id.to_string())];
    let sql = format!(
        "SELECT {INCIDENT_COLS} FROM incidents WHERE id = $1{}{}",
        scope_sql(scope, "team_id", &mut args),
        if lock { " FOR UPDATE" } else { "" }
    );
    c.query_opt(sql.as_str(), &refs(&args))
        .await?
        .as_ref()
        .map(rows::incident)
        .transpose()?
        .ok_or(StoreError::NotFound("incident"))
}

async fn insert_human_event(
    c: &impl GenericClient,
    inc: &Incident,
    kind: EventKind,
    actor: &str,
    text: Option<&str>,
) -> Result<TimelineEvent, StoreError> {
    let ev = TimelineEvent {
        id: EventId::new(),
        incident_id: Some(inc.id),
        service_id: inc.service_id,
        kind,
        source: None,
        level: None,
        actor: Some(actor.to_owned()),
        text: text.map(str::to_owned),
        received_at: Utc::now(),
        occurred_at: None,
        payload: None,
        payload_size: None,
        payload_url: None,
    };
    c.execute(
        "INSERT INTO incident_events (id, incident_id, service_id, kind, actor, text, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &ev.id.to_string(),
            &inc.id.to_string(),
            &inc.service_id.to_string(),
            &kind.as_str(),
            &actor,
            &text,
            &ev.received_at,
        ],
    )
    .await?;
    Ok(ev)
}

/// A unique violation, reworded for the caller; anything else unchanged.
fn conflict_as(e: tokio_postgres::Error, detail: impl FnOnce() -> String) -> StoreError {
    match StoreError::from(e) {
        StoreError::Conflict(_) => StoreError::Conflict(detail()),
        other => other,
    }
}

async fn insert_team(c: &impl GenericClient, name: &str) -> Result<Team, StoreError> {
    let team = Team {
        id: TeamId::new(),
        name: name.to_owned(),
        created_at: Utc::now(),
    };
    c.execute(
        "INSERT INTO teams (id, name, created_at) VALUES ($1, $2, $3)",
        &[&team.id.to_string(), &team.name, &team.created_at],
    )
    .await
    .map_err(|e| conflict_as(e, || format!("a team named {name:?} already exists")))?;
    Ok(team)
}

async fn insert_service(
    c: &impl GenericClient,
    team: TeamId,
    name: &str,
    key: &str,
) -> Result<Service, StoreError> {
    if c.query_opt("SELECT 1 FROM teams WHERE id = $1", &[&team.to_string()])
        .await?
        .is_none()
    {
        return Err(StoreError::NotFound("team"));
    }
    let svc = Service {
        id: ServiceId::new(),
        team_id: team,
        name: name.to_owned(),
        api_key: key.to_owned(),
        created_at: Utc::now(),
    };
    c.execute(
        "INSERT INTO services (id, team_id, name, api_key, api_key_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &svc.id.to_string(),
            &team.to_string(),
            &name,
            &key,
            &tocsin_core::secret::hash(key).as_slice(),
            &svc.created_at,
        ],
    )
    .await
    .map_err(|e| {
        conflict_as(e, || {
            format!("the team already has a service named {name:?}")
        })
    })?;
    Ok(svc)
}

async fn insert_token(c: &impl GenericClient, t: &NewToken) -> Result<ApiToken, StoreError> {
    let tok = ApiToken {
        id: TokenId::new(),
        name: t.name.clone(),
        role: t.role,
        user_id: t.user_id,
        team_id: t.team_id,
        created_at: Utc::now(),
        expires_at: t.expires_at,
        revoked_at: None,
        last_used_at: None,
    };
    c.execute(
        "INSERT INTO api_tokens (id, name, token_hash, role, team_id, created_at, expires_at, user_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &tok.id.to_string(),
            &tok.name,
            &t.hash.as_slice(),
            &tok.role.as_str(),
            &tok.team_id.map(|t| t.to_string()),
            &tok.created_at,
            &tok.expires_at,
            &tok.user_id.map(|u| u.to_string()),
        ],
    )
    .await?;
    Ok(tok)
}

impl PgStore {
    /// Acknowledge or resolve, by the rules of [`decide_human`], with the row locked.
    async fn human(
        &self,
        scope: &Scope,
        id: IncidentId,
        actor: &str,
        action: HumanAction,
    ) -> Result<Incident, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let inc = get_incident_in(&*tx, scope, id, true).await?;
        match decide_human(inc.status, action) {
            HumanDecision::Refused(why) => return Err(StoreError::Conflict(why.into())),
            HumanDecision::Unchanged => return Ok(inc),
            HumanDecision::Apply => {}
        }
        let (sql, kind) = match action {
            HumanAction::Acknowledge => (
                "UPDATE incidents SET status = 'acknowledged', acknowledged_at = $2,
                   acknowledged_by = $3, updated_at = $2 WHERE id = $1",
                EventKind::Acknowledged,
            ),
            HumanAction::Resolve => (
                "UPDATE incidents SET status = 'resolved', resolved_at = $2, resolved_by = $3,
                   updated_at = $2 WHERE id = $1",
                EventKind::Resolved,
            ),
        };
        tx.execute(sql, &[&id.to_string(), &Utc::now(), &actor])
            .await?;
        insert_human_event(&*tx, &inc, kind, actor, None).await?;
        let inc = get_incident_in(&*tx, &Scope::All, id, false).await?;
        tx.commit().await?;
        Ok(inc)
    }
}

#[async_trait]
impl Store for PgStore {
    fn queue_depth(&self) -> Option<usize> {
        Some(self.writer.queue_depth())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        bounded(async {
            self.client().await?.simple_query("SELECT 1").await?;
            Ok(())
        })
        .await
    }

    async fn bootstrap(&self, b: Bootstrap) -> Result<bool, StoreError> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            // Two nodes starting on an empty database must not both bootstrap: the first to
            // take this lock creates, the second then sees its team.
            tx.execute("LOCK TABLE teams IN EXCLUSIVE MODE", &[])
                .await?;
            let teams: i64 = tx
                .query_one("SELECT COUNT(*) FROM teams", &[])
                .await?
                .try_get(0)?;
            if teams > 0 {
                return Ok(false);
            }
            let team = insert_team(&*tx, &b.team_name).await?;
            insert_service(&*tx, team.id, &b.service_name, &b.service_api_key).await?;
            insert_token(
                &*tx,
                &NewToken {
                    name: b.admin_token_name.clone(),
                    role: tocsin_core::TokenRole::OrgAdmin,
                    user_id: None,
                    team_id: None,
                    hash: b.admin_token_hash,
                    expires_at: None,
                },
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    async fn create_team(&self, name: &str) -> Result<Team, StoreError> {
        bounded(async { insert_team(pg(&self.client().await?), name).await }).await
    }

    async fn list_teams(&self, scope: &Scope) -> Result<Vec<Team>, StoreError> {
        bounded(async {
            let mut args = Params::new();
            let sql = format!(
                "SELECT {TEAM_COLS} FROM teams WHERE true{} ORDER BY name",
                scope_sql(scope, "id", &mut args)
            );
            let rows = self.client().await?.query(&sql, &refs(&args)).await?;
            rows::all(&rows, rows::team)
        })
        .await
    }

    async fn get_team(&self, scope: &Scope, id: TeamId) -> Result<Team, StoreError> {
        bounded(async {
            let mut args: Params = vec![Box::new(id.to_string())];
            let sql = format!(
                "SELECT {TEAM_COLS} FROM teams WHERE id = $1{}",
                scope_sql(scope, "id", &mut args)
            );
            self.client()
                .await?
                .query_opt(&sql, &refs(&args))
                .await?
                .as_ref()
                .map(rows::team)
                .transpose()?
                .ok_or(StoreError::NotFound("team"))
        })
        .await
    }

    async fn create_service(
        &self,
        team: TeamId,
        name: &str,
        api_key: &str,
    ) -> Result<Service, StoreError> {
        bounded(async { insert_service(pg(&self.client().await?), team, name, api_key).await })
            .await
    }

    async fn list_services(
        &self,
        scope: &Scope,
        team: Option<TeamId>,
    ) -> Result<Vec<Service>, StoreError> {
        bounded(async {
            let mut args = Params::new();
            let mut sql = format!(
                "SELECT {SERVICE_COLS} FROM services WHERE true{}",
                scope_sql(scope, "team_id", &mut args)
            );
            if let Some(t) = team {
                args.push(Box::new(t.to_string()));
                sql.push_str(&format!(" AND team_id = ${}", args.len()));
            }
            sql.push_str(" ORDER BY name");
            let rows = self.client().await?.query(&sql, &refs(&args)).await?;
            rows::all(&rows, rows::service)
        })
        .await
    }

    async fn get_service(&self, scope: &Scope, id: ServiceId) -> Result<Service, StoreError> {
        bounded(async {
            let mut args: Params = vec![Box::new(id.to_string())];
            let sql = format!(
                "SELECT {SERVICE_COLS} FROM services WHERE id = $1{}",
                scope_sql(scope, "team_id", &mut args)
            );
            self.client()
                .await?
                .query_opt(&sql, &refs(&args))
                .await?
                .as_ref()
                .map(rows::service)
                .transpose()?
                .ok_or(StoreError::NotFound("service"))
        })
        .await
    }

    async fn service_by_key_hash(&self, hash: [u8; 32]) -> Result<Option<Service>, StoreError> {
        bounded(async {
            let c = self.client().await?;
            let stmt = c
                .prepare_cached(&format!(
                    "SELECT {SERVICE_COLS} FROM services WHERE api_key_hash = $1"
                ))
                .await?;
            c.query_opt(&stmt, &[&hash.as_slice()])
                .await?
                .as_ref()
                .map(rows::service)
                .transpose()
        })
        .await
    }

    async fn alert_source_activity(
        &self,
        service: ServiceId,
    ) -> Result<Vec<AlertSourceActivity>, StoreError> {
        bounded(async {
            let rows = self
                .client()
                .await?
                .query(
                    "SELECT source, last_incident_at, last_event_at, last_test_at
                     FROM alert_sources WHERE service_id = $1",
                    &[&service.to_string()],
                )
                .await?;
            rows::all(&rows, rows::activity)
        })
        .await
    }

    async fn ingest(
        &self,
        service: &Service,
        event: AlertEvent,
    ) -> Result<IngestOutcome, StoreError> {
        bounded(self.writer.ingest(service.clone(), event)).await
    }

    async fn list_incidents(
        &self,
        scope: &Scope,
        q: &IncidentQuery,
    ) -> Result<Vec<Incident>, StoreError> {
        // PostgreSQL text cannot hold NUL, so no stored key or title matches one that has it
        // (sending it would be an error, not "nothing found").
        let has_nul = |s: &Option<String>| s.as_deref().is_some_and(|s| s.contains('\0'));
        if has_nul(&q.text) || has_nul(&q.dedup_key) {
            return Ok(Vec::new());
        }
        bounded(async {
            let mut args = Params::new();
            let mut sql = format!(
                "SELECT {INCIDENT_COLS} FROM incidents WHERE true{}",
                scope_sql(scope, "team_id", &mut args)
            );
            if let Some(s) = q.service_id {
                args.push(Box::new(s.to_string()));
                sql.push_str(&format!(" AND service_id = ${}", args.len()));
            }
            if let Some(t) = q.team_id {
                args.push(Box::new(t.to_string()));
                sql.push_str(&format!(" AND team_id = ${}", args.len()));
            }
            if !q.statuses.is_empty() {
                let statuses: Vec<String> =
                    q.statuses.iter().map(|s| s.as_str().to_owned()).collect();
                args.push(Box::new(statuses));
                sql.push_str(&format!(" AND status = ANY(${})", args.len()));
            }
            if let Some(k) = &q.dedup_key {
                args.push(Box::new(k.clone()));
                sql.push_str(&format!(" AND dedup_key = ${}", args.len()));
            }
            if let Some(t) = &q.text {
                args.push(Box::new(t.clone()));
                let n = args.len();
                sql.push_str(&format!(
                    " AND (strpos(lower(title), lower(${n})) > 0 OR strpos(lower(dedup_key), lower(${n})) > 0)"
                ));
            }
            if let Some(b) = q.before {
                args.push(Box::new(b.to_string()));
                sql.push_str(&format!(" AND id < ${}", args.len()));
            }
            args.push(Box::new(i64::from(q.limit.max(1))));
            sql.push_str(&format!(" ORDER BY id DESC LIMIT ${}", args.len()));
            let rows = self.client().await?.query(&sql, &refs(&args)).await?;
            rows::all(&rows, rows::incident)
        })
        .await
    }

    async fn get_incident(&self, scope: &Scope, id: IncidentId) -> Result<Incident, StoreError> {
        bounded(async { get_incident_in(pg(&self.client().await?), scope, id, false).await }).await
    }

    async fn incident_summary(
        &self,
        scope: &Scope,
        team: Option<TeamId>,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<IncidentSummary, StoreError> {
        bounded(async {
            let filter = |args: &mut Params| {
                let mut f = scope_sql(scope, "team_id", args);
                if let Some(t) = team {
                    args.push(Box::new(t.to_string()));
                    f.push_str(&format!(" AND team_id = ${}", args.len()));
                }
                f
            };
            let c = self.client().await?;
            let mut args = Params::new();
            let f = filter(&mut args);
            args.push(Box::new(since));
            let sql = format!(
                "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, COUNT(*)
                 FROM incidents WHERE true{f} AND created_at >= ${} GROUP BY day ORDER BY day",
                args.len()
            );
            let opened_per_day = c
                .query(&sql, &refs(&args))
                .await?
                .iter()
                .map(|r| Ok((r.try_get::<_, String>(0)?, r.try_get::<_, i64>(1)?)))
                .collect::<Result<Vec<_>, tokio_postgres::Error>>()?;
            let mut args = Params::new();
            let f = filter(&mut args);
            let sql = format!(
                "SELECT service_id, COUNT(*) FROM incidents
                 WHERE true{f} AND status IN ('triggered', 'acknowledged') GROUP BY service_id"
            );
            let open_by_service = c
                .query(&sql, &refs(&args))
                .await?
                .iter()
                .filter_map(|r| {
                    let id: String = r.try_get(0).ok()?;
                    let n: i64 = r.try_get(1).ok()?;
                    id.parse().ok().map(|id| (id, n))
                })
                .collect();
            Ok(IncidentSummary {
                opened_per_day,
                open_by_service,
            })
        })
        .await
    }

    async fn timeline_page(
        &self,
        scope: &Scope,
        id: IncidentId,
        q: &EventPageQuery,
    ) -> Result<EventPage, StoreError> {
        bounded(async { timeline::page(pg(&self.client().await?), scope, id, q).await }).await
    }

    async fn event_payload(
        &self,
        scope: &Scope,
        incident: IncidentId,
        event: EventId,
    ) -> Result<String, StoreError> {
        bounded(async {
            timeline::payload(pg(&self.client().await?), scope, incident, event).await
        })
        .await
    }

    async fn acknowledge(
        &self,
        scope: &Scope,
        id: IncidentId,
        actor: &str,
    ) -> Result<Incident, StoreError> {
        bounded(self.human(scope, id, actor, HumanAction::Acknowledge)).await
    }

    async fn resolve(
        &self,
        scope: &Scope,
        id: IncidentId,
        actor: &str,
    ) -> Result<Incident, StoreError> {
        bounded(self.human(scope, id, actor, HumanAction::Resolve)).await
    }

    async fn add_note(
        &self,
        scope: &Scope,
        id: IncidentId,
        actor: &str,
        text: &str,
    ) -> Result<TimelineEvent, StoreError> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            let inc = get_incident_in(&*tx, scope, id, false).await?;
            let ev = insert_human_event(&*tx, &inc, EventKind::Note, actor, Some(text)).await?;
            tx.commit().await?;
            Ok(ev)
        })
        .await
    }

    async fn service_events(
        &self,
        scope: &Scope,
        service: ServiceId,
        limit: u32,
    ) -> Result<Vec<TimelineEvent>, StoreError> {
        bounded(async {
            let c = self.client().await?;
            let mut args: Params = vec![Box::new(service.to_string())];
            let visible = format!(
                "SELECT 1 FROM services WHERE id = $1{}",
                scope_sql(scope, "team_id", &mut args)
            );
            if c.query_opt(&visible, &refs(&args)).await?.is_none() {
                return Err(StoreError::NotFound("service"));
            }
            let rows = c
                .query(
                    &format!(
                        "SELECT {EVENT_COLS} FROM incident_events
                         WHERE service_id = $1 AND incident_id IS NULL ORDER BY id DESC LIMIT $2"
                    ),
                    &[&service.to_string(), &i64::from(limit)],
                )
                .await?;
            rows::all(&rows, rows::event)
        })
        .await
    }

    async fn create_token(&self, t: NewToken) -> Result<ApiToken, StoreError> {
        bounded(async { insert_token(pg(&self.client().await?), &t).await }).await
    }

    async fn token_by_hash(&self, hash: [u8; 32]) -> Result<Option<StoredToken>, StoreError> {
        bounded(async {
            let c = self.client().await?;
            let stmt = c
                .prepare_cached(&format!(
                    "SELECT {TOKEN_COLS} FROM api_tokens WHERE token_hash = $1"
                ))
                .await?;
            Ok(c.query_opt(&stmt, &[&hash.as_slice()])
                .await?
                .as_ref()
                .map(rows::token)
                .transpose()?
                .map(|(token, hash)| StoredToken { token, hash }))
        })
        .await
    }

    async fn touch_token(&self, id: TokenId) -> Result<(), StoreError> {
        bounded(async {
            self.client()
                .await?
                .execute(
                    "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1",
                    &[&id.to_string(), &Utc::now()],
                )
                .await?;
            Ok(())
        })
        .await
    }
}
