//! The records of the authorization server: clients (pre-registered, dynamically registered, metadata
//! documents), pending authorization requests, browser login sessions, authorization codes, grants
//! ("Authorized apps") and the tokens issued under them.

use std::collections::BTreeSet;
use std::time::SystemTime;

use serde::Serialize;

use crate::domain::endpoint::EndpointKey;
use crate::fixture::TokenEndpointAuth;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    PreRegistered,
    Dynamic,
    MetadataDocument,
}

#[derive(Debug, Clone, Serialize)]
pub struct OAuthClient {
    pub client_id: String,
    #[serde(skip)]
    pub client_secret: Option<String>,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub token_endpoint_auth_method: TokenEndpointAuth,
    pub scope: Option<String>,
    pub kind: ClientKind,
    /// Registered grant types; `refresh_token` earns refresh tokens even without the offline scope.
    pub grant_types: Vec<String>,
}

impl OAuthClient {
    /// Refresh tokens go to clients that registered the refresh_token grant or were granted the
    /// world's offline scope, `offline` (hosts choosing scopes from the challenge never ask for it,
    /// MCP §7.5).
    pub fn gets_refresh_tokens(&self, scopes: &BTreeSet<String>, offline: &str) -> bool {
        self.grant_types.iter().any(|g| g == "refresh_token") || scopes.contains(offline)
    }
}

/// A validated `/authorize` request waiting for the user to sign in and consent.
#[derive(Debug, Clone)]
pub struct PendingRequest {
    pub id: String,
    pub client_id: String,
    pub client_name: String,
    pub redirect_uri: String,
    /// Whether the authorization request named it (then the token request must too).
    pub redirect_uri_sent: bool,
    pub state: Option<String>,
    pub code_challenge: String,
    pub scopes: BTreeSet<String>,
    pub endpoint: EndpointKey,
    pub resource: String,
    pub created: SystemTime,
}

#[derive(Debug, Clone)]
pub struct BrowserSession {
    pub email: String,
    /// Consent forms must echo this (CSRF).
    pub csrf: String,
}

#[derive(Debug, Clone)]
pub struct AuthCode {
    pub client_id: String,
    pub redirect_uri: String,
    /// Whether the authorization request named it (then the token request must too).
    pub redirect_uri_sent: bool,
    pub code_challenge: String,
    pub email: String,
    pub endpoint: EndpointKey,
    pub resource: String,
    pub scopes: BTreeSet<String>,
    pub created: SystemTime,
    /// Set once redeemed; a second redemption revokes this grant (OAuth 2.1 §4.1.3).
    pub redeemed_grant: Option<String>,
}

/// user × client × endpoint × scopes, as "Authorized apps" lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Grant {
    pub id: String,
    pub email: String,
    pub client_id: String,
    pub client_name: String,
    pub org: String,
    pub project: String,
    pub environment: &'static str,
    #[serde(skip)]
    pub endpoint: EndpointKey,
    pub resource: String,
    pub scopes: BTreeSet<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked: bool,
}

#[derive(Debug, Clone)]
pub struct AccessToken {
    pub grant_id: String,
    pub scopes: BTreeSet<String>,
    pub expires_at: SystemTime,
}

#[derive(Debug, Clone)]
pub struct RefreshToken {
    pub grant_id: String,
    pub expires_at: SystemTime,
    /// Rotated away: presenting it again is reuse, and revokes the grant.
    pub rotated: bool,
}
