//! `report.html`: a self-contained page (no scripts, no external assets): the verdict, a summary by
//! host and by troubleshooting row, one table per host, then every finding with its evidence.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::model::{RunReport, ScenarioResult, SWEEP_HOST};
use crate::checks::{catalogue, Status};

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn badge(status: Status) -> String {
    format!(
        "<span class=\"b {}\">{}</span>",
        status.as_str().replace(['/', ' '], ""),
        status.as_str()
    )
}

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1d232b;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .3rem}h2{font-size:1.15rem;margin:2rem 0 .5rem;border-bottom:1px solid #d6dbe1;padding-bottom:.3rem}
.meta{color:#5a6572}.verdict{font-size:1.1rem;font-weight:600;padding:.6rem 1rem;border-radius:6px;margin:1rem 0}
.verdict.ok{background:#e5f5ea;color:#17612f}.verdict.ko{background:#fbe7e7;color:#8d1c1c}
table{border-collapse:collapse;width:100%;margin:.4rem 0}th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #e7eaee;vertical-align:top}
th{font-weight:600;color:#5a6572;font-size:.85rem}td.n{text-align:right;font-variant-numeric:tabular-nums}
.b{display:inline-block;min-width:3.2rem;white-space:nowrap;text-align:center;border-radius:4px;padding:0 .4rem;font-size:.8rem;font-weight:600}
.pass{background:#e5f5ea;color:#17612f}.fail{background:#fbe7e7;color:#8d1c1c}.error{background:#f3e1f7;color:#6a1f7a}
.warn{background:#fff4d6;color:#7a5600}.skip,.na{background:#eef1f4;color:#5a6572}
.nottestable{background:#fdeede;color:#8a4b08}.info{background:#e4f0fb;color:#1d4f7a}
.stopped{background:#fff4d6;color:#7a5600;padding:.6rem 1rem;border-radius:6px}
.finding{border:1px solid #e7eaee;border-left:4px solid #c93c3c;border-radius:4px;padding:.6rem .9rem;margin:.8rem 0}
.finding.warn{border-left-color:#d9a400}.finding.info{border-left-color:#3d7fc1}.finding h3{margin:0 0 .3rem;font-size:1rem}.finding dl{display:grid;grid-template-columns:9rem 1fr;gap:.15rem .8rem;margin:.3rem 0}
.finding dt{color:#5a6572}.finding dd{margin:0}pre{background:#f6f8fa;padding:.5rem .7rem;border-radius:4px;overflow-x:auto;font-size:.8rem;white-space:pre-wrap;word-break:break-all}
code{font-size:.85rem}.small{font-size:.85rem;color:#5a6572}
.views{display:flex;flex-wrap:wrap;gap:1rem}.views figure{margin:0;border:1px solid #e7eaee;border-radius:6px;padding:.5rem;max-width:500px}
.views img{display:block;max-width:100%;border-radius:4px}.views figcaption{font-size:.85rem;margin-top:.3rem}";

pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>metabind-conformance report</title><style>{STYLE}</style></head><body>"
    );
    let _ = write!(
        out,
        "<h1>MCP conformance report</h1><div class=\"meta\">{} · target <code>{}</code> ({}) · started {} · {:.1} s</div>",
        esc(&report.tool),
        esc(&report.target.url),
        esc(&report.target.kind),
        esc(&report.started_at),
        report.duration_ms as f64 / 1000.0
    );
    if !report.target.faults.is_empty() {
        let _ = write!(
            out,
            "<div class=\"meta\">faults injected: {}</div>",
            esc(&report.target.faults.join(", "))
        );
    }
    let failing = report.failures().count();
    let _ = write!(
        out,
        "<div class=\"verdict {}\">{}</div>",
        if report.passed() { "ok" } else { "ko" },
        if report.passed() {
            "Passed: every scenario behaves as the hosts need.".to_owned()
        } else {
            format!(
                "Failed: {failing} scenario run(s) need attention{}.",
                if report.stale_baseline.is_empty() {
                    String::new()
                } else {
                    format!(", {} stale baseline entr(ies)", report.stale_baseline.len())
                }
            )
        }
    );
    if let Some(why) = &report.stopped {
        let _ = write!(
            out,
            "<div class=\"stopped\">The run stopped before it finished ({}): these are the results it had.</div>",
            esc(why)
        );
    }
    // Summary by host.
    let _ = write!(out, "<h2>By host</h2><table><tr><th>host</th><th>pass</th><th>info</th><th>warn</th><th>not testable</th><th>fail</th><th>error</th><th>skip / n/a</th></tr>");
    for host in &report.hosts {
        let rows: Vec<&ScenarioResult> =
            report.results.iter().filter(|r| &r.host == host).collect();
        let count =
            |f: &dyn Fn(Status) -> bool| rows.iter().filter(|r| f(r.effective_status())).count();
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
            esc(if host == SWEEP_HOST { "protocol sweep (any host)" } else { host }),
            count(&|s| s == Status::Pass),
            count(&|s| s == Status::Info),
            count(&|s| s == Status::Warn),
            count(&|s| s == Status::NotTestable),
            count(&|s| s == Status::Fail),
            count(&|s| s == Status::Error),
            count(&|s| matches!(s, Status::Skip | Status::NotApplicable)),
        );
    }
    out.push_str("</table>");
    // Summary by troubleshooting row.
    let mut by_row: BTreeMap<String, BTreeMap<String, (usize, usize)>> = BTreeMap::new();
    for r in &report.results {
        // A scenario counts under the row it names; sweep sections under their checks' rows.
        let rows: Vec<String> = match &r.source.troubleshooting {
            Some(row) => vec![row.clone()],
            None if r.host != SWEEP_HOST => Vec::new(),
            None => r
                .checks
                .iter()
                .filter_map(|c| catalogue::get(&c.id).and_then(|d| d.row))
                .map(|r| r.text().to_owned())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect(),
        };
        for row in rows {
            let cell = by_row
                .entry(row)
                .or_default()
                .entry(r.host.clone())
                .or_default();
            cell.1 += 1;
            if !r.effective_status().is_failure() {
                cell.0 += 1;
            }
        }
    }
    if !by_row.is_empty() {
        let _ = write!(
            out,
            "<h2>By troubleshooting row</h2><table><tr><th>symptom</th>"
        );
        for host in &report.hosts {
            let _ = write!(out, "<th>{}</th>", esc(host));
        }
        out.push_str("</tr>");
        for (row, hosts) in &by_row {
            let _ = write!(out, "<tr><td>{}</td>", esc(row));
            for host in &report.hosts {
                match hosts.get(host) {
                    Some((ok, all)) => {
                        let class = if ok == all { "pass" } else { "fail" };
                        let _ = write!(out, "<td><span class=\"b {class}\">{ok}/{all}</span></td>");
                    }
                    None => out.push_str("<td class=small>–</td>"),
                }
            }
            out.push_str("</tr>");
        }
        out.push_str("</table>");
    }
    // One table per host.
    for host in &report.hosts {
        let rows: Vec<&ScenarioResult> =
            report.results.iter().filter(|r| &r.host == host).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "<h2>{}</h2><table><tr><th>scenario</th><th>status</th><th>checks</th><th>source</th><th>time</th></tr>",
            esc(&if host == SWEEP_HOST { "Protocol sweep (any host)".to_owned() } else { format!("Host: {host}") })
        );
        for r in rows {
            let judged = r
                .checks
                .iter()
                .filter(|c| !matches!(c.status, Status::Skip | Status::NotApplicable))
                .count();
            let passed = r.checks.iter().filter(|c| c.status == Status::Pass).count();
            let _ = write!(
                out,
                "<tr><td><a href=\"#{}\">{}</a><div class=small>{}{}</div></td><td>{}</td><td class=n>{passed}/{judged}</td><td class=small>{}</td><td class=n>{:.1} s</td></tr>",
                esc(&anchor(r)),
                esc(&r.scenario),
                esc(&r.title),
                r.era
                    .map(|e| format!(" · spoke {}", esc(e.describe())))
                    .unwrap_or_default(),
                if r.incomplete.is_some() && !r.checks.is_empty() {
                    format!("{} <span class=\"b skip\">partial</span>", badge(r.effective_status()))
                } else {
                    badge(r.effective_status())
                },
                esc(&format!("{}: {}", r.source.kind, r.source.reference)),
                r.duration_ms as f64 / 1000.0
            );
            if let Some(reason) = &r.reason {
                let _ = write!(
                    out,
                    "<tr><td colspan=5 class=small>{}</td></tr>",
                    esc(reason)
                );
            }
        }
        out.push_str("</table>");
    }
    render_views(&mut out, report);
    // Findings.
    let findings: Vec<_> = report
        .results
        .iter()
        .flat_map(|r| r.checks.iter().map(move |c| (r, c)))
        .filter(|(_, c)| {
            matches!(
                c.status,
                Status::Fail | Status::Error | Status::Warn | Status::Info
            )
        })
        .collect();
    if !findings.is_empty() {
        out.push_str("<h2>Findings</h2>");
    }
    for (r, c) in findings {
        let def = catalogue::get(&c.id);
        let _ = write!(
            out,
            "<div class=\"finding {}\" id=\"{}\"><h3>{} <code>{}</code> · {} on {}</h3><div>{}</div><dl>",
            match c.status { Status::Warn => "warn", Status::Info => "info", _ => "" },
            esc(&anchor(r)),
            badge(c.status),
            esc(&c.id),
            esc(&r.scenario),
            esc(&r.host),
            esc(&c.message)
        );
        let mut row = |k: &str, v: &str| {
            let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(v));
        };
        if let Some(e) = &c.expected {
            row("expected", e);
        }
        if let Some(a) = &c.actual {
            row("actual", a);
        }
        if let (Some(step), Some(file)) = (c.step, &r.file) {
            row(
                "where",
                &format!("step {step}, {file}:{}", c.line.unwrap_or(0)),
            );
        }
        if let Some(t) = r
            .source
            .troubleshooting
            .as_deref()
            .or(def.and_then(|d| d.row).map(|r| r.text()))
        {
            row("troubleshooting", t);
        }
        if let Some(d) = def {
            row("clause", d.clause);
            row("fix", d.hint);
        }
        if c.expected_failure {
            row("baseline", "expected failure");
        }
        out.push_str("</dl>");
        for e in &c.evidence {
            let _ = write!(out, "<pre>{}</pre>", esc(e));
        }
        out.push_str("</div>");
    }
    let reasons = report.not_testable_reasons();
    if !reasons.is_empty() {
        out.push_str("<h2>Not testable</h2><p class=\"small\">Checks that apply but could not be judged, by what stood in the way.</p><table><tr><th>why</th><th>checks held back</th></tr>");
        for (why, ids) in &reasons {
            let _ = write!(
                out,
                "<tr><td>{}</td><td><code>{}</code></td></tr>",
                esc(why),
                esc(&ids.join(", "))
            );
        }
        out.push_str("</table>");
    }
    for stale in &report.stale_baseline {
        let _ = write!(
            out,
            "<div class=\"finding\"><h3>stale baseline entry</h3>{}</div>",
            esc(stale)
        );
    }
    let p = &report.phases;
    let _ = write!(
        out,
        "<h2>Run</h2><p class=small>{} embedded server(s) started in {} ms in total · {} popup(s), {} ms · {} HTTP exchange(s), {} ms (summed over concurrent scenarios)</p></body></html>",
        p.servers_started, p.server_start_ms, p.popups, p.popup_ms, p.exchanges, p.exchange_ms
    );
    out
}

fn anchor(r: &ScenarioResult) -> String {
    format!("{}--{}", r.host, r.scenario.replace('/', "-"))
}

/// "UI views as rendered": per host, the screenshot of every view a render check looked at, with its
/// verdict. Images are data URIs (the page stays self-contained); a report read back from JSON has
/// only the file names, which are linked instead.
fn render_views(out: &mut String, report: &RunReport) {
    use base64::Engine;
    let shots: Vec<(&ScenarioResult, &crate::checks::CheckResult)> = report
        .results
        .iter()
        .flat_map(|r| r.checks.iter().map(move |c| (r, c)))
        .filter(|(_, c)| c.screenshot.is_some())
        .collect();
    if shots.is_empty() {
        return;
    }
    out.push_str("<h2 id=\"ui-views\">UI views as rendered</h2>");
    for host in &report.hosts {
        let mine: Vec<_> = shots.iter().filter(|(r, _)| &r.host == host).collect();
        if mine.is_empty() {
            continue;
        }
        let _ = write!(out, "<h3>{}</h3><div class=\"views\">", esc(host));
        for (r, c) in mine {
            let Some(shot) = &c.screenshot else { continue };
            let image = if shot.png.is_empty() {
                format!("<a href=\"{0}\">{0}</a>", esc(&shot.file))
            } else {
                format!(
                    "<img alt=\"{}\" src=\"data:image/png;base64,{}\">",
                    esc(&shot.caption),
                    base64::engine::general_purpose::STANDARD.encode(&shot.png)
                )
            };
            let _ = write!(
                out,
                "<figure>{image}<figcaption>{} {} · <a href=\"#{}\">{}</a><div class=small>{}</div></figcaption></figure>",
                badge(c.status),
                esc(&shot.caption),
                esc(&anchor(r)),
                esc(&r.scenario),
                esc(c.actual.as_deref().unwrap_or(&c.message)),
            );
        }
        out.push_str("</div>");
    }
}
