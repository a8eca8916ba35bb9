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
use metabind_conformance::target::file::{Calls, SecretSpec};
use metabind_conformance::target::{ControlSpec, TargetFile, TargetSpec, World};
use metabind_reference_server::fixture::Fixture;
use metabind_reference_server::Fault;
use metabind_reference_server::{spawn, ServerOptions};

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

/// How a run meets its server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A fresh embedded server per scenario in `World`, with its admin API.
    Embedded(World),
    /// One second-world server met as a deployment: a target file with every role, no admin API,
    /// Metabind's REST API for keys and visibility, and only read-only tools (and `cancel_hold`) called.
    SecondWorldRemote,
}

/// The Metabind REST API token of the second world's Proprietor (test data of the fixture).
pub const SECOND_WORLD_REST_TOKEN: &str = "w2rest_727524be3c19a0ed6276165e1bee0249";

/// Runs `scenarios` (and the sweep when asked) on `hosts` against an embedded server with `faults`.
pub fn run(scenarios: Vec<Scenario>, hosts: &[&str], sweep: bool, faults: &[Fault]) -> RunReport {
    run_in(
        Mode::Embedded(World::Default),
        scenarios,
        hosts,
        sweep,
        faults,
    )
}

/// The same, against the server `mode` names.
pub fn run_in(
    mode: Mode,
    scenarios: Vec<Scenario>,
    hosts: &[&str],
    sweep: bool,
    faults: &[Fault],
) -> RunReport {
    let sweep = if sweep {
        Section::ALL.into_iter().collect()
    } else {
        Default::default()
    };
    let hosts = hosts.iter().map(|h| h.to_string()).collect();
    let popup = popup();
    RUNTIME.block_on(async {
        let (target, net, _server) = match mode {
            Mode::Embedded(world) => (
                TargetSpec::Embedded {
                    world,
                    faults: faults.to_vec(),
                },
                metabind_conformance::wire::Net::open(Duration::from_secs(20)),
                None,
            ),
            Mode::SecondWorldRemote => {
                let (file, server) = second_world_deployment(faults).await;
                let secrets = file.secrets().expect("inline test secrets");
                let net = metabind_conformance::wire::Net::for_target(
                    &file.endpoints.production,
                    &file.named_origins(),
                    Duration::from_secs(20),
                    metabind_conformance::wire::Limits::default(),
                )
                .expect("a loopback target");
                (
                    TargetSpec::Remote {
                        file: Box::new(file),
                        secrets,
                    },
                    net,
                    Some(server),
                )
            }
        };
        let config = RunConfig {
            target,
            hosts,
            scenarios,
            sweep,
            popup,
            concurrency: 4,
            net,
            stop: metabind_conformance::stop::Stop::never(),
            exclusive: Default::default(),
        };
        run::run(&config, &|_| {}).await
    })
}

/// A second-world server with `faults`, and the target file a team would write for it: every role,
/// no admin API, the REST API for keys and visibility, and `cancel_hold` allowed by name.
pub async fn second_world_deployment(
    faults: &[Fault],
) -> (TargetFile, metabind_reference_server::RunningServer) {
    let fixture = Fixture::load(&World::Second.fixture_path()).expect("the second world loads");
    let mut options = ServerOptions::new(fixture);
    options.faults = faults.to_vec();
    let server = spawn(options).await.expect("a second-world server");
    let mut file = World::Second.target_file().with_server(&server.base_url);
    file.control = ControlSpec::MetabindRest {
        base_url: server.base_url.clone(),
        token: SecretSpec {
            env: None,
            value: Some(SECOND_WORLD_REST_TOKEN.into()),
        },
        visibility: true,
    };
    file.calls = Calls {
        allow: vec!["cancel_hold".into()],
        any: false,
    };
    (file, server)
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
