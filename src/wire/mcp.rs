//! JSON-RPC over Streamable HTTP on top of the wire: JSON and SSE responses, the session and
//! protocol-version headers, notifications, DELETE on close; in the stateless era (2026-07-28) the
//! per-request `_meta` and the standard headers instead of a session, and the dual-era opening.

use serde_json::{json, Value};

use super::modern::{self, Era, Opening, MODERN_PROTOCOL_VERSION};
use super::{stream::ServerStream, Error, Received, Request, Wire};

/// The JSON-RPC messages in a response body: one JSON object, or the `data` of each SSE event.
pub fn messages(content_type: Option<&str>, body: &[u8]) -> Vec<Value> {
    let text = String::from_utf8_lossy(body);
    if content_type.is_some_and(|c| c.starts_with("text/event-stream")) {
        let mut out = Vec::new();
        for event in text.replace("\r\n", "\n").split("\n\n") {
            let data: Vec<&str> = event
                .lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(|d| d.strip_prefix(' ').unwrap_or(d))
                .collect();
            if data.is_empty() {
                continue;
            }
            if let Ok(v) = serde_json::from_str::<Value>(&data.join("\n")) {
                out.push(v);
            }
        }
        out
    } else {
        serde_json::from_str::<Value>(&text)
            .map(|v| vec![v])
            .unwrap_or_default()
    }
}

/// What came back for one JSON-RPC request.
#[derive(Debug, Clone)]
pub struct Reply {
    pub received: Received,
    /// The response with the request's id, if one came.
    pub message: Option<Value>,
}

impl Reply {
    pub fn status(&self) -> u16 {
        self.received.exchange.status
    }

    pub fn result(&self) -> Option<&Value> {
        self.message.as_ref()?.get("result")
    }

    pub fn error(&self) -> Option<&Value> {
        self.message.as_ref()?.get("error")
    }

    pub fn www_authenticate(&self) -> Option<&str> {
        self.received.exchange.header("www-authenticate")
    }
}

pub const LATEST_PROTOCOL_VERSION: &str = "2025-11-25";

/// A JSON-RPC client of one MCP endpoint over Streamable HTTP.
#[derive(Debug, Clone)]
pub struct McpClient {
    pub wire: Wire,
    pub url: String,
    pub session_id: Option<String>,
    pub protocol_version: Option<String>,
    pub bearer: Option<String>,
    /// The protocol version `initialize` offers.
    pub offered_version: String,
    /// Send `MCP-Protocol-Version` on requests after initialize (MCP §1.6); Claude omits it
    /// (hosts-observed A25).
    pub send_version_header: bool,
    /// The era this client speaks now.
    pub era: Era,
    /// On the legacy path, send this as `MCP-Protocol-Version` instead of the negotiated version
    /// (Claude was reported sending 2026-07-28 after negotiating 2025-11-25, hosts-observed A29).
    pub legacy_version_header_override: Option<String>,
    /// What stateless requests say about the client in `_meta`.
    pub client_info: Value,
    pub capabilities: Value,
    /// The `server/discover` result, once the stateless era was chosen.
    pub discovered: Option<Value>,
    /// Each listed tool's `x-mcp-header` properties (property, header suffix), for `Mcp-Param-*`.
    pub param_headers: std::collections::HashMap<String, Vec<(String, String)>>,
    next_id: i64,
}

impl McpClient {
    pub fn new(wire: Wire, url: impl Into<String>) -> Self {
        McpClient {
            wire,
            url: url.into(),
            session_id: None,
            protocol_version: None,
            bearer: None,
            offered_version: LATEST_PROTOCOL_VERSION.to_owned(),
            send_version_header: true,
            era: Era::Legacy,
            legacy_version_header_override: None,
            client_info: Value::Null,
            capabilities: json!({}),
            discovered: None,
            param_headers: Default::default(),
            next_id: 1,
        }
    }

    /// The POST this client would send for `body` (session, version and bearer headers included), for
    /// callers that alter it on purpose.
    pub fn request(&self, body: &Value) -> Request {
        let request = Request::post(&self.url, "application/json", body.to_string().into_bytes())
            .header("accept", "application/json, text/event-stream");
        match self.era {
            Era::Legacy => self.with_session_headers(request),
            Era::Modern => self.with_modern_headers(request, body),
        }
    }

    /// The stateless era's headers: the body's version, method and name repeated, the tool's
    /// `Mcp-Param-*`, the bearer; never a session id.
    fn with_modern_headers(&self, mut request: Request, body: &Value) -> Request {
        let params = &body["params"];
        let version = params["_meta"][modern::META_PROTOCOL_VERSION]
            .as_str()
            .unwrap_or(MODERN_PROTOCOL_VERSION);
        request = request.header("mcp-protocol-version", version.to_owned());
        if let Some(method) = body["method"].as_str() {
            request = request.header("mcp-method", method.to_owned());
            if let Some(name) = modern::name_for(method, params) {
                request = request.header("mcp-name", modern::encode_header_value(&name));
            }
            if method == "tools/call" {
                let tool = params["name"].as_str().unwrap_or("");
                for (property, header) in self.param_headers.get(tool).into_iter().flatten() {
                    if let Some(text) = params["arguments"]
                        .get(property)
                        .and_then(modern::header_text)
                    {
                        request = request.header(
                            &format!("mcp-param-{header}"),
                            modern::encode_header_value(&text),
                        );
                    }
                }
            }
        }
        if let Some(t) = &self.bearer {
            request = request.header("authorization", format!("Bearer {t}"));
        }
        request
    }

