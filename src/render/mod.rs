//! Rendering a tool's UI the way a host does, in the run's headless Chromium. Each render gets a fresh
//! incognito context holding a host page on one loopback origin that frames the view, served from a
//! second loopback origin (the sandbox origin) with the Content-Security-Policy the host builds from
//! the resource's declaration as a real HTTP header, so Chromium enforces it.
//!
//! - MCP Apps (`text/html;profile=mcp-app`): the host page answers `ui/initialize`, waits for
//!   `ui/notifications/initialized`, then sends `ui/notifications/tool-input` and
//!   `ui/notifications/tool-result` (spec/mcp.md §8.4).
//! - The Apps SDK (`text/html+skybridge`, ChatGPT): `window.openai` carries `toolInput`, `toolOutput`
//!   (the `structuredContent`) and `toolResponseMetadata` (the `_meta`) before the view's scripts run;
//!   that path has no handshake (§8.5).
//!
//! What the view did (loaded, handshake, visible text, uncaught errors, console errors, CSP violations)
//! and a PNG of the host window come back in a [`RenderRecord`]. Every wait has a deadline.

pub mod csp;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
use chromiumoxide::cdp::browser_protocol::page::{
    AddScriptToEvaluateOnNewDocumentParams, CaptureScreenshotFormat, NavigateParams,
};
use chromiumoxide::cdp::browser_protocol::target::CreateTargetParams;
use chromiumoxide::cdp::js_protocol::runtime::{AddBindingParams, EventBindingCalled};
use chromiumoxide::page::ScreenshotParams;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::browser::{next_binding_call, Chromium};
use crate::ui::{resource_html, UiPath};

const HOST_PAGE: &str = include_str!("host.html");
const INSTRUMENT: &str = include_str!("instrument.js");
const BINDING: &str = "__metabindRender";

/// The host window's size (CSS pixels): a chat column's card.
const WINDOW: (i64, i64) = (480, 280);

/// One view to render.
#[derive(Debug, Clone)]
pub struct RenderRequest {
    /// The host's id and display name (`chatgpt`, `ChatGPT`).
    pub host_id: String,
    pub host_name: String,
    pub path: UiPath,
    /// The tool as listed.
    pub tool: Value,
    pub arguments: Value,
    /// The `CallToolResult`.
    pub result: Value,
    /// The first entry of `resources/read`'s `contents`.
    pub resource: Value,
    /// How long the view has to load, answer the handshake and settle.
    pub timeout: Duration,
}

/// A CSP violation the view caused: a request the browser blocked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CspViolation {
    pub blocked_uri: String,
    pub directive: String,
}

/// The MCP Apps handshake as the host saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handshake {
    /// The view sent `ui/initialize` (and the host answered it).
    pub initialize: bool,
    /// The view then sent `ui/notifications/initialized`.
    pub initialized: bool,
    /// The host sent `tool-input` and `tool-result`.
    pub delivered: bool,
    /// Methods the view sent, in order.
    pub methods: Vec<String>,
}

/// What one render showed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RenderRecord {
    pub uri: String,
    pub mime_type: String,
    /// The policy put on the view document.
    pub csp: String,
    /// Declared CSP entries left out because they are not source expressions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub csp_rejected: Vec<String>,
    /// The view document finished loading in its frame.
    pub loaded: bool,
    /// MCP Apps only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handshake: Option<Handshake>,
    /// The view's visible text once it settled.
    pub text: String,
    pub uncaught_errors: Vec<String>,
    pub console_errors: Vec<String>,
    pub csp_violations: Vec<CspViolation>,
    /// The host window as a PNG (not serialized: reports write it next to themselves).
    #[serde(skip)]
    pub png: Vec<u8>,
    pub elapsed_ms: u64,
    /// The render hit its deadline before the view settled.
    pub timed_out: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("the browser failed to render: {0}")]
pub struct RenderError(String);

