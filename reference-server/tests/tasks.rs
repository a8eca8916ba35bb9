//! MCP tasks (spec/mcp.md §5) on the storefront's long-running tools.

mod common;

use std::time::Duration;

use common::*;
use reqwest::Method;
use serde_json::{json, Value};

const STOREFRONT: &str = "/acme/storefront";

async fn start_task<'a>(s: &Session<'a>, tool: &str, arguments: Value, task: Value) -> Value {
    let created = s
        .result(
            "tools/call",
            json!({"name": tool, "arguments": arguments, "task": task}),
        )
        .await;
    created["task"].clone()
}

/// Polls tasks/get at the server's pollInterval until the task is terminal (bounded).
async fn poll_until_terminal(s: &Session<'_>, task_id: &str) -> Value {
    for _ in 0..200 {
        let task = s.result("tasks/get", json!({"taskId": task_id})).await;
        if task["status"] != "working" {
            return task;
        }
        let interval = task["pollInterval"].as_u64().unwrap_or(100);
        tokio::time::sleep(Duration::from_millis(interval)).await;
    }
    panic!("task {task_id} never finished");
}

/// MCP §5.1 rule 4: a required tool called without a task is refused with -32601.
#[tokio::test]
async fn a_required_task_tool_called_inline_gets_32601() {
    let t = start().await;
    let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
    let error = s
        .error(
            "tools/call",
            json!({"name": "build_sales_report", "arguments": {"period": "week"}}),
        )
        .await;
    assert_eq!(error["code"], -32601);
}

/// MCP §5.1 rule 2: a tool without task support called as a task is refused with -32601.
#[tokio::test]
async fn a_forbidden_task_tool_called_as_a_task_gets_32601() {
    let t = start().await;
    let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
    let error = s
        .error(
            "tools/call",
            json!({"name": "search_products", "arguments": {"query": "tea"}, "task": {"ttl": 60000}}),
        )
        .await;
    assert_eq!(error["code"], -32601);
}

/// MCP §5.2–5.4: working → completed, timestamps and ttl on every task, tasks/result carries the
/// original result with the related-task `_meta`.
#[tokio::test]
async fn a_required_task_runs_to_completion_and_its_result_carries_related_task_meta() {
    let t = start().await;
    let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
    let task = start_task(
        &s,
        "build_sales_report",
        json!({"period": "month"}),
        json!({"ttl": 60000}),
    )
    .await;
    assert_eq!(task["status"], "working");
    for field in [
        "taskId",
        "createdAt",
        "lastUpdatedAt",
        "ttl",
        "pollInterval",
    ] {
        assert!(task.get(field).is_some(), "missing {field}: {task}");
    }
    assert_eq!(task["ttl"], 60000);
    let id = task["taskId"].as_str().unwrap();
    let done = poll_until_terminal(&s, id).await;
    assert_eq!(done["status"], "completed");
    let result = s.result("tasks/result", json!({"taskId": id})).await;
    assert_eq!(result["structuredContent"]["period"], "month");
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/related-task"]["taskId"],
        id
    );
}

/// MCP §5.2: tasks/result blocks until the task is terminal.
#[tokio::test]
async fn tasks_result_blocks_until_the_task_is_terminal() {
    let t = start().await;
    t.admin(
        Method::PATCH,
        "/_admin/orgs/acme/projects/storefront/tools/build_sales_report/behaviour",
        Some(json!({"duration_ms": 400})),
    )
    .await;
    let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
    let task = start_task(
        &s,
        "build_sales_report",
        json!({"period": "week"}),
        json!({}),
    )
    .await;
    let id = task["taskId"].as_str().unwrap();
    let result = s.result("tasks/result", json!({"taskId": id})).await;
    assert_eq!(result["isError"], false);
    let after = s.result("tasks/get", json!({"taskId": id})).await;
    assert_eq!(after["status"], "completed");
}

#[tokio::test]
async fn an_optional_task_tool_runs_both_inline_and_as_a_task() {
    let t = start().await;
    let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
    let inline = s.call("export_catalog", json!({})).await;
    assert_eq!(inline["isError"], false);
    let task = start_task(&s, "export_catalog", json!({"format": "csv"}), json!({})).await;
    let done = poll_until_terminal(&s, task["taskId"].as_str().unwrap()).await;
    assert_eq!(done["status"], "completed");
}

