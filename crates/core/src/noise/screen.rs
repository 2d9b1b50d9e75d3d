//! The noise step of the alert path (issue 18), decided once for every source: a service's
//! rules in order, then its maintenance windows, before dedup. Pure: the server keeps each
//! service's [`NoiseConfig`] compiled in a cache and calls [`screen`] per alert; what comes
//! out (the changed alert and a [`Noise`]) goes to the store, whose [`crate::plan`] decides
//! the rows.
//!
//! Choices where the issue is silent:
//! - Only triggers are suppressed or dedup-windowed. A resolve or acknowledge is routed (so it
//!   finds the routed incident) and tagged, never suppressed into an incident of its own; a
//!   connectivity test skips the rules entirely (it tests the URL, not the service).
//! - A routed alert is the target's: the target's rules run too, except its routes (no chains),
//!   and the target's maintenance windows apply (the target is what would page). The origin's
//!   rules came first, so on a conflict the target's tags and severity win, as a later rule's do.
//! - A `suppress` rule wins over a window (rules run first); the timeline names the first
//!   suppress rule that matched, or the window.

use chrono::{DateTime, Utc};

use super::rules::{RuleAction, RuleError, RuleSet, RuleSpec, Verdict};
use super::windows::Window;
use crate::alert::{Action, AlertEvent};
use crate::{MaintenanceWindowId, ServiceId};

/// A repeat suppressed by a rule joins the newest suppressed incident of its key opened within
/// this many hours; after that it opens another (so a key a rule keeps quiet for months still
/// shows up once a day, not once per repeat, and never in an incident from long ago).
pub const RULE_REPEATS_HOURS: i64 = 24;

/// A service's noise configuration, compiled once when it is loaded or saved.
#[derive(Default)]
pub struct NoiseConfig {
    specs: Vec<RuleSpec>,
    rules: RuleSet,
    windows: Vec<(MaintenanceWindowId, Window)>,
    reads_payload: bool,
}

impl NoiseConfig {
    /// `specs` as stored (they were validated on save, so a refusal here means the stored list
    /// no longer compiles, which the caller reports) and the windows that may still cover
    /// something.
    pub fn compile(
        specs: Vec<RuleSpec>, windows: Vec<(MaintenanceWindowId, Window)>,
    ) -> Result<Self, RuleError> {
        let rules = RuleSet::compile(&specs)?;
        let reads_payload = rules.reads_payload();
        Ok(Self {
            specs,
            rules,
            windows,
            reads_payload,
        })
    }

    /// Nothing to do: the common case, which costs one branch per alert.
    pub fn is_empty(&self) -> bool {
        self.specs.is_empty() && self.windows.is_empty()
    }

    pub fn specs(&self) -> &[RuleSpec] {
        &self.specs
    }

    /// The rules' verdict on `alert` (the preview's answer too).
    pub fn evaluate(&self, alert: &AlertEvent) -> Verdict {
        if self.specs.is_empty() {
            return Verdict::default();
        }
        let payload = self
            .reads_payload
            .then(|| self.rules.payload_of(&alert.raw))
            .flatten();
        self.rules.evaluate(alert, payload.as_ref())
    }

    /// The first `suppress` rule among those that matched.
    fn suppressing_rule(&self, v: &Verdict) -> Option<usize> {
        v.matched
            .iter()
            .copied()
            .find(|i| self.specs.get(*i).map(|s| s.action) == Some(RuleAction::Suppress))
    }

    /// The window covering `at`, and when its current occurrence began.
    fn covering_window(&self, at: DateTime<Utc>) -> Option<(MaintenanceWindowId, DateTime<Utc>)> {
        self.windows
            .iter()
            .find_map(|(id, w)| w.covering_start(at).map(|since| (*id, since)))
    }
}

/// Why an alert that would open an incident opens it `suppressed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// Stored on the incident (`window:<id>` or `rules`): a repeat joins the newest suppressed
    /// incident of its key only when the same cause suppresses it again.
    pub cause: String,
    /// A repeat joins only an incident opened since then (the window's current occurrence).
    pub since: Option<DateTime<Utc>>,
    /// The timeline's words.
    pub note: String,
}

/// What the noise step decided besides the changed alert; passed to the store with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Noise {
    /// Set only for triggers.
    pub suppressed: Option<Suppression>,
    /// `dedup_window`: a repeat joins the open incident only if it opened within this many
    /// minutes; an older one is resolved and replaced (see [`crate::plan`]).
    pub dedup_window_minutes: Option<u32>,
    /// Timeline notes for the incident the alert lands on (routed from where, by which rules).
    pub notes: Vec<String>,
}

