//! The runner, the only module that sees everything: for every scenario × host it starts a target
//! instance (a fresh embedded server, or the remote target), lets the scenario's steps drive a mock
//! host (`probes::steps`) and judges each step's expectations (`checks::expect`); it runs the protocol
//! sweep's probes (`probes::sweep`) and judges every catalogue check of the chosen sections. It
//! reports through events (`Event`) and returns the `RunReport` every report renders. Independent
//! trials run concurrently; nothing waits on a fixed sleep.

mod scenario;
mod sweep;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use futures_util::stream::{self, StreamExt};

use crate::checks::catalogue::{self, Section};
use crate::checks::CheckResult;
use crate::host::{ClientMetadataSite, HostProfile};
use crate::popup::Popup;
use crate::render::Renderer;
use crate::report::model::{
    Phases, RunReport, ScenarioResult, Surface, TargetInfo, SCHEMA_VERSION, SWEEP_HOST,
};
use crate::scenario::{Scenario, Vocabulary};
use crate::stop::Stop;
use crate::target::TargetSpec;
use crate::wire::Net;

/// Everything a run needs.
#[derive(Clone)]
pub struct RunConfig {
    pub target: TargetSpec,
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
    /// A deployment is one server for every trial: a scenario that changes its state (server
    /// control) holds this exclusively, the others share it. Runs made from one configuration (the
    /// library suite's trials) share it too. Embedded trials each have their own server.
    pub exclusive: Arc<tokio::sync::RwLock<()>>,
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
pub(super) struct TrialOutput {
    results: Vec<ScenarioResult>,
    surfaces: Vec<Surface>,
    phases: Phases,
}

/// What every trial of a run shares.
pub(super) struct Shared<'a> {
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
                TrialKind::Sweep => {
                    let _shared = config.exclusive.read().await;
                    sweep::run_sweep(shared).await
                }
                // A scenario is all or nothing: one the stop interrupts is not reported.
                TrialKind::Scenario(index, host) => {
                    let scenario = &config.scenarios[index];
                    let alone = !config.target.is_embedded() && scenario.requirements().control;
                    let (_read, _write) = if alone {
                        (None, Some(config.exclusive.write().await))
                    } else {
                        (Some(config.exclusive.read().await), None)
                    };
                    config
                        .stop
                        .unless_stopped(scenario::run_scenario(shared, scenario, &host))
                        .await
                        .unwrap_or_default()
                }
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
        TargetSpec::Embedded { world, faults } => (
            format!(
                "embedded reference server ({}), {}",
                world.name(),
                config.target.production().trim_start_matches("{server}/")
            ),
            faults.iter().map(|f| f.name().to_owned()).collect(),
        ),
        TargetSpec::Remote { file, .. } => (
            crate::wire::redact_url(&file.endpoints.production),
            Vec::new(),
        ),
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
