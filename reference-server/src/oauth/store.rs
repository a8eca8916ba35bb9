//! Everything the authorization server remembers: clients, pending authorization requests, browser
//! sessions (the Metabind login cookie), authorization codes, grants and their tokens. One mutex guards
//! it all so each OAuth step is atomic; it is never held across an `.await`.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::domain::endpoint::EndpointKey;
use crate::domain::scope::SCOPE_OFFLINE;
use crate::domain::secret::random_token;
use crate::domain::time::expired;
use crate::fixture::{OAuthSettings, TokenEndpointAuth};

/// Most entries of one kind kept before expired ones are swept.
const SWEEP_ABOVE: usize = 10_000;

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
    /// Registered grant types; `refresh_token` earns refresh tokens even without `offline_access`.
    pub grant_types: Vec<String>,
}

impl OAuthClient {
    /// Refresh tokens go to clients that registered the refresh_token grant or were granted
    /// `offline_access` (hosts choosing scopes from the challenge never ask for it, MCP §7.5).
    pub fn gets_refresh_tokens(&self, scopes: &BTreeSet<String>) -> bool {
        self.grant_types.iter().any(|g| g == "refresh_token") || scopes.contains(SCOPE_OFFLINE)
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

#[derive(Debug)]
pub struct OAuthData {
    pub clients: HashMap<String, OAuthClient>,
    /// Client ID Metadata Documents fetched, until their cache lifetime ends.
    pub metadata_documents: HashMap<String, (OAuthClient, SystemTime)>,
    pub pending: HashMap<String, PendingRequest>,
    pub browser_sessions: HashMap<String, BrowserSession>,
    pub codes: HashMap<String, AuthCode>,
    pub grants: HashMap<String, Grant>,
    pub access_tokens: HashMap<String, AccessToken>,
    pub refresh_tokens: HashMap<String, RefreshToken>,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub code_ttl: Duration,
    pub request_ttl: Duration,
}

impl OAuthData {
    pub fn new(settings: &OAuthSettings) -> Self {
        let clients = settings
            .clients
            .iter()
            .map(|c| {
                (
                    c.client_id.clone(),
                    OAuthClient {
                        client_id: c.client_id.clone(),
                        client_secret: c.client_secret.clone(),
                        client_name: c.client_name.clone(),
                        redirect_uris: c.redirect_uris.clone(),
                        token_endpoint_auth_method: c.token_endpoint_auth_method,
                        scope: c.scope.clone(),
                        kind: ClientKind::PreRegistered,
                        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
                    },
                )
            })
            .collect();
        OAuthData {
            clients,
            metadata_documents: HashMap::new(),
            pending: HashMap::new(),
            browser_sessions: HashMap::new(),
            codes: HashMap::new(),
            grants: HashMap::new(),
            access_tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
            access_ttl: Duration::from_secs(settings.access_token_ttl_secs),
            refresh_ttl: Duration::from_secs(settings.refresh_token_ttl_secs),
            code_ttl: Duration::from_secs(settings.authorization_code_ttl_secs),
            request_ttl: Duration::from_secs(settings.authorization_request_ttl_secs),
        }
    }

    /// A registered client, or a cached metadata-document client still fresh.
    pub fn client(&self, client_id: &str) -> Option<OAuthClient> {
        if let Some(c) = self.clients.get(client_id) {
            return Some(c.clone());
        }
        match self.metadata_documents.get(client_id) {
            Some((client, until)) if SystemTime::now() < *until => Some(client.clone()),
            _ => None,
        }
    }

    /// Drops expired short-lived entries once a table grows large.
    pub fn sweep(&mut self) {
        let now = SystemTime::now();
        if self.pending.len() > SWEEP_ABOVE {
            let ttl = self.request_ttl;
            self.pending.retain(|_, p| !expired(p.created, ttl));
        }
        if self.codes.len() > SWEEP_ABOVE {
            let ttl = self.code_ttl;
            self.codes.retain(|_, c| !expired(c.created, ttl));
        }
        if self.access_tokens.len() > SWEEP_ABOVE {
            self.access_tokens.retain(|_, t| t.expires_at > now);
        }
        if self.refresh_tokens.len() > SWEEP_ABOVE {
            self.refresh_tokens.retain(|_, t| t.expires_at > now);
        }
        if self.browser_sessions.len() > SWEEP_ABOVE {
            self.browser_sessions.clear();
        }
        if self.metadata_documents.len() > SWEEP_ABOVE {
            self.metadata_documents.retain(|_, (_, until)| *until > now);
        }
    }

    /// Revokes a grant and every token issued under it.
    pub fn revoke_grant(&mut self, grant_id: &str) -> bool {
        let Some(grant) = self.grants.get_mut(grant_id) else {
            return false;
        };
        grant.revoked = true;
        self.access_tokens.retain(|_, t| t.grant_id != grant_id);
        self.refresh_tokens.retain(|_, t| t.grant_id != grant_id);
        true
    }

    /// Issues an access token, and a refresh token when `with_refresh`.
    pub fn issue_tokens(
        &mut self,
        grant_id: &str,
        scopes: &BTreeSet<String>,
        with_refresh: bool,
    ) -> (String, Option<String>) {
        self.sweep();
        let access = random_token();
        let now = SystemTime::now();
        self.access_tokens.insert(
            access.clone(),
            AccessToken {
                grant_id: grant_id.to_owned(),
                scopes: scopes.clone(),
                expires_at: now + self.access_ttl,
            },
        );
        let refresh = with_refresh.then(|| {
            let token = random_token();
            self.refresh_tokens.insert(
                token.clone(),
                RefreshToken {
                    grant_id: grant_id.to_owned(),
                    expires_at: now + self.refresh_ttl,
                    rotated: false,
                },
            );
            token
        });
        (access, refresh)
    }
}
