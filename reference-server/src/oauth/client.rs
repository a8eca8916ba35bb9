//! Which client is asking: a `client_id` resolved to a registered, pre-registered or metadata-document
//! client, and client authentication at the token and revocation endpoints (RFC 6749 §2.3).

use axum::http::{header, HeaderMap};
use base64::Engine as _;

use crate::domain::lock::lock;
use crate::domain::oauth::OAuthClient;
use crate::domain::secret::constant_time_eq;
use crate::fixture::TokenEndpointAuth;
use crate::oauth::cimd;
use crate::oauth::error::OAuthError;
use crate::oauth::params::param;
use crate::state::AppState;

/// The client named by `client_id`: registered, pre-registered, or a metadata document fetched now.
pub async fn resolve_client(state: &AppState, client_id: &str) -> Result<OAuthClient, String> {
    if let Some(client) = lock(&state.oauth).client(client_id) {
        return Ok(client);
    }
    if cimd::is_metadata_url(client_id) {
        return cimd::resolve(state, client_id).await;
    }
    Err(format!(
        "no client is registered with client_id {client_id:?}"
    ))
}

/// Client authentication at the token and revocation endpoints (RFC 6749 §2.3).
pub(crate) async fn authenticate_client(
    state: &AppState,
    headers: &HeaderMap,
    params: &[(String, String)],
) -> Result<OAuthClient, OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .map(|encoded| -> Result<(String, String), OAuthError> {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| OAuthError::invalid_client("malformed Basic credentials", true))?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or_else(|| OAuthError::invalid_client("malformed Basic credentials", true))?;
            let unescape = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            Ok((unescape(id), unescape(secret)))
        })
        .transpose()?;
    let client_id = match (&basic, param(params, "client_id")) {
        (Some((id, _)), Some(body_id)) if id != body_id => {
            return Err(OAuthError::invalid_client(
                "client_id in the body differs from the Basic credentials",
                true,
            ))
        }
        (Some((id, _)), _) => id.clone(),
        (None, Some(id)) => id.to_owned(),
        (None, None) => {
            return Err(OAuthError::invalid_client(
                "client authentication is required",
                false,
            ))
        }
    };
    let known = {
        let data = lock(&state.oauth);
        data.client(&client_id).or_else(|| {
            data.metadata_documents
                .get(&client_id)
                .map(|(c, _)| c.clone())
        })
    };
    let client = match known {
        Some(c) => c,
        None if cimd::is_metadata_url(&client_id) => resolve_client(state, &client_id)
            .await
            .map_err(|why| OAuthError::invalid_client(why, basic.is_some()))?,
        None => {
            // Claude re-registers when a deleted client gets 401 invalid_client.
            return Err(OAuthError::invalid_client(
                format!("unknown client {client_id:?}"),
                basic.is_some(),
            ));
        }
    };
    let presented = basic
        .as_ref()
        .map(|(_, s)| s.as_str())
        .or_else(|| param(params, "client_secret"));
    match client.token_endpoint_auth_method {
        TokenEndpointAuth::None => Ok(client),
        TokenEndpointAuth::ClientSecretBasic | TokenEndpointAuth::ClientSecretPost => {
            let expected = client.client_secret.as_deref().unwrap_or_default();
            if presented.is_some_and(|p| !expected.is_empty() && constant_time_eq(p, expected)) {
                Ok(client)
            } else {
                Err(OAuthError::invalid_client(
                    "the client secret is missing or wrong",
                    basic.is_some(),
                ))
            }
        }
    }
}
