//! A service's noise rules (issue 18): the API's rule list, validated and compiled once when it
//! is saved, then run on every alert before dedup.
//!
//! Compiling is where every refusal happens (an unknown field, a bad regex, a route without a
//! service), each naming the rule and the field, so the hot path only matches. Regexes come from
//! the `regex` crate, whose matching is linear in the input (no backtracking), with a size limit
//! on the compiled program: a user's pattern can cost neither exponential time nor unbounded
//! memory.

use std::collections::BTreeMap;

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

use super::payload::Paths;
use crate::alert::{AlertEvent, Severity};
use crate::ServiceId;

/// The most rules a service may have, conditions a rule may have, and bytes a value may hold.
pub const MAX_RULES: usize = 200;
pub const MAX_CONDITIONS: usize = 20;
pub const MAX_VALUE: usize = 1024;
/// The compiled size a `matches` pattern may reach (the regex crate's own accounting).
const REGEX_SIZE_LIMIT: usize = 256 * 1024;

/// One rule as the API takes and returns it (`PUT /api/v1/services/{id}/rules`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub action: RuleAction,
    #[serde(default)]
    pub conditions: Vec<ConditionSpec>,
    /// `route`: the service of the same team the alert goes to instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_id: Option<ServiceId>,
    /// `tag`: tags to add or overwrite; a value may name a `matches` capture (`$1`, `${name}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    /// `dedup_window`: join an open incident with the same key only if it opened within this
    /// many minutes; after that the alert opens a new one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<u32>,
    /// `set_severity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleAction {
    Suppress,
    Route,
    Tag,
    DedupWindow,
    SetSeverity,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConditionSpec {
    /// `source`, `severity`, `dedup_key`, `title`, `description`, `tags.<name>` or
    /// `payload.<json path>` (`payload.data.series[0].name`).
    pub field: String,
    pub op: Op,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Op {
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = "contains")]
    Contains,
    #[serde(rename = "matches")]
    Matches,
}

/// Why a rule list was refused: which rule (from 0), which field of it, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rules[{rule}].{field}: {detail}")]
pub struct RuleError {
    pub rule: usize,
    pub field: String,
    pub detail: String,
}

/// A field of the normalised alert, or of its raw body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Source,
    Severity,
    DedupKey,
    Title,
    Description,
    Tag(String),
    Payload(Vec<Step>),
}

/// One step of a `payload.` path: an object key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

impl Field {
    /// Reads `source`, `tags.host`, `payload.data.series[0].tags.host`, …
    pub fn parse(text: &str) -> Result<Self, String> {
        Ok(match text {
            "source" => Field::Source,
            "severity" => Field::Severity,
            "dedup_key" => Field::DedupKey,
            "title" => Field::Title,
            "description" => Field::Description,
            _ => {
                if let Some(name) = text.strip_prefix("tags.") {
                    if name.is_empty() {
                        return Err("`tags.` needs a tag name".into());
                    }
                    Field::Tag(name.to_owned())
                } else if let Some(path) = text.strip_prefix("payload.") {
                    Field::Payload(parse_path(path)?)
                } else {
                    return Err(format!(
                        "unknown field {text:?}: use source, severity, dedup_key, title, description, tags.<name> or payload.<json path>"
                    ));
                }
            }
        })
    }
}

fn parse_path(path: &str) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty() && steps.is_empty() && rest.is_empty() {
            return Err("an empty step in the payload path".into());
        }
        if !key.is_empty() {
            steps.push(Step::Key(key.to_owned()));
        } else if rest.is_empty() {
            return Err("an empty step in the payload path".into());
        }
        while let Some(after) = rest.strip_prefix('[') {
            let end = after
                .find(']')
                .ok_or_else(|| format!("an unclosed `[` in {part:?}"))?;
            let index = after[..end]
                .parse::<usize>()
                .map_err(|_| format!("{:?} is not an array index", &after[..end]))?;
            steps.push(Step::Index(index));
            rest = &after[end + 1..];
        }
        if !rest.is_empty() {
            return Err(format!("unexpected {rest:?} in the payload path"));
        }
    }
    Ok(steps)
}

struct Condition {
    field: Field,
    test: Test,
}

enum Test {
    Eq(String),
    Ne(String),
    Contains(String),
    Matches(Regex),
}

/// What a rule does when all its conditions hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Suppress,
    Route(ServiceId),
    Tag(BTreeMap<String, String>),
    DedupWindow(u32),
    SetSeverity(Severity),
}

