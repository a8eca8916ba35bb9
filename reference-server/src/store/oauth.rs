//! Everything the authorization server remembers: clients, pending authorization requests, browser
//! sessions (the Metabind login cookie), authorization codes, grants and their tokens. One mutex guards
//! it all so each OAuth step is atomic; it is never held across an `.await`.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, SystemTime};

use crate::domain::oauth::{
    AccessToken, AuthCode, BrowserSession, ClientKind, Grant, OAuthClient, PendingRequest,
    RefreshToken,
};
use crate::domain::secret::random_token;
use crate::domain::time::expired;
use crate::fixture::OAuthSettings;

/// Most entries of one kind kept before expired ones are swept.
const SWEEP_ABOVE: usize = 10_000;

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
