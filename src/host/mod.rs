//! Mock hosts: a host profile driving connectors the way that host does. A connector is added
//! (discover → register → popup → token → initialize → `tools/list`), is then connected (green) or
//! failed (red, with the reason), calls tools with the host's confirmation, badge and task-polling
//! decisions recorded, notices a server-side revocation on its next request, and can be removed
//! locally and reconnected.

pub mod client_metadata;
pub mod profile;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::connector::{self, Connector, ConnectorConfig};
use crate::oauth::{ClientCredentials, RegistrationPlan};
use crate::popup::{Credentials, Popup, PopupOutcome};
use crate::wire::{self, Reply, Wire};

pub use client_metadata::ClientMetadataSite;
pub use profile::{AuthKind, HostProfile, Registration, TaskUse, UiPath};

/// At most this many `tools/list` pages are followed.
const MAX_PAGES: usize = 100;

/// How the user signs in to the connector.
#[derive(Debug, Clone)]
pub enum Login {
    /// Through the OAuth popup with these credentials.
    User(Credentials),
    /// A bearer token the host sends on every request (custom hosts).
    Bearer(String),
    /// No credentials: anonymous, or a popup that will ask for them.
    Anonymous,
}

/// A host: its profile and how it runs popups.
#[derive(Clone)]
pub struct MockHost {
    pub profile: Arc<HostProfile>,
    pub popup: Popup,
    /// Host timeouts are multiplied by this, so tests scale minutes down instead of waiting them out.
    pub time_factor: f64,
    /// Serves this host's Client ID Metadata Document on loopback, when the target may fetch it.
    pub metadata_site: Option<Arc<ClientMetadataSite>>,
    /// The limit on every HTTP exchange.
    pub request_timeout: Duration,
    /// A client the host was given up front (pre-registered), used when the profile prefers it.
    pub pre_registered: Option<ClientCredentials>,
    /// Keys this host's users' browser sessions (`<key>:<email>`): a user's popups then share the
    /// authorization server's login cookie, as one person's browser does. `None`: every popup is a
    /// fresh private window.
    pub browser_session: Option<String>,
}

/// The connector's status, as the host shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectorState {
    /// Green: added and usable, with the warning the host shows, if any.
    Connected { warning: Option<String> },
    /// Red: not usable, and why.
    Failed { reason: String },
    /// Removed on the host side: the local token is gone.
    Removed,
}

impl ConnectorState {
    pub fn is_connected(&self) -> bool {
        matches!(self, ConnectorState::Connected { .. })
    }
}

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
    pub task_statuses: Vec<String>,
    /// The result's size in characters exceeds the host's limit.
    pub over_size_limit: bool,
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
    fn new(tool: &str, decision: CallDecision) -> ToolCall {
        ToolCall {
            tool: tool.to_owned(),
            decision,
            outcome: CallOutcome::GaveUp {
                after: Duration::ZERO,
            },
            polls: 0,
            task_statuses: Vec::new(),
            over_size_limit: false,
            task_id: None,
            poll_interval_ms: None,
            related_task_meta: None,
            refreshed: false,
        }
    }
}

/// Where a host would show a tool's UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiLink {
    pub path: UiPath,
    pub uri: String,
}

impl UiLink {
    /// The mime type this path's resources must have.
    pub fn mime_type(&self) -> &'static str {
        match self.path {
            UiPath::McpApps => "text/html;profile=mcp-app",
            UiPath::OpenaiSkybridge => "text/html+skybridge",
        }
    }
}

/// Every UI a tool declares, on either path.
pub fn ui_links(tool: &Value) -> Vec<UiLink> {
    let meta = &tool["_meta"];
    let mut links = Vec::new();
    // `_meta["ui/resourceUri"]` is the deprecated flat form of `_meta.ui.resourceUri`.
    if let Some(uri) = meta["ui"]["resourceUri"]
        .as_str()
        .or(meta["ui/resourceUri"].as_str())
    {
        links.push(UiLink {
            path: UiPath::McpApps,
            uri: uri.to_owned(),
        });
    }
    if let Some(uri) = meta["openai/outputTemplate"].as_str() {
        links.push(UiLink {
            path: UiPath::OpenaiSkybridge,
            uri: uri.to_owned(),
        });
    }
    links
}

impl MockHost {
    pub fn new(profile: HostProfile, popup: Popup) -> MockHost {
        MockHost {
            profile: Arc::new(profile),
            popup,
            time_factor: 1.0,
            metadata_site: None,
            request_timeout: Duration::from_secs(30),
            pre_registered: None,
            browser_session: None,
        }
    }

