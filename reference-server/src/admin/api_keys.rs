//! A project's API keys: list them (never their values), mint one (its value shown once), revoke one.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::admin::error::{AdminError, AdminResult};
use crate::admin::extract::{authorize, body};
use crate::admin::projects::{project_not_found, with_project};
use crate::domain::world::{ApiKeyStatus, MintError, MIN_API_KEY_LEN};
use crate::fixture::Environment;
use crate::state::AppState;

pub(crate) async fn list_api_keys(
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
pub(crate) struct NewApiKey {
    name: String,
    #[serde(default)]
    key: Option<String>,
    created_by: String,
    #[serde(default)]
    environments: Option<Vec<Environment>>,
}

pub(crate) async fn create_api_key(
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
    let environments = new
        .environments
        .unwrap_or_else(|| vec![Environment::Production, Environment::Draft]);
    let api_key = p
        .mint_api_key(&new.name, new.key, &new.created_by, environments)
        .map_err(|e| match e {
            MintError::NameTaken => AdminError::Conflict(
                "NAME_ALREADY_EXISTS",
                format!("an API key named {} already exists", new.name),
            ),
            MintError::KeyTooShort => AdminError::BadRequest(format!(
                "an API key must have at least {MIN_API_KEY_LEN} characters"
            )),
        })?;
    let mut shown = serde_json::to_value(&api_key).unwrap_or_default();
    // The value is returned only once, at creation.
    shown["key"] = json!(api_key.key);
    Ok((StatusCode::CREATED, Json(shown)).into_response())
}

pub(crate) async fn revoke_api_key(
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
