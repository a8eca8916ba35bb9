//! The UI a host shows for a tool: the path it prefers among those the tool offers, the resource
//! behind it, and the view rendered in the browser as that host renders it.

use std::time::Duration;

use serde_json::{json, Value};

use super::HostConnector;
use crate::ui::{resource_html, ui_links, UiLink, UiPath};

/// How long a host gives a view to load, complete its handshake and settle.
const RENDER_TIMEOUT: Duration = Duration::from_secs(15);

/// One view a host rendered, or would not render, for a tool result.
#[derive(Debug, Clone)]
pub struct UiRender {
    pub tool: String,
    pub path: UiPath,
    /// The path this host shows by default: the first of its profile's paths the tool offers
    /// (ChatGPT prefers MCP Apps, as OpenAI recommends, but still renders the Apps SDK template).
    pub preferred: bool,
    pub outcome: UiRenderOutcome,
}

#[derive(Debug, Clone)]
pub enum UiRenderOutcome {
    Rendered(Box<crate::render::RenderRecord>),
    /// The host does not render it: the resource is unreadable or not served with the path's mime type.
    Refused {
        uri: String,
        reason: String,
    },
    /// The harness cannot render here: no browser (a skip), or the browser failed (a harness error).
    Unavailable {
        reason: String,
        browser_failed: bool,
    },
}

impl HostConnector {
    /// The UI this host would show for `tool`: the first of its paths the tool declares.
    pub fn ui_link(&self, tool: &Value) -> Option<UiLink> {
        let links = ui_links(tool);
        self.host
            .profile
            .ui
            .paths
            .iter()
            .find_map(|path| links.iter().find(|l| l.path == *path).cloned())
    }

    /// The UI paths this host renders that `tool` offers, in the profile's order of preference.
    pub fn ui_paths(&self, tool: &Value) -> Vec<UiPath> {
        self.host
            .profile
            .ui
            .paths
            .iter()
            .copied()
            .filter(|p| p.resource_uri(tool).is_some())
            .collect()
    }

    /// Renders a call's result on every path this host renders and the tool offers, as the host does:
    /// `resources/read` on the connector, the mime-type gate, then the view in the browser.
    pub async fn render_ui(
        &mut self,
        tool: &str,
        arguments: &Value,
        result: &Value,
    ) -> Vec<UiRender> {
        let Some(listed) = self.tool(tool).cloned() else {
            return Vec::new();
        };
        let mut renders = Vec::new();
        for (index, path) in self.ui_paths(&listed).into_iter().enumerate() {
            let uri = path.resource_uri(&listed).unwrap_or_default().to_owned();
            let outcome = self
                .render_path(path, &uri, &listed, arguments, result)
                .await;
            renders.push(UiRender {
                tool: tool.to_owned(),
                path,
                preferred: index == 0,
                outcome,
            });
        }
        renders
    }

    async fn render_path(
        &mut self,
        path: UiPath,
        uri: &str,
        tool: &Value,
        arguments: &Value,
        result: &Value,
    ) -> UiRenderOutcome {
        let refused = |reason: String| UiRenderOutcome::Refused {
            uri: uri.to_owned(),
            reason,
        };
        let content = match self.request("resources/read", &json!({ "uri": uri })).await {
            Ok(read) => read["contents"].get(0).cloned().unwrap_or(Value::Null),
            Err(outcome) => {
                return refused(format!("resources/read {uri} failed: {outcome:?}"));
            }
        };
        if resource_html(&content).is_none_or(|html| html.trim().is_empty()) {
            return refused(format!("resources/read {uri} returned no HTML"));
        }
        let domain = content["_meta"]["ui"]["domain"].as_str();
        if let Some(domain) = domain.filter(|_| self.host.profile.ui.hashed_domain) {
            let expected = crate::ui::claude_ui_domain(&self.url);
            if domain != expected && path == UiPath::McpApps {
                return refused(format!(
                    "Invalid ui.domain format: {uri} declares {domain}; {} shows a view only from {expected} (sha256 of the connector URL, hosts-observed A38), so the widget is blocked",
                    self.host.profile.name
                ));
            }
        }
        let mime = content["mimeType"].as_str().unwrap_or("none");
        if !path.accepts_mime(mime) {
            return refused(format!(
                "{} renders {} views only from {} resources; {uri} is served as {mime}",
                self.host.profile.name,
                path.describe(),
                path.mime_type()
            ));
        }
        let Some(renderer) = self.host.renderer.clone() else {
            return UiRenderOutcome::Unavailable {
                reason: "no browser: rendering needs Chromium (the run fell back to HTTP popups)"
                    .into(),
                browser_failed: false,
            };
        };
        let request = crate::render::RenderRequest {
            host_id: self.host.profile.id.clone(),
            host_name: self.host.profile.name.clone(),
            path,
            tool: tool.clone(),
            arguments: arguments.clone(),
            result: result.clone(),
            resource: content,
            timeout: RENDER_TIMEOUT,
        };
        match renderer.render(&request).await {
            Ok(record) => UiRenderOutcome::Rendered(Box::new(record)),
            Err(e) => UiRenderOutcome::Unavailable {
                reason: e.to_string(),
                browser_failed: true,
            },
        }
    }
}
