//! The whole catalogue against the second world (`fixtures/second-world.toml`), which shares no name
//! with the default one: once met as a deployment (a target file naming every role, no admin API,
//! Metabind's REST API for keys and visibility) and once with the embedded admin API. Every run
//! passes; as a deployment nearly every scenario × host run executes, and those that stop at a step
//! the deployment cannot do say so.

mod support;

use metabind_conformance::checks::Status;
use metabind_conformance::report::model::{RunReport, SWEEP_HOST};
use metabind_conformance::report::text::render;
use support::{run_in, scenarios, Mode, HOSTS};

fn all_pass(report: &RunReport) {
    let failing: Vec<String> = report
        .failures()
        .map(|r| format!("{} on {}:\n{}", r.scenario, r.host, support::failures(r)))
        .collect();
    assert!(
        failing.is_empty(),
        "{}\n\n{}",
        failing.join("\n\n"),
        render(report)
    );
}

#[test]
fn the_catalogue_runs_against_the_second_world_as_a_deployment() {
    let report = run_in(Mode::SecondWorldRemote, scenarios(), &HOSTS, true, &[]);
    assert_eq!(report.target.kind, "remote");
    all_pass(&report);
    let runs: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.host != SWEEP_HOST && !r.scenario.starts_with("sweep/"))
        .filter(|r| !needs_default_fixture(&r.scenario))
        .collect();
    let executed = runs.iter().filter(|r| !r.checks.is_empty()).count();
    let whole = runs
        .iter()
        .filter(|r| !r.checks.is_empty() && r.incomplete.is_none() && r.not_applicable.is_none())
        .count();
    eprintln!(
        "as a deployment: {} scenario × host runs, {executed} executed ({whole} whole, {} up to a step the deployment cannot do)",
        runs.len(),
        executed - whole
    );
    assert!(
        executed >= 70 && executed == runs.len(),
        "{executed} of {} runs executed:\n{}",
        runs.len(),
        render(&report)
    );
    // What stops a run early is server control the target file does not give (the admin-only
    // operations), never a missing role, endpoint or tool.
    for r in runs.iter().filter(|r| r.incomplete.is_some()) {
        let why = r.incomplete.as_deref().unwrap_or_default();
        assert!(
            why.contains("server control") || why.contains("org_roles"),
            "{} on {}: {why}",
            r.scenario,
            r.host
        );
        assert_ne!(
            r.status,
            Status::Skip,
            "{} on {} ran nothing",
            r.scenario,
            r.host
        );
    }
    // The sweep ran whole against the deployment.
    for r in report.results.iter().filter(|r| r.host == SWEEP_HOST) {
        assert_eq!(r.status, Status::Pass, "{}: {:?}", r.scenario, r.reason);
    }
}

#[test]
fn the_catalogue_runs_against_the_second_world_with_server_control() {
    let report = run_in(
        Mode::Embedded(metabind_conformance::target::World::Second),
        scenarios(),
        &HOSTS,
        true,
        &[],
    );
    all_pass(&report);
    let partial: Vec<&str> = report
        .results
        .iter()
        .filter(|r| r.incomplete.is_some() || r.not_applicable.is_some() || r.checks.is_empty())
        .filter(|r| !needs_default_fixture(&r.scenario))
        .map(|r| r.scenario.as_str())
        .collect();
    assert!(
        partial.is_empty(),
        "with control every scenario runs whole: {partial:?}"
    );
    assert!(
        report.target.url.contains("second world"),
        "{}",
        report.target.url
    );
}

/// Scenarios bound to the default fixture's projects (`needs = ["fixture"]`): n/a in the second world,
/// with that reason, which is their right verdict there.
fn needs_default_fixture(id: &str) -> bool {
    scenarios().iter().any(|s| {
        s.id == id
            && s.requirements()
                .needs
                .contains(&metabind_conformance::scenario::Need::Fixture)
    })
}
