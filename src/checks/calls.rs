//! What a host does around a call, as scenario expectations judge it: its confirmation, badge and
//! task decisions, the call's outcome and what the user is told, a silent refresh, the UI it shows.

use super::catalogue::{CheckDef, Judge, Level};
use super::expectations::{contains, with_evidence};
use super::verdict::{truncate, CheckResult};
use crate::evidence::step::UiView;
use crate::evidence::CallView;
use crate::guide::Row;
use crate::host::CallOutcome;
use crate::mcp_ops::TaskStatus;
use crate::scenario::model::{CallExpect, OutcomeExpect};

pub static CONFIRMATION: CheckDef = CheckDef {
    id: "host.call.confirmation",
    level: Level::Must,
    clause: "MCP tool annotations / connector guide: readOnlyHint true is called without asking; other tools are confirmed",
    applies: "a scenario expects a confirmation decision",
    row: Some(Row::Pick),
    hint: "set readOnlyHint and destructiveHint to what the tool really does",
    judge: Judge::Expectation,
};

pub static BADGE: CheckDef = CheckDef {
    id: "host.call.badge",
    level: Level::Must,
    clause: "MCP tool annotations / connector guide: openWorldHint true shows the host's third-party badge",
    applies: "a scenario expects a badge decision",
    row: Some(Row::Pick),
    hint: "set openWorldHint to whether the tool reaches outside services",
    judge: Judge::Expectation,
};

pub static TASK: CheckDef = CheckDef {
    id: "host.call.task",
    level: Level::Must,
    clause: "MCP tasks / connector guide: the host calls long-running tools as tasks and polls until completion",
    applies: "a scenario expects task behaviour",
    row: Some(Row::ToolsFail),
    hint: "advertise execution.taskSupport and let tasks reach a terminal status",
    judge: Judge::Expectation,
};

pub static OUTCOME: CheckDef = CheckDef {
    id: "host.call.outcome",
    level: Level::Must,
    clause: "connector guide: a call succeeds for users whose role has the scope, and fails with a reason the host can show otherwise",
    applies: "a scenario expects a call's outcome",
    row: Some(Row::ToolsFail),
    hint: "compare the call's outcome with the scenario's rule (scope, revocation, result)",
    judge: Judge::Expectation,
};

pub static REFRESHED: CheckDef = CheckDef {
    id: "host.session.refreshed",
    level: Level::Must,
    clause: "MCP authorization §token handling / OAuth 2.1 §4.3: an expired access token is refreshed without the user noticing",
    applies: "a scenario expects a silent refresh",
    row: Some(Row::ToolsFail),
    hint: "issue refresh tokens (offline_access) and answer an expired access token with 401 invalid_token so hosts refresh",
    judge: Judge::Expectation,
};

pub static UI_PATH: CheckDef = CheckDef {
    id: "host.ui.path-supported",
    level: Level::Must,
    clause: "MCP Apps §tool-UI link and the Apps SDK: a host renders _meta.ui.resourceUri (MCP Apps) or openai/outputTemplate (ChatGPT); a UI only on the other path is not shown",
    applies: "a scenario expects a UI",
    row: Some(Row::Ui),
    hint: "declare the UI as _meta.ui.resourceUri (text/html;profile=mcp-app) for every host; add openai/outputTemplate for ChatGPT's Apps SDK path",
    judge: Judge::Expectation,
};

pub static CHECKS: &[&CheckDef] = &[&CONFIRMATION, &BADGE, &TASK, &OUTCOME, &REFRESHED, &UI_PATH];

/// What the host decided before a call: confirmation, badge, task.
pub fn call_decision(view: &CallView, expect: &CallExpect) -> Vec<CheckResult> {
    let call = &view.call;
    let tool = &call.tool;
    let decision = call.decision;
    let mut checks = Vec::new();
    let say = |b: bool, yes: &str, no: &str| if b { yes.to_owned() } else { no.to_owned() };
    if let Some(expected) = expect.confirmation {
        checks.push(CheckResult::judge(
            &CONFIRMATION,
            decision.confirmation == expected,
            format!(
                "the host {} before calling {tool}",
                say(decision.confirmation, "asks the user", "does not ask")
            ),
            say(expected, "asks for confirmation", "calls without asking"),
            format!(
                "{} (annotations {})",
                say(decision.confirmation, "asks", "does not ask"),
                view.annotations()
            ),
        ));
    }
    if let Some(expected) = expect.badge {
        checks.push(CheckResult::judge(
            &BADGE,
            decision.open_world_badge == expected,
            format!(
                "the host {} the third-party badge on {tool}",
                say(decision.open_world_badge, "shows", "does not show")
            ),
            say(expected, "badge shown", "no badge"),
            format!(
                "{} (annotations {})",
                say(decision.open_world_badge, "badge shown", "no badge"),
                view.annotations()
            ),
        ));
    }
    if let Some(expected) = expect.as_task {
        checks.push(CheckResult::judge(
            &TASK,
            decision.as_task == expected,
            format!(
                "the host calls {tool} {}",
                say(decision.as_task, "as a task", "directly")
            ),
            say(expected, "called as a task", "called directly"),
            say(decision.as_task, "called as a task", "called directly"),
        ));
    }
    checks
}

