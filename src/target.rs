//! Targets: the embedded reference server (a fresh one per scenario, full control through its admin
//! API) or a deployment given by `--target URL` (no server control, logins from the command line).
//! An `Instance` resolves a scenario's endpoint and login references to URLs and credentials.

use std::time::{Duration, Instant};

use metabind_reference_server::{spawn, Fault, RunningServer, ServerOptions};
use serde_json::{json, Value};

use std::sync::Arc;

use crate::host::Login;
use crate::popup::Credentials;
use crate::scenario::refs::{EndpointRef, LoginRef, ProjectRef, UserRef};
use crate::wire::{self, Net, Request, Wire};

/// The project the embedded target puts under test, and its logins.
pub const EMBEDDED_PROJECT: (&str, &str) = ("acme", "storefront");
pub const EMBEDDED_USER: &str = "mia@acme.test";
pub const EMBEDDED_SECOND_USER: &str = "mdev@acme.test";

/// What the user asked to test.
#[derive(Debug, Clone)]
pub enum TargetSpec {
    /// A fresh embedded reference server per scenario, with the default fixture and these faults.
    Embedded { faults: Vec<Fault> },
    /// A deployment: the project's MCP endpoint URL.
    Remote { url: String },
}

impl TargetSpec {
    pub fn is_embedded(&self) -> bool {
        matches!(self, TargetSpec::Embedded { .. })
    }
}

/// Credentials given on the command line (secrets never reach a report).
#[derive(Clone, Default)]
pub struct Logins {
    pub user: Option<Credentials>,
    pub second: Option<Credentials>,
    pub token: Option<String>,
}

impl Logins {
    /// The passwords and the token, for the run to scrub from every output.
    pub fn secrets(&self) -> impl Iterator<Item = &str> {
        [&self.user, &self.second]
            .into_iter()
            .flatten()
            .map(|c| c.password.as_str())
            .chain(self.token.as_deref())
    }
}

impl std::fmt::Debug for Logins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logins")
            .field("user", &self.user.as_ref().map(|c| &c.email))
            .field("second", &self.second.as_ref().map(|c| &c.email))
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .finish()
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

/// Server control through the admin API.
#[derive(Clone)]
pub struct Control {
    http: reqwest::Client,
    base_url: String,
    key: String,
}

impl Control {
    /// One admin request; anything but a 2xx is an error with the server's message.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base_url))
            .bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("{method} {path}: {e}"))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(format!("{method} {path} answered {status}: {text}"));
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// A target ready for one scenario.
pub struct Instance {
    /// The project endpoint under test (production).
    pub endpoint_url: String,
    pub control: Option<Control>,
    /// The default fixture's names are valid here.
    pub fixture: bool,
    pub logins: Logins,
    /// `org/project` of the endpoint under test, when the URL has Metabind's shape.
    pub project: Option<(String, String)>,
    pub server_start: Duration,
    origin: String,
    _server: Option<RunningServer>,
}

impl Instance {
    /// Starts a fresh embedded server, or wraps the remote target.
    pub async fn start(spec: &TargetSpec, logins: &Logins) -> Result<Instance, TargetError> {
        match spec {
            TargetSpec::Embedded { faults } => {
                let started = Instant::now();
                let mut options = ServerOptions::with_default_fixture()
                    .map_err(|e| TargetError::Start(e.to_string()))?;
                options.faults = faults.clone();
                // The hosts' Client ID Metadata Documents are served on loopback by the harness.
                options.allow_loopback_cimd = true;
                let server = spawn(options)
                    .await
                    .map_err(|e| TargetError::Start(e.to_string()))?;
                let http = reqwest::Client::builder()
                    .timeout(Duration::from_secs(20))
                    .build()
                    .map_err(|e| TargetError::Start(e.to_string()))?;
                let control = Control {
                    http,
                    base_url: server.base_url.clone(),
                    key: server.admin_key.clone(),
                };
                let (org, project) = EMBEDDED_PROJECT;
                let minted = control
                    .call(
                        reqwest::Method::POST,
                        &format!("/_admin/orgs/{org}/projects/{project}/api-keys"),
                        Some(json!({"name": "metabind-conformance-run", "created_by": "olivia@acme.test"})),
                    )
                    .await
                    .map_err(TargetError::Start)?;
                let logins = Logins {
                    user: logins
                        .user
                        .clone()
                        .or_else(|| Some(fixture_credentials(EMBEDDED_USER))),
                    second: logins
                        .second
                        .clone()
                        .or_else(|| Some(fixture_credentials(EMBEDDED_SECOND_USER))),
                    token: logins
                        .token
                        .clone()
                        .or_else(|| minted["key"].as_str().map(String::from)),
                };
                Ok(Instance {
                    endpoint_url: server.url(&format!("/{org}/{project}")),
                    origin: server.base_url.clone(),
                    control: Some(control),
                    fixture: true,
                    logins,
                    project: Some((org.into(), project.into())),
                    server_start: started.elapsed(),
                    _server: Some(server),
                })
            }
            TargetSpec::Remote { url } => {
                let parsed = url::Url::parse(url).map_err(|e| TargetError::BadUrl {
                    url: url.clone(),
                    message: e.to_string(),
                })?;
                let segments: Vec<&str> = parsed
                    .path_segments()
                    .map(|s| s.filter(|s| !s.is_empty()).collect())
                    .unwrap_or_default();
                let project = match segments.as_slice() {
                    [org, project] | [org, "projects", project] => {
                        Some((org.to_string(), project.to_string()))
                    }
                    _ => None,
                };
                Ok(Instance {
                    endpoint_url: url.trim_end_matches('/').to_owned(),
                    origin: parsed.origin().ascii_serialization(),
                    control: None,
                    fixture: false,
                    logins: logins.clone(),
                    project,
                    server_start: Duration::ZERO,
                    _server: None,
                })
            }
        }
    }