    /// The session id, negotiated protocol version and bearer this client has, as headers.
    fn with_session_headers(&self, mut request: Request) -> Request {
        if let Some(s) = &self.session_id {
            request = request.header("mcp-session-id", s.clone());
        }
        if let Some(v) = self
            .legacy_version_header_override
            .as_ref()
            .filter(|_| self.protocol_version.is_some())
            .or(self.protocol_version.as_ref())
            .filter(|_| self.send_version_header)
        {
            request = request.header("mcp-protocol-version", v.clone());
        }
        if let Some(t) = &self.bearer {
            request = request.header("authorization", format!("Bearer {t}"));
        }
        request
    }

    /// Sends a request and picks out its response. In the stateless era, a 400 with -32022 that names
    /// our version among the supported ones is retried once (transports: retry with a version from
    /// `data.supported`; a server may refuse a first request to make the client choose).
    pub async fn call(&mut self, method: &str, params: Value) -> Result<Reply, Error> {
        let reply = self.call_once(method, params.clone()).await?;
        let retry = self.era == Era::Modern
            && reply.status() == 400
            && modern::modern_error_code(reply.message.as_ref())
                == Some(modern::UNSUPPORTED_PROTOCOL_VERSION)
            && reply.error().is_some_and(|e| {
                e["data"]["supported"]
                    .as_array()
                    .is_some_and(|v| v.iter().any(|v| v == MODERN_PROTOCOL_VERSION))
            });
        if retry {
            return self.call_once(method, params).await;
        }
        Ok(reply)
    }

