//! The popup in the run's headless Chromium (`crate::browser`). Each popup gets a fresh incognito
//! context, or the user's own context when it belongs to a browser session. A small host page served on loopback opens the popup with `window.open` the way a host's
//! Connect button does: a blank window first, within the click, then navigated to the authorization
//! URL once it is known. Before that navigation the driver installs in the popup an autopilot script
//! (sign in, consent, report where it got stuck) and intercepts requests to the host's redirect URI, so
//! the real URIs are registered and nothing leaves the machine.

use std::sync::Arc;
use std::time::Instant;

use chromiumoxide::cdp::browser_protocol::browser::BrowserContextId;
use chromiumoxide::cdp::browser_protocol::fetch::{
    EnableParams as FetchEnableParams, EventRequestPaused, FailRequestParams, RequestPattern,
    RequestStage,
};
use chromiumoxide::cdp::browser_protocol::network::ErrorReason;
use chromiumoxide::cdp::browser_protocol::page::AddScriptToEvaluateOnNewDocumentParams;
use chromiumoxide::cdp::browser_protocol::target::{
    CreateBrowserContextParams, CreateTargetParams, EventTargetCreated, GetTargetsParams, TargetId,
};
use chromiumoxide::cdp::js_protocol::runtime::{
    AddBindingParams, EvaluateParams, EventBindingCalled,
};
use chromiumoxide::Page;
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::task::JoinHandle;

use super::{Error, PopupOutcome, PopupReport, PopupRequest};
use crate::browser::{browser_error, next_binding_call, Chromium};

impl From<crate::browser::BrowserError> for Error {
    fn from(e: crate::browser::BrowserError) -> Self {
        Error::Browser(e.0)
    }
}

const AUTOPILOT: &str = include_str!("autopilot.js");
const BINDING: &str = "__metabindPopup";

/// The host page: a Connect button's handler, as hosts write it. Whether `window.open` gets a window is
/// Chromium's decision (its blocker wants a user gesture).
fn host_page(title: &str) -> String {
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><button id="connect">Connect</button>
<script>
window.metabindHost = {{
  popup: null,
  open: function () {{
    this.popup = window.open("about:blank", "mcp_oauth", "popup,width=480,height=720");
    return !!this.popup;
  }},
  navigate: function (url) {{ this.popup.location.href = url; return true; }}
}};
</script></body></html>"#
    )
}

/// Popups in the run's Chromium, and the loopback server for the host page.
pub struct BrowserPopups {
    chromium: Arc<Chromium>,
    host_server: JoinHandle<()>,
    host_url: String,
    /// Contexts that outlive a popup: one user's browser session, by key.
    sessions: std::sync::Mutex<std::collections::HashMap<String, BrowserContextId>>,
}

impl Drop for BrowserPopups {
    fn drop(&mut self) {
        self.host_server.abort();
    }
}

/// Escapes a URL for a Fetch pattern, where `*` and `?` are wildcards and `\` escapes.
fn fetch_pattern(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '*' | '?' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('*');
    out
}

