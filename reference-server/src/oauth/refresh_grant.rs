//! The refresh_token grant: rotation (reuse of a rotated token revokes the grant, RFC 9700 §4.14.2),
//! membership and role re-checked on every refresh, and narrowing (never widening) of scopes.

use std::collections::BTreeSet;
use std::time::SystemTime;

use axum::response::Response;

use crate::access::{current_allowance, revoke_unless_faulty};
use crate::domain::lock::lock;
use crate::domain::oauth::{OAuthClient, RefreshToken};
use crate::domain::secret::random_token;
use crate::fault::Fault;
use crate::oauth::error::OAuthError;
use crate::oauth::params::param;
use crate::oauth::token_response::token_response;
use crate::state::AppState;

pub(crate) fn refresh(
    state: &AppState,
    client: &OAuthClient,
    params: &[(String, String)],
) -> Result<Response, OAuthError> {
    let presented = param(params, "refresh_token")
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
    let faults = state.faults();
    let grant = {
        let mut data = lock(&state.oauth);
        let Some(record) = data.refresh_tokens.get(presented).cloned() else {
            return Err(OAuthError::invalid_grant(
                "the refresh token is unknown, expired or revoked",
            ));
        };
        let grant = data.grants.get(&record.grant_id).cloned();
        let Some(grant) = grant.filter(|g| !g.revoked) else {
            return Err(OAuthError::invalid_grant("the grant was revoked"));
        };
        if grant.client_id != client.client_id {
            return Err(OAuthError::invalid_grant(
                "the refresh token was issued to another client",
            ));
        }
        if record.rotated {
            // Reuse of a rotated refresh token: assume theft and revoke the grant (RFC 9700 §4.14.2).
            data.revoke_grant(&record.grant_id);
            return Err(OAuthError::invalid_grant(
                "the refresh token was already used; the grant is revoked",
            ));
        }
        if record.expires_at <= SystemTime::now() {
            return Err(OAuthError::invalid_grant("the refresh token expired"));
        }
        grant
    };
    if param(params, "resource").is_some_and(|r| r != grant.resource) {
        return Err(OAuthError::new(
            "invalid_target",
            "resource differs from the grant's",
        ));
    }
    // Membership and role changes apply at the next refresh: the user must authorize again.
    let allowance = current_allowance(state, &grant.email, &grant);
    let Some(allowance) = allowance else {
        revoke_unless_faulty(state, &mut lock(&state.oauth), &grant.id);
        return Err(OAuthError::invalid_grant(format!(
            "{} is no longer a member of {}; authorize again",
            grant.email, grant.org
        )));
    };
    if !grant.scopes.is_subset(&allowance) && !faults.has(Fault::ScopeNotEnforced) {
        return Err(OAuthError::invalid_grant(
            "the user's role no longer allows every scope of this grant; authorize again",
        ));
    }
    let scopes = match param(params, "scope") {
        None => grant.scopes.clone(),
        Some(s) => {
            let asked: BTreeSet<String> = s.split_whitespace().map(String::from).collect();
            if !asked.is_subset(&grant.scopes) {
                return Err(OAuthError::new(
                    "invalid_scope",
                    "a refresh cannot add scopes to the grant",
                ));
            }
            asked
        }
    };
    let mut data = lock(&state.oauth);
    // Re-check under the lock that rotates: a concurrent refresh or a revocation may have come first.
    let still_valid = data
        .refresh_tokens
        .get(presented)
        .is_some_and(|r| !r.rotated)
        && data.grants.get(&grant.id).is_some_and(|g| !g.revoked);
    if !still_valid && !faults.has(Fault::RefreshNotRotated) {
        data.revoke_grant(&grant.id);
        return Err(OAuthError::invalid_grant(
            "the refresh token was already used; the grant is revoked",
        ));
    }
    let expires_in = data.access_ttl.as_secs();
    if faults.has(Fault::RefreshNotRotated) {
        let (access, _) = data.issue_tokens(&grant.id, &scopes, false);
        return Ok(token_response(
            &access,
            Some(presented),
            expires_in,
            &scopes,
        ));
    }
    if let Some(old) = data.refresh_tokens.get_mut(presented) {
        old.rotated = true;
    }
    let (access, refresh) = data.issue_tokens(&grant.id, &scopes, false);
    // A narrowed refresh without the offline scope still rotates: keep a refresh token.
    let refresh = refresh.unwrap_or_else(|| {
        let token = random_token();
        let expires_at = SystemTime::now() + data.refresh_ttl;
        data.refresh_tokens.insert(
            token.clone(),
            RefreshToken {
                grant_id: grant.id.clone(),
                expires_at,
                rotated: false,
            },
        );
        token
    });
    Ok(token_response(&access, Some(&refresh), expires_in, &scopes))
}
