//! The library entry point a team's own `cargo test` uses (`metabind_conformance::suite`): a target
//! file becomes one trial per scenario × host and one for the sweep, which run, filter and list like
//! any test. Here against a second-world server's public project, which needs no password.

use libtest_mimic::Arguments;
use metabind_conformance::suite::Suite;
use metabind_conformance::target::World;
use metabind_reference_server::fixture::Fixture;
use metabind_reference_server::{spawn, ServerOptions};

#[test]
fn a_target_file_becomes_trials_that_run_filter_and_pass() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(async {
        let fixture = Fixture::load(&World::Second.fixture_path()).unwrap();
        spawn(ServerOptions::new(fixture)).await.unwrap()
    });
    let public = server.url("/g7e5JlDB2y6JDTBrmQSs/00OpBWMQm27ASrVdaykW");
    let dir = std::env::temp_dir().join(format!("metabind-suite-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("target.toml");
    std::fs::write(
        &path,
        format!("visibility = \"public\"\n\n[endpoints]\nproduction = \"{public}\"\npublic = \"{public}\"\npublic_draft = \"{public}/draft\"\n"),
    )
    .unwrap();
    let mut suite = Suite::from_target_file(&path).unwrap();
    suite.http_popups = true;
    let trials = suite.trials();
    let names: Vec<&str> = trials.iter().map(|t| t.name()).collect();
    assert!(names.contains(&"sweep"), "{names:?}");
    assert!(
        names.contains(&"sharing/public-anonymous::chatgpt"),
        "{names:?}"
    );
    // A scenario that needs a login the file does not name passes with its reason, as n/a.
    let args = Arguments::from_iter([
        "conformance",
        "--exact",
        "--test-threads",
        "1",
        "sharing/public-anonymous::chatgpt",
    ]);
    let conclusion = libtest_mimic::run(&args, trials);
    assert_eq!(conclusion.num_passed, 1, "{conclusion:?}");
    assert_eq!(conclusion.num_failed, 0, "{conclusion:?}");
    let args = Arguments::from_iter([
        "conformance",
        "--exact",
        "connect/member-adds::claude-desktop",
    ]);
    let conclusion = libtest_mimic::run(&args, suite.trials());
    assert_eq!(
        (conclusion.num_passed, conclusion.num_failed),
        (1, 0),
        "n/a passes: {conclusion:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    drop(server);
}
