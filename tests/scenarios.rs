//! One trial per scenario × host against a fresh embedded reference server (default fixture, no
//! faults), plus the protocol sweep: every one must pass. Filter and list them like any Rust test:
//! `cargo test --test scenarios -- connect/ --list`.

mod support;

use libtest_mimic::{Arguments, Failed, Trial};
use metabind_conformance::checks::Status;

fn main() {
    let mut args = Arguments::from_args();
    // Trials mostly wait (popups, task polling): more of them at once than cores keeps this short.
    args.test_threads = args.test_threads.or(Some(4));
    let mut trials = vec![Trial::test("sweep", || {
        let report = support::run(Vec::new(), &support::HOSTS, true, &[]);
        let failing: Vec<String> = report
            .results
            .iter()
            .filter(|r| r.status.is_failure())
            .map(|r| format!("{}:\n{}", r.scenario, support::failures(r)))
            .collect();
        let judged = report
            .results
            .iter()
            .flat_map(|r| &r.checks)
            .filter(|c| c.status == Status::Pass)
            .count();
        if judged == 0 {
            return Err(Failed::from("the sweep judged nothing"));
        }
        if failing.is_empty() {
            Ok(())
        } else {
            Err(failing.join("\n\n").into())
        }
    })];
    for scenario in support::scenarios() {
        for host in scenario.hosts.clone() {
            let scenario = scenario.clone();
            trials.push(Trial::test(format!("{}::{host}", scenario.id), move || {
                let report = support::run(vec![scenario], &[host.as_str()], false, &[]);
                let result = report.results.first().ok_or("no result")?;
                match result.status {
                    Status::Pass | Status::Info | Status::Warn => Ok(()),
                    _ => Err(format!(
                        "{} on {host}: {}\n{}",
                        result.scenario,
                        result.status.as_str(),
                        support::failures(result)
                    )
                    .into()),
                }
            }));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
