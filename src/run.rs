//! The runner, the only module that sees everything: for every scenario × host it starts a target
//! instance (a fresh embedded server, or the remote target), lets the scenario's steps drive a mock
//! host (`probes::steps`) and judges each step's expectations (`checks::expect`); it runs the protocol
//! sweep's probes (`probes::sweep`) and judges every catalogue check of the chosen sections. It
//! reports through events (`Event`) and returns the `RunReport` every report renders. Independent
//! trials run concurrently; nothing waits on a fixed sleep.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use futures_util::stream::{self, StreamExt};

use crate::checks::catalogue::{self, Judge, Section};
use crate::checks::{CheckResult, Status};
use crate::evidence::SweepEvidence;
use crate::host::{ClientMetadataSite, HostProfile, MockHost};
use crate::popup::Popup;
use crate::probes;
use crate::probes::steps::Trial;
use crate::render::Renderer;
use crate::report::model::{
    Phases, RunReport, ScenarioResult, SourceInfo, Surface, TargetInfo, SCHEMA_VERSION, SWEEP_HOST,
};
use crate::scenario::{Need, Scenario, Vocabulary};
use crate::stop::Stop;
use crate::target::{Instance, Logins, TargetSpec};
use crate::wire::Net;

/// Everything a run needs.
#[derive(Clone)]
pub struct RunConfig {
    pub target: TargetSpec,
    pub logins: Logins,
    /// Host ids, in report order.
    pub hosts: Vec<String>,
    pub scenarios: Vec<Scenario>,
    /// The protocol sweep's sections to run (none: no sweep).
    pub sweep: BTreeSet<Section>,
    pub popup: Popup,
    /// Trials run at once.
    pub concurrency: usize,
    /// The network context every wire of the run shares (time limit, read limits, URL policy,
    /// secrets to scrub from outputs).
    pub net: Arc<Net>,
    /// Asks the run to end early (deadline, signals) with what it has.
    pub stop: Stop,
}

/// What the runner tells its consumers (progress display, test trials, report builder).
#[derive(Debug)]
pub enum Event<'a> {
    RunStarted {
        trials: usize,
    },
    ScenarioStarted {
        scenario: &'a str,
        host: &'a str,
    },
    CheckRecorded {
        scenario: &'a str,
        host: &'a str,
        check: &'a CheckResult,
    },
    ScenarioFinished {
        result: &'a ScenarioResult,
    },
}

/// The names scenario files may use that other modules define.
pub fn vocabulary() -> Vocabulary {
    Vocabulary {
        checks: catalogue::all().map(|c| c.id).collect(),
    }
}

/// One scenario on one host, or the sweep.
#[derive(Clone)]
enum TrialKind {
    Scenario(usize, String),
    Sweep,
}

#[derive(Default)]
struct TrialOutput {
    results: Vec<ScenarioResult>,
    surfaces: Vec<Surface>,
    phases: Phases,
}

/// What every trial of a run shares.
struct Shared<'a> {
    config: &'a RunConfig,
    metadata_site: Option<Arc<ClientMetadataSite>>,
    renderer: Option<Arc<Renderer>>,
    on_event: &'a (dyn Fn(Event<'_>) + Sync),
}

