//! The routes of the admin API, all under `/_admin`.

use axum::routing::{delete, get, patch, post, put};
use axum::Router;

use crate::admin::{api_keys, clients, expiry, grants, members, overview, projects, tools};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/_admin/state", get(overview::summary))
        .route("/_admin/faults", get(overview::faults))
        .route("/_admin/users", post(members::create_user))
        .route(
            "/_admin/orgs/{org}/members/{email}",
            put(members::set_member).delete(members::remove_member),
        )
        .route(
            "/_admin/orgs/{org}/projects/{project}",
            get(projects::project_detail),
        )
        .route(
            "/_admin/orgs/{org}/projects/{project}/publish",
            post(projects::publish),
        )
        .route(
            "/_admin/orgs/{org}/projects/{project}/instructions",
            put(projects::set_instructions),
        )
        .route(
            "/_admin/orgs/{org}/projects/{project}/visibility",
            put(projects::set_visibility),
        )
        .route(
            "/_admin/orgs/{org}/projects/{project}/tools/{tool}",
            patch(tools::edit_tool_live),
        )
        .route(
            "/_admin/orgs/{org}/projects/{project}/tools/{tool}/behaviour",
            patch(tools::edit_behaviour),
        )
        .route(
            "/_admin/orgs/{org}/projects/{project}/draft/tools/{tool}",
            put(tools::save_draft_tool).delete(tools::delete_draft_tool),
        )
        .route(
            "/_admin/orgs/{org}/projects/{project}/tasks/expire",
            post(expiry::expire_tasks),
        )
        .route(
            "/_admin/orgs/{org}/projects/{project}/api-keys",
            get(api_keys::list_api_keys).post(api_keys::create_api_key),
        )
        .route(
            "/_admin/orgs/{org}/projects/{project}/api-keys/{name}",
            delete(api_keys::revoke_api_key),
        )
        .route(
            "/_admin/orgs/{org}/authorized-apps",
            get(grants::list_grants),
        )
        .route(
            "/_admin/orgs/{org}/authorized-apps/{grant}",
            delete(grants::revoke_grant),
        )
        .route("/_admin/oauth/clients", get(clients::list_clients))
        .route(
            "/_admin/oauth/clients/{client_id}",
            delete(clients::delete_client),
        )
        .route("/_admin/oauth/settings", put(expiry::oauth_settings))
        .route(
            "/_admin/oauth/expire-access-tokens",
            post(expiry::expire_access_tokens),
        )
}