struct Rule {
    conditions: Vec<Condition>,
    effect: Effect,
}

/// A service's rules, compiled: built once when they are saved (or loaded), run per alert.
#[derive(Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// The `payload.` paths the rules read: all of the body an alert needs parsed.
    paths: Paths,
}

/// What the rules decided for one alert. Rules run in order: tags and severity from later rules
/// overwrite earlier ones; the first `route` and the first `dedup_window` that match win;
/// `suppress` holds once any suppress rule matched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    pub suppress: bool,
    pub route: Option<ServiceId>,
    pub tags: BTreeMap<String, String>,
    pub dedup_window_minutes: Option<u32>,
    pub severity: Option<Severity>,
    /// The rules that matched, by position, for the timeline and the "test this rule" preview.
    pub matched: Vec<usize>,
}

impl RuleSet {
    /// Validate and compile `specs`; the first problem is refused, naming rule and field.
    pub fn compile(specs: &[RuleSpec]) -> Result<Self, RuleError> {
        if specs.len() > MAX_RULES {
            return Err(RuleError {
                rule: MAX_RULES,
                field: "action".into(),
                detail: format!("a service has at most {MAX_RULES} rules"),
            });
        }
        let rules: Vec<Rule> = specs
            .iter()
            .enumerate()
            .map(|(i, spec)| compile_rule(i, spec))
            .collect::<Result<_, _>>()?;
        let mut paths = Paths::default();
        for c in rules.iter().flat_map(|r| &r.conditions) {
            if let Field::Payload(steps) = &c.field {
                paths.add(steps);
            }
        }
        Ok(Self { rules, paths })
    }

    /// `raw` parsed for the rules' `payload.` conditions: only the values on their paths
    /// (`noise::payload`); `None` when it is not JSON.
    pub fn payload_of(&self, raw: &str) -> Option<serde_json::Value> {
        self.paths.extract(raw)
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Run every rule on `alert`; `payload` is its raw body parsed as JSON, when it is JSON
    /// (only `payload.` conditions read it, so a caller may pass `None` when no rule has one).
    pub fn evaluate(&self, alert: &AlertEvent, payload: Option<&serde_json::Value>) -> Verdict {
        let mut v = Verdict::default();
        for (i, rule) in self.rules.iter().enumerate() {
            let mut captures: Vec<(String, Option<String>)> = Vec::new();
            if !rule
                .conditions
                .iter()
                .all(|c| holds(c, alert, payload, &mut captures))
            {
                continue;
            }
            v.matched.push(i);
            match &rule.effect {
                Effect::Suppress => v.suppress = true,
                Effect::Route(s) => {
                    v.route.get_or_insert(*s);
                }
                Effect::Tag(tags) => {
                    for (k, template) in tags {
                        v.tags.insert(k.clone(), expand(template, &captures));
                    }
                }
                Effect::DedupWindow(m) => {
                    v.dedup_window_minutes.get_or_insert(*m);
                }
                Effect::SetSeverity(s) => v.severity = Some(*s),
            }
        }
        v
    }

    /// Whether any rule reads the raw body (so the caller parses it only then).
    pub fn reads_payload(&self) -> bool {
        self.rules.iter().any(|r| {
            r.conditions
                .iter()
                .any(|c| matches!(c.field, Field::Payload(_)))
        })
    }
}

fn compile_rule(i: usize, spec: &RuleSpec) -> Result<Rule, RuleError> {
    let err = |field: &str, detail: String| RuleError {
        rule: i,
        field: field.to_owned(),
        detail,
    };
    if spec.conditions.len() > MAX_CONDITIONS {
        return Err(err(
            "conditions",
            format!("a rule has at most {MAX_CONDITIONS} conditions"),
        ));
    }
    let mut conditions = Vec::with_capacity(spec.conditions.len());
    for (j, c) in spec.conditions.iter().enumerate() {
        let at = |what: &str| format!("conditions[{j}].{what}");
        let field = Field::parse(&c.field).map_err(|d| err(&at("field"), d))?;
        if c.value.len() > MAX_VALUE {
            return Err(err(&at("value"), format!("at most {MAX_VALUE} bytes")));
        }
        let test = match c.op {
            Op::Eq => Test::Eq(c.value.clone()),
            Op::Ne => Test::Ne(c.value.clone()),
            Op::Contains => Test::Contains(c.value.clone()),
            Op::Matches => Test::Matches(
                RegexBuilder::new(&c.value)
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
                    .map_err(|e| err(&at("value"), format!("not a valid regex: {e}")))?,
            ),
        };
        conditions.push(Condition { field, test });
    }
    let missing = |what: &str| err(what, format!("a {:?} rule needs `{what}`", spec.action));
    let effect = match spec.action {
        RuleAction::Suppress => Effect::Suppress,
        RuleAction::Route => Effect::Route(spec.service_id.ok_or_else(|| missing("service_id"))?),
        RuleAction::Tag => {
            let tags = spec.tags.clone().ok_or_else(|| missing("tags"))?;
            if tags.is_empty() || tags.keys().any(|k| k.is_empty()) {
                return Err(err("tags", "tag names must not be empty".into()));
            }
            Effect::Tag(tags)
        }
        RuleAction::DedupWindow => match spec.minutes {
            Some(m) if m >= 1 => Effect::DedupWindow(m),
            Some(_) => return Err(err("minutes", "must be at least 1".into())),
            None => return Err(missing("minutes")),
        },
        RuleAction::SetSeverity => {
            Effect::SetSeverity(spec.severity.ok_or_else(|| missing("severity"))?)
        }
    };
    Ok(Rule { conditions, effect })
}

/// The field's text on this alert; `None` when it has none (a missing tag or payload path),
/// which makes `==`, `contains` and `matches` false and `!=` true.
fn value_of<'a>(
    field: &'a Field, alert: &'a AlertEvent, payload: Option<&'a serde_json::Value>,
) -> Option<std::borrow::Cow<'a, str>> {
    use std::borrow::Cow;
    Some(match field {
        Field::Source => Cow::Borrowed(alert.source.slug()),
        Field::Severity => Cow::Borrowed(match alert.action {
            crate::Action::Trigger(s) => s.as_str(),
            crate::Action::Resolve => "ok",
            crate::Action::Acknowledge => "acknowledge",
            crate::Action::Test => "test",
        }),
        Field::DedupKey => Cow::Borrowed(alert.dedup_key.as_str()),
        Field::Title => Cow::Borrowed(alert.title.as_str()),
        Field::Description => Cow::Borrowed(alert.description.as_str()),
        Field::Tag(name) => Cow::Borrowed(alert.tags.get(name)?.as_str()),
        Field::Payload(steps) => {
            let mut v = payload?;
            for step in steps {
                v = match step {
                    Step::Key(k) => v.get(k)?,
                    Step::Index(i) => v.get(i)?,
                };
            }
            match v {
                serde_json::Value::String(s) => Cow::Borrowed(s.as_str()),
                serde_json::Value::Null => return None,
                other => Cow::Owned(other.to_string()),
            }
        }
    })
}

