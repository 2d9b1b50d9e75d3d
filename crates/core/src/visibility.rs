//! Who sees which account records: users, API tokens and audit entries. Decided here once as
//! a small [`Filter`] of clauses; each store renders a clause to SQL one to one (the shared
//! SQL of `tocsin_store::accounts::sql`), so neither backend holds a rule of its own. The
//! `sees` predicates state the same rules over records, for tests and in-memory checks.

use crate::ids::{TeamId, UserId};
use crate::model::{ApiToken, AuditEntry, Scope};

/// Which rows a caller sees: every row, or those matching any of the clauses (none: no row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter<C> {
    All,
    Any(Vec<C>),
}

impl<C> Filter<C> {
    /// Whether a row passes, given how one clause judges it.
    pub fn passes(&self, clause: impl Fn(&C) -> bool) -> bool {
        match self {
            Filter::All => true,
            Filter::Any(cs) => cs.iter().any(clause),
        }
    }
}

/// A clause over users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserClause {
    /// Members of any of these teams (never empty).
    MemberOfAny(Vec<TeamId>),
    /// This very user.
    Is(UserId),
}

/// The users a caller sees: everyone with [`Scope::All`]; otherwise the members of the teams
/// in its scope, and itself (`me`), so a user without teams still sees its own record.
pub fn users(scope: &Scope, me: Option<UserId>) -> Filter<UserClause> {
    let teams = match scope {
        Scope::All => return Filter::All,
        Scope::Teams(t) => t,
    };
    let mut any = Vec::new();
    if !teams.is_empty() {
        any.push(UserClause::MemberOfAny(teams.clone()));
    }
    if let Some(me) = me {
        any.push(UserClause::Is(me));
    }
    Filter::Any(any)
}

/// Whether the caller sees user `id`, whose teams are `teams`.
pub fn sees_user(scope: &Scope, me: Option<UserId>, id: UserId, teams: &[TeamId]) -> bool {
    users(scope, me).passes(|c| match c {
        UserClause::MemberOfAny(ts) => teams.iter().any(|t| ts.contains(t)),
        UserClause::Is(u) => *u == id,
    })
}

/// Which tokens a caller may see and revoke: everything (organisation admins), its user's
/// own, and the team tokens of the teams it owns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenVisibility {
    pub all: bool,
    pub user: Option<UserId>,
    pub teams: Vec<TeamId>,
}

/// A clause over tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenClause {
    /// Tokens acting for this user.
    OwnedBy(UserId),
    /// Team tokens (no user) of any of these teams (never empty).
    TeamTokenOfAny(Vec<TeamId>),
}

impl TokenVisibility {
    pub fn filter(&self) -> Filter<TokenClause> {
        if self.all {
            return Filter::All;
        }
        let mut any = Vec::new();
        if let Some(u) = self.user {
            any.push(TokenClause::OwnedBy(u));
        }
        if !self.teams.is_empty() {
            any.push(TokenClause::TeamTokenOfAny(self.teams.clone()));
        }
        Filter::Any(any)
    }

    pub fn sees(&self, t: &ApiToken) -> bool {
        self.filter().passes(|c| match c {
            TokenClause::OwnedBy(u) => t.user_id == Some(*u),
            TokenClause::TeamTokenOfAny(ts) => {
                t.user_id.is_none() && t.team_id.is_some_and(|team| ts.contains(&team))
            }
        })
    }
}

/// Audit entries in `scope`: with [`Scope::All`] every entry, with a team or not; otherwise
/// only entries of the teams in it (an entry without a team is organisation business).
pub fn sees_audit(scope: &Scope, e: &AuditEntry) -> bool {
    match scope {
        Scope::All => true,
        Scope::Teams(_) => e.team_id.is_some_and(|t| scope.allows(t)),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::ids::{AuditId, TokenId};
    use crate::TokenRole;

    fn token(user: Option<UserId>, team: Option<TeamId>) -> ApiToken {
        ApiToken {
            id: TokenId::new(),
            name: "t".into(),
            role: TokenRole::Observer,
            user_id: user,
            team_id: team,
            created_at: Utc::now(),
            expires_at: None,
            revoked_at: None,
            last_used_at: None,
        }
    }

    #[test]
    fn users_are_seen_through_shared_teams_and_oneself() {
        let (me, other, t1, t2) = (UserId::new(), UserId::new(), TeamId::new(), TeamId::new());
        assert_eq!(users(&Scope::All, None), Filter::All);
        assert_eq!(users(&Scope::Teams(vec![]), None), Filter::Any(vec![]));
        assert_eq!(
            users(&Scope::Teams(vec![t1]), Some(me)),
            Filter::Any(vec![UserClause::MemberOfAny(vec![t1]), UserClause::Is(me)])
        );
        let mine = Scope::Teams(vec![t1]);
        assert!(sees_user(&mine, Some(me), other, &[t2, t1]));
        assert!(!sees_user(&mine, Some(me), other, &[t2]));
        assert!(sees_user(&Scope::Teams(vec![]), Some(me), me, &[]));
        assert!(!sees_user(&Scope::Teams(vec![]), None, me, &[t1]));
        assert!(sees_user(&Scope::All, None, other, &[]));
    }

    #[test]
    fn tokens_are_seen_by_their_user_the_team_owners_and_org_admins() {
        let (me, other, t1, t2) = (UserId::new(), UserId::new(), TeamId::new(), TeamId::new());
        let v = TokenVisibility {
            all: false,
            user: Some(me),
            teams: vec![t1],
        };
        assert!(v.sees(&token(Some(me), None)));
        assert!(v.sees(&token(None, Some(t1))));
        assert!(!v.sees(&token(None, Some(t2))));
        assert!(
            !v.sees(&token(None, None)),
            "org-wide tokens are the admins'"
        );
        // A user's token narrowed to an owned team is still that user's, not the team's.
        assert!(!v.sees(&token(Some(other), Some(t1))));
        assert_eq!(TokenVisibility::default().filter(), Filter::Any(vec![]));
        let admin = TokenVisibility {
            all: true,
            ..TokenVisibility::default()
        };
        assert!(admin.sees(&token(Some(other), None)) && admin.sees(&token(None, None)));
    }

    #[test]
    fn team_owners_see_their_teams_audit_and_admins_see_everything() {
        let (t1, t2) = (TeamId::new(), TeamId::new());
        let entry = |team| AuditEntry {
            id: AuditId::new(),
            at: Utc::now(),
            actor: "a".into(),
            action: "x".into(),
            team_id: team,
            target: None,
            detail: None,
        };
        let owner = Scope::Teams(vec![t1]);
        assert!(sees_audit(&owner, &entry(Some(t1))));
        assert!(!sees_audit(&owner, &entry(Some(t2))));
        assert!(!sees_audit(&owner, &entry(None)));
        assert!(sees_audit(&Scope::All, &entry(None)));
    }
}
