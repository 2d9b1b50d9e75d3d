//! The rules, applied to every `|alert()` node of a parsed script.
//!
//! Constants are followed through `var` declarations and string `+` (Chronograf's rule builder
//! writes `var idVar = name + ':{{.Group}}'` and `.id(idVar)`), and a chain that starts from a
//! var (`var data = stream|from()…` then `data|alert()`) sees the var's links before its own,
//! so a `.groupBy()` upstream counts. Anything that cannot be followed (a lambda, an unknown
//! name) leaves its check out rather than guessing.

use std::collections::HashMap;

use super::lex::lex;
use super::parse::{parse, Expr, Link, LinkKind, Stmt};
use super::template::{shape, TemplateShape};
use super::{Code, Finding, Inputs, Pos, Severity, UrlVerdict};

/// How far var references are followed (a var naming itself must not loop).
const MAX_VAR_HOPS: usize = 16;

/// Handlers an alert node can have: a `.property` after one of these belongs to it.
const HANDLERS: &[&str] = &[
    "post",
    "tcp",
    "email",
    "exec",
    "log",
    "victorOps",
    "pagerDuty",
    "pagerDuty2",
    "pushover",
    "sensu",
    "slack",
    "telegram",
    "hipChat",
    "alerta",
    "opsGenie",
    "opsGenie2",
    "talk",
    "mqtt",
    "snmpTrap",
    "kafka",
    "serviceNow",
    "bigPanda",
    "teams",
    "discord",
    "zenoss",
];

/// Where an alert node's `.post()` sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostVia {
    Url(String),
    /// `.post().endpoint(name)`; `url` when the endpoint is known.
    Endpoint {
        name: String,
        url: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostTarget {
    pub pos: Pos,
    pub via: PostVia,
    /// What the URL is, when both the URL and this Tocsin's URLs are known.
    pub verdict: Option<UrlVerdict>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analysis {
    pub findings: Vec<Finding>,
    pub posts: Vec<PostTarget>,
}

impl Analysis {
    /// The service keys of this Tocsin the script posts to.
    pub fn tocsin_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .posts
            .iter()
            .filter_map(|p| match &p.verdict {
                Some(UrlVerdict::Tocsin { key }) => Some(key.clone()),
                _ => None,
            })
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }
}

fn finding(code: Code, severity: Severity, pos: Pos, message: String, fix: &str) -> Finding {
    Finding {
        code,
        severity,
        line: pos.line,
        column: pos.column,
        message,
        fix: fix.to_string(),
    }
}

fn end_of(script: &str) -> Pos {
    let line = 1 + script.matches('\n').count();
    let last = script.rsplit('\n').next().unwrap_or("");
    Pos {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(last.chars().count() + 1).unwrap_or(u32::MAX),
    }
}

pub fn analyze(script: &str, inputs: &Inputs) -> Analysis {
    let parsed = lex(script).and_then(|t| parse(t, end_of(script)));
    let stmts = match parsed {
        Ok(s) => s,
        Err(e) => {
            return Analysis {
                findings: vec![finding(
                    Code::Syntax,
                    Severity::Error,
                    e.pos,
                    format!("not a TICKscript Kapacitor accepts: {}", e.message),
                    "fix the script here; `kapacitor define` reports the same place",
                )],
                posts: Vec::new(),
            }
        }
    };
    let mut env: HashMap<&str, &Expr> = HashMap::new();
    for s in &stmts {
        if let Stmt::Var { name, value, .. } = s {
            env.insert(name.as_str(), value);
        }
    }
    let mut out = Analysis::default();
    for s in &stmts {
        let expr = match s {
            Stmt::Var { value, .. } => value,
            Stmt::Expr(e) => e,
            Stmt::Dbrp => continue,
        };
        let Expr::Chain { source, links } = expr else {
            continue;
        };
        let upstream = prefix(source, &env, 0);
        for (i, link) in links.iter().enumerate() {
            if link.kind == LinkKind::Pipe && link.name == "alert" {
                let mut before = upstream.clone();
                before.extend(links[..i].iter());
                let props: Vec<&Link> = links[i + 1..]
                    .iter()
                    .take_while(|l| l.kind == LinkKind::Dot)
                    .collect();
                alert_node(link, &before, &props, &env, inputs, &mut out);
            }
        }
    }
    out.findings.sort_by_key(|f| (f.line, f.column, f.code));
    out
}

/// The links a chain's source var carries (`data` in `data|alert()`), recursively.
fn prefix<'a>(source: &Expr, env: &HashMap<&str, &'a Expr>, hops: usize) -> Vec<&'a Link> {
    if hops > MAX_VAR_HOPS {
        return Vec::new();
    }
    let Expr::Ident { name, .. } = source else {
        return Vec::new();
    };
    match env.get(name.as_str()) {
        Some(Expr::Chain { source, links }) => {
            let mut all = prefix(source, env, hops + 1);
            all.extend(links.iter());
            all
        }
        _ => Vec::new(),
    }
}

