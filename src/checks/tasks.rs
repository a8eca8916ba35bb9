//! Tasks (MCP 2025-11-25 basic/utilities/tasks): tool-level negotiation, the status lifecycle,
//! result retrieval, cancellation and binding to the requester, on one task-required tool.

use super::catalogue::{CheckDef, Judge, Level, Section};
use super::tools::rpc_error_rule;
use super::verdict::{seen, server_failed, CheckResult};
use crate::evidence::SweepEvidence;
use crate::guide::Row;
use crate::mcp_ops::{names_related_task, PollEnd, TaskStatus};

pub static REQUIRED: CheckDef = CheckDef {
    id: "tasks.required.enforced",
    level: Level::Must,
    clause: "MCP tasks §tool-level negotiation: a tool with taskSupport \"required\" called without `task` gets -32601 (or -32600)",
    applies: "a tool the run may call requires a task",
    row: Some(Row::ToolsFail),
    hint: "refuse plain calls to task-required tools with -32601 so hosts know to call them as tasks",
    judge: Judge::Sweep(Section::Tasks, required_enforced),
};

pub static COMPLETES: CheckDef = CheckDef {
    id: "tasks.lifecycle.completes",
    level: Level::Must,
    clause: "MCP tasks §task status lifecycle / connector guide: a long-running tool's task moves from working to completed or failed, and the host polls until then",
    applies: "a tool the run may call requires a task",
    row: Some(Row::ToolsFail),
    hint: "make long-running tools finish (completed or failed) within their ttl",
    judge: Judge::Sweep(Section::Tasks, lifecycle_completes),
};

pub static RESULT_WAITS: CheckDef = CheckDef {
    id: "tasks.result.waits",
    level: Level::Must,
    clause: "MCP tasks §result retrieval: tasks/result for a working task blocks until the task is terminal",
    applies: "a tool the run may call requires a task",
    row: None,
    hint: "hold tasks/result until the task reaches a terminal status",
    judge: Judge::Sweep(Section::Tasks, result_waits),
};

pub static RELATED_META: CheckDef = CheckDef {
    id: "tasks.result.related-meta",
    level: Level::Must,
    clause: "MCP tasks §related-task metadata: tasks/result carries _meta io.modelcontextprotocol/related-task naming the task",
    applies: "a tool the run may call requires a task",
    row: None,
    hint: "add `_meta: {\"io.modelcontextprotocol/related-task\": {\"taskId\": …}}` to tasks/result",
    judge: Judge::Sweep(Section::Tasks, result_related_meta),
};

pub static CANCEL_TERMINAL: CheckDef = CheckDef {
    id: "tasks.cancel.terminal-rejected",
    level: Level::Must,
    clause: "MCP tasks §cancellation: tasks/cancel of a task in a terminal status gets -32602",
    applies: "a tool the run may call requires a task",
    row: None,
    hint: "refuse tasks/cancel for completed, failed or cancelled tasks with -32602",
    judge: Judge::Sweep(Section::Tasks, cancel_terminal_rejected),
};

pub static BOUND: CheckDef = CheckDef {
    id: "tasks.access.bound-to-requester",
    level: Level::Must,
    clause: "MCP tasks §security: tasks are bound to the authorization context that created them; others cannot read them",
    applies: "a tool the run may call requires a task, and the run has a second credential",
    row: Some(Row::ToolsFail),
    hint: "answer tasks/get and tasks/result of another user's task as not found, and list only the caller's tasks",
    judge: Judge::Sweep(Section::Tasks, bound_to_requester),
};

pub static CAPABILITY: CheckDef = CheckDef {
    id: "tasks.capability.declared",
    level: Level::Must,
    clause: "MCP tasks §capabilities: a server that accepts task-augmented tools/call declares `tasks.requests.tools.call`",
    applies: "a listed tool declares taskSupport optional or required",
    row: Some(Row::ToolsFail),
    hint: "declare `\"tasks\": {\"requests\": {\"tools\": {\"call\": {}}}}` in the initialize result's capabilities",
    judge: Judge::Sweep(Section::Tasks, capability_declared),
};

