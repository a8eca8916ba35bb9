//! What every admin handler reads first: the admin key (compared in constant time) and a JSON body whose
//! rejection becomes a 400 [`AdminError`] instead of axum's plain-text answer.

use axum::extract::rejection::JsonRejection;
use axum::http::{header, HeaderMap};
use axum::Json;

use crate::admin::error::AdminError;
use crate::domain::secret::constant_time_eq;
use crate::state::AppState;

/// Accepts only `Authorization: Bearer <admin key>`.
pub(crate) fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), AdminError> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if constant_time_eq(given, &state.config.settings.admin_key) {
        Ok(())
    } else {
        Err(AdminError::Unauthorized)
    }
}

/// The JSON body, or a 400 naming what is wrong with it.
pub(crate) fn body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, AdminError> {
    body.map(|Json(v)| v)
        .map_err(|e| AdminError::BadRequest(format!("invalid JSON body: {}", e.body_text())))
}