/// A constant string: a literal, a var holding one, or a `+` of those.
fn string_of(e: &Expr, env: &HashMap<&str, &Expr>, hops: usize) -> Option<String> {
    if hops > MAX_VAR_HOPS {
        return None;
    }
    match e {
        Expr::Str { value, .. } => Some(value.clone()),
        Expr::Ident { name, .. } => string_of(env.get(name.as_str())?, env, hops + 1),
        Expr::Binary { op, lhs, rhs } if op == "+" => {
            Some(string_of(lhs, env, hops + 1)? + &string_of(rhs, env, hops + 1)?)
        }
        _ => None,
    }
}

/// What an alert is grouped by.
#[derive(Debug, PartialEq)]
enum Dims {
    Tags(Vec<String>),
    /// `groupBy(*)`: every tag, whichever they are.
    All,
    /// Something the reader does not follow.
    Unknown,
}

fn dims_of(args: &[Expr], env: &HashMap<&str, &Expr>, hops: usize, out: &mut Dims) {
    for a in args {
        match a {
            Expr::Str { value, .. } | Expr::Ref { name: value, .. } => {
                if let Dims::Tags(t) = out {
                    t.push(value.clone());
                }
            }
            Expr::Star { .. } => {
                if *out != Dims::Unknown {
                    *out = Dims::All;
                }
            }
            Expr::List { items, .. } => dims_of(items, env, hops, out),
            Expr::Ident { name, .. } => match env.get(name.as_str()) {
                Some(v) if hops < MAX_VAR_HOPS => {
                    dims_of(std::slice::from_ref(*v), env, hops + 1, out)
                }
                _ => *out = Dims::Unknown,
            },
            // `time(1m)` in a batch query's groupBy is not a tag.
            Expr::Other { .. } => {}
            _ => *out = Dims::Unknown,
        }
    }
}

/// The grouping in effect where the alert node is: the last `groupBy` upstream.
fn grouping(before: &[&Link], env: &HashMap<&str, &Expr>) -> Dims {
    let Some(g) = before.iter().rev().find(|l| l.name == "groupBy") else {
        return Dims::Tags(Vec::new());
    };
    let mut d = Dims::Tags(Vec::new());
    dims_of(&g.args, env, 0, &mut d);
    d
}

/// The last `.name(…)` property of the alert node itself, and its first argument as a string
/// (`None` inside when it is not a constant).
fn last_prop<'a>(
    props: &[&'a Link], name: &str, env: &HashMap<&str, &Expr>,
) -> Option<(&'a Link, Option<String>)> {
    let l = props.iter().rev().find(|l| l.name == name)?;
    Some((l, l.args.first().and_then(|a| string_of(a, env, 0))))
}

const DEFAULT_ID: &str = "{{ .Name }}:{{ .Group }}";

