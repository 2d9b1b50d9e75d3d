//! The rules of an account's life: who may change a password and which sessions that ends,
//! who may be disabled, and what keeps a team owned. Pure, so each rule is written once and
//! unit-tested here; the stores call these inside the transaction that reads the counts, so
//! two racing changes cannot both pass a rule that only one of them may.

use crate::access::Role;
use crate::ids::{SessionId, UserId};
use crate::model::User;

/// Why a change to an account or a membership was refused although the caller may make such
/// changes: the result would leave the organisation or a team without anyone in charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("this member is the team's last owner: make another member owner first")]
    LastOwner,
    #[error("you cannot disable your own account")]
    DisableSelf,
    #[error("this is the last active organisation admin: it cannot be disabled")]
    LastOrgAdmin,
}

impl Refusal {
    /// The stable `code` of the API's error body.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::LastOwner => "last_owner",
            Refusal::DisableSelf => "cannot_disable_self",
            Refusal::LastOrgAdmin => "last_org_admin",
        }
    }
}

/// A membership change (`new_role: None` removes the member) may not take the owner role from
/// a team's last active owner. `before` is the member's role now (`None`: not a member);
/// `other_active_owners` counts the team's owners other than this member whose accounts are
/// not disabled. Teams that never had an owner member (managed by org admins) are unaffected.
pub fn check_member_change(
    before: Option<Role>, new_role: Option<Role>, other_active_owners: usize,
) -> Result<(), Refusal> {
    let loses_owner = before == Some(Role::Owner) && new_role != Some(Role::Owner);
    if loses_owner && other_active_owners == 0 {
        return Err(Refusal::LastOwner);
    }
    Ok(())
}

/// Disabling `target`: never one's own account (an admin would lock themselves out), and
/// never the last organisation admin who can still sign in (nobody could enable anyone
/// again). `other_active_org_admins` counts org admins other than `target` not disabled.
pub fn check_disable(
    actor: Option<UserId>, target: &User, other_active_org_admins: usize,
) -> Result<(), Refusal> {
    if actor == Some(target.id) {
        return Err(Refusal::DisableSelf);
    }
    if target.org_admin && other_active_org_admins == 0 {
        return Err(Refusal::LastOrgAdmin);
    }
    Ok(())
}

/// The first organisation admin is created only on an empty database (no user at all), so a
/// restart, or a second node starting at once, never adds another.
pub fn needs_first_admin(users: u64) -> bool {
    users == 0
}

/// [`check_member_change`] from the team's owner rows as read (under lock on PostgreSQL):
/// each owner's id and whether its account is active. `user` is the member being changed.
pub fn check_member_change_among(
    user: UserId, before: Option<Role>, new_role: Option<Role>, owners: &[(UserId, bool)],
) -> Result<(), Refusal> {
    let others = owners
        .iter()
        .filter(|(id, active)| *id != user && *active)
        .count();
    check_member_change(before, new_role, others)
}

/// What a request to disable or enable a user writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisableChange {
    /// Clear `disabled_at`.
    Enable,
    /// Already disabled: keep its first `disabled_at`, write nothing.
    Unchanged,
    /// Set `disabled_at` to now and end every session of the user.
    Disable,
}

/// Decide a disable (`disable: true`) or enable of `target` by `actor`; `active_org_admins`
/// are the ids of the org admins not disabled (read under lock on PostgreSQL; only needed
/// to disable).
pub fn plan_disable(
    actor: Option<UserId>, target: &User, disable: bool, active_org_admins: &[UserId],
) -> Result<DisableChange, Refusal> {
    if !disable {
        return Ok(DisableChange::Enable);
    }
    if target.disabled {
        return Ok(DisableChange::Unchanged);
    }
    let others = active_org_admins
        .iter()
        .filter(|a| **a != target.id)
        .count();
    check_disable(actor, target, others)?;
    Ok(DisableChange::Disable)
}

/// How a password may be changed, or `None` when the caller may not change it at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordChange {
    /// One's own: the current password is required, and every other session ends.
    Own,
    /// An organisation admin sets another user's password: no old password, and every
    /// session of that user ends (whoever held it is signed out).
    AdminReset,
}

impl PasswordChange {
    /// Who may change `target`'s password: its user (always with the current password, even
    /// an org admin, so a borrowed session cannot take the account over), or an org admin.
    pub fn decide(caller: Option<UserId>, caller_org_admin: bool, target: UserId) -> Option<Self> {
        if caller == Some(target) {
            Some(PasswordChange::Own)
        } else if caller_org_admin {
            Some(PasswordChange::AdminReset)
        } else {
            None
        }
    }

