//! The account SQL both dialects agree on, written once. Placeholders are PostgreSQL's `$n`;
//! SQLite reads them through [`sqlite`] (its `?n` means the same: the n-th argument). What a
//! dialect spells differently (lists, locks, case-insensitive names, time types) stays in its
//! backend's file. The visibility filters render core's clauses one to one, through [`Bind`].

use std::borrow::Cow;

use tocsin_core::visibility::{Filter, TokenClause, UserClause};
use tocsin_core::{TeamId, UserId};

/// `$n` → `?n`, for SQLite. The account SQL has no `$` but in placeholders.
pub(crate) fn sqlite(sql: &str) -> Cow<'_, str> {
    if sql.contains('$') {
        Cow::Owned(sql.replace('$', "?"))
    } else {
        Cow::Borrowed(sql)
    }
}

/// How a dialect binds arguments into a growing statement. Ids go in typed: PostgreSQL binds
/// them as they are, SQLite's argument list holds their text.
pub(crate) trait Bind {
    /// Append a user id argument; its placeholder.
    fn user(&mut self, v: UserId) -> String;
    /// `column IN (teams)` (`teams` never empty), its arguments appended.
    fn any_team(&mut self, column: &str, teams: &[TeamId]) -> String;
}

/// ` AND (…)` for a filter, `""` for [`Filter::All`], ` AND FALSE` for no clause.
fn and_any<C>(f: &Filter<C>, mut clause: impl FnMut(&C) -> String) -> String {
    match f {
        Filter::All => String::new(),
        Filter::Any(cs) if cs.is_empty() => " AND FALSE".to_owned(),
        Filter::Any(cs) => {
            let alts: Vec<String> = cs.iter().map(&mut clause).collect();
            format!(" AND ({})", alts.join(" OR "))
        }
    }
}

/// Core's user filter over `users` (column `id`).
pub(crate) fn users_where(f: &Filter<UserClause>, b: &mut impl Bind) -> String {
    and_any(f, |c| match c {
        UserClause::MemberOfAny(teams) => format!(
            "id IN (SELECT user_id FROM team_members WHERE {})",
            b.any_team("team_id", teams)
        ),
        UserClause::Is(u) => format!("id = {}", b.user(*u)),
    })
}

/// Core's token filter over `api_tokens`.
pub(crate) fn tokens_where(f: &Filter<TokenClause>, b: &mut impl Bind) -> String {
    and_any(f, |c| match c {
        TokenClause::OwnedBy(u) => format!("user_id = {}", b.user(*u)),
        TokenClause::TeamTokenOfAny(teams) => {
            format!("(user_id IS NULL AND {})", b.any_team("team_id", teams))
        }
    })
}

pub(crate) const INSERT_USER: &str =
    "INSERT INTO users (id, username, email, password_hash, org_admin, created_at)
     VALUES ($1, $2, $3, $4, $5, $6)";
pub(crate) const COUNT_USERS: &str = "SELECT COUNT(*) FROM users";
pub(crate) const USER_EXISTS: &str = "SELECT 1 FROM users WHERE id = $1";
/// Case-insensitive order: SQLite's `lower` folds ASCII as its NOCASE names do.
pub(crate) const USERS_ORDER: &str = " ORDER BY lower(username)";

macro_rules! member_select {
    () => {
        "SELECT m.team_id, m.user_id, u.username, m.role FROM team_members m
         JOIN users u ON u.id = m.user_id"
    };
}
pub(crate) const MEMBER_OF: &str =
    concat!(member_select!(), " WHERE m.team_id = $1 AND m.user_id = $2");
pub(crate) const TEAM_MEMBERS: &str = concat!(
    member_select!(),
    " WHERE m.team_id = $1 ORDER BY lower(u.username)"
);
pub(crate) const MEMBERSHIPS: &str = "SELECT team_id, role FROM team_members WHERE user_id = $1";
pub(crate) const UPSERT_MEMBER: &str =
    "INSERT INTO team_members (team_id, user_id, role) VALUES ($1, $2, $3)
     ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role";
pub(crate) const DELETE_MEMBER: &str =
    "DELETE FROM team_members WHERE team_id = $1 AND user_id = $2";
/// A team's owners and whether each is active, in id order (PostgreSQL locks them so).
pub(crate) const TEAM_OWNERS: &str = "SELECT m.user_id, u.disabled_at IS NULL FROM team_members m
     JOIN users u ON u.id = m.user_id
     WHERE m.team_id = $1 AND m.role = 'owner' ORDER BY m.user_id";
