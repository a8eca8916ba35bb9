//! The target file: what a run needs to know about a deployment (TOML, strict keys, errors at their
//! line with "did you mean"). Its endpoints, the logins by role (each password in an environment
//! variable the file names, never in the file), a custom-host token, what may be called, sample
//! requests for the tool review, and which server control is available. The embedded worlds use
//! built-in target files (`fixtures/targets/`), so an embedded run and a deployment run take the same
//! path; only those may hold test secrets inline and the `{server}` placeholder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::popup::Credentials;
use crate::scenario::load::{position, toml_error, LoadError};
use crate::scenario::model::SampleRequest;
use crate::scenario::refs::{EndpointSlot, KeySlot, Role, ToolSelector};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoints {
    pub production: String,
    pub draft: Option<String>,
    pub public: Option<String>,
    pub public_draft: Option<String>,
    pub unpublished: Option<String>,
    pub foreign: Option<String>,
}

impl Endpoints {
    pub fn get(&self, slot: EndpointSlot) -> Option<&str> {
        match slot {
            EndpointSlot::Production => Some(&self.production),
            EndpointSlot::Draft => self.draft.as_deref(),
            EndpointSlot::Public => self.public.as_deref(),
            EndpointSlot::PublicDraft => self.public_draft.as_deref(),
            EndpointSlot::Unpublished => self.unpublished.as_deref(),
            EndpointSlot::Foreign => self.foreign.as_deref(),
        }
    }

    fn all_mut(&mut self) -> impl Iterator<Item = &mut String> {
        std::iter::once(&mut self.production).chain(
            [
                &mut self.draft,
                &mut self.public,
                &mut self.public_draft,
                &mut self.unpublished,
                &mut self.foreign,
            ]
            .into_iter()
            .flatten(),
        )
    }
}

/// Whether the project's production endpoint is public.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisibilitySetting {
    Private,
    Public,
    /// Found out from an anonymous `initialize`.
    #[default]
    Discover,
}

/// A login: the email, and where its password is.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginSpec {
    pub email: String,
    pub password_env: Option<String>,
    /// Built-in target files only (test data of the embedded worlds).
    pub password: Option<String>,
}

/// A secret value: from an environment variable (or inline in a built-in file).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretSpec {
    pub env: Option<String>,
    /// Built-in target files only.
    pub value: Option<String>,
}

/// Which tools a run may call on this target.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calls {
    /// Tools that may be called although they do not declare `readOnlyHint: true`, or declare
    /// `destructiveHint: true`.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Any tool may be called (built-in target files of the embedded worlds, which are sandboxes).
    #[serde(default)]
    pub any: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    #[serde(default)]
    pub requests: Vec<SampleRequest>,
}

/// How the run may change the target's state.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ControlSpec {
    /// Only what any host can do: revoke its own grant (RFC 7009), remove its connector.
    #[default]
    None,
    /// The reference server's admin API (`/_admin`): every step.
    AdminApi { base_url: String, key: SecretSpec },
    /// Metabind's documented REST API with an admin token: API keys (create and revoke keys the
    /// run mints) and, when `visibility = true`, the visibility switch (restored after each
    /// scenario).
    MetabindRest {
        base_url: String,
        token: SecretSpec,
        #[serde(default)]
        visibility: bool,
    },
}

/// A target file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetFile {
    pub endpoints: Endpoints,
    #[serde(default)]
    pub visibility: VisibilitySetting,
    #[serde(default)]
    pub logins: BTreeMap<Role, LoginSpec>,
    /// A bearer token for custom-host scenarios and the sweep (an API key).
    pub token: Option<SecretSpec>,
    #[serde(default)]
    pub api_keys: BTreeMap<KeySlot, SecretSpec>,
    /// The organization's names for the roles, for `set-role`.
    #[serde(default)]
    pub org_roles: BTreeMap<Role, String>,
    #[serde(default)]
    pub calls: Calls,
    /// Arguments to call a tool with, by tool name (otherwise made up from its inputSchema).
    #[serde(default)]
    pub arguments: BTreeMap<String, toml::Table>,
    #[serde(default)]
    pub review: Review,
    /// What tools must declare, by name (`check_shipping = { read_only = true, open_world = true }`):
    /// a scenario that chooses a tool by what it declares takes the one named here, so a server
    /// that declares the wrong hints is caught instead of followed.
    #[serde(default)]
    pub tools: BTreeMap<String, ToolSelector>,
    #[serde(default)]
    pub control: ControlSpec,
}

