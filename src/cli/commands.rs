//! The commands that read files and print: `list`, `diff`, `baseline`.

use std::path::Path;

use super::{run::load_scenarios, CliError};
use crate::checks::catalogue::{self, Section};
use crate::host::HostProfile;
use crate::report::{self, model::RunReport};

pub(super) fn list(globs: &[String], dir: Option<&Path>, checks: bool) -> Result<bool, CliError> {
    if checks {
        outln!(
            "{:<38} {:<6} {:<22} troubleshooting row",
            "check",
            "level",
            "judged in"
        );
        for c in catalogue::all() {
            let judged = match c.judge.section() {
                Some(section) => section.scenario_id(),
                None => "scenario expectations".to_owned(),
            };
            outln!(
                "{:<38} {:<6} {:<22} {}",
                c.id,
                c.level.as_str(),
                judged,
                c.row.map(|r| r.text()).unwrap_or("-")
            );
            outln!("{:<47} {}", "", c.clause);
            outln!("{:<47} applies when {}", "", c.applies);
        }
        return Ok(true);
    }
    let (scenarios, sweep) = load_scenarios(dir, globs)?;
    outln!("{:<44} {:<30} needs", "scenario", "hosts");
    for s in &scenarios {
        let needs = s.requirements().describe();
        outln!(
            "{:<44} {:<30} {}",
            s.id,
            s.hosts.join(","),
            needs.join("; ")
        );
        let row = s
            .file
            .troubleshooting
            .as_ref()
            .map(|r| format!(" [{}]", r.get_ref()))
            .unwrap_or_default();
        outln!("    {}{row}", s.file.title);
    }
    for section in &sweep {
        outln!(
            "{:<44} {:<30} protocol sweep, {} checks",
            section.scenario_id(),
            if *section == Section::Hosts {
                "every host"
            } else {
                "any host"
            },
            catalogue::in_section(*section).count()
        );
        outln!("    {}", section.title());
    }
    outln!(
        "\n{} scenarios, {} sweep sections; `list --checks` shows the {} checks",
        scenarios.len(),
        sweep.len(),
        catalogue::all().count()
    );
    Ok(true)
}

pub(super) fn read_report(path: &Path) -> Result<RunReport, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::Read {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    report::json::parse(&text).map_err(|message| CliError::Read {
        path: path.to_owned(),
        message,
    })
}

pub(super) fn baseline(report: &Path, out: Option<&Path>) -> Result<bool, CliError> {
    let text = report::baseline::from_report(&read_report(report)?, &report.display().to_string());
    match out {
        None => out!("{text}"),
        Some(path) => std::fs::write(path, text).map_err(|e| CliError::Write {
            path: path.to_owned(),
            message: e.to_string(),
        })?,
    }
    Ok(true)
}

pub(super) fn diff(old: &Path, new: &Path) -> Result<bool, CliError> {
    let d = report::diff::compare(&read_report(old)?, &read_report(new)?);
    out!("{}", report::diff::render(&d));
    Ok(!d.has_regressions())
}

/// `list --hosts`: every behaviour of every host profile, with its value and the evidence it rests
/// on (trace, doc, hearsay, spec, ours; rows of ../shared/spec/hosts-observed.md).
pub(super) fn list_hosts() -> Result<bool, CliError> {
    for id in HostProfile::builtin_ids() {
        let profile = HostProfile::builtin(id).expect("built-in profiles parse");
        let text = HostProfile::builtin_text(id).unwrap_or_default();
        outln!("{} ({id})", profile.name);
        for (field, value, source) in profile.behaviours(text) {
            let (standing, why) = source.split_once(':').unwrap_or(("?", source.as_str()));
            outln!(
                "  {field:<36} {:<28} {standing:<8}{}",
                truncate(&value, 28),
                why.trim()
            );
        }
        outln!();
    }
    outln!("standings: trace (a wire trace or log), doc (the vendor), hearsay, spec (what MCP says a client does), ours (a modelling choice)");
    Ok(true)
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}