/// Runs the whole configuration; everything that happens is a verdict in the report (a target that
/// cannot be reached is for the caller to find out first: `target::preflight`).
pub async fn run(config: &RunConfig, on_event: &(dyn Fn(Event<'_>) + Sync)) -> RunReport {
    let started_at = SystemTime::now();
    let started = Instant::now();
    let shared = Shared {
        config,
        metadata_site: metadata_site(config).await,
        renderer: config.popup.chromium().map(|c| Arc::new(Renderer::new(c))),
        on_event,
    };
    let mut trials = Vec::new();
    if !config.sweep.is_empty() {
        trials.push(TrialKind::Sweep);
    }
    for (index, scenario) in config.scenarios.iter().enumerate() {
        for host in &config.hosts {
            if scenario.applies_to(host) {
                trials.push(TrialKind::Scenario(index, host.clone()));
            }
        }
    }
    on_event(Event::RunStarted {
        trials: trials.len(),
    });
    let shared = &shared;
    let mut outputs: Vec<(usize, TrialOutput)> = stream::iter(trials.into_iter().enumerate())
        .map(|(order, trial)| async move {
            let output = match trial {
                // The sweep stops by itself and judges what it recorded.
                TrialKind::Sweep => run_sweep(shared).await,
                // A scenario is all or nothing: one the stop interrupts is not reported.
                TrialKind::Scenario(index, host) => config
                    .stop
                    .unless_stopped(run_scenario(shared, &config.scenarios[index], &host))
                    .await
                    .unwrap_or_default(),
            };
            (order, output)
        })
        .buffer_unordered(config.concurrency.max(1))
        .collect()
        .await;
    outputs.sort_by_key(|(order, _)| *order);
    let mut results = Vec::new();
    let mut surfaces: Vec<Surface> = Vec::new();
    let mut phases = Phases::default();
    for (_, output) in outputs {
        results.extend(output.results);
        for surface in output.surfaces {
            if !surfaces
                .iter()
                .any(|s| s.host == surface.host && s.endpoint == surface.endpoint)
            {
                surfaces.push(surface);
            }
        }
        phases.add(&output.phases);
    }
    assemble(
        config,
        results,
        surfaces,
        phases,
        started_at,
        started.elapsed(),
    )
}

/// The report of a run (or of what a stopped run finished), its target as the user named it.
pub fn assemble(
    config: &RunConfig,
    results: Vec<ScenarioResult>,
    surfaces: Vec<Surface>,
    phases: Phases,
    started_at: SystemTime,
    duration: std::time::Duration,
) -> RunReport {
    let (url, faults) = match &config.target {
        TargetSpec::Embedded { faults } => (
            "embedded reference server (default fixture), acme/storefront".to_owned(),
            faults.iter().map(|f| f.name().to_owned()).collect(),
        ),
        TargetSpec::Remote { url } => (crate::wire::redact_url(url), Vec::new()),
    };
    let mut hosts = Vec::new();
    if !config.sweep.is_empty() {
        hosts.push(SWEEP_HOST.to_owned());
    }
    hosts.extend(config.hosts.iter().cloned());
    RunReport {
        schema_version: SCHEMA_VERSION,
        tool: format!("metabind-conformance {}", env!("CARGO_PKG_VERSION")),
        target: TargetInfo {
            kind: if config.target.is_embedded() {
                "embedded"
            } else {
                "remote"
            }
            .to_owned(),
            url,
            faults,
        },
        started_at: humantime::format_rfc3339_seconds(started_at).to_string(),
        duration_ms: duration.as_millis() as u64,
        hosts,
        results,
        surfaces,
        phases,
        stale_baseline: Vec::new(),
        stopped: None,
    }
}

/// The hosts' CIMD documents, served once for the whole run (the embedded AS may fetch loopback).
async fn metadata_site(config: &RunConfig) -> Option<Arc<ClientMetadataSite>> {
    if !config.target.is_embedded() {
        return None;
    }
    let profiles: Vec<HostProfile> = config
        .hosts
        .iter()
        .filter_map(|h| HostProfile::builtin(h))
        .collect();
    let entries: Vec<(&str, &str, &str)> = profiles
        .iter()
        .map(|p| {
            (
                p.id.as_str(),
                p.name.as_str(),
                p.auth.redirect_uri.as_deref().unwrap_or_default(),
            )
        })
        .collect();
    ClientMetadataSite::start(&entries).await.ok().map(Arc::new)
}

/// The needs this target and these logins cannot meet.
fn missing_needs(config: &RunConfig, needs: &BTreeSet<Need>) -> Vec<Need> {
    let embedded = config.target.is_embedded();
    needs
        .iter()
        .copied()
        .filter(|need| match need {
            Need::ServerControl | Need::Fixture => !embedded,
            Need::Login => !embedded && config.logins.user.is_none(),
            Need::SecondUser => !embedded && config.logins.second.is_none(),
            Need::Token => !embedded && config.logins.token.is_none(),
        })
        .collect()
}

fn sweep_result(scenario: String, title: &str, reference: &str, host: &str) -> ScenarioResult {
    ScenarioResult {
        scenario,
        title: title.to_owned(),
        host: host.to_owned(),
        source: SourceInfo {
            kind: "sweep".into(),
            reference: reference.to_owned(),
            troubleshooting: None,
        },
        file: None,
        status: Status::Pass,
        reason: None,
        error: None,
        skipped: None,
        duration_ms: 0,
        checks: Vec::new(),
    }
}

/// Every check a section judges, on the evidence; a judge that recorded nothing is not testable.
fn judge_section(
    section: Section,
    ev: &SweepEvidence,
    host: Option<&HostProfile>,
) -> Vec<CheckResult> {
    let mut checks = Vec::new();
    for def in catalogue::in_section(section) {
        let verdicts = match (def.judge, host) {
            (Judge::Sweep(_, judge), None) => judge(ev),
            (Judge::PerHost(judge), Some(profile)) => judge(ev, profile),
            _ => continue,
        };
        if verdicts.is_empty() {
            checks.push(CheckResult::not_testable(
                def,
                "the probes recorded nothing for it",
            ));
        }
        checks.extend(verdicts);
    }
    checks
}

async fn run_sweep(shared: &Shared<'_>) -> TrialOutput {
    let config = shared.config;
    (shared.on_event)(Event::ScenarioStarted {
        scenario: "sweep",
        host: SWEEP_HOST,
    });
    let started = Instant::now();
    let mut output = TrialOutput::default();
    let mut results = Vec::new();
    let instance = match Instance::start(&config.target, &config.logins).await {
        Err(e) => Err(e.to_string()),
        Ok(instance) => {
            if config.target.is_embedded() {
                output.phases.servers_started = 1;
                output.phases.server_start_ms = instance.server_start.as_millis() as u64;
            }
            probes::sweep::run(
                &instance,
                &config.popup,
                &config.net,
                &config.sweep,
                &config.stop,
            )
            .await
            .map_err(|e| e.to_string())
        }
    };
    for section in config.sweep.iter().copied() {
        let hosts: Vec<Option<HostProfile>> = if section == Section::Hosts {
            config
                .hosts
                .iter()
                .map(|h| HostProfile::builtin(h))
                .collect()
        } else {
            vec![None]
        };
        for profile in hosts {
            let host = profile.as_ref().map_or(SWEEP_HOST, |p| p.id.as_str());
            let mut result = sweep_result(
                section.scenario_id(),
                section.title(),
                section.reference(),
                host,
            );
            match &instance {
                Err(why) => {
                    result.error = Some(why.clone());
                    result.duration_ms = started.elapsed().as_millis() as u64;
                }
                Ok((ev, cost)) => {
                    result.checks = judge_section(section, ev, profile.as_ref());
                    if let Some(why) = &ev.stopped {
                        for check in &mut result.checks {
                            if check.status == Status::NotTestable
                                && check.message.ends_with(crate::evidence::NOT_PROBED)
                            {
                                check.message = format!(
                                    "not testable: the run stopped ({why}) before this was probed"
                                );
                            }
                        }
                    }
                    result.duration_ms = cost.section_ms.get(&section).copied().unwrap_or(0);
                }
            }
            result.settle();
            results.push(result);
        }
    }
    if let Ok((_, cost)) = &instance {
        output.phases.exchanges = cost.exchanges as u64;
        output.phases.exchange_ms = cost.exchange_ms;
        output.phases.popups = cost.popups as u64;
        output.phases.popup_ms = cost.popup_ms;
    }
    for result in &results {
        for check in &result.checks {
            (shared.on_event)(Event::CheckRecorded {
                scenario: &result.scenario,
                host: &result.host,
                check,
            });
        }
        (shared.on_event)(Event::ScenarioFinished { result });
    }
    output.results = results;
    output
}

fn scenario_result(scenario: &Scenario, host: &str) -> ScenarioResult {
    ScenarioResult {
        scenario: scenario.id.clone(),
        title: scenario.file.title.clone(),
        host: host.to_owned(),
        source: SourceInfo {
            kind: serde_json::to_value(scenario.file.source.kind)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            reference: scenario.file.source.reference.clone(),
            troubleshooting: scenario.row.map(|r| r.text().to_owned()),
        },
        file: Some(display_path(&scenario.path)),
        status: Status::Pass,
        reason: None,
        error: None,
        skipped: None,
        duration_ms: 0,
        checks: Vec::new(),
    }
}

async fn run_scenario(shared: &Shared<'_>, scenario: &Scenario, host_id: &str) -> TrialOutput {
    let config = shared.config;
    (shared.on_event)(Event::ScenarioStarted {
        scenario: &scenario.id,
        host: host_id,
    });
    let started = Instant::now();
    let mut result = scenario_result(scenario, host_id);
    let mut output = TrialOutput::default();
    let missing = missing_needs(config, &scenario.needs());
    if !missing.is_empty() {
        result.skipped = Some(format!(
            "needs {}",
            missing
                .iter()
                .map(|n| n.describe())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    } else if let Some(profile) = HostProfile::builtin(host_id) {
        match Instance::start(&config.target, &config.logins).await {
            Err(e) => result.error = Some(e.to_string()),
            Ok(instance) => {
                if config.target.is_embedded() {
                    output.phases.servers_started = 1;
                    output.phases.server_start_ms = instance.server_start.as_millis() as u64;
                }
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
        }
    } else {
        result.error = Some(format!("unknown host {host_id}"));
    }
    result.duration_ms = started.elapsed().as_millis() as u64;
    result.settle();
    (shared.on_event)(Event::ScenarioFinished { result: &result });
    output.results.push(result);
    output
}

/// The steps of one scenario on one host: each step drives, then its expectations are judged. A
/// step that cannot be done stops the scenario with a harness error; what was judged before stays.
async fn run_trial(
    shared: &Shared<'_>,
    scenario: &Scenario,
    profile: HostProfile,
    instance: &Instance,
    result: &mut ScenarioResult,
    output: &mut TrialOutput,
) {
    let config = shared.config;
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
    for (index, step) in scenario.file.steps.iter().enumerate() {
        let number = index + 1;
        let line = scenario.step_lines[index];
        match trial.perform(step.get_ref()).await {
            Ok(evidence) => {
                let mut checks =
                    crate::checks::expect::judge(step.get_ref(), &evidence, &profile, &scenario.id);
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
            Err(message) => {
                result.error = Some(format!(
                    "step {number} ({}:{line}): {message}",
                    display_path(&scenario.path)
                ));
                break;
            }
        }
    }
    config.popup.end_sessions(&session_key);
    for c in trial.connectors.values() {
        for popup in &c.connector.popups {
            output.phases.popups += 1;
            output.phases.popup_ms += popup.elapsed.as_millis() as u64;
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
