//! What a host does with the server's answers: scenario expectations on connectors and calls (the
//! connector's state and reason, tools, instructions, the popup's sign-in, the host's confirmation,
//! badge and task decisions, a call's outcome, silent refresh, the UI it shows), and per-host
//! consequences of the sweep's evidence (a tool whose hints make a host skip its confirmation).

use super::catalogue::{CheckDef, Judge, Level};
use super::verdict::{excerpt, seen, truncate, CheckResult, Status};
use crate::evidence::step::UiView;
use crate::evidence::{CallView, ConnectorView, SweepEvidence};
use crate::guide::Row;
use crate::host::{decide, CallOutcome, HostProfile};
use crate::mcp_ops::TaskStatus;
use crate::scenario::model::{CallExpect, ConnectorExpect, OutcomeExpect, StateExpect};

pub static STATE: CheckDef = CheckDef {
    id: "host.connector.state",
    level: Level::Must,
    clause: "connector guide: a connector is added (green) only for users allowed to authorize it, and turns red when its authorization is lost",
    applies: "a scenario expects a connector state",
    row: Some(Row::Add),
    hint: "compare the connector's state and reason with the scenario's rule",
    judge: Judge::Expectation,
};

pub static INSTRUCTIONS: CheckDef = CheckDef {
    id: "host.connector.instructions",
    level: Level::Must,
    clause: "connector guide: the project's instructions reach the model beside the tools, live without a republish",
    applies: "a scenario expects instructions",
    row: Some(Row::Pick),
    hint: "return the project's current instructions in the initialize result",
    judge: Judge::Expectation,
};

pub static TOOLS_LISTED: CheckDef = CheckDef {
    id: "host.tools.listed",
    level: Level::Must,
    clause: "connector guide: production lists the published tools, draft every saved tool",
    applies: "a scenario expects a tool list",
    row: Some(Row::Add),
    hint: "list exactly the tools of the endpoint's environment",
    judge: Judge::Expectation,
};

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

