//! The routes of the authorization server.

use axum::routing::{get, post};
use axum::Router;

use crate::oauth::{authorize, consent, login, metadata, register, revoke, token};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/.well-known/oauth-authorization-server",
            get(metadata::serve),
        )
        .route("/.well-known/openid-configuration", get(metadata::serve))
        .route("/oauth/authorize", get(authorize::authorize))
        .route(
            "/oauth/login",
            get(login::login_page).post(login::login_submit),
        )
        .route(
            "/oauth/consent",
            get(consent::consent_page).post(consent::consent_submit),
        )
        .route("/oauth/token", post(token::token))
        .route("/oauth/revoke", post(revoke::revoke))
        .route("/oauth/register", post(register::register))
}
