//! The consent step of the popup: what the signed-in user may grant (membership, role, public flag,
//! draft scope), the consent page or the "not a member" page, and the decision, which issues the
//! authorization code or sends `access_denied` back to the client.

use std::collections::BTreeSet;
use std::time::SystemTime;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use url::Url;

use crate::access::is_public;
use crate::domain::lock::lock;
use crate::domain::oauth::{AuthCode, PendingRequest};
use crate::domain::secret::{constant_time_eq, random_token};
use crate::fault::Fault;
use crate::fixture::Environment;
use crate::oauth::browser::{
    browser_session, client_redirect, expired_request_page, pending_request, redirect_error,
    see_other,
};
use crate::oauth::pages;
use crate::oauth::params::{form_params, param, parse_params};
use crate::state::AppState;

/// What the signed-in user may grant for a pending request, or why they may not.
enum Decision {
    Grant(BTreeSet<String>),
    Deny { title: String, message: String },
}

fn decide(state: &AppState, pending: &PendingRequest, email: &str) -> Decision {
    let world = state.read();
    let public_scopes = state.scopes().public(true);
    let execute_draft = state.scopes().execute(Environment::Draft);
    let endpoint = &pending.endpoint;
    let Some(project) = world.project(&endpoint.org, &endpoint.project) else {
        return Decision::Deny {
            title: "Project not found".into(),
            message: "The project this application asked for no longer exists.".into(),
        };
    };
    let org_name = world
        .organizations
        .get(&endpoint.org)
        .map(|o| o.name.clone())
        .unwrap_or_else(|| endpoint.org.clone());
    let role = world.role_of(&endpoint.org, email).map(String::from);
    let public_production = endpoint.env == Environment::Production && is_public(state, project);
    let allowed: BTreeSet<String> = match &role {
        Some(_) if public_production => world
            .scopes_of(&endpoint.org, email)
            .union(&public_scopes)
            .cloned()
            .collect(),
        Some(_) => world.scopes_of(&endpoint.org, email),
        None if public_production => public_scopes,
        None if state.faults().has(Fault::NonMemberAllowed) => pending.scopes.clone(),
        None => {
            return Decision::Deny {
                title: format!("You're not a member of {org_name}"),
                message: format!(
                    "{email} is not a member of the organization {org_name}, so it cannot connect to {}. Ask an owner or admin of {org_name} to invite you.",
                    project.name
                ),
            }
        }
    };
    let granted: BTreeSet<String> = if state.faults().has(Fault::ScopeNotEnforced) {
        pending.scopes.clone()
    } else {
        pending.scopes.intersection(&allowed).cloned().collect()
    };
    if endpoint.env == Environment::Draft && !granted.contains(execute_draft) {
        return Decision::Deny {
            title: "Draft access not allowed".into(),
            message: format!(
                "Your role in {org_name} ({}) cannot use the draft endpoint of {}. The draft needs a role with draft testing ({}).",
                role.as_deref().unwrap_or("none"),
                project.name,
                either_of(&world.roles_with(execute_draft))
            ),
        };
    }
    if granted.is_empty() {
        return Decision::Deny {
            title: "Nothing to authorize".into(),
            message: "Your role allows none of the permissions this application asked for.".into(),
        };
    }
    let mut granted = granted;
    if endpoint.env == Environment::Draft && state.faults().has(Fault::DraftScopeNotGranted) {
        // The fault: the draft's scope is checked above but dropped when mapping scopes to the grant.
        granted.remove(execute_draft);
    }
    Decision::Grant(granted)
}

/// `A, B or C` (the roles a message offers as alternatives).
fn either_of(names: &[&str]) -> String {
    match names {
        [] => "none of this organization's roles has it".to_owned(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

pub(crate) async fn consent_page(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = parse_params(query.as_deref().unwrap_or("")).unwrap_or_default();
    let Some(pending) = pending_request(&state, param(&params, "request")) else {
        return expired_request_page();
    };
    let Some((_, session)) = browser_session(&state, &headers) else {
        return see_other(&format!("/oauth/login?request={}", pending.id));
    };
    match decide(&state, &pending, &session.email) {
        Decision::Deny { title, message } => {
            lock(&state.oauth).pending.remove(&pending.id);
            let back = client_redirect(
                &state,
                &pending.redirect_uri,
                pending.state.as_deref(),
                &[("error", "access_denied"), ("error_description", &message)],
            );
            pages::denied(&title, &message, &pending.client_name, &back)
        }
        Decision::Grant(scopes) => {
            let world = state.read();
            let project = world.project(&pending.endpoint.org, &pending.endpoint.project);
            let org_name = world
                .organizations
                .get(&pending.endpoint.org)
                .map(|o| o.name.clone())
                .unwrap_or_default();
            let redirect_host = Url::parse(&pending.redirect_uri)
                .ok()
                .and_then(|u| u.host_str().map(String::from))
                .unwrap_or_default();
            pages::consent(&pages::ConsentView {
                request_id: &pending.id,
                csrf: &session.csrf,
                client_name: &pending.client_name,
                redirect_host: &redirect_host,
                project_name: project.map(|p| p.name.as_str()).unwrap_or_default(),
                org_name: &org_name,
                environment: pending.endpoint.env.as_str(),
                email: &session.email,
                scopes: scopes
                    .iter()
                    .map(|s| (s.as_str(), state.scopes().purpose_of(s)))
                    .collect(),
            })
        }
    }
}

pub(crate) async fn consent_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let params = form_params(&body);
    let Some((_, session)) = browser_session(&state, &headers) else {
        return pages::error(
            StatusCode::FORBIDDEN,
            "Consent refused",
            "You are not signed in to Metabind in this browser. Start the connection again from your app.",
        );
    };
    if !constant_time_eq(&session.csrf, param(&params, "csrf").unwrap_or_default()) {
        return pages::error(
            StatusCode::FORBIDDEN,
            "Consent refused",
            "The consent form was not sent from this page (CSRF check failed).",
        );
    }
    let Some(pending) = pending_request(&state, param(&params, "request")) else {
        return expired_request_page();
    };
    // A consent answers one request once.
    lock(&state.oauth).pending.remove(&pending.id);
    match param(&params, "decision") {
        Some("deny") => redirect_error(
            &state,
            &pending,
            "access_denied",
            "the user denied the request",
        ),
        Some("authorize") => match decide(&state, &pending, &session.email) {
            Decision::Deny { message, .. } => {
                redirect_error(&state, &pending, "access_denied", &message)
            }
            Decision::Grant(scopes) => {
                let code = random_token();
                lock(&state.oauth).codes.insert(
                    code.clone(),
                    AuthCode {
                        client_id: pending.client_id.clone(),
                        redirect_uri: pending.redirect_uri.clone(),
                        redirect_uri_sent: pending.redirect_uri_sent,
                        code_challenge: pending.code_challenge.clone(),
                        email: session.email.clone(),
                        endpoint: pending.endpoint.clone(),
                        resource: pending.resource.clone(),
                        scopes,
                        created: SystemTime::now(),
                        redeemed_grant: None,
                    },
                );
                see_other(&client_redirect(
                    &state,
                    &pending.redirect_uri,
                    pending.state.as_deref(),
                    &[("code", &code)],
                ))
            }
        },
        _ => pages::error(
            StatusCode::BAD_REQUEST,
            "Invalid form",
            "Choose Authorize or Deny.",
        ),
    }
}