    async fn call_once(&mut self, method: &str, params: Value) -> Result<Reply, Error> {
        let id = self.next_id;
        self.next_id += 1;
        let params = match self.era {
            Era::Legacy => params,
            Era::Modern => modern::with_meta(params, &self.client_info, &self.capabilities),
        };
        let body = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        let received = self.wire.send(self.request(&body)).await?;
        let content_type = received
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok());
        let message = messages(content_type, &received.body)
            .into_iter()
            .find(|m| m.get("id") == Some(&json!(id)));
        if method == "tools/list" {
            self.learn_param_headers(message.as_ref());
        }
        Ok(Reply { received, message })
    }

    /// Keeps each listed tool's valid `x-mcp-header` properties, for the `Mcp-Param-*` of its calls.
    fn learn_param_headers(&mut self, message: Option<&Value>) {
        let tools = message
            .and_then(|m| m["result"]["tools"].as_array())
            .into_iter()
            .flatten();
        for tool in tools {
            if let (Some(name), Ok(headers)) = (
                tool["name"].as_str(),
                modern::param_headers(&tool["inputSchema"]),
            ) {
                if headers.is_empty() {
                    self.param_headers.remove(name);
                } else {
                    self.param_headers.insert(name.to_owned(), headers);
                }
            }
        }
    }

    /// `server/discover` in the stateless era (the client speaks it from now on).
    pub async fn discover(
        &mut self,
        client_info: Value,
        capabilities: Value,
    ) -> Result<Reply, Error> {
        self.session_id = None;
        self.protocol_version = None;
        self.client_info = client_info;
        self.capabilities = capabilities;
        self.era = Era::Modern;
        let reply = self.call("server/discover", json!({})).await?;
        self.discovered = reply.result().cloned();
        if reply.result().is_some() {
            self.protocol_version = Some(MODERN_PROTOCOL_VERSION.to_owned());
        }
        Ok(reply)
    }

    /// Opens the connection as `opening` says. A dual-era client probes with `server/discover` and
    /// falls back to `initialize` unless the answer shows the stateless era: a result naming
    /// 2026-07-28, an error only that era defines, or a refusal of the credential (401/403, which
    /// says nothing about the era). The verdict is remembered per endpoint and probed again when it fails.
    pub async fn connect(
        &mut self,
        client_info: Value,
        capabilities: Value,
        opening: Opening,
    ) -> Result<Reply, Error> {
        let remembered = self.wire.eras.get(&self.url);
        match (opening, remembered) {
            (Opening::Legacy, _) => return self.initialize(client_info, capabilities).await,
            (Opening::Modern, _) => return self.discover(client_info, capabilities).await,
            // The origin's remembered era, re-probed when it does not hold for this endpoint (one
            // origin may serve endpoints of both eras, as Metabind's projects do).
            (Opening::ProbeModern, Some(era)) => {
                let reply = match era {
                    Era::Legacy => {
                        self.initialize(client_info.clone(), capabilities.clone())
                            .await?
                    }
                    Era::Modern => {
                        self.discover(client_info.clone(), capabilities.clone())
                            .await?
                    }
                };
                if reply.result().is_some() || matches!(reply.status(), 401 | 403) {
                    return Ok(reply);
                }
                self.wire.eras.forget(&self.url);
                // A failed discover is the probe's answer already; a failed initialize is not.
                if era == Era::Modern {
                    return self.settle(reply, client_info, capabilities).await;
                }
            }
            (Opening::ProbeModern, None) => {}
        }
        let reply = self
            .discover(client_info.clone(), capabilities.clone())
            .await?;
        self.settle(reply, client_info, capabilities).await
    }

    /// The probe's verdict on a `server/discover` answer: the stateless era, a modern refusal (kept),
    /// or the fallback to `initialize`; remembered for the origin.
    async fn settle(
        &mut self,
        reply: Reply,
        client_info: Value,
        capabilities: Value,
    ) -> Result<Reply, Error> {
        if matches!(reply.status(), 401 | 403) {
            return Ok(reply);
        }
        let speaks_modern = reply.result().is_some_and(|r| {
            r["supportedVersions"]
                .as_array()
                .is_some_and(|v| v.iter().any(|v| v == MODERN_PROTOCOL_VERSION))
        });
        if speaks_modern {
            self.wire.eras.remember(&self.url, Era::Modern);
            return Ok(reply);
        }
        // -32022 naming only versions we do not speak is a real incompatibility; -32020/-32021 are
        // a modern server refusing this request: neither is a reason to fall back.
        let code = modern::modern_error_code(reply.message.as_ref());
        let legacy_offered = reply.error().is_some_and(|e| {
            e["data"]["supported"].as_array().is_some_and(|v| {
                v.iter()
                    .any(|v| v.as_str().is_some_and(|v| v < MODERN_PROTOCOL_VERSION))
            })
        });
        if code.is_some() && !(code == Some(modern::UNSUPPORTED_PROTOCOL_VERSION) && legacy_offered)
        {
            return Ok(reply);
        }
        self.wire.eras.remember(&self.url, Era::Legacy);
        self.initialize(client_info, capabilities).await
    }

    pub async fn notify(&mut self, method: &str, params: Value) -> Result<Received, Error> {
        let body = json!({ "jsonrpc": "2.0", "method": method, "params": params });
        self.wire.send(self.request(&body)).await
    }

    /// `initialize` then `notifications/initialized`; keeps the session id and negotiated version.
    pub async fn initialize(
        &mut self,
        client_info: Value,
        capabilities: Value,
    ) -> Result<Reply, Error> {
        self.session_id = None;
        self.protocol_version = None;
        self.era = Era::Legacy;
        self.discovered = None;
        let reply = self
            .call(
                "initialize",
                json!({ "protocolVersion": self.offered_version, "capabilities": capabilities, "clientInfo": client_info }),
            )
            .await?;
        if let Some(result) = reply.result() {
            self.session_id = reply
                .received
                .headers
                .get("mcp-session-id")
                .and_then(|v| v.to_str().ok())
                .map(String::from);
            self.protocol_version = result["protocolVersion"].as_str().map(String::from);
            self.notify("notifications/initialized", json!({})).await?;
        }
        Ok(reply)
    }

    /// Opens the standalone GET stream: `Ok(None)` when the server does not offer one (any answer but
    /// 200 with `text/event-stream`, typically 405).
    pub async fn open_stream(&self) -> Result<Option<ServerStream>, Error> {
        let (received, response) = self.wire.open_stream(self.stream_request()).await?;
        let is_sse = received
            .exchange
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/event-stream"));
        let max = self.wire.net.limits.max_event_bytes;
        Ok(response
            .filter(|_| is_sse)
            .map(|r| ServerStream::new(r, max)))
    }

    /// The GET that opens the standalone stream, with this client's session headers.
    pub fn stream_request(&self) -> Request {
        self.with_session_headers(Request::get(&self.url).header("accept", "text/event-stream"))
    }

    /// DELETE the session (best effort: servers may answer 405).
    pub async fn close(&mut self) -> Result<(), Error> {
        if let Some(session) = self.session_id.take() {
            let mut request = Request {
                method: reqwest::Method::DELETE,
                url: self.url.clone(),
                headers: vec![("mcp-session-id".into(), session)],
                body: None,
            };
            if let Some(t) = &self.bearer {
                request = request.header("authorization", format!("Bearer {t}"));
            }
            self.wire.send(request).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_bodies_yield_each_event_and_skip_priming() {
        let body = b"id: a:0\ndata: \n\nevent: message\nid: a:1\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n";
        let found = messages(Some("text/event-stream"), body);
        assert_eq!(
            found,
            vec![json!({"jsonrpc": "2.0", "id": 1, "result": {}})]
        );
        assert_eq!(
            messages(Some("application/json"), b"{\"a\":1}"),
            vec![json!({"a": 1})]
        );
    }
}
