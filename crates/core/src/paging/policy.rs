//! Escalation policies: who is told, in what order, after how long.
//!
//! A policy is ordered steps; each step waits `delay_minutes` after the previous one (the first
//! after the incident opened) and then notifies its targets. When the last step has fired and
//! nobody acknowledged, the policy loops `repeat` more times (0–9), or until someone
//! acknowledges. The rules here are the only validation a policy gets, for every store.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::{ChannelId, ScheduleId, UserId};

/// At most this many steps per policy: a longer chain is a mistake, not a plan.
pub const MAX_STEPS: usize = 20;
/// At most this many targets per step.
pub const MAX_TARGETS: usize = 50;
/// A step waits at most a week.
pub const MAX_DELAY_MINUTES: u32 = 7 * 24 * 60;
/// Loops after the first pass, when counted.
pub const MAX_REPEAT: u8 = 9;

/// Whom a step notifies.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Target {
    /// A person, on their contact methods and by their notification rules.
    User { id: UserId },
    /// A team's channel: a webhook, Slack-compatible webhook or email address owned by a team.
    Channel { id: ChannelId },
    /// Whoever is on call on the schedule when the step fires.
    Schedule { id: ScheduleId },
}

/// How many times the whole policy runs again after its last step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// This many more loops (0: the steps run once).
    Times(u8),
    /// Loop until someone acknowledges or resolves.
    UntilAcknowledged,
}

impl Repeat {
    /// Whether another loop may start after loop `done` (counted from 0) has run its last step.
    pub fn allows_loop(self, next_loop: u32) -> bool {
        match self {
            Repeat::Times(n) => next_loop <= u32::from(n),
            Repeat::UntilAcknowledged => true,
        }
    }
}

const UNTIL_ACK: &str = "until_acknowledged";

/// In JSON: a number of loops, or the string `"until_acknowledged"`.
impl Serialize for Repeat {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Repeat::Times(n) => s.serialize_u8(*n),
            Repeat::UntilAcknowledged => s.serialize_str(UNTIL_ACK),
        }
    }
}

impl<'de> Deserialize<'de> for Repeat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Times(u64),
            Word(String),
        }
        match Raw::deserialize(d)? {
            Raw::Times(n) => u8::try_from(n)
                .ok()
                .filter(|n| *n <= MAX_REPEAT)
                .map(Repeat::Times)
                .ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "repeat must be 0 to {MAX_REPEAT} or \"{UNTIL_ACK}\", not {n}"
                    ))
                }),
            Raw::Word(w) if w == UNTIL_ACK => Ok(Repeat::UntilAcknowledged),
            Raw::Word(w) => Err(serde::de::Error::custom(format!(
                "repeat must be 0 to {MAX_REPEAT} or \"{UNTIL_ACK}\", not {w:?}"
            ))),
        }
    }
}

impl utoipa::PartialSchema for Repeat {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(0))
                    .maximum(Some(MAX_REPEAT)),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some([UNTIL_ACK])),
            )
            .description(Some(
                "Loops after the first pass (0-9), or \"until_acknowledged\".",
            ))
            .into()
    }
}

impl utoipa::ToSchema for Repeat {}

/// One step of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Minutes after the previous step (the first step: after the incident opened).
    pub delay_minutes: u32,
    /// Notify one target per firing, in turn, instead of all of them.
    #[serde(default)]
    pub round_robin: bool,
    pub targets: Vec<Target>,
}

/// What the engine needs of a policy: its steps and how it loops.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PolicyRules {
    #[schema(value_type = Repeat)]
    pub repeat: Repeat,
    /// An acknowledged incident that is not resolved this many minutes later is triggered
    /// again and escalates from the first step.
    #[serde(default)]
    pub ack_timeout_minutes: Option<u32>,
    pub steps: Vec<Step>,
}

/// Why a policy was refused; the text names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("a policy needs at least one step")]
    NoSteps,
    #[error("a policy has at most {MAX_STEPS} steps")]
    TooManySteps,
    #[error("steps[{0}] needs at least one target")]
    NoTargets(usize),
    #[error("steps[{0}] has more than {MAX_TARGETS} targets")]
    TooManyTargets(usize),
    #[error("steps[{0}] names the same target twice")]
    DuplicateTarget(usize),
    #[error("steps[{0}].delay_minutes is over a week ({MAX_DELAY_MINUTES})")]
    DelayTooLong(usize),
    #[error("ack_timeout_minutes must be 1 to {MAX_DELAY_MINUTES}")]
    AckTimeout,
}

