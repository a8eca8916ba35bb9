//! The authorization_code grant: a single-use code (a replay revokes what it produced, OAuth 2.1 §4.1.3),
//! bound to its client, redirect URI (RFC 6749 §4.1.3), PKCE verifier and RFC 8707 resource; it creates
//! or renews the user's grant for the endpoint and issues its tokens.

use axum::response::Response;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::domain::lock::lock;
use crate::domain::oauth::{Grant, OAuthClient};
use crate::domain::secret::random_token;
use crate::domain::time::{expired, now_rfc3339};
use crate::fault::Fault;
use crate::oauth::error::OAuthError;
use crate::oauth::params::param;
use crate::oauth::token_response::token_response;
use crate::state::AppState;

fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let digest = Sha256::digest(verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest) == challenge
}

pub(crate) fn exchange_code(
    state: &AppState,
    client: &OAuthClient,
    params: &[(String, String)],
) -> Result<Response, OAuthError> {
    let code =
        param(params, "code").ok_or_else(|| OAuthError::invalid_request("code is required"))?;
    let faults = state.faults();
    let mut data = lock(&state.oauth);
    let Some(record) = data.codes.get(code).cloned() else {
        return Err(OAuthError::invalid_grant(
            "the authorization code is unknown or expired",
        ));
    };
    if let Some(grant_id) = &record.redeemed_grant {
        // OAuth 2.1 §4.1.3: a replayed code revokes the tokens it produced.
        let grant_id = grant_id.clone();
        data.revoke_grant(&grant_id);
        return Err(OAuthError::invalid_grant(
            "the authorization code was already used; the grant it produced is revoked",
        ));
    }
    if expired(record.created, data.code_ttl) {
        data.codes.remove(code);
        return Err(OAuthError::invalid_grant("the authorization code expired"));
    }
    if record.client_id != client.client_id {
        return Err(OAuthError::invalid_grant(
            "the authorization code was issued to another client",
        ));
    }
    // RFC 6749 §4.1.3: required, and identical, when the authorization request included it.
    if param(params, "redirect_uri").is_some_and(|r| r != record.redirect_uri)
        || (param(params, "redirect_uri").is_none() && record.redirect_uri_sent)
    {
        return Err(OAuthError::invalid_grant(
            "redirect_uri differs from the authorization request",
        ));
    }
    if !faults.has(Fault::PkceNotEnforced) {
        let verifier = param(params, "code_verifier")
            .ok_or_else(|| OAuthError::invalid_grant("code_verifier is required (PKCE)"))?;
        if !pkce_matches(verifier, &record.code_challenge) {
            return Err(OAuthError::invalid_grant(
                "code_verifier does not match the code_challenge (PKCE)",
            ));
        }
    }
    match param(params, "resource") {
        Some(r) if r == record.resource => {}
        Some(_) => {
            return Err(OAuthError::new(
                "invalid_target",
                "resource differs from the authorization request",
            ))
        }
        None => {
            return Err(OAuthError::new(
                "invalid_target",
                "resource is required (RFC 8707), as in the authorization request",
            ))
        }
    }
    // One grant per user × client × endpoint, as "Authorized apps" lists them.
    let now = now_rfc3339();
    let existing = data
        .grants
        .values()
        .find(|g| {
            !g.revoked
                && g.email == record.email
                && g.client_id == record.client_id
                && g.endpoint == record.endpoint
        })
        .map(|g| g.id.clone());
    let grant_id = existing.unwrap_or_else(random_token);
    let created_at = data
        .grants
        .get(&grant_id)
        .map(|g| g.created_at.clone())
        .unwrap_or_else(|| now.clone());
    data.grants.insert(
        grant_id.clone(),
        Grant {
            id: grant_id.clone(),
            email: record.email.clone(),
            client_id: client.client_id.clone(),
            client_name: client.client_name.clone(),
            org: record.endpoint.org.clone(),
            project: record.endpoint.project.clone(),
            environment: record.endpoint.env.as_str(),
            endpoint: record.endpoint.clone(),
            resource: record.resource.clone(),
            scopes: record.scopes.clone(),
            created_at,
            last_used_at: None,
            revoked: false,
        },
    );
    if let Some(c) = data.codes.get_mut(code) {
        c.redeemed_grant = Some(grant_id.clone());
    }
    let with_refresh = client.gets_refresh_tokens(&record.scopes, state.scopes().offline());
    let (access, refresh) = data.issue_tokens(&grant_id, &record.scopes, with_refresh);
    let expires_in = data.access_ttl.as_secs();
    Ok(token_response(
        &access,
        refresh.as_deref(),
        expires_in,
        &record.scopes,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expected challenge was computed independently:
    /// `base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b'=')` in Python.
    #[test]
    fn pkce_s256_matches_an_independently_computed_challenge() {
        let challenge = "bwWFMyPfdG9qreDhH2lmftFx_dFeLDalzcT1gb_j68g";
        assert!(pkce_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r7wW1gFWFOEjXk",
            challenge
        ));
        assert!(!pkce_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r7wW1gFWFOEjXl",
            challenge
        ));
    }
}
