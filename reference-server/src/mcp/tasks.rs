//! MCP tasks (2025-11-25, spec/mcp.md §5): task-augmented `tools/call`, `tasks/get`, `tasks/result`
//! (blocks until terminal), `tasks/list` (only the caller's), `tasks/cancel`, `ttl` and `pollInterval`.
//! Every task is bound to the credential subject that created it and to its endpoint; the task table
//! keeps them, and the faults that break these rules are consulted here.

use std::time::SystemTime;

use serde_json::{json, Value};
use tokio::sync::watch;

use crate::domain::secret::random_id;
use crate::domain::task::{TaskCaller, TaskRecord, TaskStatus};
use crate::fault::Fault;
use crate::mcp::error::{RpcError, INTERNAL_ERROR};
use crate::mcp::tools::{self, Invocation};
use crate::state::AppState;
use crate::store::tasks::{TaskMissing, TaskRules};

pub const RELATED_TASK: &str = "io.modelcontextprotocol/related-task";

/// The table's binding and expiry rules under the active faults.
fn rules(state: &AppState) -> TaskRules {
    TaskRules {
        bound: !state.faults().has(Fault::TasksNotBound),
        expire: !state.faults().has(Fault::TaskTtlIgnored),
    }
}

fn not_found(id: &str) -> RpcError {
    RpcError::invalid_params(format!("Failed to retrieve task: Task not found ({id})"))
}

fn missing(why: TaskMissing, id: &str) -> RpcError {
    match why {
        TaskMissing::NotFound => not_found(id),
        TaskMissing::Expired => {
            RpcError::invalid_params(format!("Failed to retrieve task: Task has expired ({id})"))
        }
    }
}

/// Starts a task running `invocation`; returns the `CreateTaskResult`.
pub fn start(
    state: &AppState,
    caller: TaskCaller,
    requested_ttl: Option<u64>,
    invocation: Invocation,
) -> Value {
    let settings = &state.config.settings;
    let ttl_ms = requested_ttl
        .unwrap_or(settings.task_default_ttl_ms)
        .min(settings.task_max_ttl_ms);
    let id = random_id();
    let now = SystemTime::now();
    let (changed, _) = watch::channel(());
    let record = TaskRecord {
        id: id.clone(),
        owner: caller.owner,
        endpoint: caller.endpoint,
        status: TaskStatus::Working,
        status_message: Some(format!("{} is running", invocation.tool.name)),
        created_at: now,
        last_updated_at: now,
        ttl_ms,
        poll_interval_ms: (!state.faults().has(Fault::PollIntervalMissing))
            .then_some(settings.task_poll_interval_ms),
        result: None,
        abort: None,
        changed,
    };
    let created = record.to_json();
    state.tasks.insert(record, rules(state));
    if !state.faults().has(Fault::TaskNeverCompletes) {
        let store = state.tasks.clone();
        let task_id = id.clone();
        let errors_fail = !state.faults().has(Fault::FailedTaskReportedCompleted);
        let handle = tokio::spawn(async move {
            let result = tools::run(invocation).await;
            store.finish(&task_id, result, errors_fail);
        });
        state.tasks.set_abort(&id, handle.abort_handle());
    }
    json!({ "task": created })
}

/// `tasks/get`.
pub fn get(state: &AppState, caller: &TaskCaller, id: &str) -> Result<Value, RpcError> {
    state
        .tasks
        .with_task(caller, id, rules(state), |t| t.to_json())
        .or_else(|why| {
            if state.faults().has(Fault::UnknownTaskNotError) {
                // The bug: an id it never issued reads as a task still at work.
                Ok(json!({"taskId": id, "status": "working", "createdAt": "", "lastUpdatedAt": "", "ttl": null}))
            } else {
                Err(missing(why, id))
            }
        })
}

