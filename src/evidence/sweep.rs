//! What the protocol sweep records, section by section. Every field is one probe's record; the checks
//! in `crate::checks` read them and nothing else.

use serde_json::Value;

use super::{Observed, RpcExchange};
use crate::mcp_ops::{TaskPoll, ToolListing};
use crate::popup::PopupOutcome;
use crate::ui::UiLink;
use crate::wire::Exchange;

/// Everything the sweep saw of one endpoint.
#[derive(Debug, Clone, Default)]
pub struct SweepEvidence {
    /// The MCP endpoint under test.
    pub endpoint: String,
    /// Every exchange the sweep made, in order (MCP and OAuth alike): checks that apply to every
    /// answer (framing, ids, content types) read it.
    pub transcript: Vec<Exchange>,
    pub discovery: Discovery,
    pub authorization_server: AuthorizationServer,
    pub transport: Transport,
    pub tools: Tools,
    pub tasks: Tasks,
    pub ui: Ui,
    /// The stateless era (2026-07-28), probed beside the 2025 one.
    pub modern: Modern,
    /// The run was asked to stop before the sweep finished (why): what was not probed stays
    /// not testable.
    pub stopped: Option<String>,
}

impl SweepEvidence {
    /// The endpoint answered an unauthenticated initialize with a result: bearer and PRM rules do not
    /// apply to it.
    pub fn open_without_credentials(&self) -> bool {
        self.discovery
            .anonymous
            .seen()
            .is_some_and(|x| (200..300).contains(&x.status()) && x.result().is_some())
    }

    /// The tools the endpoint lists (every page), when listing worked.
    pub fn listed_tools(&self) -> Option<&[Value]> {
        self.tools.listing.seen().map(|l| l.tools.as_slice())
    }
}

/// Discovery without credentials (MCP authorization §2.3).
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// `initialize` with no credentials.
    pub anonymous: Observed<RpcExchange>,
    /// `initialize` with a made-up bearer token.
    pub invalid_token: Observed<RpcExchange>,
    /// The protected resource metadata: the document found, or the last place looked.
    pub prm: Observed<Exchange>,
    /// The authorization server metadata the PRM leads to (RFC 8414 / OIDC discovery).
    pub as_metadata: Observed<Exchange>,
}

/// The authorization server as a client sees it, through the popup.
#[derive(Debug, Clone, Default)]
pub struct AuthorizationServer {
    pub sign_in: Observed<SignIn>,
    /// The same authorization request without `code_challenge`.
    pub without_pkce: Observed<PopupOutcome>,
    /// An authorization request whose `redirect_uri` the client never registered.
    pub unregistered_redirect: Observed<PopupOutcome>,
    /// This endpoint's access token presented to the draft endpoint beside it.
    pub audience: Observed<RpcExchange>,
    /// A refresh token presented again after it was used.
    pub refresh_replay: Observed<RefreshReplay>,
    /// An access token revoked through the revocation endpoint, then used.
    pub revocation: Observed<Revocation>,
}

/// The first sign-in: the raw callback, judged for `state` and `iss`.
#[derive(Debug, Clone)]
pub struct SignIn {
    pub sent_state: String,
    /// The URL the popup was sent back to.
    pub callback: String,
    /// The AS metadata advertises `authorization_response_iss_parameter_supported`.
    pub iss_advertised: bool,
    pub issuer: String,
}

/// A used refresh token presented again.
#[derive(Debug, Clone)]
pub struct RefreshReplay {
    /// `Ok`: new tokens were issued for it; `Err`: the token endpoint's refusal.
    pub replayed: Result<(), String>,
}

#[derive(Debug, Clone)]
pub struct Revocation {
    pub revoke: Exchange,
    /// `initialize` with the revoked token.
    pub after: RpcExchange,
}

/// Transport and session probes, with the sweep's credential.
#[derive(Debug, Clone, Default)]
pub struct Transport {
    pub initialize: Observed<RpcExchange>,
    /// `notifications/initialized` right after it.
    pub initialized: Observed<Exchange>,
    /// The session id the server issued, if any.
    pub session_id: Option<String>,
    /// `tools/list` after initialize without the `Mcp-Session-Id` it issued.
    pub without_session: Observed<Exchange>,
    /// `tools/list` on the session without the `MCP-Protocol-Version` header.
    pub without_version_header: Observed<Exchange>,
    /// This session's id with another credential.
    pub other_credential: Observed<Exchange>,
    pub unsupported_version: Observed<Exchange>,
    pub foreign_origin: Observed<Exchange>,
    pub malformed_json: Observed<Exchange>,
    pub batch: Observed<Exchange>,
    pub delete: Observed<Exchange>,
    /// `tools/list` on the session after DELETE.
    pub after_delete: Observed<Exchange>,
    /// GET on the endpoint with `Accept: text/event-stream` and the session id (the stream is closed
    /// at once: only its status and headers are recorded).
    pub get_stream: Observed<Exchange>,
    /// A request for a method no server implements.
    pub unknown_method: Observed<RpcExchange>,
    /// `tools/list` on the live session without the Authorization header.
    pub session_without_credential: Observed<Exchange>,
    /// `initialize` with the access token in the query string instead of the Authorization header.
    pub token_in_query: Observed<Exchange>,
}

impl Transport {
    /// The initialize result's capabilities.
    pub fn capabilities(&self) -> Option<&Value> {
        self.initialize
            .seen()
            .and_then(|x| x.result())
            .map(|r| &r["capabilities"])
    }