/// MCP §5.3: an `isError` result ends the task `failed`, and tasks/result gives that error result.
#[tokio::test]
async fn a_failing_task_ends_failed_with_an_error_result() {
    let t = start().await;
    let (status, _) = t
        .admin(
            Method::PATCH,
            "/_admin/orgs/acme/projects/storefront/tools/export_catalog/behaviour",
            Some(json!({"fail": true})),
        )
        .await;
    assert!(status.is_success());
    let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
    let task = start_task(&s, "export_catalog", json!({}), json!({})).await;
    let id = task["taskId"].as_str().unwrap();
    let done = poll_until_terminal(&s, id).await;
    assert_eq!(done["status"], "failed");
    assert!(done["statusMessage"]
        .as_str()
        .unwrap()
        .contains("Export failed"));
    let result = s.result("tasks/result", json!({"taskId": id})).await;
    assert_eq!(result["isError"], true);
}

/// MCP §5.2/5.4: cancel moves a working task to cancelled; cancelling a terminal task is -32602.
#[tokio::test]
async fn cancel_stops_a_working_task_and_cancel_after_completion_is_refused() {
    let t = start().await;
    t.admin(
        Method::PATCH,
        "/_admin/orgs/acme/projects/storefront/tools/build_sales_report/behaviour",
        Some(json!({"duration_ms": 60000})),
    )
    .await;
    let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
    let task = start_task(
        &s,
        "build_sales_report",
        json!({"period": "week"}),
        json!({}),
    )
    .await;
    let id = task["taskId"].as_str().unwrap();
    let cancelled = s.result("tasks/cancel", json!({"taskId": id})).await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(
        s.result("tasks/get", json!({"taskId": id})).await["status"],
        "cancelled"
    );
    let again = s.error("tasks/cancel", json!({"taskId": id})).await;
    assert_eq!(again["code"], -32602);

    let quick = start_task(&s, "export_catalog", json!({}), json!({})).await;
    let quick_id = quick["taskId"].as_str().unwrap();
    poll_until_terminal(&s, quick_id).await;
    let error = s.error("tasks/cancel", json!({"taskId": quick_id})).await;
    assert_eq!(error["code"], -32602);
}

/// MCP §5.4 security: tasks are bound to their creator; tasks/list shows only the caller's.
#[tokio::test]
async fn another_caller_cannot_see_or_read_a_task() {
    let t = start().await;
    let owner = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
    let other = t.session(STOREFRONT, Some(STOREFRONT_KIOSK_KEY)).await;
    let task = start_task(&owner, "export_catalog", json!({}), json!({})).await;
    let id = task["taskId"].as_str().unwrap();
    for method in ["tasks/get", "tasks/result", "tasks/cancel"] {
        let error = other.error(method, json!({"taskId": id})).await;
        assert_eq!(error["code"], -32602, "{method}");
    }
    let mine = owner.result("tasks/list", json!({})).await;
    assert!(mine["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["taskId"] == id));
    let theirs = other.result("tasks/list", json!({})).await;
    assert!(theirs["tasks"].as_array().unwrap().is_empty());
}

/// MCP §5.2: the receiver may delete a task once its ttl has passed; it is then unknown (-32602).
#[tokio::test]
async fn an_expired_task_is_gone() {
    let t = start().await;
    let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
    let task = start_task(&s, "export_catalog", json!({}), json!({"ttl": 0})).await;
    assert_eq!(task["ttl"], 0);
    let error = s
        .error("tasks/get", json!({"taskId": task["taskId"]}))
        .await;
    assert_eq!(error["code"], -32602);
    assert!(error["message"].as_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn a_requested_ttl_above_the_maximum_is_capped_and_unknown_ids_are_32602() {
    let t = start().await;
    let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
    let task = start_task(
        &s,
        "export_catalog",
        json!({}),
        json!({"ttl": 999_999_999_999u64}),
    )
    .await;
    assert_eq!(task["ttl"], 3_600_000);
    let error = s
        .error("tasks/get", json!({"taskId": "no-such-task"}))
        .await;
    assert_eq!(error["code"], -32602);
    let error = s.error("tasks/get", json!({})).await;
    assert_eq!(error["code"], -32602);
    let error = s
        .error(
            "tools/call",
            json!({"name": "export_catalog", "arguments": {}, "task": {"ttl": "soon"}}),
        )
        .await;
    assert_eq!(error["code"], -32602);
}
