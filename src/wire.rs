//! The raw wire: every HTTP exchange the harness makes (MCP and OAuth alike) goes through [`Wire`], which
//! records it in a [`Transcript`] with credentials redacted. It records; it does not judge: a 500 or a
//! malformed body is an `Ok(Exchange)`. [`Error`] means no exchange happened (refused, timed out).
//!
//! [`McpClient`] speaks JSON-RPC over Streamable HTTP on top of it: JSON and SSE responses, the session
//! and protocol-version headers, notifications, DELETE on close.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{json, Value};

/// One HTTP request and its response, as sent and received (credentials redacted).
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    pub request_body: String,
    pub status: u16,
    pub response_headers: Vec<(String, String)>,
    pub response_body: String,
    pub elapsed_ms: u64,
}

impl Exchange {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.response_headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Every exchange of a run, in order.
#[derive(Debug, Clone, Default)]
pub struct Transcript(Arc<Mutex<Vec<Exchange>>>);

impl Transcript {
    pub fn push(&self, exchange: Exchange) -> usize {
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        all.push(exchange);
        all.len() - 1
    }

    pub fn snapshot(&self) -> Vec<Exchange> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// No exchange happened.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{method} {url} got no answer within {timeout:?}")]
    Timeout {
        method: String,
        url: String,
        timeout: Duration,
    },
    #[error("{method} {url} failed: {message}")]
    Transport {
        method: String,
        url: String,
        message: String,
    },
}

const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "cookie",
    "set-cookie",
    "proxy-authorization",
];
const SECRET_FIELDS: &[&str] = &[
    "access_token",
    "refresh_token",
    "client_secret",
    "password",
    "code_verifier",
    "code",
    "token",
    "id_token",
];

fn redact_headers(headers: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            let name = k.as_str().to_owned();
            let value = if SECRET_HEADERS.contains(&name.as_str()) {
                let scheme = v
                    .to_str()
                    .ok()
                    .and_then(|s| s.split(' ').next())
                    .unwrap_or("");
                format!("{scheme} [redacted]").trim().to_owned()
            } else {
                String::from_utf8_lossy(v.as_bytes()).into_owned()
            };
            (name, value)
        })
        .collect()
}

