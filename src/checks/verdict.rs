//! Verdicts: what one check concluded from the evidence it read. A verdict keeps expected, actual and
//! the transcript excerpts it judged, so reports can quote them. A check that saw nothing relevant is
//! never a pass: it is a failure "not testable: …" or a skip with the missing prerequisite.

use serde::{Deserialize, Serialize};

use super::catalogue::{self, Severity};
use crate::wire::Exchange;

/// The outcome of a check, worst last (the order `worst` uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The rule does not apply to this target or host (with the reason).
    NotApplicable,
    /// The rule applies but could not be run here (with the missing prerequisite).
    Skip,
    Pass,
    /// A warning-severity check that was not met.
    Warn,
    Fail,
    /// The harness could not do its part (a step of the scenario could not run): not the target's fault
    /// as far as we know, and kept apart from Fail.
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotApplicable => "n/a",
            Status::Skip => "skip",
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Error => "error",
        }
    }

    /// Fail or Error: the run cannot be green.
    pub fn is_failure(self) -> bool {
        matches!(self, Status::Fail | Status::Error)
    }
}

/// One recorded verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The catalogue id (`auth.prm.resource-matches`).
    pub id: String,
    pub status: Status,
    pub severity: Severity,
    /// One line: what was judged and how it came out.
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// Transcript excerpts the verdict read (secrets redacted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// The scenario step (1-based) and its line in the scenario file, for scenario expectations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// A failure the baseline expects.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub expected_failure: bool,
    /// What the check looked at, as the user would have seen it (a rendered UI view).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screenshot: Option<Screenshot>,
}

/// A PNG kept with a verdict. Reports write it to `file` (relative to the report directory) and the
/// HTML report embeds it; `report.json` keeps only the file name and caption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Screenshot {
    /// `screenshots/<host>-<scenario>-<tool>-<path>.png`.
    pub file: String,
    /// What it shows, in one line.
    pub caption: String,
    #[serde(skip)]
    pub png: Vec<u8>,
}

impl CheckResult {
    fn new(id: &str, status: Status, message: impl Into<String>) -> CheckResult {
        let def = catalogue::def(id);
        CheckResult {
            id: def.id.to_owned(),
            status,
            severity: def.severity,
            message: message.into(),
            expected: None,
            actual: None,
            evidence: Vec::new(),
            step: None,
            line: None,
            expected_failure: false,
            screenshot: None,
        }
    }

    pub fn pass(id: &str, message: impl Into<String>) -> CheckResult {
        CheckResult::new(id, Status::Pass, message)
    }

    /// The rule was broken: a Fail for error-severity checks, a Warn for warnings.
    pub fn fail(
        id: &str,
        message: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> CheckResult {
        let status = match catalogue::def(id).severity {
            Severity::Error => Status::Fail,
            Severity::Warning => Status::Warn,
        };
        let mut r = CheckResult::new(id, status, message);
        r.expected = Some(expected.into());
        r.actual = Some(actual.into());
        r
    }

    /// Pass when `ok`, otherwise `fail` with the same expected and actual.
    pub fn judge(
        id: &str,
        ok: bool,
        message: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> CheckResult {
        if ok {
            let mut r = CheckResult::pass(id, message);
            r.expected = Some(expected.into());
            r.actual = Some(actual.into());
            r
        } else {
            CheckResult::fail(id, message, expected, actual)
        }
    }

    /// The check applies but its prerequisite failed: a failure, so the gap stays visible.
    pub fn not_testable(id: &str, why: impl Into<String>) -> CheckResult {
        CheckResult::new(id, Status::Fail, format!("not testable: {}", why.into()))
    }

    pub fn skip(id: &str, reason: impl Into<String>) -> CheckResult {
        CheckResult::new(id, Status::Skip, reason)
    }

    pub fn not_applicable(id: &str, reason: impl Into<String>) -> CheckResult {
        CheckResult::new(id, Status::NotApplicable, reason)
    }

    /// A harness-side failure recorded under a check id.
    pub fn error(id: &str, message: impl Into<String>) -> CheckResult {
        CheckResult::new(id, Status::Error, message)
    }

    pub fn with_evidence<'a>(mut self, exchanges: impl IntoIterator<Item = &'a Exchange>) -> Self {
        self.evidence
            .extend(exchanges.into_iter().map(excerpt).take(MAX_EVIDENCE));
        self
    }

    pub fn at_step(mut self, step: usize, line: usize) -> Self {
        self.step = Some(step);
        self.line = Some(line);
        self
    }
}

/// `s` cut to `n` characters, with an ellipsis when cut.
pub(crate) fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

const MAX_EVIDENCE: usize = 4;
const BODY_CHARS: usize = 400;

/// A short, redacted quote of one exchange: request line, status, the headers that matter, body start.
pub fn excerpt(exchange: &Exchange) -> String {
    let interesting = [
        "www-authenticate",
        "mcp-session-id",
        "content-type",
        "location",
    ];
    let headers: Vec<String> = exchange
        .response_headers
        .iter()
        .filter(|(k, _)| interesting.contains(&k.to_ascii_lowercase().as_str()))
        // Recorded headers are already redacted by the wire.
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    let request_body = truncate(&exchange.request_body, BODY_CHARS);
    let body = truncate(&exchange.response_body, BODY_CHARS);
    let mut out = format!("{} {}", exchange.method, exchange.url);
    if !request_body.is_empty() {
        out.push_str(&format!("\n> {request_body}"));
    }
    out.push_str(&format!("\n< {}", exchange.status));
    for h in headers {
        out.push_str(&format!("\n< {h}"));
    }
    if !body.is_empty() {
        out.push_str(&format!("\n< {body}"));
    }
    out
}

/// The worst status of a set; `None` when empty.
pub fn worst<'a>(results: impl IntoIterator<Item = &'a CheckResult>) -> Option<Status> {
    results.into_iter().map(|r| r.status).max()
}
