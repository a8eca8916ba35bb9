//! UI vocabulary shared by the hosts, the renderer and the checks: the two paths a tool can point a
//! host at a view (MCP Apps, the Apps SDK), the links a tool declares, the mime type each path needs,
//! and the view's HTML inside a `resources/read` entry. A leaf module: it imports nothing of ours.

use serde::Deserialize;
use serde_json::Value;

/// The MCP Apps mime type (spec/mcp.md §8.2) and the Apps SDK's (§8.5).
pub const MCP_APP_MIME: &str = "text/html;profile=mcp-app";
pub const SKYBRIDGE_MIME: &str = "text/html+skybridge";

/// A way a host renders a tool's UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UiPath {
    /// MCP Apps: `_meta.ui.resourceUri`, `text/html;profile=mcp-app`.
    McpApps,
    /// The Apps SDK: `_meta["openai/outputTemplate"]`, `text/html+skybridge`, `window.openai`.
    OpenaiSkybridge,
}

impl UiPath {
    pub const ALL: [UiPath; 2] = [UiPath::McpApps, UiPath::OpenaiSkybridge];

    pub fn as_str(self) -> &'static str {
        match self {
            UiPath::McpApps => "mcp-apps",
            UiPath::OpenaiSkybridge => "openai-skybridge",
        }
    }

    /// The words a report uses.
    pub fn describe(self) -> &'static str {
        match self {
            UiPath::McpApps => "MCP Apps",
            UiPath::OpenaiSkybridge => "Apps SDK skybridge",
        }
    }

    /// The path with the tool key that declares it, for findings.
    pub fn declared_as(self) -> &'static str {
        match self {
            UiPath::McpApps => "mcp-apps (_meta.ui.resourceUri)",
            UiPath::OpenaiSkybridge => "openai-skybridge (openai/outputTemplate)",
        }
    }

    /// The mime type a host requires before it renders a resource on this path.
    pub fn mime_type(self) -> &'static str {
        match self {
            UiPath::McpApps => MCP_APP_MIME,
            UiPath::OpenaiSkybridge => SKYBRIDGE_MIME,
        }
    }

    /// The resource a tool points at on this path.
    pub fn resource_uri(self, tool: &Value) -> Option<&str> {
        let meta = &tool["_meta"];
        match self {
            // The flat key is deprecated but still read by hosts.
            UiPath::McpApps => meta["ui"]["resourceUri"]
                .as_str()
                .or_else(|| meta["ui/resourceUri"].as_str()),
            UiPath::OpenaiSkybridge => meta["openai/outputTemplate"].as_str(),
        }
    }

    /// Whether `mime` (as a server sent it) is this path's type. Media types compare
    /// case-insensitively and parameters may carry spaces (RFC 9110 §8.3.1).
    pub fn accepts_mime(self, mime: &str) -> bool {
        normalize_mime(mime) == self.mime_type()
    }
}

/// `mime` lower-cased and without spaces, as the paths' types are written.
pub fn normalize_mime(mime: &str) -> String {
    mime.replace(' ', "").to_ascii_lowercase()
}

/// A UI a tool declares on one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiLink {
    pub path: UiPath,
    pub uri: String,
}

impl UiLink {
    /// The mime type this path's resources must have.
    pub fn mime_type(&self) -> &'static str {
        self.path.mime_type()
    }
}

/// Every UI a tool declares, on either path.
pub fn ui_links(tool: &Value) -> Vec<UiLink> {
    UiPath::ALL
        .iter()
        .filter_map(|path| {
            path.resource_uri(tool).map(|uri| UiLink {
                path: *path,
                uri: uri.to_owned(),
            })
        })
        .collect()
}

/// The view's HTML from a `resources/read` content entry (`text`, or base64 `blob`).
pub fn resource_html(content: &Value) -> Option<String> {
    use base64::Engine;
    if let Some(text) = content["text"].as_str() {
        return Some(text.to_owned());
    }
    let blob = content["blob"].as_str()?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(blob)
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// The `ui.domain` Claude accepts for a view served to the connector at `url`: the first 32 hex digits
/// of the URL's SHA-256, under claudemcpcontent.com (hosts-observed A38).
pub fn claude_ui_domain(url: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(url.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}.claudemcpcontent.com", &hex[..32])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn links_are_read_from_both_keys_and_the_deprecated_flat_one() {
        let tool =
            json!({"_meta": {"ui/resourceUri": "ui://a", "openai/outputTemplate": "ui://b"}});
        let links = ui_links(&tool);
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].path, UiPath::McpApps);
        assert_eq!(links[0].uri, "ui://a");
        assert_eq!(links[1].mime_type(), SKYBRIDGE_MIME);
        assert!(ui_links(&json!({"name": "x"})).is_empty());
    }

    #[test]
    fn mime_types_compare_without_case_or_spaces() {
        assert!(UiPath::McpApps.accepts_mime("Text/HTML; profile=mcp-app"));
        assert!(!UiPath::McpApps.accepts_mime("text/html"));
        assert!(UiPath::OpenaiSkybridge.accepts_mime("text/html+skybridge"));
    }

    #[test]
    fn html_comes_from_text_or_a_base64_blob() {
        assert_eq!(
            resource_html(&json!({"text": "<p>"})).as_deref(),
            Some("<p>")
        );
        assert_eq!(
            resource_html(&json!({"blob": "PHA+"})).as_deref(),
            Some("<p>")
        );
        assert_eq!(resource_html(&json!({"blob": "%%"})), None);
    }
}
