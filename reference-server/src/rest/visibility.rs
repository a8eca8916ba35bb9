//! The visibility kill switch through Metabind's REST API: a project's production endpoint turns public
//! (anyone may list and call) or private (members and keys only), atomically, for the next MCP request.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::fixture::{Permission, Visibility};
use crate::rest::error::{RestError, RestResult};
use crate::rest::extract::{body, caller, path, permit};
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VisibilityChange {
    visibility: Visibility,
}

/// `PUT /api/v1/organizations/{org}/projects/{project}/settings/mcp/visibility`
/// `{"visibility": "public"|"private"}` → 200 `{"id", "organization", "name", "settings": {"mcp":
/// {"visibility"}}}`.
///
/// [DOC] `/guides/operations/project-visibility`: the setting is `settings.mcp.visibility`, the kill
/// switch sets it atomically and returns the updated project, any org Owner or Admin may call it;
/// public → private stops unauthenticated production requests "within seconds" (here: the next one).
/// [INF] the path (truncated in the copy we read), the method and the project's field names; which
/// roles may call it is the fixture's `[role_permissions]` (`visibility`).
pub(crate) async fn set(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Path<(String, String)>, PathRejection>,
    payload: Result<Json<VisibilityChange>, JsonRejection>,
) -> RestResult {
    let email = caller(&state, &headers)?;
    let (org, project) = path(params)?;
    permit(&state, &email, &org, &project, Permission::Visibility)?;
    let VisibilityChange { visibility } = body(payload)?;
    // One write lock: the next request sees the new value, never a half-changed project.
    let mut world = state.write();
    let p = world
        .project_mut(&org, &project)
        .ok_or_else(|| RestError::NotFound(format!("no project {org}/{project}")))?;
    p.visibility = visibility;
    Ok(Json(json!({
        "id": p.id,
        "organization": p.org,
        "name": p.name,
        "settings": { "mcp": { "visibility": p.visibility } },
    }))
    .into_response())
}
