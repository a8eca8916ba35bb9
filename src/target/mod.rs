//! Targets: an embedded reference server (a fresh one per scenario, in one of its worlds) or a
//! deployment, both described by a target file (`file`): endpoints, logins by role, what may be
//! called, and the server control available (`control`). An [`Instance`] resolves a scenario's
//! references (endpoints, roles, projects, tools' arguments) against it.

pub mod control;
pub mod file;

use std::sync::Arc;
use std::time::{Duration, Instant};

use metabind_reference_server::fixture::Fixture;
use metabind_reference_server::{spawn, Fault, RunningServer, ServerOptions};
use serde_json::{json, Value};

use crate::host::Login;
use crate::popup::Credentials;
use crate::scenario::refs::{
    EndpointRef, EndpointSlot, KeySlot, LoginRef, ProjectRef, Role, UserRef,
};
use crate::wire::{self, Net, Request, Wire};
pub use control::{Control, ControlError, ProjectId};
pub use file::{ControlSpec, Secrets, TargetFile, VisibilitySetting, World};

/// What the user asked to test.
#[derive(Debug, Clone)]
pub enum TargetSpec {
    /// A fresh embedded reference server per scenario, in `world`, with these faults.
    Embedded { world: World, faults: Vec<Fault> },
    /// A deployment, as its target file describes it, with the secrets it names.
    Remote {
        file: Box<TargetFile>,
        secrets: Secrets,
    },
}

impl TargetSpec {
    pub fn is_embedded(&self) -> bool {
        matches!(self, TargetSpec::Embedded { .. })
    }

    /// The production endpoint as the user named it (`{server}` for an embedded world).
    pub fn production(&self) -> String {
        match self {
            TargetSpec::Embedded { world, .. } => world.target_file().endpoints.production,
            TargetSpec::Remote { file, .. } => file.endpoints.production.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("cannot start the embedded reference server: {0}")]
    Start(String),
    #[error("target {url} is unreachable: {message}")]
    Unreachable { url: String, message: String },
    #[error("target {url} did not answer (or never finished its answer) within {} s", timeout.as_secs())]
    Hung { url: String, timeout: Duration },
    #[error("target {url} answered with something that is not HTTP: {message}")]
    NotHttp { url: String, message: String },
    #[error("target URL {url:?} is not usable: {message}")]
    BadUrl { url: String, message: String },
}

/// Why a reference cannot be resolved on this target: the scenario does not apply here (n/a) or a
/// prerequisite is missing (skipped), with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unresolved {
    NotApplicable(String),
    Skipped(String),
}

impl Unresolved {
    pub fn reason(&self) -> &str {
        match self {
            Unresolved::NotApplicable(r) | Unresolved::Skipped(r) => r,
        }
    }
}

/// A target ready for one scenario (or the sweep).
pub struct Instance {
    /// The target file, with the embedded server's URL filled in.
    pub file: TargetFile,
    pub secrets: Secrets,
    pub control: Option<Control>,
    /// The embedded world, when the target is one.
    pub world: Option<World>,
    /// Whether the production endpoint answers without credentials, once asked.
    public: tokio::sync::OnceCell<bool>,
    net: Arc<Net>,
    pub server_start: Duration,
    _server: Option<RunningServer>,
}

