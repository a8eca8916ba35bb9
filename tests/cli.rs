//! The command as users and scripts meet it: exit codes (0 pass, 1 fail, 2 could not run), clear
//! messages for an unreachable or hung target and a malformed scenario, `list`, `diff` and baselines.

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn command(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_metabind-conformance"))
        .args(args)
        .env_remove("METABIND_TOKEN")
        .output()
        .expect("the binary runs")
}

/// `run --target` at a loopback port with HTTP popups, a report folder of its own and `timeout` seconds.
fn run_against(port: u16, name: &str, timeout: &str) -> Output {
    let out_dir = tempdir(name);
    command(&[
        "run",
        "--target",
        &format!("http://127.0.0.1:{port}/acme/storefront"),
        "--http-popups",
        "--out",
        out_dir.to_str().unwrap(),
        "--timeout",
        timeout,
    ])
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn an_unreachable_target_exits_2_with_a_clear_message() {
    // A port that was free a moment ago: nothing listens there now.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = run_against(port, "unreachable", "5");
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("is unreachable"),
        "{}",
        text(&output)
    );
}

#[test]
fn a_target_that_never_answers_exits_2_within_its_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept connections and read, but never answer; the thread ends with the test process.
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut buf = [0u8; 1024];
                while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
            });
        }
    });
    let started = Instant::now();
    let output = run_against(port, "hung", "2");
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("did not answer (or never finished its answer) within 2 s"),
        "{}",
        text(&output)
    );
    // Not a timing assertion on speed: only that the command does not hang far past its timeout.
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn a_malformed_scenario_exits_2_naming_file_and_line() {
    let dir = tempdir("bad-scenarios");
    std::fs::create_dir_all(dir.join("area")).unwrap();
    std::fs::write(
        dir.join("area/typo.toml"),
        "title = \"t\"\nsource = { kind = \"guide\", ref = \"r\" }\n\n[[step]]\ndo = \"add-connector\"\nendpoint = \"target\"\nas = \"member\"\nexpect = { stat = \"connected\" }\n",
    )
    .unwrap();
    let output = command(&["list", "--scenarios-dir", dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let message = text(&output);
    assert!(message.contains("area/typo.toml:8:"), "{message}");
    assert!(message.contains("stat"), "{message}");
    assert!(message.contains("did you mean \"state\"?"), "{message}");
}

#[test]
fn a_password_is_never_taken_from_the_command_line() {
    let output = Command::new(env!("CARGO_BIN_EXE_metabind-conformance"))
        .args([
            "run",
            "--target",
            "http://127.0.0.1:9/acme/p",
            "--user",
            "mia@acme.test",
        ])
        .env_remove("METABIND_PASSWORD")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output).contains("METABIND_PASSWORD"),
        "{}",
        text(&output)
    );
}