/// What a call's outcome means for the user, in a few words and in full.
pub fn describe_outcome(outcome: &CallOutcome) -> (&'static str, String) {
    match outcome {
        CallOutcome::Result(r) if r["isError"] == true => {
            ("a tool result with isError", r.to_string())
        }
        CallOutcome::Result(r) => ("a tool result", r.to_string()),
        CallOutcome::ProtocolError(e) => ("a JSON-RPC error", e.to_string()),
        CallOutcome::Refused { status, reason } => ("refused", format!("HTTP {status}: {reason}")),
        CallOutcome::Disconnected { reason } => ("disconnected", reason.clone()),
        CallOutcome::GaveUp { after } => (
            "the host gave up",
            format!(
                "no result within the host's {} ms tool timeout",
                after.as_millis()
            ),
        ),
    }
}

/// The expectations of a finished call (decisions, task, outcome, refresh), with those for `host`.
pub fn call(view: &CallView, expect: &CallExpect, host: &str) -> Vec<CheckResult> {
    let mut checks = call_only(view, expect);
    if let Some(extra) = expect.host.get(host) {
        checks.extend(call_only(view, extra));
    }
    with_evidence(checks, &view.exchanges, &[])
}

/// The decision expectations of a call left running, with those for `host`.
pub fn started_call(view: &CallView, expect: &CallExpect, host: &str) -> Vec<CheckResult> {
    let mut checks = call_decision(view, expect);
    if let Some(extra) = expect.host.get(host) {
        checks.extend(call_decision(view, extra));
    }
    with_evidence(checks, &view.exchanges, &[])
}

fn call_only(view: &CallView, expect: &CallExpect) -> Vec<CheckResult> {
    let call = &view.call;
    let tool = &call.tool;
    let mut checks = call_decision(view, expect);
    if let Some(expected) = &expect.task_status {
        let last = call.task_statuses.last();
        checks.push(CheckResult::judge(
            &TASK,
            last == Some(expected),
            format!("the task of {tool} after {} polls", call.polls),
            format!("status {expected}"),
            if call.task_statuses.is_empty() {
                "no task was created".to_owned()
            } else {
                format!(
                    "statuses {}",
                    call.task_statuses
                        .iter()
                        .map(TaskStatus::as_str)
                        .collect::<Vec<_>>()
                        .join(" → ")
                )
            },
        ));
    }
    let (actual, text) = describe_outcome(&call.outcome);
    if let Some(expected) = expect.outcome {
        let ok = match (expected, &call.outcome) {
            (OutcomeExpect::Result, CallOutcome::Result(r)) => r["isError"] != true,
            (OutcomeExpect::ErrorResult, CallOutcome::Result(r)) => r["isError"] == true,
            (OutcomeExpect::Answered, CallOutcome::Result(_)) => true,
            (OutcomeExpect::ProtocolError, CallOutcome::ProtocolError(_))
            | (OutcomeExpect::Refused, CallOutcome::Refused { .. })
            | (OutcomeExpect::Disconnected, CallOutcome::Disconnected { .. })
            | (OutcomeExpect::GaveUp, CallOutcome::GaveUp { .. }) => true,
            _ => false,
        };
        let expected_name = match expected {
            OutcomeExpect::Result => "a tool result",
            OutcomeExpect::ErrorResult => "a tool result with isError",
            OutcomeExpect::Answered => "a tool result (isError or not)",
            OutcomeExpect::ProtocolError => "a JSON-RPC error",
            OutcomeExpect::Refused => "refused (HTTP)",
            OutcomeExpect::Disconnected => "disconnected (authorization lost)",
            OutcomeExpect::GaveUp => "the host gives up at its timeout",
        };
        checks.push(CheckResult::judge(
            &OUTCOME,
            ok,
            format!("calling {tool} ended in {actual}"),
            expected_name,
            format!("{actual}: {}", truncate(&text, 300)),
        ));
    }
    if let Some(expected) = expect.poll_interval {
        checks.push(CheckResult::judge(
            &TASK,
            call.poll_interval_ms.is_some() == expected,
            format!("the task of {tool} was polled after {} polls", call.polls),
            "a pollInterval from the server, which the host follows",
            match call.poll_interval_ms {
                Some(ms) => format!("pollInterval {ms} ms"),
                None if call.task_id.is_none() => "no task was created".to_owned(),
                None => "no pollInterval: the host paced itself".to_owned(),
            },
        ));
    }
    if let Some(expected) = expect.related_task {
        let seen = call.related_task_meta == Some(true);
        checks.push(CheckResult::judge(
            &TASK,
            seen == expected,
            format!("the result of {tool}'s task"),
            "tasks/result with _meta io.modelcontextprotocol/related-task naming the task",
            match call.related_task_meta {
                Some(true) => "the related-task _meta names the task".to_owned(),
                Some(false) => "no related-task _meta naming the task".to_owned(),
                None => "no tasks/result was fetched".to_owned(),
            },
        ));
    }
    if let Some(expected) = expect.refreshed {
        let done = if call.refreshed {
            "refreshed"
        } else {
            "did not refresh"
        };
        checks.push(CheckResult::judge(
            &REFRESHED,
            call.refreshed == expected,
            format!("calling {tool} {done} the access token"),
            if expected {
                "a silent refresh, then the call"
            } else {
                "no refresh"
            },
            format!(
                "{}; the call ended in {actual}",
                if call.refreshed {
                    "refreshed"
                } else {
                    "no refresh"
                }
            ),
        ));
    }
    if let Some(words) = &expect.reason_contains {
        checks.push(CheckResult::judge(
            &OUTCOME,
            contains(&text, words),
            format!("what the host tells the user about {tool}"),
            format!("mentions {words:?}"),
            truncate(&text, 300),
        ));
    }
    checks
}

