//! The OAuth 2.1 authorization server: metadata, client registration (pre-registered, Client ID Metadata
//! Documents, Dynamic Client Registration), the popup (authorize → sign in → consent → redirect with
//! `code`, `state`, `iss`), tokens with refresh rotation, and revocation.
//!
//! Errors that cannot safely go back to the client (unknown client, unregistered redirect URI) are HTML
//! pages that never redirect; everything after that is reported at the redirect URI (RFC 6749 §4.1.2.1).

pub mod cimd;
pub mod error;
pub mod metadata;
pub mod pages;
pub mod token;

use std::collections::BTreeSet;
use std::time::SystemTime;

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use url::Url;

use crate::access::is_public;
use crate::domain::endpoint::Endpoint;
use crate::domain::lock::lock;
use crate::domain::oauth::{AuthCode, BrowserSession, OAuthClient, PendingRequest};
use crate::domain::scope::{
    endpoint_scopes, public_scopes, ALL_SCOPES, SCOPE_EXECUTE_DRAFT, SCOPE_OFFLINE,
};
use crate::domain::secret::{constant_time_eq, random_token};
use crate::domain::time::expired;
use crate::fault::Fault;
use crate::fixture::Environment;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/.well-known/oauth-authorization-server",
            get(metadata::serve),
        )
        .route("/.well-known/openid-configuration", get(metadata::serve))
        .route("/oauth/authorize", get(authorize))
        .route("/oauth/login", get(login_page).post(login_submit))
        .route("/oauth/consent", get(consent_page).post(consent_submit))
        .route("/oauth/token", post(token::token))
        .route("/oauth/revoke", post(token::revoke))
        .route("/oauth/register", post(token::register))
}

/// Redirect URIs must be https, or http on a loopback host; never with a fragment (MCP §7.6).
pub fn valid_redirect_uri(uri: &str) -> bool {
    let Ok(url) = Url::parse(uri) else {
        return false;
    };
    if url.fragment().is_some() {
        return false;
    }
    match url.scheme() {
        "https" => url.host_str().is_some(),
        "http" => matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")),
        _ => false,
    }
}

/// Form or query parameters; a repeated parameter is an error (RFC 6749 §3.1).
pub fn parse_params(raw: &str) -> Result<Vec<(String, String)>, String> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut seen = BTreeSet::new();
    for (k, _) in &pairs {
        if !seen.insert(k.as_str()) {
            return Err(format!("the parameter {k} is repeated"));
        }
    }
    Ok(pairs)
}

pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn cookie_name(state: &AppState, base: &str) -> String {
    // `__Host-` needs Secure, which needs https: loopback http servers use the plain name.
    if state.config.base_url.starts_with("https://") {
        format!("__Host-{base}")
    } else {
        base.to_owned()
    }
}

fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn set_cookie(state: &AppState, response: &mut Response, base: &str, value: &str) {
    let secure = if state.config.base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax{secure}",
        cookie_name(state, base)
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

const SESSION_COOKIE: &str = "mb_session";
const LOGIN_CSRF_COOKIE: &str = "mb_login_csrf";

fn browser_session(state: &AppState, headers: &HeaderMap) -> Option<(String, BrowserSession)> {
    let id = read_cookie(headers, &cookie_name(state, SESSION_COOKIE))?;
    let session = lock(&state.oauth).browser_sessions.get(&id).cloned()?;
    Some((id, session))
}

/// Whether this browser's login session lets a new authorization request skip the sign-in page.
fn signed_in(state: &AppState, headers: &HeaderMap) -> bool {
    // The fault: the login cookie is set but never honoured, so every popup asks to sign in again.
    browser_session(state, headers).is_some() && !state.faults().has(Fault::LoginSessionNotKept)
}

fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The redirect URI with the authorization response parameters added (RFC 9207 `iss` included).
fn client_redirect(
    state: &AppState,
    redirect_uri: &str,
    client_state: Option<&str>,
    params: &[(&str, &str)],
) -> String {
    let Ok(mut url) = Url::parse(redirect_uri) else {
        return redirect_uri.to_owned();
    };
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in params {
            query.append_pair(k, v);
        }
        if let Some(s) = client_state {
            if !state.faults().has(Fault::StateDropped) {
                query.append_pair("state", s);
            }
        }
        if !state.faults().has(Fault::IssMissing) {
            query.append_pair("iss", &state.config.base_url);
        }
    }
    url.to_string()
}

fn redirect_error(
    state: &AppState,
    pending: &PendingRequest,
    error: &str,
    description: &str,
) -> Response {
    see_other(&client_redirect(
        state,
        &pending.redirect_uri,
        pending.state.as_deref(),
        &[("error", error), ("error_description", description)],
    ))
}

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

