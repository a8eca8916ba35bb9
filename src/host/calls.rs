//! Calls as a host makes them: its decisions from the tool's annotations (confirmation, badge, task),
//! the call, task polling at the server's pace (`crate::mcp_ops`) until the host's timeout, cancel.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::time::Instant;

use super::{HostConnector, HostProfile, TaskUse};
use crate::mcp_ops::{self, PollEnd, PollPolicy, TaskStatus};
use crate::wire::modern::{META_CLIENT_CAPABILITIES, TASKS_EXTENSION};
use crate::wire::Era;

/// What the host decided before calling a tool, from its annotations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallDecision {
    /// The host asks "Are you sure?" first.
    pub confirmation: bool,
    /// The host shows a "calls external services" badge.
    pub open_world_badge: bool,
    /// The host calls it as a task and polls.
    pub as_task: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CallOutcome {
    /// A `CallToolResult` (which may have `isError: true`).
    Result(Value),
    /// A JSON-RPC error answered the call.
    ProtocolError(Value),
    /// The server refused the call over HTTP (403 after step-up, …), with what the host tells the user.
    Refused { status: u16, reason: String },
    /// The connector lost its authorization: it is now red.
    Disconnected { reason: String },
    /// The host stopped waiting after its tool timeout.
    GaveUp { after: Duration },
}

/// A call whose task is still running (`start_call`), to be finished with `finish_call`.
#[derive(Debug, Clone)]
pub struct PendingCall {
    pub call: ToolCall,
    /// The `CreateTaskResult`'s task.
    pub task: Value,
    started: Instant,
}

#[derive(Debug, Clone)]
pub struct ToolCall {
    pub tool: String,
    pub decision: CallDecision,
    pub outcome: CallOutcome,
    /// `tasks/get` requests made while polling.
    pub polls: usize,
    /// The task's status history as polled (first is the create result's).
    pub task_statuses: Vec<TaskStatus>,
    /// The task the call created.
    pub task_id: Option<String>,
    /// The `pollInterval` the server asked for (the host falls back to its own when absent).
    pub poll_interval_ms: Option<u64>,
    /// Whether `tasks/result` carried the related-task `_meta` naming the task.
    pub related_task_meta: Option<bool>,
    /// The connector refreshed its access token silently to make the call.
    pub refreshed: bool,
}

impl ToolCall {
    pub fn new(tool: &str, decision: CallDecision) -> ToolCall {
        ToolCall {
            tool: tool.to_owned(),
            decision,
            outcome: CallOutcome::GaveUp {
                after: Duration::ZERO,
            },
            polls: 0,
            task_statuses: Vec::new(),
            task_id: None,
            poll_interval_ms: None,
            related_task_meta: None,
            refreshed: false,
        }
    }
}

/// How often a host polls a task whose server names no `pollInterval`.
const HOST_POLL_INTERVAL: Duration = Duration::from_millis(1000);

/// What `profile`'s host decides before calling `tool`, from its annotations and `execution`.
pub fn decide(profile: &HostProfile, tool: &Value) -> CallDecision {
    let rules = &profile.annotations;
    let hints = &tool["annotations"];
    // MCP defaults: readOnlyHint false, destructiveHint true, openWorldHint true.
    let read_only = hints["readOnlyHint"].as_bool().unwrap_or(false);
    let destructive_declared = hints["destructiveHint"].as_bool() == Some(true);
    let destructive =
        destructive_declared || (!read_only && hints["destructiveHint"].as_bool().unwrap_or(true));
    let open_world = hints["openWorldHint"].as_bool().unwrap_or(true);
    let support = tool["execution"]["taskSupport"]
        .as_str()
        .unwrap_or("forbidden");
    // A host that runs read-only tools without asking does so whatever else the tool declares.
    let auto_run = read_only && rules.read_only_runs_unasked;
    CallDecision {
        confirmation: !auto_run
            && ((rules.confirm_unless_read_only && !read_only)
                || (rules.confirm_destructive && destructive)),
        open_world_badge: rules.open_world_badge && open_world,
        as_task: support == "required"
            || (support == "optional" && profile.tasks.call_as_task == TaskUse::WhenSupported),
    }
}

