//! Users and organization membership: create a user, add a member or change their role, remove a member
//! (which ends their authorizations in that organization).

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::access::revoke_unless_faulty;
use crate::admin::error::{AdminError, AdminResult};
use crate::admin::extract::{authorize, body};
use crate::domain::lock::lock;
use crate::domain::world::User;
use crate::fault::Fault;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUser {
    email: String,
    name: String,
    password: String,
}

pub(crate) async fn create_user(
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
pub(crate) struct MemberRole {
    role: String,
}

/// Adds a member or changes their role.
pub(crate) async fn set_member(
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

pub(crate) async fn remove_member(
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