impl Instance {
    /// Starts a fresh embedded server, or wraps the deployment.
    pub async fn start(spec: &TargetSpec, net: &Arc<Net>) -> Result<Instance, TargetError> {
        let started = Instant::now();
        let (file, mut secrets, world, server) = match spec {
            TargetSpec::Embedded { world, faults } => {
                let fixture = Fixture::load(&world.fixture_path())
                    .map_err(|e| TargetError::Start(e.to_string()))?;
                let mut options = ServerOptions::new(fixture);
                options.faults = faults.clone();
                // The hosts' Client ID Metadata Documents are served on loopback by the harness.
                options.allow_loopback_cimd = true;
                let server = spawn(options)
                    .await
                    .map_err(|e| TargetError::Start(e.to_string()))?;
                let file = world.target_file().with_server(&server.base_url);
                let secrets = file.secrets().map_err(TargetError::Start)?;
                (file, secrets, Some(*world), Some(server))
            }
            TargetSpec::Remote { file, secrets } => ((**file).clone(), secrets.clone(), None, None),
        };
        let control = match &file.control {
            ControlSpec::None => None,
            ControlSpec::AdminApi { base_url, .. } => Some(Control::Admin(
                control::Api::new(
                    base_url,
                    secrets.control.as_deref().unwrap_or_default(),
                    net.timeout,
                )
                .map_err(TargetError::Start)?,
            )),
            ControlSpec::MetabindRest {
                base_url,
                visibility,
                ..
            } => Some(Control::Rest {
                api: control::Api::new(
                    base_url,
                    secrets.control.as_deref().unwrap_or_default(),
                    net.timeout,
                )
                .map_err(TargetError::Start)?,
                visibility: *visibility,
                minted: Default::default(),
                restore: Default::default(),
            }),
        };
        let mut instance = Instance {
            file,
            secrets: Secrets::default(),
            control,
            world,
            public: tokio::sync::OnceCell::new(),
            net: Arc::clone(net),
            server_start: started.elapsed(),
            _server: server,
        };
        // The run's bearer token: the target file's, else a key minted for the run.
        if secrets.token.is_none() {
            if let (Some(control), Some(project)) = (
                &instance.control,
                instance.project_id(EndpointSlot::Production),
            ) {
                let creator = secrets.logins.get(&Role::Member).map(|c| c.email.clone());
                if let Ok((_, key)) = control
                    .mint_api_key(&project, creator.as_deref(), &["production", "draft"])
                    .await
                {
                    secrets.token = Some(key);
                }
            }
        }
        instance.secrets = secrets;
        for secret in instance.secrets.values() {
            net.secrets.remember(secret);
        }
        Ok(instance)
    }

    /// Puts back what the run changed on a deployment (keys minted, visibility switched).
    pub async fn close(&self) -> Vec<String> {
        match &self.control {
            Some(control) => control.close().await,
            None => Vec::new(),
        }
    }

    /// Whether the production endpoint is public: as the target file says, else found out with an
    /// anonymous `initialize` (once, when a scenario needs to know).
    pub async fn is_public(&self) -> bool {
        *self
            .public
            .get_or_init(|| async {
                match self.file.visibility {
                    VisibilitySetting::Private => false,
                    VisibilitySetting::Public => true,
                    VisibilitySetting::Discover => {
                        answers_anonymously(&self.file.endpoints.production, &self.net).await
                    }
                }
            })
            .await
    }

    /// The project endpoint under test (production).
    pub fn endpoint_url(&self) -> &str {
        &self.file.endpoints.production
    }

    /// The default fixture's names (emails, projects) resolve here.
    pub fn is_default_fixture(&self) -> bool {
        self.world == Some(World::Default)
    }

    /// An endpoint reference as a URL.
    pub fn endpoint(&self, reference: &EndpointRef) -> Result<String, Unresolved> {
        match reference {
            EndpointRef::Slot(slot) => {
                self.file
                    .endpoints
                    .get(*slot)
                    .map(String::from)
                    .ok_or_else(|| {
                        Unresolved::NotApplicable(format!(
                            "the target file names no endpoints.{} ({})",
                            slot.key(),
                            slot.describe()
                        ))
                    })
            }
            EndpointRef::Fixture { .. } if self.is_default_fixture() => Ok(format!(
                "{}/{reference}",
                origin(&self.file.endpoints.production)
            )),
            other => Err(Unresolved::Skipped(format!(
                "{other} exists only in the default fixture"
            ))),
        }
    }

    /// The org and project of an endpoint the target file names, when its URL has Metabind's shape
    /// (`/<org>/<project>` or `/<org>/projects/<project>`, optionally `/draft`).
    pub fn project_id(&self, slot: EndpointSlot) -> Option<ProjectId> {
        project_of(self.file.endpoints.get(slot)?)
    }