    /// The host's tool timeout, scaled.
    pub fn tool_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.profile.tasks.tool_timeout_seconds as f64 * self.time_factor)
    }

    fn registration_plan(&self) -> RegistrationPlan {
        let auth = &self.profile.auth;
        let mut plan = RegistrationPlan {
            client_name: auth
                .client_name
                .clone()
                .unwrap_or_else(|| self.profile.name.clone()),
            ..Default::default()
        };
        for method in &auth.registration {
            match method {
                Registration::PreRegistered if plan.pre_registered.is_none() => {
                    plan.pre_registered = self.pre_registered.clone();
                }
                Registration::Cimd => {
                    plan.metadata_document_url = self
                        .metadata_site
                        .as_ref()
                        .map(|site| site.document_url(&self.profile.id));
                }
                _ => {}
            }
        }
        plan
    }

    /// The user adds `url` as a custom connector. Only an HTTP client that cannot be built is an
    /// error; everything the server does shows in the connector's state.
    pub async fn add_connector(
        &self,
        url: &str,
        login: Login,
    ) -> Result<HostConnector, wire::Error> {
        let wire = Wire::new(self.request_timeout)?;
        let session = match (&login, &self.browser_session) {
            (Login::User(c), Some(key)) => Some(format!("{key}:{}", c.email)),
            _ => None,
        };
        let (credentials, bearer) = match login {
            Login::User(c) => (Some(c), None),
            Login::Bearer(token) => (None, Some(token)),
            Login::Anonymous => (None, None),
        };
        let oauth = self.profile.auth.kind == AuthKind::Oauth;
        let mut config = ConnectorConfig::new(
            self.profile.auth.redirect_uri.clone().unwrap_or_default(),
            self.registration_plan(),
            credentials,
            self.popup.clone(),
        );
        config.popup_from_click = self.profile.auth.popup_from_click;
        config.browser_session = session;
        config.authorize_on_401 = oauth;
        let mut connector = Connector::new(wire, url, config);
        connector.mcp.bearer = bearer;
        let mut host_connector = HostConnector {
            host: self.clone(),
            url: url.to_owned(),
            connector,
            state: ConnectorState::Removed,
            tools: Vec::new(),
            instructions: None,
            calls: Vec::new(),
            last_task: None,
        };
        host_connector.connect().await;
        Ok(host_connector)
    }
}

/// One connector in a host.
pub struct HostConnector {
    pub host: MockHost,
    pub url: String,
    pub connector: Connector,
    pub state: ConnectorState,
    /// The tools from the last complete `tools/list`.
    pub tools: Vec<Value>,
    pub instructions: Option<String>,
    pub calls: Vec<ToolCall>,
    /// The last task a call created.
    pub last_task: Option<String>,
}

fn failure_reason(error: &connector::Error) -> String {
    match error {
        connector::Error::Popup(outcome) => match outcome {
            PopupOutcome::Blocked => "the authorization popup was blocked".into(),
            PopupOutcome::Callback(url) if url.contains("error=access_denied") => {
                "authorization was denied (access_denied)".into()
            }
            other => other.describe(),
        },
        other => other.to_string(),
    }
}

impl HostConnector {
    fn fail(&mut self, reason: impl Into<String>) {
        self.state = ConnectorState::Failed {
            reason: reason.into(),
        };
    }

    /// initialize → notifications/initialized → tools/list; sets the state. Popups may open here.
    async fn connect(&mut self) {
        let profile = Arc::clone(&self.host.profile);
        self.connector.config.authorize_on_401 = profile.auth.kind == AuthKind::Oauth;
        self.connector.mcp.offered_version = profile.protocol.version.clone();
        let reply = self
            .connector
            .initialize(&profile.protocol.client_info, &profile.capabilities())
            .await;
        // From here on the user is not at the keyboard: a 401 turns the connector red.
        self.connector.config.authorize_on_401 = false;
        let reply = match reply {
            Ok(r) => r,
            Err(e) => return self.fail(failure_reason(&e)),
        };
        let Some(result) = reply.result() else {
            return self.fail(http_failure("initialize", &reply));
        };
        self.instructions = result["instructions"].as_str().map(String::from);
        match self.list_tools().await {
            Ok(tools) => {
                self.tools = tools;
                if self.tools.is_empty() && profile.connect.requires_tools {
                    self.fail(format!(
                        "{} requires at least one tool: tools/list returned none (publish a tool)",
                        profile.name
                    ));
                } else {
                    let warning = if self.tools.is_empty() {
                        profile.connect.empty_tools_warning.clone()
                    } else {
                        None
                    };
                    self.state = ConnectorState::Connected { warning };
                }
            }
            Err(reason) => self.fail(reason),
        }
    }

