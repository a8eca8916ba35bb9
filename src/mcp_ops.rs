//! MCP operations the sweep and the hosts share, so both follow one rule: list every page of tools
//! (each tool once, cursors that lead forward, a stated page limit), poll a task to a terminal status
//! at the server's pace, and read a task's related-task `_meta`. They drive any [`Rpc`] (a plain
//! client, or a host's connector that authorizes itself) and record what happened; they judge nothing.

use std::collections::HashSet;
use std::time::Duration;

use tokio::time::Instant;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::wire::{McpClient, Reply};

/// Why a request gave no result.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// A JSON-RPC error answered it.
    Rpc(Value),
    /// An HTTP answer without a JSON-RPC response (401, 403, 500…), with what the host would say.
    Http { status: u16, reason: String },
    /// No answer at all (refused, timed out, cut off).
    NoAnswer(String),
    /// The connector lost its authorization (the host turns it red).
    Disconnected(String),
}

impl Failure {
    pub fn describe(&self) -> String {
        match self {
            Failure::Rpc(e) => format!("error {}: {}", e["code"], e["message"]),
            Failure::Http { status, reason } => format!("HTTP {status}: {reason}"),
            Failure::NoAnswer(why) => why.clone(),
            Failure::Disconnected(why) => format!("disconnected: {why}"),
        }
    }
}

/// Something that sends one JSON-RPC request and sorts the answer.
#[allow(
    async_fn_in_trait,
    reason = "used with concrete types only, never as dyn"
)]
pub trait Rpc {
    async fn request(&mut self, method: &str, params: Value) -> Result<Value, Failure>;
}

/// The result, error or HTTP refusal in a reply.
pub fn sort_reply(method: &str, reply: &Reply) -> Result<Value, Failure> {
    match (reply.result(), reply.error()) {
        (Some(result), _) => Ok(result.clone()),
        (None, Some(error)) => Err(Failure::Rpc(error.clone())),
        (None, None) => Err(Failure::Http {
            status: reply.status(),
            reason: format!(
                "{method} answered HTTP {} without a JSON-RPC response",
                reply.status()
            ),
        }),
    }
}

impl Rpc for McpClient {
    async fn request(&mut self, method: &str, params: Value) -> Result<Value, Failure> {
        match self.call(method, params).await {
            Ok(reply) => sort_reply(method, &reply),
            Err(e) => Err(Failure::NoAnswer(e.to_string())),
        }
    }
}

impl Rpc for crate::connector::Connector {
    /// A request that authorizes itself when the server asks (the conformance client's way).
    async fn request(&mut self, method: &str, params: Value) -> Result<Value, Failure> {
        match self.call(method, &params).await {
            Ok(reply) => sort_reply(method, &reply),
            Err(e) => Err(Failure::NoAnswer(e.to_string())),
        }
    }
}

/// Every page of `tools/list`, as far as it went.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolListing {
    /// Each tool once, in listing order.
    pub tools: Vec<Value>,
    pub pages: usize,
    /// Names listed more than once (the first [`MAX_NAMED_REPEATS`]).
    pub repeated: Vec<String>,
    /// How many listings repeated a name already listed.
    pub repeats: usize,
    /// Tools listed past [`MAX_KEPT_TOOLS`] or [`MAX_KEPT_BYTES`]: counted, not kept, so the checks
    /// over tools judge the first ones only.
    pub not_kept: usize,
    pub end: ListingEnd,
}

/// At most this many `tools/list` pages are followed; a listing still going is reported as such.
pub const MAX_PAGES: usize = 100;
/// Tools kept for the checks (each is checked, reviewed and maybe called), and their serialized
/// size: memory stays bounded whatever a server lists.
pub const MAX_KEPT_TOOLS: usize = 10_000;
pub const MAX_KEPT_BYTES: usize = 16 << 20;
/// Repeated names quoted in findings.
pub const MAX_NAMED_REPEATS: usize = 20;

