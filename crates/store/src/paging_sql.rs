//! Paging's SQL that both backends run as it is (`$n` placeholders, as in `sql.rs`), and the
//! column lists its rows are read by. Scope filters and row locks differ per dialect and stay
//! with their backend.

pub const CHANNEL_COLS: &str = "id, team_id, kind, name, target, signing_secret, created_at";
pub const POLICY_COLS: &str = "id, team_id, name, rules, created_at, updated_at";

pub const USER_EXISTS: &str = "SELECT 1 FROM users WHERE id = $1";

pub const COUNT_CONTACT_METHODS: &str = "SELECT COUNT(*) FROM contact_methods WHERE user_id = $1";

pub const INSERT_CONTACT_METHOD: &str = "INSERT INTO contact_methods
       (id, user_id, kind, name, target, signing_secret, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

pub const LIST_CONTACT_METHODS: &str = "SELECT id, user_id, kind, name, target, signing_secret,
       created_at
     FROM contact_methods WHERE user_id = $1 ORDER BY name";

pub const GET_CONTACT_METHOD: &str = "SELECT id, user_id, kind, name, target, signing_secret,
       created_at
     FROM contact_methods WHERE id = $1 AND user_id = $2";

/// Its rules go with it (`ON DELETE CASCADE`).
pub const DELETE_CONTACT_METHOD: &str =
    "DELETE FROM contact_methods WHERE id = $1 AND user_id = $2";

pub const CONTACT_METHOD_IS_USERS: &str =
    "SELECT 1 FROM contact_methods WHERE id = $1 AND user_id = $2";

pub const INSERT_RULE: &str = "INSERT INTO notification_rules
       (id, user_id, contact_method_id, delay_minutes, created_at)
     VALUES ($1, $2, $3, $4, $5)";

pub const LIST_RULES: &str = "SELECT id, user_id, contact_method_id, delay_minutes, created_at
     FROM notification_rules WHERE user_id = $1 ORDER BY delay_minutes, id";

pub const DELETE_RULE: &str = "DELETE FROM notification_rules WHERE id = $1 AND user_id = $2";

pub const COUNT_CHANNELS: &str = "SELECT COUNT(*) FROM channels WHERE team_id = $1";

pub const INSERT_CHANNEL: &str = "INSERT INTO channels
       (id, team_id, kind, name, target, signing_secret, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

pub const DELETE_CHANNEL: &str = "DELETE FROM channels WHERE id = $1";

/// A team's policies, to find those naming a channel (the rules are JSON: core reads them).
pub const TEAM_POLICY_RULES: &str =
    "SELECT name, rules FROM escalation_policies WHERE team_id = $1 ORDER BY name";

pub const INSERT_POLICY: &str = "INSERT INTO escalation_policies
       (id, team_id, name, rules, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6)";

pub const UPDATE_POLICY: &str =
    "UPDATE escalation_policies SET name = $1, rules = $2, updated_at = $3 WHERE id = $4";

pub const DELETE_POLICY: &str = "DELETE FROM escalation_policies WHERE id = $1";

/// One service that runs the policy, to name it in the refusal.
pub const SERVICE_USING_POLICY: &str =
    "SELECT name FROM services WHERE escalation_policy_id = $1 ORDER BY name LIMIT 1";

pub const POLICY_TEAM: &str = "SELECT team_id FROM escalation_policies WHERE id = $1";

pub const SET_SERVICE_POLICY: &str = "UPDATE services SET escalation_policy_id = $1 WHERE id = $2";

/// A channel target is valid only in the policy's own team.
pub const CHANNEL_IN_TEAM: &str = "SELECT 1 FROM channels WHERE id = $1 AND team_id = $2";

/// PostgreSQL: serialise the creations of one owner (a user, a team) inside a transaction, so
/// two at once cannot both pass the count of `MAX_PER_OWNER`. An advisory lock rather than
/// the owner's row: a team's row is updated by every incident it opens.
pub const PG_LOCK_OWNER: &str = "SELECT pg_advisory_xact_lock(hashtextextended($1, 7))";
