//! The in-memory Metabind world (organizations, users, projects, tools, API keys) and the server state
//! that wraps it. Built once from a [`Fixture`]; the admin API changes it, and every change is visible
//! on the next request. Locks are std locks that are never held across an `.await`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, RwLock};

use serde_json::{json, Map, Value};
use tokio::sync::{broadcast, watch};

use crate::domain::lock;
use crate::fault::FaultSet;
use crate::fixture::{
    BehaviourDef, Environment, Fixture, OAuthSettings, ServerSettings, TaskSupport, ToolDef,
    Visibility,
};
use crate::mcp::session::SessionStore;
use crate::mcp::tasks::TaskStore;
use crate::oauth::store::OAuthData;

/// A user who can sign in.
#[derive(Debug, Clone)]
pub struct User {
    pub email: String,
    pub name: String,
    pub password: String,
}

#[derive(Debug, Clone)]
pub struct Organization {
    pub id: String,
    pub name: String,
    /// email → role name
    pub members: BTreeMap<String, String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ApiKey {
    pub name: String,
    #[serde(skip)]
    pub key: String,
    pub created_by: String,
    pub environments: Vec<Environment>,
    pub status: ApiKeyStatus,
    pub last_used: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiKeyStatus {
    Active,
    Revoked,
}

#[derive(Debug, Clone)]
pub struct Resource {
    pub uri: String,
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub mime_type: String,
    pub text: String,
    pub meta: Option<Value>,
}

/// One tool as one environment serves it.
#[derive(Debug, Clone)]
pub struct Tool {
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub annotations: Option<Value>,
    pub input_schema: Value,
    pub output_schema: Option<Value>,
    pub task_support: Option<TaskSupport>,
    pub meta: Option<Value>,
    pub behaviour: BehaviourDef,
}

impl Tool {
    fn from_def(def: &ToolDef, draft: bool) -> Tool {
        let mut tool = Tool {
            name: def.name.clone(),
            title: def.title.clone(),
            description: def.description.clone(),
            annotations: def.annotations.clone(),
            input_schema: def.input_schema.clone(),
            output_schema: def.output_schema.clone(),
            task_support: def.task_support,
            meta: def.meta.clone(),
            behaviour: def.behaviour.clone(),
        };
        if draft {
            if let Some(changes) = &def.draft_changes {
                if let Some(t) = &changes.title {
                    tool.title = Some(t.clone());
                }
                if let Some(d) = &changes.description {
                    tool.description = Some(d.clone());
                }
                if let Some(s) = &changes.input_schema {
                    tool.input_schema = s.clone();
                }
            }
        }
        tool
    }

    pub fn task_support(&self) -> TaskSupport {
        self.task_support.unwrap_or(TaskSupport::Forbidden)
    }
}

#[derive(Debug, Clone)]
pub struct Project {
    pub org: String,
    pub id: String,
    pub name: String,
    pub visibility: Visibility,
    /// The working copy's instructions, live on both environments.
    pub instructions: Option<String>,
    /// The instructions as of the last publish (served only with `instructions-frozen-at-publish`).
    pub production_instructions: Option<String>,
    pub api_keys: Vec<ApiKey>,
    pub data: BTreeMap<String, Vec<Value>>,
    pub resources: Vec<Resource>,
    /// The working copy: every save is live here.
    pub draft: Vec<Tool>,
    /// What the last publish froze.
    pub production: Vec<Tool>,
    /// How many times this project was published (the fixture's state counts as one when it has tools).
    pub publish_count: u64,
}

impl Project {
    pub fn tools(&self, env: Environment) -> &[Tool] {
        match env {
            Environment::Production => &self.production,
            Environment::Draft => &self.draft,
        }
    }

    pub fn tools_mut(&mut self, env: Environment) -> &mut Vec<Tool> {
        match env {
            Environment::Production => &mut self.production,
            Environment::Draft => &mut self.draft,
        }
    }
}

/// Organizations, users and projects: everything the admin API can change.
#[derive(Debug, Clone)]
pub struct World {
    pub users: BTreeMap<String, User>,
    pub organizations: BTreeMap<String, Organization>,
    pub projects: BTreeMap<(String, String), Project>,
    /// role name → scopes
    pub roles: BTreeMap<String, BTreeSet<String>>,
}

impl World {
    pub fn from_fixture(fixture: &Fixture) -> World {
        let users = fixture
            .users
            .iter()
            .map(|u| {
                (
                    u.email.clone(),
                    User {
                        email: u.email.clone(),
                        name: u.name.clone(),
                        password: u.password.clone(),
                    },
                )
            })
            .collect();
        let organizations = fixture
            .organizations
            .iter()
            .map(|o| {
                (
                    o.id.clone(),
                    Organization {
                        id: o.id.clone(),
                        name: o.name.clone(),
                        members: o
                            .members
                            .iter()
                            .map(|m| (m.email.clone(), m.role.clone()))
                            .collect(),
                    },
                )
            })
            .collect();
        let projects = fixture
            .projects
            .iter()
            .map(|p| {
                let production: Vec<Tool> = p
                    .tools
                    .iter()
                    .filter(|t| t.published)
                    .map(|t| Tool::from_def(t, false))
                    .collect();
                let project = Project {
                    org: p.org.clone(),
                    id: p.id.clone(),
                    name: p.name.clone(),
                    visibility: p.visibility,
                    instructions: p.instructions.clone(),
                    production_instructions: p.instructions.clone(),
                    api_keys: p
                        .api_keys
                        .iter()
                        .map(|k| ApiKey {
                            name: k.name.clone(),
                            key: k.key.clone(),
                            created_by: k.created_by.clone(),
                            environments: k.environments.clone(),
                            status: ApiKeyStatus::Active,
                            last_used: None,
                        })
                        .collect(),
                    data: p.data.clone(),
                    resources: p
                        .resources
                        .iter()
                        .map(|r| Resource {
                            uri: r.uri.clone(),
                            name: r.name.clone(),
                            title: r.title.clone(),
                            description: r.description.clone(),
                            mime_type: r.mime_type.clone(),
                            text: r.text.clone().unwrap_or_default(),
                            meta: r.meta.clone(),
                        })
                        .collect(),
                    draft: p.tools.iter().map(|t| Tool::from_def(t, true)).collect(),
                    publish_count: u64::from(!production.is_empty()),
                    production,
                };
                ((p.org.clone(), p.id.clone()), project)
            })
            .collect();
        let roles = fixture
            .roles
            .iter()
            .map(|(role, scopes)| (role.clone(), scopes.iter().cloned().collect()))
            .collect();
        World {
            users,
            organizations,
            projects,
            roles,
        }
    }

    pub fn project(&self, org: &str, project: &str) -> Option<&Project> {
        self.projects.get(&(org.to_owned(), project.to_owned()))
    }

    pub fn project_mut(&mut self, org: &str, project: &str) -> Option<&mut Project> {
        self.projects.get_mut(&(org.to_owned(), project.to_owned()))
    }

    /// The role of `email` in `org`, if a member.
    pub fn role_of(&self, org: &str, email: &str) -> Option<&str> {
        self.organizations
            .get(org)?
            .members
            .get(email)
            .map(String::as_str)
    }

    /// The scopes `email` holds in `org` through their role (empty for non-members).
    pub fn scopes_of(&self, org: &str, email: &str) -> BTreeSet<String> {
        self.role_of(org, email)
            .and_then(|role| self.roles.get(role))
            .cloned()
            .unwrap_or_default()
    }
}

/// An event other parts of the server react to (the GET stream sends `list_changed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorldEvent {
    ToolsChanged {
        org: String,
        project: String,
    },
    /// A session was ended by DELETE: its GET stream closes.
    SessionEnded {
        session: String,
    },
}

/// Settings that do not change while the server runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub settings: ServerSettings,
    /// The public base URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub base_url: String,
    /// Answer requests that accept both JSON and SSE with SSE (true) or JSON (false).
    pub prefer_sse: bool,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    pub faults: FaultSet,
    /// Test switch: accept `http://` loopback Client ID Metadata Document URLs.
    pub allow_loopback_cimd: bool,
}

