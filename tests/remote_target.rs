//! `--target URL` as a deployment would be met: no server control and no fixture names, one login
//! from the command line. The reference server stands in for the deployment here.

use std::time::Duration;

use metabind_conformance::checks::{Section, Status};
use metabind_conformance::popup::{Credentials, Popup};
use metabind_conformance::run::{self, RunConfig};
use metabind_conformance::scenario;
use metabind_conformance::scenario::refs::Role;
use metabind_conformance::target::{TargetFile, TargetSpec};
use metabind_conformance::wire::{Limits, Net};
use metabind_reference_server::{spawn, ServerOptions};

#[tokio::test]
async fn a_deployment_gets_the_sweep_and_login_scenarios_and_the_rest_is_skipped_with_the_reason() {
    let server = spawn(ServerOptions::with_default_fixture().unwrap())
        .await
        .unwrap();
    let url = server.url("/acme/storefront");
    let net = Net::for_target(&url, &[], Duration::from_secs(20), Limits::default()).unwrap();
    // What `--target URL --user mia@acme.test` makes of the command line.
    let mut file = TargetFile::for_url(&url);
    let mut secrets = file.secrets().unwrap();
    let mia = Credentials {
        email: "mia@acme.test".into(),
        password: "mia-pass".into(),
    };
    file.logins.insert(
        Role::Member,
        metabind_conformance::target::file::LoginSpec {
            email: mia.email.clone(),
            password_env: Some("METABIND_PASSWORD".into()),
            password: None,
        },
    );
    secrets.logins.insert(Role::Member, mia);
    let config = RunConfig {
        target: TargetSpec::Remote {
            file: Box::new(file),
            secrets,
        },
        hosts: vec!["chatgpt".into(), "generic".into()],
        scenarios: scenario::load_dir(&scenario::default_dir(), &run::vocabulary()).unwrap(),
        sweep: Section::ALL.into_iter().collect(),
        popup: Popup::http(),
        concurrency: 4,
        net,
        stop: metabind_conformance::stop::Stop::never(),
        exclusive: Default::default(),
    };
    let report = run::run(&config, &|_| {}).await;
    assert_eq!(report.target.kind, "remote");
    let get = |scenario: &str, host: &str| {
        report
            .results
            .iter()
            .find(|r| r.scenario == scenario && r.host == host)
            .unwrap_or_else(|| panic!("{scenario} on {host} not in the report"))
    };
    // A login is enough for the generic connect scenario and the whole sweep.
    assert_eq!(get("connect/member-adds", "chatgpt").status, Status::Pass);
    for section in [
        "discovery",
        "transport",
        "tools",
        "tasks",
        "ui",
        "authorization-server",
    ] {
        let r = get(&format!("sweep/{section}"), "any");
        assert!(!r.status.is_failure(), "sweep/{section}: {:?}", r.checks);
    }
    // Without a second credential, binding checks are skipped, not passed.
    let transport = get("sweep/transport", "any");
    let bound = transport
        .checks
        .iter()
        .find(|c| c.id == "transport.session.bound")
        .unwrap();
    assert_eq!(bound.status, Status::Skip, "{bound:?}");
    // A grant revoked by the host itself (RFC 7009) stands in for "Authorized apps" on a deployment.
    assert_eq!(
        get("grants/revoked-server-side", "chatgpt").status,
        Status::Pass
    );
    // A scenario that reaches a step needing server control keeps what it judged and says why.
    let reduced = get("roles/role-reduced", "chatgpt");
    assert_eq!(reduced.status, Status::Pass, "{reduced:?}");
    assert!(!reduced.checks.is_empty());
    assert!(
        reduced
            .incomplete
            .as_deref()
            .unwrap()
            .contains("server control"),
        "{:?}",
        reduced.incomplete
    );
    // A role the command line did not give: n/a, with the role.
    let viewer = get("roles/viewer-lacks-scope", "chatgpt");
    assert_eq!(viewer.status, Status::NotApplicable);
    assert!(
        viewer.reason.as_deref().unwrap().contains("viewer"),
        "{viewer:?}"
    );
    // Minting a key needs server control: nothing ran, so it is skipped.
    let api_key = get("custom-hosts/api-key", "generic");
    assert_eq!(api_key.status, Status::Skip);
    assert!(
        report.passed(),
        "{}",
        metabind_conformance::report::text::render(&report)
    );
}

/// The sweep against an endpoint of MCP 2026-07-28 only (the public catalogue with `--eras modern`):
/// it opens with discover, the 2025-only rules are n/a with the reason, the rules of every era
/// (Origin, bodies that are not JSON, batches, GET) and the stateless section are judged, and pass.
#[tokio::test]
async fn a_server_of_2026_07_28_only_is_swept_in_its_era() {
    let mut options = ServerOptions::with_default_fixture().unwrap();
    options.eras = Some(metabind_reference_server::Eras::Modern);
    let server = spawn(options).await.unwrap();
    let url = server.url("/acme/catalog");
    let net = Net::for_target(&url, &[], Duration::from_secs(20), Limits::default()).unwrap();
    let file = TargetFile::for_url(&url);
    let secrets = file.secrets().unwrap();
    let config = RunConfig {
        target: TargetSpec::Remote {
            file: Box::new(file),
            secrets,
        },
        hosts: vec!["chatgpt".into()],
        scenarios: Vec::new(),
        sweep: Section::ALL.into_iter().collect(),
        popup: Popup::http(),
        concurrency: 2,
        net,
        stop: metabind_conformance::stop::Stop::never(),
        exclusive: Default::default(),
    };
    let report = run::run(&config, &|_| {}).await;
    let check = |id: &str| {
        report
            .results
            .iter()
            .flat_map(|r| &r.checks)
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("{id} not judged"))
    };
    for id in [
        "modern.discover.answers",
        "modern.meta.required",
        "modern.headers.mismatch-refused",
        "transport.origin.checked",
        "transport.json.parse-error",
        "transport.batch.refused",
        "transport.get.sse-or-405",
        "tools.capability.declared",
    ] {
        assert_eq!(
            check(id).status,
            Status::Pass,
            "{id}: {}",
            check(id).message
        );
    }
    let initialize = check("lifecycle.initialize.result-shape");
    assert_eq!(initialize.status, Status::NotApplicable);
    assert!(
        initialize.message.contains("only MCP 2026-07-28"),
        "{}",
        initialize.message
    );
    let failing: Vec<_> = report
        .results
        .iter()
        .flat_map(|r| &r.checks)
        .filter(|c| matches!(c.status, Status::Fail | Status::NotTestable | Status::Error))
        .map(|c| format!("{}: {}", c.id, c.message))
        .collect();
    assert!(failing.is_empty(), "{failing:#?}");
}