fn holds(
    c: &Condition, alert: &AlertEvent, payload: Option<&serde_json::Value>,
    captures: &mut Vec<(String, Option<String>)>,
) -> bool {
    let value = value_of(&c.field, alert, payload);
    match (&c.test, value) {
        (Test::Ne(want), v) => v.as_deref() != Some(want.as_str()),
        (_, None) => false,
        (Test::Eq(want), Some(v)) => v == want.as_str(),
        (Test::Contains(want), Some(v)) => v.contains(want.as_str()),
        // Most alerts match none of a service's patterns: `is_match` answers those without
        // building capture slots (the regex crate's cheapest search); captures only for a hit.
        (Test::Matches(re), Some(v)) if !re.is_match(&v) => false,
        (Test::Matches(re), Some(v)) => match re.captures(&v) {
            Some(caps) => {
                for (i, name) in re.capture_names().enumerate() {
                    let text = caps.get(i).map(|m| m.as_str().to_owned());
                    captures.push((i.to_string(), text.clone()));
                    if let Some(name) = name {
                        captures.push((name.to_owned(), text));
                    }
                }
                true
            }
            None => false,
        },
    }
}

/// `$1`, `${1}`, `$name` and `${name}` in a tag value, from the rule's `matches` captures (the
/// last condition that defined a name wins); `$$` is a dollar sign; an unknown capture is empty.
fn expand(template: &str, captures: &[(String, Option<String>)]) -> String {
    if !template.contains('$') {
        return template.to_owned();
    }
    let lookup = |name: &str| {
        captures
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => {
                    out.push_str(&lookup(&inner[..end]));
                    rest = &inner[end + 1..];
                }
                None => {
                    out.push('$');
                    rest = after;
                }
            }
        } else {
            let end = after
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                .unwrap_or(after.len());
            if end == 0 {
                out.push('$');
            } else {
                out.push_str(&lookup(&after[..end]));
            }
            rest = &after[end..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