    /// A project reference for server control.
    pub fn project(&self, reference: &ProjectRef) -> Result<ProjectId, Unresolved> {
        let slot = match reference {
            ProjectRef::Target => EndpointSlot::Production,
            ProjectRef::Public => EndpointSlot::Public,
            ProjectRef::Fixture { org, project } if self.is_default_fixture() => {
                return Ok(ProjectId {
                    org: org.clone(),
                    project: project.clone(),
                })
            }
            ProjectRef::Fixture { org, project } => {
                return Err(Unresolved::Skipped(format!(
                    "{org}/{project} exists only in the default fixture"
                )))
            }
        };
        let url = self.file.endpoints.get(slot).ok_or_else(|| {
            Unresolved::NotApplicable(format!("the target file names no endpoints.{}", slot.key()))
        })?;
        project_of(url).ok_or_else(|| {
            Unresolved::Skipped(format!(
                "{url} does not have Metabind's /<org>/<project> shape, so server control cannot name its project"
            ))
        })
    }

    pub fn credentials(&self, role: Role) -> Option<&Credentials> {
        self.secrets.logins.get(&role)
    }

    /// A user reference as an email.
    pub fn user_email(&self, reference: &UserRef) -> Result<String, Unresolved> {
        match reference {
            UserRef::Role(role) => self
                .credentials(*role)
                .map(|c| c.email.clone())
                .ok_or_else(|| missing_role(*role)),
            UserRef::Email(email) if self.is_default_fixture() => Ok(email.clone()),
            UserRef::Email(email) => Err(Unresolved::Skipped(format!(
                "{email} exists only in the default fixture"
            ))),
        }
    }

    /// The organization's name for a role, for `set-role`.
    pub fn org_role(&self, role: Role) -> Result<&str, Unresolved> {
        self.file
            .org_roles
            .get(&role)
            .map(String::as_str)
            .ok_or_else(|| {
                Unresolved::Skipped(format!(
                "the target file names no org_roles.{role} (the organization's name for that role)"
            ))
            })
    }

    /// A login reference as what the host signs in with (a minted key is the trial's business).
    pub fn login(&self, reference: &LoginRef) -> Result<Login, Unresolved> {
        Ok(match reference {
            LoginRef::Role(role) => Login::User(
                self.credentials(*role)
                    .cloned()
                    .ok_or_else(|| missing_role(*role))?,
            ),
            LoginRef::Token => Login::Bearer(self.secrets.token.clone().ok_or_else(|| {
                Unresolved::Skipped(
                    "no bearer token (the target file's token, or server control to mint one)"
                        .into(),
                )
            })?),
            LoginRef::Anonymous => Login::Anonymous,
            LoginRef::ApiKey(slot) => Login::Bearer(
                self.secrets
                    .api_keys
                    .get(slot)
                    .cloned()
                    .ok_or_else(|| missing_key(*slot))?,
            ),
            LoginRef::MintedKey => {
                return Err(Unresolved::Skipped(
                    "a minted key is minted by the scenario's trial".into(),
                ))
            }
            LoginRef::FixtureUser(email) if self.is_default_fixture() => {
                Login::User(fixture_credentials(email))
            }
            LoginRef::FixtureUser(email) => {
                return Err(Unresolved::Skipped(format!(
                    "{email} exists only in the default fixture"
                )))
            }
        })
    }

    /// Whether the run may call `tool` here: anything on an embedded world; on a deployment tools
    /// that declare `readOnlyHint: true` and not `destructiveHint: true`, and those the target file
    /// allows by name.
    pub fn may_call(&self, tool: &Value) -> bool {
        let hints = &tool["annotations"];
        self.file.calls.any
            || (hints["readOnlyHint"] == true && hints["destructiveHint"] != true)
            || tool["name"]
                .as_str()
                .is_some_and(|n| self.file.calls.allow.iter().any(|a| a == n))
    }

    /// Which tools the run may call here, in words.
    pub fn describe_calls(&self) -> String {
        if self.file.calls.any {
            "any tool (the embedded server is a sandbox)".into()
        } else if self.file.calls.allow.is_empty() {
            "tools declaring readOnlyHint: true and not destructiveHint: true (a deployment)".into()
        } else {
            format!(
                "tools declaring readOnlyHint: true and not destructiveHint: true, and {} (the target file's calls.allow)",
                self.file.calls.allow.join(", ")
            )
        }
    }

    /// Why a tool may not be called here.
    pub fn call_refusal(&self, tool: &Value) -> String {
        let name = tool["name"].as_str().unwrap_or("?");
        let hints = &tool["annotations"];
        let why = if hints["readOnlyHint"] != true {
            "it does not declare readOnlyHint: true"
        } else {
            "it declares destructiveHint: true"
        };
        format!("{name} is not called on a deployment: {why}; add it to calls.allow in the target file to let the run call it")
    }