/// A target file's secrets, read from the environment (or inline, for built-in files).
#[derive(Clone, Default)]
pub struct Secrets {
    pub logins: BTreeMap<Role, Credentials>,
    pub token: Option<String>,
    pub api_keys: BTreeMap<KeySlot, String>,
    pub control: Option<String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("logins", &self.logins.keys().collect::<Vec<_>>())
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

impl Secrets {
    /// Every secret value, for the run to scrub from its outputs.
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.logins
            .values()
            .map(|c| c.password.as_str())
            .chain(self.token.as_deref())
            .chain(self.api_keys.values().map(String::as_str))
            .chain(self.control.as_deref())
    }
}

/// Where a target file came from: the user's (no inline secrets, no placeholder) or built in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    User,
    BuiltIn,
}

impl TargetFile {
    /// Parses and checks a target file; every error names its line.
    pub fn parse(path: &Path, text: &str, origin: Origin) -> Result<TargetFile, LoadError> {
        let file: TargetFile = toml::from_str(text).map_err(|e| toml_error(path, text, &e))?;
        let at = |needle: &str, message: String, hint: Option<String>| {
            let offset = text.find(needle).unwrap_or(0);
            let (line, column) = position(text, offset);
            LoadError {
                path: path.to_owned(),
                line,
                column,
                message,
                hint,
            }
        };
        for slot in EndpointSlot::ALL {
            let Some(url) = file.endpoints.get(slot) else {
                continue;
            };
            let usable = if origin == Origin::BuiltIn {
                url.starts_with("{server}/")
            } else {
                url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
            };
            if !usable {
                return Err(at(
                    url,
                    format!("endpoints.{} {url:?} is not an http(s) URL", slot.key()),
                    None,
                ));
            }
        }
        if origin == Origin::User {
            let inline = file.logins.iter().find(|(_, l)| l.password.is_some());
            if let Some((role, _)) = inline {
                return Err(at(
                    "password",
                    format!("logins.{role}: a password in the target file"),
                    Some("put it in an environment variable and name it with password_env".into()),
                ));
            }
            let secrets = [&file.token]
                .into_iter()
                .flatten()
                .chain(file.api_keys.values())
                .chain(match &file.control {
                    ControlSpec::None => None,
                    ControlSpec::AdminApi { key, .. } => Some(key),
                    ControlSpec::MetabindRest { token, .. } => Some(token),
                });
            for secret in secrets {
                if secret.value.is_some() {
                    return Err(at(
                        "value",
                        "a secret value in the target file".into(),
                        Some("name an environment variable with env = \"…\" instead".into()),
                    ));
                }
            }
            if file.calls.any {
                return Err(at(
                    "any",
                    "calls.any lets the run call every tool, destructive ones included: only the embedded worlds may".into(),
                    Some("list the tools that may be called in calls.allow".into()),
                ));
            }
        }
        for (role, login) in &file.logins {
            if login.password.is_none() && login.password_env.is_none() {
                return Err(at(
                    &login.email,
                    format!("logins.{role} names no password_env"),
                    None,
                ));
            }
        }
        Ok(file)
    }