#[derive(Debug, Clone, PartialEq)]
pub enum ListingEnd {
    /// A page without `nextCursor`.
    Complete,
    /// A cursor came back: the pages loop.
    CursorLoop(String),
    /// Still going after `MAX_PAGES` pages.
    PageLimit(usize),
    /// A page failed.
    Failed { page: usize, failure: Failure },
}

impl ToolListing {
    /// The repeated names, with how many more there were.
    pub fn repeats_named(&self) -> String {
        let more = self.repeats.saturating_sub(self.repeated.len());
        if more == 0 {
            self.repeated.join(", ")
        } else {
            format!("{} and {more} more", self.repeated.join(", "))
        }
    }

    /// How many distinct tools were listed, kept or not.
    pub fn listed(&self) -> usize {
        self.tools.len() + self.not_kept
    }

    pub fn complete(&self) -> bool {
        self.end == ListingEnd::Complete
    }

    /// What went wrong, in one line (`None` for a clean listing).
    pub fn problem(&self) -> Option<String> {
        match &self.end {
            ListingEnd::Complete if self.repeated.is_empty() => None,
            ListingEnd::Complete => Some(format!("{} listed more than once", self.repeats_named())),
            ListingEnd::CursorLoop(cursor) => Some(format!(
                "cursor {cursor:?} came back on page {}: the pages loop",
                self.pages
            )),
            ListingEnd::PageLimit(n) => Some(format!(
                "still a nextCursor after {n} pages (the limit): the listing does not end"
            )),
            ListingEnd::Failed { page, failure } => {
                Some(format!("page {page} failed: {}", failure.describe()))
            }
        }
    }
}

/// Lists every page of tools, watching for repeated tools and cursors.
pub async fn list_tools(rpc: &mut impl Rpc) -> ToolListing {
    let mut listing = ToolListing {
        tools: Vec::new(),
        pages: 0,
        repeated: Vec::new(),
        repeats: 0,
        not_kept: 0,
        end: ListingEnd::PageLimit(MAX_PAGES),
    };
    // Sets, not scans: a listing of 100,000 tools must stay linear.
    let mut names: HashSet<String> = HashSet::new();
    let mut kept_bytes = 0usize;
    let mut cursors: HashSet<String> = HashSet::new();
    let mut cursor: Option<String> = None;
    for page in 1..=MAX_PAGES {
        let params = match &cursor {
            Some(c) => json!({ "cursor": c }),
            None => json!({}),
        };
        let result = match rpc.request("tools/list", params).await {
            Ok(r) => r,
            Err(failure) => {
                listing.end = ListingEnd::Failed { page, failure };
                return listing;
            }
        };
        listing.pages = page;
        for tool in result["tools"].as_array().into_iter().flatten() {
            let name = tool["name"].as_str().unwrap_or_default();
            if !names.insert(name.to_owned()) {
                listing.repeats += 1;
                if listing.repeated.len() < MAX_NAMED_REPEATS {
                    listing.repeated.push(name.to_owned());
                }
                continue;
            }
            let size = tool.to_string().len();
            if listing.tools.len() < MAX_KEPT_TOOLS && kept_bytes + size <= MAX_KEPT_BYTES {
                kept_bytes += size;
                listing.tools.push(tool.clone());
            } else {
                listing.not_kept += 1;
            }
        }
        match result["nextCursor"].as_str() {
            None => {
                listing.end = ListingEnd::Complete;
                return listing;
            }
            Some(next) if !cursors.insert(next.to_owned()) => {
                listing.end = ListingEnd::CursorLoop(next.to_owned());
                return listing;
            }
            Some(next) => cursor = Some(next.to_owned()),
        }
    }
    listing
}

/// A task's status (MCP tasks §task status lifecycle). Statuses a server makes up are kept as sent.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Working,
    InputRequired,
    Completed,
    Failed,
    Cancelled,
    #[serde(skip)]
    Other(String),
}

