//! Schedules' SQL that both backends run as it is (`$n` placeholders, as in `sql.rs`). Scope
//! filters and row locks differ per dialect and stay with their backend.

pub const SCHEDULE_COLS: &str = "id, team_id, name, rules, created_at, updated_at";

/// A schedule's overrides not ended at `$2` (user, start, end), by start: what the API lists,
/// the feeds show and the paging engine reads. `$1`: the schedule id.
pub const OVERRIDES_AFTER: &str = "SELECT user_id, start_at, end_at
     FROM schedule_overrides WHERE schedule_id = $1 AND end_at > $2 ORDER BY start_at, id";

pub const INSERT_SCHEDULE: &str = "INSERT INTO schedules
       (id, team_id, name, rules, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6)";

pub const UPDATE_SCHEDULE: &str =
    "UPDATE schedules SET name = $1, rules = $2, updated_at = $3 WHERE id = $4";

pub const DELETE_SCHEDULE: &str = "DELETE FROM schedules WHERE id = $1";

/// Every schedule, for a user's feed (core picks those naming the user).
pub const ALL_SCHEDULES: &str =
    "SELECT id, team_id, name, rules, created_at, updated_at FROM schedules ORDER BY name, id";

/// Schedules with an override for the user ending after `$2`.
pub const SCHEDULES_OVERRIDING_USER: &str =
    "SELECT DISTINCT schedule_id FROM schedule_overrides WHERE user_id = $1 AND end_at > $2";

/// A schedule target is valid only in the policy's own team.
pub const SCHEDULE_IN_TEAM: &str = "SELECT 1 FROM schedules WHERE id = $1 AND team_id = $2";

pub const INSERT_OVERRIDE: &str = "INSERT INTO schedule_overrides
       (id, schedule_id, user_id, start_at, end_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6)";

pub const LIST_OVERRIDES: &str = "SELECT id, schedule_id, user_id, start_at, end_at, created_at
     FROM schedule_overrides WHERE schedule_id = $1 AND end_at > $2 ORDER BY start_at, id";

pub const DELETE_OVERRIDE: &str =
    "DELETE FROM schedule_overrides WHERE id = $1 AND schedule_id = $2";

pub const SCHEDULE_EXISTS: &str = "SELECT 1 FROM schedules WHERE id = $1";

pub const INSERT_FEED: &str = "INSERT INTO calendar_feeds
       (id, token_hash, schedule_id, user_id, created_at)
     VALUES ($1, $2, $3, $4, $5)";

/// Revoke the live feed of a schedule (`$2`) or a user (`$3`), one of them null.
pub const REVOKE_FEED: &str = "UPDATE calendar_feeds SET revoked_at = $1
     WHERE revoked_at IS NULL AND (schedule_id = $2 OR user_id = $3)";

pub const FEED_BY_HASH: &str = "SELECT id, schedule_id, user_id, created_at
     FROM calendar_feeds WHERE token_hash = $1 AND revoked_at IS NULL";
