//! The column lists every query selects, shared by both backends so records read alike.

pub const TEAM_COLS: &str = "id, name, created_at";
/// The service's columns; its escalation policy last, so the key lookups' extra columns
/// follow at 6 and 7.
pub const SERVICE_COLS: &str = "id, team_id, name, api_key, created_at, escalation_policy_id";
pub const INCIDENT_COLS: &str = "id, number, service_id, team_id, source, dedup_key, status, severity, title, description, tags, event_count, created_at, updated_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by";
/// Every event column but the body (NULL in its place), then the body's size in bytes (cast:
/// `octet_length` is `integer` in PostgreSQL, and rows read it as a 64-bit integer on both).
/// Timeline pages read this, so a page's size depends on how many events it holds, not on
/// what the alerts carried. Both databases take a value's length from its header, without
/// reading the body itself.
pub const EVENT_LIST_COLS: &str = "id, incident_id, service_id, kind, source, level, actor, text, received_at, occurred_at, CAST(NULL AS TEXT), CAST(octet_length(payload) AS BIGINT)";
pub const TOKEN_COLS: &str =
    "id, name, role, team_id, created_at, expires_at, revoked_at, last_used_at, token_hash, user_id";
pub const USER_COLS: &str = "id, username, email, org_admin, created_at, disabled_at";
pub const AUDIT_COLS: &str = "id, at, actor, action, team_id, target, detail";
