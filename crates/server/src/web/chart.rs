//! A bar chart of incidents per day, drawn as SVG on the server: no chart library, no script,
//! readable by screen readers through its label and per-bar titles.

use chrono::{Duration, NaiveDate};
use maud::{html, Markup};

pub fn per_day(days: &[(NaiveDate, i64)]) -> Markup {
    let (w, h, pad_l, pad_b, pad_t) = (600.0_f64, 180.0_f64, 28.0_f64, 22.0_f64, 10.0_f64);
    let max = days.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let n = days.len().max(1) as f64;
    let slot = (w - pad_l) / n;
    let bar_w = (slot * 0.75).max(1.0);
    let plot_h = h - pad_b - pad_t;
    let total: i64 = days.iter().map(|(_, n)| n).sum();
    let label = format!(
        "Incidents opened per day over the last {} days: {total} in all.",
        days.len()
    );
    html! {
        svg.chart viewBox={"0 0 " (w) " " (h)} role="img" aria-label=(label) {
            line x1=(pad_l) y1=(h - pad_b) x2=(w) y2=(h - pad_b) stroke="#b8c1cc" {}
            text x="0" y=(pad_t + 8.0) { (max) }
            text x="0" y=(h - pad_b) { "0" }
            @for (i, (day, count)) in days.iter().enumerate() {
                @let bh = plot_h * (*count as f64) / (max as f64);
                @let x = pad_l + slot * i as f64 + (slot - bar_w) / 2.0;
                rect.bar x=(format!("{x:.1}")) y=(format!("{:.1}", h - pad_b - bh)) width=(format!("{bar_w:.1}")) height=(format!("{bh:.1}")) {
                    title { (day.format("%Y-%m-%d")) ": " (count) }
                }
                @if i % 7 == 0 || i + 1 == days.len() {
                    text x=(format!("{x:.1}")) y=(h - 6.0) { (day.format("%m-%d")) }
                }
            }
        }
    }
}

/// Fills in the days without incidents so the chart has one bar per day.
pub fn fill_days(end: NaiveDate, count: i64, sparse: &[(String, i64)]) -> Vec<(NaiveDate, i64)> {
    (0..count)
        .rev()
        .map(|back| {
            let day = end - Duration::days(back);
            let key = day.format("%Y-%m-%d").to_string();
            let n = sparse
                .iter()
                .find(|(d, _)| *d == key)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            (day, n)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_bars_with_gaps_filled() {
        let end = NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
        let days = fill_days(
            end,
            30,
            &[("2026-11-25".into(), 3), ("2026-10-27".into(), 1)],
        );
        assert_eq!(days.len(), 30);
        assert_eq!(
            days[0],
            (NaiveDate::from_ymd_opt(2026, 10, 27).expect("d"), 1)
        );
        assert_eq!(days[29].1, 3);
        let svg = per_day(&days).into_string();
        assert_eq!(svg.matches("<rect").count(), 30);
        assert!(svg.contains("4 in all"));
    }
}