pub static LOGIN_SESSION: CheckDef = CheckDef {
    id: "host.connector.login-session",
    level: Level::Must,
    clause: "connector guide: removing a connector drops the host's token; adding it again goes straight to consent while the Metabind session lasts",
    applies: "a scenario expects the popup to sign in or not",
    row: Some(Row::Add),
    hint: "keep the authorization server's login session (a secure, HttpOnly cookie) and honour it on later /authorize requests",
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

pub static DESTRUCTIVE_CONFIRMED: CheckDef = CheckDef {
    id: "host.tools.destructive-confirmed",
    level: Level::Must,
    clause: "MCP server/tools §tool annotations: destructiveHint true means the tool may destroy data and hosts ask first; a readOnlyHint beside it makes a host that auto-runs read-only tools skip the question",
    applies: "the endpoint lists a tool declaring destructiveHint: true, and the host asks before destructive tools",
    row: Some(Row::Pick),
    hint: "declare readOnlyHint: true only on tools that change nothing; a destructive tool must not claim to be read-only",
    judge: Judge::PerHost(destructive_confirmed),
};

pub static CHECKS: &[&CheckDef] = &[
    &STATE,
    &INSTRUCTIONS,
    &TOOLS_LISTED,
    &CONFIRMATION,
    &BADGE,
    &TASK,
    &OUTCOME,
    &LOGIN_SESSION,
    &REFRESHED,
    &UI_PATH,
    &DESTRUCTIVE_CONFIRMED,
];

fn contains(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

/// Non-passing verdicts get the exchanges (and, for connector checks, the popups) they came from.
fn with_evidence(
    mut checks: Vec<CheckResult>,
    view_exchanges: &[crate::wire::Exchange],
    popups: &[String],
) -> Vec<CheckResult> {
    for check in checks
        .iter_mut()
        .filter(|c| c.status != Status::Pass && c.evidence.is_empty())
    {
        check.evidence.extend(popups.iter().cloned());
        let from = view_exchanges.len().saturating_sub(4);
        check
            .evidence
            .extend(view_exchanges[from..].iter().map(excerpt));
    }
    checks
}

/// The expectations of a connector step, with those for `host` only.
pub fn connector(view: &ConnectorView, expect: &ConnectorExpect, host: &str) -> Vec<CheckResult> {
    let mut checks = connector_only(view, expect);
    if let Some(extra) = expect.host.get(host) {
        checks.extend(connector_only(view, extra));
    }
    let popups: Vec<String> = view
        .popups
        .last()
        .map(|p| format!("popup ({}): {}", p.driver, p.outcome.describe()))
        .into_iter()
        .collect();
    with_evidence(checks, &view.exchanges, &popups)
}

fn connector_only(view: &ConnectorView, expect: &ConnectorExpect) -> Vec<CheckResult> {
    let name = &view.name;
    let (actual_state, reason) = view.shown_state();
    let mut checks = Vec::new();
    if let Some(expected) = expect.state {
        let expected_name = match expected {
            StateExpect::Connected => "connected",
            StateExpect::Warning => "warning",
            StateExpect::Failed => "failed",
            StateExpect::Removed => "removed",
        };
        checks.push(CheckResult::judge(
            &STATE,
            expected_name == actual_state,
            format!("connector {name:?} is {actual_state}"),
            expected_name,
            view.describe_state(),
        ));
    }
    if let Some(words) = &expect.reason_contains {
        checks.push(CheckResult::judge(
            &STATE,
            contains(reason, words),
            format!("the reason the host shows for connector {name:?}"),
            format!("a reason mentioning {words:?}"),
            view.describe_state(),
        ));
    }
    let tools_judged = expect.tools.is_some()
        || !expect.tools_include.is_empty()
        || !expect.tools_exclude.is_empty();
    if tools_judged {
        checks.push(tools_listed(view, expect));
    }
    if let Some(expected) = expect.signed_in {
        let last = view.popups.last();
        let signed_in = last.is_some_and(|p| p.signed_in);
        checks.push(CheckResult::judge(
            &LOGIN_SESSION,
            signed_in == expected,
            format!(
                "the popup for connector {name:?} {}",
                if signed_in {
                    "showed the sign-in page"
                } else {
                    "did not ask the user to sign in"
                }
            ),
            if expected {
                "the sign-in page"
            } else {
                "straight to consent (the login session is still valid)"
            },
            match last {
                None => "no popup opened".to_owned(),
                Some(p) => format!(
                    "{} ({})",
                    if p.signed_in {
                        "signed in again"
                    } else {
                        "no sign-in"
                    },
                    p.outcome.describe()
                ),
            },
        ));
    }
    if let Some(words) = &expect.instructions_contain {
        let instructions = view.instructions.clone().unwrap_or_default();
        checks.push(CheckResult::judge(
            &INSTRUCTIONS,
            !instructions.trim().is_empty() && contains(&instructions, words),
            format!("instructions connector {name:?} received"),
            if words.is_empty() {
                "non-empty instructions".to_owned()
            } else {
                format!("instructions mentioning {words:?}")
            },
            if instructions.is_empty() {
                "no instructions".to_owned()
            } else {
                truncate(&instructions, 200)
            },
        ));
    }
    checks
}

fn tools_listed(view: &ConnectorView, expect: &ConnectorExpect) -> CheckResult {
    let name = &view.name;
    if !view.state.is_connected() {
        return CheckResult::not_testable(
            &TOOLS_LISTED,
            format!("connector {name:?} is {}", view.describe_state()),
        );
    }
    let tools = view.tool_names();
    let mut problems = Vec::new();
    let mut expected = Vec::new();
    if let Some(n) = expect.tools {
        expected.push(format!("{n} tools"));
        if tools.len() != n {
            problems.push(format!("{} tools instead of {n}", tools.len()));
        }
    }
    if !expect.tools_include.is_empty() {
        expected.push(format!("including {}", expect.tools_include.join(", ")));
    }
    for t in &expect.tools_include {
        if !tools.contains(t) {
            problems.push(format!("{t} is missing"));
        }
    }
    if !expect.tools_exclude.is_empty() {
        expected.push(format!("without {}", expect.tools_exclude.join(", ")));
    }
    for t in &expect.tools_exclude {
        if tools.contains(t) {
            problems.push(format!("{t} is listed but must not be"));
        }
    }
    CheckResult::judge(
        &TOOLS_LISTED,
        problems.is_empty(),
        if problems.is_empty() {
            format!("connector {name:?} lists the expected tools")
        } else {
            format!("connector {name:?}: {}", problems.join("; "))
        },
        expected.join(", "),
        format!("[{}]", tools.join(", ")),
    )
}

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
            (OutcomeExpect::ProtocolError, CallOutcome::ProtocolError(_))
            | (OutcomeExpect::Refused, CallOutcome::Refused { .. })
            | (OutcomeExpect::Disconnected, CallOutcome::Disconnected { .. })
            | (OutcomeExpect::GaveUp, CallOutcome::GaveUp { .. }) => true,
            _ => false,
        };
        let expected_name = match expected {
            OutcomeExpect::Result => "a tool result",
            OutcomeExpect::ErrorResult => "a tool result with isError",
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

fn destructive_confirmed(ev: &SweepEvidence, profile: &HostProfile) -> Vec<CheckResult> {
    let def = &DESTRUCTIVE_CONFIRMED;
    let listing = match seen(def, &ev.tools.listing) {
        Ok(l) => l,
        Err(v) => return vec![v],
    };
    let destructive: Vec<&serde_json::Value> = listing
        .tools
        .iter()
        .filter(|t| t["annotations"]["destructiveHint"] == true)
        .collect();
    if destructive.is_empty() {
        return vec![CheckResult::not_applicable(
            def,
            "no listed tool declares destructiveHint: true",
        )];
    }
    let plain_destructive =
        serde_json::json!({"annotations": {"readOnlyHint": false, "destructiveHint": true}});
    if !decide(profile, &plain_destructive).confirmation {
        return vec![CheckResult::not_applicable(
            def,
            format!(
                "{} asks before no tool: hints cannot change what it does",
                profile.name
            ),
        )];
    }
    let skipped: Vec<&str> = destructive
        .iter()
        .filter(|t| !decide(profile, t).confirmation)
        .map(|t| t["name"].as_str().unwrap_or("?"))
        .collect();
    vec![CheckResult::judge(
        def,
        skipped.is_empty(),
        format!(
            "{} before the {} tool(s) declaring destructiveHint",
            profile.name,
            destructive.len()
        ),
        format!("{} asks before every destructive tool", profile.name),
        if skipped.is_empty() {
            "asks before each".to_owned()
        } else {
            format!(
                "runs without asking, because they also declare readOnlyHint: true: {}",
                skipped.join(", ")
            )
        },
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Observed;
    use crate::host::{CallDecision, ConnectorState, ToolCall};
    use crate::mcp_ops::{ListingEnd, ToolListing};
    use serde_json::json;

    fn view(state: ConnectorState, tools: &[&str]) -> ConnectorView {
        ConnectorView {
            name: "main".into(),
            state,
            tools: tools.iter().map(|t| json!({"name": t})).collect(),
            instructions: Some("Use search first.".into()),
            popups: Vec::new(),
            exchanges: Vec::new(),
        }
    }

    fn expect(text: &str) -> ConnectorExpect {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn a_connector_is_judged_on_state_reason_tools_and_instructions() {
        let connected = view(ConnectorState::Connected { warning: None }, &["a", "b"]);
        let checks = connector(&connected, &expect("state = \"connected\"\ntools = 2\ntools_include = [\"a\"]\ninstructions_contain = \"search\""), "chatgpt");
        assert!(
            checks.iter().all(|c| c.status == Status::Pass),
            "{checks:?}"
        );
        let failed = view(
            ConnectorState::Failed {
                reason: "not a member".into(),
            },
            &[],
        );
        let checks = connector(
            &failed,
            &expect("state = \"connected\"\ntools = 2"),
            "chatgpt",
        );
        assert_eq!(checks[0].status, Status::Fail);
        assert_eq!(
            checks[1].status,
            Status::NotTestable,
            "no tools to judge on a red connector"
        );
        let checks = connector(
            &failed,
            &expect("state = \"failed\"\nreason_contains = \"MEMBER\""),
            "chatgpt",
        );
        assert!(checks.iter().all(|c| c.status == Status::Pass));
    }

    #[test]
    fn per_host_expectations_apply_to_their_host_only() {
        let connected = view(ConnectorState::Connected { warning: None }, &["a"]);
        let e = expect("[host.claude-desktop]\ntools = 3");
        assert!(connector(&connected, &e, "chatgpt").is_empty());
        assert_eq!(
            connector(&connected, &e, "claude-desktop")[0].status,
            Status::Fail
        );
    }

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

    fn listed(tools: Vec<serde_json::Value>) -> SweepEvidence {
        let mut ev = SweepEvidence::default();
        ev.tools.listing = Observed::Seen(ToolListing {
            tools,
            pages: 1,
            repeated: Vec::new(),
            end: ListingEnd::Complete,
        });
        ev
    }

    #[test]
    fn a_destructive_tool_claiming_read_only_fails_for_a_host_that_auto_runs_read_only_tools() {
        let claude = HostProfile::builtin("claude-desktop").unwrap();
        let chatgpt = HostProfile::builtin("chatgpt").unwrap();
        let both = listed(vec![
            json!({"name": "wipe", "annotations": {"readOnlyHint": true, "destructiveHint": true}}),
        ]);
        assert_eq!(
            destructive_confirmed(&both, &claude)[0].status,
            Status::Fail
        );
        assert_eq!(
            destructive_confirmed(&both, &chatgpt)[0].status,
            Status::Pass
        );
        let honest = listed(vec![
            json!({"name": "wipe", "annotations": {"destructiveHint": true}}),
        ]);
        assert_eq!(
            destructive_confirmed(&honest, &claude)[0].status,
            Status::Pass
        );
        let none = listed(vec![
            json!({"name": "read", "annotations": {"readOnlyHint": true}}),
        ]);
        assert_eq!(
            destructive_confirmed(&none, &claude)[0].status,
            Status::NotApplicable
        );
    }
}
