//! Schedules as stored: the records the stores read and write, and the horizons the API and
//! the engine evaluate schedules over (one place, so the API's answers and the engine's agree).

use chrono::{DateTime, Duration, Utc};

use super::{Override, ScheduleRules};
use crate::ids::{CalendarFeedId, OverrideId, ScheduleId, TeamId, UserId};

/// Gaps are reported over this long from now when a schedule is saved or shown.
pub const GAP_HORIZON_DAYS: i64 = 14;
/// "On call until" looks this far ahead for the next hand-off.
pub const UNTIL_HORIZON_DAYS: i64 = 366;
/// A calendar feed covers shifts from this long ago…
pub const FEED_PAST_DAYS: i64 = 7;
/// …to this long ahead.
pub const FEED_AHEAD_DAYS: i64 = 60;

/// A team's schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub id: ScheduleId,
    pub team_id: TeamId,
    pub name: String,
    pub rules: ScheduleRules,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// "`user_id` instead, from `start` to `end`" on one schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleOverride {
    pub id: OverrideId,
    pub schedule_id: ScheduleId,
    pub user_id: UserId,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl ScheduleOverride {
    /// What evaluation needs of it.
    pub fn rule(&self) -> Override {
        Override {
            user: self.user_id,
            start: self.start,
            end: self.end,
        }
    }
}

/// Whose shifts a secret calendar feed shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeedOf {
    Schedule(ScheduleId),
    /// The user's own shifts, on every schedule they appear in.
    User(UserId),
}

/// A live (not revoked) calendar feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CalendarFeed {
    pub id: CalendarFeedId,
    pub of: FeedOf,
    pub created_at: DateTime<Utc>,
}

/// Why an override was refused, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}`: {detail}")]
pub struct OverrideError {
    pub field: &'static str,
    pub detail: &'static str,
}

/// An override must end after it starts and last at most [`super::MAX_RANGE_DAYS`].
pub fn check_override(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<(), OverrideError> {
    if end <= start {
        return Err(OverrideError {
            field: "end",
            detail: "must be after `start`",
        });
    }
    if end - start > Duration::days(super::MAX_RANGE_DAYS) {
        return Err(OverrideError {
            field: "end",
            detail: "an override lasts at most 366 days",
        });
    }
    Ok(())
}

/// Whether the rules name `user` in any layer (whose feed then shows this schedule).
pub fn names_user(rules: &ScheduleRules, user: UserId) -> bool {
    rules.layers.iter().any(|l| l.participants.contains(&user))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_override_ends_after_it_starts_and_is_bounded() {
        let t = DateTime::from_timestamp(1_800_000_000, 0).expect("an instant");
        assert_eq!(check_override(t, t + Duration::hours(1)), Ok(()));
        assert_eq!(check_override(t, t).map_err(|e| e.field), Err("end"));
        assert_eq!(
            check_override(t, t - Duration::hours(1)).map_err(|e| e.field),
            Err("end")
        );
        assert!(check_override(t, t + Duration::days(367)).is_err());
    }
}