    /// Every page of `tools/list`.
    pub async fn list_tools(&mut self) -> Result<Vec<Value>, String> {
        let mut tools = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let params = match &cursor {
                Some(c) => json!({ "cursor": c }),
                None => json!({}),
            };
            let reply = self
                .connector
                .call("tools/list", &params)
                .await
                .map_err(|e| failure_reason(&e))?;
            let Some(result) = reply.result() else {
                return Err(http_failure("tools/list", &reply));
            };
            tools.extend(result["tools"].as_array().cloned().unwrap_or_default());
            match result["nextCursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return Ok(tools),
            }
        }
        Err(format!("tools/list did not end after {MAX_PAGES} pages"))
    }

    /// Lists the tools again (after a publish or `list_changed`); a lost authorization turns it red.
    pub async fn refresh_tools(&mut self) -> Result<(), String> {
        match self.list_tools().await {
            Ok(tools) => {
                self.tools = tools;
                Ok(())
            }
            Err(reason) => {
                self.fail(reason.clone());
                Err(reason)
            }
        }
    }

    pub fn tool(&self, name: &str) -> Option<&Value> {
        self.tools.iter().find(|t| t["name"] == name)
    }

    /// What the host decides before calling `tool`, from its annotations and `execution`.
    pub fn decide(&self, tool: &Value) -> CallDecision {
        let rules = &self.host.profile.annotations;
        let hints = &tool["annotations"];
        // MCP defaults: readOnlyHint false, destructiveHint true, openWorldHint true.
        let read_only = hints["readOnlyHint"].as_bool().unwrap_or(false);
        let destructive_declared = hints["destructiveHint"].as_bool() == Some(true);
        let destructive = destructive_declared
            || (!read_only && hints["destructiveHint"].as_bool().unwrap_or(true));
        let open_world = hints["openWorldHint"].as_bool().unwrap_or(true);
        let support = tool["execution"]["taskSupport"]
            .as_str()
            .unwrap_or("forbidden");
        CallDecision {
            confirmation: (rules.confirm_unless_read_only && !read_only)
                || (rules.confirm_destructive && destructive),
            open_world_badge: rules.open_world_badge && open_world,
            as_task: support == "required"
                || (support == "optional"
                    && self.host.profile.tasks.call_as_task == TaskUse::WhenSupported),
        }
    }

    /// The user (or the model) calls a tool; the user approves when the host asks. A task is polled
    /// until it ends or the host's timeout.
    pub async fn call_tool(&mut self, name: &str, arguments: Value) -> ToolCall {
        match self.start_call(name, arguments).await {
            Ok(pending) => self.finish_call(pending).await,
            Err(call) => call,
        }
    }

    /// Sends the call; a task that was created is returned still running, anything else is the
    /// finished call.
    pub async fn start_call(
        &mut self,
        name: &str,
        arguments: Value,
    ) -> Result<PendingCall, ToolCall> {
        self.start_call_as(name, arguments, None).await
    }

    /// `start_call`, with task augmentation forced on or off as a non-conforming client would.
    pub async fn start_call_as(
        &mut self,
        name: &str,
        arguments: Value,
        force_task: Option<bool>,
    ) -> Result<PendingCall, ToolCall> {
        let decision = self
            .tool(name)
            .map(|t| self.decide(t))
            .unwrap_or(CallDecision {
                confirmation: true,
                open_world_badge: self.host.profile.annotations.open_world_badge,
                as_task: false,
            });
        let mut decision = decision;
        if let Some(forced) = force_task {
            decision.as_task = forced;
        }
        let mut call = ToolCall::new(name, decision);
        let timeout = self.host.tool_timeout();
        let started = Instant::now();
        let refreshes = self.connector.refreshes;
        let mut params = json!({ "name": name, "arguments": arguments });
        if decision.as_task {
            // Kept past the host's timeout, so the host can still cancel it when it gives up.
            params["task"] = json!({ "ttl": 2 * timeout.as_millis() as u64 });
        }
        let answer = tokio::time::timeout(timeout, self.request("tools/call", &params)).await;
        call.refreshed = self.connector.refreshes > refreshes;
        let outcome = match answer {
            Err(_) => CallOutcome::GaveUp { after: timeout },
            Ok(Err(outcome)) => outcome,
            Ok(Ok(result)) if result.get("task").is_some() => {
                call.task_id = result["task"]["taskId"].as_str().map(String::from);
                call.poll_interval_ms = result["task"]["pollInterval"].as_u64();
                self.last_task = call.task_id.clone();
                return Ok(PendingCall {
                    call,
                    task: result["task"].clone(),
                    started,
                });
            }
            Ok(Ok(result)) => CallOutcome::Result(result),
        };
        Err(self.record(call, outcome))
    }

    /// Polls a started task until it ends or the host's timeout, then fetches its result.
    pub async fn finish_call(&mut self, pending: PendingCall) -> ToolCall {
        let PendingCall {
            mut call,
            task,
            started,
        } = pending;
        let timeout = self.host.tool_timeout();
        let outcome = self.poll_task(&task, started, timeout, &mut call).await;
        self.record(call, outcome)
    }

    fn record(&mut self, mut call: ToolCall, outcome: CallOutcome) -> ToolCall {
        if let (CallOutcome::Result(result), Some(limit)) =
            (&outcome, self.host.profile.limits.max_result_chars)
        {
            call.over_size_limit = result.to_string().chars().count() > limit;
        }
        call.outcome = outcome;
        self.calls.push(call.clone());
        call
    }

    /// One request on the connector, sorted into a result or the outcome the user sees.
    async fn request(&mut self, method: &str, params: &Value) -> Result<Value, CallOutcome> {
        match self.connector.call(method, params).await {
            Err(e @ connector::Error::Unauthorized(_)) => {
                let reason = format!("authorization lost: {e}");
                self.fail(reason.clone());
                Err(CallOutcome::Disconnected { reason })
            }
            Err(e) => Err(CallOutcome::Refused {
                status: 0,
                reason: failure_reason(&e),
            }),
            Ok(reply) => {
                if let Some(result) = reply.result() {
                    return Ok(result.clone());
                }
                if let Some(error) = reply.error() {
                    return Err(CallOutcome::ProtocolError(error.clone()));
                }
                Err(CallOutcome::Refused {
                    status: reply.status(),
                    reason: http_failure(method, &reply),
                })
            }
        }
    }

    async fn poll_task(
        &mut self,
        task: &Value,
        started: Instant,
        timeout: Duration,
        call: &mut ToolCall,
    ) -> CallOutcome {
        let Some(task_id) = task["taskId"].as_str().map(String::from) else {
            return CallOutcome::ProtocolError(
                json!({"message": "the task has no taskId", "task": task}),
            );
        };
        let mut status = task["status"].as_str().unwrap_or_default().to_owned();
        call.task_statuses.push(status.clone());
        // Without a server pollInterval the host paces itself.
        let mut interval = task["pollInterval"].as_u64().unwrap_or(1000);
        while !matches!(
            status.as_str(),
            "completed" | "failed" | "cancelled" | "input_required"
        ) {
            let remaining = timeout.saturating_sub(started.elapsed());
            let wait = Duration::from_millis(interval);
            if wait >= remaining {
                // The host gives up at its timeout and tells the server it stopped waiting.
                tokio::time::sleep(remaining).await;
                if let Ok(reply) = self
                    .connector
                    .call("tasks/cancel", &json!({ "taskId": task_id }))
                    .await
                {
                    if let Some(status) = reply.result().and_then(|r| r["status"].as_str()) {
                        call.task_statuses.push(status.to_owned());
                    }
                }
                return CallOutcome::GaveUp { after: timeout };
            }
            // The server's pollInterval is the protocol's pacing, not a wait for test state.
            tokio::time::sleep(wait).await;
            call.polls += 1;
            let polled = match self
                .request("tasks/get", &json!({ "taskId": task_id }))
                .await
            {
                Ok(p) => p,
                Err(outcome) => return outcome,
            };
            status = polled["status"].as_str().unwrap_or_default().to_owned();
            call.task_statuses.push(status.clone());
            match polled["pollInterval"].as_u64() {
                Some(ms) => interval = ms,
                None => call.poll_interval_ms = None,
            }
        }
        match self
            .request("tasks/result", &json!({ "taskId": task_id }))
            .await
        {
            Ok(result) => {
                call.related_task_meta = Some(
                    result["_meta"]["io.modelcontextprotocol/related-task"]["taskId"]
                        == task_id.as_str(),
                );
                CallOutcome::Result(result)
            }
            Err(outcome) => outcome,
        }
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
        let outcome = match self.request(method, &json!({ "taskId": task_id })).await {
            Ok(task) => {
                if let Some(status) = task["status"].as_str() {
                    call.task_statuses.push(status.to_owned());
                }
                CallOutcome::Result(task)
            }
            Err(outcome) => outcome,
        };
        call.outcome = outcome;
        call
    }

    /// Calls a tool with a foreign bearer on a new session, with no refresh and no popup: only the
    /// server decides whether the token is good here.
    pub async fn call_with_bearer(&self, name: &str, arguments: Value, bearer: &str) -> ToolCall {
        let decision = self
            .tool(name)
            .map(|t| self.decide(t))
            .unwrap_or(CallDecision {
                confirmation: true,
                open_world_badge: false,
                as_task: false,
            });
        let mut call = ToolCall::new(name, decision);
        let mut mcp = wire::McpClient::new(self.connector.mcp.wire.clone(), &self.url);
        mcp.bearer = Some(bearer.to_owned());
        mcp.offered_version = self.connector.mcp.offered_version.clone();
        let profile = &self.host.profile;
        let sorted = |method: &str, reply: Result<Reply, wire::Error>| match reply {
            Err(e) => Err(CallOutcome::Refused {
                status: 0,
                reason: e.to_string(),
            }),
            Ok(reply) => match (reply.result(), reply.error()) {
                (Some(r), _) => Ok(r.clone()),
                (None, Some(e)) => Err(CallOutcome::ProtocolError(e.clone())),
                (None, None) => Err(CallOutcome::Refused {
                    status: reply.status(),
                    reason: http_failure(method, &reply),
                }),
            },
        };
        let hello = mcp
            .initialize(profile.protocol.client_info.clone(), profile.capabilities())
            .await;
        call.outcome = match sorted("initialize", hello) {
            Err(outcome) => outcome,
            Ok(_) => {
                let reply = mcp
                    .call(
                        "tools/call",
                        json!({ "name": name, "arguments": arguments }),
                    )
                    .await;
                match sorted("tools/call", reply) {
                    Ok(result) => CallOutcome::Result(result),
                    Err(outcome) => outcome,
                }
            }
        };
        let _ = mcp.close().await;
        call
    }

    /// The UI this host would show for `tool`: the first of its paths the tool declares.
    pub fn ui_link(&self, tool: &Value) -> Option<UiLink> {
        let links = ui_links(tool);
        self.host
            .profile
            .ui
            .paths
            .iter()
            .find_map(|path| links.iter().find(|l| l.path == *path).cloned())
    }

    /// `resources/read` on the connector.
    pub async fn read_resource(&mut self, uri: &str) -> Result<Value, CallOutcome> {
        self.request("resources/read", &json!({ "uri": uri })).await
    }

    /// The user removes the connector: the local token and session are dropped.
    pub async fn remove(&mut self) {
        let _ = self.connector.mcp.close().await;
        self.connector.tokens = None;
        self.connector.mcp.bearer = None;
        self.connector.mcp.session_id = None;
        self.state = ConnectorState::Removed;
        self.tools.clear();
    }

    /// The user clicks Reconnect: the popup may open again (ChatGPT then sends no `scope`).
    pub async fn reconnect(&mut self) {
        self.connector.config.omit_scope = self.host.profile.auth.reconnect_omits_scope;
        self.connector.tokens = None;
        if self.host.profile.auth.kind == AuthKind::Oauth {
            self.connector.mcp.bearer = None;
        }
        self.connector.mcp.session_id = None;
        self.connect().await;
        self.connector.config.omit_scope = false;
    }

    /// A bearer host's token changed (e.g. a new API key).
    pub fn set_bearer(&mut self, token: Option<String>) {
        self.connector.mcp.bearer = token;
    }
}