/// `tasks/get` of the tasks extension (2026-07-28): the task and, once terminal, what the original
/// request answered (a tool's result, or the error a cancelled task ends with).
#[allow(clippy::type_complexity)]
pub fn get_detailed(
    state: &AppState,
    caller: &TaskCaller,
    id: &str,
) -> Result<(Value, Option<Result<Value, RpcError>>), RpcError> {
    state
        .tasks
        .with_task(caller, id, rules(state), |t| {
            let outcome = match (&t.result, t.status) {
                (Some(result), TaskStatus::Completed | TaskStatus::Failed) => {
                    Some(Ok(result.clone()))
                }
                (_, TaskStatus::Cancelled) => Some(Err(RpcError::new(
                    INTERNAL_ERROR,
                    format!("Task {} was cancelled before it produced a result", t.id),
                ))),
                _ => None,
            };
            (t.to_json(), outcome)
        })
        .map_err(|why| missing(why, id))
}

/// `tasks/cancel` of the tasks extension: cooperative, so a finished task is acknowledged unchanged.
pub fn cancel_cooperatively(
    state: &AppState,
    caller: &TaskCaller,
    id: &str,
) -> Result<(), RpcError> {
    let terminal = state
        .tasks
        .with_task(caller, id, rules(state), |t| t.status.is_terminal())
        .map_err(|why| missing(why, id))?;
    if !terminal {
        cancel(state, caller, id)?;
    }
    Ok(())
}

/// `tasks/result`: waits until the task is terminal, then answers what the original request would
/// have, with the related-task `_meta`.
pub async fn result(state: &AppState, caller: &TaskCaller, id: &str) -> Result<Value, RpcError> {
    let mut shutdown = state.shutdown.clone();
    loop {
        let (outcome, mut changed) = state
            .tasks
            .with_task(caller, id, rules(state), |t| {
                let outcome =
                    if t.status.is_terminal() || state.faults().has(Fault::TaskResultEarly) {
                        Some(match (&t.result, t.status) {
                            (Some(result), _) => Ok(result.clone()),
                            (None, TaskStatus::Cancelled) => Err(RpcError::invalid_params(
                                format!("Task {} was cancelled before it produced a result", t.id),
                            )),
                            // Only reachable with `task-result-early`: an empty, premature result.
                            (None, _) => Ok(json!({ "content": [] })),
                        })
                    } else {
                        None
                    };
                (outcome, t.changed.subscribe())
            })
            .map_err(|why| missing(why, id))?;
        if let Some(outcome) = outcome {
            return outcome.map(|mut result| {
                if !state.faults().has(Fault::RelatedTaskMetaMissing) {
                    if let Some(obj) = result.as_object_mut() {
                        let meta = obj.entry("_meta").or_insert_with(|| json!({}));
                        meta[RELATED_TASK] = json!({ "taskId": id });
                    }
                }
                result
            });
        }
        tokio::select! {
            changed = changed.changed() => {
                if changed.is_err() {
                    return Err(not_found(id));
                }
            }
            _ = shutdown.wait_for(|stopped| *stopped) => {
                return Err(RpcError::new(INTERNAL_ERROR, "the server is shutting down"));
            }
        }
    }
}

/// `tasks/cancel`: a working task stops and ends `cancelled`; a finished one cannot be cancelled.
pub fn cancel(state: &AppState, caller: &TaskCaller, id: &str) -> Result<Value, RpcError> {
    state
        .tasks
        .with_task(caller, id, rules(state), |t| {
            if t.status.is_terminal() && !state.faults().has(Fault::CancelTerminalAccepted) {
                return Err(RpcError::invalid_params(format!(
                    "Cannot cancel task {}: it is already {}",
                    t.id,
                    t.status.as_str()
                )));
            }
            if state.faults().has(Fault::CancelIgnored) {
                // The fault: the request is acknowledged and nothing is done.
                return Ok(t.to_json());
            }
            if let Some(abort) = t.abort.take() {
                abort.abort();
            }
            t.status = TaskStatus::Cancelled;
            t.status_message = Some("cancelled by the client".to_owned());
            t.last_updated_at = SystemTime::now();
            t.changed.send_replace(());
            Ok(t.to_json())
        })
        .map_err(|why| missing(why, id))?
}

/// `tasks/list` before paging: the caller's tasks (all tasks with `tasks-not-bound`), oldest first.
pub fn list(state: &AppState, caller: &TaskCaller) -> Vec<Value> {
    state.tasks.list(caller, rules(state))
}