pub static UNKNOWN_TASK: CheckDef = CheckDef {
    id: "tasks.get.unknown-id",
    level: Level::Must,
    clause: "MCP tasks §error handling: tasks/get with an unknown or invalid taskId gets -32602",
    applies: "a tool the run may call requires a task",
    row: None,
    hint: "answer tasks/get, tasks/result and tasks/cancel of unknown task ids with -32602",
    judge: Judge::Sweep(Section::Tasks, unknown_task),
};

pub static CHECKS: &[&CheckDef] = &[
    &CAPABILITY,
    &UNKNOWN_TASK,
    &REQUIRED,
    &COMPLETES,
    &RESULT_WAITS,
    &RELATED_META,
    &CANCEL_TERMINAL,
    &BOUND,
];

/// The tool the probes used, or why there is none.
fn tool<'a>(def: &CheckDef, ev: &'a SweepEvidence) -> Result<&'a str, CheckResult> {
    seen(def, &ev.tasks.tool).map(String::as_str)
}

fn required_enforced(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &REQUIRED;
    let name = match tool(def, ev) {
        Ok(n) => n,
        Err(v) => return vec![v],
    };
    let x = match seen(def, &ev.tasks.without_task) {
        Ok(x) => x,
        Err(v) => return vec![v],
    };
    let what = format!("{name} (taskSupport required) called without a task");
    if let Some(v) = server_failed(def, &x.exchange, &what) {
        return vec![v];
    }
    let code = x.error_code();
    vec![CheckResult::judge(
        def,
        matches!(code, Some(-32601) | Some(-32600)),
        what,
        "a JSON-RPC error -32601",
        match (code, x.result()) {
            (Some(c), _) => format!("error {c}"),
            (None, Some(_)) => "the tool ran without a task".to_owned(),
            _ => format!("HTTP {}", x.status()),
        },
    )
    .with_evidence([&x.exchange])]
}

fn lifecycle_completes(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &COMPLETES;
    let name = match tool(def, ev) {
        Ok(n) => n,
        Err(v) => return vec![v],
    };
    let poll = match seen(def, &ev.tasks.poll) {
        Ok(p) => p,
        Err(v) => return vec![v],
    };
    let what = format!("the task of {name}, polled after {} polls", poll.polls);
    let expected = "completed or failed";
    let statuses = poll.describe_statuses();
    vec![match &poll.end {
        PollEnd::Stopped(TaskStatus::Completed | TaskStatus::Failed) => {
            CheckResult::judge(def, true, what, expected, statuses)
        }
        PollEnd::Stopped(TaskStatus::Cancelled) => CheckResult::fail(
            def,
            what,
            expected,
            format!("{statuses}: cancelled, though nobody cancelled it"),
        ),
        PollEnd::Stopped(TaskStatus::InputRequired) => {
            CheckResult::not_testable(def, format!("the task waits for input ({statuses})"))
        }
        PollEnd::Stopped(other) => CheckResult::fail(
            def,
            what,
            expected,
            format!("{statuses}: {other} is not a status of the protocol"),
        ),
        PollEnd::Deadline => CheckResult::fail(
            def,
            what,
            expected,
            format!("{statuses}: still not terminal at the deadline"),
        ),
        PollEnd::Failed(failure) => CheckResult::not_testable(
            def,
            format!("tasks/get failed ({statuses}): {}", failure.describe()),
        ),
    }]
}

