//! The reports are pure functions of the run's result: each is rendered from a hand-made `RunReport`
//! and compared with its snapshot (`tests/snapshots/`), so a change in what users read shows up in
//! review. `cargo insta review` (or INSTA_UPDATE=always) accepts an intended change.

use metabind_conformance::checks::{CheckResult, Level, Status};
use metabind_conformance::report::model::{
    Phases, RunReport, ScenarioResult, SourceInfo, TargetInfo, SCHEMA_VERSION,
};
use metabind_conformance::report::{baseline, html, json, junit, text};

fn check(id: &str, status: Status, level: Level, message: &str) -> CheckResult {
    CheckResult {
        id: id.into(),
        status,
        level,
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

fn result(scenario: &str, host: &str, checks: Vec<CheckResult>) -> ScenarioResult {
    ScenarioResult {
        scenario: scenario.into(),
        title: format!("title of {scenario}"),
        host: host.into(),
        source: SourceInfo {
            kind: if scenario.starts_with("sweep/") {
                "sweep"
            } else {
                "troubleshooting"
            }
            .into(),
            reference: "Connect succeeds but tools fail: the user's role lacks the needed scope"
                .into(),
            troubleshooting: (!scenario.starts_with("sweep/"))
                .then(|| "Connect succeeds but tools fail".into()),
        },
        file: (!scenario.starts_with("sweep/")).then(|| format!("scenarios/{scenario}.toml")),
        status: Status::Pass,
        reason: None,
        error: None,
        skipped: None,
        not_applicable: None,
        incomplete: None,
        // Host runs spoke an era (sweep rows none): the text table's era column and the HTML note.
        era: (!scenario.starts_with("sweep/")).then_some(if scenario.ends_with("@legacy") {
            metabind_conformance::wire::Era::Legacy
        } else {
            metabind_conformance::wire::Era::Modern
        }),
        duration_ms: 1200,
        checks,
    }
}

/// A run with every kind of outcome: pass, warn, n/a, a failure with its evidence, an expected
/// failure, a skip, a harness error after a passing check, and a stale baseline entry.
fn report() -> RunReport {
    let mut origin = check(
        "transport.origin.checked",
        Status::Fail,
        Level::Must,
        "tools/list with Origin: http://rebinding.attacker.example",
    );
    origin.expected = Some("403".into());
    origin.actual = Some("200".into());
    origin.evidence =
        vec!["POST http://127.0.0.1:1/mcp\n< 200\n< content-type: application/json".into()];
    let mut cursor = check(
        "tools.list.cursor-validated",
        Status::Warn,
        Level::Should,
        "tools/list with a cursor the server never issued",
    );
    cursor.expected = Some("a JSON-RPC error -32602".into());
    cursor.actual = Some("a page of tools".into());
    let mut outcome = check(
        "host.call.outcome",
        Status::Fail,
        Level::Must,
        "calling search_products ended in a tool result",
    );
    outcome.step = Some(2);
    outcome.line = Some(14);
    outcome.expected = Some("refused (HTTP)".into());
    outcome.actual = Some("a tool result: {\"content\":[]}".into());
    let mut accepted = check(
        "tools.list.pagination",
        Status::Fail,
        Level::Must,
        "tools/list over 3 page(s)",
    );
    accepted.expected_failure = true;
    let mut results = vec![
        result(
            "sweep/transport",
            "any",
            vec![
                check(
                    "transport.notification.accepted",
                    Status::Pass,
                    Level::Must,
                    "notifications/initialized",
                ),
                origin,
                check(
                    "transport.session.bound",
                    Status::NotApplicable,
                    Level::Should,
                    "the endpoint asks for no credentials",
                ),
            ],
        ),
        result("sweep/tools", "any", vec![cursor, accepted]),
        result(
            "sweep/tasks",
            "any",
            vec![
                check(
                    "tasks.lifecycle.completes",
                    Status::NotTestable,
                    Level::Must,
                    "not testable: no tool can be called safely",
                ),
                check(
                    "tasks.get.unknown-id",
                    Status::NotTestable,
                    Level::Must,
                    "not testable: no tool can be called safely",
                ),
            ],
        ),
        result(
            "roles/viewer-lacks-scope",
            "chatgpt",
            vec![
                check(
                    "host.connector.state",
                    Status::Pass,
                    Level::Must,
                    "connector \"main\" is connected",
                ),
                outcome,
            ],
        ),
        result("sharing/second-member", "chatgpt", Vec::new()),
        result(
            "tasks/cancel",
            "chatgpt",
            vec![check(
                "host.connector.state",
                Status::Pass,
                Level::Must,
                "connector \"main\" is connected",
            )],
        ),
        result(
            "roles/role-reduced",
            "claude-desktop",
            vec![check(
                "host.connector.state",
                Status::Pass,
                Level::Must,
                "connector \"main\" is connected",
            )],
        ),
        result("ui/product-card", "claude-desktop", Vec::new()),
    ];
    results[4].skipped =
        Some("the target file names no second_member login (a second member who may call production tools)".into());
    results[6].incomplete = Some(
        "steps 3-5 not run: changing a role needs server control, and the target file names none"
            .into(),
    );
    results[7].not_applicable = Some(
        "step 2 (scenarios/ui/product-card.toml:14): the target lists no tool that has a UI".into(),
    );
    results[5].error =
        Some("step 2 (scenarios/tasks/cancel.toml:12): the browser failed: gone".into());
    for r in &mut results {
        r.settle();
    }
    RunReport {
        schema_version: SCHEMA_VERSION,
        tool: "metabind-conformance 0.1.0".into(),
        target: TargetInfo {
            kind: "remote".into(),
            url: "https://mcp.example.test/acme/storefront".into(),
            faults: Vec::new(),
        },
        started_at: "2026-12-01T00:00:00Z".into(),
        duration_ms: 4321,
        hosts: vec!["any".into(), "chatgpt".into(), "claude-desktop".into()],
        results,
        surfaces: Vec::new(),
        phases: Phases::default(),
        stale_baseline: vec!["sweep/ui, ui.resource.resolves (fixed upstream): no longer fails; remove it from the baseline".into()],
        stopped: None,
    }
}

#[test]
fn the_run_verdict_counts_a_harness_error_and_ignores_expected_failures() {
    let report = report();
    let by_id = |id: &str| report.results.iter().find(|r| r.scenario == id).unwrap();
    assert_eq!(
        by_id("tasks/cancel").status,
        Status::Error,
        "an error after a pass is an error"
    );
    assert_eq!(by_id("sweep/tools").effective_status(), Status::Warn);
    assert_eq!(by_id("sharing/second-member").status, Status::Skip);
    assert!(!report.passed());
}

#[test]
fn the_terminal_report_reads_as_expected() {
    insta::assert_snapshot!("text", text::render(&report()));
}

#[test]
fn junit_keeps_failures_errors_and_skips_apart() {
    let xml = junit::render(&report()).to_string().unwrap();
    assert!(
        xml.contains("<failure") && xml.contains("<error") && xml.contains("<skipped"),
        "{xml}"
    );
    insta::assert_snapshot!("junit", xml);
}

#[test]
fn report_json_has_its_documented_shape() {
    let rendered = json::render(&report());
    let back = json::parse(&rendered).unwrap();
    assert_eq!(back.results.len(), 8);
    insta::assert_snapshot!("json", rendered);
}

#[test]
fn the_html_report_is_self_contained() {
    let page = html::render(&report());
    assert!(
        !page.contains("<script src=") && !page.contains("<link "),
        "no external resources"
    );
    insta::assert_snapshot!("html", page);
}

#[test]
fn a_baseline_made_from_a_report_expects_its_failures_and_parses() {
    let made = baseline::from_report(&report(), "report.json");
    insta::assert_snapshot!("baseline", made);
    let parsed = baseline::parse(&made).unwrap();
    assert_eq!(parsed.entries.len(), 5, "{made}");
}
