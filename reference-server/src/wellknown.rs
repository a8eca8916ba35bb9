//! Discovery documents: OAuth 2.0 Protected Resource Metadata (RFC 9728) for every project endpoint,
//! in the path-inserted form (`/.well-known/oauth-protected-resource/<endpoint path>`) and the root form.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::domain::endpoint::Endpoint;
use crate::fixture::Environment;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/oauth-protected-resource", get(root_metadata))
        .route(
            "/.well-known/oauth-protected-resource/{*path}",
            get(endpoint_metadata),
        )
}

/// The metadata document of one endpoint; `resource` is the URL the client uses for it.
pub fn protected_resource_metadata(
    state: &AppState,
    endpoint: &Endpoint,
    project_name: &str,
) -> serde_json::Value {
    let base = &state.config.base_url;
    let env = match endpoint.env {
        Environment::Production => "production",
        Environment::Draft => "draft",
    };
    // RFC 9728 §3.3: `resource` is exactly the URL the client uses (the fault adds a trailing slash).
    let slash = if state.faults().has(crate::fault::Fault::PrmResourceWrong) {
        "/"
    } else {
        ""
    };
    // The bug: a metadata document that forgot to say where to authorize.
    let servers = if state
        .faults()
        .has(crate::fault::Fault::PrmNoAuthorizationServers)
    {
        json!([])
    } else {
        json!([base])
    };
    json!({
        "resource": format!("{base}{}{slash}", endpoint.path),
        "authorization_servers": servers,
        "scopes_supported": state.scopes().endpoint(endpoint.env),
        "bearer_methods_supported": ["header"],
        "resource_name": format!("{project_name} ({env})"),
    })
}

async fn endpoint_metadata(State(state): State<AppState>, Path(path): Path<String>) -> Response {
    let Some(endpoint) = Endpoint::parse(&format!("/{path}")) else {
        return not_found();
    };
    let name = match state.read().project(&endpoint.org, &endpoint.project) {
        Some(p) => p.name.clone(),
        None => return not_found(),
    };
    Json(protected_resource_metadata(&state, &endpoint, &name)).into_response()
}

/// The root form describes the server as a whole: its resource is the base URL.
async fn root_metadata(State(state): State<AppState>) -> Response {
    let base = &state.config.base_url;
    let scopes = state.scopes();
    Json(json!({
        "resource": base,
        "authorization_servers": [base],
        "scopes_supported": scopes
            .all()
            .into_iter()
            .filter(|s| *s != scopes.offline())
            .collect::<Vec<_>>(),
        "bearer_methods_supported": ["header"],
        "resource_name": "Metabind MCP (reference server)",
    }))
    .into_response()
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "error": "not_found", "error_description": "no MCP endpoint at this path" })),
    )
        .into_response()
}