#[test]
fn list_shows_scenarios_with_their_hosts_and_the_check_catalogue() {
    let output = command(&["list"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let listing = text(&output);
    assert!(listing.contains("connect/not-a-member"), "{listing}");
    assert!(listing.contains("chatgpt,claude-desktop"), "{listing}");
    let checks = text(&command(&["list", "--checks"]));
    assert!(checks.contains("auth.prm.resource-matches"), "{checks}");
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("metabind-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn report(host_status: &[(&str, &str, &str)], annotations: &str) -> String {
    let results: Vec<String> = host_status
        .iter()
        .map(|(host, scenario, status)| {
            format!(
                r#"{{"scenario":"{scenario}","title":"t","host":"{host}","source":{{"kind":"guide","ref":"r"}},"status":"{status}","duration_ms":1,
                "checks":[{{"id":"tools.list.cursor-validated","status":"{status}","level":"should","message":"m"}}]}}"#
            )
        })
        .collect();
    format!(
        r#"{{"schema_version":2,"tool":"metabind-conformance","target":{{"kind":"embedded","url":"u"}},"started_at":"2026-11-24T00:00:00Z",
        "duration_ms":1,"hosts":["chatgpt"],"results":[{}],
        "surfaces":[{{"host":"chatgpt","endpoint":"target","tools":[{{"name":"search_products","annotations":{annotations}}}]}}]}}"#,
        results.join(",")
    )
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn diff_reports_a_regression_per_host_and_a_changed_annotation() {
    let dir = tempdir("diff");
    let old = write(
        &dir,
        "old.json",
        &report(
            &[("chatgpt", "connect/x", "pass")],
            r#"{"readOnlyHint":true}"#,
        ),
    );
    let new = write(
        &dir,
        "new.json",
        &report(
            &[("chatgpt", "connect/x", "fail")],
            r#"{"readOnlyHint":false}"#,
        ),
    );
    let output = command(&["diff", &old, &new]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let listing = text(&output);
    assert!(
        listing.contains("regression  connect/x: pass → fail"),
        "{listing}"
    );
    assert!(
        listing.contains("tool search_products changed annotations"),
        "{listing}"
    );
    let back = command(&["diff", &new, &old]);
    assert_eq!(back.status.code(), Some(0), "{}", text(&back));
    assert!(text(&back).contains("fixed       connect/x: fail → pass"));
}

#[test]
fn diff_counts_a_pass_turning_into_a_warning_as_a_regression_with_its_level() {
    let dir = tempdir("diff-warn");
    let old = write(
        &dir,
        "old.json",
        &report(&[("any", "sweep/tools", "pass")], "{}"),
    );
    let new = write(
        &dir,
        "new.json",
        &report(&[("any", "sweep/tools", "warn")], "{}"),
    );
    let output = command(&["diff", &old, &new]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        text(&output)
            .contains("regression  sweep/tools tools.list.cursor-validated: pass → warn (should)"),
        "{}",
        text(&output)
    );
}

#[test]
fn a_harness_error_after_a_passing_check_fails_the_run() {
    let dir = tempdir("harness-error");
    std::fs::create_dir_all(dir.join("area")).unwrap();
    // Step 1 passes; step 2 cannot be done (no task is running): a harness error, never hidden.
    std::fs::write(
        dir.join("area/stops.toml"),
        "title = \"t\"\nsource = { kind = \"guide\", ref = \"r\" }\nhosts = [\"claude-desktop\"]\n\n[[step]]\ndo = \"add-connector\"\nendpoint = \"target\"\nas = \"member\"\nexpect = { state = \"connected\" }\n\n[[step]]\ndo = \"wait-task\"\n",
    )
    .unwrap();
    let out = dir.join("out");
    let output = command(&[
        "run",
        "--scenarios-dir",
        dir.to_str().unwrap(),
        "--scenario",
        "area/*",
        "--http-popups",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let listing = text(&output);
    assert!(
        listing.contains("area/stops") && listing.contains("error"),
        "{listing}"
    );
    assert!(listing.contains("no task is running"), "{listing}");
    let json = std::fs::read_to_string(out.join("report.json")).unwrap();
    assert!(json.contains("\"status\": \"error\""), "{json}");
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(junit.contains("<error"), "{junit}");
}

#[test]
fn a_report_of_another_schema_version_is_refused() {
    let dir = tempdir("schema");
    let old = write(
        &dir,
        "old.json",
        &report(&[], "{}").replace("\"schema_version\":2", "\"schema_version\":99"),
    );
    let output = command(&["diff", &old, &old]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output).contains("schema_version 99"),
        "{}",
        text(&output)
    );
}

#[test]
fn a_faulty_embedded_server_fails_the_run_and_a_baseline_of_it_passes_until_it_goes_stale() {
    let dir = tempdir("baseline");
    let out = dir.join("out");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "run",
            "--scenario",
            "sweep/*",
            "--http-popups",
            "--out",
            out.to_str().unwrap(),
        ];
        a.extend_from_slice(extra);
        a.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        command(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let failing = run(&["--fault", "origin-not-checked"]);
    assert_eq!(failing.status.code(), Some(1), "{}", text(&failing));
    assert!(text(&failing).contains("transport.origin.checked"));
    for file in ["report.json", "junit.xml", "report.html"] {
        assert!(out.join(file).is_file(), "{file}");
    }
    // The baseline is made from the failing report.
    let baseline = dir.join("baseline.toml");
    let made = command(&[
        "baseline",
        out.join("report.json").to_str().unwrap(),
        "--out",
        baseline.to_str().unwrap(),
    ]);
    assert_eq!(made.status.code(), Some(0), "{}", text(&made));
    let entries = std::fs::read_to_string(&baseline).unwrap();
    assert!(
        entries.contains("check = \"transport.origin.checked\"")
            && entries.contains("host = \"any\""),
        "{entries}"
    );
    let baseline = baseline.to_str().unwrap().to_owned();
    let tolerated = run(&["--fault", "origin-not-checked", "--baseline", &baseline]);
    assert_eq!(tolerated.status.code(), Some(0), "{}", text(&tolerated));
    let stale = run(&["--baseline", &baseline]);
    assert_eq!(stale.status.code(), Some(1), "{}", text(&stale));
    assert!(
        text(&stale).contains("stale baseline entry"),
        "{}",
        text(&stale)
    );
}

#[test]
fn init_writes_a_target_file_from_what_the_endpoint_shows() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(async {
        metabind_reference_server::spawn(
            metabind_reference_server::ServerOptions::with_second_world_fixture().unwrap(),
        )
        .await
        .unwrap()
    });
    let url = server.url("/g7e5JlDB2y6JDTBrmQSs/1d0E6NMvv2SISyZhZpZ5");
    let out = tempdir("init").join("target.toml");
    let output = Command::new(env!("CARGO_BIN_EXE_metabind-conformance"))
        .args(["init", "--target", &url, "--out"])
        .arg(&out)
        // The production-only key of the second world: enough to list the tools.
        .env("METABIND_TOKEN", "YFWzFj1OY6jlVKD5TmsPFpSVcYABT2Kd")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.contains("visibility = \"private\""), "{written}");
    assert!(
        written.contains(&format!("draft = \"{url}/draft\"")),
        "{written}"
    );
    // Its tools, with their hints and whether the run would call them.
    assert!(written.contains("cancel_hold"), "{written}");
    assert!(written.contains("not called unless allowed"), "{written}");
    assert!(
        !written.contains("YFWzFj1OY6"),
        "the token is not written: {written}"
    );
    // It loads as a target file, and init never overwrites one.
    metabind_conformance::target::TargetFile::load(&out).unwrap();
    let again = Command::new(env!("CARGO_BIN_EXE_metabind-conformance"))
        .args(["init", "--target", &url, "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    drop(server);
}

/// `list | head`: a reader that closes early ends the output, not the program with a panic.
#[test]
fn a_closed_stdout_is_not_a_panic() {
    for args in [&["list", "--hosts"][..], &["list", "--checks"][..]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_metabind-conformance"))
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the binary runs");
        // The reader goes away before the first line is read.
        drop(child.stdout.take());
        let output = child.wait_with_output().expect("it ends");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
    }
}
