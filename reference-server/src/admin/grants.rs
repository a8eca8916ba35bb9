//! "Authorized apps" of an organization: the grants on its projects, and revoking one.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::access::revoke_unless_faulty;
use crate::admin::error::{AdminError, AdminResult};
use crate::admin::extract::authorize;
use crate::domain::lock::lock;
use crate::domain::oauth::Grant;
use crate::fault::Fault;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GrantFilter {
    #[serde(default)]
    user: Option<String>,
}

/// "Authorized apps" of an organization: every grant on its projects, optionally of one user.
pub(crate) async fn list_grants(
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

pub(crate) async fn revoke_grant(
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
