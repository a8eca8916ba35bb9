//! OAuth scopes of a Metabind project: what each environment needs, what anyone may do on a public
//! project, and the full set this server knows.

use std::collections::BTreeSet;

use crate::fixture::Environment;

pub const SCOPE_READ_TYPES: &str = "read:types";
pub const SCOPE_READ_ASSETS: &str = "read:assets";
/// Requested by Metabind's own clients (spec/metabind.md §2.3); reads package metadata.
pub const SCOPE_READ_PACKAGES: &str = "read:packages";
pub const SCOPE_EXECUTE: &str = "execute:mcp";
pub const SCOPE_EXECUTE_DRAFT: &str = "execute:mcp-draft";
pub const SCOPE_OFFLINE: &str = "offline_access";

/// Every scope this server knows, as the authorization server metadata lists them.
pub const ALL_SCOPES: &[&str] = &[
    SCOPE_READ_TYPES,
    SCOPE_READ_PACKAGES,
    SCOPE_READ_ASSETS,
    SCOPE_EXECUTE,
    SCOPE_EXECUTE_DRAFT,
    SCOPE_OFFLINE,
];

/// What anyone may do on a public project's production endpoint (plus refresh tokens for logins).
pub fn public_scopes(with_offline: bool) -> BTreeSet<String> {
    let mut scopes: BTreeSet<String> = [
        SCOPE_READ_TYPES,
        SCOPE_READ_PACKAGES,
        SCOPE_READ_ASSETS,
        SCOPE_EXECUTE,
    ]
    .into_iter()
    .map(String::from)
    .collect();
    if with_offline {
        scopes.insert(SCOPE_OFFLINE.to_owned());
    }
    scopes
}

/// The scope that executing tools needs on this environment.
pub fn execute_scope(env: Environment) -> &'static str {
    match env {
        Environment::Production => SCOPE_EXECUTE,
        Environment::Draft => SCOPE_EXECUTE_DRAFT,
    }
}

/// The scopes a host should ask for to use an endpoint fully (the 401 challenge's `scope`).
pub fn endpoint_scopes(env: Environment) -> Vec<&'static str> {
    vec![SCOPE_READ_TYPES, SCOPE_READ_ASSETS, execute_scope(env)]
}