    /// Reads and parses a user's target file.
    pub fn load(path: &Path) -> Result<TargetFile, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|e| LoadError {
            path: path.to_owned(),
            line: 0,
            column: 0,
            message: format!("cannot read the target file: {e}"),
            hint: None,
        })?;
        TargetFile::parse(path, &text, Origin::User)
    }

    /// A target file for `--target URL` with the command line's logins.
    pub fn for_url(url: &str) -> TargetFile {
        TargetFile {
            endpoints: Endpoints {
                production: url.trim_end_matches('/').to_owned(),
                draft: None,
                public: None,
                public_draft: None,
                unpublished: None,
                foreign: None,
            },
            visibility: VisibilitySetting::Discover,
            logins: BTreeMap::new(),
            token: None,
            api_keys: BTreeMap::new(),
            org_roles: BTreeMap::new(),
            calls: Calls::default(),
            arguments: BTreeMap::new(),
            review: Review::default(),
            tools: BTreeMap::new(),
            control: ControlSpec::None,
        }
    }

    /// The origins the file names (endpoints and the control API), which the run may reach.
    pub fn named_origins(&self) -> Vec<String> {
        let endpoints = EndpointSlot::ALL
            .into_iter()
            .filter_map(|slot| self.endpoints.get(slot));
        let control = match &self.control {
            ControlSpec::None => None,
            ControlSpec::AdminApi { base_url, .. } | ControlSpec::MetabindRest { base_url, .. } => {
                Some(base_url.as_str())
            }
        };
        endpoints
            .chain(control)
            .filter_map(|u| url::Url::parse(u).ok())
            .map(|u| u.origin().ascii_serialization())
            .collect()
    }

    /// A built-in file with `{server}` replaced by an embedded server's base URL.
    pub fn with_server(mut self, base_url: &str) -> TargetFile {
        for url in self.endpoints.all_mut() {
            *url = url.replace("{server}", base_url);
        }
        if let ControlSpec::AdminApi { base_url: b, .. }
        | ControlSpec::MetabindRest { base_url: b, .. } = &mut self.control
        {
            *b = b.replace("{server}", base_url);
        }
        self
    }

    /// Reads every secret the file names from the environment; a variable that is not set is an
    /// error naming it (the run does not start half-configured).
    pub fn secrets(&self) -> Result<Secrets, String> {
        fn read(what: &str, spec: &SecretSpec) -> Result<String, String> {
            if let Some(v) = &spec.value {
                return Ok(v.clone());
            }
            let name = spec
                .env
                .as_deref()
                .ok_or_else(|| format!("{what} names no env"))?;
            std::env::var(name)
                .map_err(|_| format!("{what}: the environment variable {name} is not set"))
        }
        let mut secrets = Secrets::default();
        for (role, login) in &self.logins {
            let password = match (&login.password, &login.password_env) {
                (Some(p), _) => p.clone(),
                (None, Some(name)) => std::env::var(name).map_err(|_| {
                    format!("logins.{role}: the environment variable {name} is not set")
                })?,
                (None, None) => return Err(format!("logins.{role} names no password_env")),
            };
            secrets.logins.insert(
                *role,
                Credentials {
                    email: login.email.clone(),
                    password,
                },
            );
        }
        if let Some(token) = &self.token {
            secrets.token = Some(read("token", token)?);
        }
        for (slot, key) in &self.api_keys {
            secrets
                .api_keys
                .insert(*slot, read(&format!("api_keys.{}", slot.as_str()), key)?);
        }
        secrets.control = match &self.control {
            ControlSpec::None => None,
            ControlSpec::AdminApi { key, .. } => Some(read("control.key", key)?),
            ControlSpec::MetabindRest { token, .. } => Some(read("control.token", token)?),
        };
        Ok(secrets)
    }
}

/// The embedded reference server's worlds, each with its built-in target file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum World {
    /// `fixtures/default.toml` (acme, globex).
    #[default]
    Default,
    /// `fixtures/second-world.toml`: shares no name with the default one.
    Second,
}

impl World {
    pub fn name(self) -> &'static str {
        match self {
            World::Default => "default fixture",
            World::Second => "second world",
        }
    }

    pub fn fixture_path(self) -> PathBuf {
        match self {
            World::Default => metabind_reference_server::fixture::default_fixture_path(),
            World::Second => metabind_reference_server::fixture::second_world_fixture_path(),
        }
    }

    /// The built-in target file of this world (with `{server}` where the base URL goes).
    pub fn target_file(self) -> TargetFile {
        let (name, text) = match self {
            World::Default => (
                "fixtures/targets/default.toml",
                include_str!("../../fixtures/targets/default.toml"),
            ),
            World::Second => (
                "fixtures/targets/second-world.toml",
                include_str!("../../fixtures/targets/second-world.toml"),
            ),
        };
        TargetFile::parse(Path::new(name), text, Origin::BuiltIn)
            .unwrap_or_else(|e| panic!("the built-in target file is broken: {e}"))
    }
}