/// Replaces secret values in a JSON or form body, keeping its shape visible.
pub fn redact_body(body: &str) -> String {
    if let Ok(mut value) = serde_json::from_str::<Value>(body) {
        fn walk(v: &mut Value) {
            match v {
                Value::Object(map) => {
                    for (k, v) in map.iter_mut() {
                        if SECRET_FIELDS.contains(&k.as_str()) && v.is_string() {
                            *v = json!("[redacted]");
                        } else {
                            walk(v);
                        }
                    }
                }
                Value::Array(items) => items.iter_mut().for_each(walk),
                _ => {}
            }
        }
        walk(&mut value);
        return value.to_string();
    }
    if body.contains('=') && !body.contains(['{', '\n', ' ']) {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
            .map(|(k, v)| {
                let v = if SECRET_FIELDS.contains(&k.as_ref()) {
                    "[redacted]".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        return url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
    }
    body.to_owned()
}

/// An HTTP client that records every exchange.
#[derive(Debug, Clone)]
pub struct Wire {
    http: reqwest::Client,
    pub transcript: Transcript,
    pub timeout: Duration,
}

/// A request, before it is sent.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: reqwest::Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl Request {
    pub fn get(url: impl Into<String>) -> Self {
        Request {
            method: reqwest::Method::GET,
            url: url.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn post(url: impl Into<String>, content_type: &str, body: Vec<u8>) -> Self {
        Request {
            method: reqwest::Method::POST,
            url: url.into(),
            headers: vec![("content-type".into(), content_type.into())],
            body: Some(body),
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

/// Where a wire keeps cookies.
enum Cookies {
    None,
    /// Its own jar.
    Own,
    /// A jar shared with other wires (one browser session).
    Jar(std::sync::Arc<reqwest::cookie::Jar>),
}

/// The full exchange plus the unredacted response body (the caller needs the real tokens).
#[derive(Debug, Clone)]
pub struct Received {
    pub exchange: Exchange,
    pub index: usize,
    pub body: Vec<u8>,
    pub headers: reqwest::header::HeaderMap,
}

impl Wire {
    pub fn new(timeout: Duration) -> Result<Wire, Error> {
        Wire::with_client(timeout, false)
    }

    /// A wire that keeps cookies (a browser stand-in).
    pub fn with_cookies(timeout: Duration) -> Result<Wire, Error> {
        Wire::with_client(timeout, true)
    }

    fn with_client(timeout: Duration, cookies: bool) -> Result<Wire, Error> {
        Wire::build(timeout, if cookies { Cookies::Own } else { Cookies::None })
    }

    fn build(timeout: Duration, cookies: Cookies) -> Result<Wire, Error> {
        let builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none());
        let builder = match cookies {
            Cookies::None => builder,
            Cookies::Own => builder.cookie_store(true),
            Cookies::Jar(jar) => builder.cookie_provider(jar),
        };
        let http = builder.build().map_err(|e| Error::Transport {
            method: "-".into(),
            url: "-".into(),
            message: e.to_string(),
        })?;
        Ok(Wire {
            http,
            transcript: Transcript::default(),
            timeout,
        })
    }

    /// A wire sharing this one's transcript whose cookies live in `jar` (a browser profile that
    /// outlives one popup).
    pub fn sharing_transcript_with_jar(
        &self,
        jar: std::sync::Arc<reqwest::cookie::Jar>,
    ) -> Result<Wire, Error> {
        let mut wire = Wire::build(self.timeout, Cookies::Jar(jar))?;
        wire.transcript = self.transcript.clone();
        Ok(wire)
    }

    /// A wire sharing this one's transcript but with its own connection settings.
    pub fn sharing_transcript(&self, cookies: bool) -> Result<Wire, Error> {
        let mut wire = Wire::with_client(self.timeout, cookies)?;
        wire.transcript = self.transcript.clone();
        Ok(wire)
    }

    pub async fn send(&self, request: Request) -> Result<Received, Error> {
        self.exchange(request, false)
            .await
            .map(|(received, _)| received)
    }

    /// Sends `request` and keeps its response open as an event stream (no overall time limit; reads
    /// are bounded by the caller). The recorded exchange has the status and headers, and no body.
    pub async fn open_stream(
        &self,
        request: Request,
    ) -> Result<(Received, Option<reqwest::Response>), Error> {
        self.exchange(request, true).await
    }

    async fn exchange(
        &self,
        request: Request,
        stream: bool,
    ) -> Result<(Received, Option<reqwest::Response>), Error> {
        let method = request.method.to_string();
        let mut builder = self.http.request(request.method.clone(), &request.url);
        for (k, v) in &request.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let request_body = request
            .body
            .as_ref()
            .map(|b| redact_body(&String::from_utf8_lossy(b)))
            .unwrap_or_default();
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        if stream {
            // A standalone stream stays open for as long as the session lives.
            builder = builder.timeout(Duration::from_secs(24 * 3600));
        }
        let built = builder.build().map_err(|e| Error::Transport {
            method: method.clone(),
            url: request.url.clone(),
            message: e.to_string(),
        })?;
        let request_headers = redact_headers(built.headers());
        let started = Instant::now();
        let fail = |e: reqwest::Error| {
            if e.is_timeout() {
                Error::Timeout {
                    method: method.clone(),
                    url: request.url.clone(),
                    timeout: self.timeout,
                }
            } else {
                Error::Transport {
                    method: method.clone(),
                    url: request.url.clone(),
                    message: error_chain(&e),
                }
            }
        };
        let response = self.http.execute(built).await.map_err(fail)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let streaming = stream && status == 200;
        let (body, open) = if streaming {
            (Vec::new(), Some(response))
        } else {
            (response.bytes().await.map_err(fail)?.to_vec(), None)
        };
        let exchange = Exchange {
            method: method.clone(),
            url: request.url.clone(),
            request_headers,
            request_body,
            status,
            response_headers: redact_headers(&headers),
            response_body: redact_body(&String::from_utf8_lossy(&body)),
            elapsed_ms: started.elapsed().as_millis() as u64,
        };
        let index = self.transcript.push(exchange.clone());
        Ok((
            Received {
                exchange,
                index,
                body,
                headers,
            },
            open,
        ))
    }
}

/// The standalone SSE stream a server offers on GET (MCP §1.3), read event by event.
pub struct ServerStream {
    response: reqwest::Response,
    buffer: String,
    pending: std::collections::VecDeque<Value>,
}

impl ServerStream {
    /// The next JSON-RPC message the server pushes: `Ok(None)` when the stream ended, an error when
    /// nothing came within `timeout`.
    pub async fn next_message(&mut self, timeout: Duration) -> Result<Option<Value>, Error> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(message) = self.pending.pop_front() {
                return Ok(Some(message));
            }
            let url = self.response.url().to_string();
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .map_err(|_| Error::Timeout {
                    method: "GET".into(),
                    url: url.clone(),
                    timeout,
                })?
                .map_err(|e| Error::Transport {
                    method: "GET".into(),
                    url,
                    message: error_chain(&e),
                })?;
            let Some(chunk) = chunk else {
                return Ok(None);
            };
            self.buffer
                .push_str(&String::from_utf8_lossy(&chunk).replace("\r\n", "\n"));
            // Complete events end with a blank line; keep the unfinished tail for the next chunk.
            if let Some(end) = self.buffer.rfind("\n\n") {
                let complete: String = self.buffer.drain(..end + 2).collect();
                self.pending
                    .extend(messages(Some("text/event-stream"), complete.as_bytes()));
            }
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

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
        if let Some(v) = &self.protocol_version {
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
        let request = self
            .with_session_headers(Request::get(&self.url).header("accept", "text/event-stream"));
        let (received, response) = self.wire.open_stream(request).await?;
        let is_sse = received
            .exchange
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/event-stream"));
        Ok(response.filter(|_| is_sse).map(|response| ServerStream {
            response,
            buffer: String::new(),
            pending: Default::default(),
        }))
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

    #[test]
    fn secrets_are_redacted_in_json_and_forms() {
        let json_body =
            redact_body(r#"{"access_token":"abc","nested":{"refresh_token":"def"},"scope":"x"}"#);
        assert!(
            !json_body.contains("abc")
                && !json_body.contains("def")
                && json_body.contains("\"scope\":\"x\"")
        );
        let form =
            redact_body("grant_type=authorization_code&code=xyz&code_verifier=v&client_id=c");
        assert!(!form.contains("xyz") && form.contains("client_id=c"));
    }
}
