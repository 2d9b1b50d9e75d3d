//! One layer's rotation and restrictions, evaluated at instants with jiff.

use chrono::{DateTime, Utc};
use jiff::civil::{self, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};

use super::{Day, RotationUnit, ScheduleError, ScheduleRules};
use crate::ids::UserId;

/// A validated schedule, ready to answer "who is on call".
#[derive(Debug, Clone)]
pub struct Compiled {
    pub(super) tz: TimeZone,
    pub(super) layers: Vec<CLayer>,
}

#[derive(Debug, Clone)]
pub(super) struct CLayer {
    pub name: String,
    pub participants: Vec<UserId>,
    unit: RotationUnit,
    length: i64,
    start: civil::DateTime,
    start_ts: Timestamp,
    windows: Vec<Window>,
}

#[derive(Debug, Clone)]
struct Window {
    days: Vec<Weekday>,
    from: civil::Time,
    to: civil::Time,
}

fn weekday(d: Day) -> Weekday {
    match d {
        Day::Mon => Weekday::Monday,
        Day::Tue => Weekday::Tuesday,
        Day::Wed => Weekday::Wednesday,
        Day::Thu => Weekday::Thursday,
        Day::Fri => Weekday::Friday,
        Day::Sat => Weekday::Saturday,
        Day::Sun => Weekday::Sunday,
    }
}

fn hhmm(s: &str) -> Option<civil::Time> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    civil::Time::new(h.parse().ok()?, m.parse().ok()?, 0, 0).ok()
}

pub(crate) fn to_jiff(t: DateTime<Utc>) -> Timestamp {
    Timestamp::from_microsecond(t.timestamp_micros()).unwrap_or(Timestamp::MIN)
}

pub(crate) fn to_chrono(t: Timestamp) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.as_microsecond()).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

impl Compiled {
    pub(super) fn new(rules: &ScheduleRules) -> Result<Compiled, ScheduleError> {
        let tz = TimeZone::get(rules.time_zone.trim())
            .map_err(|_| ScheduleError::TimeZone(rules.time_zone.chars().take(64).collect()))?;
        if rules.layers.is_empty() || rules.layers.len() > super::MAX_LAYERS {
            return Err(ScheduleError::Layers);
        }
        let mut layers = Vec::with_capacity(rules.layers.len());
        for (i, l) in rules.layers.iter().enumerate() {
            let name = l.name.trim();
            if name.is_empty() || name.chars().count() > 100 {
                return Err(ScheduleError::Name(i));
            }
            if l.participants.is_empty() || l.participants.len() > super::MAX_PARTICIPANTS {
                return Err(ScheduleError::Participants(i));
            }
            let max = match l.rotation.unit {
                RotationUnit::Hour => 8760,
                RotationUnit::Day | RotationUnit::Week => 365,
            };
            if l.rotation.length == 0 || l.rotation.length > max {
                return Err(ScheduleError::Length(i));
            }
            let start: civil::DateTime = l
                .start
                .trim()
                .parse()
                .map_err(|_| ScheduleError::Start(i))?;
            let start_ts = tz
                .to_ambiguous_timestamp(start)
                .compatible()
                .map_err(|_| ScheduleError::Start(i))?;
            let mut windows = Vec::new();
            for (j, r) in l.restrictions.iter().enumerate() {
                let bad = || ScheduleError::Restriction(i, j);
                let (from, to) = (hhmm(&r.from).ok_or_else(bad)?, hhmm(&r.to).ok_or_else(bad)?);
                if r.days.is_empty() {
                    return Err(bad());
                }
                windows.push(Window {
                    days: r.days.iter().copied().map(weekday).collect(),
                    from,
                    to,
                });
            }
            layers.push(CLayer {
                name: name.to_owned(),
                participants: l.participants.clone(),
                unit: l.rotation.unit,
                length: i64::from(l.rotation.length),
                start,
                start_ts,
                windows,
            });
        }
        Ok(Compiled { tz, layers })
    }

    /// The local time of an instant, in the schedule's zone.
    pub(super) fn local(&self, t: Timestamp) -> civil::DateTime {
        self.tz.to_datetime(t)
    }

    pub(super) fn instant(&self, dt: civil::DateTime) -> Option<Timestamp> {
        self.tz.to_ambiguous_timestamp(dt).compatible().ok()
    }
}

