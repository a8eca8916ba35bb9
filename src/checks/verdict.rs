//! Verdicts: what one check concluded from the evidence it read. A verdict keeps expected, actual and
//! excerpts of the exchanges it judged, so reports can quote them. A check that saw nothing relevant
//! is never a pass: it is n/a (the rule does not apply, with why), skip (a prerequisite the run lacks),
//! or not testable (the rule applies, but what it needs failed; a failure so the gap stays visible).

use serde::{Deserialize, Serialize};

use super::catalogue::{CheckDef, Level};
use crate::evidence::{Gap, Observed};
use crate::wire::Exchange;

/// The outcome of a check, best first and worst last (the order `worst` uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The rule does not apply to this target or host (with the reason).
    #[serde(rename = "n/a")]
    NotApplicable,
    /// The rule applies but could not be run here (with the missing prerequisite).
    Skip,
    Pass,
    /// A MAY-level rule (or a recommendation of ours) that was not met.
    Info,
    /// A SHOULD-level rule that was not met.
    Warn,
    /// The rule applies, but what it needs failed (the target answered with a 5xx, an earlier step
    /// failed): no verdict either way, and not a pass.
    NotTestable,
    /// A MUST-level rule was broken.
    Fail,
    /// The harness could not do its part (the browser failed, a step could not run): not the target's
    /// fault as far as we know, and kept apart from Fail.
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotApplicable => "n/a",
            Status::Skip => "skip",
            Status::Pass => "pass",
            Status::Info => "info",
            Status::Warn => "warn",
            Status::NotTestable => "not testable",
            Status::Fail => "fail",
            Status::Error => "error",
        }
    }

    /// The run cannot be green with this status.
    pub fn is_failure(self) -> bool {
        matches!(self, Status::NotTestable | Status::Fail | Status::Error)
    }

    /// A finding worth showing (a broken rule of any level, or no verdict where one was due).
    pub fn is_finding(self) -> bool {
        self >= Status::Info
    }

    /// What a broken rule of `level` becomes.
    pub fn broken(level: Level) -> Status {
        match level {
            Level::Must => Status::Fail,
            Level::Should => Status::Warn,
            Level::May => Status::Info,
        }
    }
}

/// One recorded verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The catalogue id (`auth.prm.resource-matches`).
    pub id: String,
    pub status: Status,
    /// The level of the clause (what a broken rule becomes).
    pub level: Level,
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
    /// A failure the baseline (or the scenario, for a finding it provokes) expects.
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
    fn new(def: &CheckDef, status: Status, message: impl Into<String>) -> CheckResult {
        CheckResult {
            id: def.id.to_owned(),
            status,
            level: def.level,
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

    pub fn pass(def: &CheckDef, message: impl Into<String>) -> CheckResult {
        CheckResult::new(def, Status::Pass, message)
    }

    /// The rule was broken: Fail, Warn or Info by the clause's level.
    pub fn fail(
        def: &CheckDef,
        message: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> CheckResult {
        let mut r = CheckResult::new(def, Status::broken(def.level), message);
        r.expected = Some(expected.into());
        r.actual = Some(actual.into());
        r
    }

    /// Pass when `ok`, otherwise `fail`, with the same expected and actual either way.
    pub fn judge(
        def: &CheckDef,
        ok: bool,
        message: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> CheckResult {
        if ok {
            let mut r = CheckResult::pass(def, message);
            r.expected = Some(expected.into());
            r.actual = Some(actual.into());
            r
        } else {
            CheckResult::fail(def, message, expected, actual)
        }
    }

    /// The check applies but what it needs failed: no verdict, and not a pass.
    pub fn not_testable(def: &CheckDef, why: impl Into<String>) -> CheckResult {
        CheckResult::new(
            def,
            Status::NotTestable,
            format!("not testable: {}", why.into()),
        )
    }

    pub fn skip(def: &CheckDef, reason: impl Into<String>) -> CheckResult {
        CheckResult::new(def, Status::Skip, reason)
    }

    pub fn not_applicable(def: &CheckDef, reason: impl Into<String>) -> CheckResult {
        CheckResult::new(def, Status::NotApplicable, reason)
    }

    /// A harness-side failure recorded under a check id.
    pub fn error(def: &CheckDef, message: impl Into<String>) -> CheckResult {
        CheckResult::new(def, Status::Error, message)
    }

    /// The verdict a missing piece of evidence gives.
    pub fn from_gap(def: &CheckDef, gap: &Gap) -> CheckResult {
        match gap {
            Gap::NotApplicable(why) => CheckResult::not_applicable(def, why),
            Gap::Skipped(why) => CheckResult::skip(def, why),
            Gap::NotTestable(why) => CheckResult::not_testable(def, why),
            Gap::HarnessError(why) => CheckResult::error(def, why),
        }
    }

    pub fn with_evidence<'a>(mut self, exchanges: impl IntoIterator<Item = &'a Exchange>) -> Self {
        self.evidence
            .extend(exchanges.into_iter().map(excerpt).take(MAX_EVIDENCE));
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.evidence.push(note.into());
        self
    }
}

/// The evidence a check needs, or the verdict its absence gives: `let x = seen!(DEF, &ev.x);`.
pub fn seen<'a, T>(def: &CheckDef, observed: &'a Observed<T>) -> Result<&'a T, CheckResult> {
    match observed {
        Observed::Seen(x) => Ok(x),
        Observed::Missing(gap) => Err(CheckResult::from_gap(def, gap)),
    }
}

