//! The final result: layers stacked (the last wins), overrides on top, as shifts over a range.
//!
//! Shifts are found by evaluating "who is on call" once per elementary interval between every
//! instant where anything could change (hand-offs, restriction edges, override edges), then
//! merging neighbours with the same answer. So "on call at t" and "the shifts over a range
//! holding t" are the same function by construction, which the property tests check anyway.

use chrono::{DateTime, Utc};
use jiff::Timestamp;
use serde::Serialize;

use super::layer::{to_chrono, to_jiff, Compiled};
use super::Override;
use crate::ids::UserId;

/// Who is on call over `[start, end)`, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Shift {
    pub user_id: UserId,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The layer's name; none for an override.
    pub layer: Option<String>,
    #[serde(rename = "override")]
    pub is_override: bool,
}

/// An interval with nobody on call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Span {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Who is on call at one instant: (user, layer index or None for an override).
type Answer = Option<(UserId, Option<usize>)>;

impl Compiled {
    fn answer(&self, overrides: &[Override], t: Timestamp) -> Answer {
        let tc = to_chrono(t);
        if let Some(o) = overrides.iter().rev().find(|o| o.start <= tc && tc < o.end) {
            return Some((o.user, None));
        }
        self.layers
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, l)| l.on_call(self, t).map(|u| (u, Some(i))))
    }

    /// The users on call at `at` (none in a gap; one otherwise, since the last layer wins).
    pub fn on_call_at(&self, overrides: &[Override], at: DateTime<Utc>) -> Vec<UserId> {
        self.answer(overrides, to_jiff(at))
            .map(|(u, _)| u)
            .into_iter()
            .collect()
    }

    /// Every instant in `(from, to)` where the answer may change, sorted, with `from` and `to`.
    fn boundaries(&self, overrides: &[Override], from: Timestamp, to: Timestamp) -> Vec<Timestamp> {
        let mut b = vec![from, to];
        for l in &self.layers {
            b.extend(l.boundaries(self, from, to));
            b.push(l.start_ts());
        }
        for o in overrides {
            b.extend([to_jiff(o.start), to_jiff(o.end)]);
        }
        b.retain(|t| *t >= from && *t <= to);
        b.sort();
        b.dedup();
        b
    }

    /// Elementary intervals of `[from, to)` with their answer, neighbours merged.
    fn intervals(
        &self, overrides: &[Override], from: DateTime<Utc>, to: DateTime<Utc>,
    ) -> Vec<(Timestamp, Timestamp, Answer)> {
        let (from, to) = (to_jiff(from), to_jiff(to));
        let mut out: Vec<(Timestamp, Timestamp, Answer)> = Vec::new();
        for w in self.boundaries(overrides, from, to).windows(2) {
            let (a, b) = (w[0], w[1]);
            let ans = self.answer(overrides, a);
            match out.last_mut() {
                Some(last) if last.2 == ans && last.1 == a => last.1 = b,
                _ => out.push((a, b, ans)),
            }
        }
        out
    }

    /// The final shifts over `[from, to)`, cut at the range's ends.
    pub fn shifts(
        &self, overrides: &[Override], from: DateTime<Utc>, to: DateTime<Utc>,
    ) -> Vec<Shift> {
        self.intervals(overrides, from, to)
            .into_iter()
            .filter_map(|(a, b, ans)| {
                let (user_id, layer) = ans?;
                Some(Shift {
                    user_id,
                    start: to_chrono(a),
                    end: to_chrono(b),
                    layer: layer
                        .and_then(|i| self.layers.get(i))
                        .map(|l| l.name.clone()),
                    is_override: layer.is_none(),
                })
            })
            .collect()
    }

    /// The intervals of `[from, to)` with nobody on call.
    pub fn gaps(
        &self, overrides: &[Override], from: DateTime<Utc>, to: DateTime<Utc>,
    ) -> Vec<Span> {
        self.intervals(overrides, from, to)
            .into_iter()
            .filter(|(_, _, ans)| ans.is_none())
            .map(|(a, b, _)| Span {
                start: to_chrono(a),
                end: to_chrono(b),
            })
            .collect()
    }

    /// When the answer at `at` next changes, looking at most `horizon` ahead (None: not
    /// within it).
    pub fn until(
        &self, overrides: &[Override], at: DateTime<Utc>, horizon: chrono::Duration,
    ) -> Option<DateTime<Utc>> {
        let end = at + horizon;
        self.intervals(overrides, at, end)
            .first()
            .map(|(_, b, _)| to_chrono(*b))
            .filter(|b| *b < end)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::super::{Day, Layer, Restriction, Rotation, RotationUnit, ScheduleRules};
    use super::*;

    fn users(n: usize) -> Vec<UserId> {
        (0..n).map(|_| UserId::new()).collect()
    }

    fn weekly(tz: &str, start: &str, people: &[UserId]) -> ScheduleRules {
        ScheduleRules {
            time_zone: tz.into(),
            layers: vec![Layer {
                name: "primary".into(),
                participants: people.to_vec(),
                rotation: Rotation {
                    unit: RotationUnit::Week,
                    length: 1,
                },
                start: start.into(),
                restrictions: vec![],
            }],
        }
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("a valid UTC time")
    }

    #[test]
    fn a_weekly_rotation_hands_over_at_local_nine_across_dst() {
        let p = users(2);
        // Monday 2026-03-23 09:00 Berlin (CET, UTC+1); DST starts Sunday 2026-03-29.
        let c = weekly("Europe/Berlin", "2026-03-23T09:00:00", &p)
            .compile()
            .expect("valid");
        let shifts = c.shifts(&[], utc(2026, 3, 23, 8, 0), utc(2026, 4, 6, 7, 0));
        let starts: Vec<_> = shifts.iter().map(|s| (s.user_id, s.start)).collect();
        assert_eq!(
            starts,
            vec![
                (p[0], utc(2026, 3, 23, 8, 0)),
                (p[1], utc(2026, 3, 30, 7, 0))
            ],
            "09:00 local is 08:00 UTC before the change and 07:00 UTC after"
        );
        assert_eq!(c.on_call_at(&[], utc(2026, 3, 30, 6, 59)), vec![p[0]]);
        assert_eq!(c.on_call_at(&[], utc(2026, 3, 30, 7, 0)), vec![p[1]]);
        assert_eq!(
            c.on_call_at(&[], utc(2026, 3, 23, 7, 59)),
            vec![],
            "before the start"
        );
    }

    #[test]
    fn the_last_layer_wins_and_overrides_beat_layers() {
        let p = users(3);
        let mut rules = weekly("UTC", "2026-01-05T00:00:00", &p[..1]);
        rules.layers.push(Layer {
            name: "nights".into(),
            participants: vec![p[1]],
            rotation: Rotation {
                unit: RotationUnit::Day,
                length: 1,
            },
            start: "2026-01-05T00:00:00".into(),
            restrictions: vec![Restriction {
                days: vec![
                    Day::Mon,
                    Day::Tue,
                    Day::Wed,
                    Day::Thu,
                    Day::Fri,
                    Day::Sat,
                    Day::Sun,
                ],
                from: "22:00".into(),
                to: "06:00".into(),
            }],
        });
        let c = rules.compile().expect("valid");
        assert_eq!(c.on_call_at(&[], utc(2026, 1, 6, 12, 0)), vec![p[0]]);
        assert_eq!(c.on_call_at(&[], utc(2026, 1, 6, 23, 0)), vec![p[1]]);
        assert_eq!(c.on_call_at(&[], utc(2026, 1, 7, 5, 59)), vec![p[1]]);
        let o = Override {
            user: p[2],
            start: utc(2026, 1, 6, 22, 30),
            end: utc(2026, 1, 6, 23, 30),
        };
        assert_eq!(c.on_call_at(&[o], utc(2026, 1, 6, 23, 0)), vec![p[2]]);
        let shifts = c.shifts(&[o], utc(2026, 1, 6, 21, 0), utc(2026, 1, 7, 1, 0));
        let summary: Vec<_> = shifts
            .iter()
            .map(|s| (s.user_id, s.start, s.is_override, s.layer.clone()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (p[0], utc(2026, 1, 6, 21, 0), false, Some("primary".into())),
                (p[1], utc(2026, 1, 6, 22, 0), false, Some("nights".into())),
                (p[2], utc(2026, 1, 6, 22, 30), true, None),
                (p[1], utc(2026, 1, 6, 23, 30), false, Some("nights".into())),
            ]
        );
        assert_eq!(
            c.until(&[o], utc(2026, 1, 6, 21, 0), chrono::Duration::days(1)),
            Some(utc(2026, 1, 6, 22, 0))
        );
    }

    #[test]
    fn restrictions_alone_leave_gaps_and_the_gaps_are_reported() {
        let p = users(1);
        let mut rules = weekly("America/New_York", "2026-01-05T09:00:00", &p);
        rules.layers[0].restrictions = vec![Restriction {
            days: vec![Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri],
            from: "09:00".into(),
            to: "17:00".into(),
        }];
        let c = rules.compile().expect("valid");
        // Monday 2026-01-12, 09:00-17:00 EST = 14:00-22:00 UTC.
        let gaps = c.gaps(&[], utc(2026, 1, 12, 12, 0), utc(2026, 1, 13, 0, 0));
        assert_eq!(
            gaps,
            vec![
                Span {
                    start: utc(2026, 1, 12, 12, 0),
                    end: utc(2026, 1, 12, 14, 0)
                },
                Span {
                    start: utc(2026, 1, 12, 22, 0),
                    end: utc(2026, 1, 13, 0, 0)
                },
            ]
        );
    }

    #[test]
    fn bad_rules_name_their_field() {
        let p = users(1);
        let mut r = weekly("Mars/Olympus", "2026-01-05T09:00:00", &p);
        assert_eq!(
            r.compile().map(|_| ()).map_err(|e| e.field()),
            Err("time_zone".into())
        );
        r.time_zone = "Europe/Berlin".into();
        r.layers[0].start = "2026-01-05 9am".into();
        assert_eq!(
            r.compile().map(|_| ()).map_err(|e| e.field()),
            Err("layers[0].start".into())
        );
        r.layers[0].start = "2026-01-05T09:00:00".into();
        r.layers[0].rotation.length = 0;
        assert_eq!(
            r.compile().map(|_| ()).map_err(|e| e.field()),
            Err("layers[0].rotation.length".into())
        );
        r.layers[0].rotation.length = 1;
        r.layers[0].restrictions = vec![Restriction {
            days: vec![Day::Mon],
            from: "9:00".into(),
            to: "17:00".into(),
        }];
        assert_eq!(
            r.compile().map(|_| ()).map_err(|e| e.field()),
            Err("layers[0].restrictions[0]".into())
        );
    }
}
