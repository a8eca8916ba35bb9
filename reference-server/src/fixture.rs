//! The fixture file format: the seed state of a Metabind world, read from TOML.
//!
//! Input: a TOML file (see `fixtures/default.toml`). Output: a [`Fixture`] that `state` turns into the
//! in-memory world. Keys are strict (`deny_unknown_fields`): a typo in a fixture must fail the start with
//! file and line, not quietly change what a scenario tests. Cross-references (a member that is not a
//! user, a tool pointing at a missing dataset…) are checked here too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// A fixture that could not be loaded, with where and why.
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct FixtureError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    pub server: ServerSettings,
    #[serde(default)]
    pub oauth: OAuthSettings,
    pub roles: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub users: Vec<UserDef>,
    #[serde(default)]
    pub organizations: Vec<OrganizationDef>,
    #[serde(default)]
    pub projects: Vec<ProjectDef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub admin_key: String,
    #[serde(default = "default_page_size")]
    pub tools_page_size: usize,
    #[serde(default = "default_poll_interval")]
    pub task_poll_interval_ms: u64,
    #[serde(default = "default_task_ttl")]
    pub task_default_ttl_ms: u64,
    #[serde(default = "default_task_max_ttl")]
    pub task_max_ttl_ms: u64,
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
}

fn default_page_size() -> usize {
    50
}
fn default_poll_interval() -> u64 {
    1000
}
fn default_task_ttl() -> u64 {
    600_000
}
fn default_task_max_ttl() -> u64 {
    3_600_000
}

/// The authorization server's settings and its pre-registered clients.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthSettings {
    #[serde(default = "default_access_ttl")]
    pub access_token_ttl_secs: u64,
    #[serde(default = "default_refresh_ttl")]
    pub refresh_token_ttl_secs: u64,
    #[serde(default = "default_code_ttl")]
    pub authorization_code_ttl_secs: u64,
    /// How long a login/consent screen stays valid after `/authorize`.
    #[serde(default = "default_code_ttl")]
    pub authorization_request_ttl_secs: u64,
    #[serde(default)]
    pub clients: Vec<OAuthClientDef>,
}

impl Default for OAuthSettings {
    fn default() -> Self {
        OAuthSettings {
            access_token_ttl_secs: default_access_ttl(),
            refresh_token_ttl_secs: default_refresh_ttl(),
            authorization_code_ttl_secs: default_code_ttl(),
            authorization_request_ttl_secs: default_code_ttl(),
            clients: Vec::new(),
        }
    }
}

fn default_access_ttl() -> u64 {
    3600
}
fn default_refresh_ttl() -> u64 {
    30 * 24 * 3600
}
fn default_code_ttl() -> u64 {
    600
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenEndpointAuth {
    None,
    ClientSecretBasic,
    ClientSecretPost,
}

impl TokenEndpointAuth {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenEndpointAuth::None => "none",
            TokenEndpointAuth::ClientSecretBasic => "client_secret_basic",
            TokenEndpointAuth::ClientSecretPost => "client_secret_post",
        }
    }
}

