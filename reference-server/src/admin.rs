//! The admin API: JSON over HTTP under `/_admin`, guarded by the fixture's admin key. It plays MCP App
//! Studio for scenarios (publish, edit instructions, descriptions and annotations, visibility, members
//! and roles, API keys). Every change is visible on the next MCP request.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::access::revoke_unless_faulty;
use crate::domain::lock::lock;
use crate::domain::oauth::{Grant, OAuthClient};
use crate::domain::secret::{constant_time_eq, random_id};
use crate::domain::world::{tool_json, ApiKey, ApiKeyStatus, Project, Tool, User, WorldEvent};
use crate::fault::Fault;
use crate::fixture::{BehaviourDef, Environment, TaskSupport, Visibility};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/_admin/state", get(summary))
        .route("/_admin/faults", get(faults))
        .route("/_admin/users", post(create_user))
        .route(
            "/_admin/orgs/{org}/members/{email}",
            put(set_member).delete(remove_member),
        )
        .route("/_admin/orgs/{org}/projects/{project}", get(project_detail))
        .route(
            "/_admin/orgs/{org}/projects/{project}/publish",
            post(publish),
        )
        .route(
            "/_admin/orgs/{org}/projects/{project}/instructions",
            put(set_instructions),
        )
        .route(
            "/_admin/orgs/{org}/projects/{project}/visibility",
            put(set_visibility),
        )
        .route(
            "/_admin/orgs/{org}/projects/{project}/tools/{tool}",
            patch(edit_tool_live),
        )
        .route(
            "/_admin/orgs/{org}/projects/{project}/tools/{tool}/behaviour",
            patch(edit_behaviour),
        )
        .route(
            "/_admin/orgs/{org}/projects/{project}/draft/tools/{tool}",
            put(save_draft_tool).delete(delete_draft_tool),
        )
        .route(
            "/_admin/orgs/{org}/projects/{project}/tasks/expire",
            post(expire_tasks),
        )
        .route(
            "/_admin/orgs/{org}/projects/{project}/api-keys",
            get(list_api_keys).post(create_api_key),
        )
        .route(
            "/_admin/orgs/{org}/projects/{project}/api-keys/{name}",
            delete(revoke_api_key),
        )
        .route("/_admin/orgs/{org}/authorized-apps", get(list_grants))
        .route(
            "/_admin/orgs/{org}/authorized-apps/{grant}",
            delete(revoke_grant),
        )
        .route("/_admin/oauth/clients", get(list_clients))
        .route("/_admin/oauth/clients/{client_id}", delete(delete_client))
        .route("/_admin/oauth/settings", put(oauth_settings))
        .route(
            "/_admin/oauth/expire-access-tokens",
            post(expire_access_tokens),
        )
}

/// An admin API failure, with its status and a `{error, message}` body.
#[derive(Debug)]
pub enum AdminError {
    Unauthorized,
    NotFound(String),
    BadRequest(String),
    Conflict(&'static str, String),
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            AdminError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "UNAUTHORIZED",
                "the admin API needs `Authorization: Bearer <admin key>`".to_owned(),
            ),
            AdminError::NotFound(m) => (StatusCode::NOT_FOUND, "NOT_FOUND", m),
            AdminError::BadRequest(m) => (StatusCode::BAD_REQUEST, "BAD_REQUEST", m),
            AdminError::Conflict(code, m) => (StatusCode::CONFLICT, code, m),
        };
        let mut response =
            (status, Json(json!({ "error": code, "message": message }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"metabind-admin\""),
            );
        }
        response
    }
}

type AdminResult = Result<Response, AdminError>;

fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), AdminError> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if constant_time_eq(given, &state.config.settings.admin_key) {
        Ok(())
    } else {
        Err(AdminError::Unauthorized)
    }
}

fn body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, AdminError> {
    body.map(|Json(v)| v)
        .map_err(|e| AdminError::BadRequest(format!("invalid JSON body: {}", e.body_text())))
}

fn project_not_found(org: &str, project: &str) -> AdminError {
    AdminError::NotFound(format!("no project {org}/{project}"))
}

/// Runs `change` on a project under the write lock.
fn with_project<R>(
    state: &AppState,
    org: &str,
    project: &str,
    change: impl FnOnce(&mut Project) -> Result<R, AdminError>,
) -> Result<R, AdminError> {
    let mut world = state.write();
    let p = world
        .project_mut(org, project)
        .ok_or_else(|| project_not_found(org, project))?;
    change(p)
}