fn http_failure(method: &str, reply: &Reply) -> String {
    let exchange = &reply.received.exchange;
    let challenge = reply
        .www_authenticate()
        .map(|c| format!(" ({c})"))
        .unwrap_or_default();
    let hint = match (exchange.status, reply.www_authenticate()) {
        (403, Some(c)) if c.contains("insufficient_scope") => {
            ": the user's role does not grant the scope this needs, and re-authorizing cannot add it"
        }
        (401, _) => ": the authorization was refused (revoked, expired or never granted)",
        (404, _) => ": no MCP endpoint at this URL",
        _ => "",
    };
    let body: String = exchange.response_body.chars().take(300).collect();
    format!(
        "{method} failed with HTTP {}{hint}{challenge}: {body}",
        exchange.status
    )
}

/// How long a host gives a view to load, complete its handshake and settle.
const RENDER_TIMEOUT: Duration = Duration::from_secs(15);

/// One view a host rendered, or would not render, for a tool result.
#[derive(Debug, Clone)]
pub struct UiRender {
    pub tool: String,
    pub path: UiPath,
    /// The path this host shows by default: the first of its profile's paths the tool offers
    /// (ChatGPT prefers MCP Apps, as OpenAI recommends, but still renders the Apps SDK template).
    pub preferred: bool,
    pub outcome: UiRenderOutcome,
}

