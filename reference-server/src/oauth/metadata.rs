//! Authorization server metadata (RFC 8414), also served at the OpenID discovery path and at the
//! project-path form Metabind's own clients read (`<project URL>/.well-known/oauth-authorization-server`).

use axum::extract::State;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::domain::endpoint::Endpoint;
use crate::fault::Fault;
use crate::fixture::Environment;
use crate::state::AppState;

pub fn document(state: &AppState) -> Value {
    let base = &state.config.base_url;
    let mut doc = json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "registration_endpoint": format!("{base}/oauth/register"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "scopes_supported": state.scopes().all(),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "client_id_metadata_document_supported": true,
        "authorization_response_iss_parameter_supported": true,
    });
    if state.faults().has(Fault::IssuerMismatch) {
        // The bug: the issuer written with a trailing slash the PRM's entry does not have.
        doc["issuer"] = json!(format!("{base}/"));
    }
    if state.faults().has(Fault::DcrPublicOnly) {
        doc["token_endpoint_auth_methods_supported"] = json!(["none"]);
    }
    if state.faults().has(Fault::DcrPublicOnly) || state.faults().has(Fault::DcrEchoesOtherMethod) {
        doc.as_object_mut()
            .map(|o| o.remove("client_id_metadata_document_supported"));
    }
    if state.faults().has(Fault::S256NotAdvertised) {
        doc.as_object_mut()
            .map(|o| o.remove("code_challenge_methods_supported"));
    }
    doc
}

pub async fn serve(State(state): State<AppState>) -> Response {
    Json(document(&state)).into_response()
}

/// The document appended to a project path, which Metabind's own clients read (spec/metabind.md §2.3):
/// only for a GET of `<production endpoint of a known project>/.well-known/oauth-authorization-server`.
pub fn at_project_path(state: &AppState, method: &Method, path: &str) -> Option<Response> {
    let project_path = path.strip_suffix("/.well-known/oauth-authorization-server")?;
    let known = Endpoint::parse(project_path)
        .filter(|e| e.env == Environment::Production)
        .is_some_and(|e| state.read().project(&e.org, &e.project).is_some());
    (known && method == Method::GET).then(|| Json(document(state)).into_response())
}