impl BrowserPopups {
    /// Serves the host page for popups in `chromium`.
    pub async fn start(chromium: Arc<Chromium>) -> Result<BrowserPopups, Error> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| browser_error("cannot bind the host page server", e))?;
        let host_url = format!(
            "http://{}/host",
            listener
                .local_addr()
                .map_err(|e| browser_error("host page server", e))?
        );
        let app = axum::Router::new().route(
            "/host",
            axum::routing::get(
                |axum::extract::Query(q): axum::extract::Query<Vec<(String, String)>>| async move {
                    let title = q
                        .iter()
                        .find(|(k, _)| k == "host")
                        .map(|(_, v)| {
                            v.chars()
                                .filter(|c| c.is_alphanumeric() || *c == ' ')
                                .collect()
                        })
                        .unwrap_or_else(|| "MCP host".to_owned());
                    axum::response::Html(host_page(&title))
                },
            ),
        );
        let host_server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(BrowserPopups {
            chromium,
            host_server,
            host_url,
            sessions: Default::default(),
        })
    }

    /// Opens the host page in the session's context (a fresh incognito one without a session): a
    /// host window ready for its Connect click.
    async fn host_window(
        self: &Arc<Self>,
        session: Option<&str>,
    ) -> Result<(BrowserContextId, Page), Error> {
        let existing = session.and_then(|key| {
            self.sessions
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(key)
                .cloned()
        });
        let context = match existing {
            Some(context) => context,
            None => {
                let context = self
                    .chromium
                    .browser()
                    .create_browser_context(CreateBrowserContextParams::default())
                    .await
                    .map_err(|e| browser_error("cannot create an incognito context", e))?;
                if let Some(key) = session {
                    self.sessions
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(key.to_owned(), context.clone());
                }
                context
            }
        };
        let target = CreateTargetParams::builder()
            .url(&self.host_url)
            .browser_context_id(context.clone())
            .build()
            .map_err(|e| browser_error("host window", e))?;
        let host = match self.chromium.browser().new_page(target).await {
            Ok(page) => page,
            Err(e) => {
                self.dispose(context);
                return Err(browser_error("cannot open the host page", e).into());
            }
        };
        if let Err(e) = host.wait_for_navigation().await {
            self.dispose(context);
            return Err(browser_error("the host page did not load", e).into());
        }
        Ok((context, host))
    }

    /// The browser the popups run in (the renderer shares it).
    pub fn chromium(&self) -> &Arc<Chromium> {
        &self.chromium
    }

    fn dispose(&self, context: BrowserContextId) {
        self.chromium.dispose(context);
    }

    /// Closes the sessions whose keys start with `prefix`.
    pub fn end_sessions(self: &Arc<Self>, prefix: &str) {
        let ended: Vec<BrowserContextId> = {
            let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
            let keys: Vec<String> = sessions
                .keys()
                .filter(|k| k.starts_with(prefix))
                .cloned()
                .collect();
            keys.iter().filter_map(|k| sessions.remove(k)).collect()
        };
        for context in ended {
            self.dispose(context);
        }
    }

    pub async fn open(self: &Arc<Self>, request: &PopupRequest<'_>) -> Result<PopupReport, Error> {
        let (context, host) = self.host_window(request.session).await?;
        let stage = Stage::default();
        let result =
            tokio::time::timeout(request.timeout, self.drive(&host, request, &stage)).await;
        let report = match result {
            Ok(Ok(report)) => Ok(report),
            Ok(Err(e)) => Err(e),
            Err(_) => Ok(PopupReport {
                authorization_url: request.authorization_url.to_owned(),
                outcome: PopupOutcome::TimedOut {
                    url: request.authorization_url.to_owned(),
                    waiting_for: stage.get().to_owned(),
                },
                driver: "browser",
                elapsed: request.timeout,
                signed_in: false,
            }),
        };
        if request.session.is_some() {
            // The session lives on; its windows do not.
            let _ = host.close().await;
        } else {
            self.dispose(context);
        }
        report
    }

    async fn drive(
        &self,
        host: &Page,
        request: &PopupRequest<'_>,
        stage: &Stage,
    ) -> Result<PopupReport, Error> {
        stage.set("the browser's target events");
        let mut created = self
            .chromium
            .browser()
            .event_listener::<EventTargetCreated>()
            .await
            .map_err(|e| browser_error("target events", e))?;
        // The listener is registered by the DevTools handler task, which may already be past its
        // queue when the Connect click goes out on the page's own channel; a browser command sent
        // after it and answered means the listener is in place before the popup can be reported.
        self.targets_opened_by(host).await?;
        let started = Instant::now();
        let open = EvaluateParams::builder()
            .expression("metabindHost.open()")
            .user_gesture(request.from_click)
            .return_by_value(true)
            .build()
            .map_err(|e| browser_error("evaluate", e))?;
        stage.set("the host page's Connect handler");
        let opened = host
            .evaluate_expression(open)
            .await
            .map_err(|e| browser_error("the host page's Connect handler failed", e))?;
        if opened.value() != Some(&Value::Bool(true)) {
            return Ok(PopupReport {
                authorization_url: request.authorization_url.to_owned(),
                outcome: PopupOutcome::Blocked,
                driver: "browser",
                elapsed: started.elapsed(),
                signed_in: false,
            });
        }
        stage.set("the popup window to appear");
        let popup_id = self.popup_of(host, &mut created).await?;
        stage.set("the browser to attach to the popup window");
        let popup = self.chromium.page(popup_id).await?;
        stage.set("the popup window to accept the autopilot");
        let mut paused = popup
            .event_listener::<EventRequestPaused>()
            .await
            .map_err(|e| browser_error("fetch events", e))?;
        let mut reports = popup
            .event_listener::<EventBindingCalled>()
            .await
            .map_err(|e| browser_error("binding events", e))?;
        let pattern = RequestPattern::builder()
            .url_pattern(fetch_pattern(request.redirect_uri))
            .request_stage(RequestStage::Request)
            .build();
        popup
            .execute(FetchEnableParams::builder().pattern(pattern).build())
            .await
            .map_err(|e| browser_error("cannot intercept the redirect URI", e))?;
        popup
            .execute(AddBindingParams::new(BINDING))
            .await
            .map_err(|e| browser_error("cannot add the report binding", e))?;
        let config = json!({
            "credentials": request.credentials.is_some(),
            "email": request.credentials.map(|c| c.email.as_str()).unwrap_or_default(),
            "password": request.credentials.map(|c| c.password.as_str()).unwrap_or_default(),
            "selectors": request.selectors,
            "redirectUri": request.redirect_uri,
        });
        popup
            .execute(AddScriptToEvaluateOnNewDocumentParams::new(
                AUTOPILOT.replace("__CONFIG__", &config.to_string()),
            ))
            .await
            .map_err(|e| browser_error("cannot install the autopilot", e))?;
        let navigate = format!(
            "metabindHost.navigate({})",
            serde_json::to_string(request.authorization_url).unwrap_or_default()
        );
        stage.set("the host page to navigate the popup");
        host.evaluate_expression(navigate)
            .await
            .map_err(|e| browser_error("cannot navigate the popup", e))?;
        stage.set("the authorization server's pages (sign-in, consent, redirect)");
        let mut signed_in = false;
        let outcome = loop {
            tokio::select! {
                Some(event) = paused.next() => {
                    // Abort the navigation: the host's real page is not ours to load.
                    let _ = popup
                        .execute(FailRequestParams::new(event.request_id.clone(), ErrorReason::Aborted))
                        .await;
                    break PopupOutcome::Callback(event.request.url.clone());
                }
                Some(event) = next_binding_call(&mut reports, BINDING) => {
                    if is_progress(&event.payload) {
                        signed_in = true;
                        continue;
                    }
                    break report_outcome(&event.payload);
                }
                else => return Err(Error::Browser("the popup closed its event streams".into())),
            }
        };
        if request.session.is_some() {
            let _ = popup.close().await;
        }
        Ok(PopupReport {
            authorization_url: request.authorization_url.to_owned(),
            outcome,
            driver: "browser",
            elapsed: started.elapsed(),
            signed_in,
        })
    }

    /// The window `host` opened: its target-created event, or, should that event go missing, the
    /// browser's own list of targets (asked when no event came for a while).
    async fn popup_of(
        &self,
        host: &Page,
        created: &mut chromiumoxide::listeners::EventStream<EventTargetCreated>,
    ) -> Result<TargetId, Error> {
        // Other popups' events keep coming: the check runs on its own clock, not after a quiet spell.
        let mut check = tokio::time::interval_at(
            tokio::time::Instant::now() + TARGET_EVENT_GRACE,
            TARGET_EVENT_GRACE,
        );
        loop {
            tokio::select! {
                event = created.next() => {
                    let Some(event) = event else {
                        return Err(Error::Browser("the browser stopped reporting targets".into()));
                    };
                    if event.target_info.opener_id.as_ref() == Some(host.target_id()) {
                        return Ok(event.target_info.target_id.clone());
                    }
                }
                _ = check.tick() => {
                    if let Some(id) = self.targets_opened_by(host).await?.into_iter().next() {
                        return Ok(id);
                    }
                }
            }
        }
    }

    /// The page targets whose opener is `host`, from the browser's list.
    async fn targets_opened_by(&self, host: &Page) -> Result<Vec<TargetId>, Error> {
        let targets = self
            .chromium
            .browser()
            .execute(GetTargetsParams::default())
            .await
            .map_err(|e| browser_error("cannot list the browser's targets", e))?;
        Ok(targets
            .result
            .target_infos
            .iter()
            .filter(|t| t.opener_id.as_ref() == Some(host.target_id()))
            .map(|t| t.target_id.clone())
            .collect())
    }
}