impl HostConnector {
    /// What this host decides before calling `tool`.
    pub fn decide(&self, tool: &Value) -> CallDecision {
        decide(&self.host.profile, tool)
    }

    /// The user (or the model) calls a tool; the user approves when the host asks. A task is polled
    /// until it ends or the host's timeout.
    pub async fn call_tool(&mut self, name: &str, arguments: Value) -> ToolCall {
        match self.start_call(name, arguments, None).await {
            Ok(pending) => self.finish_call(pending).await,
            Err(call) => call,
        }
    }

    /// Sends the call (with task augmentation forced on or off, as a non-conforming client would,
    /// when `force_task` says so); a task that was created is returned still running, anything else
    /// is the finished call.
    pub async fn start_call(
        &mut self,
        name: &str,
        arguments: Value,
        force_task: Option<bool>,
    ) -> Result<PendingCall, ToolCall> {
        let mut decision = self
            .tool(name)
            .map(|t| self.decide(t))
            .unwrap_or(CallDecision {
                confirmation: true,
                open_world_badge: self.host.profile.annotations.open_world_badge,
                as_task: false,
            });
        if let Some(forced) = force_task {
            decision.as_task = forced;
        }
        let mut call = ToolCall::new(name, decision);
        let timeout = self.host.tool_timeout();
        let started = Instant::now();
        let refreshes = self.connector.refreshes;
        let mut params = json!({ "name": name, "arguments": arguments });
        let modern = self.connector.mcp.era == Era::Modern;
        if decision.as_task && modern {
            // 2026-07-28: the host declares the tasks extension; the server decides.
            params["_meta"] = self.tasks_meta();
        } else if decision.as_task {
            // Kept past the host's timeout, so the host can still cancel it when it gives up.
            params["task"] = json!({ "ttl": 2 * timeout.as_millis() as u64 });
        }
        let answer = tokio::time::timeout(timeout, self.request("tools/call", &params)).await;
        call.refreshed = self.connector.refreshes > refreshes;
        call.outcome = match answer {
            Err(_) => CallOutcome::GaveUp { after: timeout },
            Ok(Err(outcome)) => outcome,
            Ok(Ok(result)) if modern && result["resultType"] == "task" => {
                call.task_id = result["taskId"].as_str().map(String::from);
                self.last_task = call.task_id.clone();
                return Ok(PendingCall {
                    call,
                    task: result,
                    started,
                });
            }
            Ok(Ok(result)) if result.get("task").is_some() => {
                call.task_id = result["task"]["taskId"].as_str().map(String::from);
                self.last_task = call.task_id.clone();
                return Ok(PendingCall {
                    call,
                    task: result["task"].clone(),
                    started,
                });
            }
            Ok(Ok(result)) => CallOutcome::Result(result),
        };
        Err(call)
    }