fn alert_node(
    alert: &Link, before: &[&Link], props: &[&Link], env: &HashMap<&str, &Expr>, inputs: &Inputs,
    out: &mut Analysis,
) {
    let f = &mut out.findings;
    let (id_pos, id) = match last_prop(props, "id", env) {
        Some((l, id)) => (l.pos, id),
        None => (alert.pos, Some(DEFAULT_ID.to_string())),
    };
    if let Some(id) = id {
        id_checks(&id, id_pos, &grouping(before, env), f);
    }
    if let Some((l, Some(m))) = last_prop(props, "message", env) {
        if m.trim().is_empty() {
            f.push(finding(
                Code::EmptyMessageTemplate,
                Severity::Warning,
                l.pos,
                "the message is empty: the incident's title says nothing".into(),
                "remove .message('') for Kapacitor's default, or write one: .message('{{ .ID }} is {{ .Level }}')",
            ));
        }
    }
    if let Some((l, Some(d))) = last_prop(props, "details", env) {
        if d.trim().is_empty() {
            f.push(finding(
                Code::EmptyDetails,
                Severity::Warning,
                l.pos,
                ".details('') hides the alert's data from the incident".into(),
                "remove .details('') (the default, {{ json . }}, carries the data)",
            ));
        }
    }
    for l in props {
        match l.name.as_str() {
            "noRecoveries" => f.push(finding(
                Code::NoRecoveries,
                Severity::Warning,
                l.pos,
                ".noRecoveries(): Kapacitor never sends the OK, so no incident resolves by itself".into(),
                "remove .noRecoveries()",
            )),
            "stateChangesOnly" if l.args.is_empty() => f.push(finding(
                Code::StateChangesOnlyWithoutInterval,
                Severity::Warning,
                l.pos,
                ".stateChangesOnly() without a duration: Kapacitor never retries a failed POST, so a lost alert stays lost until the level changes".into(),
                "give it an interval to re-send while not OK: .stateChangesOnly(5m)",
            )),
            "flapping" => f.push(finding(
                Code::FlappingSuppressesRecoveries,
                Severity::Warning,
                l.pos,
                ".flapping(): alerts are suppressed while flapping, recoveries included, so an incident can stay open".into(),
                "remove .flapping(), or resolve by hand what ends while flapping",
            )),
            _ => {}
        }
    }
    posts(props, env, inputs, out);
}

fn id_checks(id: &str, pos: Pos, dims: &Dims, f: &mut Vec<Finding>) {
    let s: TemplateShape = shape(id);
    if s.is_blank() {
        f.push(finding(
            Code::EmptyIdTemplate,
            Severity::Error,
            pos,
            "the alert id is empty: every alert of every task shares one incident".into(),
            "use an id with the task and the group: .id('{{ .TaskName }}:{{ .Group }}')",
        ));
        return;
    }
    let missing_group = match dims {
        Dims::Tags(tags) => !s.group && !tags.iter().all(|t| s.tags.contains(t)),
        Dims::All => !s.group,
        Dims::Unknown => false,
    };
    if missing_group {
        f.push(finding(
            Code::IdWithoutGroup,
            Severity::Error,
            pos,
            format!("the id {id:?} does not name the group: every group shares one incident, and the first OK resolves it for all"),
            "put the group in the id: .id('{{ .TaskName }}:{{ .Group }}')",
        ));
    }
    if !s.task_name && !s.has_words() {
        f.push(finding(
            Code::IdWithoutTask,
            Severity::Warning,
            pos,
            format!("the id {id:?} does not name the task: two tasks on the same measurement and group share one incident"),
            "name the task in the id: .id('{{ .TaskName }}:{{ .Group }}')",
        ));
    }
}

