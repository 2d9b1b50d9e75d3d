//! Maintenance windows (issue 18): whether an instant falls in one of a service's windows.
//!
//! A one-off window runs from `start` to `end` (or until someone ends it). A weekly window
//! repeats its first occurrence every week at the same wall-clock times in its time zone, so
//! "Sunday 02:00–04:00 Europe/Berlin" stays that across daylight-saving changes; a local time
//! that does not exist or happens twice is read as jiff's `compatible` does (as RFC 5545 and
//! most calendars): after the gap, the first of the two. Ending a window early sets `ended_at`:
//! from then on it covers nothing, whatever its own end.

use chrono::{DateTime, Utc};
use jiff::civil;
use jiff::tz::TimeZone;
use jiff::ToSpan;
use serde::{Deserialize, Serialize};

use crate::schedule::layer::{to_chrono, to_jiff};

/// A window as the API takes it (`POST /api/v1/services/{id}/maintenance-windows`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowSpec {
    pub start: DateTime<Utc>,
    /// `null`: until someone ends it (not for a weekly window).
    pub end: Option<DateTime<Utc>>,
    /// IANA name; the weekly repetition follows its wall clock. Default `UTC`.
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub weekly: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("end: must be after start")]
    EndBeforeStart,
    #[error("end: a weekly window needs an end, less than a week after its start")]
    WeeklyLength,
    #[error("time_zone: {0:?} is not an IANA time zone")]
    TimeZone(String),
}

/// A validated window, with when it was ended early if it was.
#[derive(Debug, Clone)]
pub struct Window {
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    weekly: Option<Weekly>,
    ended_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
struct Weekly {
    tz: TimeZone,
    from: civil::DateTime,
    to: civil::DateTime,
}

impl Window {
    pub fn new(spec: &WindowSpec, ended_at: Option<DateTime<Utc>>) -> Result<Self, WindowError> {
        if spec.end.is_some_and(|e| e <= spec.start) {
            return Err(WindowError::EndBeforeStart);
        }
        let zone = spec.time_zone.as_deref().unwrap_or("UTC").trim();
        let tz = TimeZone::get(zone)
            .map_err(|_| WindowError::TimeZone(zone.chars().take(64).collect()))?;
        let weekly = if spec.weekly {
            let end = spec.end.ok_or(WindowError::WeeklyLength)?;
            if end - spec.start >= chrono::Duration::days(7) {
                return Err(WindowError::WeeklyLength);
            }
            Some(Weekly {
                from: tz.to_datetime(to_jiff(spec.start)),
                to: tz.to_datetime(to_jiff(end)),
                tz,
            })
        } else {
            None
        };
        Ok(Self {
            start: spec.start,
            end: spec.end,
            weekly,
            ended_at,
        })
    }

    /// Whether `at` is inside the window (start inclusive, end exclusive).
    pub fn covers(&self, at: DateTime<Utc>) -> bool {
        self.covering_start(at).is_some()
    }

    /// When the occurrence covering `at` began (the window's start, or this week's repetition
    /// of it), or `None` when `at` is outside the window. Repeats of a suppressed alert join
    /// its incident only within one occurrence, so last week's is never joined.
    pub fn covering_start(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if at < self.start || self.ended_at.is_some_and(|e| at >= e) {
            return None;
        }
        let Some(w) = &self.weekly else {
            return self.end.is_none_or(|e| at < e).then_some(self.start);
        };
        // Weeks since the first occurrence, give or take one for DST shifts.
        let k = (at - self.start).num_weeks();
        (k.saturating_sub(1)..=k.saturating_add(1)).find_map(|k| {
            w.occurrence(k)
                .filter(|(from, to)| *from <= at && at < *to)
                .map(|(from, _)| from)
        })
    }

    /// Whether the window can cover anything at or after `at` (so a store need not keep
    /// loading it into the ingest path's cache).
    pub fn is_over(&self, at: DateTime<Utc>) -> bool {
        self.ended_at.is_some_and(|e| e <= at)
            || (self.weekly.is_none() && self.end.is_some_and(|e| e <= at))
    }
}

impl Weekly {
    /// The `k`th repetition (0 the first) as UTC instants.
    fn occurrence(&self, k: i64) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let shift = k.checked_mul(7)?.days();
        let at = |local: civil::DateTime| -> Option<DateTime<Utc>> {
            let moved = local.checked_add(shift).ok()?;
            let ts = self.tz.to_ambiguous_timestamp(moved).compatible().ok()?;
            Some(to_chrono(ts))
        };
        Some((at(self.from)?, at(self.to)?))
    }
}

#[cfg(test)]
#[path = "windows_tests.rs"]
mod tests;
