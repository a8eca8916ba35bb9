//! The token endpoint (authorization_code with PKCE, refresh_token with rotation), revocation (RFC 7009)
//! and Dynamic Client Registration (RFC 7591).

use std::collections::BTreeSet;
use std::time::SystemTime;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::access::{current_allowance, revoke_unless_faulty};
use crate::domain::lock::lock;
use crate::domain::oauth::{ClientKind, Grant, OAuthClient, RefreshToken};
use crate::domain::scope::ALL_SCOPES;
use crate::domain::secret::{constant_time_eq, random_token};
use crate::domain::time::{expired, now_rfc3339};
use crate::fault::Fault;
use crate::fixture::TokenEndpointAuth;
use crate::oauth::error::OAuthError;
use crate::oauth::{param, parse_params, valid_redirect_uri};
use crate::state::AppState;

fn form(headers: &HeaderMap, body: &str) -> Result<Vec<(String, String)>, OAuthError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    parse_params(body).map_err(OAuthError::invalid_request)
}

/// Client authentication at the token and revocation endpoints (RFC 6749 §2.3).
async fn authenticate_client(
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
        None if crate::oauth::cimd::is_metadata_url(&client_id) => {
            crate::oauth::resolve_client(state, &client_id)
                .await
                .map_err(|why| OAuthError::invalid_client(why, basic.is_some()))?
        }
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

fn token_response(
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
        Some("authorization_code") => exchange_code(state, &client, &params),
        Some("refresh_token") => refresh(state, &client, &params),
        Some(other) => Err(OAuthError::new(
            "unsupported_grant_type",
            format!("grant_type {other} is not supported"),
        )),
        None => Err(OAuthError::invalid_request("grant_type is required")),
    }
}

fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let digest = Sha256::digest(verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest) == challenge
}

fn exchange_code(
    state: &AppState,
    client: &OAuthClient,
    params: &[(String, String)],
) -> Result<Response, OAuthError> {
    let code =
        param(params, "code").ok_or_else(|| OAuthError::invalid_request("code is required"))?;
    let faults = state.faults();
    let mut data = lock(&state.oauth);
    let Some(record) = data.codes.get(code).cloned() else {
        return Err(OAuthError::invalid_grant(
            "the authorization code is unknown or expired",
        ));
    };
    if let Some(grant_id) = &record.redeemed_grant {
        // OAuth 2.1 §4.1.3: a replayed code revokes the tokens it produced.
        let grant_id = grant_id.clone();
        data.revoke_grant(&grant_id);
        return Err(OAuthError::invalid_grant(
            "the authorization code was already used; the grant it produced is revoked",
        ));
    }
    if expired(record.created, data.code_ttl) {
        data.codes.remove(code);
        return Err(OAuthError::invalid_grant("the authorization code expired"));
    }
    if record.client_id != client.client_id {
        return Err(OAuthError::invalid_grant(
            "the authorization code was issued to another client",
        ));
    }
    // RFC 6749 §4.1.3: required, and identical, when the authorization request included it.
    if param(params, "redirect_uri").is_some_and(|r| r != record.redirect_uri)
        || (param(params, "redirect_uri").is_none() && record.redirect_uri_sent)
    {
        return Err(OAuthError::invalid_grant(
            "redirect_uri differs from the authorization request",
        ));
    }
    if !faults.has(Fault::PkceNotEnforced) {
        let verifier = param(params, "code_verifier")
            .ok_or_else(|| OAuthError::invalid_grant("code_verifier is required (PKCE)"))?;
        if !pkce_matches(verifier, &record.code_challenge) {
            return Err(OAuthError::invalid_grant(
                "code_verifier does not match the code_challenge (PKCE)",
            ));
        }
    }
    match param(params, "resource") {
        Some(r) if r == record.resource => {}
        Some(_) => {
            return Err(OAuthError::new(
                "invalid_target",
                "resource differs from the authorization request",
            ))
        }
        None => {
            return Err(OAuthError::new(
                "invalid_target",
                "resource is required (RFC 8707), as in the authorization request",
            ))
        }
    }
    // One grant per user × client × endpoint, as "Authorized apps" lists them.
    let now = now_rfc3339();
    let existing = data
        .grants
        .values()
        .find(|g| {
            !g.revoked
                && g.email == record.email
                && g.client_id == record.client_id
                && g.endpoint == record.endpoint
        })
        .map(|g| g.id.clone());
    let grant_id = existing.unwrap_or_else(random_token);
    let created_at = data
        .grants
        .get(&grant_id)
        .map(|g| g.created_at.clone())
        .unwrap_or_else(|| now.clone());
    data.grants.insert(
        grant_id.clone(),
        Grant {
            id: grant_id.clone(),
            email: record.email.clone(),
            client_id: client.client_id.clone(),
            client_name: client.client_name.clone(),
            org: record.endpoint.org.clone(),
            project: record.endpoint.project.clone(),
            environment: record.endpoint.env.as_str(),
            endpoint: record.endpoint.clone(),
            resource: record.resource.clone(),
            scopes: record.scopes.clone(),
            created_at,
            last_used_at: None,
            revoked: false,
        },
    );
    if let Some(c) = data.codes.get_mut(code) {
        c.redeemed_grant = Some(grant_id.clone());
    }
    let with_refresh = client.gets_refresh_tokens(&record.scopes);
    let (access, refresh) = data.issue_tokens(&grant_id, &record.scopes, with_refresh);
    let expires_in = data.access_ttl.as_secs();
    Ok(token_response(
        &access,
        refresh.as_deref(),
        expires_in,
        &record.scopes,
    ))
}

