//! On-call schedules' storage: schedules (team-owned, like escalation policies), their
//! overrides, and the secret calendar feeds. Who is on call is core's
//! (`tocsin_core::schedule`): a store reads and writes rules and overrides, and checks only
//! what needs the database (a name taken, a user that does not exist, a schedule a policy
//! names). Each backend implements each trait in a file of its own; the SQL both dialects
//! share is in `schedule_sql`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tocsin_core::model::Scope;
use tocsin_core::schedule::records::{CalendarFeed, FeedOf, Schedule, ScheduleOverride};
use tocsin_core::schedule::{Override, ScheduleRules};
use tocsin_core::{OverrideId, ScheduleId, TeamId, UserId};

use crate::StoreError;

/// A team's schedules. `rules` reach a store compiled by core already (`ScheduleRules::compile`).
#[async_trait]
pub trait ScheduleStore: Send + Sync + 'static {
    /// Conflict when the team has a schedule of that name; invalid, naming
    /// `layers[i].participants[j]`, when a participant is not a user.
    async fn create_schedule(
        &self, scope: &Scope, team: TeamId, name: &str, rules: &ScheduleRules,
    ) -> Result<Schedule, StoreError>;
    async fn list_schedules(
        &self, scope: &Scope, team: Option<TeamId>,
    ) -> Result<Vec<Schedule>, StoreError>;
    async fn get_schedule(&self, scope: &Scope, id: ScheduleId) -> Result<Schedule, StoreError>;
    /// Replaces name and rules, checked as on creation.
    async fn update_schedule(
        &self, scope: &Scope, id: ScheduleId, name: &str, rules: &ScheduleRules,
    ) -> Result<Schedule, StoreError>;
    /// Refused (409) while an escalation policy names it; its overrides and feeds go with it.
    async fn delete_schedule(&self, scope: &Scope, id: ScheduleId) -> Result<(), StoreError>;
    /// For a user's calendar feed (no scope: the feed's secret is the credential): every
    /// schedule whose layers name `user` or that has an override for them ending after
    /// `after`, each with its overrides ending after `after`.
    async fn schedules_of_user(
        &self, user: UserId, after: DateTime<Utc>,
    ) -> Result<Vec<(Schedule, Vec<Override>)>, StoreError>;
}

/// A schedule's overrides; the schedule must be within `scope` (not found otherwise).
#[async_trait]
pub trait OverrideStore: Send + Sync + 'static {
    /// `start`/`end` were checked by core (`check_override`); invalid, naming `user_id`, when
    /// the user does not exist.
    async fn create_override(
        &self, scope: &Scope, schedule: ScheduleId, user: UserId, start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<ScheduleOverride, StoreError>;
    /// Those ending after `after`, by start.
    async fn list_overrides(
        &self, scope: &Scope, schedule: ScheduleId, after: DateTime<Utc>,
    ) -> Result<Vec<ScheduleOverride>, StoreError>;
    async fn delete_override(
        &self, scope: &Scope, schedule: ScheduleId, id: OverrideId,
    ) -> Result<(), StoreError>;
}

/// Secret calendar feeds, stored as the SHA-256 of their token (like API tokens). One live
/// feed per schedule or user: making a new one revokes the one before.
#[async_trait]
pub trait CalendarFeedStore: Send + Sync + 'static {
    /// The caller has checked the right to do so (a schedule's team admin; the user or an
    /// org admin). Not found when the schedule or user does not exist.
    async fn create_calendar_feed(
        &self, of: FeedOf, hash: [u8; 32],
    ) -> Result<CalendarFeed, StoreError>;
    /// Revokes the live feed, if any; returns whether there was one.
    async fn revoke_calendar_feed(&self, of: FeedOf) -> Result<bool, StoreError>;
    /// The live feed with this token hash (none when unknown or revoked).
    async fn calendar_feed_by_hash(
        &self, hash: [u8; 32],
    ) -> Result<Option<CalendarFeed>, StoreError>;
}