    /// The session that survives the change: the caller's current one for its own password.
    pub fn keeps(self, current: Option<SessionId>) -> Option<SessionId> {
        match self {
            PasswordChange::Own => current,
            PasswordChange::AdminReset => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(org_admin: bool) -> User {
        User {
            id: UserId::new(),
            username: "u".into(),
            email: "u@example.com".into(),
            org_admin,
            created_at: chrono::Utc::now(),
            disabled: false,
            disabled_at: None,
        }
    }

    #[test]
    fn the_last_owner_keeps_the_role() {
        use Role::*;
        assert_eq!(
            check_member_change(Some(Owner), Some(Admin), 0),
            Err(Refusal::LastOwner)
        );
        assert_eq!(
            check_member_change(Some(Owner), None, 0),
            Err(Refusal::LastOwner)
        );
        assert_eq!(check_member_change(Some(Owner), Some(Owner), 0), Ok(()));
        assert_eq!(check_member_change(Some(Owner), Some(Observer), 1), Ok(()));
        assert_eq!(check_member_change(Some(Admin), None, 0), Ok(()));
        assert_eq!(check_member_change(None, Some(Observer), 0), Ok(()));
    }

    #[test]
    fn nobody_disables_themselves_or_the_last_org_admin() {
        let (admin, plain) = (user(true), user(false));
        assert_eq!(
            check_disable(Some(plain.id), &plain, 3),
            Err(Refusal::DisableSelf)
        );
        assert_eq!(check_disable(None, &admin, 0), Err(Refusal::LastOrgAdmin));
        assert_eq!(check_disable(None, &admin, 1), Ok(()));
        assert_eq!(check_disable(Some(admin.id), &plain, 0), Ok(()));
        assert_eq!(Refusal::LastOwner.code(), "last_owner");
    }

    #[test]
    fn only_an_empty_database_gets_a_first_admin() {
        assert!(needs_first_admin(0));
        assert!(!needs_first_admin(1));
    }

    #[test]
    fn the_last_owner_is_counted_from_the_owner_rows() {
        let (me, other) = (UserId::new(), UserId::new());
        let owners = [(me, true), (other, false)];
        // The other owner is disabled: it does not count.
        assert_eq!(
            check_member_change_among(me, Some(Role::Owner), None, &owners),
            Err(Refusal::LastOwner)
        );
        let owners = [(me, true), (other, true)];
        assert_eq!(
            check_member_change_among(me, Some(Role::Owner), Some(Role::Admin), &owners),
            Ok(())
        );
        assert_eq!(
            check_member_change_among(other, Some(Role::Owner), None, &[(other, true)]),
            Err(Refusal::LastOwner)
        );
    }

    #[test]
    fn disabling_is_planned_once_and_keeps_the_first_time() {
        let (admin, plain) = (user(true), user(false));
        assert_eq!(
            plan_disable(None, &admin, false, &[]),
            Ok(DisableChange::Enable)
        );
        let gone = User {
            disabled: true,
            disabled_at: Some(chrono::Utc::now()),
            ..plain.clone()
        };
        assert_eq!(
            plan_disable(None, &gone, true, &[]),
            Ok(DisableChange::Unchanged)
        );
        // The target itself among the active admins does not count as another.
        assert_eq!(
            plan_disable(None, &admin, true, &[admin.id]),
            Err(Refusal::LastOrgAdmin)
        );
        assert_eq!(
            plan_disable(None, &admin, true, &[admin.id, UserId::new()]),
            Ok(DisableChange::Disable)
        );
        assert_eq!(
            plan_disable(Some(plain.id), &plain, true, &[admin.id]),
            Err(Refusal::DisableSelf)
        );
    }

    #[test]
    fn passwords_are_changed_by_their_user_or_reset_by_an_org_admin() {
        let (me, other, s) = (UserId::new(), UserId::new(), SessionId::new());
        assert_eq!(
            PasswordChange::decide(Some(me), true, me),
            Some(PasswordChange::Own)
        );
        assert_eq!(
            PasswordChange::decide(Some(me), true, other),
            Some(PasswordChange::AdminReset)
        );
        assert_eq!(
            PasswordChange::decide(None, true, other),
            Some(PasswordChange::AdminReset)
        );
        assert_eq!(PasswordChange::decide(Some(me), false, other), None);
        assert_eq!(PasswordChange::Own.keeps(Some(s)), Some(s));
        assert_eq!(PasswordChange::AdminReset.keeps(Some(s)), None);
    }
}
