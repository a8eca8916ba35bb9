//! The terminal report: one table per host, then every failure with what was expected, what came,
//! the evidence, the troubleshooting row it points to and what to fix.

use std::fmt::Write;

use super::model::{RunReport, ScenarioResult};
use crate::checks::{catalogue, CheckResult, Status};

/// `3/4` style count of passed checks.
fn counts(result: &ScenarioResult) -> String {
    let judged = result
        .checks
        .iter()
        .filter(|c| !matches!(c.status, Status::Skip | Status::NotApplicable))
        .count();
    let passed = result
        .checks
        .iter()
        .filter(|c| c.status == Status::Pass || c.expected_failure)
        .count();
    format!("{passed}/{judged}")
}

/// The status the run counts, and how many findings were expected (by the baseline or the scenario).
fn status_label(result: &ScenarioResult) -> String {
    let expected = result
        .checks
        .iter()
        .filter(|c| c.expected_failure && c.status.is_finding())
        .count();
    let effective = result.effective_status();
    let mut label = effective.as_str().to_owned();
    if expected > 0 {
        label.push_str(&format!(" ({expected} expected)"));
    }
    // Steps left out: what passed is not the whole scenario.
    if result.incomplete.is_some() && !result.checks.is_empty() {
        label.push_str(", partial");
    }
    label
}

/// One check's failure, indented, for the terminal and JUnit.
pub fn describe_check(result: &ScenarioResult, check: &CheckResult) -> String {
    let mut out = String::new();
    let def = catalogue::get(&check.id);
    let _ = write!(
        out,
        "[{}] {}: {}",
        check.status.as_str(),
        check.id,
        check.message
    );
    if let (Some(step), Some(file)) = (check.step, &result.file) {
        let _ = write!(
            out,
            "\n    at step {step} ({file}:{})",
            check.line.unwrap_or(0)
        );
    }
    if let Some(e) = &check.expected {
        let _ = write!(out, "\n    expected: {e}");
    }
    if let Some(a) = &check.actual {
        let _ = write!(out, "\n    actual:   {a}");
    }
    let row = result
        .source
        .troubleshooting
        .as_deref()
        .or(def.and_then(|d| d.row).map(|r| r.text()));
    if let Some(row) = row {
        let _ = write!(out, "\n    troubleshooting: \"{row}\"");
    }
    if result.source.kind != "sweep" && !result.source.reference.is_empty() {
        let _ = write!(
            out,
            "\n    rule ({}): {}",
            result.source.kind, result.source.reference
        );
    }
    if let Some(d) = def {
        let _ = write!(out, "\n    clause: {}\n    fix: {}", d.clause, d.hint);
    }
    for e in &check.evidence {
        let _ = write!(
            out,
            "\n    evidence:\n      {}",
            e.replace('\n', "\n      ")
        );
    }
    out
}

/// `text` safe to print to a terminal: control characters a server could use to move the cursor,
/// clear the screen, set the window title or draw a fake verdict are shown escaped (`\u{1b}`).
pub fn for_terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "target: {} ({})",
        report.target.url, report.target.kind
    );
    if !report.target.faults.is_empty() {
        let _ = writeln!(out, "faults: {}", report.target.faults.join(", "));
    }
    for host in &report.hosts {
        let rows: Vec<&ScenarioResult> =
            report.results.iter().filter(|r| &r.host == host).collect();
        if rows.is_empty() {
            continue;
        }
        let title = if host == super::model::SWEEP_HOST {
            "protocol sweep (any host)".to_owned()
        } else {
            format!("host: {host}")
        };
        let _ = writeln!(out, "\n{title}");
        let eras = rows.iter().any(|r| r.era.is_some());
        let _ = writeln!(
            out,
            "  {:<44} {:<18} {:>7} {:>8}{}",
            "scenario",
            "status",
            "checks",
            "time",
            if eras { "  era" } else { "" }
        );
        for r in &rows {
            // The protocol era the host's connection spoke: 2026 (stateless) or 2025 (initialize).
            let era = match r.era {
                Some(crate::wire::Era::Modern) => "  2026-07-28",
                Some(crate::wire::Era::Legacy) => "  2025",
                None => "",
            };
            let _ = writeln!(
                out,
                "  {:<44} {:<18} {:>7} {:>7.1}s{}",
                r.scenario,
                status_label(r),
                counts(r),
                r.duration_ms as f64 / 1000.0,
                if eras { era } else { "" }
            );
            let explained = matches!(
                r.status,
                Status::Skip | Status::Error | Status::Fail | Status::NotApplicable
            ) || r.incomplete.is_some();
            if let (Some(reason), true) = (&r.reason, explained) {
                let _ = writeln!(out, "      {reason}");
            }
        }
    }
    out.push_str(&by_row(report));
    let failures: Vec<(&ScenarioResult, &CheckResult)> = report
        .results
        .iter()
        .flat_map(|r| r.checks.iter().map(move |c| (r, c)))
        .filter(|(_, c)| {
            matches!(
                c.status,
                Status::Fail | Status::Error | Status::Warn | Status::Info
            ) && !c.expected_failure
        })
        .collect();
    if !failures.is_empty() {
        let _ = writeln!(out, "\nfindings");
        for (r, c) in failures {
            let _ = writeln!(out, "\n{} on {}", r.scenario, r.host);
            let _ = writeln!(out, "  {}", describe_check(r, c).replace('\n', "\n  "));
        }
    }
    out.push_str(&held_back(report));
    for stale in &report.stale_baseline {
        let _ = writeln!(out, "\nstale baseline entry: {stale}");
    }
    if let Some(why) = &report.stopped {
        let _ = writeln!(
            out,
            "\nthe run stopped before it finished ({why}): these are the results it had"
        );
    }
    out.push_str(&summary(report));
    out
}

