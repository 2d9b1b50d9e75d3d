//! On-call schedules: who is on call at any instant, as pure functions of the rules.
//!
//! A schedule has a time zone and layers. A layer rotates through its participants, handing
//! over every `length` hours, days or weeks from its start (a local date and time in the
//! schedule's zone); optional restrictions limit it to local time windows on some days of the
//! week. Where several layers cover an instant the last one wins (PagerDuty's rule), and an
//! override beats every layer.
//!
//! All instants are UTC; all rules are local time, interpreted with jiff and its bundled time
//! zone database. Daily and weekly hand-offs happen at the same *local* time every day, across
//! daylight-saving changes; a local time that does not exist that day (the hour skipped in
//! spring) is taken as the instant just after the gap, and one that happens twice (autumn) as
//! the first — jiff's "compatible" rule, the one RFC 5545 calendars use. Hourly rotations count
//! real hours.

pub mod ical;
pub(crate) mod layer;
pub mod records;
mod resolve;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::UserId;

pub use layer::Compiled;
pub use resolve::{Shift, Span};

/// A schedule has at most this many layers.
pub const MAX_LAYERS: usize = 10;
/// A layer has at most this many participants.
pub const MAX_PARTICIPANTS: usize = 100;
/// Shifts are computed over at most this long a range, so one request stays bounded.
pub const MAX_RANGE_DAYS: i64 = 366;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RotationUnit {
    Hour,
    Day,
    Week,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rotation {
    pub unit: RotationUnit,
    /// Hand over every `length` units (1 or more).
    pub length: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

/// The layer applies on `days`, from `from` to `to` local time (`"HH:MM"`); a window whose
/// `to` is not after `from` runs past midnight into the next day (`"00:00"`–`"00:00"`: the
/// whole day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Restriction {
    pub days: Vec<Day>,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    pub name: String,
    /// In rotation order.
    pub participants: Vec<UserId>,
    pub rotation: Rotation,
    /// The first hand-off, local time in the schedule's zone: `YYYY-MM-DDTHH:MM:SS`.
    pub start: String,
    #[serde(default)]
    pub restrictions: Vec<Restriction>,
}

/// The rules of a schedule, as the API takes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScheduleRules {
    /// An IANA time zone name, e.g. `Europe/Berlin`.
    pub time_zone: String,
    pub layers: Vec<Layer>,
}

/// "`user` instead, from `start` to `end`."
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    pub user: UserId,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Why schedule rules were refused; [`ScheduleError::field`] names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("{0:?} is not an IANA time zone name (e.g. Europe/Berlin)")]
    TimeZone(String),
    #[error("a schedule needs 1 to {MAX_LAYERS} layers")]
    Layers,
    #[error("layers[{0}].name must be 1 to 100 characters")]
    Name(usize),
    #[error("layers[{0}].participants must name 1 to {MAX_PARTICIPANTS} users")]
    Participants(usize),
    #[error("layers[{0}].rotation.length must be 1 to 365 (hours: to 8760)")]
    Length(usize),
    #[error("layers[{0}].start must be a local date and time YYYY-MM-DDTHH:MM:SS")]
    Start(usize),
    #[error("layers[{0}].restrictions[{1}] needs days and HH:MM from/to")]
    Restriction(usize, usize),
}

impl ScheduleError {
    pub fn field(&self) -> String {
        match self {
            ScheduleError::TimeZone(_) => "time_zone".into(),
            ScheduleError::Layers => "layers".into(),
            ScheduleError::Name(i) => format!("layers[{i}].name"),
            ScheduleError::Participants(i) => format!("layers[{i}].participants"),
            ScheduleError::Length(i) => format!("layers[{i}].rotation.length"),
            ScheduleError::Start(i) => format!("layers[{i}].start"),
            ScheduleError::Restriction(i, j) => format!("layers[{i}].restrictions[{j}]"),
        }
    }
}

impl ScheduleRules {
    /// Validate and prepare for evaluation: every check a schedule gets before it is stored.
    pub fn compile(&self) -> Result<Compiled, ScheduleError> {
        Compiled::new(self)
    }
}

/// One layer's own rotation over a range, before stacking and overrides: the rows of a
/// schedule's timeline above its final result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LayerShifts {
    pub layer: String,
    pub shifts: Vec<Shift>,
}

/// Each layer alone over `[from, to)`, in the schedule's order: every layer is compiled as a
/// schedule of its own, so its shifts follow exactly the rules the final result does.
pub fn layer_shifts(
    rules: &ScheduleRules, from: DateTime<Utc>, to: DateTime<Utc>,
) -> Result<Vec<LayerShifts>, ScheduleError> {
    rules
        .layers
        .iter()
        .map(|l| {
            let alone = ScheduleRules {
                time_zone: rules.time_zone.clone(),
                layers: vec![l.clone()],
            };
            Ok(LayerShifts {
                layer: l.name.clone(),
                shifts: alone.compile()?.shifts(&[], from, to),
            })
        })
        .collect()
}

/// How far ahead the paging engine looks for a schedule's next hand-off.
pub const HANDOFF_HORIZON_DAYS: i64 = 30;

/// Who is on call at `at` and until when (the next hand-off within
/// [`HANDOFF_HORIZON_DAYS`]): what the paging engine asks when a step names the schedule.
pub fn on_call_until(
    rules: &ScheduleRules, overrides: &[Override], at: DateTime<Utc>,
) -> Result<(Vec<UserId>, Option<DateTime<Utc>>), ScheduleError> {
    let c = rules.compile()?;
    Ok((
        c.on_call_at(overrides, at),
        c.until(overrides, at, chrono::Duration::days(HANDOFF_HORIZON_DAYS)),
    ))
}

/// A range of instants, checked: `from < to`, at most [`MAX_RANGE_DAYS`] long.
pub fn check_range(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(), &'static str> {
    if to <= from {
        return Err("`to` must be after `from`");
    }
    if to - from > chrono::Duration::days(MAX_RANGE_DAYS) {
        return Err("the range is at most 366 days");
    }
    Ok(())
}
