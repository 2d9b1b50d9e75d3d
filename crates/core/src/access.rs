//! Who may do what. Roles are per team and ordered, so "at least responder" is a comparison;
//! a caller's rights ([`Grants`]) come from its user's memberships narrowed by its token's role
//! and team. Pure, so the rules are unit-tested without a server.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::TeamId;
use crate::model::Scope;

/// A member's role in a team. Ordered: each role can do everything the ones below it can.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Read only.
    Observer,
    /// Acknowledge, resolve, add notes.
    Responder,
    /// Manage services, alert sources and policies.
    Admin,
    /// Manage the team and its members.
    Owner,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Observer, Role::Responder, Role::Admin, Role::Owner];

    /// The least role that may change a service (create it, rotate its key, test its alert
    /// sources). Its webhook key is shown only to these: the key is a write credential (whoever
    /// holds it can open incidents and resolve any of them), so a read-only member must not be
    /// able to copy it.
    pub const MANAGES_SERVICES: Role = Role::Admin;

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Observer => "observer",
            Role::Responder => "responder",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The role an API token carries: a team role, or the organisation admin's.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TokenRole {
    Observer,
    Responder,
    Admin,
    Owner,
    /// Manages users and teams across the organisation.
    OrgAdmin,
}

impl TokenRole {
    pub const ALL: [TokenRole; 5] = [
        TokenRole::Observer,
        TokenRole::Responder,
        TokenRole::Admin,
        TokenRole::Owner,
        TokenRole::OrgAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenRole::OrgAdmin => "org_admin",
            TokenRole::Observer => "observer",
            TokenRole::Responder => "responder",
            TokenRole::Admin => "admin",
            TokenRole::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The team role this stands for (an org admin is an owner of every team).
    pub fn team_role(self) -> Role {
        match self {
            TokenRole::Observer => Role::Observer,
            TokenRole::Responder => Role::Responder,
            TokenRole::Admin => Role::Admin,
            TokenRole::Owner | TokenRole::OrgAdmin => Role::Owner,
        }
    }
}

impl From<Role> for TokenRole {
    fn from(r: Role) -> Self {
        match r {
            Role::Observer => TokenRole::Observer,
            Role::Responder => TokenRole::Responder,
            Role::Admin => TokenRole::Admin,
            Role::Owner => TokenRole::Owner,
        }
    }
}

/// What a caller may do: org-wide powers, a role in every team, and roles in given teams.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    pub org_admin: bool,
    /// A role held in every team (org admins, and org-wide tokens).
    pub every_team: Option<Role>,
    pub teams: BTreeMap<TeamId, Role>,
}

impl Grants {
    /// A user's own rights: org admins own every team; others have their memberships.
    pub fn of_user(org_admin: bool, memberships: impl IntoIterator<Item = (TeamId, Role)>) -> Self {
        Grants {
            org_admin,
            every_team: org_admin.then_some(Role::Owner),
            teams: memberships.into_iter().collect(),
        }
    }

    /// Rights of a token with no user: an org-wide token holds its role in every team.
    pub fn org_wide(role: TokenRole) -> Self {
        Grants {
            org_admin: role == TokenRole::OrgAdmin,
            every_team: Some(role.team_role()),
            teams: BTreeMap::new(),
        }
    }

    /// Rights of a team token.
    pub fn team(team: TeamId, role: Role) -> Self {
        Grants {
            org_admin: false,
            every_team: None,
            teams: BTreeMap::from([(team, role)]),
        }
    }

    /// Narrow to a token's role: never more than it, and org powers only for `org_admin`.
    pub fn cap(mut self, role: TokenRole) -> Self {
        if role != TokenRole::OrgAdmin {
            self.org_admin = false;
        }
        let max = role.team_role();
        self.every_team = self.every_team.map(|r| r.min(max));
        for r in self.teams.values_mut() {
            *r = (*r).min(max);
        }
        self
    }

    /// Narrow to one team.
    pub fn only(self, team: TeamId) -> Self {
        match self.role_in(team) {
            Some(r) => Grants::team(team, r),
            None => Grants::default(),
        }
    }

    pub fn role_in(&self, team: TeamId) -> Option<Role> {
        self.every_team.max(self.teams.get(&team).copied())
    }

    /// Holds at least `min` in `team`.
    pub fn at_least(&self, team: TeamId, min: Role) -> bool {
        self.role_in(team).is_some_and(|r| r >= min)
    }

