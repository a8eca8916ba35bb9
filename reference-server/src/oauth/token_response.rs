//! The token endpoint's success answer (RFC 6749 §5.1): the access token, its lifetime and scopes, and a
//! refresh token when one is issued; never cached.

use std::collections::BTreeSet;

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

pub(crate) fn token_response(
    access: &str,
    refresh: Option<&str>,
    expires_in: u64,
    scopes: &BTreeSet<String>,
) -> Response {
    let mut body = json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "scope": scopes.iter().cloned().collect::<Vec<_>>().join(" "),
    });
    if let Some(r) = refresh {
        body["refresh_token"] = json!(r);
    }
    let mut response = Json(body).into_response();
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}
