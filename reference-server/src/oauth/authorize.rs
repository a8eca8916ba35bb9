//! `GET /oauth/authorize`: validates the authorization request (client, redirect URI, PKCE, RFC 8707
//! `resource`, scopes), keeps it as a pending request and sends the browser to sign in or, with a
//! Metabind session, straight to consent. Errors that cannot safely go back to the client are HTML pages;
//! the rest go to the registered redirect URI.

use std::collections::BTreeSet;
use std::time::SystemTime;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::domain::endpoint::Endpoint;
use crate::domain::lock::lock;
use crate::domain::oauth::PendingRequest;
use crate::domain::secret::random_token;
use crate::fault::Fault;
use crate::oauth::browser::{client_redirect, see_other, signed_in};
use crate::oauth::client::resolve_client;
use crate::oauth::pages;
use crate::oauth::params::{param, parse_params};
use crate::state::AppState;

/// Which endpoint of this server a `resource` names (RFC 8707), if any.
fn resource_endpoint(state: &AppState, resource: &str) -> Option<Endpoint> {
    let base = &state.config.base_url;
    let path = resource.strip_prefix(base.as_str())?;
    if !path.starts_with('/') || resource.contains('#') || resource.contains('?') {
        return None;
    }
    let endpoint = Endpoint::parse(path)?;
    state
        .read()
        .project(&endpoint.org, &endpoint.project)
        .map(|_| endpoint)
}

pub(crate) async fn authorize(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = match parse_params(query.as_deref().unwrap_or("")) {
        Ok(p) => p,
        Err(e) => {
            return pages::error(StatusCode::BAD_REQUEST, "Invalid authorization request", &e)
        }
    };
    let Some(client_id) = param(&params, "client_id") else {
        return pages::error(
            StatusCode::BAD_REQUEST,
            "Invalid authorization request",
            "The request has no client_id.",
        );
    };
    let client = match resolve_client(&state, client_id).await {
        Ok(c) => c,
        Err(why) => return pages::error(StatusCode::BAD_REQUEST, "Unknown application", &why),
    };
    // RFC 6749 §4.1.2.1 / OAuth 2.1: never redirect to an unregistered URI (exact string match).
    let redirect_uri = match param(&params, "redirect_uri") {
        Some(r) if client.redirect_uris.iter().any(|u| u == r) => r.to_owned(),
        Some(r) if state.faults().has(Fault::RedirectUriNotChecked) => r.to_owned(),
        Some(r) => {
            return pages::error(
                StatusCode::BAD_REQUEST,
                "Invalid redirect URI",
                &format!(
                    "{r} is not a redirect URI registered for {}.",
                    client.client_name
                ),
            )
        }
        None if client.redirect_uris.len() == 1 => client.redirect_uris[0].clone(),
        None => {
            return pages::error(
                StatusCode::BAD_REQUEST,
                "Invalid authorization request",
                "redirect_uri is required when the application registered more than one.",
            )
        }
    };
    let client_state = param(&params, "state").map(String::from);
    let fail = |error: &str, description: &str| {
        see_other(&client_redirect(
            &state,
            &redirect_uri,
            client_state.as_deref(),
            &[("error", error), ("error_description", description)],
        ))
    };
    if client_state.as_ref().is_some_and(|s| s.len() > 1024) {
        return fail("invalid_request", "state is longer than 1024 characters");
    }
    if param(&params, "response_type") != Some("code") {
        return fail("unsupported_response_type", "response_type must be code");
    }
    let pkce_optional = state.faults().has(Fault::PkceNotEnforced);
    let code_challenge = match param(&params, "code_challenge") {
        Some(c) if (43..=128).contains(&c.len()) => c.to_owned(),
        Some(_) if !pkce_optional => {
            return fail(
                "invalid_request",
                "code_challenge must be 43 to 128 characters (BASE64URL of SHA-256)",
            )
        }
        None if !pkce_optional => {
            return fail(
                "invalid_request",
                "PKCE is required: send code_challenge and code_challenge_method=S256",
            )
        }
        other => other.unwrap_or_default().to_owned(),
    };
    if param(&params, "code_challenge_method") != Some("S256") && !pkce_optional {
        return fail(
            "invalid_request",
            "code_challenge_method must be S256 (plain is not allowed)",
        );
    }
    let Some(resource) = param(&params, "resource") else {
        return fail(
            "invalid_target",
            "resource is required: name the MCP endpoint to authorize (RFC 8707)",
        );
    };
    let Some(endpoint) = resource_endpoint(&state, resource) else {
        return fail(
            "invalid_target",
            "resource must be the URL of one MCP endpoint of this server",
        );
    };
    // ChatGPT reconnects without `scope`: fall back to the client's registered scopes, then the
    // endpoint's full set.
    let scope_text = param(&params, "scope")
        .map(String::from)
        .or_else(|| client.scope.clone())
        .unwrap_or_else(|| {
            let mut s = state.scopes().endpoint(endpoint.env);
            s.push(state.scopes().offline());
            s.join(" ")
        });
    let scopes: BTreeSet<String> = scope_text.split_whitespace().map(String::from).collect();
    if let Some(unknown) = scopes.iter().find(|s| !state.scopes().contains(s)) {
        return fail("invalid_scope", &format!("unknown scope {unknown}"));
    }
    let pending = PendingRequest {
        id: random_token(),
        client_id: client.client_id.clone(),
        client_name: client.client_name.clone(),
        redirect_uri_sent: param(&params, "redirect_uri").is_some(),
        redirect_uri,
        state: client_state.clone(),
        code_challenge,
        scopes,
        endpoint: endpoint.key(),
        resource: resource.to_owned(),
        created: SystemTime::now(),
    };
    let id = pending.id.clone();
    {
        let mut data = lock(&state.oauth);
        data.sweep();
        data.pending.insert(id.clone(), pending);
    }
    // A Metabind session in this browser goes straight to consent.
    if signed_in(&state, &headers) {
        see_other(&format!("/oauth/consent?request={id}"))
    } else {
        see_other(&format!("/oauth/login?request={id}"))
    }
}
