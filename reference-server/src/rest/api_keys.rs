//! A project's API keys through Metabind's REST API: mint one (its value shown once), list them (never
//! their values), revoke one. A key minted here carries the permissions of the member whose REST token
//! minted it, exactly as keys minted in the studio (the admin API) do, and works on the project's MCP
//! endpoints at once; a revoked one fails the next request with 401.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::domain::world::{ApiKey, ApiKeyStatus, MintError, MIN_API_KEY_LEN};
use crate::fixture::{Environment, Permission};
use crate::rest::error::{RestError, RestResult};
use crate::rest::extract::{body, caller, path, permit};
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewApiKey {
    name: String,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    environments: Option<Vec<Environment>>,
}

/// What the list shows of a key: never its value.
fn listed(key: &ApiKey) -> Value {
    json!({
        "name": key.name,
        "status": key.status,
        "environments": key.environments,
        "createdAt": key.created_at,
        "lastUsed": key.last_used,
    })
}

/// `POST /api/v1/organizations/{org}/projects/{project}/api-keys`
/// `{"name", "key"?, "environments"?}` → 201 `{"name", "key", "environments", "status", "createdAt"}`.
///
/// [DOC] `/rest/api-keys/create`: body `{name, key?}`, the value returned only once, a duplicate name
/// is `NAME_ALREADY_EXISTS`; `apiKeys` is a role permission (`/rest/roles`) that Developer and Admin
/// hold (team-management). [INF] the `/api/v1` prefix on this origin, 201, the response's field names,
/// `environments` (default both: "production tokens are scoped per environment"), 409 for the
/// duplicate, at least 16 visible ASCII characters for a custom value.
pub(crate) async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Path<(String, String)>, PathRejection>,
    payload: Result<Json<NewApiKey>, JsonRejection>,
) -> RestResult {
    let email = caller(&state, &headers)?;
    let (org, project) = path(params)?;
    permit(&state, &email, &org, &project, Permission::ApiKeys)?;
    let new = body(payload)?;
    if new.name.trim().is_empty() || new.name.len() > 200 || new.name.contains('/') {
        return Err(RestError::BadRequest(
            "name must be 1 to 200 characters, without a slash".into(),
        ));
    }
    if let Some(key) = &new.key {
        if key.len() < MIN_API_KEY_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(RestError::BadRequest(format!(
                "key must be at least {MIN_API_KEY_LEN} visible ASCII characters"
            )));
        }
    }
    let mut environments = new
        .environments
        .unwrap_or_else(|| vec![Environment::Production, Environment::Draft]);
    environments.sort();
    environments.dedup();
    if environments.is_empty() {
        return Err(RestError::BadRequest(
            "environments must name production, draft or both".into(),
        ));
    }
    let mut world = state.write();
    let p = world
        .project_mut(&org, &project)
        .ok_or_else(|| RestError::NotFound(format!("no project {org}/{project}")))?;
    let key = p
        .mint_api_key(&new.name, new.key, &email, environments)
        .map_err(|e| match e {
            MintError::NameTaken => RestError::Conflict(
                "NAME_ALREADY_EXISTS",
                format!("an API key named {} already exists", new.name),
            ),
            MintError::KeyTooShort => RestError::BadRequest(format!(
                "key must be at least {MIN_API_KEY_LEN} visible ASCII characters"
            )),
        })?;
    let shown = json!({
        "name": key.name,
        "key": key.key,
        "environments": key.environments,
        "status": key.status,
        "createdAt": key.created_at,
    });
    Ok((StatusCode::CREATED, Json(shown)).into_response())
}

/// `GET /api/v1/organizations/{org}/projects/{project}/api-keys[?status=active|revoked]`
/// → 200 `{"items": [{"name", "status", "environments", "createdAt", "lastUsed"}]}`.
///
/// [DOC] `/rest/api-keys/list`: filterable by `status` `active|revoked`, each item has `lastUsed`, key
/// values are never listed. [INF] the `items` envelope and the other field names; another `status`
/// value is a 400; other query parameters are ignored.
pub(crate) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Path<(String, String)>, PathRejection>,
    RawQuery(query): RawQuery,
) -> RestResult {
    let email = caller(&state, &headers)?;
    let (org, project) = path(params)?;
    permit(&state, &email, &org, &project, Permission::ApiKeys)?;
    let mut wanted = None;
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if name == "status" {
            wanted = Some(match value.as_ref() {
                "active" => ApiKeyStatus::Active,
                "revoked" => ApiKeyStatus::Revoked,
                other => {
                    return Err(RestError::BadRequest(format!(
                        "status must be active or revoked, not {other:?}"
                    )))
                }
            });
        }
    }
    let world = state.read();
    let p = world
        .project(&org, &project)
        .ok_or_else(|| RestError::NotFound(format!("no project {org}/{project}")))?;
    let items: Vec<Value> = p
        .api_keys
        .iter()
        .filter(|k| wanted.is_none_or(|w| k.status == w))
        .map(listed)
        .collect();
    Ok(Json(json!({ "items": items })).into_response())
}

/// `POST /api/v1/organizations/{org}/projects/{project}/api-keys/{name}/revoke`
/// → 200 `{"name", "status": "revoked"}`; an unknown name → 404.
///
/// [DOC] keys have an `active|revoked` status and `apiKeys` includes delete (`/rest/roles`). [INF] the
/// path and the answer; revoking a revoked key answers the same; the next MCP request with it gets 401
/// (spec/metabind.md §3, 3).
pub(crate) async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Path<(String, String, String)>, PathRejection>,
) -> RestResult {
    let email = caller(&state, &headers)?;
    let (org, project, name) = path(params)?;
    permit(&state, &email, &org, &project, Permission::ApiKeys)?;
    let mut world = state.write();
    let key = world
        .project_mut(&org, &project)
        .and_then(|p| p.api_keys.iter_mut().find(|k| k.name == name))
        .ok_or_else(|| RestError::NotFound(format!("no API key {name} in {org}/{project}")))?;
    key.status = ApiKeyStatus::Revoked;
    Ok(Json(json!({ "name": name, "status": "revoked" })).into_response())
}
