//! The incident state machine.
//!
//! Kept pure so the rules (one open incident per dedup key, resolved incidents never reopen,
//! a resolve with nothing open changes nothing) are stated once and checked by property tests,
//! while each store backend only has to carry out the [`Decision`].

use serde::{Deserialize, Serialize};

use crate::alert::{Action, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum IncidentStatus {
    Triggered,
    Acknowledged,
    Resolved,
    /// Kept out by a maintenance window or a `suppress` rule (issue 18): stored and visible,
    /// never paged, and final like `resolved` (as in Squadcast).
    Suppressed,
}

impl IncidentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Triggered => "triggered",
            IncidentStatus::Acknowledged => "acknowledged",
            IncidentStatus::Resolved => "resolved",
            IncidentStatus::Suppressed => "suppressed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "triggered" => Some(IncidentStatus::Triggered),
            "acknowledged" => Some(IncidentStatus::Acknowledged),
            "resolved" => Some(IncidentStatus::Resolved),
            "suppressed" => Some(IncidentStatus::Suppressed),
            _ => None,
        }
    }

    pub fn is_open(self) -> bool {
        matches!(
            self,
            IncidentStatus::Triggered | IncidentStatus::Acknowledged
        )
    }
}

/// What the store must do with one alert, given the open incident (if any) for its
/// (service, dedup key). Resolved incidents are never passed in: they cannot be reopened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Open a new incident with this severity.
    Open(Severity),
    /// Append to the open incident and set its severity to the latest level.
    Join(Severity),
    /// Auto-resolve the open incident.
    Resolve,
    /// Acknowledge the open incident on the source's word (PagerDuty's `acknowledge`). Asking
    /// again is harmless, by the rules people follow too ([`decide_human`]): an incident
    /// already acknowledged only gains the event.
    Acknowledge,
    /// Record the event; no incident changes (a resolve with nothing open).
    Ignore,
    /// Record a connectivity test on the alert source.
    Test,
    /// Never from [`decide`]: [`crate::plan`] turns an `Open` into this when the service's
    /// noise rules or a maintenance window suppress the alert (it opens, or joins, an incident
    /// in the final state `suppressed`, which pages nobody).
    Suppress(Severity),
}

impl Decision {
    /// The word the ingest endpoint answers with.
    pub fn outcome(self) -> &'static str {
        match self {
            Decision::Open(_) => "opened",
            Decision::Join(_) => "joined",
            Decision::Resolve => "resolved",
            Decision::Acknowledge => "acknowledged",
            Decision::Ignore => "ignored",
            Decision::Test => "test",
            Decision::Suppress(_) => "suppressed",
        }
    }
}

/// Decide what `action` does, given the status of the open incident for its dedup key.
pub fn decide(open: Option<IncidentStatus>, action: Action) -> Decision {
    let open = open.filter(|s| s.is_open());
    match (open, action) {
        (_, Action::Test) => Decision::Test,
        (None, Action::Trigger(sev)) => Decision::Open(sev),
        (Some(_), Action::Trigger(sev)) => Decision::Join(sev),
        (Some(_), Action::Resolve) => Decision::Resolve,
        (None, Action::Resolve) => Decision::Ignore,
        (Some(_), Action::Acknowledge) => Decision::Acknowledge,
        (None, Action::Acknowledge) => Decision::Ignore,
    }
}

/// What a person asks of an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HumanAction {
    Acknowledge,
    Resolve,
}

impl HumanAction {
    /// The status the action leads to.
    pub fn target(self) -> IncidentStatus {
        match self {
            HumanAction::Acknowledge => IncidentStatus::Acknowledged,
            HumanAction::Resolve => IncidentStatus::Resolved,
        }
    }
}

/// What the store must do with a person's action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HumanDecision {
    /// Move to the action's target status and record who did it.
    Apply,
    /// Already there: nothing changes, and asking again is harmless.
    Unchanged,
    /// Not allowed from the current status; the reason is for the caller.
    Refused(&'static str),
}