    /// The arguments to call `tool` with: the target file's, else made up from its inputSchema.
    pub fn arguments(&self, tool: &Value) -> Option<Value> {
        let name = tool["name"].as_str().unwrap_or_default();
        match self.file.arguments.get(name) {
            Some(table) => serde_json::to_value(table).ok(),
            None => crate::mcp_ops::sample_arguments(&tool["inputSchema"]),
        }
    }
}

fn missing_role(role: Role) -> Unresolved {
    Unresolved::NotApplicable(format!(
        "the target file names no {role} login ({})",
        role.describe()
    ))
}

fn missing_key(slot: KeySlot) -> Unresolved {
    Unresolved::NotApplicable(format!(
        "the target file names no api_keys.{}",
        slot.as_str()
    ))
}

fn origin(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default()
}

/// `org` and `project` of a Metabind-shaped endpoint URL.
pub fn project_of(url: &str) -> Option<ProjectId> {
    let parsed = url::Url::parse(url).ok()?;
    let segments: Vec<&str> = parsed.path_segments()?.filter(|s| !s.is_empty()).collect();
    let (org, project) = match segments.as_slice() {
        [org, project] | [org, project, "draft"] => (*org, *project),
        [org, "projects", project] | [org, "projects", project, "draft"] => (*org, *project),
        _ => return None,
    };
    Some(ProjectId {
        org: org.to_owned(),
        project: project.to_owned(),
    })
}

/// Whether an anonymous `initialize` gets a result (a public production endpoint).
async fn answers_anonymously(url: &str, net: &Arc<Net>) -> bool {
    let Ok(wire) = Wire::new(net) else {
        return false;
    };
    let mut client = wire::McpClient::new(wire, url);
    let info = json!({"name": "metabind-conformance", "version": env!("CARGO_PKG_VERSION")});
    matches!(client.initialize(info, json!({})).await, Ok(reply) if reply.result().is_some())
}

/// The default fixture's password rule: the part of the email before `@`, then `-pass`.
pub fn fixture_credentials(email: &str) -> Credentials {
    Credentials {
        email: email.to_owned(),
        password: format!("{}-pass", email.split('@').next().unwrap_or_default()),
    }
}

/// Before a remote run: one request to the target, read to its end, so an unreachable, hung or
/// non-HTTP target stops the run with exit 2 (before any browser starts) instead of failing every
/// check.
pub async fn preflight(url: &str, net: &Arc<Net>) -> Result<(), TargetError> {
    let wire = Wire::new(net).map_err(|e| TargetError::Start(e.to_string()))?;
    let body = json!({"jsonrpc": "2.0", "id": 0, "method": "ping"});
    let request = Request::post(url, "application/json", body.to_string().into_bytes())
        .header("accept", "application/json, text/event-stream");
    let shown = crate::wire::redact_url(url);
    match wire.send(request).await {
        // A huge answer is still an answer: the checks report its size.
        Ok(_) | Err(wire::Error::TooLarge { .. }) => Ok(()),
        Err(wire::Error::Timeout { timeout, .. }) => Err(TargetError::Hung {
            url: shown,
            timeout,
        }),
        Err(wire::Error::Transport {
            connect: true,
            message,
            ..
        }) => Err(TargetError::Unreachable {
            url: shown,
            message,
        }),
        Err(wire::Error::Transport { message, .. }) => Err(TargetError::NotHttp {
            url: shown,
            message,
        }),
        Err(wire::Error::Refused(refusal)) => Err(TargetError::BadUrl {
            url: shown,
            message: refusal.why,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metabind_shaped_urls_name_their_project() {
        let id = |u: &str| project_of(u).map(|p| p.to_string());
        assert_eq!(
            id("https://mcp.example.com/acme/shop").as_deref(),
            Some("acme/shop")
        );
        assert_eq!(
            id("https://mcp.example.com/acme/shop/draft").as_deref(),
            Some("acme/shop")
        );
        assert_eq!(
            id("https://x.test/acme/projects/shop/draft").as_deref(),
            Some("acme/shop")
        );
        assert_eq!(id("https://x.test/mcp"), None);
    }
}