/// The alert after the origin service's rules, waiting to learn whether it is routed.
pub struct Screening {
    event: AlertEvent,
    origin: Verdict,
}

/// Run the origin service's rules on `event`. Call [`Screening::route`], load that service's
/// config if there is one, then [`Screening::finish`].
pub fn screen(origin: &NoiseConfig, event: AlertEvent) -> Screening {
    let origin_verdict = if matches!(event.action, Action::Test) {
        Verdict::default()
    } else {
        origin.evaluate(&event)
    };
    Screening {
        event,
        origin: origin_verdict,
    }
}

/// The origin's config and the routed-to service's, when the alert was routed.
pub struct Target<'a> {
    pub id: ServiceId,
    pub name: &'a str,
    pub config: &'a NoiseConfig,
}

impl Screening {
    /// The service the origin's rules send the alert to, if any.
    pub fn route(&self) -> Option<ServiceId> {
        self.origin.route
    }

    /// Apply the verdicts: `origin` is the service the alert came to (`origin_name` for the
    /// timeline), `target` the one it was routed to (its config loaded by the caller; `None`
    /// when not routed, or when the routed-to service is gone, in which case it stays).
    pub fn finish(
        self, origin: &NoiseConfig, origin_name: &str, target: Option<Target<'_>>,
        now: DateTime<Utc>,
    ) -> (AlertEvent, Noise) {
        let Screening {
            mut event,
            origin: first,
        } = self;
        let mut noise = Noise::default();
        if matches!(event.action, Action::Test) {
            return (event, noise);
        }
        let mut suppress_rule = origin.suppressing_rule(&first).map(|i| (origin_name, i));
        let mut dedup = first.dedup_window_minutes;
        apply(&mut event, &first);
        if !first.matched.is_empty() {
            noise.notes.push(format!(
                "noise rules of {origin_name} matched: {}",
                list(&first.matched)
            ));
        }
        // The service whose windows apply: the one that handles the alert.
        let mut handler = origin;
        if let Some(t) = target {
            noise.notes.push(format!(
                "routed here from service {origin_name} by its noise rules"
            ));
            let second = t.config.evaluate(&event);
            apply(&mut event, &second);
            if !second.matched.is_empty() {
                noise.notes.push(format!(
                    "noise rules of {} matched: {}",
                    t.name,
                    list(&second.matched)
                ));
            }
            suppress_rule =
                suppress_rule.or(t.config.suppressing_rule(&second).map(|i| (t.name, i)));
            dedup = dedup.or(second.dedup_window_minutes);
            handler = t.config;
        }
        if matches!(event.action, Action::Trigger(_)) {
            noise.dedup_window_minutes = dedup;
            noise.suppressed = match suppress_rule {
                Some((svc, i)) => Some(Suppression {
                    cause: "rules".into(),
                    since: Some(now - chrono::Duration::hours(RULE_REPEATS_HOURS)),
                    note: format!("suppressed by rule {i} (suppress) of service {svc}"),
                }),
                None => handler.covering_window(now).map(|(id, since)| Suppression {
                    cause: format!("window:{id}"),
                    since: Some(since),
                    note: format!("suppressed by maintenance window {id}"),
                }),
            };
        }
        (event, noise)
    }
}

/// The noise step for an alert a service raises about itself (a missed heartbeat): its own
/// rules and maintenance windows, so a heartbeat that stops during planned work opens a
/// suppressed incident, not a page. A route is not followed: the alert is about this service.
pub fn screen_own(
    config: &NoiseConfig, service_name: &str, event: AlertEvent, now: DateTime<Utc>,
) -> (AlertEvent, Noise) {
    screen(config, event).finish(config, service_name, None, now)
}

/// Tags overwrite; a severity applies to a trigger.
fn apply(event: &mut AlertEvent, v: &Verdict) {
    for (k, val) in &v.tags {
        event.tags.insert(k.clone(), val.clone());
    }
    if let (Some(sev), Action::Trigger(_)) = (v.severity, event.action) {
        event.action = Action::Trigger(sev);
    }
}

fn list(matched: &[usize]) -> String {
    matched
        .iter()
        .map(|i| format!("rule {i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
#[path = "screen_tests.rs"]
mod tests;