/// The rules for acknowledge and resolve, stated once for every backend: a resolved incident
/// is final, acknowledging twice is harmless, anything open can be resolved.
pub fn decide_human(current: IncidentStatus, action: HumanAction) -> HumanDecision {
    match (current, action) {
        (IncidentStatus::Resolved, _) => HumanDecision::Refused("the incident is already resolved"),
        (IncidentStatus::Suppressed, _) => {
            HumanDecision::Refused("the incident was suppressed; it is final and pages nobody")
        }
        (IncidentStatus::Acknowledged, HumanAction::Acknowledge) => HumanDecision::Unchanged,
        _ => HumanDecision::Apply,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    fn action() -> impl Strategy<Value = Action> {
        prop_oneof![
            Just(Action::Trigger(Severity::Info)),
            Just(Action::Trigger(Severity::Warning)),
            Just(Action::Trigger(Severity::Critical)),
            Just(Action::Resolve),
            Just(Action::Acknowledge),
            Just(Action::Test),
        ]
    }

    /// A model store: incidents per key, the way a backend applies decisions.
    #[derive(Default)]
    struct Model {
        incidents: Vec<(u8, IncidentStatus, Severity, u32)>,
    }

    impl Model {
        fn open_index(&self, key: u8) -> Option<usize> {
            self.incidents
                .iter()
                .position(|(k, s, _, _)| *k == key && s.is_open())
        }

        fn apply(&mut self, key: u8, action: Action) -> Decision {
            let idx = self.open_index(key);
            let d = decide(idx.map(|i| self.incidents[i].1), action);
            match d {
                Decision::Open(sev) => {
                    self.incidents
                        .push((key, IncidentStatus::Triggered, sev, 1))
                }
                Decision::Join(sev) => {
                    let i = idx.expect("join needs an open incident");
                    self.incidents[i].2 = sev;
                    self.incidents[i].3 += 1;
                }
                Decision::Resolve => {
                    let i = idx.expect("resolve needs an open incident");
                    self.incidents[i].1 = IncidentStatus::Resolved;
                }
                Decision::Acknowledge => {
                    let i = idx.expect("acknowledge needs an open incident");
                    self.incidents[i].1 = IncidentStatus::Acknowledged;
                }
                Decision::Ignore | Decision::Test | Decision::Suppress(_) => {}
            }
            d
        }
    }

    proptest! {
        /// Any sequence of levels over a few keys ends consistent with the rules.
        #[test]
        fn sequences_respect_the_rules(steps in proptest::collection::vec((0u8..4, action()), 0..200)) {
            let mut m = Model::default();
            let mut triggers_since_open: HashMap<u8, u32> = HashMap::new();
            let mut last_sev: HashMap<u8, Severity> = HashMap::new();
            let mut opens = 0usize;
            for (key, action) in &steps {
                let before = m.incidents.len();
                let d = m.apply(*key, *action);
                match d {
                    Decision::Open(_) => {
                        opens += 1;
                        prop_assert_eq!(m.incidents.len(), before + 1);
                        triggers_since_open.insert(*key, 1);
                    }
                    Decision::Join(_) => {
                        *triggers_since_open.entry(*key).or_default() += 1;
                    }
                    _ => prop_assert_eq!(m.incidents.len(), before),
                }
                if let Action::Trigger(sev) = action { last_sev.insert(*key, *sev); }
                // Never two open incidents for one key.
                for k in 0u8..4 {
                    let open = m.incidents.iter().filter(|(ik, s, _, _)| *ik == k && s.is_open()).count();
                    prop_assert!(open <= 1);
                }
            }
            prop_assert_eq!(opens, m.incidents.len());
            // Each open incident carries the latest severity and counts every trigger that joined it.
            for (key, status, sev, count) in &m.incidents {
                if status.is_open() {
                    prop_assert_eq!(Some(sev), last_sev.get(key));
                    prop_assert_eq!(Some(count), triggers_since_open.get(key));
                }
            }
        }
    }

    #[test]
    fn human_actions_follow_the_rules() {
        use HumanAction::*;
        use IncidentStatus::*;
        assert_eq!(decide_human(Triggered, Acknowledge), HumanDecision::Apply);
        assert_eq!(
            decide_human(Acknowledged, Acknowledge),
            HumanDecision::Unchanged
        );
        assert_eq!(decide_human(Triggered, Resolve), HumanDecision::Apply);
        assert_eq!(decide_human(Acknowledged, Resolve), HumanDecision::Apply);
        assert!(matches!(
            decide_human(Resolved, Acknowledge),
            HumanDecision::Refused(_)
        ));
        assert!(matches!(
            decide_human(Resolved, Resolve),
            HumanDecision::Refused(_)
        ));
    }

    #[test]
    fn an_acknowledge_needs_an_open_incident() {
        use IncidentStatus::*;
        assert_eq!(
            decide(Some(Triggered), Action::Acknowledge),
            Decision::Acknowledge
        );
        assert_eq!(
            decide(Some(Acknowledged), Action::Acknowledge),
            Decision::Acknowledge
        );
        assert_eq!(
            decide(Some(Resolved), Action::Acknowledge),
            Decision::Ignore
        );
        assert_eq!(decide(None, Action::Acknowledge), Decision::Ignore);
    }

    #[test]
    fn resolved_is_never_reopened() {
        assert_eq!(
            decide(
                Some(IncidentStatus::Resolved),
                Action::Trigger(Severity::Critical)
            ),
            Decision::Open(Severity::Critical)
        );
        assert_eq!(
            decide(Some(IncidentStatus::Resolved), Action::Resolve),
            Decision::Ignore
        );
        assert_eq!(
            decide(
                Some(IncidentStatus::Acknowledged),
                Action::Trigger(Severity::Info)
            ),
            Decision::Join(Severity::Info)
        );
    }
}
