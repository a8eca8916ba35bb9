//! The result model every report reads: `RunReport`, serialized as `report.json`. Its shape is
//! versioned by `schema_version` (documented in `docs/report-json.md`); fields are only added within a
//! version. Times and durations are recorded here once, at run and scenario level.

use serde::{Deserialize, Serialize};

use crate::checks::verdict::{run_status, RunEnd};
use crate::checks::{CheckResult, Status};
pub use crate::evidence::step::{Surface, ToolSurface};

pub const SCHEMA_VERSION: u32 = 2;

/// The host id under which the host-independent protocol sweep is reported.
pub const SWEEP_HOST: &str = "any";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunReport {
    pub schema_version: u32,
    /// `metabind-conformance <version>`.
    pub tool: String,
    pub target: TargetInfo,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub duration_ms: u64,
    /// Host ids the run covered, in order.
    pub hosts: Vec<String>,
    pub results: Vec<ScenarioResult>,
    /// What each host saw of each endpoint (for `diff`: tool list, schema and annotation changes).
    #[serde(default)]
    pub surfaces: Vec<Surface>,
    #[serde(default)]
    pub phases: Phases,
    /// Baseline entries that no longer match a failure (the expected failure now passes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stale_baseline: Vec<String>,
    /// Why the run stopped before it finished (its deadline, a signal): the results are what it had.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetInfo {
    /// `embedded` or `remote`.
    pub kind: String,
    /// The project endpoint under test.
    pub url: String,
    /// Faults the embedded server was started with (self-tests).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<String>,
}

/// Where a scenario's rule comes from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SourceInfo {
    /// `troubleshooting`, `guide`, `spec`, `metabind` or `sweep`.
    pub kind: String,
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub troubleshooting: Option<String>,
}

/// One scenario on one host.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioResult {
    /// The scenario id (`connect/not-a-member`), or `sweep/<section>`.
    pub scenario: String,
    pub title: String,
    pub host: String,
    pub source: SourceInfo,
    /// The scenario file, relative to the working directory when possible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The run's verdict (`checks::verdict::run_status`), expected failures counted as failures;
    /// written for readers of the file, recomputed from the fields below.
    pub status: Status,
    /// Why the status is what it is when no check says it: the harness error, the skip's reason, or
    /// that nothing was judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// A harness error that stopped the scenario; the checks judged before it are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Why the scenario did not run on this target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Why the scenario does not apply to this target (no such tool, role or endpoint), found
    /// before it started or at the step that needed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_applicable: Option<String>,
    /// The steps this target could not do (server control it does not offer, a tool the run may not
    /// call there): left out, with the reason; the checks before them are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<String>,
    pub duration_ms: u64,
    /// The protocol era the host's main connection spoke (`legacy` or `modern`), once it opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub era: Option<crate::wire::Era>,
    pub checks: Vec<CheckResult>,
}

impl ScenarioResult {
    /// A result with nothing judged yet.
    pub fn new(
        scenario: String,
        title: String,
        host: String,
        source: SourceInfo,
    ) -> ScenarioResult {
        ScenarioResult {
            scenario,
            title,
            host,
            source,
            file: None,
            status: Status::Pass,
            reason: None,
            error: None,
            skipped: None,
            not_applicable: None,
            incomplete: None,
            duration_ms: 0,
            era: None,
            checks: Vec::new(),
        }
    }

    fn end(&self) -> RunEnd<'_> {
        RunEnd {
            error: self.error.as_deref(),
            skipped: self.skipped.as_deref(),
            not_applicable: self.not_applicable.as_deref(),
            incomplete: self.incomplete.as_deref(),
        }
    }

    /// Sets `status` and `reason` from the checks and how the run ended: the one verdict.
    pub fn settle(&mut self) {
        self.status = run_status(&self.checks, self.end(), false);
        self.reason = [
            &self.error,
            &self.skipped,
            &self.not_applicable,
            &self.incomplete,
        ]
        .into_iter()
        .flatten()
        .next()
        .cloned()
        .or_else(|| {
            self.checks
                .is_empty()
                .then(|| "nothing was judged: the scenario has no expectations".into())
        });
    }

    /// The status after failures the baseline (or the scenario) expects are set aside.
    pub fn effective_status(&self) -> Status {
        run_status(&self.checks, self.end(), true)
    }
}