fn refresh(
    state: &AppState,
    client: &OAuthClient,
    params: &[(String, String)],
) -> Result<Response, OAuthError> {
    let presented = param(params, "refresh_token")
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
    let faults = state.faults();
    let grant = {
        let mut data = lock(&state.oauth);
        let Some(record) = data.refresh_tokens.get(presented).cloned() else {
            return Err(OAuthError::invalid_grant(
                "the refresh token is unknown, expired or revoked",
            ));
        };
        let grant = data.grants.get(&record.grant_id).cloned();
        let Some(grant) = grant.filter(|g| !g.revoked) else {
            return Err(OAuthError::invalid_grant("the grant was revoked"));
        };
        if grant.client_id != client.client_id {
            return Err(OAuthError::invalid_grant(
                "the refresh token was issued to another client",
            ));
        }
        if record.rotated {
            // Reuse of a rotated refresh token: assume theft and revoke the grant (RFC 9700 §4.14.2).
            data.revoke_grant(&record.grant_id);
            return Err(OAuthError::invalid_grant(
                "the refresh token was already used; the grant is revoked",
            ));
        }
        if record.expires_at <= SystemTime::now() {
            return Err(OAuthError::invalid_grant("the refresh token expired"));
        }
        grant
    };
    if param(params, "resource").is_some_and(|r| r != grant.resource) {
        return Err(OAuthError::new(
            "invalid_target",
            "resource differs from the grant's",
        ));
    }
    // Membership and role changes apply at the next refresh: the user must authorize again.
    let allowance = current_allowance(state, &grant.email, &grant);
    let Some(allowance) = allowance else {
        revoke_unless_faulty(state, &mut lock(&state.oauth), &grant.id);
        return Err(OAuthError::invalid_grant(format!(
            "{} is no longer a member of {}; authorize again",
            grant.email, grant.org
        )));
    };
    if !grant.scopes.is_subset(&allowance) && !faults.has(Fault::ScopeNotEnforced) {
        return Err(OAuthError::invalid_grant(
            "the user's role no longer allows every scope of this grant; authorize again",
        ));
    }
    let scopes = match param(params, "scope") {
        None => grant.scopes.clone(),
        Some(s) => {
            let asked: BTreeSet<String> = s.split_whitespace().map(String::from).collect();
            if !asked.is_subset(&grant.scopes) {
                return Err(OAuthError::new(
                    "invalid_scope",
                    "a refresh cannot add scopes to the grant",
                ));
            }
            asked
        }
    };
    let mut data = lock(&state.oauth);
    // Re-check under the lock that rotates: a concurrent refresh or a revocation may have come first.
    let still_valid = data
        .refresh_tokens
        .get(presented)
        .is_some_and(|r| !r.rotated)
        && data.grants.get(&grant.id).is_some_and(|g| !g.revoked);
    if !still_valid && !faults.has(Fault::RefreshNotRotated) {
        data.revoke_grant(&grant.id);
        return Err(OAuthError::invalid_grant(
            "the refresh token was already used; the grant is revoked",
        ));
    }
    let expires_in = data.access_ttl.as_secs();
    if faults.has(Fault::RefreshNotRotated) {
        let (access, _) = data.issue_tokens(&grant.id, &scopes, false);
        return Ok(token_response(
            &access,
            Some(presented),
            expires_in,
            &scopes,
        ));
    }
    if let Some(old) = data.refresh_tokens.get_mut(presented) {
        old.rotated = true;
    }
    let (access, refresh) = data.issue_tokens(&grant.id, &scopes, false);
    // A narrowed refresh without offline_access still rotates: keep a refresh token.
    let refresh = refresh.unwrap_or_else(|| {
        let token = random_token();
        let expires_at = SystemTime::now() + data.refresh_ttl;
        data.refresh_tokens.insert(
            token.clone(),
            RefreshToken {
                grant_id: grant.id.clone(),
                expires_at,
                rotated: false,
            },
        );
        token
    });
    Ok(token_response(&access, Some(&refresh), expires_in, &scopes))
}

