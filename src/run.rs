//! The main job against the embedded reference server: start it on an ephemeral loopback port, then
//! for every project endpoint it serves, connect as a custom host would (an API key minted through the
//! admin API), initialize, page through `tools/list`, and summarise what each endpoint offers.

use std::time::Duration;

use metabind_reference_server::{spawn, ServerOptions};
use serde_json::{json, Value};

/// One endpoint's outcome.
#[derive(Debug, Clone)]
pub struct EndpointSummary {
    pub path: String,
    pub protocol_version: Option<String>,
    pub tools: Vec<String>,
    pub has_instructions: bool,
    pub error: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot start the embedded reference server: {0}")]
    Start(String),
    #[error("the embedded reference server did not answer {what}: {why}")]
    Admin { what: String, why: String },
}

const TIMEOUT: Duration = Duration::from_secs(20);

/// Runs the probe against a fresh embedded server.
pub async fn run_embedded() -> Result<Vec<EndpointSummary>, RunError> {
    let options =
        ServerOptions::with_default_fixture().map_err(|e| RunError::Start(e.to_string()))?;
    let server = spawn(options)
        .await
        .map_err(|e| RunError::Start(e.to_string()))?;
    let http = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| RunError::Start(e.to_string()))?;
    let admin = |method: reqwest::Method, path: &str| {
        http.request(method, server.url(path))
            .bearer_auth(&server.admin_key)
    };
    let admin_err = |what: &str, e: reqwest::Error| RunError::Admin {
        what: what.to_owned(),
        why: e.to_string(),
    };
    let state: Value = admin(reqwest::Method::GET, "/_admin/state")
        .send()
        .await
        .map_err(|e| admin_err("GET /_admin/state", e))?
        .json()
        .await
        .map_err(|e| admin_err("GET /_admin/state", e))?;
    let mut summaries = Vec::new();
    for org in state["organizations"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let org_id = org["id"].as_str().unwrap_or_default().to_owned();
        let owner = org["members"]
            .as_array()
            .and_then(|m| m.iter().find(|m| m["role"] == "Owner"))
            .and_then(|m| m["email"].as_str())
            .unwrap_or_default()
            .to_owned();
        for project in org["projects"].as_array().cloned().unwrap_or_default() {
            let project_id = project["id"].as_str().unwrap_or_default();
            let path = format!("/_admin/orgs/{org_id}/projects/{project_id}/api-keys");
            let key: Value = admin(reqwest::Method::POST, &path)
                .json(&json!({"name": "metabind-conformance-probe", "created_by": owner}))
                .send()
                .await
                .map_err(|e| admin_err(&path, e))?
                .json()
                .await
                .map_err(|e| admin_err(&path, e))?;
            let key = key["key"].as_str().unwrap_or_default().to_owned();
            for suffix in ["", "/draft"] {
                let endpoint = format!("/{org_id}/{project_id}{suffix}");
                summaries.push(probe(&http, &server.url(&endpoint), &endpoint, &key).await);
            }
        }
    }
    let _ = server.stop().await;
    Ok(summaries)
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    key: &str,
    session: Option<&str>,
    body: Value,
) -> Result<(reqwest::StatusCode, Option<String>, Value), String> {
    let mut request = http
        .post(url)
        .bearer_auth(key)
        .header("accept", "application/json, text/event-stream")
        .json(&body);
    if let Some(s) = session {
        request = request.header("mcp-session-id", s);
    }
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let session = response
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let text = response.text().await.map_err(|e| e.to_string())?;
    let value = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok((status, session, value))
}

async fn probe(http: &reqwest::Client, url: &str, path: &str, key: &str) -> EndpointSummary {
    let mut summary = EndpointSummary {
        path: path.to_owned(),
        protocol_version: None,
        tools: Vec::new(),
        has_instructions: false,
        error: None,
    };
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "metabind-conformance", "version": env!("CARGO_PKG_VERSION")}}});
    let (status, session, body) = match post(http, url, key, None, init).await {
        Ok(r) => r,
        Err(e) => {
            summary.error = Some(e);
            return summary;
        }
    };
    if !status.is_success() || body.get("result").is_none() {
        summary.error = Some(format!("initialize answered {status}: {body}"));
        return summary;
    }
    summary.protocol_version = body["result"]["protocolVersion"].as_str().map(String::from);
    summary.has_instructions = body["result"]["instructions"].is_string();
    let session = session.as_deref();
    let _ = post(
        http,
        url,
        key,
        session,
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .await;
    let mut cursor: Option<String> = None;
    for page in 2..52 {
        let mut params = json!({});
        if let Some(c) = &cursor {
            params["cursor"] = json!(c);
        }
        let request =
            json!({"jsonrpc": "2.0", "id": page, "method": "tools/list", "params": params});
        match post(http, url, key, session, request).await {
            Ok((_, _, body)) if body.get("result").is_some() => {
                for tool in body["result"]["tools"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                {
                    summary
                        .tools
                        .push(tool["name"].as_str().unwrap_or("?").to_owned());
                }
                match body["result"]["nextCursor"].as_str() {
                    Some(next) => cursor = Some(next.to_owned()),
                    None => return summary,
                }
            }
            Ok((status, _, body)) => {
                summary.error = Some(format!("tools/list answered {status}: {body}"));
                return summary;
            }
            Err(e) => {
                summary.error = Some(e);
                return summary;
            }
        }
    }
    summary.error = Some("tools/list did not end after 50 pages".to_owned());
    summary
}

/// The human-readable table.
pub fn render_table(summaries: &[EndpointSummary]) -> String {
    let mut out = format!(
        "{:<30} {:<8} {:<11} {:>5}  {}\n",
        "endpoint", "status", "protocol", "tools", "instructions"
    );
    for s in summaries {
        let status = if s.error.is_some() { "FAIL" } else { "ok" };
        out.push_str(&format!(
            "{:<30} {:<8} {:<11} {:>5}  {}\n",
            s.path,
            status,
            s.protocol_version.as_deref().unwrap_or("-"),
            s.tools.len(),
            if s.has_instructions { "yes" } else { "no" }
        ));
        if let Some(e) = &s.error {
            out.push_str(&format!("    error: {e}\n"));
        }
    }
    out
}