impl PolicyError {
    /// The JSON path of the offending field, for `{code, detail}` answers.
    pub fn field(&self) -> String {
        match self {
            PolicyError::NoSteps | PolicyError::TooManySteps => "steps".into(),
            PolicyError::NoTargets(i)
            | PolicyError::TooManyTargets(i)
            | PolicyError::DuplicateTarget(i) => format!("steps[{i}].targets"),
            PolicyError::DelayTooLong(i) => format!("steps[{i}].delay_minutes"),
            PolicyError::AckTimeout => "ack_timeout_minutes".into(),
        }
    }
}

impl PolicyRules {
    /// Every rule a policy must satisfy before it is stored.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.steps.is_empty() {
            return Err(PolicyError::NoSteps);
        }
        if self.steps.len() > MAX_STEPS {
            return Err(PolicyError::TooManySteps);
        }
        if self
            .ack_timeout_minutes
            .is_some_and(|m| m == 0 || m > MAX_DELAY_MINUTES)
        {
            return Err(PolicyError::AckTimeout);
        }
        for (i, step) in self.steps.iter().enumerate() {
            if step.targets.is_empty() {
                return Err(PolicyError::NoTargets(i));
            }
            if step.targets.len() > MAX_TARGETS {
                return Err(PolicyError::TooManyTargets(i));
            }
            let mut seen = step.targets.clone();
            seen.sort();
            seen.dedup();
            if seen.len() != step.targets.len() {
                return Err(PolicyError::DuplicateTarget(i));
            }
            if step.delay_minutes > MAX_DELAY_MINUTES {
                return Err(PolicyError::DelayTooLong(i));
            }
        }
        Ok(())
    }

    /// Every target the policy names, once each: what a store checks exists in the team.
    pub fn targets(&self) -> Vec<Target> {
        let mut all: Vec<Target> = self.steps.iter().flat_map(|s| s.targets.clone()).collect();
        all.sort();
        all.dedup();
        all
    }
}

/// A target the database does not have (or that is not available yet), with the JSON path
/// of its first mention, for `{code, detail}` answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}`: {detail}")]
pub struct TargetRefused {
    /// `steps[i].targets[j]`.
    pub field: String,
    pub detail: String,
}

impl PolicyRules {
    /// Checks what only the database knows, after a store looked the targets up: every user
    /// target must exist and every channel target belong to the policy's team (`exists` says
    /// which do), and every schedule target be a schedule of the policy's team.
    /// The first refusal, in step order, names its target's path.
    pub fn check_targets(&self, exists: impl Fn(&Target) -> bool) -> Result<(), TargetRefused> {
        for (i, step) in self.steps.iter().enumerate() {
            for (j, t) in step.targets.iter().enumerate() {
                let detail = match t {
                    Target::Schedule { id } if !exists(t) => {
                        Some(format!("the policy's team has no schedule {id}"))
                    }
                    Target::User { id } if !exists(t) => Some(format!("there is no user {id}")),
                    Target::Channel { id } if !exists(t) => {
                        Some(format!("the policy's team has no channel {id}"))
                    }
                    _ => None,
                };
                if let Some(detail) = detail {
                    return Err(TargetRefused {
                        field: format!("steps[{i}].targets[{j}]"),
                        detail,
                    });
                }
            }
        }
        Ok(())
    }

    /// Whether the policy names `schedule` in any step.
    pub fn names_schedule(&self, schedule: ScheduleId) -> bool {
        self.steps
            .iter()
            .any(|s| s.targets.contains(&Target::Schedule { id: schedule }))
    }

    /// Whether the policy names `channel` in any step.
    pub fn names_channel(&self, channel: ChannelId) -> bool {
        self.steps
            .iter()
            .any(|s| s.targets.contains(&Target::Channel { id: channel }))
    }
}

