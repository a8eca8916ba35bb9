//! The MCP task table. Lookups apply the binding and expiry rules the MCP layer passes in: another
//! caller's task and an expired one are answered as missing. The table has a size limit: expired tasks
//! are swept first, then the oldest go.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde_json::Value;
use tokio::task::AbortHandle;

use crate::domain::lock::lock;
use crate::domain::task::{TaskCaller, TaskRecord, TaskStatus};

/// Most tasks kept at once; expired ones are swept first, then the oldest.
const MAX_TASKS: usize = 10_000;

/// How the table treats tasks (the MCP layer derives this from the faults).
#[derive(Debug, Clone, Copy)]
pub struct TaskRules {
    /// Only the creator sees a task (off with `tasks-not-bound`).
    pub bound: bool,
    /// Tasks past their ttl are gone (off with `task-ttl-ignored`).
    pub expire: bool,
}

/// Why a task cannot be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskMissing {
    /// Unknown, or another caller's (the two are indistinguishable).
    NotFound,
    /// Past its ttl; it has now been removed.
    Expired,
}

#[derive(Debug, Default)]
pub struct TaskStore {
    tasks: Mutex<HashMap<String, TaskRecord>>,
}

impl TaskStore {
    /// Adds a task, making room first when the table is full.
    pub fn insert(&self, record: TaskRecord, rules: TaskRules) {
        let now = record.created_at;
        let mut tasks = lock(&self.tasks);
        if tasks.len() >= MAX_TASKS {
            if rules.expire {
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
        tasks.insert(record.id.clone(), record);
    }

    /// Remembers how to stop the task's run (for cancellation and expiry).
    pub fn set_abort(&self, id: &str, abort: AbortHandle) {
        if let Some(t) = lock(&self.tasks).get_mut(id) {
            t.abort = Some(abort);
        }
    }

    /// Records the tool's result; an `isError` result fails the task when `errors_fail` (always, unless
    /// the `failed-task-reported-completed` fault is on).
    pub fn finish(&self, id: &str, result: Value, errors_fail: bool) {
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
        task.result = Some(result);
        task.abort = None;
        task.changed.send_replace(());
    }

    /// Runs `f` on the caller's live task, or says why there is none.
    pub fn with_task<R>(
        &self,
        caller: &TaskCaller,
        id: &str,
        rules: TaskRules,
        f: impl FnOnce(&mut TaskRecord) -> R,
    ) -> Result<R, TaskMissing> {
        let mut tasks = lock(&self.tasks);
        let now = SystemTime::now();
        let Some(task) = tasks.get_mut(id) else {
            return Err(TaskMissing::NotFound);
        };
        if rules.bound && !task.belongs_to(caller) {
            // Another caller's task is indistinguishable from a missing one.
            return Err(TaskMissing::NotFound);
        }
        if task.expired(now) && rules.expire {
            if let Some(abort) = task.abort.take() {
                abort.abort();
            }
            tasks.remove(id);
            return Err(TaskMissing::Expired);
        }
        Ok(f(task))
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

    /// The caller's live tasks (all tasks when not bound), oldest first, as `tasks/list` shows them.
    pub fn list(&self, caller: &TaskCaller, rules: TaskRules) -> Vec<Value> {
        let now = SystemTime::now();
        let tasks = lock(&self.tasks);
        let mut mine: Vec<&TaskRecord> = tasks
            .values()
            .filter(|t| !t.expired(now) || !rules.expire)
            .filter(|t| !rules.bound || t.belongs_to(caller))
            .collect();
        mine.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        mine.into_iter().map(TaskRecord::to_json).collect()
    }
}
