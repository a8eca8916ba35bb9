//! The host's OAuth client, in the order MCP 2025-11-25 §7 prescribes: protected-resource metadata (the
//! challenge's `resource_metadata`, else path-inserted, else root; a PRM whose `resource` does not cover
//! the server is refused), authorization-server metadata (RFC 8414 then OpenID paths, then Metabind's
//! project-path form), refusal without S256, scope selection, registration (pre-registered, Client ID
//! Metadata Document, or DCR), PKCE + `state` + `resource`, the RFC 9207 `iss` check, and token
//! exchange/refresh through the `oauth2` crate over the recording [`Wire`].

mod challenge;
mod discovery;
mod flow;
mod registration;

use crate::wire;

pub use challenge::Challenge;
pub use discovery::{discover, resource_covers, select_scope, Discovery, ScopeChoice};
pub use flow::{
    authorization_request, exchange_code, refresh, scope_union, verify_callback,
    AuthorizationRequest, Tokens,
};
pub use registration::{register, ClientCredentials, RegistrationPlan};

/// Which OAuth step failed, and why.
#[derive(Debug, thiserror::Error)]
#[error("oauth {step}: {message}")]
pub struct Error {
    pub step: &'static str,
    pub message: String,
}

pub(crate) fn fail(step: &'static str, message: impl Into<String>) -> Error {
    Error {
        step,
        message: message.into(),
    }
}

impl From<wire::Error> for Error {
    fn from(e: wire::Error) -> Self {
        fail("network", e.to_string())
    }
}