impl TaskStatus {
    pub fn parse(s: &str) -> TaskStatus {
        match s {
            "working" => TaskStatus::Working,
            "input_required" => TaskStatus::InputRequired,
            "completed" => TaskStatus::Completed,
            "failed" => TaskStatus::Failed,
            "cancelled" => TaskStatus::Cancelled,
            other => TaskStatus::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            TaskStatus::Working => "working",
            TaskStatus::InputRequired => "input_required",
            TaskStatus::Completed => "completed",
            TaskStatus::Failed => "failed",
            TaskStatus::Cancelled => "cancelled",
            TaskStatus::Other(s) => s,
        }
    }

    /// No further status follows (completed, failed, cancelled).
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            TaskStatus::Completed | TaskStatus::Failed | TaskStatus::Cancelled
        )
    }

    /// Polling stops here: terminal, or the task waits for input only `tasks/result` can bring.
    pub fn stops_polling(&self) -> bool {
        self.is_terminal() || *self == TaskStatus::InputRequired
    }
}

impl std::fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How long to poll and at what pace when the server names none.
#[derive(Debug, Clone, Copy)]
pub struct PollPolicy {
    /// Counted from `started`: polling stops when the next wait would pass it.
    pub deadline: Duration,
    pub started: Instant,
    /// Used while the server gives no `pollInterval`.
    pub default_interval: Duration,
}

/// A task polled with `tasks/get`.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskPoll {
    pub task_id: String,
    /// Every status seen, in order; the first is the create result's.
    pub statuses: Vec<TaskStatus>,
    pub polls: usize,
    /// The `pollInterval` the server asked for, while it kept asking (`None` once a poll lacked it).
    pub poll_interval_ms: Option<u64>,
    pub end: PollEnd,
    /// The last `tasks/get` answer (in 2026-07-28 a terminal one carries the result inline).
    pub last_polled: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PollEnd {
    /// A status that stops polling.
    Stopped(TaskStatus),
    /// The deadline came first (after waiting it out).
    Deadline,
    /// A poll failed.
    Failed(Failure),
}

impl TaskPoll {
    pub fn describe_statuses(&self) -> String {
        self.statuses
            .iter()
            .map(TaskStatus::as_str)
            .collect::<Vec<_>>()
            .join(" → ")
    }

    pub fn last(&self) -> Option<&TaskStatus> {
        self.statuses.last()
    }
}

/// Polls the task in a `CreateTaskResult`'s `task` object until it stops, the deadline, or a failure.
/// The server's `pollInterval` paces the polls, as the protocol asks.
pub async fn poll_task(rpc: &mut impl Rpc, task: &Value, policy: PollPolicy) -> TaskPoll {
    let task_id = task["taskId"].as_str().unwrap_or_default().to_owned();
    let first = TaskStatus::parse(task["status"].as_str().unwrap_or_default());
    let mut poll = TaskPoll {
        task_id: task_id.clone(),
        statuses: vec![first.clone()],
        polls: 0,
        poll_interval_ms: poll_interval(task),
        end: PollEnd::Deadline,
        last_polled: None,
    };
    let mut status = first;
    let mut interval = poll
        .poll_interval_ms
        .map(Duration::from_millis)
        .unwrap_or(policy.default_interval);
    while !status.stops_polling() {
        let remaining = policy.deadline.saturating_sub(policy.started.elapsed());
        if interval >= remaining {
            tokio::time::sleep(remaining).await;
            poll.end = PollEnd::Deadline;
            return poll;
        }
        tokio::time::sleep(interval).await;
        poll.polls += 1;
        let polled = match rpc.request("tasks/get", json!({ "taskId": task_id })).await {
            Ok(p) => p,
            Err(failure) => {
                poll.end = PollEnd::Failed(failure);
                return poll;
            }
        };
        status = TaskStatus::parse(polled["status"].as_str().unwrap_or_default());
        poll.statuses.push(status.clone());
        match poll_interval(&polled) {
            Some(ms) => interval = Duration::from_millis(ms),
            None => poll.poll_interval_ms = None,
        }
        poll.last_polled = Some(polled);
    }
    poll.end = PollEnd::Stopped(status);
    poll
}

