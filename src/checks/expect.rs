//! A scenario step's expectations, judged on what the step recorded: the one place that maps a step's
//! `expect` to the check functions of each area.

use super::render::{judge_render, not_applicable as render_not_applicable};
use super::review::{review_step, Reviewed};
use super::verdict::CheckResult;
use crate::evidence::step::{RenderAttempt, StepEvidence};
use crate::host::HostProfile;
use crate::scenario::Step;

/// The verdicts of `step` on `evidence`, for `profile`'s host in scenario `scenario`.
pub fn judge(
    step: &Step,
    evidence: &StepEvidence,
    profile: &HostProfile,
    scenario: &str,
) -> Vec<CheckResult> {
    let host = profile.id.as_str();
    match (step, evidence) {
        (
            Step::AddConnector { expect, .. }
            | Step::ListTools { expect, .. }
            | Step::ExpectConnector { expect, .. }
            | Step::Reconnect { expect, .. },
            StepEvidence::Connector(view),
        ) => super::connector::connector(view, expect, host),
        (
            Step::CallTool { expect, .. }
            | Step::WaitTask { expect, .. }
            | Step::CancelTask { expect, .. }
            | Step::ReadTask { expect, .. },
            StepEvidence::Call { view, ui },
        ) => {
            let mut checks = super::calls::call(view, expect, host);
            let wanted = expect
                .ui
                .or_else(|| expect.host.get(host).and_then(|extra| extra.ui));
            if let (Some(expected), Some(shown)) = (wanted, ui) {
                checks.extend(super::calls::ui(view, shown, expected));
            }
            checks
        }
        (Step::CallTool { expect, .. }, StepEvidence::Started(view)) => {
            super::calls::started_call(view, expect, host)
        }
        (
            Step::ReviewTools {
                requests, expect, ..
            },
            StepEvidence::Review(connectors),
        ) => {
            let pairs = |list: &[crate::scenario::model::SampleRequest]| -> Vec<(String, String)> {
                list.iter()
                    .map(|r| (r.ask.clone(), r.tool.clone()))
                    .collect()
            };
            let reviewed: Vec<Reviewed<'_>> = connectors
                .iter()
                .map(|c| Reviewed {
                    name: &c.name,
                    connected: c.connected,
                    tools: &c.tools,
                    instructions: c.instructions.as_deref(),
                    requests: [pairs(requests), pairs(&c.requests)].concat(),
                })
                .collect();
            review_step(&reviewed, &expect.findings)
        }
        (Step::ReplayRefresh { refused, .. }, StepEvidence::RefreshReplay { replay, .. }) => {
            vec![super::authorization_server::refresh_rotated(
                replay, *refused,
            )]
        }
        (Step::RenderUi { .. }, StepEvidence::Renders(attempts)) => {
            let mut checks = Vec::new();
            for attempt in attempts {
                match attempt {
                    RenderAttempt::NotApplicable(why) => checks.extend(render_not_applicable(why)),
                    RenderAttempt::NotTestable(why) => {
                        checks.push(CheckResult::not_testable(&super::render::RENDERS, why))
                    }
                    RenderAttempt::Rendered(render) => {
                        checks.extend(judge_render(profile, scenario, render))
                    }
                }
            }
            checks
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use crate::evidence::sweep::RefreshReplay;

    fn step(text: &str) -> Step {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn each_step_is_judged_by_its_own_expectations_and_nothing_else() {
        let claude = HostProfile::builtin("claude-desktop").unwrap();
        let replay = step("do = \"replay-refresh\"\nrefused = true");
        let refused = StepEvidence::RefreshReplay {
            connector: "main".into(),
            replay: RefreshReplay {
                replayed: Err("invalid_grant".into()),
            },
        };
        let checks = judge(&replay, &refused, &claude, "s");
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].status, Status::Pass);
        // A server-control step records nothing, so nothing is judged.
        let publish = step("do = \"publish\"\nproject = \"target\"");
        assert!(judge(&publish, &StepEvidence::Nothing, &claude, "s").is_empty());
        let render = step("do = \"render-ui\"");
        let checks = judge(
            &render,
            &StepEvidence::Renders(vec![RenderAttempt::NotApplicable("no UI".into())]),
            &claude,
            "s",
        );
        assert_eq!(checks.len(), 3);
        assert!(checks.iter().all(|c| c.status == Status::NotApplicable));
    }
}
