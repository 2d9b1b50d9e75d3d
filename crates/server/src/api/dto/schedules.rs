//! Schedules' response shapes: a schedule with the gaps of its rotation, overrides, who is on
//! call, shifts, and the secret calendar URL (shown once).

use chrono::{DateTime, Utc};
use serde::Serialize;
use tocsin_core::schedule::records;
use tocsin_core::schedule::{Layer, Span};
use tocsin_core::{OverrideId, ScheduleId, TeamId, UserId};
use utoipa::ToSchema;

/// A team's on-call schedule.
#[derive(Debug, Serialize, ToSchema)]
pub struct Schedule {
    pub id: ScheduleId,
    pub team_id: TeamId,
    pub name: String,
    /// IANA time zone name; every layer's `start` and restriction is local time there.
    pub time_zone: String,
    pub layers: Vec<Layer>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Where nobody is on call over the next 14 days from now, by the layers alone
    /// (overrides not counted): what the rotation leaves uncovered.
    pub gaps: Vec<Span>,
}

impl Schedule {
    pub fn new(s: records::Schedule, gaps: Vec<Span>) -> Self {
        let records::Schedule {
            id,
            team_id,
            name,
            rules,
            created_at,
            updated_at,
        } = s;
        Self {
            id,
            team_id,
            name,
            time_zone: rules.time_zone,
            layers: rules.layers,
            created_at,
            updated_at,
            gaps,
        }
    }
}

/// "`user_id` instead, from `start` to `end`."
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleOverride {
    pub id: OverrideId,
    pub user_id: UserId,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl From<records::ScheduleOverride> for ScheduleOverride {
    fn from(o: records::ScheduleOverride) -> Self {
        let records::ScheduleOverride {
            id,
            schedule_id: _,
            user_id,
            start,
            end,
            created_at,
        } = o;
        Self {
            id,
            user_id,
            start,
            end,
            created_at,
        }
    }
}

/// A user on call.
#[derive(Debug, Serialize, ToSchema)]
pub struct OnCallUser {
    pub id: UserId,
    pub username: String,
}

/// Who is on call at an instant, and until when.
#[derive(Debug, Serialize, ToSchema)]
pub struct OnCall {
    /// Empty in a gap; otherwise one user (the last layer covering the instant wins, an
    /// override beats every layer).
    pub users: Vec<OnCallUser>,
    /// The next hand-off (when the answer changes), looking up to 366 days ahead; null when
    /// nothing changes within that.
    pub until: Option<DateTime<Utc>>,
}

/// A secret calendar URL, shown in this answer only.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarFeedUrl {
    /// `{public_url}/calendar/<token>.ics`: anyone holding it reads the feed, without signing
    /// in. Making a new one, or `DELETE`, revokes the previous.
    pub url: String,
}