fn fail(what: &str, e: impl std::fmt::Display) -> RenderError {
    RenderError(format!("{what}: {e}"))
}

/// A registered render: what the two origins serve for it.
struct Job {
    host_page: String,
    view: String,
    csp: String,
}

/// The two loopback origins: host pages on one, views on the other.
pub struct RenderSite {
    jobs: Arc<Mutex<HashMap<u64, Job>>>,
    next: AtomicU64,
    host_origin: String,
    view_origin: String,
    servers: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for RenderSite {
    fn drop(&mut self) {
        for s in &self.servers {
            s.abort();
        }
    }
}

type Jobs = Arc<Mutex<HashMap<u64, Job>>>;

fn page(jobs: &Jobs, id: u64, view: bool) -> axum::response::Response {
    use axum::response::IntoResponse;
    let jobs = jobs.lock().unwrap_or_else(|e| e.into_inner());
    let Some(job) = jobs.get(&id) else {
        return (axum::http::StatusCode::NOT_FOUND, "no such render").into_response();
    };
    let mut response = if view {
        axum::response::Html(job.view.clone()).into_response()
    } else {
        axum::response::Html(job.host_page.clone()).into_response()
    };
    let headers = response.headers_mut();
    headers.insert("cache-control", "no-store".parse().expect("a header value"));
    if view {
        if let Ok(csp) = job.csp.parse() {
            headers.insert("content-security-policy", csp);
        }
    }
    response
}

impl RenderSite {
    pub async fn start() -> Result<RenderSite, RenderError> {
        let jobs: Jobs = Arc::default();
        let mut origins = Vec::new();
        let mut servers = Vec::new();
        for view in [false, true] {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|e| fail("cannot bind a render origin", e))?;
            let addr = listener
                .local_addr()
                .map_err(|e| fail("render origin", e))?;
            origins.push(format!("http://{addr}"));
            let jobs = Arc::clone(&jobs);
            let app = axum::Router::new().route(
                "/r/{id}",
                axum::routing::get(move |axum::extract::Path(id): axum::extract::Path<u64>| {
                    let jobs = Arc::clone(&jobs);
                    async move { page(&jobs, id, view) }
                }),
            );
            servers.push(tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            }));
        }
        Ok(RenderSite {
            jobs,
            next: AtomicU64::new(1),
            view_origin: origins.pop().unwrap_or_default(),
            host_origin: origins.pop().unwrap_or_default(),
            servers,
        })
    }
}

/// What the host page and the instrumentation report through the binding.
#[derive(Debug, Deserialize)]
struct Report {
    kind: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    message: String,
    #[serde(default, rename = "where")]
    location: String,
    #[serde(default, rename = "blockedUri")]
    blocked_uri: String,
    #[serde(default)]
    directive: String,
}

