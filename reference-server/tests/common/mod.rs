//! A small raw-HTTP MCP client for the server's own tests: it sends exactly what a test says and hands
//! back status, headers and body, so every rule is checked on the wire.

#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use metabind_reference_server::{spawn, Fault, RunningServer, ServerOptions};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub const STOREFRONT_CI_KEY: &str = "mbk_storefront_ci_3d7e1f09a4c24b5e";
pub const STOREFRONT_KIOSK_KEY: &str = "mbk_storefront_kiosk_b81c52e7f6a0";
pub const CATALOG_KEY: &str = "mbk_catalog_site_5a9d03c1e2f7";
pub const LEDGER_KEY: &str = "mbk_ledger_ops_0c4be9d17a38";

pub struct TestServer {
    pub server: RunningServer,
    pub http: reqwest::Client,
}

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

pub async fn start() -> TestServer {
    start_with(&[], |_| {}).await
}

pub async fn start_with_faults(faults: &[Fault]) -> TestServer {
    start_with(faults, |_| {}).await
}

pub async fn start_with(faults: &[Fault], tweak: impl FnOnce(&mut ServerOptions)) -> TestServer {
    let mut options = ServerOptions::with_default_fixture().expect("default fixture");
    options.faults = faults.to_vec();
    tweak(&mut options);
    TestServer {
        server: spawn(options).await.expect("server starts"),
        http: http_client(),
    }
}

/// A response as received.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    /// The JSON-RPC message in the body: plain JSON, or the last `data:` of an SSE body.
    pub fn json(&self) -> Value {
        let content_type = self.header("content-type").unwrap_or_default();
        if content_type.starts_with("text/event-stream") {
            let last = self
                .text
                .lines()
                .rev()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(str::trim)
                .find(|d| !d.is_empty())
                .unwrap_or_else(|| panic!("no data event in SSE body: {}", self.text));
            serde_json::from_str(last).expect("SSE data is JSON")
        } else {
            serde_json::from_str(&self.text)
                .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.text))
        }
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap_or("").to_owned())
    }

    pub fn result(&self) -> Value {
        let body = self.json();
        assert!(
            body.get("error").is_none(),
            "expected a result, got {body} (status {})",
            self.status
        );
        body["result"].clone()
    }

    pub fn error_code(&self) -> i64 {
        let body = self.json();
        body["error"]["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("expected a JSON-RPC error, got {body}"))
    }
}

pub const ACCEPT_BOTH: &str = "application/json, text/event-stream";

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Reply {
        let mut request = self.http.request(method, self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.expect("request is answered");
        Reply {
            status: response.status(),
            headers: response.headers().clone(),
            text: response.text().await.expect("body"),
        }
    }

    /// A POST with the usual MCP headers plus `extra`.
    pub async fn post(&self, path: &str, extra: &[(&str, &str)], body: &Value) -> Reply {
        let mut headers = vec![
            ("content-type", "application/json"),
            ("accept", ACCEPT_BOTH),
        ];
        headers.extend_from_slice(extra);
        self.send(Method::POST, path, &headers, Some(body.to_string()))
            .await
    }

    pub async fn initialize(&self, path: &str, token: Option<&str>, version: &str) -> Reply {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut extra = Vec::new();
        if let Some(a) = &auth {
            extra.push(("authorization", a.as_str()));
        }
        self.post(
            path,
            &extra,
            &json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": version,
                "capabilities": {},
                "clientInfo": {"name": "reference-server-tests", "version": "1.0.0"}
            }}),
        )
        .await
    }

    /// initialize + notifications/initialized, asserting both succeed.
    pub async fn session(&self, path: &str, token: Option<&str>) -> Session<'_> {
        self.session_at(path, token, "2025-11-25").await
    }

    pub async fn session_at(&self, path: &str, token: Option<&str>, version: &str) -> Session<'_> {
        let reply = self.initialize(path, token, version).await;
        assert_eq!(reply.status, StatusCode::OK, "initialize: {}", reply.text);
        let id = reply
            .header("mcp-session-id")
            .expect("initialize issues a session id");
        let negotiated = reply.result()["protocolVersion"]
            .as_str()
            .expect("protocolVersion")
            .to_owned();
        let session = Session {
            server: self,
            path: path.to_owned(),
            token: token.map(String::from),
            id,
            version: negotiated,
            next_id: std::cell::Cell::new(1),
        };
        let ack = session.notify("notifications/initialized", json!({})).await;
        // 202 is asserted by the transport tests; fault probes need sessions on servers that answer 200.
        assert!(
            ack.status.is_success(),
            "initialized: {} {}",
            ack.status,
            ack.text
        );
        session
    }

    /// An admin API call with the fixture's admin key.
    pub async fn admin(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let key = format!("Bearer {}", self.server.admin_key);
        let mut headers = vec![("authorization", key.as_str())];
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        let reply = self
            .send(method, path, &headers, body.map(|b| b.to_string()))
            .await;
        let value = if reply.text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&reply.text).expect("admin replies JSON")
        };
        (reply.status, value)
    }
}

pub struct Session<'a> {
    pub server: &'a TestServer,
    pub path: String,
    pub token: Option<String>,
    pub id: String,
    pub version: String,
    next_id: std::cell::Cell<i64>,
}

impl Session<'_> {
    fn headers(&self) -> Vec<(String, String)> {
        let mut h = vec![
            ("mcp-session-id".to_owned(), self.id.clone()),
            ("mcp-protocol-version".to_owned(), self.version.clone()),
        ];
        if let Some(t) = &self.token {
            h.push(("authorization".to_owned(), format!("Bearer {t}")));
        }
        h
    }

    pub async fn send_body(&self, body: &Value) -> Reply {
        let owned = self.headers();
        let extra: Vec<(&str, &str)> = owned
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        self.server.post(&self.path, &extra, body).await
    }

    pub async fn request(&self, method: &str, params: Value) -> Reply {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        self.send_body(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await
    }

    pub async fn notify(&self, method: &str, params: Value) -> Reply {
        self.send_body(&json!({"jsonrpc": "2.0", "method": method, "params": params}))
            .await
    }

    pub async fn result(&self, method: &str, params: Value) -> Value {
        let reply = self.request(method, params).await;
        assert_eq!(reply.status, StatusCode::OK, "{method}: {}", reply.text);
        reply.result()
    }

    pub async fn error(&self, method: &str, params: Value) -> Value {
        let reply = self.request(method, params).await;
        let body = reply.json();
        assert!(
            body.get("error").is_some(),
            "{method}: expected an error, got {body}"
        );
        body["error"].clone()
    }

    /// Every tool, following `nextCursor` (with a loop guard).
    pub async fn all_tools(&self) -> Vec<Value> {
        let mut tools = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..50 {
            let params = match &cursor {
                Some(c) => json!({ "cursor": c }),
                None => json!({}),
            };
            let result = self.result("tools/list", params).await;
            tools.extend(result["tools"].as_array().cloned().unwrap_or_default());
            match result.get("nextCursor").and_then(Value::as_str) {
                Some(next) => cursor = Some(next.to_owned()),
                None => return tools,
            }
        }
        panic!("tools/list never ended (50 pages)");
    }

    pub async fn tool_names(&self) -> Vec<String> {
        self.all_tools()
            .await
            .iter()
            .map(|t| t["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    pub async fn call(&self, name: &str, arguments: Value) -> Value {
        self.result(
            "tools/call",
            json!({ "name": name, "arguments": arguments }),
        )
        .await
    }
}
