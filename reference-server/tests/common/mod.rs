//! A small raw-HTTP MCP client for the server's own tests: it sends exactly what a test says and hands
//! back status, headers and body, so every rule is checked on the wire.

#![allow(dead_code, unreachable_pub, unused_imports)]

pub mod worlds;

use std::time::Duration;

use metabind_reference_server::{spawn, Fault, Fixture, RunningServer, ServerOptions};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub const STOREFRONT_CI_KEY: &str = "mbk_storefront_ci_3d7e1f09a4c24b5e";
pub const STOREFRONT_KIOSK_KEY: &str = "mbk_storefront_kiosk_b81c52e7f6a0";
pub const CATALOG_KEY: &str = "mbk_catalog_site_5a9d03c1e2f7";
pub const LEDGER_KEY: &str = "mbk_ledger_ops_0c4be9d17a38";

pub use worlds::{ToolRef, World, DEFAULT, SECOND};

pub struct TestServer {
    pub server: RunningServer,
    pub http: reqwest::Client,
    /// The world it serves (names by kind, the password rule).
    pub world: &'static World,
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
    start_world(&DEFAULT, faults, tweak).await
}

/// A server of `world` with `faults`, its options changed by `tweak` before it starts.
pub async fn start_world(
    world: &'static World,
    faults: &[Fault],
    tweak: impl FnOnce(&mut ServerOptions),
) -> TestServer {
    let fixture = Fixture::load(&(world.fixture)())
        .unwrap_or_else(|e| panic!("the {} world loads: {e}", world.label));
    let mut options = ServerOptions::new(fixture);
    options.faults = faults.to_vec();
    tweak(&mut options);
    TestServer {
        server: spawn(options).await.expect("server starts"),
        http: http_client(),
        world,
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

    /// A 2026-07-28 request: the `_meta` envelope merged into `params` (what `params._meta` already
    /// says is kept), the standard headers repeating the body, the bearer, then `extra`, which
    /// replaces a standard header of the same name or, with an empty value, removes it.
    pub async fn modern(
        &self,
        path: &str,
        token: Option<&str>,
        method: &str,
        params: Value,
        extra: &[(&str, &str)],
    ) -> Reply {
        let mut params = params;
        let meta = params["_meta"].as_object().cloned().unwrap_or_default();
        let mut envelope = json!({
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": "reference-server-tests", "version": "1"},
        });
        for (k, v) in meta {
            envelope[k] = v;
        }
        params["_meta"] = envelope;
        let version = params["_meta"]["io.modelcontextprotocol/protocolVersion"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let name = ["name", "uri", "taskId"]
            .iter()
            .find_map(|k| params[*k].as_str())
            .map(String::from);
        let bearer = token.map(|t| format!("Bearer {t}"));
        let mut headers: Vec<(&str, &str)> = vec![
            ("content-type", "application/json"),
            ("accept", ACCEPT_BOTH),
            ("mcp-protocol-version", &version),
            ("mcp-method", method),
        ];
        if let Some(name) = &name {
            headers.push(("mcp-name", name));
        }
        if let Some(bearer) = &bearer {
            headers.push(("authorization", bearer));
        }
        for (name, value) in extra {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            if !value.is_empty() {
                headers.push((name, value));
            }
        }
        let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        self.send(Method::POST, path, &headers, Some(body.to_string()))
            .await
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

    /// GET a JSON document, asserting 200.
    pub async fn get_json(&self, path: &str) -> Value {
        let response = self
            .http
            .get(self.url(path))
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.json().await.expect("a JSON body")
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

// ---------------------------------------------------------------------------------------------
// OAuth: a host's side of the flow, over plain HTTP with a cookie jar (the browser popup stand-in).

pub const CHATGPT_REDIRECT: &str = "https://chatgpt.com/connector_platform_oauth_redirect";

/// One authorization attempt's client-side secrets.
#[derive(Debug, Clone)]
pub struct Flow {
    pub client_id: String,
    pub redirect_uri: String,
    pub verifier: String,
    pub challenge: String,
    pub state: String,
    pub resource: String,
}

pub fn pkce_pair() -> (String, String) {
    use base64::Engine as _;
    use sha2::Digest as _;
    let verifier = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// A browser: keeps cookies, does not follow redirects (the test follows them to see each step).
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("browser client")
}

/// The value of a form field in an HTML page.
pub fn form_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(
        html[start..end]
            .replace("&amp;", "&")
            .replace("&quot;", "\""),
    )
}

/// Where a popup ended: at the client's redirect URI, or on a page of the server.
#[derive(Debug)]
pub enum PopupEnd {
    Redirected(url::Url),
    Page { status: StatusCode, html: String },
}

impl PopupEnd {
    pub fn redirect(&self) -> &url::Url {
        match self {
            PopupEnd::Redirected(u) => u,
            PopupEnd::Page { status, html } => {
                panic!("expected a redirect to the client, got page {status}: {html}")
            }
        }
    }

    pub fn query(&self, name: &str) -> Option<String> {
        self.redirect()
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

impl TestServer {
    /// POST /oauth/register with `body`: the status and the JSON answer.
    pub async fn register(&self, body: &Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.url("/oauth/register"))
            .json(body)
            .send()
            .await
            .expect("registration is answered");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn register_public_client(&self, redirect_uri: &str) -> String {
        let reply: Value = self
            .http
            .post(self.url("/oauth/register"))
            .json(&json!({
                "client_name": "Test Host",
                "redirect_uris": [redirect_uri],
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "none"
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        reply["client_id"].as_str().expect("client_id").to_owned()
    }

    pub async fn new_flow(&self, endpoint_path: &str) -> Flow {
        let client_id = self.register_public_client(CHATGPT_REDIRECT).await;
        let (verifier, challenge) = pkce_pair();
        Flow {
            client_id,
            redirect_uri: CHATGPT_REDIRECT.to_owned(),
            verifier,
            challenge,
            state: format!("st-{}", uuid::Uuid::new_v4().simple()),
            resource: self.url(endpoint_path),
        }
    }

    pub fn authorize_url(&self, flow: &Flow, scope: Option<&str>) -> String {
        let mut url = url::Url::parse(&self.url("/oauth/authorize")).unwrap();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &flow.client_id)
                .append_pair("redirect_uri", &flow.redirect_uri)
                .append_pair("state", &flow.state)
                .append_pair("code_challenge", &flow.challenge)
                .append_pair("code_challenge_method", "S256")
                .append_pair("resource", &flow.resource);
            if let Some(s) = scope {
                q.append_pair("scope", s);
            }
        }
        url.to_string()
    }

    /// Drives a popup from `start`: follows the server's redirects, signs in on the login page, clicks
    /// `decision` on the consent page, and stops at the first redirect that leaves the server.
    pub async fn popup(
        &self,
        browser: &reqwest::Client,
        start: &str,
        email: &str,
        password: &str,
        decision: &str,
    ) -> PopupEnd {
        let mut next = Some((Method::GET, start.to_owned(), None::<Vec<(String, String)>>));
        for _ in 0..10 {
            let Some((method, url, form)) = next.take() else {
                break;
            };
            let mut request = browser.request(method, &url);
            if let Some(form) = form {
                request = request.form(&form);
            }
            let response = request.send().await.expect("AS answers");
            let status = response.status();
            if status.is_redirection() {
                let location = response.headers()["location"].to_str().unwrap().to_owned();
                let absolute = url::Url::parse(&self.url("/"))
                    .unwrap()
                    .join(&location)
                    .unwrap();
                if !absolute.as_str().starts_with(&self.server.base_url) {
                    return PopupEnd::Redirected(absolute);
                }
                next = Some((Method::GET, absolute.to_string(), None));
                continue;
            }
            let html = response.text().await.unwrap();
            if html.contains("action=\"/oauth/login\"") && status == StatusCode::OK {
                let form = vec![
                    ("request".to_owned(), form_field(&html, "request").unwrap()),
                    ("csrf".to_owned(), form_field(&html, "csrf").unwrap()),
                    ("email".to_owned(), email.to_owned()),
                    ("password".to_owned(), password.to_owned()),
                ];
                next = Some((Method::POST, self.url("/oauth/login"), Some(form)));
                continue;
            }
            if html.contains("action=\"/oauth/consent\"") {
                let form = vec![
                    ("request".to_owned(), form_field(&html, "request").unwrap()),
                    ("csrf".to_owned(), form_field(&html, "csrf").unwrap()),
                    ("decision".to_owned(), decision.to_owned()),
                ];
                next = Some((Method::POST, self.url("/oauth/consent"), Some(form)));
                continue;
            }
            return PopupEnd::Page { status, html };
        }
        panic!("the popup did not settle after 10 steps");
    }

    pub async fn token_request(&self, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.url("/oauth/token"))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn exchange_code(&self, flow: &Flow, code: &str) -> (StatusCode, Value) {
        self.token_request(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &flow.redirect_uri),
            ("client_id", &flow.client_id),
            ("code_verifier", &flow.verifier),
            ("resource", &flow.resource),
        ])
        .await
    }

    pub async fn refresh(&self, flow: &Flow, refresh_token: &str) -> (StatusCode, Value) {
        self.token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", &flow.client_id),
            ("resource", &flow.resource),
        ])
        .await
    }

    /// The whole flow for `email` on `endpoint_path`: register, authorize, sign in, consent, exchange.
    pub async fn connect(&self, email: &str, endpoint_path: &str) -> (Flow, Value) {
        let flow = self.new_flow(endpoint_path).await;
        let password = (self.world.password)(email);
        let end = self
            .popup(
                &browser(),
                &self.authorize_url(&flow, None),
                email,
                &password,
                "authorize",
            )
            .await;
        let code = end.query("code").expect("an authorization code");
        let (status, tokens) = self.exchange_code(&flow, &code).await;
        assert_eq!(status, StatusCode::OK, "token exchange: {tokens}");
        (flow, tokens)
    }
}
