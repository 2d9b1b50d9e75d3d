//! Property tests of on-call schedules across daylight-saving changes: for random layers in
//! zones with one-hour (Berlin, New York), half-hour (Lord Howe) and no (Kolkata) changes, the
//! final result tiles the range, leaves gaps only where restrictions (or a later start) make
//! them, hands over at the local hand-off time, and "on call at t" agrees with the shifts.

use chrono::{DateTime, Duration, Utc};
use jiff::tz::TimeZone;
use proptest::prelude::*;
use tocsin_core::schedule::{Day, Layer, Restriction, Rotation, RotationUnit, ScheduleRules};
use tocsin_core::UserId;

const ZONES: [&str; 4] = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
];

fn unit() -> impl Strategy<Value = RotationUnit> {
    prop_oneof![
        Just(RotationUnit::Hour),
        Just(RotationUnit::Day),
        Just(RotationUnit::Week)
    ]
}

fn restriction() -> impl Strategy<Value = Restriction> {
    (
        prop::sample::subsequence(
            vec![
                Day::Mon,
                Day::Tue,
                Day::Wed,
                Day::Thu,
                Day::Fri,
                Day::Sat,
                Day::Sun,
            ],
            1..=7,
        ),
        0u32..24,
        0u32..4,
        0u32..24,
        0u32..4,
    )
        .prop_map(|(days, fh, fq, th, tq)| Restriction {
            days,
            from: format!("{fh:02}:{:02}", fq * 15),
            to: format!("{th:02}:{:02}", tq * 15),
        })
}

fn layer(restricted: bool) -> impl Strategy<Value = Layer> {
    let restrictions = if restricted {
        prop::collection::vec(restriction(), 0..3).boxed()
    } else {
        Just(vec![]).boxed()
    };
    // Starts at a quarter hour in 2025, so every range below is after the start, and the
    // hand-off time sometimes falls in a skipped or repeated local hour.
    (
        1usize..4,
        unit(),
        1u32..4,
        1u32..13,
        1u32..29,
        0u32..24,
        0u32..4,
        restrictions,
    )
        .prop_map(
            |(n, unit, length, month, day, hour, q, restrictions)| Layer {
                name: "layer".into(),
                participants: (0..n).map(|_| UserId::new()).collect(),
                rotation: Rotation { unit, length },
                start: format!("2025-{month:02}-{day:02}T{hour:02}:{:02}:00", q * 15),
                restrictions,
            },
        )
}

fn range() -> impl Strategy<Value = (DateTime<Utc>, DateTime<Utc>)> {
    // Anywhere in 2026, 1 hour to 40 days: most ranges hold a DST change of some zone.
    (0i64..365 * 24 * 4, 4i64..40 * 24 * 4).prop_map(|(q, len)| {
        let start = DateTime::from_timestamp(1_767_225_600, 0).expect("2026-01-01")
            + Duration::minutes(q * 15);
        (start, start + Duration::minutes(len * 15))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn shifts_tile_the_range_and_agree_with_on_call(
        zone in prop::sample::select(ZONES.to_vec()),
        layers in prop::collection::vec(layer(true), 1..4),
        (from, to) in range(),
        probes in prop::collection::vec(0.0f64..1.0, 16),
    ) {
        let rules = ScheduleRules { time_zone: zone.into(), layers };
        let c = rules.compile().expect("valid rules");
        let shifts = c.shifts(&[], from, to);
        let gaps = c.gaps(&[], from, to);
        let mut pieces: Vec<(DateTime<Utc>, DateTime<Utc>)> = shifts.iter().map(|s| (s.start, s.end)).collect();
        pieces.extend(gaps.iter().map(|g| (g.start, g.end)));
        pieces.sort();
        prop_assert_eq!(pieces.first().map(|p| p.0), Some(from));
        prop_assert_eq!(pieces.last().map(|p| p.1), Some(to));
        for w in pieces.windows(2) {
            prop_assert_eq!(w[0].1, w[1].0, "no overlap and no hole");
        }
        for p in &pieces {
            prop_assert!(p.0 < p.1);
        }
        let no_restrictions = rules.layers.iter().all(|l| l.restrictions.is_empty());
        if no_restrictions {
            prop_assert!(gaps.is_empty(), "gaps without restrictions: {:?}", gaps);
        }
        for f in probes {
            let t = from + Duration::microseconds(((to - from).num_microseconds().unwrap_or(0) as f64 * f) as i64);
            let by_shifts: Vec<UserId> = shifts.iter().filter(|s| s.start <= t && t < s.end).map(|s| s.user_id).collect();
            prop_assert_eq!(c.on_call_at(&[], t), by_shifts, "at {}", t);
        }
    }

    #[test]
    fn daily_and_weekly_hand_offs_happen_at_the_local_hand_off_time(
        zone in prop::sample::select(ZONES.to_vec()),
        mut layer in layer(false),
        daily in any::<bool>(),
        (from, to) in range(),
    ) {
        layer.rotation.unit = if daily { RotationUnit::Day } else { RotationUnit::Week };
        let n = layer.participants.len();
        let start: jiff::civil::DateTime = layer.start.parse().expect("a local time");
        let rules = ScheduleRules { time_zone: zone.into(), layers: vec![layer] };
        let c = rules.compile().expect("valid rules");
        let tz = TimeZone::get(zone).expect("a zone");
        let shifts = c.shifts(&[], from, to);
        for s in shifts.iter().skip(1) {
            let ts = jiff::Timestamp::from_microsecond(s.start.timestamp_micros()).expect("in range");
            let local = tz.to_datetime(ts);
            // The hand-off is the local start time on that date, or just after it when that
            // local time does not exist that day (jiff's compatible rule).
            let wanted = tz
                .to_ambiguous_timestamp(local.date().to_datetime(start.time()))
                .compatible()
                .expect("resolvable");
            prop_assert_eq!(ts, wanted, "hand-off at {} in {}", local, zone);
        }
        if n > 1 {
            for w in shifts.windows(2) {
                prop_assert_ne!(w[0].user_id, w[1].user_id, "a hand-off changes who is on call");
            }
        }
    }
}
