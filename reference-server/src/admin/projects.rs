//! A project as MCP App Studio edits it: its detail, publish (production becomes the draft), the
//! instructions and the public flag; and the project lookup the other admin resources share.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::admin::error::{AdminError, AdminResult};
use crate::admin::extract::{authorize, body};
use crate::domain::world::{tool_json, Project, Tool, WorldEvent};
use crate::fixture::Visibility;
use crate::state::AppState;

pub(crate) fn project_not_found(org: &str, project: &str) -> AdminError {
    AdminError::NotFound(format!("no project {org}/{project}"))
}

/// Runs `change` on a project under the write lock.
pub(crate) fn with_project<R>(
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

/// Tells the GET streams of the project's sessions that its tools changed.
pub(crate) fn tools_changed(state: &AppState, org: &str, project: &str) {
    state.notify(WorldEvent::ToolsChanged {
        org: org.to_owned(),
        project: project.to_owned(),
    });
}

fn tool_summary(tool: &Tool) -> Value {
    tool_json(tool.clone(), "2025-11-25")
}

pub(crate) async fn project_detail(
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
        "eras": p.eras,
        "draft_tools": p.draft.iter().map(tool_summary).collect::<Vec<_>>(),
        "production_tools": p.production.iter().map(tool_summary).collect::<Vec<_>>(),
    }))
    .into_response())
}

/// Publish: production becomes a copy of the draft (MCP App Studio's Publish button).
pub(crate) async fn publish(
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
pub(crate) struct Instructions {
    instructions: Option<String>,
}

pub(crate) async fn set_instructions(
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
pub(crate) struct VisibilityChange {
    visibility: Visibility,
}

pub(crate) async fn set_visibility(
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
