//! The timeline's words for paging: each step, each notification and each failure, written
//! once here so every backend and the web page say the same thing.

use chrono::{DateTime, Duration, Utc};

use super::delivery::{AfterAttempt, DeliveryStatus, MAX_ATTEMPTS};
use super::engine::Missing;
use super::escalation::{NotificationKind, StepFired};
use super::fanout::{Planned, Reached, Recipient, Unreachable};

/// The actor of paging's timeline rows.
pub const ACTOR: &str = "tocsin";

fn human_duration(d: Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s / 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// "Step 2 (pass 1) fired, 3 min late: 2 notifications to 1 user and 1 channel; carol has
/// no contact method."
pub fn step_note(
    fired: &StepFired, planned: &[Planned], reached: &[Reached], unreachable: &[Unreachable],
    missing: &Missing, late_by: Duration,
) -> String {
    let mut users: Vec<_> = planned
        .iter()
        .filter_map(|p| p.key.recipient.user_id())
        .collect();
    users.sort();
    users.dedup();
    let names: Vec<&str> = reached
        .iter()
        .filter_map(|r| match r {
            Reached::User(u) if users.contains(&u.user) => Some(u.username.as_str()),
            _ => None,
        })
        .collect();
    let channels = planned
        .iter()
        .filter(|p| p.key.recipient.channel_id().is_some())
        .count();
    let mut s = format!(
        "Escalation step {} (pass {}",
        fired.step + 1,
        fired.loop_ + 1
    );
    if fired.round > 0 {
        s.push_str(&format!(", run {}", fired.round + 1));
    }
    s.push_str(") fired");
    if fired.late {
        s.push_str(&format!(", late by {}", human_duration(late_by)));
    }
    s.push_str(&format!(
        ": {} notification{} to {} user{} and {} channel{}",
        planned.len(),
        plural(planned.len()),
        users.len(),
        plural(users.len()),
        channels,
        plural(channels)
    ));
    if !names.is_empty() {
        s.push_str(&format!(" ({})", names.join(", ")));
    }
    for u in unreachable {
        s.push_str(&format!("; {} {}", u.username, u.reason));
    }
    for c in &missing.channels {
        s.push_str(&format!("; channel {c} no longer exists"));
    }
    for sch in &missing.schedules {
        s.push_str(&format!("; schedule {sch} cannot be resolved yet"));
    }
    if planned.is_empty() {
        s.push_str(". Nobody could be notified");
    }
    s.push('.');
    s
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// "Telling 3 recipients that the incident was resolved."
pub fn notice_note(kind: NotificationKind, planned: usize) -> String {
    let what = match kind {
        NotificationKind::Acknowledged => "acknowledged",
        _ => "resolved",
    };
    if planned == 0 {
        format!("Escalation stopped: the incident was {what}; nobody had been notified yet.")
    } else {
        format!(
            "Escalation stopped: telling {planned} recipient{} that the incident was {what}.",
            plural(planned)
        )
    }
}

/// The note when a schedule a step paged handed over and the new on-call was paged.
pub fn handoff_note(planned: usize) -> String {
    format!(
        "A schedule this step paged handed over while the incident waits: {planned} notification{} to whoever took over.",
        plural(planned)
    )
}

/// The note for an acknowledgement timeout.
pub fn retrigger_note(minutes: Option<u32>) -> String {
    match minutes {
        Some(m) => format!("Not resolved {m} min after it was acknowledged: triggered again; escalation starts over."),
        None => "Not resolved in time after it was acknowledged: triggered again; escalation starts over.".into(),
    }
}

/// Who a delivery went to, for people: "alice, webhook “ops hook”" or "channel “#ops”".
pub fn recipient_label(
    recipient: &Recipient, username: Option<&str>, method_name: Option<&str>,
) -> String {
    match recipient {
        Recipient::User { .. } => format!(
            "{} on “{}”",
            username.unwrap_or("a removed user"),
            method_name.unwrap_or("a removed contact method")
        ),
        Recipient::Channel(_) => {
            format!("channel “{}”", method_name.unwrap_or("a removed channel"))
        }
    }
}

/// The note after an attempt: sent, retrying, or failed for good.
pub fn attempt_note(
    kind: NotificationKind, label: &str, delivery: &str, after: &AfterAttempt, now: DateTime<Utc>,
) -> String {
    let what = kind.as_str();
    match after.status {
        DeliveryStatus::Sent => format!("Notified {label} ({what}, delivery {delivery})."),
        DeliveryStatus::Failed => format!(
            "Notification to {label} failed for good after {} attempt{}: {} (delivery {delivery}).",
            after.attempts,
            plural(usize::try_from(after.attempts).unwrap_or(0)),
            after.error.as_deref().unwrap_or("unknown error")
        ),
        DeliveryStatus::Pending | DeliveryStatus::Unknown => format!(
            "Notification to {label} failed (attempt {} of {MAX_ATTEMPTS}): {}; retrying in {} (delivery {delivery}).",
            after.attempts,
            after.error.as_deref().unwrap_or("unknown error"),
            after
                .next_attempt_at
                .map_or_else(|| "a moment".into(), |t| human_duration(t - now))
        ),
    }
}

/// The note when a delivery whose sender vanished is claimed again.
pub fn resent_note(label: &str, delivery: &str) -> String {
    format!(
        "Sending to {label} again with the same delivery id {delivery}: the sender that had it \
         stopped before recording the outcome, so it may have arrived already."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paging::delivery::{after_attempt, Attempt};

    #[test]
    fn attempt_notes_say_what_happened() {
        let t = DateTime::from_timestamp(1_800_000_000, 0).expect("instant");
        let sent = attempt_note(
            NotificationKind::Triggered,
            "alice on “hook”",
            "ntf_1",
            &after_attempt(0, Attempt::Delivered, t),
            t,
        );
        assert!(sent.starts_with("Notified alice"), "{sent}");
        let retry = attempt_note(
            NotificationKind::Triggered,
            "x",
            "ntf_1",
            &after_attempt(0, Attempt::Transient("HTTP 500".into()), t),
            t,
        );
        assert!(
            retry.contains("attempt 1 of 5") && retry.contains("retrying in 60 s"),
            "{retry}"
        );
        let failed = attempt_note(
            NotificationKind::Triggered,
            "x",
            "ntf_1",
            &after_attempt(4, Attempt::Transient("HTTP 500".into()), t),
            t,
        );
        assert!(
            failed.contains("failed for good after 5 attempts"),
            "{failed}"
        );
        assert_eq!(human_duration(Duration::minutes(150)), "2 h 30 min");
    }
}
