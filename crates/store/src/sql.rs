//! SQL text both backends run as it is: where the dialects agree, a statement is written
//! once. Parameters are `$n`, numbered in the order they first appear, which PostgreSQL reads
//! as positions and SQLite as names bound in order of appearance: the same positions.
//! (Statements whose shapes differ, such as the set-based PostgreSQL ingest over `unnest`ed
//! arrays or the scope filters, stay with their backend.)

use crate::cols::EVENT_LIST_COLS;

pub const INSERT_TEAM: &str = "INSERT INTO teams (id, name, created_at) VALUES ($1, $2, $3)";

pub const TEAM_EXISTS: &str = "SELECT 1 FROM teams WHERE id = $1";

pub const INSERT_SERVICE: &str =
    "INSERT INTO services (id, team_id, name, api_key, api_key_hash, created_at)
     VALUES ($1, $2, $3, $4, $5, $6)";

pub const ALERT_SOURCE_ACTIVITY: &str =
    "SELECT a.source, a.last_incident_at, a.last_event_at, a.last_test_at
     FROM alert_sources a JOIN services s ON s.id = a.service_id
     WHERE a.service_id = $1";

pub const INSERT_TOKEN: &str = "INSERT INTO api_tokens (id, name, token_hash, role, team_id,
       created_at, expires_at, user_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

pub const TOUCH_TOKEN: &str = "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2";

/// What [`tocsin_core::plan::HumanChange`] writes; a NULL stamp keeps the stored one.
pub const HUMAN_CHANGE: &str = "UPDATE incidents SET status = $1,
       acknowledged_at = COALESCE($2, acknowledged_at),
       acknowledged_by = COALESCE($3, acknowledged_by),
       resolved_at = COALESCE($4, resolved_at), resolved_by = COALESCE($5, resolved_by),
       updated_at = $6
     WHERE id = $7";

/// A person's timeline row: an acknowledge, a resolve or a note.
pub const INSERT_HUMAN_EVENT: &str = "INSERT INTO incident_events (id, incident_id, service_id,
       kind, actor, text, received_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// The per-day and per-service counts of the overview, after the backend's own filter.
pub const OPEN_BY_SERVICE: &str = "SELECT service_id, COUNT(*) FROM incidents
     WHERE status IN ('triggered', 'acknowledged')";

/// ` LIMIT n` written into a statement rather than bound. SQLite 3.50 folds a bound LIMIT
/// into the plan as a constant and marks the statement to be compiled again whenever that
/// parameter is bound anew, which rusqlite does at every call: the engine's and the
/// heartbeats' polling queries were re-prepared at every round (11% of the server's CPU while
/// paging 100 incidents a second). Their limits are the callers' constant batch sizes, so
/// each statement text is prepared once and cached.
pub fn limit(n: usize) -> String {
    format!(" LIMIT {n}")
}

/// One page of an incident's timeline, newest first by id, through the `(incident_id, id)`
/// index: `$1` the incident, then with a cursor `$2` the id to start below, and last the
/// limit. Two statements rather than `$2 IS NULL OR id < $2`, which would keep SQLite from
/// starting the index scan at the cursor.
pub fn timeline_page(cursor: bool) -> String {
    let (below, limit) = if cursor {
        (" AND id < $2", "$3")
    } else {
        ("", "$2")
    };
    format!(
        "SELECT {EVENT_LIST_COLS} FROM incident_events
         WHERE incident_id = $1{below} ORDER BY id DESC LIMIT {limit}"
    )
}

/// One event's body, if it has one and belongs to the incident.
pub const EVENT_PAYLOAD: &str = "SELECT payload FROM incident_events
     WHERE id = $1 AND incident_id = $2 AND payload IS NOT NULL";