/// The state every handler gets: cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<ServerConfig>,
    pub world: Arc<RwLock<World>>,
    pub sessions: Arc<SessionStore>,
    pub tasks: Arc<TaskStore>,
    pub oauth: Arc<Mutex<OAuthData>>,
    pub events: broadcast::Sender<WorldEvent>,
    /// Flips to true when the server shuts down, so long-lived streams end.
    pub shutdown: watch::Receiver<bool>,
}

impl AppState {
    pub fn new(
        config: ServerConfig,
        world: World,
        oauth: &OAuthSettings,
        shutdown: watch::Receiver<bool>,
    ) -> AppState {
        let (events, _) = broadcast::channel(64);
        AppState {
            oauth: Arc::new(Mutex::new(OAuthData::new(oauth))),
            config: Arc::new(config),
            world: Arc::new(RwLock::new(world)),
            sessions: Arc::new(SessionStore::default()),
            tasks: Arc::new(TaskStore::default()),
            events,
            shutdown,
        }
    }

    pub fn faults(&self) -> &FaultSet {
        &self.config.faults
    }

    /// Reads the world (see [`crate::domain::lock`] for why poisoning is recovered from).
    pub fn read(&self) -> std::sync::RwLockReadGuard<'_, World> {
        lock::read(&self.world)
    }

    pub fn write(&self) -> std::sync::RwLockWriteGuard<'_, World> {
        lock::write(&self.world)
    }

    pub fn notify(&self, event: WorldEvent) {
        // No receiver is fine: nobody holds a GET stream.
        let _ = self.events.send(event);
    }
}

/// The JSON a tool is listed with, for a session speaking `protocol_version`.
pub fn tool_json(tool: &Tool, protocol_version: &str) -> Value {
    let mut obj = Map::new();
    obj.insert("name".into(), json!(tool.name));
    // `title`, `outputSchema` and `structuredContent` arrived in 2025-06-18; `execution` in 2025-11-25.
    let v2025_06 = protocol_version >= "2025-06-18";
    let v2025_11 = protocol_version >= "2025-11-25";
    if v2025_06 {
        if let Some(t) = &tool.title {
            obj.insert("title".into(), json!(t));
        }
    }
    if let Some(d) = &tool.description {
        obj.insert("description".into(), json!(d));
    }
    obj.insert("inputSchema".into(), tool.input_schema.clone());
    if v2025_06 {
        if let Some(s) = &tool.output_schema {
            obj.insert("outputSchema".into(), s.clone());
        }
    }
    if let Some(a) = &tool.annotations {
        obj.insert("annotations".into(), a.clone());
    }
    if v2025_11 {
        if let Some(ts) = tool.task_support {
            obj.insert("execution".into(), json!({ "taskSupport": ts.as_str() }));
        }
    }
    if let Some(m) = &tool.meta {
        obj.insert("_meta".into(), m.clone());
    }
    Value::Object(obj)
}
