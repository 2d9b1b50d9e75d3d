//! The column lists every query selects, shared by both backends so records read alike.

pub const TEAM_COLS: &str = "id, name, created_at";
pub const SERVICE_COLS: &str = "id, team_id, name, api_key, created_at";
pub const INCIDENT_COLS: &str = "id, number, service_id, team_id, source, dedup_key, status, severity, title, description, tags, event_count, created_at, updated_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by";
pub const EVENT_COLS: &str =
    "id, incident_id, service_id, kind, source, level, actor, text, received_at, occurred_at, payload";
pub const TOKEN_COLS: &str =
    "id, name, role, team_id, created_at, expires_at, revoked_at, last_used_at, token_hash, user_id";
pub const USER_COLS: &str = "id, username, email, org_admin, created_at, disabled_at";
pub const AUDIT_COLS: &str = "id, at, actor, action, team_id, target, detail";
