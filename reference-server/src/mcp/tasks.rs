//! MCP tasks (2025-11-25, spec/mcp.md §5): task-augmented `tools/call`, `tasks/get`, `tasks/result`
//! (blocks until terminal), `tasks/list` (only the caller's), `tasks/cancel`, `ttl` and `pollInterval`.
//! Every task is bound to the credential subject that created it and to its endpoint.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::task::AbortHandle;

use crate::domain::endpoint::EndpointKey;
use crate::domain::lock::lock;
use crate::domain::secret::random_id;
use crate::domain::time::rfc3339;
use crate::fault::Fault;
use crate::mcp::error::RpcError;
use crate::mcp::tools::{self, Invocation};
use crate::state::AppState;

pub const RELATED_TASK: &str = "io.modelcontextprotocol/related-task";

/// Most tasks kept at once; expired ones are swept first, then the oldest.
const MAX_TASKS: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    Working,
    Completed,
    Failed,
    Cancelled,
}

impl TaskStatus {
    fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Working => "working",
            TaskStatus::Completed => "completed",
            TaskStatus::Failed => "failed",
            TaskStatus::Cancelled => "cancelled",
        }
    }

    pub fn is_terminal(self) -> bool {
        self != TaskStatus::Working
    }
}

#[derive(Debug)]
struct TaskRecord {
    id: String,
    owner: String,
    endpoint: EndpointKey,
    status: TaskStatus,
    status_message: Option<String>,
    created_at: SystemTime,
    last_updated_at: SystemTime,
    ttl_ms: u64,
    /// `None` only with `poll-interval-missing`.
    poll_interval_ms: Option<u64>,
    /// The original request's outcome: a `CallToolResult` or a JSON-RPC error.
    outcome: Option<Result<Value, RpcError>>,
    abort: Option<AbortHandle>,
    changed: watch::Sender<()>,
}

impl TaskRecord {
    fn expired(&self, now: SystemTime) -> bool {
        now.duration_since(self.created_at).unwrap_or_default() > Duration::from_millis(self.ttl_ms)
    }

    fn to_json(&self) -> Value {
        let mut task = json!({
            "taskId": self.id,
            "status": self.status.as_str(),
            "createdAt": rfc3339(self.created_at),
            "lastUpdatedAt": rfc3339(self.last_updated_at),
            "ttl": self.ttl_ms,
        });
        if let Some(interval) = self.poll_interval_ms {
            task["pollInterval"] = json!(interval);
        }
        if let Some(message) = &self.status_message {
            task["statusMessage"] = json!(message);
        }
        task
    }
}

#[derive(Debug, Default)]
pub struct TaskStore {
    tasks: Mutex<HashMap<String, TaskRecord>>,
}

/// Who may see a task: the creator's subject on the same endpoint (anonymous callers: their session).
#[derive(Debug, Clone)]
pub struct TaskCaller {
    pub owner: String,
    pub endpoint: EndpointKey,
}

fn not_found(id: &str) -> RpcError {
    RpcError::invalid_params(format!("Failed to retrieve task: Task not found ({id})"))
}

