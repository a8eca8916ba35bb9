//! What every REST handler reads first: the caller (a REST API token from the fixture), whether they may
//! act on the project addressed, and a JSON body or path whose rejection becomes a JSON 400 instead of
//! axum's plain-text answer.
//!
//! The order of refusals: no or unknown token → 401; unknown organization → 404; caller not a member of
//! it → 403 (whether the project exists is not revealed to outsiders); unknown project → 404; the
//! caller's role lacks the permission → 403. Bodies are read only after that.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::Path;
use axum::http::{header, HeaderMap};
use axum::Json;

use crate::domain::secret::constant_time_eq;
use crate::fixture::Permission;
use crate::rest::error::RestError;
use crate::state::AppState;

/// The user a request acts as: `Authorization: Bearer <REST API token>`.
pub(crate) fn caller(state: &AppState, headers: &HeaderMap) -> Result<String, RestError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(RestError::Unauthorized(
            "the REST API needs `Authorization: Bearer <REST API token>`".into(),
        ));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            RestError::Unauthorized("the Authorization header is not a Bearer token".into())
        })?;
    let world = state.read();
    // Every token is compared, each in constant time, so timing tells nothing about which was close.
    let mut found = None;
    for (known, email) in &world.rest_tokens {
        if constant_time_eq(known, token) {
            found = Some(email.clone());
        }
    }
    found.ok_or_else(|| RestError::Unauthorized("unknown or invalid REST API token".into()))
}

/// Refuses unless `email` may use `permission` on `org/project` (see the module doc for the order).
pub(crate) fn permit(
    state: &AppState,
    email: &str,
    org: &str,
    project: &str,
    permission: Permission,
) -> Result<(), RestError> {
    let world = state.read();
    if !world.organizations.contains_key(org) {
        return Err(RestError::NotFound(format!("no organization {org}")));
    }
    let Some(role) = world.role_of(org, email) else {
        return Err(RestError::Forbidden(format!(
            "{email} is not a member of the organization {org}"
        )));
    };
    if world.project(org, project).is_none() {
        return Err(RestError::NotFound(format!("no project {org}/{project}")));
    }
    if !world.permissions_of(org, email).contains(&permission) {
        return Err(RestError::Forbidden(format!(
            "the role {role} of {email} does not have the {} permission",
            permission.as_str()
        )));
    }
    Ok(())
}

/// The path's parameters, or a JSON 400.
pub(crate) fn path<T>(path: Result<Path<T>, PathRejection>) -> Result<T, RestError> {
    path.map(|Path(p)| p)
        .map_err(|e| RestError::BadRequest(format!("invalid path: {}", e.body_text())))
}

/// The JSON body, or a 400 naming what is wrong with it.
pub(crate) fn body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, RestError> {
    body.map(|Json(v)| v)
        .map_err(|e| RestError::BadRequest(format!("invalid JSON body: {}", e.body_text())))
}
