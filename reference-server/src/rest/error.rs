//! The REST API's error: a status and a `{error, message}` body, as Metabind's REST reference shows
//! its errors (`NAME_ALREADY_EXISTS`); 401 carries a Bearer challenge.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// A REST API failure.
#[derive(Debug)]
pub enum RestError {
    /// No token, or one this server did not issue.
    Unauthorized(String),
    /// The caller's role lacks the permission, or the caller is not a member.
    Forbidden(String),
    NotFound(String),
    /// A body, path or query that cannot be read or holds a bad value.
    BadRequest(String),
    /// A conflict with an existing record, with its code (`NAME_ALREADY_EXISTS`).
    Conflict(&'static str, String),
    MethodNotAllowed,
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            RestError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, "UNAUTHORIZED", m),
            RestError::Forbidden(m) => (StatusCode::FORBIDDEN, "FORBIDDEN", m),
            RestError::NotFound(m) => (StatusCode::NOT_FOUND, "NOT_FOUND", m),
            RestError::BadRequest(m) => (StatusCode::BAD_REQUEST, "BAD_REQUEST", m),
            RestError::Conflict(code, m) => (StatusCode::CONFLICT, code, m),
            RestError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                "this route does not answer that method".to_owned(),
            ),
        };
        let mut response =
            (status, Json(json!({ "error": code, "message": message }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"metabind-api\""),
            );
        }
        response
    }
}

/// What every REST handler returns.
pub(crate) type RestResult = Result<Response, RestError>;