    /// An endpoint reference as a URL.
    pub fn endpoint(&self, reference: &EndpointRef) -> Result<String, String> {
        match reference {
            EndpointRef::Target => Ok(self.endpoint_url.clone()),
            EndpointRef::TargetDraft => {
                if self.project.is_none() || self.endpoint_url.ends_with("/draft") {
                    Err(format!(
                        "{} has no Metabind draft endpoint beside it",
                        self.endpoint_url
                    ))
                } else {
                    Ok(format!("{}/draft", self.endpoint_url))
                }
            }
            other if self.fixture => Ok(format!("{}/{other}", self.origin)),
            other => Err(format!("{other} exists only in the default fixture")),
        }
    }

    /// A project reference as an (org, project) pair for the admin API.
    pub fn project_ref(&self, reference: &ProjectRef) -> Result<(String, String), String> {
        match reference {
            ProjectRef::Target => self
                .project
                .clone()
                .ok_or_else(|| "the target URL does not name an org and project".to_owned()),
            ProjectRef::Fixture { org, project } => Ok((org.clone(), project.clone())),
        }
    }

    /// A user reference as an email.
    pub fn user_email(&self, reference: &UserRef) -> Result<String, String> {
        match reference {
            UserRef::User => self.logins.user.as_ref().map(|c| c.email.clone()),
            UserRef::SecondUser => self.logins.second.as_ref().map(|c| c.email.clone()),
            UserRef::Email(email) => Some(email.clone()),
        }
        .ok_or_else(|| format!("no login for {reference:?}"))
    }

    /// A login reference as what the host signs in with.
    pub async fn login(&self, reference: &LoginRef) -> Result<Login, String> {
        Ok(match reference {
            LoginRef::User => Login::User(self.logins.user.clone().ok_or("no --user given")?),
            LoginRef::SecondUser => {
                Login::User(self.logins.second.clone().ok_or("no --second-user given")?)
            }
            LoginRef::Token => Login::Bearer(self.logins.token.clone().ok_or("no --token given")?),
            LoginRef::Anonymous => Login::Anonymous,
            LoginRef::ApiKey(name) if self.fixture => Login::Bearer(fixture_api_key(name)?),
            LoginRef::FixtureUser(email) if self.fixture => Login::User(fixture_credentials(email)),
            LoginRef::ApiKey(name) => {
                return Err(format!("API key {name} exists only in the default fixture"))
            }
            LoginRef::FixtureUser(email) => {
                return Err(format!("{email} exists only in the default fixture"))
            }
        })
    }
}

/// The default fixture's password rule: the part of the email before `@`, then `-pass`.
pub fn fixture_credentials(email: &str) -> Credentials {
    Credentials {
        email: email.to_owned(),
        password: format!("{}-pass", email.split('@').next().unwrap_or_default()),
    }
}

/// A project API key of the default fixture, by name (the admin API never shows keys again, as the
/// real studio does not).
fn fixture_api_key(name: &str) -> Result<String, String> {
    let path = metabind_reference_server::fixture::default_fixture_path();
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let fixture: toml::Table =
        toml::from_str(&text).map_err(|e| format!("cannot parse {}: {e}", path.display()))?;
    fixture
        .get("projects")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("api_keys").and_then(toml::Value::as_array))
        .flatten()
        .find(|k| k.get("name").and_then(toml::Value::as_str) == Some(name))
        .and_then(|k| k.get("key").and_then(toml::Value::as_str))
        .map(String::from)
        .ok_or_else(|| format!("no API key named {name} in the default fixture"))
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