/// The polling pace a task names: `pollInterval` (2025-11-25) or `pollIntervalMs` (the tasks
/// extension of 2026-07-28).
pub fn poll_interval(task: &Value) -> Option<u64> {
    task["pollInterval"]
        .as_u64()
        .or_else(|| task["pollIntervalMs"].as_u64())
}

/// Whether a `tasks/result` carries `_meta["io.modelcontextprotocol/related-task"]` naming `task_id`.
pub fn names_related_task(result: &Value, task_id: &str) -> bool {
    result["_meta"]["io.modelcontextprotocol/related-task"]["taskId"] == task_id
}

/// Arguments that satisfy a simple inputSchema: required properties only, from `enum`, `default`,
/// `examples` or the type. `None` when a required property cannot be made up (a pattern, a nested
/// object): the probes then leave that tool alone rather than send nonsense.
pub fn sample_arguments(schema: &Value) -> Option<Value> {
    let mut arguments = serde_json::Map::new();
    for name in schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let property = &schema["properties"][name];
        let value = if let Some(first) = property["enum"].as_array().and_then(|e| e.first()) {
            first.clone()
        } else if !property["default"].is_null() {
            property["default"].clone()
        } else if let Some(first) = property["examples"].as_array().and_then(|e| e.first()) {
            first.clone()
        } else {
            match property["type"].as_str() {
                Some("string")
                    if property.get("pattern").is_none() && property.get("format").is_none() =>
                {
                    json!("tea")
                }
                Some("integer") => json!(property["minimum"].as_i64().unwrap_or(1)),
                Some("number") => json!(property["minimum"].as_f64().unwrap_or(1.0)),
                Some("boolean") => json!(false),
                _ => return None,
            }
        };
        arguments.insert(name.to_owned(), value);
    }
    Some(Value::Object(arguments))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// Answers requests from a script, in order.
    struct Script(VecDeque<Result<Value, Failure>>);

    impl Rpc for Script {
        async fn request(&mut self, _: &str, _: Value) -> Result<Value, Failure> {
            self.0
                .pop_front()
                .unwrap_or(Err(Failure::NoAnswer("script ended".into())))
        }
    }

    fn script(answers: Vec<Result<Value, Failure>>) -> Script {
        Script(answers.into())
    }

    #[tokio::test]
    async fn a_listing_follows_cursors_to_the_end() {
        let mut rpc = script(vec![
            Ok(json!({"tools": [{"name": "a"}], "nextCursor": "2"})),
            Ok(json!({"tools": [{"name": "b"}, {"name": "a"}]})),
        ]);
        let listing = list_tools(&mut rpc).await;
        assert_eq!(listing.tools.len(), 2);
        assert_eq!(listing.pages, 2);
        assert_eq!(listing.repeated, vec!["a"]);
        assert_eq!(listing.end, ListingEnd::Complete);
        assert!(listing.problem().unwrap().contains("more than once"));
    }

    #[tokio::test]
    async fn a_cursor_that_comes_back_is_a_loop_and_endless_pages_hit_the_limit() {
        let mut looping = script(vec![
            Ok(json!({"tools": [], "nextCursor": "x"})),
            Ok(json!({"tools": [], "nextCursor": "x"})),
        ]);
        let listing = list_tools(&mut looping).await;
        assert_eq!(listing.end, ListingEnd::CursorLoop("x".into()));
        let endless: Vec<_> = (0..=MAX_PAGES)
            .map(|i| Ok(json!({"tools": [], "nextCursor": format!("c{i}")})))
            .collect();
        let listing = list_tools(&mut script(endless)).await;
        assert_eq!(listing.end, ListingEnd::PageLimit(MAX_PAGES));
        assert!(listing.problem().unwrap().contains("does not end"));
    }

    #[tokio::test]
    async fn a_huge_listing_keeps_the_first_tools_and_counts_the_rest() {
        let page = |p: usize| {
            let tools: Vec<Value> = (0..1000)
                .map(|i| json!({"name": format!("t{}", p * 1000 + i)}))
                .collect();
            // Every page also repeats the first tool.
            let mut tools = tools;
            tools.push(json!({"name": "t0"}));
            Ok(json!({"tools": tools, "nextCursor": format!("c{p}")}))
        };
        let mut pages: Vec<_> = (0..11).map(page).collect();
        pages.push(Ok(json!({"tools": []})));
        let listing = list_tools(&mut script(pages)).await;
        assert_eq!(listing.end, ListingEnd::Complete);
        assert_eq!(listing.tools.len(), MAX_KEPT_TOOLS);
        assert_eq!((listing.not_kept, listing.listed()), (1000, 11_000));
        assert_eq!(listing.repeats, 11);
        assert_eq!(listing.repeated.len(), 11);
        assert!(listing.problem().unwrap().starts_with("t0, t0"));
    }

    #[test]
    fn sample_arguments_fill_required_properties_or_give_up() {
        let schema = json!({"type": "object", "required": ["q", "n"], "properties": {"q": {"type": "string"}, "n": {"type": "integer", "minimum": 3}}});
        assert_eq!(sample_arguments(&schema), Some(json!({"q": "tea", "n": 3})));
        let nested = json!({"required": ["o"], "properties": {"o": {"type": "object"}}});
        assert_eq!(sample_arguments(&nested), None);
    }

    #[tokio::test]
    async fn a_failed_page_is_recorded_with_its_number() {
        let listing = list_tools(&mut script(vec![Err(Failure::Http {
            status: 500,
            reason: "boom".into(),
        })]))
        .await;
        assert!(matches!(listing.end, ListingEnd::Failed { page: 1, .. }));
        assert!(listing.tools.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn polling_follows_the_server_until_a_terminal_status() {
        let mut rpc = script(vec![
            Ok(json!({"status": "working", "pollInterval": 10})),
            Ok(json!({"status": "completed"})),
        ]);
        let task = json!({"taskId": "t1", "status": "working", "pollInterval": 10});
        let policy = PollPolicy {
            deadline: Duration::from_secs(5),
            started: Instant::now(),
            default_interval: Duration::from_millis(100),
        };
        let poll = poll_task(&mut rpc, &task, policy).await;
        assert_eq!(poll.end, PollEnd::Stopped(TaskStatus::Completed));
        assert_eq!(poll.polls, 2);
        assert_eq!(poll.describe_statuses(), "working → working → completed");
        // The last poll named no pollInterval: the server stopped asking for one.
        assert_eq!(poll.poll_interval_ms, None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_that_never_ends_stops_at_the_deadline() {
        let mut rpc = script(
            (0..100)
                .map(|_| Ok(json!({"status": "working", "pollInterval": 100})))
                .collect(),
        );
        let task = json!({"taskId": "t1", "status": "working", "pollInterval": 100});
        let policy = PollPolicy {
            deadline: Duration::from_millis(350),
            started: Instant::now(),
            default_interval: Duration::from_millis(100),
        };
        let poll = poll_task(&mut rpc, &task, policy).await;
        assert_eq!(poll.end, PollEnd::Deadline);
        assert_eq!(poll.polls, 3);
    }

    #[test]
    fn statuses_parse_and_know_which_are_terminal() {
        assert!(TaskStatus::parse("cancelled").is_terminal());
        assert!(!TaskStatus::parse("input_required").is_terminal());
        assert!(TaskStatus::parse("input_required").stops_polling());
        assert_eq!(
            TaskStatus::parse("paused"),
            TaskStatus::Other("paused".into())
        );
        assert!(names_related_task(
            &json!({"_meta": {"io.modelcontextprotocol/related-task": {"taskId": "t"}}}),
            "t"
        ));
        assert!(!names_related_task(&json!({}), "t"));
    }
}