/// Each `.post()` handler of the alert node: its URLs, or its `.endpoint()`.
fn posts(props: &[&Link], env: &HashMap<&str, &Expr>, inputs: &Inputs, out: &mut Analysis) {
    // (the .post link, its URLs if all constant, the .endpoint link and name)
    type Post<'a> = (
        &'a Link,
        Option<Vec<String>>,
        Option<(&'a Link, Option<String>)>,
    );
    let mut handlers: Vec<Post> = Vec::new();
    let mut in_post = false;
    for l in props {
        if HANDLERS.contains(&l.name.as_str()) {
            in_post = l.name == "post";
            if in_post {
                let urls: Option<Vec<String>> =
                    l.args.iter().map(|a| string_of(a, env, 0)).collect();
                handlers.push((l, urls, None));
            }
        } else if l.name == "endpoint" && in_post {
            if let Some(h) = handlers.last_mut() {
                h.2 = Some((l, l.args.first().and_then(|a| string_of(a, env, 0))));
            }
        }
    }
    for (post, urls, endpoint) in handlers {
        let urls = match urls {
            Some(u) => u.into_iter().filter(|u| !u.trim().is_empty()).collect(),
            None => continue,
        };
        post_target(post, urls, endpoint, inputs, out);
    }
}

fn post_target(
    post: &Link, urls: Vec<String>, endpoint: Option<(&Link, Option<String>)>, inputs: &Inputs,
    out: &mut Analysis,
) {
    let known = inputs.endpoints.as_deref();
    if !urls.is_empty() {
        if let (Some((l, Some(name))), Some(known)) = (&endpoint, known) {
            if !known.iter().any(|e| &e.name == name) {
                out.findings.push(finding(
                    Code::UnknownEndpoint,
                    Severity::Warning,
                    l.pos,
                    format!("no [[httppost]] endpoint {name:?} in the Kapacitor config; the URL in .post() is used instead"),
                    "remove .endpoint(), or add the endpoint to kapacitor.conf",
                ));
            }
        }
        for url in urls {
            url_target(post.pos, PostVia::Url(url.clone()), Some(&url), inputs, out);
        }
        return;
    }
    let Some((l, name)) = endpoint else {
        out.findings.push(finding(
            Code::UnknownEndpoint,
            Severity::Error,
            post.pos,
            ".post() with neither a URL nor an endpoint: Kapacitor refuses the task".into(),
            "give the URL, .post('<webhook URL>'), or an endpoint, .post().endpoint('tocsin')",
        ));
        return;
    };
    let Some(name) = name else { return };
    let Some(known) = known else {
        out.posts.push(PostTarget {
            pos: l.pos,
            via: PostVia::Endpoint { name, url: None },
            verdict: None,
        });
        return;
    };
    match known.iter().find(|e| e.name == name) {
        Some(e) => {
            let url = e.url.clone();
            url_target(
                l.pos,
                PostVia::Endpoint {
                    name,
                    url: Some(url.clone()),
                },
                Some(&url),
                inputs,
                out,
            );
        }
        None => out.findings.push(finding(
            Code::UnknownEndpoint,
            Severity::Error,
            l.pos,
            format!("no [[httppost]] endpoint {name:?} in the Kapacitor config: Kapacitor refuses the task"),
            "use an endpoint kapacitor.conf defines (tocsin kapacitor config prints one), or .post('<webhook URL>')",
        )),
    }
}

fn url_target(pos: Pos, via: PostVia, url: Option<&str>, inputs: &Inputs, out: &mut Analysis) {
    let verdict = match (url, &inputs.tocsin) {
        (Some(u), Some(t)) => Some(t.verdict(u)),
        _ => None,
    };
    let shown = url.unwrap_or_default();
    match &verdict {
        Some(UrlVerdict::NotTocsin) => out.findings.push(finding(
            Code::UrlNotTocsin,
            Severity::Error,
            pos,
            format!("{shown:?} looks meant for Tocsin but is not one of its webhook URLs (a typo, a rotated key, or another host)"),
            "copy the service's current webhook URL (tocsin kapacitor config prints it)",
        )),
        Some(UrlVerdict::Elsewhere) => out.findings.push(finding(
            Code::UrlNotTocsin,
            Severity::Warning,
            pos,
            format!("posts to {shown:?}, which is not one of this Tocsin's webhook URLs"),
            "if this alert is for Tocsin, post to the service's webhook URL instead",
        )),
        _ => {}
    }
    out.posts.push(PostTarget { pos, via, verdict });
}
