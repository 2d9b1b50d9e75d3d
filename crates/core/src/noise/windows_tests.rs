use chrono::TimeZone as _;
use proptest::prelude::*;

use super::*;

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().expect("time")
}

fn spec(start: &str, end: Option<&str>, tz: Option<&str>, weekly: bool) -> WindowSpec {
    WindowSpec {
        start: utc(start),
        end: end.map(utc),
        time_zone: tz.map(str::to_owned),
        weekly,
    }
}

#[test]
fn a_one_off_window_covers_its_span_and_stops_when_ended() {
    let w = Window::new(
        &spec(
            "2026-12-01T10:00:00Z",
            Some("2026-12-01T12:00:00Z"),
            None,
            false,
        ),
        None,
    )
    .expect("valid");
    assert!(!w.covers(utc("2026-12-01T09:59:59Z")));
    assert!(w.covers(utc("2026-12-01T10:00:00Z")));
    assert!(w.covers(utc("2026-12-01T11:59:59Z")));
    assert!(!w.covers(utc("2026-12-01T12:00:00Z")));

    let open = spec("2026-12-01T10:00:00Z", None, None, false);
    assert!(Window::new(&open, None)
        .expect("valid")
        .covers(utc("2030-01-01T00:00:00Z")));
    let ended = Window::new(&open, Some(utc("2026-12-02T00:00:00Z"))).expect("valid");
    assert!(ended.covers(utc("2026-12-01T23:59:59Z")));
    assert!(!ended.covers(utc("2026-12-02T00:00:00Z")));
}

#[test]
fn bad_windows_are_refused() {
    let cases = [
        (
            spec(
                "2026-12-01T10:00:00Z",
                Some("2026-12-01T10:00:00Z"),
                None,
                false,
            ),
            WindowError::EndBeforeStart,
        ),
        (
            spec("2026-12-01T10:00:00Z", None, None, true),
            WindowError::WeeklyLength,
        ),
        (
            spec(
                "2026-12-01T10:00:00Z",
                Some("2026-12-08T10:00:00Z"),
                None,
                true,
            ),
            WindowError::WeeklyLength,
        ),
        (
            spec("2026-12-01T10:00:00Z", None, Some("Mars/Olympus"), false),
            WindowError::TimeZone("Mars/Olympus".into()),
        ),
    ];
    for (s, want) in cases {
        assert_eq!(Window::new(&s, None).err(), Some(want));
    }
}

/// Sunday 01:00–03:00 in Berlin, first on 22 March 2026 (CET, UTC+1). Summer time starts on
/// the 29th at 02:00 (clocks jump to 03:00): that week the window is 00:00–01:00 UTC; the week
/// after, 23:00–01:00 UTC. A window repeated every 168 hours in UTC would be off by an hour.
#[test]
fn a_weekly_window_keeps_its_wall_clock_across_daylight_saving() {
    let w = Window::new(
        &spec(
            "2026-03-22T00:00:00Z",
            Some("2026-03-22T02:00:00Z"),
            Some("Europe/Berlin"),
            true,
        ),
        None,
    )
    .expect("valid");
    assert!(w.covers(utc("2026-03-22T01:30:00Z")));
    assert!(w.covers(utc("2026-03-29T00:30:00Z")));
    assert!(
        !w.covers(utc("2026-03-29T01:30:00Z")),
        "03:30 summer time is after the window"
    );
    assert!(
        w.covers(utc("2026-04-04T23:30:00Z")),
        "01:30 summer time, a UTC week would miss it"
    );
    assert!(!w.covers(utc("2026-04-05T01:00:00Z")));
    assert!(
        w.covers(utc("2026-11-01T00:30:00Z")),
        "back on winter time: 01:30 CET"
    );
    assert!(!w.covers(utc("2026-03-25T00:30:00Z")), "not on a Wednesday");
}

proptest! {
    /// Any weekly window in a zone with daylight saving: the middle of its kth occurrence, in
    /// local time, is covered; the minute before each occurrence is not.
    #[test]
    fn weekly_windows_follow_local_time(
        zone in prop::sample::select(vec!["Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC"]),
        start_min in 0i64..(365 * 24 * 60),
        len_min in 1i64..(24 * 60),
        k in 0i64..80,
    ) {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("time")
            + chrono::Duration::minutes(start_min);
        let s = WindowSpec {
            start,
            end: Some(start + chrono::Duration::minutes(len_min)),
            time_zone: Some(zone.to_owned()),
            weekly: true,
        };
        let w = Window::new(&s, None).expect("valid");
        let weekly = w.weekly.as_ref().expect("weekly");
        let (from, to) = weekly.occurrence(k).expect("occurs");
        if to > from {
            prop_assert!(w.covers(from + (to - from) / 2));
            prop_assert!(w.covers(from));
        }
        prop_assert!(!w.covers(from - chrono::Duration::minutes(1)) || k > 0 && weekly.occurrence(k - 1).is_some_and(|(_, t)| t >= from));
    }
}
