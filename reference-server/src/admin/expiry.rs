//! Lifetimes and expiry, so scenarios can test them without waiting: the token lifetimes, ending access
//! (and refresh) tokens now, and ageing a project's tasks past their ttl.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::admin::error::{AdminError, AdminResult};
use crate::admin::extract::{authorize, body};
use crate::admin::projects::project_not_found;
use crate::domain::lock::lock;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OAuthSettingsEdit {
    #[serde(default)]
    access_token_ttl_secs: Option<u64>,
    #[serde(default)]
    refresh_token_ttl_secs: Option<u64>,
}

pub(crate) async fn oauth_settings(
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
pub(crate) struct ExpireTokens {
    #[serde(default)]
    user: Option<String>,
    /// Also expire the refresh tokens of those grants ("the session expired"): a refresh then fails.
    #[serde(default)]
    refresh_tokens: bool,
}

/// Ends the life of access tokens now (all, or one user's), so expiry is testable without waiting.
pub(crate) async fn expire_access_tokens(
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
pub(crate) async fn expire_tasks(
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