fn tools_changed(state: &AppState, org: &str, project: &str) {
    state.notify(WorldEvent::ToolsChanged {
        org: org.to_owned(),
        project: project.to_owned(),
    });
}

fn tool_summary(tool: &Tool) -> Value {
    tool_json(tool, "2025-11-25")
}

async fn summary(State(state): State<AppState>, headers: HeaderMap) -> AdminResult {
    authorize(&state, &headers)?;
    let world = state.read();
    let organizations: Vec<Value> = world
        .organizations
        .values()
        .map(|o| {
            json!({
                "id": o.id,
                "name": o.name,
                "members": o.members.iter().map(|(email, role)| json!({ "email": email, "role": role })).collect::<Vec<_>>(),
                "projects": world.projects.values().filter(|p| p.org == o.id).map(|p| json!({
                    "id": p.id,
                    "name": p.name,
                    "visibility": p.visibility,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(
        Json(json!({ "base_url": state.config.base_url, "organizations": organizations }))
            .into_response(),
    )
}

async fn faults(State(state): State<AppState>, headers: HeaderMap) -> AdminResult {
    authorize(&state, &headers)?;
    let active: Vec<&str> = state.faults().iter().map(|f| f.name()).collect();
    Ok(Json(json!({ "faults": active })).into_response())
}

async fn project_detail(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((org, project)): Path<(String, String)>,
) -> AdminResult {
    authorize(&state, &headers)?;
    let world = state.read();
    let p = world
        .project(&org, &project)
        .ok_or_else(|| project_not_found(&org, &project))?;
    Ok(Json(json!({
        "org": p.org,
        "id": p.id,
        "name": p.name,
        "visibility": p.visibility,
        "instructions": p.instructions,
        "publish_count": p.publish_count,
        "draft_tools": p.draft.iter().map(tool_summary).collect::<Vec<_>>(),
        "production_tools": p.production.iter().map(tool_summary).collect::<Vec<_>>(),
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    email: String,
    name: String,
    password: String,
}

async fn create_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    payload: Result<Json<NewUser>, JsonRejection>,
) -> AdminResult {
    authorize(&state, &headers)?;
    let user = body(payload)?;
    if !user.email.contains('@') || user.password.is_empty() {
        return Err(AdminError::BadRequest(
            "a user needs an email address and a password".into(),
        ));
    }
    let mut world = state.write();
    if world.users.contains_key(&user.email) {
        return Err(AdminError::Conflict(
            "USER_ALREADY_EXISTS",
            format!("user {} already exists", user.email),
        ));
    }
    world.users.insert(
        user.email.clone(),
        User {
            email: user.email.clone(),
            name: user.name,
            password: user.password,
        },
    );
    Ok((StatusCode::CREATED, Json(json!({ "email": user.email }))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberRole {
    role: String,
}

/// Adds a member or changes their role.
async fn set_member(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((org, email)): Path<(String, String)>,
    payload: Result<Json<MemberRole>, JsonRejection>,
) -> AdminResult {
    authorize(&state, &headers)?;
    let MemberRole { role } = body(payload)?;
    let mut world = state.write();
    if !world.roles.contains_key(&role) {
        return Err(AdminError::BadRequest(format!(
            "unknown role {role:?} (known: {})",
            world.roles.keys().cloned().collect::<Vec<_>>().join(", ")
        )));
    }
    if !world.users.contains_key(&email) {
        return Err(AdminError::NotFound(format!("no user {email}")));
    }
    let organization = world
        .organizations
        .get_mut(&org)
        .ok_or_else(|| AdminError::NotFound(format!("no organization {org}")))?;
    let previous = organization.members.insert(email.clone(), role.clone());
    let status = if previous.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(json!({ "org": org, "email": email, "role": role, "previous_role": previous })),
    )
        .into_response())
}

async fn remove_member(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((org, email)): Path<(String, String)>,
) -> AdminResult {
    authorize(&state, &headers)?;
    let removed = {
        let mut world = state.write();
        let organization = world
            .organizations
            .get_mut(&org)
            .ok_or_else(|| AdminError::NotFound(format!("no organization {org}")))?;
        organization.members.remove(&email)
    };
    let Some(role) = removed else {
        return Err(AdminError::NotFound(format!(
            "{email} is not a member of {org}"
        )));
    };
    // Their authorizations in this organization end with the membership (taken after the world lock
    // is released: the two locks are never held together). With `membership-checked-only-at-consent`
    // membership is only looked at during consent, so nothing links the removal to the grants.
    let mut data = lock(&state.oauth);
    let grants: Vec<String> = if state.faults().has(Fault::MembershipCheckedOnlyAtConsent) {
        Vec::new()
    } else {
        data.grants
            .values()
            .filter(|g| g.org == org && g.email == email && !g.revoked)
            .map(|g| g.id.clone())
            .collect()
    };
    for g in &grants {
        revoke_unless_faulty(&state, &mut data, g);
    }
    Ok(Json(
        json!({ "org": org, "email": email, "removed_role": role, "revoked_grants": grants.len() }),
    )
    .into_response())
}

/// Publish: production becomes a copy of the draft (MCP App Studio's Publish button).
async fn publish(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((org, project)): Path<(String, String)>,
) -> AdminResult {
    authorize(&state, &headers)?;
    let (names, count) = with_project(&state, &org, &project, |p| {
        p.production = p.draft.clone();
        p.production_instructions = p.instructions.clone();
        p.publish_count += 1;
        Ok((
            p.production
                .iter()
                .map(|t| t.name.clone())
                .collect::<Vec<_>>(),
            p.publish_count,
        ))
    })?;
    tools_changed(&state, &org, &project);
    Ok(Json(json!({ "published_tools": names, "publish_count": count })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Instructions {
    instructions: Option<String>,
}

async fn set_instructions(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((org, project)): Path<(String, String)>,
    payload: Result<Json<Instructions>, JsonRejection>,
) -> AdminResult {
    authorize(&state, &headers)?;
    let Instructions { instructions } = body(payload)?;
    with_project(&state, &org, &project, |p| {
        p.instructions = instructions.clone();
        Ok(())
    })?;
    Ok(Json(json!({ "instructions": instructions })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VisibilityChange {
    visibility: Visibility,
}

async fn set_visibility(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((org, project)): Path<(String, String)>,
    payload: Result<Json<VisibilityChange>, JsonRejection>,
) -> AdminResult {
    authorize(&state, &headers)?;
    let VisibilityChange { visibility } = body(payload)?;
    with_project(&state, &org, &project, |p| {
        p.visibility = visibility;
        Ok(())
    })?;
    Ok(Json(json!({ "visibility": visibility })).into_response())
}

/// The fields that are live in both environments without a publish (package-versioning guide).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LiveToolEdit {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
    /// Absent: unchanged; `null`: removed (the tool is listed without annotations); an object: replaced.
    #[serde(default, deserialize_with = "present_or_null")]
    annotations: Option<Option<Value>>,
}

/// Tells an explicit `null` (`Some(None)`) from an absent field (`None`, through `#[serde(default)]`).
fn present_or_null<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<Value>>, D::Error> {
    Option::<Value>::deserialize(deserializer).map(Some)
}

async fn edit_tool_live(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((org, project, tool)): Path<(String, String, String)>,
    payload: Result<Json<LiveToolEdit>, JsonRejection>,
) -> AdminResult {
    authorize(&state, &headers)?;
    let edit = body(payload)?;
    if let Some(Some(a)) = &edit.annotations {
        if !a.is_object() {
            return Err(AdminError::BadRequest(
                "annotations must be an object or null".into(),
            ));
        }
    }
    // Live in both environments; the fault treats these edits like any other draft change.
    let environments: &[Environment] = if state.faults().has(Fault::AnnotationEditsNeedPublish) {
        &[Environment::Draft]
    } else {
        &[Environment::Draft, Environment::Production]
    };
    let environments = with_project(&state, &org, &project, |p| {
        let exists = p.draft.iter().chain(&p.production).any(|t| t.name == tool);
        let mut touched = Vec::new();
        for &env in environments {
            if let Some(t) = p.tools_mut(env).iter_mut().find(|t| t.name == tool) {
                if let Some(title) = &edit.title {
                    t.title = Some(title.clone());
                }
                if let Some(d) = &edit.description {
                    t.description = Some(d.clone());
                }
                if let Some(a) = &edit.annotations {
                    t.annotations = a.clone();
                }
                touched.push(env.as_str());
            }
        }
        if !exists {
            return Err(AdminError::NotFound(format!(
                "no tool {tool} in {org}/{project}"
            )));
        }
        Ok(touched)
    })?;
    tools_changed(&state, &org, &project);
    Ok(Json(json!({ "tool": tool, "environments": environments })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BehaviourEdit {
    #[serde(default)]
    duration_ms: Option<u64>,
    #[serde(default)]
    fail: Option<bool>,
}

/// Test control of a tool's behaviour (run time, failure) in both environments.
async fn edit_behaviour(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((org, project, tool)): Path<(String, String, String)>,
    payload: Result<Json<BehaviourEdit>, JsonRejection>,
) -> AdminResult {
    authorize(&state, &headers)?;
    let edit = body(payload)?;
    let behaviour = with_project(&state, &org, &project, |p| {
        let mut last = None;
        for env in [Environment::Draft, Environment::Production] {
            if let Some(t) = p.tools_mut(env).iter_mut().find(|t| t.name == tool) {
                if let Some(d) = edit.duration_ms {
                    t.behaviour.duration_ms = d;
                }
                if let Some(f) = edit.fail {
                    t.behaviour.fail = f;
                }
                last = Some(t.behaviour.clone());
            }
        }
        last.ok_or_else(|| AdminError::NotFound(format!("no tool {tool} in {org}/{project}")))
    })?;
    Ok(Json(json!({ "tool": tool, "behaviour": behaviour })).into_response())
}

/// A tool as saved in the draft (the studio's Save): everything but the name, which is in the path.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DraftTool {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    annotations: Option<Value>,
    input_schema: Value,
    #[serde(default)]
    output_schema: Option<Value>,
    #[serde(default)]
    task_support: Option<TaskSupport>,
    #[serde(default)]
    meta: Option<Value>,
    behaviour: BehaviourDef,
}

async fn save_draft_tool(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((org, project, tool)): Path<(String, String, String)>,
    payload: Result<Json<DraftTool>, JsonRejection>,
) -> AdminResult {
    authorize(&state, &headers)?;
    let def = body(payload)?;
    if def.input_schema.get("type").and_then(Value::as_str) != Some("object") {
        return Err(AdminError::BadRequest(
            "input_schema must be a JSON Schema with type \"object\"".into(),
        ));
    }
    if jsonschema::validator_for(&def.input_schema).is_err() {
        return Err(AdminError::BadRequest(
            "input_schema is not a valid JSON Schema".into(),
        ));
    }
    if let Some(output) = &def.output_schema {
        if output.get("type").and_then(Value::as_str) != Some("object")
            || jsonschema::validator_for(output).is_err()
        {
            return Err(AdminError::BadRequest(
                "output_schema must be a valid JSON Schema with type \"object\"".into(),
            ));
        }
    }
    if tool.is_empty()
        || !tool
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    {
        return Err(AdminError::BadRequest(format!(
            "invalid tool name {tool:?}"
        )));
    }
    let new_tool = Tool {
        name: tool.clone(),
        title: def.title,
        description: def.description,
        annotations: def.annotations,
        input_schema: def.input_schema,
        output_schema: def.output_schema,
        task_support: def.task_support,
        meta: def.meta,
        behaviour: def.behaviour,
    };
    let created = with_project(&state, &org, &project, |p| {
        match p.draft.iter_mut().find(|t| t.name == tool) {
            Some(existing) => {
                *existing = new_tool;
                Ok(false)
            }
            None => {
                p.draft.push(new_tool);
                Ok(true)
            }
        }
    })?;
    tools_changed(&state, &org, &project);
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(json!({ "tool": tool, "environment": "draft" })),
    )
        .into_response())
}

async fn delete_draft_tool(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((org, project, tool)): Path<(String, String, String)>,
) -> AdminResult {
    authorize(&state, &headers)?;
    with_project(&state, &org, &project, |p| {
        let before = p.draft.len();
        p.draft.retain(|t| t.name != tool);
        if p.draft.len() == before {
            return Err(AdminError::NotFound(format!("no draft tool {tool}")));
        }
        Ok(())
    })?;
    tools_changed(&state, &org, &project);
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_api_keys(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((org, project)): Path<(String, String)>,
) -> AdminResult {
    authorize(&state, &headers)?;
    let world = state.read();
    let p = world
        .project(&org, &project)
        .ok_or_else(|| project_not_found(&org, &project))?;
    // Key values are never listed (api-keys/list reference).
    Ok(Json(json!({ "api_keys": p.api_keys })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewApiKey {
    name: String,
    #[serde(default)]
    key: Option<String>,
    created_by: String,
    #[serde(default)]
    environments: Option<Vec<Environment>>,
}

async fn create_api_key(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((org, project)): Path<(String, String)>,
    payload: Result<Json<NewApiKey>, JsonRejection>,
) -> AdminResult {
    authorize(&state, &headers)?;
    let new = body(payload)?;
    let mut world = state.write();
    if world.role_of(&org, &new.created_by).is_none() {
        return Err(AdminError::BadRequest(format!(
            "{} is not a member of {org}",
            new.created_by
        )));
    }
    let p = world
        .project_mut(&org, &project)
        .ok_or_else(|| project_not_found(&org, &project))?;
    if p.api_keys.iter().any(|k| k.name == new.name) {
        return Err(AdminError::Conflict(
            "NAME_ALREADY_EXISTS",
            format!("an API key named {} already exists", new.name),
        ));
    }
    let key = new
        .key
        .unwrap_or_else(|| format!("mbk_{}", random_id().replace('-', "")));
    if key.len() < 16 {
        return Err(AdminError::BadRequest(
            "an API key must have at least 16 characters".into(),
        ));
    }
    let api_key = ApiKey {
        name: new.name.clone(),
        key: key.clone(),
        created_by: new.created_by,
        environments: new
            .environments
            .unwrap_or_else(|| vec![Environment::Production, Environment::Draft]),
        status: ApiKeyStatus::Active,
        last_used: None,
    };
    let mut shown = serde_json::to_value(&api_key).unwrap_or_default();
    // The value is returned only once, at creation.
    shown["key"] = json!(key);
    p.api_keys.push(api_key);
    Ok((StatusCode::CREATED, Json(shown)).into_response())
}

async fn revoke_api_key(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((org, project, name)): Path<(String, String, String)>,
) -> AdminResult {
    authorize(&state, &headers)?;
    with_project(&state, &org, &project, |p| {
        let key = p
            .api_keys
            .iter_mut()
            .find(|k| k.name == name)
            .ok_or_else(|| AdminError::NotFound(format!("no API key {name}")))?;
        key.status = ApiKeyStatus::Revoked;
        Ok(())
    })?;
    Ok(Json(json!({ "name": name, "status": "revoked" })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantFilter {
    #[serde(default)]
    user: Option<String>,
}

/// "Authorized apps" of an organization: every grant on its projects, optionally of one user.
async fn list_grants(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(org): Path<String>,
    filter: Result<axum::extract::Query<GrantFilter>, axum::extract::rejection::QueryRejection>,
) -> AdminResult {
    authorize(&state, &headers)?;
    let filter = filter
        .map(|q| q.0)
        .map_err(|e| AdminError::BadRequest(e.body_text()))?;
    if !state.read().organizations.contains_key(&org) {
        return Err(AdminError::NotFound(format!("no organization {org}")));
    }
    let data = lock(&state.oauth);
    let mut grants: Vec<&Grant> = data
        .grants
        .values()
        .filter(|g| g.org == org && !g.revoked)
        .filter(|g| filter.user.as_ref().is_none_or(|u| &g.email == u))
        .collect();
    grants.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    Ok(Json(json!({ "grants": grants })).into_response())
}

async fn revoke_grant(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((org, grant)): Path<(String, String)>,
) -> AdminResult {
    authorize(&state, &headers)?;
    let mut data = lock(&state.oauth);
    match data.grants.get(&grant) {
        Some(g) if g.org == org && !g.revoked => {}
        _ => {
            return Err(AdminError::NotFound(format!(
                "no active grant {grant} in {org}"
            )))
        }
    }
    let mut revoked = vec![grant.clone()];
    if state.faults().has(Fault::RevocationRevokesAllGrants) {
        // The fault: the grant is looked up by client instead of by id.
        let client_id = data.grants.get(&grant).map(|g| g.client_id.clone());
        revoked.extend(
            data.grants
                .values()
                .filter(|g| g.org == org && !g.revoked && g.id != grant)
                .filter(|g| Some(&g.client_id) == client_id.as_ref())
                .map(|g| g.id.clone()),
        );
    }
    for g in &revoked {
        revoke_unless_faulty(&state, &mut data, g);
    }
    Ok(Json(json!({ "grant": grant, "revoked": true })).into_response())
}

async fn list_clients(State(state): State<AppState>, headers: HeaderMap) -> AdminResult {
    authorize(&state, &headers)?;
    let data = lock(&state.oauth);
    let mut clients: Vec<&OAuthClient> = data.clients.values().collect();
    clients.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    Ok(Json(json!({ "clients": clients })).into_response())
}

/// Deletes a client (its grants are revoked); its next token request gets 401 invalid_client.
async fn delete_client(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(client_id): Path<String>,
) -> AdminResult {
    authorize(&state, &headers)?;
    let mut data = lock(&state.oauth);
    let removed = data.clients.remove(&client_id).is_some()
        | data.metadata_documents.remove(&client_id).is_some();
    if !removed {
        return Err(AdminError::NotFound(format!("no client {client_id}")));
    }
    let grants: Vec<String> = data
        .grants
        .values()
        .filter(|g| g.client_id == client_id)
        .map(|g| g.id.clone())
        .collect();
    for g in &grants {
        data.revoke_grant(g);
    }
    Ok(Json(json!({ "client_id": client_id, "revoked_grants": grants.len() })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OAuthSettingsEdit {
    #[serde(default)]
    access_token_ttl_secs: Option<u64>,
    #[serde(default)]
    refresh_token_ttl_secs: Option<u64>,
}

async fn oauth_settings(
    State(state): State<AppState>,
    headers: HeaderMap,
    payload: Result<Json<OAuthSettingsEdit>, JsonRejection>,
) -> AdminResult {
    authorize(&state, &headers)?;
    let edit = body(payload)?;
    const MAX_TTL_SECS: u64 = 10 * 365 * 24 * 3600;
    if edit
        .access_token_ttl_secs
        .or(edit.refresh_token_ttl_secs)
        .is_some_and(|s| s > MAX_TTL_SECS)
        || edit
            .refresh_token_ttl_secs
            .is_some_and(|s| s > MAX_TTL_SECS)
    {
        return Err(AdminError::BadRequest(format!(
            "token lifetimes are capped at {MAX_TTL_SECS} seconds"
        )));
    }
    let mut data = lock(&state.oauth);
    if let Some(s) = edit.access_token_ttl_secs {
        data.access_ttl = std::time::Duration::from_secs(s);
    }
    if let Some(s) = edit.refresh_token_ttl_secs {
        data.refresh_ttl = std::time::Duration::from_secs(s);
    }
    Ok(Json(json!({
        "access_token_ttl_secs": data.access_ttl.as_secs(),
        "refresh_token_ttl_secs": data.refresh_ttl.as_secs(),
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpireTokens {
    #[serde(default)]
    user: Option<String>,
    /// Also expire the refresh tokens of those grants ("the session expired"): a refresh then fails.
    #[serde(default)]
    refresh_tokens: bool,
}

/// Ends the life of access tokens now (all, or one user's), so expiry is testable without waiting.
async fn expire_access_tokens(
    State(state): State<AppState>,
    headers: HeaderMap,
    payload: Result<Json<ExpireTokens>, JsonRejection>,
) -> AdminResult {
    authorize(&state, &headers)?;
    let ExpireTokens {
        user,
        refresh_tokens,
    } = body(payload)?;
    let mut data = lock(&state.oauth);
    let grants: std::collections::BTreeSet<String> = data
        .grants
        .values()
        .filter(|g| user.as_ref().is_none_or(|u| &g.email == u))
        .map(|g| g.id.clone())
        .collect();
    let past = std::time::SystemTime::now() - std::time::Duration::from_secs(1);
    let mut count = 0;
    for token in data.access_tokens.values_mut() {
        if grants.contains(&token.grant_id) {
            token.expires_at = past;
            count += 1;
        }
    }
    if !refresh_tokens {
        return Ok(Json(json!({ "expired": count })).into_response());
    }
    // Counted: the refresh tokens that were still usable (rotated-away ones end too, uncounted).
    let now = std::time::SystemTime::now();
    let mut refresh_count = 0;
    for token in data.refresh_tokens.values_mut() {
        if grants.contains(&token.grant_id) {
            if !token.rotated && token.expires_at > now {
                refresh_count += 1;
            }
            token.expires_at = past;
        }
    }
    Ok(Json(json!({ "expired": count, "expired_refresh_tokens": refresh_count })).into_response())
}

/// Ages every task of a project (both environments) past its ttl, so expiry is testable without waiting.
async fn expire_tasks(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((org, project)): Path<(String, String)>,
) -> AdminResult {
    authorize(&state, &headers)?;
    if state.read().project(&org, &project).is_none() {
        return Err(project_not_found(&org, &project));
    }
    let expired = state.tasks.expire_project(&org, &project);
    Ok(Json(json!({ "expired": expired })).into_response())
}
