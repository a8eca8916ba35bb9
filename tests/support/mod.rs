//! What the libtest-mimic test binaries share: one runtime and one browser for the whole binary, and a
//! run of chosen scenarios on chosen hosts against a fresh embedded server.

#![allow(dead_code, unreachable_pub)]

use std::sync::{LazyLock, OnceLock};
use std::time::Duration;

use metabind_conformance::checks::Section;
use metabind_conformance::popup::Popup;
use metabind_conformance::report::model::{RunReport, ScenarioResult};
use metabind_conformance::run::{self, RunConfig};
use metabind_conformance::scenario::{self, Scenario};
use metabind_conformance::target::{TargetSpec, World};
use metabind_reference_server::Fault;

/// Every built-in host.
pub const HOSTS: [&str; 3] = ["chatgpt", "claude-desktop", "generic"];

/// One runtime for every trial, so the browser's connection outlives each trial.
pub static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
});

static POPUP: OnceLock<Popup> = OnceLock::new();

/// The browser popup (Chromium is required in CI; without it the HTTP driver stands in, with a notice).
pub fn popup() -> Popup {
    POPUP
        .get_or_init(|| {
            RUNTIME.block_on(async {
                let (popup, notice) = Popup::detect(true).await;
                if let Some(n) = notice {
                    eprintln!("{n}");
                }
                popup
            })
        })
        .clone()
}

pub fn scenarios() -> Vec<Scenario> {
    scenario::load_dir(&scenario::default_dir(), &run::vocabulary())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `scenarios` (and the sweep when asked) on `hosts` against an embedded server with `faults`.
pub fn run(scenarios: Vec<Scenario>, hosts: &[&str], sweep: bool, faults: &[Fault]) -> RunReport {
    let config = RunConfig {
        target: TargetSpec::Embedded {
            world: World::Default,
            faults: faults.to_vec(),
        },
        hosts: hosts.iter().map(|h| h.to_string()).collect(),
        scenarios,
        sweep: if sweep {
            Section::ALL.into_iter().collect()
        } else {
            Default::default()
        },
        popup: popup(),
        concurrency: 4,
        net: metabind_conformance::wire::Net::open(Duration::from_secs(20)),
        stop: metabind_conformance::stop::Stop::never(),
    };
    RUNTIME.block_on(run::run(&config, &|_| {}))
}

/// Every failing check of a result, described as the terminal report does.
pub fn failures(result: &ScenarioResult) -> String {
    let mut out = Vec::new();
    if let Some(reason) = &result.reason {
        out.push(reason.clone());
    }
    for c in result.checks.iter().filter(|c| c.status.is_failure()) {
        out.push(metabind_conformance::report::text::describe_check(
            result, c,
        ));
    }
    out.join("\n")
}