/// How long a popup's target-created event may lag before the browser's target list is asked.
const TARGET_EVENT_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// What a popup is waiting for, for the time-out's message.
#[derive(Default)]
struct Stage(std::sync::Mutex<&'static str>);

impl Stage {
    fn set(&self, what: &'static str) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = what;
    }

    fn get(&self) -> &'static str {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The autopilot's note that it is filling in the sign-in page (not an outcome).
fn is_progress(payload: &str) -> bool {
    serde_json::from_str::<Value>(payload).is_ok_and(|r| r["kind"] == "signing_in")
}

fn report_outcome(payload: &str) -> PopupOutcome {
    let report: Value = serde_json::from_str(payload).unwrap_or(Value::Null);
    let text = report["text"].as_str().unwrap_or_default().to_owned();
    match report["kind"].as_str() {
        Some("needs_credentials") => PopupOutcome::NeedsCredentials,
        Some("login_failed") => PopupOutcome::LoginFailed(text),
        _ => PopupOutcome::Stopped {
            status: report["status"].as_u64().unwrap_or(0) as u16,
            text,
            return_link: report["returnLink"].as_str().map(String::from),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetch_patterns_escape_wildcards() {
        assert_eq!(
            fetch_pattern("https://claude.ai/api/mcp/auth_callback"),
            "https://claude.ai/api/mcp/auth_callback*"
        );
        assert_eq!(fetch_pattern("http://x/a?b*"), "http://x/a\\?b\\**");
    }

    #[test]
    fn reports_become_outcomes() {
        assert_eq!(
            report_outcome(r#"{"kind":"login_failed","text":"Wrong password"}"#),
            PopupOutcome::LoginFailed("Wrong password".into())
        );
        assert_eq!(
            report_outcome(
                r#"{"kind":"stopped","status":403,"text":"Not a member","returnLink":"https://h/cb?error=access_denied"}"#
            ),
            PopupOutcome::Stopped {
                status: 403,
                text: "Not a member".into(),
                return_link: Some("https://h/cb?error=access_denied".into())
            }
        );
    }
}