/// Wall time of each phase, summed over all scenarios (they overlap when run concurrently).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Phases {
    pub server_start_ms: u64,
    pub servers_started: u64,
    pub popup_ms: u64,
    pub popups: u64,
    pub exchanges: u64,
    pub exchange_ms: u64,
    /// Each popup's time, from `window.open` to its outcome, under the run's own concurrency.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub popup_durations_ms: Vec<u64>,
}

impl Phases {
    /// Adds another trial's figures.
    pub fn add(&mut self, other: &Phases) {
        self.server_start_ms += other.server_start_ms;
        self.servers_started += other.servers_started;
        self.popup_ms += other.popup_ms;
        self.popups += other.popups;
        self.exchanges += other.exchanges;
        self.exchange_ms += other.exchange_ms;
        self.popup_durations_ms
            .extend_from_slice(&other.popup_durations_ms);
    }

    /// Records one popup's time.
    pub fn add_popup(&mut self, ms: u64) {
        self.popups += 1;
        self.popup_ms += ms;
        self.popup_durations_ms.push(ms);
    }
}

impl RunReport {
    /// Results worth a non-zero exit: failures and errors that the baseline does not expect.
    pub fn failures(&self) -> impl Iterator<Item = &ScenarioResult> {
        self.results
            .iter()
            .filter(|r| r.effective_status().is_failure())
    }

    /// Why checks could not be judged: each reason once (without the "not testable: " prefix), with
    /// the checks it held back, most checks first.
    pub fn not_testable_reasons(&self) -> Vec<(&str, Vec<&str>)> {
        let mut reasons: Vec<(&str, Vec<&str>)> = Vec::new();
        for c in self.results.iter().flat_map(|r| &r.checks) {
            if c.status != Status::NotTestable {
                continue;
            }
            let message = c
                .message
                .strip_prefix("not testable: ")
                .unwrap_or(&c.message);
            match reasons.iter_mut().find(|(m, _)| *m == message) {
                Some((_, ids)) if ids.contains(&c.id.as_str()) => {}
                Some((_, ids)) => ids.push(&c.id),
                None => reasons.push((message, vec![&c.id])),
            }
        }
        reasons.sort_by_key(|(_, ids)| std::cmp::Reverse(ids.len()));
        reasons
    }

    pub fn passed(&self) -> bool {
        self.failures().next().is_none() && self.stale_baseline.is_empty() && self.stopped.is_none()
    }

    /// Every string of the report with the run's secrets replaced, whatever field they reached.
    pub fn scrub(&mut self, secrets: &crate::wire::Secrets) {
        if secrets.is_empty() {
            return;
        }
        let s = |text: &mut String| *text = secrets.scrub(text);
        let o = |text: &mut Option<String>| {
            if let Some(t) = text {
                *t = secrets.scrub(t);
            }
        };
        s(&mut self.target.url);
        for r in &mut self.results {
            s(&mut r.title);
            o(&mut r.reason);
            o(&mut r.error);
            o(&mut r.skipped);
            for c in &mut r.checks {
                s(&mut c.message);
                o(&mut c.expected);
                o(&mut c.actual);
                c.evidence.iter_mut().for_each(s);
                if let Some(shot) = &mut c.screenshot {
                    s(&mut shot.caption);
                }
            }
        }
        for surface in &mut self.surfaces {
            for tool in &mut surface.tools {
                o(&mut tool.description);
                let text = secrets.scrub(&tool.annotations.to_string());
                tool.annotations = serde_json::from_str(&text).unwrap_or_default();
            }
        }
        self.stale_baseline.iter_mut().for_each(s);
        o(&mut self.stopped);
    }
}