#[derive(Debug, Clone)]
pub enum UiRenderOutcome {
    Rendered(Box<crate::render::RenderRecord>),
    /// The host does not render it: the resource is unreadable or not served with the path's mime type.
    Refused {
        uri: String,
        reason: String,
    },
    /// The harness cannot render here: no browser (a skip), or the browser failed (a harness error).
    Unavailable {
        reason: String,
        browser_failed: bool,
    },
}

impl HostConnector {
    /// The UI paths this host renders that `tool` offers, in the profile's order of preference.
    pub fn ui_paths(&self, tool: &Value) -> Vec<UiPath> {
        self.host
            .profile
            .ui
            .paths
            .iter()
            .copied()
            .filter(|p| p.resource_uri(tool).is_some())
            .collect()
    }

    /// Renders a call's result on every path this host renders and the tool offers, as the host does:
    /// `resources/read` on the connector, the mime-type gate, then the view in the browser.
    pub async fn render_ui(
        &mut self,
        tool: &str,
        arguments: &Value,
        result: &Value,
    ) -> Vec<UiRender> {
        let Some(listed) = self.tool(tool).cloned() else {
            return Vec::new();
        };
        let mut renders = Vec::new();
        for (index, path) in self.ui_paths(&listed).into_iter().enumerate() {
            let uri = path.resource_uri(&listed).unwrap_or_default().to_owned();
            let outcome = self
                .render_path(path, &uri, &listed, arguments, result)
                .await;
            renders.push(UiRender {
                tool: tool.to_owned(),
                path,
                preferred: index == 0,
                outcome,
            });
        }
        renders
    }