    pub fn instructions(&self) -> Option<&str> {
        self.initialize
            .seen()
            .and_then(|x| x.result())
            .and_then(|r| r["instructions"].as_str())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Tools {
    pub listing: Observed<ToolListing>,
    /// The last `tools/list` page's exchange (what a pagination finding quotes).
    pub last_page: Option<Exchange>,
    pub unknown_cursor: Observed<RpcExchange>,
    pub unknown_tool: Observed<RpcExchange>,
    /// A callable tool with required arguments, called with none.
    pub missing_arguments: Observed<ToolCallRecord>,
    /// Callable tools called with arguments made up from their inputSchema.
    pub calls: Observed<Vec<ToolCallRecord>>,
}

/// One `tools/call` the sweep made.
#[derive(Debug, Clone)]
pub struct ToolCallRecord {
    /// The tool as listed.
    pub tool: Value,
    pub arguments: Value,
    pub reply: Observed<RpcExchange>,
}

impl ToolCallRecord {
    pub fn name(&self) -> &str {
        self.tool["name"].as_str().unwrap_or_default()
    }
}

/// The task lifecycle on one task-required tool.
#[derive(Debug, Clone, Default)]
pub struct Tasks {
    /// The task-required tool the probes used (n/a when there is none the run may call).
    pub tool: Observed<String>,
    pub without_task: Observed<RpcExchange>,
    /// The call with `task`, creating task A.
    pub created: Observed<RpcExchange>,
    pub poll: Observed<TaskPoll>,
    /// `tasks/result` of task A once terminal.
    pub result: Observed<RpcExchange>,
    /// `tasks/cancel` of task A once terminal.
    pub cancel_terminal: Observed<RpcExchange>,
    /// `tasks/result` of a fresh task B, then `tasks/get` of B right after it answered.
    pub early_result: Observed<(RpcExchange, RpcExchange)>,
    /// `tasks/get` of task A by another credential.
    pub other_credential: Observed<RpcExchange>,
    /// `tasks/get` of a task id the server never issued.
    pub unknown_task: Observed<RpcExchange>,
}

/// Every UI resource the tools point at, read through `resources/read`.
#[derive(Debug, Clone, Default)]
pub struct Ui {
    pub reads: Observed<Vec<UiRead>>,
}

#[derive(Debug, Clone)]
pub struct UiRead {
    pub tool: String,
    pub link: UiLink,
    pub reply: Observed<RpcExchange>,
}

/// The stateless era (MCP 2026-07-28), probed with requests that carry the `_meta` envelope.
#[derive(Debug, Clone, Default)]
pub struct Modern {
    /// `server/discover` with the sweep's credential.
    pub discover: Observed<RpcExchange>,
    /// Every page of `tools/list` in the stateless era.
    pub tools_pages: Observed<Vec<RpcExchange>>,
    /// `tools/list` without `_meta`, the headers otherwise right.
    pub without_meta: Observed<RpcExchange>,
    /// `tools/list` whose `Mcp-Method` header names another method.
    pub header_mismatch: Observed<RpcExchange>,
    /// `tools/list` at a protocol version no one speaks (`_meta` and header agreeing).
    pub unsupported_version: Observed<RpcExchange>,
    /// A method no server has.
    pub unknown_method: Observed<RpcExchange>,
    /// `resources/read` of a URI that does not exist.
    pub missing_resource: Observed<RpcExchange>,
    /// A tool that requires a task, called without declaring the tasks extension.
    pub required_without_extension: Observed<RpcExchange>,
    /// A tool whose task support is optional, called without declaring the tasks extension.
    pub optional_without_extension: Observed<RpcExchange>,
    /// A task-capable tool called with the extension, polled to its end.
    pub task: Observed<ModernTask>,
}

impl Modern {
    /// Whether the endpoint answered in the stateless era: discover named 2026-07-28, or a stateless
    /// listing came back with a result.
    pub fn speaks_modern(&self) -> bool {
        let discovered = self
            .discover
            .seen()
            .and_then(RpcExchange::result)
            .is_some_and(|r| {
                r["supportedVersions"]
                    .as_array()
                    .is_some_and(|v| v.iter().any(|v| v == crate::wire::MODERN_PROTOCOL_VERSION))
            });
        let listed = self
            .tools_pages
            .seen()
            .and_then(|pages| pages.first())
            .and_then(RpcExchange::result)
            .is_some();
        discovered || listed
    }

    /// Every stateless exchange the section recorded.
    pub fn exchanges(&self) -> Vec<&RpcExchange> {
        let mut all: Vec<&RpcExchange> = [
            &self.discover,
            &self.without_meta,
            &self.header_mismatch,
            &self.unsupported_version,
            &self.unknown_method,
            &self.missing_resource,
            &self.required_without_extension,
            &self.optional_without_extension,
        ]
        .into_iter()
        .filter_map(Observed::seen)
        .collect();
        all.extend(self.tools_pages.seen().into_iter().flatten());
        if let Some(task) = self.task.seen() {
            all.push(&task.created);
            all.extend(&task.polls);
        }
        all
    }
}

/// A task of the tasks extension: the call that created it and each `tasks/get` until it ended.
#[derive(Debug, Clone)]
pub struct ModernTask {
    pub tool: String,
    pub created: RpcExchange,
    pub polls: Vec<RpcExchange>,
}