async fn authorize(
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
            let mut s = endpoint_scopes(endpoint.env);
            s.push(SCOPE_OFFLINE);
            s.join(" ")
        });
    let scopes: BTreeSet<String> = scope_text.split_whitespace().map(String::from).collect();
    if let Some(unknown) = scopes.iter().find(|s| !ALL_SCOPES.contains(&s.as_str())) {
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

fn pending_request(state: &AppState, id: Option<&str>) -> Option<PendingRequest> {
    let data = lock(&state.oauth);
    data.pending
        .get(id?)
        .filter(|p| !expired(p.created, data.request_ttl))
        .cloned()
}

fn expired_request_page() -> Response {
    pages::error(
        StatusCode::BAD_REQUEST,
        "This sign-in link has expired",
        "Start the connection again from your app.",
    )
}

async fn login_page(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = parse_params(query.as_deref().unwrap_or("")).unwrap_or_default();
    let Some(pending) = pending_request(&state, param(&params, "request")) else {
        return expired_request_page();
    };
    if signed_in(&state, &headers) {
        return see_other(&format!("/oauth/consent?request={}", pending.id));
    }
    let csrf = random_token();
    let mut response = pages::login(&pending.id, &csrf, &pending.client_name, "", None);
    set_cookie(&state, &mut response, LOGIN_CSRF_COOKIE, &csrf);
    response
}

fn form_params(body: &str) -> Vec<(String, String)> {
    parse_params(body).unwrap_or_default()
}

async fn login_submit(State(state): State<AppState>, headers: HeaderMap, body: String) -> Response {
    let params = form_params(&body);
    let Some(pending) = pending_request(&state, param(&params, "request")) else {
        return expired_request_page();
    };
    let cookie = read_cookie(&headers, &cookie_name(&state, LOGIN_CSRF_COOKIE)).unwrap_or_default();
    let form_csrf = param(&params, "csrf").unwrap_or_default();
    if cookie.is_empty() || !constant_time_eq(&cookie, form_csrf) {
        return pages::error(
            StatusCode::FORBIDDEN,
            "Sign-in refused",
            "The sign-in form was not sent from this page (CSRF check failed). Reload and try again.",
        );
    }
    let email = param(&params, "email")
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    let password = param(&params, "password").unwrap_or_default();
    let known = state
        .read()
        .users
        .get(&email)
        .is_some_and(|u| constant_time_eq(&u.password, password));
    if !known {
        let csrf = random_token();
        let mut response = pages::login(
            &pending.id,
            &csrf,
            &pending.client_name,
            &email,
            Some("Incorrect email or password."),
        );
        set_cookie(&state, &mut response, LOGIN_CSRF_COOKIE, &csrf);
        return response;
    }
    let session_id = random_token();
    lock(&state.oauth).browser_sessions.insert(
        session_id.clone(),
        BrowserSession {
            email,
            csrf: random_token(),
        },
    );
    let mut response = see_other(&format!("/oauth/consent?request={}", pending.id));
    set_cookie(&state, &mut response, SESSION_COOKIE, &session_id);
    response
}

/// What the signed-in user may grant for a pending request, or why they may not.
enum Decision {
    Grant(BTreeSet<String>),
    Deny { title: String, message: String },
}

fn decide(state: &AppState, pending: &PendingRequest, email: &str) -> Decision {
    let world = state.read();
    let endpoint = &pending.endpoint;
    let Some(project) = world.project(&endpoint.org, &endpoint.project) else {
        return Decision::Deny {
            title: "Project not found".into(),
            message: "The project this application asked for no longer exists.".into(),
        };
    };
    let org_name = world
        .organizations
        .get(&endpoint.org)
        .map(|o| o.name.clone())
        .unwrap_or_else(|| endpoint.org.clone());
    let role = world.role_of(&endpoint.org, email).map(String::from);
    let public_production = endpoint.env == Environment::Production && is_public(state, project);
    let allowed: BTreeSet<String> = match &role {
        Some(_) if public_production => world
            .scopes_of(&endpoint.org, email)
            .union(&public_scopes(true))
            .cloned()
            .collect(),
        Some(_) => world.scopes_of(&endpoint.org, email),
        None if public_production => public_scopes(true),
        None if state.faults().has(Fault::NonMemberAllowed) => pending.scopes.clone(),
        None => {
            return Decision::Deny {
                title: format!("You're not a member of {org_name}"),
                message: format!(
                    "{email} is not a member of the organization {org_name}, so it cannot connect to {}. Ask an owner or admin of {org_name} to invite you.",
                    project.name
                ),
            }
        }
    };
    let granted: BTreeSet<String> = if state.faults().has(Fault::ScopeNotEnforced) {
        pending.scopes.clone()
    } else {
        pending.scopes.intersection(&allowed).cloned().collect()
    };
    if endpoint.env == Environment::Draft && !granted.contains(SCOPE_EXECUTE_DRAFT) {
        return Decision::Deny {
            title: "Draft access not allowed".into(),
            message: format!(
                "Your role in {org_name} ({}) cannot use the draft endpoint of {}. The draft needs a role with draft testing (Owner, Admin, Developer or MCP Developer).",
                role.as_deref().unwrap_or("none"),
                project.name
            ),
        };
    }
    if granted.is_empty() {
        return Decision::Deny {
            title: "Nothing to authorize".into(),
            message: "Your role allows none of the permissions this application asked for.".into(),
        };
    }
    let mut granted = granted;
    if endpoint.env == Environment::Draft && state.faults().has(Fault::DraftScopeNotGranted) {
        // The fault: the draft's scope is checked above but dropped when mapping scopes to the grant.
        granted.remove(SCOPE_EXECUTE_DRAFT);
    }
    Decision::Grant(granted)
}

async fn consent_page(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = parse_params(query.as_deref().unwrap_or("")).unwrap_or_default();
    let Some(pending) = pending_request(&state, param(&params, "request")) else {
        return expired_request_page();
    };
    let Some((_, session)) = browser_session(&state, &headers) else {
        return see_other(&format!("/oauth/login?request={}", pending.id));
    };
    match decide(&state, &pending, &session.email) {
        Decision::Deny { title, message } => {
            lock(&state.oauth).pending.remove(&pending.id);
            let back = client_redirect(
                &state,
                &pending.redirect_uri,
                pending.state.as_deref(),
                &[("error", "access_denied"), ("error_description", &message)],
            );
            pages::denied(&title, &message, &pending.client_name, &back)
        }
        Decision::Grant(scopes) => {
            let world = state.read();
            let project = world.project(&pending.endpoint.org, &pending.endpoint.project);
            let org_name = world
                .organizations
                .get(&pending.endpoint.org)
                .map(|o| o.name.clone())
                .unwrap_or_default();
            let redirect_host = Url::parse(&pending.redirect_uri)
                .ok()
                .and_then(|u| u.host_str().map(String::from))
                .unwrap_or_default();
            pages::consent(&pages::ConsentView {
                request_id: &pending.id,
                csrf: &session.csrf,
                client_name: &pending.client_name,
                redirect_host: &redirect_host,
                project_name: project.map(|p| p.name.as_str()).unwrap_or_default(),
                org_name: &org_name,
                environment: pending.endpoint.env.as_str(),
                email: &session.email,
                scopes: scopes.iter().map(String::as_str).collect(),
            })
        }
    }
}

async fn consent_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let params = form_params(&body);
    let Some((_, session)) = browser_session(&state, &headers) else {
        return pages::error(
            StatusCode::FORBIDDEN,
            "Consent refused",
            "You are not signed in to Metabind in this browser. Start the connection again from your app.",
        );
    };
    if !constant_time_eq(&session.csrf, param(&params, "csrf").unwrap_or_default()) {
        return pages::error(
            StatusCode::FORBIDDEN,
            "Consent refused",
            "The consent form was not sent from this page (CSRF check failed).",
        );
    }
    let Some(pending) = pending_request(&state, param(&params, "request")) else {
        return expired_request_page();
    };
    // A consent answers one request once.
    lock(&state.oauth).pending.remove(&pending.id);
    match param(&params, "decision") {
        Some("deny") => redirect_error(
            &state,
            &pending,
            "access_denied",
            "the user denied the request",
        ),
        Some("authorize") => match decide(&state, &pending, &session.email) {
            Decision::Deny { message, .. } => {
                redirect_error(&state, &pending, "access_denied", &message)
            }
            Decision::Grant(scopes) => {
                let code = random_token();
                lock(&state.oauth).codes.insert(
                    code.clone(),
                    AuthCode {
                        client_id: pending.client_id.clone(),
                        redirect_uri: pending.redirect_uri.clone(),
                        redirect_uri_sent: pending.redirect_uri_sent,
                        code_challenge: pending.code_challenge.clone(),
                        email: session.email.clone(),
                        endpoint: pending.endpoint.clone(),
                        resource: pending.resource.clone(),
                        scopes,
                        created: SystemTime::now(),
                        redeemed_grant: None,
                    },
                );
                see_other(&client_redirect(
                    &state,
                    &pending.redirect_uri,
                    pending.state.as_deref(),
                    &[("code", &code)],
                ))
            }
        },
        _ => pages::error(
            StatusCode::BAD_REQUEST,
            "Invalid form",
            "Choose Authorize or Deny.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_must_be_https_or_loopback_http() {
        assert!(valid_redirect_uri(
            "https://chatgpt.com/connector_platform_oauth_redirect"
        ));
        assert!(valid_redirect_uri("http://127.0.0.1:4567/cb"));
        assert!(valid_redirect_uri("http://localhost/cb"));
        assert!(!valid_redirect_uri("http://evil.example/cb"));
        assert!(!valid_redirect_uri("javascript:alert(1)"));
        assert!(!valid_redirect_uri("https://a.example/cb#frag"));
        assert!(!valid_redirect_uri("not a url"));
    }

    #[test]
    fn repeated_parameters_are_refused() {
        assert!(parse_params("a=1&b=2").is_ok());
        assert!(parse_params("a=1&a=2").is_err());
    }
}