/// The `ui` expectation: a UI on a path this host renders, the resource behind it with that path's
/// mime type, and content the model can read.
pub fn ui(view: &CallView, shown: &UiView, expected: bool) -> Vec<CheckResult> {
    let tool = &view.call.tool;
    let host = &shown.host_name;
    let declared: Vec<&str> = shown
        .declared
        .iter()
        .map(|l| l.path.declared_as())
        .collect();
    let rendered: Vec<&str> = shown.rendered.iter().map(|p| p.declared_as()).collect();
    let mut checks = vec![CheckResult::judge(
        &UI_PATH,
        shown.shown.is_some() == expected,
        match (&shown.shown, declared.is_empty()) {
            (Some(l), _) => format!("{host} shows {tool}'s UI {}", l.uri),
            (None, true) => format!("{tool} declares no UI"),
            (None, false) => format!(
                "{tool} has UI only on {}, which {host} does not render",
                declared.join(", ")
            ),
        },
        if expected {
            format!("a UI on a path {host} renders: {}", rendered.join(", "))
        } else {
            format!("no UI {host} would show")
        },
        if declared.is_empty() {
            "no UI declared".to_owned()
        } else {
            format!("UI declared on {}", declared.join(", "))
        },
    )];
    if let (Some(link), Some(read)) = (&shown.shown, &shown.read) {
        checks.extend(super::ui::resource_read(
            link,
            &format!("{host} shows it for {tool}"),
            read.as_ref().map_err(Clone::clone),
        ));
    }
    if let CallOutcome::Result(result) = &view.call.outcome {
        checks.push(super::ui::content_with_ui(tool, result));
    }
    with_evidence(checks, &view.exchanges, &[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use crate::host::{CallDecision, ToolCall};
    use serde_json::json;

    fn call_view(outcome: CallOutcome) -> CallView {
        let mut call = ToolCall::new(
            "search",
            CallDecision {
                confirmation: false,
                open_world_badge: true,
                as_task: false,
            },
        );
        call.outcome = outcome;
        CallView {
            connector: "main".into(),
            call,
            tool: Some(json!({"name": "search", "annotations": {"readOnlyHint": true}})),
            exchanges: Vec::new(),
        }
    }

    fn call_expect(text: &str) -> CallExpect {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn a_call_is_judged_on_decisions_and_outcome() {
        let ok = call_view(CallOutcome::Result(json!({"content": []})));
        let checks = call(
            &ok,
            &call_expect("confirmation = false\nbadge = true\noutcome = \"result\""),
            "chatgpt",
        );
        assert!(
            checks.iter().all(|c| c.status == Status::Pass),
            "{checks:?}"
        );
        let refused = call_view(CallOutcome::Refused {
            status: 403,
            reason: "insufficient_scope".into(),
        });
        let checks = call(&refused, &call_expect("outcome = \"result\""), "chatgpt");
        assert_eq!(checks[0].status, Status::Fail);
        let checks = call(
            &refused,
            &call_expect("outcome = \"refused\"\nreason_contains = \"scope\""),
            "chatgpt",
        );
        assert!(checks.iter().all(|c| c.status == Status::Pass));
    }

    #[test]
    fn task_statuses_are_compared_as_statuses() {
        let mut v = call_view(CallOutcome::Result(json!({})));
        v.call.task_statuses = vec![TaskStatus::Working, TaskStatus::Completed];
        let checks = call(&v, &call_expect("task_status = \"completed\""), "chatgpt");
        assert_eq!(checks[0].status, Status::Pass);
        let checks = call(&v, &call_expect("task_status = \"failed\""), "chatgpt");
        assert_eq!(checks[0].status, Status::Fail);
        assert!(toml::from_str::<CallExpect>("task_status = \"finished\"").is_err());
    }
}
