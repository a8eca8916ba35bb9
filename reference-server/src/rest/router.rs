//! The routes of the REST API, all under `/api/v1/organizations/{org}/projects/{project}`.

use axum::routing::{get, post, put, MethodRouter};
use axum::Router;

use crate::rest::error::RestError;
use crate::rest::{api_keys, visibility};
use crate::state::AppState;

const PROJECT: &str = "/api/v1/organizations/{org}/projects/{project}";

/// Another method on a REST route: a JSON 405 like every other REST error.
fn json_405(route: MethodRouter<AppState>) -> MethodRouter<AppState> {
    route.fallback(|| async { RestError::MethodNotAllowed })
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            &format!("{PROJECT}/api-keys"),
            json_405(get(api_keys::list).post(api_keys::create)),
        )
        .route(
            &format!("{PROJECT}/api-keys/{{name}}/revoke"),
            json_405(post(api_keys::revoke)),
        )
        .route(
            &format!("{PROJECT}/settings/mcp/visibility"),
            json_405(put(visibility::set)),
        )
}