fn result_related_meta(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &RELATED_META;
    if let Err(v) = tool(def, ev) {
        return vec![v];
    }
    let (Some(poll), x) = (ev.tasks.poll.seen(), seen(def, &ev.tasks.result)) else {
        return vec![CheckResult::not_testable(def, "no task was polled")];
    };
    let x = match x {
        Ok(x) => x,
        Err(v) => return vec![v],
    };
    if let Some(v) = server_failed(def, &x.exchange, "tasks/result") {
        return vec![v];
    }
    let Some(result) = x.result() else {
        return vec![CheckResult::not_testable(
            def,
            format!("tasks/result gave no result: {}", x.describe()),
        )
        .with_evidence([&x.exchange])];
    };
    let related = &result["_meta"]["io.modelcontextprotocol/related-task"];
    vec![CheckResult::judge(
        def,
        names_related_task(result, &poll.task_id),
        "tasks/result's _meta",
        format!(
            "io.modelcontextprotocol/related-task with taskId {}",
            poll.task_id
        ),
        if related.is_null() {
            "no related-task _meta".to_owned()
        } else {
            related.to_string()
        },
    )
    .with_evidence([&x.exchange])]
}

fn cancel_terminal_rejected(ev: &SweepEvidence) -> Vec<CheckResult> {
    if let Err(v) = tool(&CANCEL_TERMINAL, ev) {
        return vec![v];
    }
    vec![rpc_error_rule(
        &CANCEL_TERMINAL,
        &ev.tasks.cancel_terminal,
        "tasks/cancel of a finished task",
        Some(-32602),
        "accepted",
    )]
}

fn result_waits(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &RESULT_WAITS;
    if let Err(v) = tool(def, ev) {
        return vec![v];
    }
    let (result, after) = match seen(def, &ev.tasks.early_result) {
        Ok(pair) => pair,
        Err(v) => return vec![v],
    };
    if let Some(v) = server_failed(def, &result.exchange, "tasks/result") {
        return vec![v];
    }
    let status = after
        .result()
        .and_then(|r| r["status"].as_str())
        .map(TaskStatus::parse);
    let Some(status) = status else {
        return vec![CheckResult::not_testable(
            def,
            format!(
                "tasks/get after tasks/result gave no status: {}",
                after.describe()
            ),
        )
        .with_evidence([&after.exchange])];
    };
    vec![CheckResult::judge(
        def,
        status.is_terminal(),
        "the task's status right after tasks/result answered",
        "terminal (tasks/result blocks until the end)",
        status.to_string(),
    )
    .with_evidence([&result.exchange])]
}

fn bound_to_requester(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &BOUND;
    if let Err(v) = tool(def, ev) {
        return vec![v];
    }
    if ev.open_without_credentials() {
        return vec![CheckResult::not_applicable(
            def,
            "the endpoint asks for no credentials: there is no authorization context to bind a task to",
        )];
    }
    let x = match seen(def, &ev.tasks.other_credential) {
        Ok(x) => x,
        Err(v) => return vec![v],
    };
    let what = "tasks/get of the task by another credential";
    if let Some(v) = server_failed(def, &x.exchange, what) {
        return vec![v];
    }
    let refused = x.error().is_some() || matches!(x.status(), 401 | 403 | 404);
    vec![CheckResult::judge(
        def,
        refused && x.result().is_none(),
        what,
        "not found (-32602), or refused",
        if x.result().is_some() {
            "the task was shown".to_owned()
        } else {
            x.describe()
        },
    )
    .with_evidence([&x.exchange])]
}

fn capability_declared(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &CAPABILITY;
    let tools = match seen(def, &ev.tools.listing) {
        Ok(l) => &l.tools,
        Err(v) => return vec![v],
    };
    let with_tasks: Vec<&str> = tools
        .iter()
        .filter(|t| {
            matches!(
                t["execution"]["taskSupport"].as_str(),
                Some("optional" | "required")
            )
        })
        .map(|t| t["name"].as_str().unwrap_or("?"))
        .collect();
    if with_tasks.is_empty() {
        return vec![CheckResult::not_applicable(
            def,
            "no listed tool supports tasks",
        )];
    }
    let Some(capabilities) = ev.transport.capabilities() else {
        return vec![CheckResult::not_testable(
            def,
            "no initialize result to read capabilities from",
        )];
    };
    vec![CheckResult::judge(
        def,
        capabilities["tasks"]["requests"]["tools"]["call"].is_object(),
        format!(
            "the capabilities of a server whose tools {} support tasks",
            with_tasks.join(", ")
        ),
        "tasks.requests.tools.call",
        capabilities["tasks"].to_string(),
    )]
}