    async fn render_path(
        &mut self,
        path: UiPath,
        uri: &str,
        tool: &Value,
        arguments: &Value,
        result: &Value,
    ) -> UiRenderOutcome {
        let refused = |reason: String| UiRenderOutcome::Refused {
            uri: uri.to_owned(),
            reason,
        };
        let content = match self.request("resources/read", &json!({ "uri": uri })).await {
            Ok(read) => read["contents"].get(0).cloned().unwrap_or(Value::Null),
            Err(outcome) => {
                return refused(format!("resources/read {uri} failed: {outcome:?}"));
            }
        };
        if crate::render::resource_html(&content).is_none_or(|html| html.trim().is_empty()) {
            return refused(format!("resources/read {uri} returned no HTML"));
        }
        let mime = content["mimeType"].as_str().unwrap_or("none");
        if mime.replace(' ', "").to_ascii_lowercase() != path.mime_type() {
            return refused(format!(
                "{} renders {} views only from {} resources; {uri} is served as {mime}",
                self.host.profile.name,
                path.describe(),
                path.mime_type()
            ));
        }
        let Some(browser) = self.host.popup.browser_handle() else {
            return UiRenderOutcome::Unavailable {
                reason: "no browser: rendering needs Chromium (the run fell back to HTTP popups)"
                    .into(),
                browser_failed: false,
            };
        };
        let request = crate::render::RenderRequest {
            host_id: self.host.profile.id.clone(),
            host_name: self.host.profile.name.clone(),
            path,
            tool: tool.clone(),
            arguments: arguments.clone(),
            result: result.clone(),
            resource: content,
            timeout: RENDER_TIMEOUT,
        };
        match browser.render(&request).await {
            Ok(record) => UiRenderOutcome::Rendered(Box::new(record)),
            Err(e) => UiRenderOutcome::Unavailable {
                reason: e.to_string(),
                browser_failed: true,
            },
        }
    }
}
