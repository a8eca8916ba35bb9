//! Host profiles: what a host does, as data (`fixtures/hosts/*.toml`), compiled in. Every behaviour
//! cites where it comes from in `[sources]`: a row of `../shared/spec/hosts-observed.md` with its
//! strength (`trace:` a wire trace or log, `doc:` the vendor's documentation or staff, `hearsay:`),
//! or `spec:` (what MCP says a client does) or `ours:` (a modelling choice). A field without a
//! source does not load.

use std::collections::BTreeMap;

use serde::Deserialize;

pub use crate::oauth::ScopeChoice;
use serde_json::Value;

use crate::ui::UiPath;

const BUILTIN: &[(&str, &str)] = &[
    ("chatgpt", include_str!("../../fixtures/hosts/chatgpt.toml")),
    (
        "claude-desktop",
        include_str!("../../fixtures/hosts/claude-desktop.toml"),
    ),
    ("generic", include_str!("../../fixtures/hosts/generic.toml")),
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostProfile {
    pub id: String,
    pub name: String,
    pub protocol: Protocol,
    pub auth: Auth,
    pub connect: Connect,
    pub annotations: Annotations,
    pub tasks: Tasks,
    pub limits: Limits,
    pub ui: Ui,
    /// The rules the host's directory publishes for listing a connector (`host.directory.ready`).
    #[serde(default)]
    pub directory: Directory,
    /// Where each behaviour comes from, keyed by field path: "trace: C18 …", "doc: …",
    /// "hearsay: …", "spec: …", "ours: …".
    #[serde(default)]
    pub sources: BTreeMap<String, String>,
}

/// The standings a source may have, strongest first.
pub const STANDINGS: [&str; 5] = ["trace", "doc", "hearsay", "spec", "ours"];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Protocol {
    pub version: String,
    pub client_info: Value,
    #[serde(default)]
    pub capabilities: Value,
    /// Requests after `initialize` carry `MCP-Protocol-Version` (Claude's follow-ups were seen
    /// without it).
    #[serde(default = "yes")]
    pub protocol_version_header: bool,
    /// Tool calls go on a fresh `initialize` without `Mcp-Session-Id`.
    #[serde(default)]
    pub tool_calls_without_session: bool,
    /// The host was reported sending tool calls without `Mcp-Session-Id` (ChatGPT in 2026-04), though
    /// newer traffic shows it keeping its session: a server that refuses such calls gets a warning.
    #[serde(default)]
    pub sessionless_calls_reported: bool,
    /// How a connection opens: `legacy` (initialize), `modern` (server/discover) or `probe-modern`
    /// (discover first, initialize when the server does not answer in the stateless era).
    #[serde(default)]
    pub opening: crate::wire::Opening,
    /// On the legacy path, send `MCP-Protocol-Version: 2026-07-28` instead of the negotiated version
    /// (reported of Claude; an option, off unless a variant turns it on).
    #[serde(default)]
    pub modern_version_header_after_legacy: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthKind {
    /// OAuth with the authorization popup.
    Oauth,
    /// A bearer token given to the host (API key or minted token).
    Bearer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Registration {
    Cimd,
    Dcr,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    pub kind: AuthKind,
    pub redirect_uri: Option<String>,
    /// In order of preference; the first the authorization server supports is used.
    #[serde(default)]
    pub registration: Vec<Registration>,
    #[serde(default)]
    pub client_name: Option<String>,
    #[serde(default = "yes")]
    pub popup_from_click: bool,
    #[serde(default)]
    pub reconnect_omits_scope: bool,
    /// The `token_endpoint_auth_method` asked for at dynamic registration; absent: the first the
    /// authorization server lists of none, client_secret_basic, client_secret_post.
    #[serde(default)]
    pub dcr_auth_method: Option<String>,
    /// What the host does when the registration response names another method.
    #[serde(default)]
    pub dcr_returned_method: ReturnedMethod,
    /// How the host chooses `scope` at /authorize.
    #[serde(default)]
    pub scope: ScopeChoice,
    /// `offline_access` is added to the scope when the authorization server lists it.
    #[serde(default)]
    pub offline_access: bool,
    /// A `prompt` parameter on the authorization request (`consent`).
    #[serde(default)]
    pub prompt: Option<String>,
    /// A Client ID Metadata Document is used only when the authorization server also lists the
    /// `none` token endpoint auth method.
    #[serde(default)]
    pub cimd_needs_none: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReturnedMethod {
    /// Authenticate as the registration response says.
    #[default]
    Use,
    /// Give up when it says something else than was asked for.
    RefuseOther,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connect {
    /// The connector counts as added only when `tools/list` returned at least one tool.
    pub requires_tools: bool,
    /// Shown when a connector is added with no tools (hosts that do not require tools).
    #[serde(default)]
    pub empty_tools_warning: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Annotations {
    /// Ask before calling any tool that is not `readOnlyHint: true`.
    pub confirm_unless_read_only: bool,
    /// Ask before calling a destructive tool (declared, or by the spec default when not read-only).
    pub confirm_destructive: bool,
    /// Show a "calls external services" badge for `openWorldHint` (default true).
    pub open_world_badge: bool,
    /// Run tools declaring `readOnlyHint: true` without asking, whatever else they declare.
    #[serde(default)]
    pub read_only_runs_unasked: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaskUse {
    /// Only tools whose `taskSupport` is `required` are called as tasks.
    RequiredOnly,
    /// `required` and `optional` tools are called as tasks.
    WhenSupported,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tasks {
    /// What the task scenarios make the host do (for ChatGPT and Claude: Metabind's guide, which says
    /// long-running tools are polled as tasks).
    pub call_as_task: TaskUse,
    /// Whether the host's observed traffic shows task-augmented calls; where it does not, a tool that
    /// requires tasks is reported as unusable by that host (`host.tools.task-required-usable`).
    #[serde(default = "yes")]
    pub seen_sending_tasks: bool,
    /// The host gives up on a tool call (task or not) after this long.
    pub tool_timeout_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    #[serde(default)]
    pub max_result_chars: Option<usize>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ui {
    pub paths: Vec<UiPath>,
    /// A view whose `_meta.ui.domain` is set and is not Claude's hashed form is blocked (A38).
    #[serde(default)]
    pub hashed_domain: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Directory {
    pub rules: Vec<DirectoryRule>,
}

/// A directory rule a host's vendor publishes (see `checks::directory`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DirectoryRule {
    AllHints,
    TitleAndHints,
    #[serde(rename = "name-64")]
    Name64,
    UiDomainSet,
    UiDomainHashed,
}

#[derive(Debug, thiserror::Error)]
#[error("host profile {origin}: {message}")]
pub struct ProfileError {
    pub origin: String,
    pub message: String,
}

impl HostProfile {
    pub fn parse(text: &str, origin: &str) -> Result<HostProfile, ProfileError> {
        let fail = |message: String| ProfileError {
            origin: origin.to_owned(),
            message,
        };
        let profile: HostProfile = toml::from_str(text).map_err(|e| fail(e.to_string()))?;
        let table: toml::Table = toml::from_str(text).map_err(|e| fail(e.to_string()))?;
        let mut fields = Vec::new();
        for (section, value) in &table {
            if let (false, Some(inner)) = (
                matches!(section.as_str(), "id" | "name" | "sources"),
                value.as_table(),
            ) {
                for key in inner.keys() {
                    fields.push(format!("{section}.{key}"));
                }
            }
        }
        let unsourced: Vec<&String> = fields
            .iter()
            .filter(|f| !profile.sources.contains_key(*f))
            .collect();
        if !unsourced.is_empty() {
            return Err(fail(format!(
                "every behaviour cites its source; none for {}",
                unsourced
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        if profile.auth.kind == AuthKind::Oauth && profile.auth.redirect_uri.is_none() {
            return Err(fail("an OAuth host needs auth.redirect_uri".into()));
        }
        for (key, source) in &profile.sources {
            let standing = source.split(':').next().unwrap_or_default();
            if !STANDINGS.contains(&standing) {
                return Err(fail(format!(
                    "sources.\"{key}\" must start with trace:, doc:, hearsay:, spec: or ours: (got {source:?})"
                )));
            }
        }
        Ok(profile)
    }

    /// A built-in profile by id: `chatgpt`, `claude-desktop`, `generic`.
    pub fn builtin(id: &str) -> Option<HostProfile> {
        BUILTIN
            .iter()
            .find(|(name, _)| *name == id)
            .map(|(name, text)| HostProfile::parse(text, name).expect("built-in profiles parse"))
    }

    pub fn builtin_ids() -> impl Iterator<Item = &'static str> {
        BUILTIN.iter().map(|(name, _)| *name)
    }

    /// The `initialize` params this host sends.
    pub fn capabilities(&self) -> Value {
        if self.protocol.capabilities.is_null() {
            Value::Object(Default::default())
        } else {
            self.protocol.capabilities.clone()
        }
    }

    /// Every behaviour with its value and source, for `list --hosts`.
    pub fn behaviours(&self, text_of: &str) -> Vec<(String, String, String)> {
        let table: toml::Table = toml::from_str(text_of).unwrap_or_default();
        let mut out = Vec::new();
        for (section, value) in &table {
            let Some(inner) = value.as_table() else {
                continue;
            };
            if section == "sources" {
                continue;
            }
            for (key, v) in inner {
                let path = format!("{section}.{key}");
                let source = self.sources.get(&path).cloned().unwrap_or_default();
                out.push((path, v.to_string(), source));
            }
        }
        out
    }

    /// A built-in profile's text.
    pub fn builtin_text(id: &str) -> Option<&'static str> {
        BUILTIN.iter().find(|(n, _)| *n == id).map(|(_, t)| *t)
    }

    /// Whether a fact is reported rather than documented (for reports).
    pub fn standing(&self, key: &str) -> Option<&str> {
        self.sources.get(key).and_then(|s| s.split(':').next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_profiles_parse_and_say_what_they_do() {
        let chatgpt = HostProfile::builtin("chatgpt").unwrap();
        assert_eq!(
            chatgpt.auth.redirect_uri.as_deref(),
            Some("https://chatgpt.com/connector_platform_oauth_redirect")
        );
        assert!(chatgpt.auth.reconnect_omits_scope);
        assert!(chatgpt.connect.requires_tools);
        assert_eq!(chatgpt.tasks.tool_timeout_seconds, 60);
        assert_eq!(
            chatgpt.standing("tasks.tool_timeout_seconds"),
            Some("hearsay")
        );
        // What the traffic shows decides registration: both ask for client_secret_post.
        assert_eq!(
            chatgpt.auth.dcr_auth_method.as_deref(),
            Some("client_secret_post")
        );
        assert_eq!(
            chatgpt.auth.dcr_returned_method,
            ReturnedMethod::RefuseOther
        );
        assert_eq!(chatgpt.auth.scope, ScopeChoice::PrmScopes);
        let claude = HostProfile::builtin("claude-desktop").unwrap();
        assert_eq!(claude.auth.prompt.as_deref(), Some("consent"));
        assert!(claude.auth.offline_access && claude.auth.cimd_needs_none);
        assert_eq!(claude.protocol.client_info["name"], "Anthropic/ClaudeAI");
        assert_eq!(claude.limits.max_result_chars, Some(150_000));
        assert_eq!(claude.ui.paths, vec![UiPath::McpApps]);
        assert_eq!(
            claude.capabilities()["extensions"]["io.modelcontextprotocol/ui"]["mimeTypes"][0],
            "text/html;profile=mcp-app"
        );
        let generic = HostProfile::builtin("generic").unwrap();
        assert_eq!(generic.auth.kind, AuthKind::Bearer);
        assert_eq!(HostProfile::builtin_ids().count(), 3);
    }

    #[test]
    fn bad_profiles_are_refused_with_the_reason() {
        let base = include_str!("../../fixtures/hosts/generic.toml");
        let unknown = format!("{base}\nsurprise = 1\n");
        let e = HostProfile::parse(&unknown, "x.toml").unwrap_err();
        assert!(e.to_string().contains("surprise"), "{e}");
        let oauth_without_redirect = base.replace("kind = \"bearer\"", "kind = \"oauth\"");
        let e = HostProfile::parse(&oauth_without_redirect, "x.toml").unwrap_err();
        assert!(e.to_string().contains("redirect_uri"), "{e}");
        let unknown_standing = base.replace("\"doc: custom", "\"heard: custom");
        let e = HostProfile::parse(&unknown_standing, "x.toml").unwrap_err();
        assert!(e.to_string().contains("trace:, doc:, hearsay:"), "{e}");
        // A behaviour without its source does not load.
        let unsourced = base.replace(
            "\"tasks.tool_timeout_seconds\" = \"ours: a generous client timeout\"\n",
            "",
        );
        let e = HostProfile::parse(&unsourced, "x.toml").unwrap_err();
        assert!(
            e.to_string()
                .contains("none for tasks.tool_timeout_seconds"),
            "{e}"
        );
    }
}
