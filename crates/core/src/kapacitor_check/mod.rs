//! The Kapacitor doctor: reads a TICKscript (never runs it) and reports what would lose or
//! merge incidents in Tocsin.
//!
//! Most lost or wrong Kapacitor incidents come from the script, not the transport: an alert id
//! without the group merges every host into one incident, `.noRecoveries()` never resolves,
//! `.stateChangesOnly()` never re-sends a lost POST, a post goes to a rotated key. Each rule is
//! a [`Code`] with a severity and a one-line fix. The checks take the Kapacitor config's
//! `[[httppost]]` endpoints and this Tocsin's webhook URLs as inputs, so the CLI (reading the
//! database), the API (reading the caller's services) and the live-task listing (reading
//! Kapacitor's API) share them. Pure: no I/O.

mod checks;
pub mod conf;
mod lex;
pub mod live;
mod parse;
mod template;

use serde::Serialize;

pub use checks::{analyze, Analysis, PostTarget, PostVia};
pub use conf::{endpoints, webhook_key, HttpPostEndpoint, TocsinUrls, UrlVerdict};

/// A place in the script; both count from 1, columns in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

/// The script is not TICKscript Kapacitor would accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Alerts are lost, merged or misrouted: `tocsin kapacitor check` exits non-zero.
    Error,
    /// Works, with a known way to lose or hide an alert.
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// The stable codes. Their strings are an interface (CLI, API, docs): never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Code {
    Syntax,
    KapacitorConf,
    IdWithoutGroup,
    IdWithoutTask,
    NoRecoveries,
    StateChangesOnlyWithoutInterval,
    FlappingSuppressesRecoveries,
    UnknownEndpoint,
    UrlNotTocsin,
    EmptyIdTemplate,
    EmptyMessageTemplate,
    EmptyDetails,
}

impl Code {
    pub const ALL: [Code; 12] = [
        Code::Syntax,
        Code::KapacitorConf,
        Code::IdWithoutGroup,
        Code::IdWithoutTask,
        Code::NoRecoveries,
        Code::StateChangesOnlyWithoutInterval,
        Code::FlappingSuppressesRecoveries,
        Code::UnknownEndpoint,
        Code::UrlNotTocsin,
        Code::EmptyIdTemplate,
        Code::EmptyMessageTemplate,
        Code::EmptyDetails,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::Syntax => "syntax",
            Code::KapacitorConf => "kapacitor-conf",
            Code::IdWithoutGroup => "id-without-group",
            Code::IdWithoutTask => "id-without-task",
            Code::NoRecoveries => "no-recoveries",
            Code::StateChangesOnlyWithoutInterval => "state-changes-only-without-interval",
            Code::FlappingSuppressesRecoveries => "flapping-suppresses-recoveries",
            Code::UnknownEndpoint => "unknown-endpoint",
            Code::UrlNotTocsin => "url-not-tocsin",
            Code::EmptyIdTemplate => "empty-id-template",
            Code::EmptyMessageTemplate => "empty-message-template",
            Code::EmptyDetails => "empty-details",
        }
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One thing wrong, where, and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub line: u32,
    pub column: u32,
    pub message: String,
    pub fix: String,
}

/// What the checks compare the script with. `None` leaves the checks that need it out (the
/// caller says so to its user): a script alone cannot say whether an endpoint exists.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// The Kapacitor config's `[[httppost]]` endpoints.
    pub endpoints: Option<Vec<HttpPostEndpoint>>,
    /// This Tocsin's webhook URLs.
    pub tocsin: Option<TocsinUrls>,
}

/// The findings for one script, in the order of the script.
pub fn check(script: &str, inputs: &Inputs) -> Vec<Finding> {
    analyze(script, inputs).findings
}

/// Whether any finding is an error (the CLI's exit status).
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}
