//! One scenario on one host: what it asks of the target is checked first (a role, an endpoint, a key
//! the target file does not name makes it n/a; the default fixture's seed data skips it elsewhere),
//! then its steps drive a mock host and each step's expectations are judged. A step the target lacks
//! what for makes the rest n/a; a step beyond what the target allows leaves the rest out with the
//! reason; a harness failure stops it as an error. What was judged before stays.

use std::sync::Arc;
use std::time::Instant;

use super::{Event, Shared, TrialOutput};
use crate::host::{HostProfile, MockHost};
use crate::probes::steps::{StepError, Trial};
use crate::report::model::{ScenarioResult, SourceInfo};
use crate::scenario::{Need, Scenario};
use crate::target::{Instance, TargetSpec, World};

fn scenario_result(scenario: &Scenario, host: &str) -> ScenarioResult {
    let mut result = ScenarioResult::new(
        scenario.id.clone(),
        scenario.file.title.clone(),
        host.to_owned(),
        SourceInfo {
            kind: serde_json::to_value(scenario.file.source.kind)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            reference: scenario.file.source.reference.clone(),
            troubleshooting: scenario.row.map(|r| r.text().to_owned()),
        },
    );
    result.file = Some(display_path(&scenario.path));
    result
}

/// Why the scenario cannot run on this target, before anything starts: skipped (`Err(Ok)`) or n/a
/// (`Err(Err)`).
fn precheck(target: &TargetSpec, scenario: &Scenario) -> Result<(), Result<String, String>> {
    let wants = scenario.requirements();
    let default_world = matches!(
        target,
        TargetSpec::Embedded {
            world: World::Default,
            ..
        }
    );
    if wants.needs.contains(&Need::Fixture) && !default_world {
        return Err(Ok(format!("needs {}", Need::Fixture.describe())));
    }
    let file = match target {
        TargetSpec::Embedded { world, .. } => world.target_file(),
        TargetSpec::Remote { file, .. } => (**file).clone(),
    };
    if let Some(role) = wants.roles.iter().find(|r| !file.logins.contains_key(r)) {
        return Err(Err(format!(
            "the target file names no {role} login ({})",
            role.describe()
        )));
    }
    if let Some(slot) = wants
        .endpoints
        .iter()
        .find(|e| file.endpoints.get(**e).is_none())
    {
        return Err(Err(format!(
            "the target file names no endpoints.{} ({})",
            slot.key(),
            slot.describe()
        )));
    }
    if let Some(key) = wants.keys.iter().find(|k| !file.api_keys.contains_key(k)) {
        return Err(Err(format!(
            "the target file names no api_keys.{}",
            key.as_str()
        )));
    }
    Ok(())
}

pub(super) async fn run_scenario(
    shared: &Shared<'_>,
    scenario: &Scenario,
    host_id: &str,
) -> TrialOutput {
    let config = shared.config;
    (shared.on_event)(Event::ScenarioStarted {
        scenario: &scenario.id,
        host: host_id,
    });
    let started = Instant::now();
    let mut result = scenario_result(scenario, host_id);
    let mut output = TrialOutput::default();
    match precheck(&config.target, scenario) {
        Err(Ok(skip)) => result.skipped = Some(skip),
        Err(Err(na)) => result.not_applicable = Some(na),
        Ok(()) => match HostProfile::builtin(host_id) {
            None => result.error = Some(format!("unknown host {host_id}")),
            Some(profile) => match Instance::start(&config.target, &config.net).await {
                Err(e) => result.error = Some(e.to_string()),
                Ok(instance) => {
                    if config.target.is_embedded() {
                        output.phases.servers_started = 1;
                        output.phases.server_start_ms = instance.server_start.as_millis() as u64;
                    }
                    if scenario.requirements().needs.contains(&Need::PrivateTarget)
                        && instance.is_public().await
                    {
                        result.not_applicable =
                            Some(format!("needs {}", Need::PrivateTarget.describe()));
                    } else {
                        run_trial(
                            shared,
                            scenario,
                            profile,
                            &instance,
                            &mut result,
                            &mut output,
                        )
                        .await;
                    }
                    let problems = instance.close().await;
                    if result.error.is_none() && !problems.is_empty() {
                        result.error = Some(problems.join("; "));
                    }
                }
            },
        },
    }
    result.duration_ms = started.elapsed().as_millis() as u64;
    result.settle();
    (shared.on_event)(Event::ScenarioFinished { result: &result });
    output.results.push(result);
    output
}

/// The steps of one scenario on one host: each step drives, then its expectations are judged.
async fn run_trial(
    shared: &Shared<'_>,
    scenario: &Scenario,
    profile: HostProfile,
    instance: &Instance,
    result: &mut ScenarioResult,
    output: &mut TrialOutput,
) {
    let config = shared.config;
    let mut profile = profile;
    if scenario.era == Some(crate::wire::Era::Legacy) {
        profile.protocol.opening = crate::wire::Opening::Legacy;
    }
    let mut host = MockHost::new(profile, config.popup.clone(), Arc::clone(&config.net));
    // One browser per user for the trial, like a person's own browser.
    static TRIALS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let session_key = format!(
        "trial-{}/",
        TRIALS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    host.browser_session = Some(session_key.clone());
    host.time_factor = scenario.file.time_factor.unwrap_or(1.0);
    host.metadata_site = shared.metadata_site.clone();
    host.renderer = shared.renderer.clone();
    let profile = Arc::clone(&host.profile);
    let mut trial = Trial::new(scenario, instance, host);
    let steps = scenario.file.steps.len();
    for (index, step) in scenario.file.steps.iter().enumerate() {
        let number = index + 1;
        let line = scenario.step_lines[index];
        let at = format!("step {number} ({}:{line})", display_path(&scenario.path));
        match trial.perform(step.get_ref()).await {
            Ok((evidence, judged)) => {
                let mut checks =
                    crate::checks::expect::judge(&judged, &evidence, &profile, &scenario.id);
                for check in &mut checks {
                    check.step = Some(number);
                    check.line = Some(line);
                    (shared.on_event)(Event::CheckRecorded {
                        scenario: &scenario.id,
                        host: &profile.id,
                        check,
                    });
                }
                result.checks.extend(checks);
            }
            Err(StepError::Harness(message)) => {
                result.error = Some(format!("{at}: {message}"));
                break;
            }
            Err(StepError::NotApplicable(why)) => {
                result.not_applicable = Some(format!("{at}: {why}"));
                break;
            }
            Err(StepError::Unavailable(why)) => {
                let left = if number == steps {
                    format!("step {number}")
                } else {
                    format!("steps {number}-{steps}")
                };
                result.incomplete = Some(format!("{left} not run: {why}"));
                break;
            }
        }
    }
    config.popup.end_sessions(&session_key);
    // The era of the first connection the trial opened (the main connector's, as a rule).
    result.era = trial
        .connectors
        .get("main")
        .into_iter()
        .chain(trial.connectors.values())
        .find(|c| c.connector.mcp.protocol_version.is_some())
        .map(|c| c.connector.mcp.era);
    for c in trial.connectors.values() {
        for popup in &c.connector.popups {
            output.phases.add_popup(popup.elapsed.as_millis() as u64);
        }
        let exchanges = c.connector.mcp.wire.transcript.snapshot();
        output.phases.exchanges += exchanges.len() as u64;
        output.phases.exchange_ms += exchanges.iter().map(|e| e.elapsed_ms).sum::<u64>();
    }
    output.surfaces = std::mem::take(&mut trial.surfaces);
}

fn display_path(path: &std::path::Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(|p| p.to_path_buf()))
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}
