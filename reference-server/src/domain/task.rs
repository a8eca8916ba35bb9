//! An MCP task (2025-11-25, spec/mcp.md §5): one task-augmented `tools/call`, its status, lifetime
//! (`ttl`) and polling interval, and the credential subject and endpoint it is bound to.

use std::time::{Duration, SystemTime};

use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::task::AbortHandle;

use crate::domain::endpoint::EndpointKey;
use crate::domain::time::rfc3339;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    Working,
    Completed,
    Failed,
    Cancelled,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
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

/// Who may see a task: the creator's subject on the same endpoint (anonymous callers: their session).
#[derive(Debug, Clone)]
pub struct TaskCaller {
    pub owner: String,
    pub endpoint: EndpointKey,
}

#[derive(Debug)]
pub struct TaskRecord {
    pub id: String,
    pub owner: String,
    pub endpoint: EndpointKey,
    pub status: TaskStatus,
    pub status_message: Option<String>,
    pub created_at: SystemTime,
    pub last_updated_at: SystemTime,
    pub ttl_ms: u64,
    /// `None` only with `poll-interval-missing`.
    pub poll_interval_ms: Option<u64>,
    /// The tool's `CallToolResult`, once it finished.
    pub result: Option<Value>,
    pub abort: Option<AbortHandle>,
    pub changed: watch::Sender<()>,
}

impl TaskRecord {
    pub fn expired(&self, now: SystemTime) -> bool {
        now.duration_since(self.created_at).unwrap_or_default() > Duration::from_millis(self.ttl_ms)
    }

    /// Whether `caller` created this task (same subject, same endpoint).
    pub fn belongs_to(&self, caller: &TaskCaller) -> bool {
        self.owner == caller.owner && self.endpoint == caller.endpoint
    }

    pub fn to_json(&self) -> Value {
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