fn unknown_task(ev: &SweepEvidence) -> Vec<CheckResult> {
    if let Err(v) = tool(&UNKNOWN_TASK, ev) {
        return vec![v];
    }
    vec![rpc_error_rule(
        &UNKNOWN_TASK,
        &ev.tasks.unknown_task,
        "tasks/get of a task id the server never issued",
        Some(-32602),
        "a task",
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::reply;
    use crate::checks::Status;
    use crate::evidence::Observed;
    use crate::mcp_ops::TaskPoll;
    use serde_json::json;

    fn with_tool() -> SweepEvidence {
        let mut ev = SweepEvidence::default();
        ev.tasks.tool = Observed::Seen("export".into());
        ev
    }

    fn error(code: i64) -> Observed<crate::evidence::RpcExchange> {
        Observed::Seen(reply(
            200,
            json!({"jsonrpc": "2.0", "id": 1, "error": {"code": code, "message": "x"}}),
        ))
    }

    fn polled(end: PollEnd) -> Observed<TaskPoll> {
        Observed::Seen(TaskPoll {
            task_id: "t1".into(),
            statuses: vec![TaskStatus::Working],
            polls: 2,
            poll_interval_ms: Some(10),
            end,
            last_polled: None,
        })
    }

    #[test]
    fn without_a_task_tool_every_task_check_is_not_applicable() {
        let mut ev = SweepEvidence::default();
        ev.tasks.tool = Observed::not_applicable("no tool the run may call requires a task");
        // The capability rule reads the listing instead: no tool with taskSupport, no rule.
        ev.tools.listing = Observed::Seen(crate::mcp_ops::ToolListing {
            tools: vec![json!({"name": "plain"})],
            pages: 1,
            repeated: Vec::new(),
            repeats: 0,
            not_kept: 0,
            end: crate::mcp_ops::ListingEnd::Complete,
        });
        for c in CHECKS {
            let Judge::Sweep(_, judge) = c.judge else {
                unreachable!()
            };
            assert_eq!(judge(&ev)[0].status, Status::NotApplicable, "{}", c.id);
        }
    }

    #[test]
    fn task_tools_need_the_tasks_capability_and_unknown_ids_an_error() {
        use crate::mcp_ops::{ListingEnd, ToolListing};
        let mut ev = with_tool();
        ev.tools.listing = Observed::Seen(ToolListing {
            tools: vec![json!({"name": "export", "execution": {"taskSupport": "required"}})],
            pages: 1,
            repeated: Vec::new(),
            repeats: 0,
            not_kept: 0,
            end: ListingEnd::Complete,
        });
        let init = |caps: serde_json::Value| {
            Observed::Seen(reply(
                200,
                json!({"jsonrpc": "2.0", "id": 1, "result": {"capabilities": caps}}),
            ))
        };
        ev.transport.initialize = init(json!({"tasks": {"requests": {"tools": {"call": {}}}}}));
        assert_eq!(capability_declared(&ev)[0].status, Status::Pass);
        ev.transport.initialize = init(json!({}));
        assert_eq!(capability_declared(&ev)[0].status, Status::Fail);
        ev.tasks.unknown_task = error(-32602);
        assert_eq!(unknown_task(&ev)[0].status, Status::Pass);
        ev.tasks.unknown_task = error(-32603);
        assert_eq!(unknown_task(&ev)[0].status, Status::Fail);
    }

    #[test]
    fn a_plain_call_to_a_required_tool_needs_method_not_found() {
        let mut ev = with_tool();
        ev.tasks.without_task = error(-32601);
        assert_eq!(required_enforced(&ev)[0].status, Status::Pass);
        ev.tasks.without_task = error(-32603);
        assert_eq!(required_enforced(&ev)[0].status, Status::Fail);
        ev.tasks.without_task = Observed::Seen(reply(500, json!({})));
        assert_eq!(required_enforced(&ev)[0].status, Status::NotTestable);
    }

    #[test]
    fn a_task_must_complete_or_fail_on_its_own() {
        let mut ev = with_tool();
        ev.tasks.poll = polled(PollEnd::Stopped(TaskStatus::Completed));
        assert_eq!(lifecycle_completes(&ev)[0].status, Status::Pass);
        ev.tasks.poll = polled(PollEnd::Stopped(TaskStatus::Cancelled));
        assert_eq!(lifecycle_completes(&ev)[0].status, Status::Fail);
        ev.tasks.poll = polled(PollEnd::Deadline);
        assert_eq!(lifecycle_completes(&ev)[0].status, Status::Fail);
        ev.tasks.poll = polled(PollEnd::Failed(crate::mcp_ops::Failure::NoAnswer(
            "timeout".into(),
        )));
        assert_eq!(lifecycle_completes(&ev)[0].status, Status::NotTestable);
    }

    #[test]
    fn the_result_names_its_task_and_waits_for_the_end() {
        let mut ev = with_tool();
        ev.tasks.poll = polled(PollEnd::Stopped(TaskStatus::Completed));
        ev.tasks.result = Observed::Seen(reply(
            200,
            json!({"jsonrpc": "2.0", "id": 4, "result": {"content": [], "_meta": {"io.modelcontextprotocol/related-task": {"taskId": "t1"}}}}),
        ));
        assert_eq!(result_related_meta(&ev)[0].status, Status::Pass);
        ev.tasks.result = Observed::Seen(reply(
            200,
            json!({"jsonrpc": "2.0", "id": 4, "result": {"content": []}}),
        ));
        assert_eq!(result_related_meta(&ev)[0].status, Status::Fail);
        let status = |s: &str| {
            reply(
                200,
                json!({"jsonrpc": "2.0", "id": 6, "result": {"status": s}}),
            )
        };
        ev.tasks.early_result = Observed::Seen((status("completed"), status("completed")));
        assert_eq!(result_waits(&ev)[0].status, Status::Pass);
        ev.tasks.early_result = Observed::Seen((status("working"), status("working")));
        assert_eq!(result_waits(&ev)[0].status, Status::Fail);
    }

    #[test]
    fn cancelling_a_finished_task_needs_invalid_params() {
        let mut ev = with_tool();
        ev.tasks.cancel_terminal = error(-32602);
        assert_eq!(cancel_terminal_rejected(&ev)[0].status, Status::Pass);
        ev.tasks.cancel_terminal = error(-32603);
        assert_eq!(
            cancel_terminal_rejected(&ev)[0].status,
            Status::Fail,
            "the code is compared"
        );
    }

    #[test]
    fn another_credential_must_not_see_the_task() {
        let mut ev = with_tool();
        ev.tasks.other_credential = error(-32602);
        assert_eq!(bound_to_requester(&ev)[0].status, Status::Pass);
        ev.tasks.other_credential = Observed::Seen(reply(
            200,
            json!({"jsonrpc": "2.0", "id": 1, "result": {"status": "completed"}}),
        ));
        assert_eq!(bound_to_requester(&ev)[0].status, Status::Fail);
        ev.tasks.other_credential = Observed::Seen(reply(500, json!({})));
        assert_eq!(bound_to_requester(&ev)[0].status, Status::NotTestable);
        ev.tasks.other_credential = Observed::skipped("needs a second credential");
        assert_eq!(bound_to_requester(&ev)[0].status, Status::Skip);
    }
}
