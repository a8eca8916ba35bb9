//! Who is calling an MCP endpoint and what they may do: bearer resolution, the 401/403 challenges, and
//! the scope each method needs.
//!
//! Input: the request headers and query, the endpoint. Output: a [`Principal`] or a ready HTTP refusal.
//! Credentials are checked on every request (MCP 2025-11-25 §7.7: sessions are never authentication).

use std::collections::BTreeSet;
use std::time::SystemTime;

use axum::http::{header, HeaderMap, StatusCode};

use crate::access::{current_allowance, is_public};
use crate::domain::endpoint::Endpoint;
use crate::domain::lock::lock;
use crate::domain::scope::{ScopePurpose, Scopes};
use crate::domain::time::now_rfc3339;
use crate::domain::world::ApiKeyStatus;
use crate::fault::Fault;
use crate::fixture::Environment;
use crate::mcp::error::{HttpError, TRANSPORT_ERROR};
use crate::state::AppState;

/// The caller of one request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// What sessions and tasks bind to: two requests with the same subject are the same caller.
    pub subject: String,
    pub kind: PrincipalKind,
    pub scopes: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalKind {
    /// No credential, on a public project's production endpoint.
    Anonymous,
    ApiKey {
        name: String,
        created_by: String,
    },
    /// An OAuth access token of a grant ("Authorized apps").
    User {
        email: String,
        client_id: String,
        grant_id: String,
    },
}

impl Principal {
    pub fn is_anonymous(&self) -> bool {
        self.kind == PrincipalKind::Anonymous
    }
}

/// The scope a JSON-RPC method needs, if any, as this world spells it.
pub fn required_scope<'s>(scopes: &'s Scopes, method: &str, env: Environment) -> Option<&'s str> {
    match method {
        "tools/list" => Some(scopes.get(ScopePurpose::ListTools)),
        "resources/list" | "resources/read" | "resources/templates/list" => {
            Some(scopes.get(ScopePurpose::ReadAssets))
        }
        "tools/call" | "tasks/get" | "tasks/result" | "tasks/list" | "tasks/cancel"
        | "tasks/update" => Some(scopes.execute(env)),
        _ => None,
    }
}

/// The protected-resource metadata URL for an endpoint (RFC 9728 §3.1, path-inserted form).
pub fn resource_metadata_url(state: &AppState, endpoint: &Endpoint) -> String {
    format!(
        "{}/.well-known/oauth-protected-resource{}",
        state.config.base_url, endpoint.path
    )
}

fn challenge(state: &AppState, endpoint: &Endpoint, error: Option<(&str, &str)>) -> String {
    let mut value = format!(
        "Bearer resource_metadata=\"{}\", scope=\"{}\"",
        resource_metadata_url(state, endpoint),
        state.scopes().endpoint(endpoint.env).join(" ")
    );
    if let Some((code, description)) = error {
        value.push_str(&format!(
            ", error=\"{code}\", error_description=\"{description}\""
        ));
    }
    value
}

/// 401 with the `WWW-Authenticate` challenge hosts start OAuth from.
pub fn unauthorized(
    state: &AppState,
    endpoint: &Endpoint,
    invalid_token: Option<&str>,
) -> HttpError {
    let message = match invalid_token {
        Some(why) => format!("Unauthorized: {why}"),
        None => "Unauthorized: this endpoint needs a bearer token".to_owned(),
    };
    let error = HttpError::new(StatusCode::UNAUTHORIZED, TRANSPORT_ERROR, message);
    if state.faults().has(Fault::NoWwwAuthenticate) {
        return error;
    }
    error.with_header(
        header::WWW_AUTHENTICATE,
        &challenge(
            state,
            endpoint,
            invalid_token.map(|why| ("invalid_token", why)),
        ),
    )
}

/// 403 `insufficient_scope` naming the scopes this request needs (MCP 2025-11-25 §7.8).
pub fn insufficient_scope(
    state: &AppState,
    endpoint: &Endpoint,
    principal: &Principal,
    needed: &str,
) -> HttpError {
    // Already-granted scopes that are still needed, plus the missing one, so a step-up keeps them.
    let mut scopes: BTreeSet<&str> = state
        .scopes()
        .endpoint(endpoint.env)
        .into_iter()
        .filter(|s| principal.scopes.contains(*s))
        .collect();
    scopes.insert(needed);
    let scope = scopes.into_iter().collect::<Vec<_>>().join(" ");
    let description = format!("this request needs the {needed} scope");
    let value = format!(
        "Bearer error=\"insufficient_scope\", scope=\"{scope}\", resource_metadata=\"{}\", error_description=\"{description}\"",
        resource_metadata_url(state, endpoint)
    );
    HttpError::new(
        StatusCode::FORBIDDEN,
        TRANSPORT_ERROR,
        format!("Forbidden: {description}"),
    )
    .with_header(header::WWW_AUTHENTICATE, &value)
}

