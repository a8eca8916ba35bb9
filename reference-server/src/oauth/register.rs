//! `POST /oauth/register`: Dynamic Client Registration (RFC 7591) with real validation of the metadata.

use std::time::SystemTime;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::domain::lock::lock;
use crate::domain::oauth::{ClientKind, OAuthClient};
use crate::domain::secret::random_token;
use crate::fault::Fault;
use crate::fixture::TokenEndpointAuth;
use crate::oauth::error::OAuthError;
use crate::oauth::params::valid_redirect_uri;
use crate::state::AppState;

/// RFC 7591 Dynamic Client Registration, with real validation.
pub async fn register(State(state): State<AppState>, body: String) -> Response {
    let metadata: Value = match serde_json::from_str(&body) {
        Ok(Value::Object(m)) => Value::Object(m),
        _ => {
            return OAuthError::new("invalid_client_metadata", "the body must be a JSON object")
                .into_response()
        }
    };
    match register_inner(&state, &metadata) {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

fn register_inner(state: &AppState, metadata: &Value) -> Result<Response, OAuthError> {
    let bad = |m: &str| OAuthError::new("invalid_client_metadata", m.to_owned());
    let redirect_uris: Vec<String> = match metadata.get("redirect_uris") {
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(String::from)
                    .ok_or_else(|| bad("redirect_uris must be strings"))
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(OAuthError::new(
                "invalid_redirect_uri",
                "redirect_uris must be a non-empty array",
            ))
        }
    };
    if let Some(bad_uri) = redirect_uris.iter().find(|u| !valid_redirect_uri(u)) {
        return Err(OAuthError::new(
            "invalid_redirect_uri",
            format!("{bad_uri} is not allowed: redirect URIs must be https or loopback http, without a fragment"),
        ));
    }
    let strings = |key: &str| -> Result<Option<Vec<String>>, OAuthError> {
        match metadata.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(String::from)
                        .ok_or_else(|| bad(&format!("{key} must be strings")))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(bad(&format!("{key} must be an array"))),
        }
    };
    let grant_types = strings("grant_types")?.unwrap_or_else(|| vec!["authorization_code".into()]);
    if let Some(g) = grant_types
        .iter()
        .find(|g| *g != "authorization_code" && *g != "refresh_token")
    {
        return Err(bad(&format!("grant type {g} is not supported")));
    }
    let response_types = strings("response_types")?.unwrap_or_else(|| vec!["code".into()]);
    if response_types.iter().any(|r| r != "code") {
        return Err(bad("only the code response type is supported"));
    }
    let method = match metadata.get("token_endpoint_auth_method") {
        None | Some(Value::Null) => TokenEndpointAuth::ClientSecretBasic,
        Some(Value::String(m)) => match m.as_str() {
            "none" => TokenEndpointAuth::None,
            "client_secret_basic" => TokenEndpointAuth::ClientSecretBasic,
            "client_secret_post" => TokenEndpointAuth::ClientSecretPost,
            other => {
                return Err(bad(&format!(
                    "token_endpoint_auth_method {other} is not supported"
                )))
            }
        },
        Some(_) => return Err(bad("token_endpoint_auth_method must be a string")),
    };
    if state.faults().has(Fault::DcrPublicOnly) && method != TokenEndpointAuth::None {
        return Err(bad(
            "only public clients can register: token_endpoint_auth_method must be none",
        ));
    }
    let method = if state.faults().has(Fault::DcrEchoesOtherMethod) {
        TokenEndpointAuth::ClientSecretBasic
    } else {
        method
    };
    let scope = match metadata.get("scope") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            if let Some(unknown) = s.split_whitespace().find(|x| !state.scopes().contains(x)) {
                return Err(OAuthError::new(
                    "invalid_client_metadata",
                    format!("unknown scope {unknown}"),
                ));
            }
            Some(s.clone())
        }
        Some(_) => return Err(bad("scope must be a string")),
    };
    // MCP 2026-07-28 client registration: clients say what they are; OIDC's default is "web". The
    // value is recorded and echoed; a 2025 client that sends none is still served (no rule says
    // otherwise, and refusing it would lock out every host of that era).
    let application_type = match metadata.get("application_type") {
        None | Some(Value::Null) => "web",
        Some(Value::String(s)) if s == "web" => "web",
        Some(Value::String(s)) if s == "native" => "native",
        Some(_) => return Err(bad("application_type must be \"web\" or \"native\"")),
    };
    let client_name = match metadata.get("client_name") {
        None | Some(Value::Null) => "Unnamed application".to_owned(),
        Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= 200 => s.clone(),
        Some(_) => {
            return Err(bad(
                "client_name must be a non-empty string of at most 200 characters",
            ))
        }
    };
    let client_id = uuid::Uuid::new_v4().to_string();
    let secret = (method != TokenEndpointAuth::None).then(random_token);
    let client = OAuthClient {
        client_id: client_id.clone(),
        client_secret: secret.clone(),
        client_name: client_name.clone(),
        redirect_uris: redirect_uris.clone(),
        token_endpoint_auth_method: method,
        scope: scope.clone(),
        kind: ClientKind::Dynamic,
        grant_types: grant_types.clone(),
    };
    lock(&state.oauth).clients.insert(client_id.clone(), client);
    let issued_at = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let mut body = json!({
        "client_id": client_id,
        "client_id_issued_at": issued_at,
        "client_name": client_name,
        "redirect_uris": redirect_uris,
        "grant_types": grant_types,
        "response_types": response_types,
        "token_endpoint_auth_method": method.as_str(),
        "application_type": application_type,
    });
    if let Some(s) = scope {
        body["scope"] = json!(s);
    }
    if let Some(secret) = secret {
        body["client_secret"] = json!(secret);
        body["client_secret_expires_at"] = json!(0);
    }
    Ok((StatusCode::CREATED, Json(body)).into_response())
}