impl CLayer {
    /// The `k`-th hand-off (k = 0 is the layer's start).
    pub(super) fn handoff(&self, c: &Compiled, k: i64) -> Option<Timestamp> {
        let n = k.checked_mul(self.length)?;
        match self.unit {
            RotationUnit::Hour => self
                .start_ts
                .checked_add(SignedDuration::from_hours(n))
                .ok(),
            RotationUnit::Day => c.instant(self.start.checked_add(n.days()).ok()?),
            RotationUnit::Week => c.instant(self.start.checked_add(n.checked_mul(7)?.days()).ok()?),
        }
    }

    fn nominal_seconds(&self) -> i64 {
        self.length
            * match self.unit {
                RotationUnit::Hour => 3600,
                RotationUnit::Day => 86_400,
                RotationUnit::Week => 7 * 86_400,
            }
    }

    /// Which turn of the rotation `t` falls in (None before the layer starts).
    pub(super) fn turn(&self, c: &Compiled, t: Timestamp) -> Option<i64> {
        if t < self.start_ts {
            return None;
        }
        let since = t.as_second() - self.start_ts.as_second();
        // A guess from the nominal length, then corrected: DST moves hand-offs by an hour.
        let mut k = since / self.nominal_seconds();
        while k > 0 && self.handoff(c, k).is_none_or(|h| h > t) {
            k -= 1;
        }
        while self.handoff(c, k + 1).is_some_and(|h| h <= t) {
            k += 1;
        }
        Some(k)
    }

    /// Who this layer puts on call at `t`, if it covers `t`.
    pub(super) fn on_call(&self, c: &Compiled, t: Timestamp) -> Option<UserId> {
        if !self.applies(c, t) {
            return None;
        }
        let k = self.turn(c, t)?;
        let n = i64::try_from(self.participants.len()).ok()?;
        let i = usize::try_from(k.rem_euclid(n)).ok()?;
        self.participants.get(i).copied()
    }

    /// The restriction windows `(start, end)` that touch the local days from `first` to
    /// `last`, as instants.
    pub(super) fn windows(
        &self, c: &Compiled, first: civil::Date, last: civil::Date,
    ) -> Vec<(Timestamp, Timestamp)> {
        let mut out = Vec::new();
        let Ok(mut day) = first.yesterday() else {
            return out;
        };
        while day <= last {
            for w in &self.windows {
                if !w.days.contains(&day.weekday()) {
                    continue;
                }
                let end_day = if w.to > w.from {
                    Some(day)
                } else {
                    day.tomorrow().ok()
                };
                let start = c.instant(day.to_datetime(w.from));
                let end = end_day.and_then(|d| c.instant(d.to_datetime(w.to)));
                if let (Some(s), Some(e)) = (start, end) {
                    if s < e {
                        out.push((s, e));
                    }
                }
            }
            match day.tomorrow() {
                Ok(d) => day = d,
                Err(_) => break,
            }
        }
        out
    }

    /// Whether the layer's restrictions let it cover `t` (no restriction: always).
    pub(super) fn applies(&self, c: &Compiled, t: Timestamp) -> bool {
        if self.windows.is_empty() {
            return true;
        }
        let today = c.local(t).date();
        self.windows(c, today, today)
            .iter()
            .any(|(s, e)| *s <= t && t < *e)
    }

    /// The instants in `[from, to)` where this layer may change who it puts on call.
    pub(super) fn boundaries(
        &self, c: &Compiled, from: Timestamp, to: Timestamp,
    ) -> Vec<Timestamp> {
        let mut out = Vec::new();
        let mut k = self.turn(c, from).unwrap_or(0);
        while let Some(h) = self.handoff(c, k) {
            if h >= to {
                break;
            }
            if h >= from {
                out.push(h);
            }
            k += 1;
        }
        if !self.windows.is_empty() {
            let (first, last) = (c.local(from).date(), c.local(to).date());
            for (s, e) in self.windows(c, first, last) {
                out.extend([s, e].into_iter().filter(|x| *x >= from && *x < to));
            }
        }
        out
    }

    pub(super) fn start_ts(&self) -> Timestamp {
        self.start_ts
    }
}
