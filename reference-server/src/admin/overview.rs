//! What the server holds and runs with: organizations with their members and projects, and the active
//! faults.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};

use crate::admin::error::AdminResult;
use crate::admin::extract::authorize;
use crate::state::AppState;

pub(crate) async fn summary(State(state): State<AppState>, headers: HeaderMap) -> AdminResult {
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

pub(crate) async fn faults(State(state): State<AppState>, headers: HeaderMap) -> AdminResult {
    authorize(&state, &headers)?;
    let active: Vec<&str> = state.faults().iter().map(|f| f.name()).collect();
    Ok(Json(json!({ "faults": active })).into_response())
}
