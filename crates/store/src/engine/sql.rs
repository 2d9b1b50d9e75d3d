//! The engine's SQL, in the `$n` form both dialects run (see `crate::sql`). Statements that
//! differ (locking, the claim) stay with their backend.

/// Paging's start, written by the transaction that opened the incident: only for a service
/// that has a policy, which the row keeps.
pub const START: &str =
    "INSERT INTO escalations (incident_id, policy_id, phase, round, step, loop, due_at)
     SELECT $1, escalation_policy_id, $2, 0, 0, 0, $3 FROM services
     WHERE id = $4 AND escalation_policy_id IS NOT NULL";

/// An acknowledge or resolve notice, written by the transaction that made it; no row, no
/// paging.
pub const REWRITE: &str = "UPDATE escalations SET phase = $1, due_at = $2 WHERE incident_id = $3";

/// Up to `n` due rows, soonest first, with what the engine decides on, and PostgreSQL's
/// `lock`. A row is due for its step (`due_at`) or for a hand-off of a schedule its last step
/// paged (`handoff_at`).
pub fn due(n: usize, lock: &str) -> String {
    format!("{DUE}{}{lock}", crate::sql::limit(n))
}

const DUE: &str = "SELECT e.incident_id, i.service_id, i.team_id, e.policy_id, p.rules, i.status,
       e.phase, e.round, e.step, e.loop, e.due_at, e.handoff_at, e.handoff_step, e.handoff_loop
     FROM escalations e
     JOIN incidents i ON i.id = e.incident_id
     LEFT JOIN escalation_policies p ON p.id = e.policy_id
     WHERE (e.due_at IS NOT NULL AND e.due_at <= $1)
        OR (e.handoff_at IS NOT NULL AND e.handoff_at <= $1)
     ORDER BY COALESCE(e.due_at, e.handoff_at)";

pub const SET_HANDOFF: &str =
    "UPDATE escalations SET handoff_at = $1, handoff_step = $2, handoff_loop = $3
     WHERE incident_id = $4";

/// A schedule of the team, for the engine (its rules are evaluated in core; its overrides
/// are read with `schedule_sql::OVERRIDES_AFTER`).
pub const SCHEDULE_RULES: &str = "SELECT rules FROM schedules WHERE id = $1 AND team_id = $2";

pub const SET_ROW: &str =
    "UPDATE escalations SET phase = $1, round = $2, step = $3, loop = $4, due_at = $5
     WHERE incident_id = $6";

pub const IDLE_ROW: &str =
    "UPDATE escalations SET phase = 'idle', due_at = NULL WHERE incident_id = $1";

pub const DELETE_ROW: &str = "DELETE FROM escalations WHERE incident_id = $1";

pub const TAKE_TURN: &str = "INSERT INTO policy_turns (policy_id, step, turn) VALUES ($1, $2, 1)
     ON CONFLICT (policy_id, step) DO UPDATE SET turn = policy_turns.turn + 1
     RETURNING turn - 1";

pub const USER: &str = "SELECT username, disabled_at FROM users WHERE id = $1";

pub const USER_METHODS: &str = "SELECT id FROM contact_methods WHERE user_id = $1 ORDER BY id";

pub const USER_RULES: &str =
    "SELECT contact_method_id, delay_minutes FROM notification_rules WHERE user_id = $1";

pub const CHANNEL_IN_TEAM: &str = "SELECT 1 FROM channels WHERE id = $1 AND team_id = $2";

pub const NOTIFIED: &str =
    "SELECT DISTINCT user_id, contact_method_id, channel_id FROM notifications
     WHERE incident_id = $1 AND kind IN ('triggered', 'escalated')";

pub const INSERT_NOTIFICATION: &str =
    "INSERT INTO notifications (id, incident_id, kind, round, step, loop,
       recipient, user_id, channel_id, contact_method_id, status, next_attempt_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $12)
     ON CONFLICT (incident_id, kind, round, step, loop, recipient) DO NOTHING";

/// An acknowledgement that timed out: triggered again, and who acknowledged is cleared (the
/// timeline keeps it).
pub const RETRIGGER: &str = "UPDATE incidents SET status = 'triggered', acknowledged_at = NULL,
       acknowledged_by = NULL, updated_at = $1
     WHERE id = $2 AND status = 'acknowledged'";

/// The earliest time anything is due: an escalation row, or an open delivery (a claimed one
/// when its lease runs out). Through the two partial indexes.
pub const NEXT_ESCALATION: &str = "SELECT MIN(t) FROM (
       SELECT MIN(due_at) AS t FROM escalations WHERE due_at IS NOT NULL
       UNION ALL
       SELECT MIN(handoff_at) AS t FROM escalations WHERE handoff_at IS NOT NULL) AS soonest";
pub const NEXT_DELIVERY: &str =
    "SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until > next_attempt_at
         THEN lease_until ELSE next_attempt_at END)
     FROM notifications WHERE status IN ('pending', 'unknown')";

/// What a claimed delivery needs to be sent. `$1` the notification.
pub const CLAIMED_DETAIL: &str = "SELECT n.incident_id, n.kind, n.round, n.step, n.loop, n.user_id,
       n.channel_id, n.contact_method_id, n.created_at, s.name,
       COALESCE(cm.kind, ch.kind), COALESCE(cm.name, ch.name), COALESCE(cm.target, ch.target),
       COALESCE(cm.signing_secret, ch.signing_secret), u.username
     FROM notifications n
     JOIN incidents i ON i.id = n.incident_id
     JOIN services s ON s.id = i.service_id
     LEFT JOIN contact_methods cm ON cm.id = n.contact_method_id AND cm.user_id = n.user_id
     LEFT JOIN channels ch ON ch.id = n.channel_id
     LEFT JOIN users u ON u.id = n.user_id
     WHERE n.id = $1";

/// An attempt's outcome, only by the sender that holds the claim (`claims` = its claim).
pub const RECORD: &str =
    "UPDATE notifications SET status = $1, attempts = $2, next_attempt_at = $3,
       sent_at = $4, error = $5, lease_until = NULL, lease_owner = NULL
     WHERE id = $6 AND claims = $7";

/// At start: claims this node held before it stopped can be taken at once (it is not
/// sending them any more); they stay `unknown`, so they are resent as such.
pub const RELEASE: &str = "UPDATE notifications SET lease_until = NULL
     WHERE lease_owner = $1 AND status = 'unknown'";

pub const INCIDENT_NOTIFICATIONS: &str = "SELECT id, incident_id, kind, round, step, loop, user_id,
       channel_id, contact_method_id, status, attempts, next_attempt_at, sent_at, error, created_at
     FROM notifications WHERE incident_id = $1 ORDER BY created_at, id";

/// Take up to `n` due deliveries for `$2` until `$1`. A taken delivery is `unknown` until its
/// sender records the attempt: if the sender vanishes, that is what it is. PostgreSQL skips
/// rows another node is taking (`lock`).
pub fn claim(lock: bool, n: usize) -> String {
    format!(
        "UPDATE notifications SET status = 'unknown', claims = claims + 1, lease_until = $1,
           lease_owner = $2
         WHERE id IN (SELECT id FROM notifications
           WHERE status IN ('pending', 'unknown') AND next_attempt_at <= $3
             AND (lease_until IS NULL OR lease_until <= $3)
           ORDER BY next_attempt_at{}{})
         RETURNING id, claims, attempts",
        crate::sql::limit(n),
        if lock { " FOR UPDATE SKIP LOCKED" } else { "" }
    )
}
