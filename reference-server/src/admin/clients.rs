//! The authorization server's clients: list them, delete one (its grants are revoked).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

use crate::admin::error::{AdminError, AdminResult};
use crate::admin::extract::authorize;
use crate::domain::lock::lock;
use crate::domain::oauth::OAuthClient;
use crate::state::AppState;

pub(crate) async fn list_clients(State(state): State<AppState>, headers: HeaderMap) -> AdminResult {
    authorize(&state, &headers)?;
    let data = lock(&state.oauth);
    let mut clients: Vec<&OAuthClient> = data.clients.values().collect();
    clients.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    Ok(Json(json!({ "clients": clients })).into_response())
}

/// Deletes a client (its grants are revoked); its next token request gets 401 invalid_client.
pub(crate) async fn delete_client(
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