    /// May see and change `team`'s services' webhook keys ([`Role::MANAGES_SERVICES`]).
    pub fn sees_webhook_keys(&self, team: TeamId) -> bool {
        self.at_least(team, Role::MANAGES_SERVICES)
    }

    /// The highest role held anywhere, as a token role.
    pub fn highest(&self) -> Option<TokenRole> {
        if self.org_admin {
            return Some(TokenRole::OrgAdmin);
        }
        self.every_team
            .max(self.teams.values().copied().max())
            .map(TokenRole::from)
    }

    /// The teams where the caller holds at least `min`, as a store scope.
    pub fn scope_at(&self, min: Role) -> Scope {
        if self.every_team.is_some_and(|r| r >= min) {
            return Scope::All;
        }
        Scope::Teams(
            self.teams
                .iter()
                .filter(|(_, r)| **r >= min)
                .map(|(t, _)| *t)
                .collect(),
        )
    }

    /// Everything the caller can see.
    pub fn scope(&self) -> Scope {
        self.scope_at(Role::Observer)
    }

    /// Whether `other` gives nothing this does not: a new token may not exceed its creator.
    pub fn covers(&self, other: &Grants) -> bool {
        if other.org_admin && !self.org_admin {
            return false;
        }
        if let Some(r) = other.every_team {
            if self.every_team.is_none_or(|mine| mine < r) {
                return false;
            }
        }
        other
            .teams
            .iter()
            .all(|(t, r)| self.role_in(*t).is_some_and(|mine| mine >= *r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_order_and_parse() {
        assert!(Role::Owner > Role::Admin && Role::Admin > Role::Responder);
        assert!(Role::Responder > Role::Observer);
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        for r in TokenRole::ALL {
            assert_eq!(TokenRole::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn capping_and_narrowing() {
        let (a, b) = (TeamId::new(), TeamId::new());
        let user = Grants::of_user(false, [(a, Role::Owner), (b, Role::Observer)]);
        let capped = user.clone().cap(TokenRole::Responder);
        assert_eq!(capped.role_in(a), Some(Role::Responder));
        assert_eq!(capped.role_in(b), Some(Role::Observer));
        let only_b = user.clone().only(b);
        assert_eq!(only_b.role_in(a), None);
        assert_eq!(only_b.scope(), Scope::Teams(vec![b]));
        assert_eq!(user.scope_at(Role::Admin), Scope::Teams(vec![a]));
        assert!(user.covers(&capped) && !capped.covers(&user));
        assert_eq!(Grants::default().only(a), Grants::default());
    }

    #[test]
    fn org_admins_own_every_team_until_capped() {
        let t = TeamId::new();
        let admin = Grants::of_user(true, []);
        assert_eq!(admin.role_in(t), Some(Role::Owner));
        assert_eq!(admin.scope(), Scope::All);
        let capped = admin.clone().cap(TokenRole::Observer);
        assert!(!capped.org_admin);
        assert_eq!(capped.scope_at(Role::Responder), Scope::Teams(vec![]));
        assert!(admin.covers(&Grants::org_wide(TokenRole::OrgAdmin)));
        assert!(!Grants::team(t, Role::Owner).covers(&Grants::org_wide(TokenRole::Observer)));
        assert!(!admin.clone().only(t).org_admin);
    }

    #[test]
    fn webhook_keys_only_for_those_who_manage_services() {
        let (t, other) = (TeamId::new(), TeamId::new());
        for (role, sees) in [
            (Role::Observer, false),
            (Role::Responder, false),
            (Role::Admin, true),
            (Role::Owner, true),
        ] {
            let g = Grants::of_user(false, [(t, role)]);
            assert_eq!(g.sees_webhook_keys(t), sees, "{role}");
            assert!(!g.sees_webhook_keys(other));
            // A token narrowed below admin loses the key with the right to change the service.
            assert!(!g.clone().cap(TokenRole::Responder).sees_webhook_keys(t));
            assert_eq!(Grants::team(t, role).sees_webhook_keys(t), sees);
        }
        assert!(Grants::of_user(true, []).sees_webhook_keys(t));
        assert!(!Grants::org_wide(TokenRole::Observer).sees_webhook_keys(t));
        assert!(Grants::org_wide(TokenRole::Admin).sees_webhook_keys(t));
    }
}