/// RFC 7009: answers 200 whether or not the token was known.
pub async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: String) -> Response {
    let result = async {
        let params = form(&headers, &body)?;
        let client = authenticate_client(&state, &headers, &params).await?;
        let token = param(&params, "token")
            .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
        let mut data = lock(&state.oauth);
        let grant_of_refresh = data.refresh_tokens.get(token).map(|t| t.grant_id.clone());
        let grant_of_access = data.access_tokens.get(token).map(|t| t.grant_id.clone());
        let grant_id = grant_of_refresh.clone().or(grant_of_access.clone());
        if let Some(grant_id) = grant_id {
            let owner = data.grants.get(&grant_id).map(|g| g.client_id.clone());
            if owner.as_deref() != Some(client.client_id.as_str()) {
                return Err(OAuthError::new(
                    "unauthorized_client",
                    "the token was issued to another client",
                ));
            }
            if grant_of_refresh.is_some() {
                revoke_unless_faulty(&state, &mut data, &grant_id);
            } else if !state.faults().has(Fault::RevocationIgnored) {
                data.access_tokens.remove(token);
            }
        }
        Ok(StatusCode::OK.into_response())
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

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
    let scope = match metadata.get("scope") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            if let Some(unknown) = s.split_whitespace().find(|x| !ALL_SCOPES.contains(x)) {
                return Err(OAuthError::new(
                    "invalid_client_metadata",
                    format!("unknown scope {unknown}"),
                ));
            }
            Some(s.clone())
        }
        Some(_) => return Err(bad("scope must be a string")),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The expected challenge was computed independently:
    /// `base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b'=')` in Python.
    #[test]
    fn pkce_s256_matches_an_independently_computed_challenge() {
        let challenge = "bwWFMyPfdG9qreDhH2lmftFx_dFeLDalzcT1gb_j68g";
        assert!(pkce_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r7wW1gFWFOEjXk",
            challenge
        ));
        assert!(!pkce_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r7wW1gFWFOEjXl",
            challenge
        ));
    }
}