impl TaskStore {
    /// Starts a task running `invocation`; returns the `CreateTaskResult`.
    pub fn start(
        &self,
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
            outcome: None,
            abort: None,
            changed,
        };
        let created = record.to_json();
        {
            let mut tasks = lock(&self.tasks);
            if tasks.len() >= MAX_TASKS {
                if !state.faults().has(Fault::TaskTtlIgnored) {
                    tasks.retain(|_, t| !t.expired(now));
                }
                if tasks.len() >= MAX_TASKS {
                    if let Some(oldest) = tasks
                        .values()
                        .min_by_key(|t| t.created_at)
                        .map(|t| t.id.clone())
                    {
                        tasks.remove(&oldest);
                    }
                }
            }
            tasks.insert(id.clone(), record);
        }
        if !state.faults().has(Fault::TaskNeverCompletes) {
            let store = state.tasks.clone();
            let task_id = id.clone();
            let errors_fail = !state.faults().has(Fault::FailedTaskReportedCompleted);
            let handle = tokio::spawn(async move {
                let result = tools::run(invocation).await;
                store.finish(&task_id, result, errors_fail);
            });
            if let Some(t) = lock(&self.tasks).get_mut(&id) {
                t.abort = Some(handle.abort_handle());
            }
        }
        json!({ "task": created })
    }

    /// Records the tool's result; an `isError` result fails the task when `errors_fail` (always, unless
    /// the `failed-task-reported-completed` fault is on).
    fn finish(&self, id: &str, result: Value, errors_fail: bool) {
        let mut tasks = lock(&self.tasks);
        let Some(task) = tasks.get_mut(id) else {
            return;
        };
        if task.status.is_terminal() {
            return; // cancelled meanwhile: stays cancelled
        }
        let failed = errors_fail && result.get("isError").and_then(Value::as_bool) == Some(true);
        task.status = if failed {
            TaskStatus::Failed
        } else {
            TaskStatus::Completed
        };
        task.status_message = Some(if failed {
            result["content"][0]["text"]
                .as_str()
                .unwrap_or("the tool failed")
                .to_owned()
        } else {
            "completed".to_owned()
        });
        task.last_updated_at = SystemTime::now();
        task.outcome = Some(Ok(result));
        task.abort = None;
        task.changed.send_replace(());
    }

    /// Runs `f` on the caller's live task, or answers as if it did not exist.
    fn with_task<R>(
        &self,
        state: &AppState,
        caller: &TaskCaller,
        id: &str,
        f: impl FnOnce(&mut TaskRecord) -> R,
    ) -> Result<R, RpcError> {
        let mut tasks = lock(&self.tasks);
        let now = SystemTime::now();
        let Some(task) = tasks.get_mut(id) else {
            return Err(not_found(id));
        };
        let visible = state.faults().has(Fault::TasksNotBound)
            || (task.owner == caller.owner && task.endpoint == caller.endpoint);
        if !visible {
            // Another caller's task is indistinguishable from a missing one.
            return Err(not_found(id));
        }
        if task.expired(now) && !state.faults().has(Fault::TaskTtlIgnored) {
            if let Some(abort) = task.abort.take() {
                abort.abort();
            }
            tasks.remove(id);
            return Err(RpcError::invalid_params(format!(
                "Failed to retrieve task: Task has expired ({id})"
            )));
        }
        Ok(f(task))
    }

    pub fn get(&self, state: &AppState, caller: &TaskCaller, id: &str) -> Result<Value, RpcError> {
        self.with_task(state, caller, id, |t| t.to_json())
    }

    /// `tasks/result`: waits until the task is terminal, then answers what the original request would
    /// have, with the related-task `_meta`.
    pub async fn result(
        &self,
        state: &AppState,
        caller: &TaskCaller,
        id: &str,
    ) -> Result<Value, RpcError> {
        let mut shutdown = state.shutdown.clone();
        loop {
            let (outcome, mut changed) = self.with_task(state, caller, id, |t| {
                let outcome =
                    if t.status.is_terminal() || state.faults().has(Fault::TaskResultEarly) {
                        Some(match (&t.outcome, t.status) {
                            (Some(o), _) => o.clone(),
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
            })?;
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
                    return Err(RpcError::new(crate::mcp::error::INTERNAL_ERROR, "the server is shutting down"));
                }
            }
        }
    }

    pub fn cancel(
        &self,
        state: &AppState,
        caller: &TaskCaller,
        id: &str,
    ) -> Result<Value, RpcError> {
        self.with_task(state, caller, id, |t| {
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
        })?
    }

    /// Ages every task of a project (both environments) just past its ttl; returns how many.
    pub fn expire_project(&self, org: &str, project: &str) -> usize {
        let now = SystemTime::now();
        let mut tasks = lock(&self.tasks);
        let mut count = 0;
        for task in tasks
            .values_mut()
            .filter(|t| t.endpoint.org == org && t.endpoint.project == project)
        {
            let age = Duration::from_millis(task.ttl_ms) + Duration::from_secs(1);
            task.created_at = now.checked_sub(age).unwrap_or(SystemTime::UNIX_EPOCH);
            // Wake `tasks/result` waiters so they see the expiry.
            task.changed.send_replace(());
            count += 1;
        }
        count
    }

    /// The caller's tasks (all tasks with `tasks-not-bound`), oldest first.
    pub fn list(&self, state: &AppState, caller: &TaskCaller) -> Vec<Value> {
        let now = SystemTime::now();
        let tasks = lock(&self.tasks);
        let mut mine: Vec<&TaskRecord> = tasks
            .values()
            .filter(|t| !t.expired(now) || state.faults().has(Fault::TaskTtlIgnored))
            .filter(|t| {
                state.faults().has(Fault::TasksNotBound)
                    || (t.owner == caller.owner && t.endpoint == caller.endpoint)
            })
            .collect();
        mine.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        mine.into_iter().map(TaskRecord::to_json).collect()
    }
}