/// A client registered out of band (the `pre-registered` way of MCP §7.4).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthClientDef {
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<String>,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub token_endpoint_auth_method: TokenEndpointAuth,
    /// Scopes used when an authorization request names none.
    #[serde(default)]
    pub scope: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserDef {
    pub email: String,
    pub name: String,
    pub password: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationDef {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub members: Vec<MemberDef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberDef {
    pub email: String,
    pub role: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Private,
    Public,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectDef {
    pub org: String,
    pub id: String,
    pub name: String,
    pub visibility: Visibility,
    #[serde(default)]
    pub instructions: Option<String>,
    #[serde(default)]
    pub api_keys: Vec<ApiKeyDef>,
    /// Named record sets that `search` and `lookup` behaviours read.
    #[serde(default)]
    pub data: BTreeMap<String, Vec<Value>>,
    #[serde(default)]
    pub resources: Vec<ResourceDef>,
    #[serde(default)]
    pub tools: Vec<ToolDef>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Production,
    Draft,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Production => "production",
            Environment::Draft => "draft",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyDef {
    pub name: String,
    pub key: String,
    /// The member whose role the key's permissions come from ("permissions inherited from the user who
    /// minted them", custom-hosts guide).
    pub created_by: String,
    pub environments: Vec<Environment>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceDef {
    pub uri: String,
    pub name: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub mime_type: String,
    /// Inline content, or `file` relative to the fixture file's folder.
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub meta: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskSupport {
    Forbidden,
    Optional,
    Required,
}

impl TaskSupport {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskSupport::Forbidden => "forbidden",
            TaskSupport::Optional => "optional",
            TaskSupport::Required => "required",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolDef {
    pub name: String,
    /// Whether production has this tool when the server starts (publishing later copies the draft).
    pub published: bool,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub annotations: Option<Value>,
    pub input_schema: Value,
    #[serde(default)]
    pub output_schema: Option<Value>,
    #[serde(default)]
    pub task_support: Option<TaskSupport>,
    #[serde(default)]
    pub meta: Option<Value>,
    pub behaviour: BehaviourDef,
    /// Fields the draft (working copy) has changed since the last publish.
    #[serde(default)]
    pub draft_changes: Option<DraftChanges>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftChanges {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub input_schema: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BehaviourKind {
    /// `text` and `structured` with `{argument}` placeholders filled from the call's arguments.
    Template,
    /// Case-insensitive substring search of `query_arg` over `fields` of the records of `dataset`.
    Search,
    /// The record of `dataset` whose `key_field` equals the argument `key_arg`.
    Lookup,
}

/// What a tool does when called: deterministic, so that checks can predict the result.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct BehaviourDef {
    pub kind: BehaviourKind,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub structured: Option<Value>,
    #[serde(default)]
    pub dataset: Option<String>,
    #[serde(default)]
    pub query_arg: Option<String>,
    #[serde(default)]
    pub fields: Vec<String>,
    #[serde(default)]
    pub limit_arg: Option<String>,
    #[serde(default)]
    pub key_field: Option<String>,
    #[serde(default)]
    pub key_arg: Option<String>,
    /// Simulated run time of one call (long-running tools).
    #[serde(default)]
    pub duration_ms: u64,
    /// When true every call fails with `error_text` (a tool-execution error, `isError: true`).
    #[serde(default)]
    pub fail: bool,
    #[serde(default)]
    pub error_text: Option<String>,
}

impl Fixture {
    /// Reads, parses and cross-checks a fixture file. Resource `file`s are read relative to its folder.
    pub fn load(path: &Path) -> Result<Fixture, FixtureError> {
        let text = std::fs::read_to_string(path).map_err(|e| FixtureError {
            path: path.to_owned(),
            line: None,
            message: format!("cannot read the fixture: {e}"),
        })?;
        let mut fixture = Fixture::parse(&text).map_err(|mut e| {
            e.path = path.to_owned();
            e
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        for project in &mut fixture.projects {
            for resource in &mut project.resources {
                if let Some(file) = &resource.file {
                    let full = base.join(file);
                    let content = std::fs::read_to_string(&full).map_err(|e| FixtureError {
                        path: path.to_owned(),
                        line: None,
                        message: format!(
                            "resource {} names file {} which cannot be read: {e}",
                            resource.uri,
                            full.display()
                        ),
                    })?;
                    resource.text = Some(content);
                }
            }
        }
        Ok(fixture)
    }

    /// Parses fixture text (resource files are not read). Errors carry the 1-based line.
    pub fn parse(text: &str) -> Result<Fixture, FixtureError> {
        let fixture: Fixture = toml::from_str(text).map_err(|e| FixtureError {
            path: PathBuf::from("<fixture>"),
            line: e.span().map(|span| line_of(text, span.start)),
            message: e.message().to_owned(),
        })?;
        fixture.validate().map_err(|message| FixtureError {
            path: PathBuf::from("<fixture>"),
            line: None,
            message,
        })?;
        Ok(fixture)
    }

    fn validate(&self) -> Result<(), String> {
        let users: BTreeSet<&str> = self.users.iter().map(|u| u.email.as_str()).collect();
        let orgs: BTreeSet<&str> = self.organizations.iter().map(|o| o.id.as_str()).collect();
        for org in &self.organizations {
            if ["oauth", "_admin", ".well-known"].contains(&org.id.as_str()) {
                return Err(format!(
                    "organization id {:?} is reserved (it names a route)",
                    org.id
                ));
            }
            for member in &org.members {
                if !users.contains(member.email.as_str()) {
                    return Err(format!(
                        "organization {}: member {} is not a user",
                        org.id, member.email
                    ));
                }
                if !self.roles.contains_key(&member.role) {
                    return Err(format!(
                        "organization {}: member {} has unknown role {:?} (known: {})",
                        org.id,
                        member.email,
                        member.role,
                        self.roles.keys().cloned().collect::<Vec<_>>().join(", ")
                    ));
                }
            }
        }
        for client in &self.oauth.clients {
            let needs_secret = client.token_endpoint_auth_method != TokenEndpointAuth::None;
            if needs_secret != client.client_secret.is_some() {
                return Err(format!(
                    "oauth client {}: a client_secret goes with client_secret_basic/post and only with them",
                    client.client_id
                ));
            }
            if client.redirect_uris.is_empty() {
                return Err(format!(
                    "oauth client {}: needs redirect_uris",
                    client.client_id
                ));
            }
        }
        let mut seen = BTreeSet::new();
        for project in &self.projects {
            let where_ = format!("project {}/{}", project.org, project.id);
            if !orgs.contains(project.org.as_str()) {
                return Err(format!("{where_}: unknown organization {}", project.org));
            }
            if !seen.insert((project.org.as_str(), project.id.as_str())) {
                return Err(format!("{where_}: defined twice"));
            }
            if project.id == "projects" || project.id == "draft" || project.id.starts_with('.') {
                return Err(format!("{where_}: reserved project id"));
            }
            for key in &project.api_keys {
                if !users.contains(key.created_by.as_str()) {
                    return Err(format!(
                        "{where_}: API key {} created by unknown user {}",
                        key.name, key.created_by
                    ));
                }
            }
            for resource in &project.resources {
                if resource.text.is_none() && resource.file.is_none() {
                    return Err(format!(
                        "{where_}: resource {} needs `text` or `file`",
                        resource.uri
                    ));
                }
            }
            let mut names = BTreeSet::new();
            for tool in &project.tools {
                if !names.insert(tool.name.as_str()) {
                    return Err(format!("{where_}: tool {} defined twice", tool.name));
                }
                tool.behaviour
                    .validate(&project.data)
                    .map_err(|m| format!("{where_}: tool {}: {m}", tool.name))?;
                if tool.input_schema.get("type").and_then(Value::as_str) != Some("object") {
                    return Err(format!(
                        "{where_}: tool {}: input_schema must have type \"object\"",
                        tool.name
                    ));
                }
            }
        }
        Ok(())
    }
}

impl BehaviourDef {
    fn validate(&self, data: &BTreeMap<String, Vec<Value>>) -> Result<(), String> {
        let need_dataset = || -> Result<(), String> {
            match &self.dataset {
                Some(d) if data.contains_key(d) => Ok(()),
                Some(d) => Err(format!("behaviour reads unknown dataset {d}")),
                None => Err("behaviour needs `dataset`".into()),
            }
        };
        match self.kind {
            BehaviourKind::Template => {
                if self.text.is_none() {
                    return Err("template behaviour needs `text`".into());
                }
            }
            BehaviourKind::Search => {
                need_dataset()?;
                if self.query_arg.is_none() || self.fields.is_empty() {
                    return Err("search behaviour needs `query_arg` and `fields`".into());
                }
            }
            BehaviourKind::Lookup => {
                need_dataset()?;
                if self.key_field.is_none() || self.key_arg.is_none() {
                    return Err("lookup behaviour needs `key_field` and `key_arg`".into());
                }
            }
        }
        Ok(())
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The fixture shipped with the project (`fixtures/default.toml`).
pub fn default_fixture_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/default.toml")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_fixture_loads() {
        let fixture = Fixture::load(&default_fixture_path()).expect("default fixture");
        assert!(fixture.projects.iter().any(|p| p.id == "storefront"));
    }

    #[test]
    fn unknown_key_is_reported_with_its_line() {
        let text = "[server]\nadmin_key = \"k\"\nadmin_kye = \"x\"\n[roles]\n";
        let err = Fixture::parse(text).unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        assert!(err.message.contains("admin_kye"), "{err}");
    }

    #[test]
    fn member_with_unknown_role_is_refused() {
        let text = r#"
[server]
admin_key = "k"
[roles]
Owner = []
[[users]]
email = "a@x.test"
name = "A"
password = "a-pass"
[[organizations]]
id = "x"
name = "X"
members = [{ email = "a@x.test", role = "Ownr" }]
"#;
        let err = Fixture::parse(text).unwrap_err();
        assert!(err.message.contains("unknown role"), "{err}");
    }
}
