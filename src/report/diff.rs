//! `diff OLD NEW`: regressions and fixes per host, and changes of the tool surface each host saw
//! (tools added or removed, a description, schema or annotation that changed). Any worse status is a
//! regression (pass → warn included), shown with the clause's level; a finding that went away is a fix.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::model::{RunReport, Surface};
use crate::checks::{Level, Status};

/// One scenario's or check's status in both reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub host: String,
    /// `scenario` or `scenario check-id`.
    pub what: String,
    pub was: Status,
    pub now: Status,
    /// The clause's level, for a check.
    pub level: Option<Level>,
}

#[derive(Debug, Default)]
pub struct Diff {
    pub regressions: Vec<Change>,
    pub fixes: Vec<Change>,
    /// (host, description)
    pub changes: Vec<(String, String)>,
}

impl Diff {
    pub fn has_regressions(&self) -> bool {
        !self.regressions.is_empty()
    }
}

/// Every (host, scenario[, check]) with its worst status and its level (duplicate check ids collapse
/// to the worst).
fn statuses(report: &RunReport) -> BTreeMap<(String, String), (Status, Option<Level>)> {
    let mut map = BTreeMap::new();
    for r in &report.results {
        map.insert(
            (r.host.clone(), r.scenario.clone()),
            (r.effective_status(), None),
        );
        for c in &r.checks {
            let status = if c.expected_failure {
                Status::Pass
            } else {
                c.status
            };
            let key = (r.host.clone(), format!("{} {}", r.scenario, c.id));
            let entry = map.entry(key).or_insert((status, Some(c.level)));
            entry.0 = entry.0.max(status);
        }
    }
    map
}

pub fn compare(old: &RunReport, new: &RunReport) -> Diff {
    let mut diff = Diff::default();
    let before = statuses(old);
    let after = statuses(new);
    for (key, (now, level)) in &after {
        let change = |was: Status| Change {
            host: key.0.clone(),
            what: key.1.clone(),
            was,
            now: *now,
            level: *level,
        };
        match before.get(key).map(|(was, _)| *was) {
            // Worse, and a finding now: pass → info/warn/fail, warn → fail, …
            Some(was) if now.is_finding() && *now > was.max(Status::Pass) => {
                diff.regressions.push(change(was))
            }
            Some(was) if was.is_finding() && !now.is_finding() => diff.fixes.push(change(was)),
            None if now.is_finding() => diff.regressions.push(change(Status::NotApplicable)),
            _ => {}
        }
    }
    for key in before
        .keys()
        .filter(|k| !after.contains_key(*k) && !k.1.contains(' '))
    {
        diff.changes
            .push((key.0.clone(), format!("scenario {} was not run", key.1)));
    }
    surface_changes(&old.surfaces, &new.surfaces, &mut diff.changes);
    diff
}

fn surface_changes(old: &[Surface], new: &[Surface], out: &mut Vec<(String, String)>) {
    for n in new {
        let Some(o) = old
            .iter()
            .find(|o| o.host == n.host && o.endpoint == n.endpoint)
        else {
            out.push((
                n.host.clone(),
                format!("{}: first seen with {} tools", n.endpoint, n.tools.len()),
            ));
            continue;
        };
        let old_names: BTreeSet<&str> = o.tools.iter().map(|t| t.name.as_str()).collect();
        let new_names: BTreeSet<&str> = n.tools.iter().map(|t| t.name.as_str()).collect();
        for added in new_names.difference(&old_names) {
            out.push((
                n.host.clone(),
                format!("{}: tool {added} added", n.endpoint),
            ));
        }
        for removed in old_names.difference(&new_names) {
            out.push((
                n.host.clone(),
                format!("{}: tool {removed} removed", n.endpoint),
            ));
        }
        for t in &n.tools {
            let Some(before) = o.tools.iter().find(|b| b.name == t.name) else {
                continue;
            };
            let mut what = Vec::new();
            if before.description != t.description {
                what.push("description");
            }
            if before.annotations != t.annotations {
                what.push("annotations");
            }
            if before.input_schema != t.input_schema {
                what.push("inputSchema");
            }
            if before.execution != t.execution {
                what.push("execution");
            }
            if !what.is_empty() {
                let detail = if before.annotations != t.annotations {
                    format!(" ({} → {})", before.annotations, t.annotations)
                } else {
                    String::new()
                };
                out.push((
                    n.host.clone(),
                    format!(
                        "{}: tool {} changed {}{detail}",
                        n.endpoint,
                        t.name,
                        what.join(", ")
                    ),
                ));
            }
        }
    }
}

pub fn render(diff: &Diff) -> String {
    let mut out = String::new();
    let hosts: BTreeSet<&String> = diff
        .regressions
        .iter()
        .map(|r| &r.host)
        .chain(diff.fixes.iter().map(|f| &f.host))
        .chain(diff.changes.iter().map(|c| &c.0))
        .collect();
    if hosts.is_empty() {
        return "no differences\n".to_owned();
    }
    for host in hosts {
        let _ = writeln!(out, "host: {host}");
        let level = |c: &Change| {
            c.level
                .map(|l| format!(" ({})", l.as_str()))
                .unwrap_or_default()
        };
        for c in diff.regressions.iter().filter(|r| &r.host == host) {
            let _ = writeln!(
                out,
                "  regression  {}: {} → {}{}",
                c.what,
                c.was.as_str(),
                c.now.as_str(),
                level(c)
            );
        }
        for c in diff.fixes.iter().filter(|r| &r.host == host) {
            let _ = writeln!(
                out,
                "  fixed       {}: {} → {}{}",
                c.what,
                c.was.as_str(),
                c.now.as_str(),
                level(c)
            );
        }
        for (_, what) in diff.changes.iter().filter(|r| &r.0 == host) {
            let _ = writeln!(out, "  change      {what}");
        }
    }
    let _ = writeln!(
        out,
        "\n{} regression(s), {} fix(es), {} change(s)",
        diff.regressions.len(),
        diff.fixes.len(),
        diff.changes.len()
    );
    out
}
