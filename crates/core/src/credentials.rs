//! The rules of credentials over time: revoking an API token, a sign-in session's expiry, and
//! a webhook key's rotation with its grace period. Pure; the stores read a record, ask these
//! what to write, and write it.

use chrono::{DateTime, Utc};

use crate::model::{ApiToken, Service, SessionInfo};
use crate::secret;

/// Revoking `token` at `now`: the revoked token to write, or `None` when it is already
/// revoked. Revocation is idempotent and keeps its first time, so the audit trail and a
/// second click agree on when the token stopped.
pub fn revoke(token: &ApiToken, now: DateTime<Utc>) -> Option<ApiToken> {
    if token.revoked_at.is_some() {
        return None;
    }
    Some(ApiToken {
        revoked_at: Some(now),
        ..token.clone()
    })
}

/// A session is live strictly before its `expires_at`; at that instant it has ended.
pub fn session_live(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now < expires_at
}

/// A user's sessions as listed: the live ones, oldest first (ties by id, so the order is
/// stable).
pub fn live_sessions(mut all: Vec<SessionInfo>, now: DateTime<Utc>) -> Vec<SessionInfo> {
    all.retain(|s| session_live(s.expires_at, now));
    all.sort_by_key(|s| (s.created_at, s.id));
    all
}

/// What a webhook key rotation writes on a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRotation {
    pub api_key: String,
    pub api_key_hash: [u8; 32],
    /// The replaced key's hash, kept only while a grace period runs.
    pub previous_api_key_hash: Option<[u8; 32]>,
    pub previous_key_expires_at: Option<DateTime<Utc>>,
}

/// Replace `service`'s key by `new_key`. With `grace_until` the old key keeps working until
/// then; without, it stops at once (and any earlier grace ends with it).
pub fn rotate_key(
    service: &Service, new_key: &str, grace_until: Option<DateTime<Utc>>,
) -> KeyRotation {
    KeyRotation {
        api_key: new_key.to_owned(),
        api_key_hash: secret::hash(new_key),
        previous_api_key_hash: grace_until.map(|_| secret::hash(&service.api_key)),
        previous_key_expires_at: grace_until,
    }
}

/// Whether a key found by its hash opens the door at `now`: a current key (`valid_until:
/// None`) always; a previous key while its grace has not ended.
pub fn key_accepted(valid_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    valid_until.is_none_or(|until| now < until)
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::ids::{ServiceId, SessionId, TeamId, TokenId};
    use crate::TokenRole;

    #[test]
    fn revoking_twice_keeps_the_first_time() {
        let now = Utc::now();
        let tok = ApiToken {
            id: TokenId::new(),
            name: "t".into(),
            role: TokenRole::Observer,
            user_id: None,
            team_id: None,
            created_at: now,
            expires_at: None,
            revoked_at: None,
            last_used_at: None,
        };
        let revoked = revoke(&tok, now).expect("a live token is revoked");
        assert_eq!(revoked.revoked_at, Some(now));
        assert_eq!(revoked.id, tok.id);
        assert_eq!(revoke(&revoked, now + Duration::hours(1)), None);
    }

    #[test]
    fn sessions_end_at_their_expiry_and_list_oldest_first() {
        let now = Utc::now();
        assert!(session_live(now + Duration::seconds(1), now));
        assert!(!session_live(now, now));
        let s = |created: i64, expires: i64| SessionInfo {
            id: SessionId::new(),
            created_at: now + Duration::seconds(created),
            expires_at: now + Duration::seconds(expires),
            last_seen_at: None,
        };
        let (old, young, gone) = (s(-20, 10), s(-10, 10), s(-30, 0));
        let listed = live_sessions(vec![young.clone(), gone, old.clone()], now);
        assert_eq!(listed, vec![old, young]);
    }

    #[test]
    fn a_rotation_keeps_the_old_key_only_with_a_grace() {
        let svc = Service {
            id: ServiceId::new(),
            team_id: TeamId::new(),
            name: "s".into(),
            api_key: "old".into(),
            created_at: Utc::now(),
            escalation_policy_id: None,
        };
        let until = Utc::now() + Duration::minutes(5);
        let r = rotate_key(&svc, "new", Some(until));
        assert_eq!(r.api_key, "new");
        assert_eq!(r.api_key_hash, secret::hash("new"));
        assert_eq!(r.previous_api_key_hash, Some(secret::hash("old")));
        assert_eq!(r.previous_key_expires_at, Some(until));
        let cut = rotate_key(&svc, "new", None);
        assert_eq!(
            (cut.previous_api_key_hash, cut.previous_key_expires_at),
            (None, None)
        );
        assert!(key_accepted(None, until));
        assert!(key_accepted(Some(until), until - Duration::seconds(1)));
        assert!(!key_accepted(Some(until), until));
    }
}
