//! One connector in a host: connect (initialize, `tools/list`), list again, requests sorted into what
//! the user sees, remove and reconnect.

use std::sync::Arc;

use serde_json::{json, Value};

use super::{AuthKind, CallDecision, CallOutcome, ConnectorState, MockHost, ToolCall};
use crate::connector::{self, Connector};
use crate::mcp_ops::{self, Failure, ListingEnd, Rpc, ToolListing};
use crate::popup::PopupOutcome;
use crate::wire::{self, Reply};

/// One connector in a host.
pub struct HostConnector {
    pub host: MockHost,
    pub url: String,
    pub connector: Connector,
    pub state: ConnectorState,
    /// The tools from the last complete `tools/list`.
    pub tools: Vec<Value>,
    pub instructions: Option<String>,
    /// The last `tools/list` as far as it went.
    pub listing: Option<ToolListing>,
    /// The last task a call created.
    pub last_task: Option<String>,
}

impl HostConnector {
    pub(super) fn new(host: MockHost, url: &str, connector: Connector) -> HostConnector {
        HostConnector {
            host,
            url: url.to_owned(),
            connector,
            state: ConnectorState::Removed,
            tools: Vec::new(),
            instructions: None,
            listing: None,
            last_task: None,
        }
    }
}

pub(super) fn failure_reason(error: &connector::Error) -> String {
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

    /// Opens the connection (initialize → notifications/initialized, or server/discover, as the profile
    /// opens) → tools/list; sets the state. Popups may open here.
    pub(super) async fn connect(&mut self) {
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
            // Name the request that failed: the probe's discover, or the initialize after it.
            let opened_with = match self.connector.mcp.era {
                crate::wire::Era::Modern => "server/discover",
                crate::wire::Era::Legacy => "initialize",
            };
            return self.fail(http_failure(opened_with, &reply));
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

    /// Every page of `tools/list` (kept as `listing`): the tools, or why the host could not list them.
    pub async fn list_tools(&mut self) -> Result<Vec<Value>, String> {
        let listing = mcp_ops::list_tools(self).await;
        let outcome = match &listing.end {
            ListingEnd::Complete => Ok(listing.tools.clone()),
            ListingEnd::Failed { failure, .. } => Err(match failure {
                Failure::Rpc(e) => format!(
                    "tools/list failed with error {}: {}",
                    e["code"], e["message"]
                ),
                Failure::Http { reason, .. }
                | Failure::NoAnswer(reason)
                | Failure::Disconnected(reason) => reason.clone(),
            }),
            _ => Err(format!(
                "tools/list: {}",
                listing.problem().unwrap_or_default()
            )),
        };
        self.listing = Some(listing);
        outcome
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

    /// One request on the connector, sorted into a result or the outcome the user sees.
    pub(super) async fn request(
        &mut self,
        method: &str,
        params: &Value,
    ) -> Result<Value, CallOutcome> {
        self.send(method, params).await.map_err(CallOutcome::from)
    }

    /// One request, sorted into a result or why there is none; a lost authorization turns it red.
    async fn send(&mut self, method: &str, params: &Value) -> Result<Value, Failure> {
        let mut params = params.clone();
        if method.starts_with("tasks/") && self.connector.mcp.era == crate::wire::Era::Modern {
            params["_meta"] = self.tasks_meta();
        }
        match self.connector.call(method, &params).await {
            Err(e @ connector::Error::Unauthorized(_)) => {
                let reason = format!("authorization lost: {e}");
                self.fail(reason.clone());
                Err(Failure::Disconnected(reason))
            }
            Err(e) => Err(Failure::NoAnswer(failure_reason(&e))),
            Ok(reply) => match (reply.result(), reply.error()) {
                (Some(result), _) => Ok(result.clone()),
                (None, Some(error)) => Err(Failure::Rpc(error.clone())),
                (None, None) => Err(Failure::Http {
                    status: reply.status(),
                    reason: http_failure(method, &reply),
                }),
            },
        }
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
            .connect(
                profile.protocol.client_info.clone(),
                profile.capabilities(),
                profile.protocol.opening,
            )
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
}

impl Rpc for HostConnector {
    async fn request(&mut self, method: &str, params: Value) -> Result<Value, Failure> {
        self.send(method, &params).await
    }
}

pub(super) fn http_failure(method: &str, reply: &Reply) -> String {
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
