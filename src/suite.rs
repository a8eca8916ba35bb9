//! The catalogue inside a team's own `cargo test`: [`Suite`] turns a target file (or an embedded
//! world) into libtest-mimic trials, one per scenario × host and one for the protocol sweep, so a
//! deployment's conformance runs, filters and lists like any other test of the team's repository.
//!
//! ```no_run
//! // tests/conformance.rs, with `harness = false` in Cargo.toml:
//! use metabind_conformance::suite::Suite;
//!
//! fn main() {
//!     let args = libtest_mimic::Arguments::from_args();
//!     let suite = Suite::from_target_file("conformance-target.toml".as_ref())
//!         .unwrap_or_else(|e| panic!("{e}"));
//!     libtest_mimic::run(&args, suite.trials()).exit();
//! }
//! ```
//!
//! A trial passes when its scenario passes or warns (SHOULD); it fails on a broken MUST, on what could
//! not be tested, and on a harness error, with the findings as the terminal report words them. A
//! scenario that does not apply or cannot run on the target passes and prints why (the test's
//! output), as does one that stopped at a step the target cannot do.

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use libtest_mimic::{Failed, Trial};

use crate::checks::{Section, Status};
use crate::popup::Popup;
use crate::report::model::{RunReport, ScenarioResult};
use crate::report::text::describe_check;
use crate::run::{self, RunConfig};
use crate::scenario::{self, Scenario};
use crate::target::{preflight, TargetFile, TargetSpec, World};
use crate::wire::{Limits, Net};

/// Why a suite cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    #[error("{0}")]
    Target(#[from] crate::scenario::LoadError),
    #[error("{0}")]
    Secrets(String),
    #[error("{0}")]
    Scenarios(String),
}

/// A target and the scenarios to run against it.
pub struct Suite {
    target: TargetSpec,
    net: Arc<Net>,
    scenarios: Vec<Scenario>,
    hosts: Vec<String>,
    runtime: Arc<tokio::runtime::Runtime>,
    popup: Arc<OnceLock<Popup>>,
    /// Held exclusively by a trial that changes the deployment's state (see `RunConfig::exclusive`).
    exclusive: Arc<tokio::sync::RwLock<()>>,
    /// Popups over plain HTTP instead of headless Chromium.
    pub http_popups: bool,
}

impl Suite {
    /// A deployment described by a target file (its secrets read from the environment now).
    pub fn from_target_file(path: &Path) -> Result<Suite, SuiteError> {
        let file = TargetFile::load(path)?;
        let secrets = file.secrets().map_err(SuiteError::Secrets)?;
        let timeout = Duration::from_secs(20);
        let net = Net::for_target(
            &file.endpoints.production,
            &file.named_origins(),
            timeout,
            Limits::default(),
        )
        .map_err(|e| SuiteError::Secrets(e.to_string()))?;
        for secret in secrets.values() {
            net.secrets.remember(secret);
        }
        Suite::new(
            TargetSpec::Remote {
                file: Box::new(file),
                secrets,
            },
            net,
        )
    }

    /// An embedded reference server world (a fresh server per trial).
    pub fn embedded(world: World) -> Result<Suite, SuiteError> {
        Suite::new(
            TargetSpec::Embedded {
                world,
                faults: Vec::new(),
            },
            Net::open(Duration::from_secs(20)),
        )
    }

    fn new(target: TargetSpec, net: Arc<Net>) -> Result<Suite, SuiteError> {
        let scenarios = scenario::load_dir(&scenario::default_dir(), &run::vocabulary())
            .map_err(|e| SuiteError::Scenarios(e.to_string()))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| SuiteError::Scenarios(format!("cannot start a runtime: {e}")))?;
        Ok(Suite {
            target,
            net,
            scenarios,
            hosts: crate::host::HostProfile::builtin_ids()
                .map(String::from)
                .collect(),
            runtime: Arc::new(runtime),
            popup: Arc::new(OnceLock::new()),
            exclusive: Default::default(),
            http_popups: false,
        })
    }

    /// Only these hosts.
    pub fn hosts(mut self, hosts: &[&str]) -> Suite {
        self.hosts = hosts.iter().map(|h| h.to_string()).collect();
        self
    }

    /// One trial per scenario × host (`<scenario>::<host>`) and one for the sweep (`sweep`).
    pub fn trials(&self) -> Vec<Trial> {
        let mut trials = vec![self.trial("sweep".into(), Vec::new(), self.hosts.clone(), true)];
        for scenario in &self.scenarios {
            for host in self.hosts.iter().filter(|h| scenario.applies_to(h)) {
                trials.push(self.trial(
                    format!("{}::{host}", scenario.id),
                    vec![scenario.clone()],
                    vec![host.clone()],
                    false,
                ));
            }
        }
        trials
    }

    fn trial(
        &self,
        name: String,
        scenarios: Vec<Scenario>,
        hosts: Vec<String>,
        sweep: bool,
    ) -> Trial {
        let runtime = Arc::clone(&self.runtime);
        let popup = Arc::clone(&self.popup);
        let http_popups = self.http_popups;
        let target = self.target.clone();
        let net = Arc::clone(&self.net);
        let exclusive = Arc::clone(&self.exclusive);
        Trial::test(name, move || {
            let popup = popup
                .get_or_init(|| {
                    if http_popups {
                        Popup::http_with_popup_blocker(true)
                    } else {
                        runtime.block_on(Popup::detect(true)).0
                    }
                })
                .clone();
            let config = RunConfig {
                target,
                hosts,
                scenarios,
                sweep: if sweep {
                    Section::ALL.into_iter().collect()
                } else {
                    Default::default()
                },
                popup,
                concurrency: 1,
                net,
                stop: crate::stop::Stop::never(),
                exclusive,
            };
            let report = runtime.block_on(async {
                if let TargetSpec::Remote { file, .. } = &config.target {
                    preflight(&file.endpoints.production, &config.net)
                        .await
                        .map_err(|e| Failed::from(e.to_string()))?;
                }
                Ok::<_, Failed>(run::run(&config, &|_| {}).await)
            })?;
            verdict(&report)
        })
    }
}

/// The trial's outcome from its report: failures with their findings; a run that could not happen
/// here is ignored in effect (it passes, with the reason printed).
fn verdict(report: &RunReport) -> Result<(), Failed> {
    let mut problems = Vec::new();
    for r in &report.results {
        match r.effective_status() {
            Status::Pass | Status::Info | Status::Warn => {
                if let Some(left_out) = &r.incomplete {
                    println!("{} on {}: partial: {left_out}", r.scenario, r.host);
                }
            }
            Status::Skip | Status::NotApplicable => {
                println!(
                    "{} on {}: {}: {}",
                    r.scenario,
                    r.host,
                    r.status.as_str(),
                    r.reason.as_deref().unwrap_or_default()
                );
            }
            _ => problems.push(describe(r)),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n\n").into())
    }
}

fn describe(r: &ScenarioResult) -> String {
    let mut out = vec![format!(
        "{} on {}: {}",
        r.scenario,
        r.host,
        r.status.as_str()
    )];
    if let Some(reason) = &r.reason {
        out.push(format!("  {reason}"));
    }
    for c in r
        .checks
        .iter()
        .filter(|c| c.status.is_failure() && !c.expected_failure)
    {
        out.push(format!("  {}", describe_check(r, c).replace('\n', "\n  ")));
    }
    out.join("\n")
}
