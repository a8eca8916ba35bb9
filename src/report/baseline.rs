//! Expected failures: a TOML file of entries a run tolerates. An entry names a scenario, and
//! optionally a host and a check id; a failure it matches no longer fails the run, and an entry that
//! matches no failure is stale (the failure was fixed: remove the entry), which fails the run.
//!
//! ```toml
//! [[expected-failure]]
//! scenario = "sweep/tasks"
//! check = "tasks.result.waits"
//! reason = "our gateway answers tasks/result early (TICKET-123)"
//! ```

use std::fmt::Write as _;

use serde::Deserialize;

use super::model::RunReport;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    #[serde(rename = "expected-failure", default)]
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub scenario: String,
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub check: Option<String>,
    pub reason: String,
}

impl Entry {
    fn describe(&self) -> String {
        format!(
            "{}{}{} ({})",
            self.scenario,
            self.host
                .as_deref()
                .map(|h| format!(" on {h}"))
                .unwrap_or_default(),
            self.check
                .as_deref()
                .map(|c| format!(", {c}"))
                .unwrap_or_default(),
            self.reason
        )
    }
}

pub fn parse(text: &str) -> Result<Baseline, String> {
    let baseline: Baseline = toml::from_str(text).map_err(|e| e.to_string())?;
    for entry in &baseline.entries {
        if let Some(check) = &entry.check {
            if crate::checks::catalogue::get(check).is_none() {
                return Err(format!(
                    "unknown check id {check:?}{}",
                    crate::checks::catalogue::did_you_mean(check)
                ));
            }
        }
    }
    Ok(baseline)
}

/// Marks the failures the baseline expects and records its stale entries.
pub fn apply(report: &mut RunReport, baseline: &Baseline) {
    for entry in &baseline.entries {
        let mut matched = false;
        for result in report.results.iter_mut().filter(|r| {
            r.scenario == entry.scenario && entry.host.as_ref().is_none_or(|h| h == &r.host)
        }) {
            for check in result.checks.iter_mut().filter(|c| {
                c.status.is_finding() && entry.check.as_ref().is_none_or(|id| id == &c.id)
            }) {
                check.expected_failure = true;
                matched = true;
            }
        }
        if !matched {
            report.stale_baseline.push(format!(
                "{}: no longer fails; remove it from the baseline",
                entry.describe()
            ));
        }
    }
}

/// A baseline expecting every failing check of `report` (`metabind-conformance baseline`): one entry
/// per scenario, host and check, its reason the finding as the report words it, to be rewritten by
/// whoever accepts it.
pub fn from_report(report: &RunReport, source: &str) -> String {
    let mut out = format!(
        "# Expected failures taken from {source} ({}, {}).\n# Replace each reason with why the failure is accepted; remove an entry once it is fixed.\n",
        report.target.url, report.started_at
    );
    let mut seen = std::collections::BTreeSet::new();
    for result in &report.results {
        for check in result.checks.iter().filter(|c| c.status.is_failure()) {
            if !seen.insert((&result.scenario, &result.host, &check.id)) {
                continue;
            }
            let status = check.status.as_str();
            let message = check
                .message
                .strip_prefix(&format!("{status}: "))
                .unwrap_or(&check.message);
            let reason = format!("{status}: {message}");
            let _ = write!(
                out,
                "\n[[expected-failure]]\nscenario = {}\nhost = {}\ncheck = {}\nreason = {}\n",
                toml_string(&result.scenario),
                toml_string(&result.host),
                toml_string(&check.id),
                toml_string(&reason),
            );
        }
    }
    out
}

/// `s` as a TOML basic string.
fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}
