//! JSON-RPC over Streamable HTTP on top of the wire: JSON and SSE responses, the session and
//! protocol-version headers, notifications, DELETE on close.

use serde_json::{json, Value};

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
            next_id: 1,
        }
    }

    /// The POST this client would send for `body` (session, version and bearer headers included), for
    /// callers that alter it on purpose.
    pub fn request(&self, body: &Value) -> Request {
        self.with_session_headers(
            Request::post(&self.url, "application/json", body.to_string().into_bytes())
                .header("accept", "application/json, text/event-stream"),
        )
    }

    /// The session id, negotiated protocol version and bearer this client has, as headers.
    fn with_session_headers(&self, mut request: Request) -> Request {
        if let Some(s) = &self.session_id {
            request = request.header("mcp-session-id", s.clone());
        }
        if let Some(v) = self
            .protocol_version
            .as_ref()
            .filter(|_| self.send_version_header)
        {
            request = request.header("mcp-protocol-version", v.clone());
        }
        if let Some(t) = &self.bearer {
            request = request.header("authorization", format!("Bearer {t}"));
        }
        request
    }

    /// Sends a request and picks out its response.
    pub async fn call(&mut self, method: &str, params: Value) -> Result<Reply, Error> {
        let id = self.next_id;
        self.next_id += 1;
        let body = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        let received = self.wire.send(self.request(&body)).await?;
        let content_type = received
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok());
        let message = messages(content_type, &received.body)
            .into_iter()
            .find(|m| m.get("id") == Some(&json!(id)));
        Ok(Reply { received, message })
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