/// The target a round-robin step notifies on its `turn`-th firing.
pub fn round_robin_pick(targets: &[Target], turn: u64) -> Option<Target> {
    let len = u64::try_from(targets.len()).ok().filter(|l| *l > 0)?;
    let i = usize::try_from(turn % len).ok()?;
    targets.get(i).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> Target {
        Target::User { id: UserId::new() }
    }

    fn rules(steps: Vec<Step>) -> PolicyRules {
        PolicyRules {
            repeat: Repeat::Times(0),
            ack_timeout_minutes: None,
            steps,
        }
    }

    #[test]
    fn the_api_shape_of_a_policy_parses() {
        let id = UserId::new();
        let json = serde_json::json!({
            "repeat": "until_acknowledged",
            "ack_timeout_minutes": 30,
            "steps": [{"delay_minutes": 0, "targets": [{"type": "user", "id": id}]}]
        });
        let p: PolicyRules = serde_json::from_value(json).expect("parses");
        assert_eq!(p.repeat, Repeat::UntilAcknowledged);
        assert_eq!(p.steps[0].targets, vec![Target::User { id }]);
        assert!(!p.steps[0].round_robin);
        assert_eq!(p.validate(), Ok(()));
        let back = serde_json::to_value(&p).expect("serialises");
        assert_eq!(back["repeat"], "until_acknowledged");
        assert_eq!(back["steps"][0]["targets"][0]["type"], "user");
    }

    #[test]
    fn repeat_is_a_small_number_or_until_acknowledged() {
        for ok in ["0", "9", "\"until_acknowledged\""] {
            assert!(serde_json::from_str::<Repeat>(ok).is_ok(), "{ok}");
        }
        for bad in ["10", "-1", "\"forever\"", "1.5", "null"] {
            assert!(serde_json::from_str::<Repeat>(bad).is_err(), "{bad}");
        }
        assert!(Repeat::Times(2).allows_loop(2));
        assert!(!Repeat::Times(2).allows_loop(3));
        assert!(!Repeat::Times(0).allows_loop(1));
        assert!(Repeat::UntilAcknowledged.allows_loop(1000));
    }

    #[test]
    fn bad_policies_name_the_field() {
        assert_eq!(rules(vec![]).validate(), Err(PolicyError::NoSteps));
        let empty = Step {
            delay_minutes: 0,
            round_robin: false,
            targets: vec![],
        };
        let err = rules(vec![empty]).validate().expect_err("no targets");
        assert_eq!(err.field(), "steps[0].targets");
        let u = user();
        let dup = Step {
            delay_minutes: 1,
            round_robin: false,
            targets: vec![u, u],
        };
        assert_eq!(
            rules(vec![dup]).validate(),
            Err(PolicyError::DuplicateTarget(0))
        );
        let long = Step {
            delay_minutes: MAX_DELAY_MINUTES + 1,
            round_robin: false,
            targets: vec![user()],
        };
        assert_eq!(
            rules(vec![long]).validate(),
            Err(PolicyError::DelayTooLong(0))
        );
        let mut p = rules(vec![Step {
            delay_minutes: 0,
            round_robin: false,
            targets: vec![user()],
        }]);
        p.ack_timeout_minutes = Some(0);
        assert_eq!(p.validate(), Err(PolicyError::AckTimeout));
    }

    #[test]
    fn targets_the_database_lacks_are_named_by_path() {
        let (u, c) = (UserId::new(), ChannelId::new());
        let p = rules(vec![
            Step {
                delay_minutes: 0,
                round_robin: false,
                targets: vec![Target::User { id: u }],
            },
            Step {
                delay_minutes: 5,
                round_robin: false,
                targets: vec![Target::User { id: u }, Target::Channel { id: c }],
            },
        ]);
        assert_eq!(p.check_targets(|_| true), Ok(()));
        let e = p
            .check_targets(|t| matches!(t, Target::User { .. }))
            .expect_err("the channel is missing");
        assert_eq!(e.field, "steps[1].targets[1]");
        assert!(e.detail.contains(&c.to_string()), "{e}");
        let e = p.check_targets(|_| false).expect_err("the user is missing");
        assert_eq!(e.field, "steps[0].targets[0]");
        assert!(p.names_channel(c) && !p.names_channel(ChannelId::new()));
        let s = ScheduleId::new();
        let sched = rules(vec![Step {
            delay_minutes: 0,
            round_robin: false,
            targets: vec![user(), Target::Schedule { id: s }],
        }]);
        assert_eq!(sched.check_targets(|_| true), Ok(()));
        let e = sched
            .check_targets(|t| !matches!(t, Target::Schedule { .. }))
            .expect_err("the schedule is not the team's");
        assert_eq!(e.field, "steps[0].targets[1]");
        assert!(e.detail.contains(&s.to_string()), "{e}");
        assert!(sched.names_schedule(s) && !sched.names_schedule(ScheduleId::new()));
    }

    #[test]
    fn round_robin_takes_turns() {
        let t = vec![user(), user(), user()];
        let picks: Vec<_> = (0..6).filter_map(|n| round_robin_pick(&t, n)).collect();
        assert_eq!(picks, vec![t[0], t[1], t[2], t[0], t[1], t[2]]);
        assert_eq!(round_robin_pick(&[], 3), None);
    }
}
