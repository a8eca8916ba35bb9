//! The Metabind sign-in step of the popup: the login form (with a CSRF cookie) and its submission, which
//! starts a browser login session and moves on to consent.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::domain::lock::lock;
use crate::domain::oauth::BrowserSession;
use crate::domain::secret::{constant_time_eq, random_token};
use crate::oauth::browser::{
    cookie_name, expired_request_page, pending_request, read_cookie, see_other, set_cookie,
    signed_in, LOGIN_CSRF_COOKIE, SESSION_COOKIE,
};
use crate::oauth::pages;
use crate::oauth::params::{form_params, param, parse_params};
use crate::state::AppState;

pub(crate) async fn login_page(
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

pub(crate) async fn login_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: String,
) -> Response {
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
