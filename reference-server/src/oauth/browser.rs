//! The authorization popup's browser side, shared by its steps: cookies (the Metabind login session and
//! the login form's CSRF token), the pending request a step continues, and redirects (to the next step,
//! or back to the client with RFC 9207 `iss`).

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use url::Url;

use crate::domain::lock::lock;
use crate::domain::oauth::{BrowserSession, PendingRequest};
use crate::domain::time::expired;
use crate::fault::Fault;
use crate::oauth::pages;
use crate::state::AppState;

pub(crate) const SESSION_COOKIE: &str = "mb_session";

pub(crate) const LOGIN_CSRF_COOKIE: &str = "mb_login_csrf";

pub(crate) fn cookie_name(state: &AppState, base: &str) -> String {
    // `__Host-` needs Secure, which needs https: loopback http servers use the plain name.
    if state.config.base_url.starts_with("https://") {
        format!("__Host-{base}")
    } else {
        base.to_owned()
    }
}

pub(crate) fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

pub(crate) fn set_cookie(state: &AppState, response: &mut Response, base: &str, value: &str) {
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

pub(crate) fn browser_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Option<(String, BrowserSession)> {
    let id = read_cookie(headers, &cookie_name(state, SESSION_COOKIE))?;
    let session = lock(&state.oauth).browser_sessions.get(&id).cloned()?;
    Some((id, session))
}

/// Whether this browser's login session lets a new authorization request skip the sign-in page.
pub(crate) fn signed_in(state: &AppState, headers: &HeaderMap) -> bool {
    // The fault: the login cookie is set but never honoured, so every popup asks to sign in again.
    browser_session(state, headers).is_some() && !state.faults().has(Fault::LoginSessionNotKept)
}

pub(crate) fn see_other(location: &str) -> Response {
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
pub(crate) fn client_redirect(
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

pub(crate) fn redirect_error(
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

pub(crate) fn pending_request(state: &AppState, id: Option<&str>) -> Option<PendingRequest> {
    let data = lock(&state.oauth);
    data.pending
        .get(id?)
        .filter(|p| !expired(p.created, data.request_ttl))
        .cloned()
}

pub(crate) fn expired_request_page() -> Response {
    pages::error(
        StatusCode::BAD_REQUEST,
        "This sign-in link has expired",
        "Start the connection again from your app.",
    )
}