pub(crate) const MEMBER_ROLE: &str =
    "SELECT role FROM team_members WHERE team_id = $1 AND user_id = $2";

pub(crate) const REVOKE_TOKEN: &str = "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1";

pub(crate) const INSERT_SESSION: &str =
    "INSERT INTO sessions (id, token_hash, csrf_hash, user_id, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6)";
/// Sessions no longer live (`credentials::session_live`) at `$1`.
pub(crate) const PURGE_SESSIONS: &str = "DELETE FROM sessions WHERE expires_at <= $1";
pub(crate) const SESSION_BY_HASH: &str =
    "SELECT s.id, s.token_hash, s.csrf_hash, s.expires_at, s.last_seen_at,
            u.id, u.username, u.email, u.org_admin, u.created_at, u.disabled_at
     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1";
pub(crate) const DELETE_SESSION: &str = "DELETE FROM sessions WHERE id = $1";
pub(crate) const TOUCH_SESSION: &str = "UPDATE sessions SET last_seen_at = $2 WHERE id = $1";
/// All of a user's sessions; core keeps the live ones (`credentials::live_sessions`).
pub(crate) const USER_SESSIONS: &str =
    "SELECT id, created_at, expires_at, last_seen_at FROM sessions WHERE user_id = $1";
pub(crate) const END_SESSION: &str = "DELETE FROM sessions WHERE id = $1 AND user_id = $2";
pub(crate) const END_SESSIONS: &str =
    "DELETE FROM sessions WHERE user_id = $1 AND id IS DISTINCT FROM $2";

pub(crate) const PASSWORD_HASH: &str = "SELECT password_hash FROM users WHERE id = $1";
pub(crate) const SET_PASSWORD: &str = "UPDATE users SET password_hash = $2 WHERE id = $1";
pub(crate) const SET_DISABLED_AT: &str = "UPDATE users SET disabled_at = $2 WHERE id = $1";
/// Active org admins in id order (PostgreSQL locks them so).
pub(crate) const ACTIVE_ORG_ADMINS: &str =
    "SELECT id FROM users WHERE org_admin AND disabled_at IS NULL ORDER BY id";

pub(crate) const ROTATE_KEY: &str = "UPDATE services SET api_key = $2, api_key_hash = $3,
       previous_api_key_hash = $4, previous_key_expires_at = $5
     WHERE id = $1";

pub(crate) const INSERT_AUDIT: &str =
    "INSERT INTO audit_log (id, at, actor, action, team_id, target, detail)
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

#[cfg(test)]
mod tests {
    use tocsin_core::model::Scope;
    use tocsin_core::visibility::{users, TokenVisibility};
    use tocsin_core::{TeamId, UserId};

    use super::*;

    /// A binder that numbers like PostgreSQL and spells lists as one array argument.
    #[derive(Default)]
    struct Numbered(Vec<String>);

    impl Bind for Numbered {
        fn user(&mut self, v: UserId) -> String {
            self.0.push(v.to_string());
            format!("${}", self.0.len())
        }
        fn any_team(&mut self, column: &str, teams: &[TeamId]) -> String {
            let texts: Vec<String> = teams.iter().map(ToString::to_string).collect();
            self.0.push(texts.join(","));
            format!("{column} = ANY(${})", self.0.len())
        }
    }

    #[test]
    fn filters_render_each_clause_and_nothing_else() {
        let (me, t) = (UserId::new(), TeamId::new());
        let mut b = Numbered::default();
        assert_eq!(users_where(&users(&Scope::All, Some(me)), &mut b), "");
        assert_eq!(
            users_where(&users(&Scope::Teams(vec![]), None), &mut b),
            " AND FALSE"
        );
        assert!(b.0.is_empty());
        let sql = users_where(&users(&Scope::Teams(vec![t]), Some(me)), &mut b);
        assert_eq!(
            sql,
            " AND (id IN (SELECT user_id FROM team_members WHERE team_id = ANY($1)) OR id = $2)"
        );
        assert_eq!(b.0, vec![t.to_string(), me.to_string()]);
        let v = TokenVisibility {
            all: false,
            user: None,
            teams: vec![t],
        };
        let mut b = Numbered::default();
        assert_eq!(
            tokens_where(&v.filter(), &mut b),
            " AND ((user_id IS NULL AND team_id = ANY($1)))"
        );
        assert_eq!(sqlite("a = $1 AND b = $2"), "a = ?1 AND b = ?2");
    }
}
