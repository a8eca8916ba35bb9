//! The admin API's error: a status and a `{error, message}` body (401 with a Bearer challenge).

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// An admin API failure, with its status and a `{error, message}` body.
#[derive(Debug)]
pub enum AdminError {
    Unauthorized,
    NotFound(String),
    BadRequest(String),
    Conflict(&'static str, String),
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            AdminError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "UNAUTHORIZED",
                "the admin API needs `Authorization: Bearer <admin key>`".to_owned(),
            ),
            AdminError::NotFound(m) => (StatusCode::NOT_FOUND, "NOT_FOUND", m),
            AdminError::BadRequest(m) => (StatusCode::BAD_REQUEST, "BAD_REQUEST", m),
            AdminError::Conflict(code, m) => (StatusCode::CONFLICT, code, m),
        };
        let mut response =
            (status, Json(json!({ "error": code, "message": message }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"metabind-admin\""),
            );
        }
        response
    }
}

/// What every admin handler returns.
pub(crate) type AdminResult = Result<Response, AdminError>;
