//! Who may hold what, as both the resource server (MCP endpoints) and the authorization server (consent,
//! refresh) and the admin API see it: whether a project's public flag applies, the scopes a user may
//! still hold on an endpoint, and revoking a grant. The faults that bend these rules are consulted here.
//!
//! Input: the state and a project, grant or grant id. Output: a decision, or a revocation in the OAuth
//! store. Builds no HTTP responses (each surface answers in its own error type).

use std::collections::BTreeSet;

use crate::domain::oauth::Grant;
use crate::domain::world::Project;
use crate::fault::Fault;
use crate::fixture::{Environment, Visibility};
use crate::state::AppState;
use crate::store::oauth::OAuthData;

/// Whether a project's public flag applies (the `public-project-members-only` fault ignores it).
pub fn is_public(state: &AppState, project: &Project) -> bool {
    project.visibility == Visibility::Public && !state.faults().has(Fault::PublicProjectMembersOnly)
}

/// The scopes a user may still hold on an endpoint (their role's, or the public set on a public
/// production endpoint); `None` when they may hold nothing there any more.
pub fn current_allowance(state: &AppState, email: &str, grant: &Grant) -> Option<BTreeSet<String>> {
    let world = state.read();
    let project = world.project(&grant.endpoint.org, &grant.endpoint.project)?;
    let public_production =
        grant.endpoint.env == Environment::Production && is_public(state, project);
    if world.role_of(&grant.endpoint.org, email).is_some() {
        let mut scopes = world.scopes_of(&grant.endpoint.org, email);
        if public_production {
            scopes.extend(state.scopes().public(true));
        }
        return Some(scopes);
    }
    if public_production || state.faults().has(Fault::NonMemberAllowed) {
        Some(state.scopes().public(true))
    } else {
        None
    }
}

/// Revokes a grant, unless the server runs with `revocation-ignored`.
pub fn revoke_unless_faulty(state: &AppState, data: &mut OAuthData, grant_id: &str) -> bool {
    if state.faults().has(Fault::RevocationIgnored) {
        return data.grants.contains_key(grant_id);
    }
    data.revoke_grant(grant_id)
}