/// A 5xx answer is never a verdict on the rule a probe tests: the server failed instead.
pub fn server_failed(def: &CheckDef, exchange: &Exchange, what: &str) -> Option<CheckResult> {
    (exchange.status >= 500).then(|| {
        CheckResult::not_testable(
            def,
            format!("{what} answered {}: the server failed", exchange.status),
        )
        .with_evidence([exchange])
    })
}

/// `s` cut to `n` characters, with an ellipsis when cut.
pub fn truncate(s: &str, n: usize) -> String {
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

/// What shaped a scenario run besides its checks.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunEnd<'a> {
    /// The harness failed (the checks before are kept).
    pub error: Option<&'a str>,
    /// The run did not happen on this target.
    pub skipped: Option<&'a str>,
    /// The scenario does not apply to this target (found before or during the run).
    pub not_applicable: Option<&'a str>,
    /// Steps this target could not do were left out; the checks before them are kept.
    pub incomplete: Option<&'a str>,
}

/// The one verdict of a scenario run: a harness error or a skip wins; then the worst finding; a run
/// that turned out not to apply is n/a; a run with nothing judged fails (a scenario must judge
/// something), unless steps were left out (then it is skipped); otherwise the worst check. With
/// `honour_expected`, findings the baseline or the scenario expects count as passes.
pub fn run_status(checks: &[CheckResult], end: RunEnd<'_>, honour_expected: bool) -> Status {
    if end.error.is_some() {
        return Status::Error;
    }
    if end.skipped.is_some() {
        return Status::Skip;
    }
    let statuses: Vec<Status> = checks
        .iter()
        .map(|c| {
            if honour_expected && c.expected_failure && c.status.is_finding() {
                Status::Pass
            } else {
                c.status
            }
        })
        .collect();
    let worst = statuses.iter().copied().max();
    match worst {
        Some(w) if w.is_finding() => w,
        _ if end.not_applicable.is_some() => Status::NotApplicable,
        None if end.incomplete.is_some() => Status::Skip,
        None => Status::Fail,
        Some(w) => w,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::transport::SESSION_REQUIRED;

    #[test]
    fn a_harness_error_after_a_passing_check_is_an_error() {
        let checks = vec![CheckResult::pass(&SESSION_REQUIRED, "fine")];
        assert_eq!(
            run_status(
                &checks,
                RunEnd {
                    error: Some("step 2: browser gone"),
                    ..RunEnd::default()
                },
                true
            ),
            Status::Error
        );
        assert_eq!(run_status(&checks, RunEnd::default(), true), Status::Pass);
    }

    #[test]
    fn nothing_judged_fails_and_a_skip_is_a_skip() {
        assert_eq!(run_status(&[], RunEnd::default(), true), Status::Fail);
        assert_eq!(
            run_status(
                &[],
                RunEnd {
                    skipped: Some("needs a login"),
                    ..RunEnd::default()
                },
                true
            ),
            Status::Skip
        );
    }

    #[test]
    fn a_run_that_does_not_apply_is_na_unless_it_found_something_and_a_partial_one_keeps_its_checks(
    ) {
        let pass = vec![CheckResult::pass(&SESSION_REQUIRED, "fine")];
        let na = RunEnd {
            not_applicable: Some("the target lists no tool that has a UI"),
            ..RunEnd::default()
        };
        assert_eq!(run_status(&pass, na, true), Status::NotApplicable);
        let failing = vec![CheckResult::fail(&SESSION_REQUIRED, "m", "400", "200")];
        assert_eq!(run_status(&failing, na, true), failing[0].status);
        let partial = RunEnd {
            incomplete: Some("steps 3-5: needs server control"),
            ..RunEnd::default()
        };
        assert_eq!(run_status(&pass, partial, true), Status::Pass);
        assert_eq!(run_status(&[], partial, true), Status::Skip);
    }

    #[test]
    fn expected_failures_count_as_passes_only_when_honoured() {
        let mut failing = CheckResult::fail(&SESSION_REQUIRED, "m", "400", "200");
        failing.expected_failure = true;
        let checks = vec![failing];
        assert_eq!(run_status(&checks, RunEnd::default(), true), Status::Pass);
        assert_eq!(run_status(&checks, RunEnd::default(), false), Status::Warn);
    }

    #[test]
    fn a_broken_rule_takes_its_clause_level() {
        assert_eq!(Status::broken(Level::Must), Status::Fail);
        assert_eq!(Status::broken(Level::Should), Status::Warn);
        assert_eq!(Status::broken(Level::May), Status::Info);
        assert!(Status::NotTestable.is_failure() && !Status::Warn.is_failure());
    }
}