/// JSON for an inline `<script>`: `</script>` and HTML comments cannot end it early.
fn script_json(value: &Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn html_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Renders views in the run's Chromium; its two loopback origins start with the first render.
pub struct Renderer {
    chromium: Arc<Chromium>,
    site: tokio::sync::OnceCell<RenderSite>,
}

impl Renderer {
    pub fn new(chromium: Arc<Chromium>) -> Renderer {
        Renderer {
            chromium,
            site: tokio::sync::OnceCell::new(),
        }
    }

    /// Renders one view in a fresh incognito context and reports what it did.
    pub async fn render(&self, request: &RenderRequest) -> Result<RenderRecord, RenderError> {
        let started = Instant::now();
        let site = self.site.get_or_try_init(RenderSite::start).await?;
        let meta = &request.resource["_meta"];
        let declared = match request.path {
            UiPath::McpApps => csp::Declared::mcp_apps(meta),
            UiPath::OpenaiSkybridge => csp::Declared::skybridge(meta),
        };
        let policy = csp::policy(declared.as_ref());
        let mut record = RenderRecord {
            uri: request.resource["uri"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            mime_type: request.resource["mimeType"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            csp: policy.clone(),
            csp_rejected: declared.map(|d| d.rejected).unwrap_or_default(),
            handshake: (request.path == UiPath::McpApps).then(Handshake::default),
            ..RenderRecord::default()
        };
        let id = site.next.fetch_add(1, Ordering::Relaxed);
        let view_url = format!("{}/r/{id}", site.view_origin);
        let host_url = format!("{}/r/{id}", site.host_origin);
        let tool_name = request.tool["name"].as_str().unwrap_or_default();
        let host_config = json!({
            "path": request.path.as_str(),
            "viewUrl": view_url,
            "viewOrigin": site.view_origin,
            "arguments": request.arguments,
            "result": request.result,
            "hostInfo": {"name": request.host_id, "version": env!("CARGO_PKG_VERSION")},
            "hostCapabilities": {"openLinks": {}, "serverTools": {}, "logging": {}},
            "hostContext": {
                "toolInfo": {"tool": request.tool},
                "theme": "light",
                "displayMode": "inline",
                "availableDisplayModes": ["inline"],
                "containerDimensions": {"maxHeight": 220},
                "locale": "en-US",
                "timeZone": "UTC",
                "platform": "web"
            }
        });
        let host_page = HOST_PAGE
            .replace(
                "__TITLE__",
                &html_text(&format!("{} – {tool_name}", request.host_name)),
            )
            .replace("__HOST__", &html_text(&request.host_name))
            .replace("__TOOL__", &html_text(tool_name))
            .replace("__PATH__", request.path.describe())
            .replace("__BINDING__", BINDING)
            .replace("__CONFIG__", &script_json(&host_config));
        let openai = (request.path == UiPath::OpenaiSkybridge).then(|| {
            json!({
                "toolInput": request.arguments,
                "toolOutput": request.result.get("structuredContent").cloned().unwrap_or(Value::Null),
                "toolResponseMetadata": request.result.get("_meta").cloned().unwrap_or(Value::Null),
                "widgetState": null,
                "theme": "light",
                "locale": "en-US",
                "displayMode": "inline",
                "maxHeight": 220,
                "userAgent": {"device": {"type": "desktop"}, "capabilities": {"hover": true, "touch": false}}
            })
        });
        let instrument = INSTRUMENT.replace(
            "__CONFIG__",
            &json!({"viewUrl": view_url, "binding": BINDING, "openai": openai}).to_string(),
        );
        site.jobs.lock().unwrap_or_else(|e| e.into_inner()).insert(
            id,
            Job {
                host_page,
                view: resource_html(&request.resource).unwrap_or_default(),
                csp: policy,
            },
        );
        let context = self
            .chromium
            .browser()
            .create_browser_context(Default::default())
            .await
            .map_err(|e| fail("cannot create an incognito context", e))?;
        let outcome = async {
            let target = CreateTargetParams::builder()
                .url("about:blank")
                .browser_context_id(context.clone())
                .build()
                .map_err(|e| fail("render window", e))?;
            let page = self
                .chromium
                .browser()
                .new_page(target)
                .await
                .map_err(|e| fail("cannot open a render window", e))?;
            tokio::time::timeout(
                request.timeout,
                drive(&page, &host_url, &instrument, request, &mut record),
            )
            .await
            .unwrap_or_else(|_| {
                record.timed_out = true;
                Ok(())
            })?;
            // The screenshot is taken whatever happened: it shows what the user would have seen.
            let shot = ScreenshotParams::builder()
                .format(CaptureScreenshotFormat::Png)
                .build();
            if let Ok(Ok(png)) =
                tokio::time::timeout(Duration::from_secs(5), page.screenshot(shot)).await
            {
                record.png = png;
            }
            Ok::<(), RenderError>(())
        }
        .await;
        site.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
        self.chromium.dispose(context);
        outcome?;
        record.elapsed_ms = started.elapsed().as_millis() as u64;
        Ok(record)
    }
}

/// After the view is ready (loaded; for MCP Apps, input and result delivered), it settles when its
/// text has not changed for this long.
const QUIET: Duration = Duration::from_millis(150);
/// How long an MCP Apps view has after loading to complete the handshake.
const HANDSHAKE: Duration = Duration::from_secs(3);

async fn drive(
    page: &chromiumoxide::Page,
    host_url: &str,
    instrument: &str,
    request: &RenderRequest,
    record: &mut RenderRecord,
) -> Result<(), RenderError> {
    let mut reports = page
        .event_listener::<EventBindingCalled>()
        .await
        .map_err(|e| fail("binding events", e))?;
    page.execute(
        SetDeviceMetricsOverrideParams::builder()
            .width(WINDOW.0)
            .height(WINDOW.1)
            .device_scale_factor(1.0)
            .mobile(false)
            .build()
            .map_err(|e| fail("window size", e))?,
    )
    .await
    .map_err(|e| fail("window size", e))?;
    page.execute(AddBindingParams::new(BINDING))
        .await
        .map_err(|e| fail("cannot add the report binding", e))?;
    page.execute(AddScriptToEvaluateOnNewDocumentParams::new(instrument))
        .await
        .map_err(|e| fail("cannot install the instrumentation", e))?;
    page.execute(NavigateParams::new(host_url))
        .await
        .map_err(|e| fail("cannot open the host page", e))?;
    let mcp_apps = request.path == UiPath::McpApps;
    // Until the view is ready, waits are bounded by the handshake allowance (once loaded) and the
    // caller's overall timeout; once ready, by the quiet period.
    let mut ready_at: Option<Instant> = None;
    let mut loaded_at: Option<Instant> = None;
    loop {
        let wait = match (ready_at, loaded_at) {
            (Some(_), _) => QUIET,
            (None, Some(loaded)) => HANDSHAKE.saturating_sub(loaded.elapsed()),
            (None, None) => request.timeout,
        };
        let event = match tokio::time::timeout(wait, next_binding_call(&mut reports, BINDING)).await
        {
            Ok(Some(event)) => event,
            Ok(None) => return Err(RenderError("the render window closed".into())),
            // Quiet after ready: settled. No handshake within the allowance: done waiting for it.
            Err(_) => return Ok(()),
        };
        let Ok(report) = serde_json::from_str::<Report>(&event.payload) else {
            continue;
        };
        match report.kind.as_str() {
            "loaded" => {
                record.loaded = true;
                loaded_at = Some(Instant::now());
                if !mcp_apps {
                    ready_at = Some(Instant::now());
                }
            }
            "message" => {
                if let Some(h) = record.handshake.as_mut() {
                    match report.method.as_str() {
                        "ui/initialize" => h.initialize = true,
                        "ui/notifications/initialized" => h.initialized = true,
                        _ => {}
                    }
                    h.methods.push(report.method);
                }
            }
            "delivered" => {
                if let Some(h) = record.handshake.as_mut() {
                    h.delivered = true;
                }
                ready_at = Some(Instant::now());
            }
            "text" => record.text = report.text.trim().to_owned(),
            "error" => record.uncaught_errors.push(if report.location.is_empty() {
                report.message
            } else {
                format!("{} ({})", report.message, report.location)
            }),
            "console" => record.console_errors.push(report.message),
            "csp" => {
                let violation = CspViolation {
                    blocked_uri: report.blocked_uri,
                    directive: report.directive,
                };
                if !record.csp_violations.contains(&violation) {
                    record.csp_violations.push(violation);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_json_cannot_close_its_script() {
        let s = script_json(&json!({"t": "</script><script>alert(1)</script>"}));
        assert!(!s.contains("</script>"), "{s}");
        assert_eq!(
            serde_json::from_str::<Value>(&s).unwrap()["t"],
            "</script><script>alert(1)</script>"
        );
    }
}