/// Resolves the caller of a request to `endpoint`, or the refusal to send.
pub fn authenticate(
    state: &AppState,
    endpoint: &Endpoint,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Principal, HttpError> {
    // MCP §7.7: tokens in the query string are forbidden.
    let mut from_query = None;
    if let Some(q) = query {
        let in_query = q.split('&').find_map(|pair| {
            pair.strip_prefix("access_token=")
                .or_else(|| pair.strip_prefix("token="))
        });
        match in_query {
            // The bug: the query's token is taken as if it came in the Authorization header.
            Some(token) if state.faults().has(Fault::TokenInQueryAccepted) => {
                from_query = Some(token.to_owned());
            }
            Some(_) => {
                return Err(HttpError::new(
                    StatusCode::BAD_REQUEST,
                    TRANSPORT_ERROR,
                    "Bad Request: credentials must be sent in the Authorization header, never in the URL",
                ));
            }
            None => {}
        }
    }
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or(""));
    let token = match authorization {
        None if from_query.is_some() => from_query,
        None => None,
        Some(value) => match value.split_once(' ') {
            Some((scheme, token))
                if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
            {
                Some(token.trim().to_owned())
            }
            _ => {
                return Err(unauthorized(
                    state,
                    endpoint,
                    Some("the Authorization header is not a Bearer token"),
                ))
            }
        },
    };
    let Some(token) = token else {
        let faults = state.faults();
        // The bug: a live session id stands in for the credential that opened it.
        if faults.has(Fault::SessionAuthenticates) {
            let session = headers
                .get(crate::mcp::headers::SESSION_HEADER)
                .and_then(|v| v.to_str().ok())
                .and_then(|id| state.sessions.get(id))
                .filter(|s| s.endpoint == endpoint.key());
            if let Some(session) = session {
                return Ok(Principal {
                    subject: session.subject,
                    kind: PrincipalKind::Anonymous,
                    scopes: state.scopes().all_set(),
                });
            }
        }
        let public = state
            .read()
            .project(&endpoint.org, &endpoint.project)
            .is_some_and(|p| is_public(state, p));
        let anonymous_allowed = match endpoint.env {
            Environment::Production => public,
            Environment::Draft => public && faults.has(Fault::PublicDraftOpen),
        } || (!public && faults.has(Fault::PrivateEndpointOpen));
        if anonymous_allowed {
            let mut scopes = state.scopes().public(false);
            if endpoint.env == Environment::Draft {
                // Only reachable through a fault: the draft served as if it were a public production.
                scopes.insert(state.scopes().execute(Environment::Draft).to_owned());
            }
            return Ok(Principal {
                subject: "anonymous".to_owned(),
                kind: PrincipalKind::Anonymous,
                scopes,
            });
        }
        return Err(unauthorized(state, endpoint, None));
    };
    if let Some(result) = oauth_principal(state, endpoint, &token) {
        return result;
    }
    let faults = state.faults();
    // Read first: the write lock is only taken to stamp a key's last use, when the stamp changes.
    let world = state.read();
    let Some(project) = world.project(&endpoint.org, &endpoint.project) else {
        // The caller checked the project exists; it may have vanished in between.
        return Err(unauthorized(state, endpoint, Some("unknown project")));
    };

    // Project API keys: valid only on their own project and the environments they were minted for.
    let found = match project.api_keys.iter().position(|k| k.key == token) {
        Some(index) => Some((endpoint.org.clone(), endpoint.project.clone(), index)),
        // The fault: keys are looked up across every project, not only the endpoint's.
        None if faults.has(Fault::ApiKeyProjectNotChecked) => {
            world.projects.values().find_map(|p| {
                p.api_keys
                    .iter()
                    .position(|k| k.key == token)
                    .map(|index| (p.org.clone(), p.id.clone(), index))
            })
        }
        None => None,
    };
    if let Some((key_org, key_project, index)) = found {
        let Some(project) = world.project(&key_org, &key_project) else {
            return Err(unauthorized(state, endpoint, Some("unknown project")));
        };
        let key = &project.api_keys[index];
        if key.status == ApiKeyStatus::Revoked && !faults.has(Fault::ApiKeyRevocationIgnored) {
            return Err(unauthorized(
                state,
                endpoint,
                Some("the API key was revoked"),
            ));
        }
        if !key.environments.contains(&endpoint.env) {
            return Err(unauthorized(
                state,
                endpoint,
                Some("the API key is not valid for this environment"),
            ));
        }
        let (name, created_by) = (key.name.clone(), key.created_by.clone());
        if world.role_of(&key_org, &created_by).is_none() {
            return Err(unauthorized(
                state,
                endpoint,
                Some("the member who created the API key left the organization"),
            ));
        }
        let scopes = world.scopes_of(&key_org, &created_by);
        let stamp = now_rfc3339();
        let stale = key.last_used.as_deref() != Some(stamp.as_str());
        drop(world);
        if stale {
            let mut world = state.write();
            // The key is found again by name: the list may have changed between the locks.
            if let Some(key) = world
                .project_mut(&key_org, &key_project)
                .and_then(|p| p.api_keys.iter_mut().find(|k| k.name == name))
            {
                key.last_used = Some(stamp);
            }
        }
        return Ok(Principal {
            subject: format!("apikey:{key_org}/{key_project}/{name}"),
            kind: PrincipalKind::ApiKey { name, created_by },
            scopes,
        });
    }
    Err(unauthorized(
        state,
        endpoint,
        Some("the token is not valid for this endpoint"),
    ))
}