/// Why checks could not be judged, one line per reason (most checks first): a run that tested
/// little must say what stood in the way.
fn held_back(report: &RunReport) -> String {
    let reasons = report.not_testable_reasons();
    if reasons.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nnot testable (why, and which checks it held back)\n");
    const SHOWN: usize = 8;
    for (message, ids) in reasons.iter().take(SHOWN) {
        let more = if ids.len() > 3 {
            format!(" and {} more", ids.len() - 3)
        } else {
            String::new()
        };
        let _ = writeln!(out, "  {message}");
        let _ = writeln!(out, "      {}{more}", ids[..ids.len().min(3)].join(", "));
    }
    if reasons.len() > SHOWN {
        let _ = writeln!(
            out,
            "  … {} other reasons (report.html lists every check)",
            reasons.len() - SHOWN
        );
    }
    out
}

/// Scenario runs grouped by the troubleshooting row they exercise, per host: where to look first.
fn by_row(report: &RunReport) -> String {
    let mut out = String::new();
    let hosts: Vec<&String> = report
        .hosts
        .iter()
        .filter(|h| h.as_str() != super::model::SWEEP_HOST)
        .collect();
    let mut rows: Vec<String> = Vec::new();
    for r in &report.results {
        if let Some(row) = &r.source.troubleshooting {
            if !rows.contains(row) {
                rows.push(row.clone());
            }
        }
    }
    if rows.is_empty() || hosts.is_empty() {
        return out;
    }
    let _ = writeln!(out, "\nby troubleshooting row");
    let mut header = format!("  {:<36}", "row");
    for h in &hosts {
        let _ = write!(header, " {h:>15}");
    }
    let _ = writeln!(out, "{header}");
    for row in &rows {
        let mut line = format!("  {row:<36}");
        for h in &hosts {
            let runs: Vec<&ScenarioResult> = report
                .results
                .iter()
                .filter(|r| &r.host == *h && r.source.troubleshooting.as_ref() == Some(row))
                .collect();
            let cell = if runs.is_empty() {
                "-".to_owned()
            } else {
                let passed = runs
                    .iter()
                    .filter(|r| {
                        matches!(
                            r.effective_status(),
                            Status::Pass | Status::Warn | Status::NotApplicable
                        )
                    })
                    .count();
                format!("{passed}/{} pass", runs.len())
            };
            let _ = write!(line, " {cell:>15}");
        }
        let _ = writeln!(out, "{line}");
    }
    out
}

/// The last line: totals and the verdict.
pub fn summary(report: &RunReport) -> String {
    let mut by_status = std::collections::BTreeMap::new();
    for r in &report.results {
        *by_status.entry(r.effective_status()).or_insert(0usize) += 1;
    }
    let parts: Vec<String> = by_status
        .iter()
        .map(|(s, n)| format!("{n} {}", s.as_str()))
        .collect();
    let checks: usize = report.results.iter().map(|r| r.checks.len()).sum();
    format!(
        "\n{} scenario runs ({}), {checks} checks in {:.1}s: {}\n",
        report.results.len(),
        parts.join(", "),
        report.duration_ms as f64 / 1000.0,
        if report.passed() { "PASSED" } else { "FAILED" }
    )
}
