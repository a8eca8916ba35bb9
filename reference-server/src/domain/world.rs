//! The records of a Metabind world as the server serves them: users, organizations, projects with their
//! tools (draft and production), resources and API keys, and the events a change of them raises.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::domain::secret::random_id;
use crate::domain::time::now_rfc3339;
use crate::fixture::{BehaviourDef, Environment, TaskSupport, ToolDef, Visibility};

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
    /// When it was minted (the server's start for the fixture's keys). Shown by the REST API only.
    #[serde(skip)]
    pub created_at: String,
}

/// Why an API key could not be minted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MintError {
    /// Another key of the project has this name (`NAME_ALREADY_EXISTS`).
    NameTaken,
    /// A custom key value shorter than [`MIN_API_KEY_LEN`].
    KeyTooShort,
}

/// The shortest key value accepted (the documented example key has 32 characters).
pub const MIN_API_KEY_LEN: usize = 16;

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
    /// The tool as the fixture defines it, in the draft (working copy) or as last published.
    pub fn from_def(def: &ToolDef, draft: bool) -> Tool {
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
    /// The protocol eras its endpoints speak.
    pub eras: crate::fixture::Eras,
}

impl Project {
    /// Mints an API key: `key` or a random value, active, valid on `environments`, with the permissions
    /// of `created_by`. Returns it with its value (shown once).
    pub fn mint_api_key(
        &mut self,
        name: &str,
        key: Option<String>,
        created_by: &str,
        environments: Vec<Environment>,
    ) -> Result<ApiKey, MintError> {
        if self.api_keys.iter().any(|k| k.name == name) {
            return Err(MintError::NameTaken);
        }
        let key = key.unwrap_or_else(|| format!("mbk_{}", random_id().replace('-', "")));
        if key.len() < MIN_API_KEY_LEN {
            return Err(MintError::KeyTooShort);
        }
        let api_key = ApiKey {
            name: name.to_owned(),
            key,
            created_by: created_by.to_owned(),
            environments,
            status: ApiKeyStatus::Active,
            last_used: None,
            created_at: now_rfc3339(),
        };
        self.api_keys.push(api_key.clone());
        Ok(api_key)
    }

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

/// The JSON a tool is listed with, for a session speaking `protocol_version`.
pub fn tool_json(tool: Tool, protocol_version: &str) -> Value {
    let mut obj = Map::new();
    obj.insert("name".into(), Value::String(tool.name));
    // `title`, `outputSchema` and `structuredContent` arrived in 2025-06-18; `execution` in 2025-11-25.
    let v2025_06 = protocol_version >= "2025-06-18";
    let v2025_11 = protocol_version >= "2025-11-25";
    if v2025_06 {
        if let Some(t) = tool.title {
            obj.insert("title".into(), Value::String(t));
        }
    }
    if let Some(d) = tool.description {
        obj.insert("description".into(), Value::String(d));
    }
    obj.insert("inputSchema".into(), tool.input_schema);
    if v2025_06 {
        if let Some(s) = tool.output_schema {
            obj.insert("outputSchema".into(), s);
        }
    }
    if let Some(a) = tool.annotations {
        obj.insert("annotations".into(), a);
    }
    if v2025_11 {
        if let Some(ts) = tool.task_support {
            obj.insert("execution".into(), json!({ "taskSupport": ts.as_str() }));
        }
    }
    if let Some(m) = tool.meta {
        obj.insert("_meta".into(), m);
    }
    Value::Object(obj)
}