/// Resolves an OAuth access token; `None` when the bearer is not one (it may be an API key).
fn oauth_principal(
    state: &AppState,
    endpoint: &Endpoint,
    token: &str,
) -> Option<Result<Principal, HttpError>> {
    let faults = state.faults();
    let (access, grant) = {
        let data = lock(&state.oauth);
        let access = data.access_tokens.get(token)?.clone();
        let grant = data.grants.get(&access.grant_id).cloned();
        (access, grant)
    };
    let refuse = |why: &str| Some(Err(unauthorized(state, endpoint, Some(why))));
    let Some(grant) = grant.filter(|g| !g.revoked || faults.has(Fault::RevocationIgnored)) else {
        return refuse("the authorization was revoked");
    };
    if access.expires_at <= SystemTime::now() && !faults.has(Fault::ExpiredTokensAccepted) {
        return refuse("the access token expired");
    }
    // MCP §7.7: a token is valid only for the resource it was issued for (RFC 8707 audience).
    let other_environment = grant.endpoint.org == endpoint.org
        && grant.endpoint.project == endpoint.project
        && grant.endpoint.env != endpoint.env;
    let environment_ignored = other_environment && faults.has(Fault::EnvironmentNotChecked);
    if grant.endpoint != endpoint.key()
        && !faults.has(Fault::AudienceNotChecked)
        && !environment_ignored
    {
        return refuse("the access token was issued for another MCP endpoint");
    }
    let allowance = if faults.has(Fault::MembershipCheckedOnlyAtConsent) {
        // The fault: what consent granted is trusted; membership and role are not looked at again.
        access.scopes.clone()
    } else {
        match current_allowance(state, &grant.email, &grant) {
            Some(allowance) => allowance,
            None => return refuse("the user is no longer a member of the project's organization"),
        }
    };
    let mut access = access;
    if environment_ignored {
        // The fault: one environment's execute scope is taken to cover the project's other one.
        let execute = [
            state.scopes().execute(Environment::Production),
            state.scopes().execute(Environment::Draft),
        ];
        if access.scopes.iter().any(|s| execute.contains(&s.as_str())) {
            access.scopes.extend(execute.map(String::from));
        }
    }
    let scopes = if faults.has(Fault::ScopeNotEnforced) {
        state.scopes().all_set()
    } else {
        access.scopes.intersection(&allowance).cloned().collect()
    };
    if let Some(g) = lock(&state.oauth).grants.get_mut(&grant.id) {
        g.last_used_at = Some(now_rfc3339());
    }
    Some(Ok(Principal {
        subject: format!("grant:{}", grant.id),
        kind: PrincipalKind::User {
            email: grant.email.clone(),
            client_id: grant.client_id.clone(),
            grant_id: grant.id.clone(),
        },
        scopes,
    }))
}
