//! `POST /oauth/token`: reads the form, authenticates the client and hands the request to its grant type
//! (authorization_code with PKCE, refresh_token with rotation).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use crate::oauth::client::authenticate_client;
use crate::oauth::error::OAuthError;
use crate::oauth::params::{form, param};
use crate::oauth::{code_grant, refresh_grant};
use crate::state::AppState;

pub async fn token(State(state): State<AppState>, headers: HeaderMap, body: String) -> Response {
    match token_inner(&state, &headers, &body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn token_inner(
    state: &AppState,
    headers: &HeaderMap,
    body: &str,
) -> Result<Response, OAuthError> {
    let params = form(headers, body)?;
    let client = authenticate_client(state, headers, &params).await?;
    match param(&params, "grant_type") {
        Some("authorization_code") => code_grant::exchange_code(state, &client, &params),
        Some("refresh_token") => refresh_grant::refresh(state, &client, &params),
        Some(other) => Err(OAuthError::new(
            "unsupported_grant_type",
            format!("grant_type {other} is not supported"),
        )),
        None => Err(OAuthError::invalid_request("grant_type is required")),
    }
}