    /// Polls a started task until it stops or the host's timeout (then cancels it, as a host that
    /// gives up does), and fetches its result.
    pub async fn finish_call(&mut self, pending: PendingCall) -> ToolCall {
        let PendingCall {
            mut call,
            task,
            started,
        } = pending;
        let Some(task_id) = call.task_id.clone() else {
            call.outcome = CallOutcome::ProtocolError(
                json!({"message": "the task has no taskId", "task": task}),
            );
            return call;
        };
        let timeout = self.host.tool_timeout();
        let policy = PollPolicy {
            deadline: timeout,
            started,
            default_interval: HOST_POLL_INTERVAL,
        };
        let poll = mcp_ops::poll_task(self, &task, policy).await;
        call.polls = poll.polls;
        call.task_statuses = poll.statuses;
        call.poll_interval_ms = poll.poll_interval_ms;
        call.outcome = match poll.end {
            PollEnd::Deadline => {
                // The host tells the server it stopped waiting.
                if let Ok(answer) = self
                    .request("tasks/cancel", &json!({ "taskId": task_id }))
                    .await
                {
                    // 2026-07-28 acknowledges without the task: read where it ended up.
                    let status = match answer["status"].as_str() {
                        Some(status) => Some(status.to_owned()),
                        None => self
                            .request("tasks/get", &json!({ "taskId": task_id }))
                            .await
                            .ok()
                            .and_then(|t| t["status"].as_str().map(String::from)),
                    };
                    if let Some(status) = status {
                        call.task_statuses.push(TaskStatus::parse(&status));
                    }
                }
                CallOutcome::GaveUp { after: timeout }
            }
            PollEnd::Failed(failure) => CallOutcome::from(failure),
            // The tasks extension: a terminal `tasks/get` carries the result (or error) inline.
            PollEnd::Stopped(_) if self.connector.mcp.era == Era::Modern => {
                let last = match poll.last_polled {
                    Some(task) => Ok(task),
                    None => {
                        self.request("tasks/get", &json!({ "taskId": task_id }))
                            .await
                    }
                };
                match last {
                    Ok(task) if task.get("result").is_some() => {
                        CallOutcome::Result(task["result"].clone())
                    }
                    Ok(task) if task.get("error").is_some() => {
                        CallOutcome::ProtocolError(task["error"].clone())
                    }
                    Ok(task) => CallOutcome::ProtocolError(json!({
                        "message": format!("the task ended {} without a result or an error", task["status"]),
                        "task": task,
                    })),
                    Err(outcome) => outcome,
                }
            }
            PollEnd::Stopped(_) => match self
                .request("tasks/result", &json!({ "taskId": task_id }))
                .await
            {
                Ok(result) => {
                    call.related_task_meta = Some(mcp_ops::names_related_task(&result, &task_id));
                    CallOutcome::Result(result)
                }
                Err(outcome) => outcome,
            },
        };
        call
    }

    /// `tasks/cancel` on a task: its answer, as a call on `tasks/cancel`.
    pub async fn cancel_task(&mut self, task_id: &str) -> ToolCall {
        self.task_request("tasks/cancel", task_id).await
    }

    /// `tasks/get` on a task (possibly another user's).
    pub async fn read_task(&mut self, task_id: &str) -> ToolCall {
        self.task_request("tasks/get", task_id).await
    }

    async fn task_request(&mut self, method: &str, task_id: &str) -> ToolCall {
        let mut call = ToolCall::new(
            method,
            CallDecision {
                confirmation: false,
                open_world_badge: false,
                as_task: false,
            },
        );
        call.task_id = Some(task_id.to_owned());
        call.outcome = match self.request(method, &json!({ "taskId": task_id })).await {
            Ok(task) => {
                if let Some(status) = task["status"].as_str() {
                    call.task_statuses.push(TaskStatus::parse(status));
                }
                CallOutcome::Result(task)
            }
            Err(outcome) => outcome,
        };
        call
    }
}

impl HostConnector {
    /// `_meta` declaring the tasks extension on top of the host's capabilities (2026-07-28: the
    /// declaration is per request, and `tasks/*` without it is refused).
    pub(super) fn tasks_meta(&self) -> Value {
        let mut capabilities = self.connector.mcp.capabilities.clone();
        if !capabilities.is_object() {
            capabilities = json!({});
        }
        capabilities["extensions"][TASKS_EXTENSION] = json!({});
        json!({ (META_CLIENT_CAPABILITIES): capabilities })
    }
}

impl From<mcp_ops::Failure> for CallOutcome {
    fn from(failure: mcp_ops::Failure) -> Self {
        match failure {
            mcp_ops::Failure::Rpc(e) => CallOutcome::ProtocolError(e),
            mcp_ops::Failure::Http { status, reason } => CallOutcome::Refused { status, reason },
            mcp_ops::Failure::NoAnswer(reason) => CallOutcome::Refused { status: 0, reason },
            mcp_ops::Failure::Disconnected(reason) => CallOutcome::Disconnected { reason },
        }
    }
}
