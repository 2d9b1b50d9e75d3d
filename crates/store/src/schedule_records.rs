//! Building and checking schedule records, shared by both backends so each only runs SQL.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use tocsin_core::schedule::records::{
    names_user, CalendarFeed, FeedOf, Schedule, ScheduleOverride,
};
use tocsin_core::schedule::ScheduleRules;
use tocsin_core::{CalendarFeedId, OverrideId, ScheduleId, TeamId, UserId};

use crate::StoreError;

fn now() -> DateTime<Utc> {
    crate::records::now_micros()
}

pub fn schedule(team: TeamId, name: &str, rules: &ScheduleRules) -> Schedule {
    let at = now();
    Schedule {
        id: ScheduleId::new(),
        team_id: team,
        name: name.to_owned(),
        rules: rules.clone(),
        created_at: at,
        updated_at: at,
    }
}

pub fn updated_schedule(old: Schedule, name: &str, rules: &ScheduleRules) -> Schedule {
    Schedule {
        name: name.to_owned(),
        rules: rules.clone(),
        updated_at: now().max(old.created_at),
        ..old
    }
}

pub fn schedule_override(
    schedule: ScheduleId, user: UserId, start: DateTime<Utc>, end: DateTime<Utc>,
) -> ScheduleOverride {
    ScheduleOverride {
        id: OverrideId::new(),
        schedule_id: schedule,
        user_id: user,
        start,
        end,
        created_at: now(),
    }
}

pub fn feed(of: FeedOf) -> CalendarFeed {
    CalendarFeed {
        id: CalendarFeedId::new(),
        of,
        created_at: now(),
    }
}

/// A feed row's owner: exactly one of the two columns is set.
pub fn feed_of(schedule: Option<ScheduleId>, user: Option<UserId>) -> Result<FeedOf, StoreError> {
    match (schedule, user) {
        (Some(s), None) => Ok(FeedOf::Schedule(s)),
        (None, Some(u)) => Ok(FeedOf::User(u)),
        _ => Err(StoreError::Other("a calendar feed of no one".into())),
    }
}

/// The (schedule, user) columns of a feed.
pub fn feed_cols(of: FeedOf) -> (Option<ScheduleId>, Option<UserId>) {
    match of {
        FeedOf::Schedule(s) => (Some(s), None),
        FeedOf::User(u) => (None, Some(u)),
    }
}

pub fn rules_json(rules: &ScheduleRules) -> Result<String, StoreError> {
    serde_json::to_string(rules).map_err(|e| StoreError::Other(format!("schedule rules: {e}")))
}

pub fn parse_rules(text: &str) -> Result<ScheduleRules, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Other(format!("stored schedule rules: {e}")))
}

/// Every participant must be a user; `exists` answers for one. The first that is not is
/// named by its JSON path.
pub fn check_participants(
    rules: &ScheduleRules, mut exists: impl FnMut(UserId) -> Result<bool, StoreError>,
) -> Result<(), StoreError> {
    let mut seen = HashSet::new();
    for (i, layer) in rules.layers.iter().enumerate() {
        for (j, u) in layer.participants.iter().enumerate() {
            if seen.insert(*u) && !exists(*u)? {
                return Err(StoreError::Invalid {
                    field: format!("layers[{i}].participants[{j}]"),
                    detail: format!("there is no user {u}"),
                });
            }
        }
    }
    Ok(())
}

/// Refused (409) when one of a team's policies (`(name, rules)`) names `schedule`.
pub fn check_schedule_unused(
    policies: impl IntoIterator<Item = (String, String)>, schedule: ScheduleId,
) -> Result<(), StoreError> {
    for (name, rules) in policies {
        if crate::records::parse_rules(&rules)?.names_schedule(schedule) {
            return Err(StoreError::Conflict(format!(
                "the escalation policy {name:?} names this schedule; change the policy first"
            )));
        }
    }
    Ok(())
}

/// A user's feed: the schedules naming them or overriding for them (`overriding`), each with
/// its overrides.
pub fn of_user(
    all: Vec<Schedule>, overriding: &HashSet<ScheduleId>, user: UserId,
) -> Vec<Schedule> {
    all.into_iter()
        .filter(|s| overriding.contains(&s.id) || names_user(&s.rules, user))
        .collect()
}

pub fn override_user_missing(user: UserId) -> StoreError {
    StoreError::Invalid {
        field: "user_id".into(),
        detail: format!("there is no user {user}"),
    }
}

pub fn name_taken(name: &str) -> impl FnOnce() -> String + '_ {
    move || format!("the team already has a schedule named {name:?}")
}
