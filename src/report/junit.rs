//! JUnit XML: one `<testsuite>` per host, one `<testcase>` per scenario. A broken rule is a
//! `<failure>`, a harness problem an `<error>`, a scenario that cannot run here `<skipped>`:
//!
//! ```xml
//! <testsuites name="metabind-conformance" tests="2" failures="1" errors="0">
//!   <testsuite name="chatgpt" tests="2" failures="1">
//!     <testcase name="connect/not-a-member" classname="chatgpt">
//!       <failure message="host.connector.state: connector &quot;main&quot; is connected">…</failure>
//!     </testcase>
//!   </testsuite>
//! </testsuites>
//! ```

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::model::RunReport;
use super::text::describe_check;
use crate::checks::Status;

pub fn render(report: &RunReport) -> Report {
    let mut junit = Report::new("metabind-conformance");
    junit.set_time(Duration::from_millis(report.duration_ms));
    for host in &report.hosts {
        let mut suite = TestSuite::new(host.as_str());
        for r in report.results.iter().filter(|r| &r.host == host) {
            let status = match r.effective_status() {
                Status::Pass | Status::Info | Status::Warn => TestCaseStatus::success(),
                Status::Skip | Status::NotApplicable => {
                    let mut s = TestCaseStatus::skipped();
                    if let Some(reason) = &r.reason {
                        s.set_message(reason.as_str());
                    }
                    s
                }
                kind @ (Status::NotTestable | Status::Fail | Status::Error) => {
                    let mut s = TestCaseStatus::non_success(if kind == Status::Error {
                        NonSuccessKind::Error
                    } else {
                        NonSuccessKind::Failure
                    });
                    let failing: Vec<_> = r
                        .checks
                        .iter()
                        .filter(|c| c.status.is_failure() && !c.expected_failure)
                        .collect();
                    let message = match (failing.first(), &r.reason) {
                        (Some(c), _) => format!("{}: {}", c.id, c.message),
                        (None, Some(reason)) => reason.clone(),
                        (None, None) => "failed".to_owned(),
                    };
                    s.set_message(message);
                    let description: Vec<String> =
                        failing.iter().map(|c| describe_check(r, c)).collect();
                    let mut description = description.join("\n\n");
                    if let Some(reason) = &r.reason {
                        description = if description.is_empty() {
                            reason.clone()
                        } else {
                            format!("{reason}\n\n{description}")
                        };
                    }
                    s.set_description(description);
                    s
                }
            };
            let mut case = TestCase::new(r.scenario.as_str(), status);
            if let Some(left_out) = &r.incomplete {
                // A pass that covers only part of the scenario says so where CI shows output.
                case.set_system_out(format!("partial: {left_out}"));
            }
            case.set_classname(host.as_str());
            case.set_time(Duration::from_millis(r.duration_ms));
            case.set_assertions(r.checks.len());
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    junit
}
