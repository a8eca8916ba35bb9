//! The tasks extension in the stateless era (io.modelcontextprotocol/tasks): a long tool becomes a
//! task only for a request that declares the extension (-32021 when it must be one and cannot), the
//! task is flat with `ttlMs`/`pollIntervalMs`, `tasks/get` carries the result inline once terminal,
//! `tasks/update` and `tasks/cancel` are acknowledged.

use axum::http::HeaderMap;
use serde_json::{json, Map, Value};

use crate::fault::Fault;
use crate::fixture::TaskSupport;
use crate::mcp::envelope::{check_param_headers, Envelope, TASKS_EXTENSION};
use crate::mcp::error::*;
use crate::mcp::methods::{self, Call};
use crate::mcp::tasks;

fn missing_tasks_extension() -> RpcError {
    RpcError::new(
        MISSING_REQUIRED_CLIENT_CAPABILITY,
        format!("Missing required client capability: the {TASKS_EXTENSION} extension"),
    )
    .with_data(json!({ "requiredCapabilities": { "extensions": { TASKS_EXTENSION: {} } } }))
}

/// `tools/call`: a task when the client declared the tasks extension and the tool runs long (its
/// `taskSupport` is optional or required); -32021 when it must be a task and the client cannot poll.
pub(crate) async fn tools_call(
    call: &Call<'_>,
    headers: &HeaderMap,
    envelope: &Envelope,
    params: &Map<String, Value>,
) -> Result<Value, RpcError> {
    let faults = call.state.faults();
    let name = params.get("name").and_then(Value::as_str).unwrap_or("");
    let tool = methods::find_tool(call, name);
    if let Some(tool) = &tool {
        if !faults.has(Fault::ModernHeadersNotChecked) {
            check_param_headers(headers, &tool.input_schema, params.get("arguments"))?;
        }
    }
    let declared = envelope.declares_extension(TASKS_EXTENSION);
    let support = tool.as_ref().map(|t| t.task_support());
    let as_task = match support {
        Some(TaskSupport::Required) if !declared => {
            if faults.has(Fault::ModernMissingCapabilityNotSignalled) {
                false
            } else {
                return Err(missing_tasks_extension());
            }
        }
        Some(TaskSupport::Required | TaskSupport::Optional) => {
            declared || faults.has(Fault::ModernTaskWithoutCapability)
        }
        _ => false,
    };
    let mut legacy_params = params.clone();
    legacy_params.remove("_meta");
    legacy_params.remove("task");
    // Without a task, a tool that requires one gets the legacy refusal (-32601): only reachable with
    // `modern-missing-capability-not-signalled`.
    if as_task {
        legacy_params.insert("task".into(), json!({}));
    }
    let result = methods::dispatch(call, "tools/call", Some(&Value::Object(legacy_params))).await?;
    match result.get("task") {
        Some(task) if as_task => Ok(modern_task(task.clone(), "task")),
        _ => Ok(result),
    }
}

/// A task's legacy JSON in the extension's shape: `ttlMs`, `pollIntervalMs`, flat, with `resultType`.
fn modern_task(mut task: Value, result_type: &str) -> Value {
    if let Some(obj) = task.as_object_mut() {
        if let Some(ttl) = obj.remove("ttl") {
            obj.insert("ttlMs".into(), ttl);
        }
        if let Some(interval) = obj.remove("pollInterval") {
            obj.insert("pollIntervalMs".into(), interval);
        }
        obj.insert("resultType".into(), json!(result_type));
    }
    task
}

/// `tasks/get` (the result inline once terminal), `tasks/update` and `tasks/cancel` (acknowledged).
pub(crate) fn task_method(
    call: &Call<'_>,
    envelope: &Envelope,
    method: &str,
    params: &Map<String, Value>,
) -> Result<Value, RpcError> {
    if !envelope.declares_extension(TASKS_EXTENSION) {
        return Err(missing_tasks_extension());
    }
    let id = params
        .get("taskId")
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::invalid_params("params.taskId must be a string"))?;
    let state = call.state;
    match method {
        "tasks/get" => {
            let (task, outcome) = tasks::get_detailed(state, &call.task_caller, id)?;
            let mut task = modern_task(task, "complete");
            match outcome {
                Some(Ok(result)) if !state.faults().has(Fault::ModernTaskResultNotInline) => {
                    task["result"] = result;
                }
                Some(Err(error)) => task["error"] = error.to_json(),
                _ => {}
            }
            Ok(task)
        }
        "tasks/update" => {
            // No tool of ours asks for input: responses to keys never requested are ignored.
            tasks::get(state, &call.task_caller, id)?;
            Ok(json!({}))
        }
        _ => {
            tasks::cancel_cooperatively(state, &call.task_caller, id)?;
            Ok(json!({}))
        }
    }
}
