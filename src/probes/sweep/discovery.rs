//! Discovery without credentials: an unauthenticated initialize, one with a made-up token, the
//! protected resource metadata (the challenge's URL, else the RFC 9728 well-known URLs) and the
//! authorization server metadata it names.

use serde_json::{json, Value};

use super::{client_info, Sweep};
use crate::evidence::sweep::Discovery as Evidence;
use crate::evidence::{Observed, RpcExchange};
use crate::oauth::{self, Challenge, Discovery};
use crate::wire::{Exchange, Request, LATEST_PROTOCOL_VERSION};

/// Records the discovery evidence; returns what a client found (for the sign-in), or why it found
/// nothing.
pub(super) async fn probe(sweep: &Sweep<'_>, ev: &mut Evidence) -> Result<Discovery, String> {
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": LATEST_PROTOCOL_VERSION, "capabilities": {}, "clientInfo": client_info()}});
    ev.anonymous = rpc(sweep, sweep.mcp(None).request(&init)).await;
    // An endpoint of 2026-07-28 only refuses initialize before it looks at credentials: its first
    // request without them is server/discover.
    let modern_only = ev
        .anonymous
        .seen()
        .is_some_and(|x| super::modern_only(x.message.as_ref()));
    let first = |bearer: Option<&str>| {
        let mut client = sweep.mcp(bearer);
        if modern_only {
            client.era = crate::wire::Era::Modern;
            client.client_info = client_info();
            return client.request(
                &json!({"jsonrpc": "2.0", "id": 1, "method": "server/discover",
                "params": crate::wire::modern::with_meta(json!({}), &client_info(), &json!({}))}),
            );
        }
        client.request(&init)
    };
    if modern_only {
        ev.anonymous = rpc(sweep, first(None)).await;
    }
    ev.invalid_token = rpc(sweep, first(Some("metabind-conformance-invalid-token"))).await;
    let challenge = ev
        .anonymous
        .seen()
        .and_then(|x| x.exchange.header("www-authenticate"))
        .and_then(Challenge::parse);
    ev.prm = prm(sweep, challenge.as_ref()).await;
    let issuer = ev
        .prm
        .seen()
        .filter(|x| x.status == 200)
        .and_then(|x| serde_json::from_str::<Value>(&x.response_body).ok())
        .and_then(|p| p["authorization_servers"][0].as_str().map(String::from));
    ev.as_metadata = match (issuer, ev.prm.seen()) {
        (Some(issuer), _) => as_metadata(sweep, &issuer).await,
        (None, Some(x)) if x.body_shortened => Observed::not_testable(
            "the protected resource metadata is larger than the harness records whole",
        ),
        (None, Some(x)) if x.status == 200 => Observed::not_applicable(
            "the protected resource metadata names no authorization server",
        ),
        (None, _) => Observed::not_applicable("no protected resource metadata was found"),
    };
    oauth::discover(&sweep.wire, sweep.url(), challenge.as_ref())
        .await
        .map_err(|e| e.to_string())
}

async fn rpc(sweep: &Sweep<'_>, request: Request) -> Observed<RpcExchange> {
    sweep.rpc_raw(request, 1).await
}

/// The PRM document: at the challenge's `resource_metadata`, else the path-inserted well-known URL,
/// else the root one (RFC 9728 §3.1). The first 200, or the last answer.
async fn prm(sweep: &Sweep<'_>, challenge: Option<&Challenge>) -> Observed<Exchange> {
    let mut candidates = Vec::new();
    if let Some(url) = challenge.and_then(|c| c.resource_metadata.clone()) {
        candidates.push(url);
    } else if let Ok(u) = url::Url::parse(sweep.url()) {
        let origin = u.origin().ascii_serialization();
        let path = u.path().trim_end_matches('/');
        if !path.is_empty() {
            candidates.push(format!(
                "{origin}/.well-known/oauth-protected-resource{path}"
            ));
        }
        candidates.push(format!("{origin}/.well-known/oauth-protected-resource"));
    }
    let mut last = Observed::not_testable("no URL to look for protected resource metadata at");
    for url in candidates {
        last = sweep
            .raw(Request::get(&url).header("accept", "application/json"))
            .await;
        if last.seen().is_some_and(|x| x.status == 200) {
            break;
        }
    }
    last
}

/// RFC 8414 with the path inserted, OIDC with the path inserted, then OIDC appended; the first JSON
/// document, or the last answer.
async fn as_metadata(sweep: &Sweep<'_>, issuer: &str) -> Observed<Exchange> {
    let Ok(u) = url::Url::parse(issuer) else {
        return Observed::not_testable(format!("the authorization server {issuer:?} is not a URL"));
    };
    if let Err(refusal) = sweep.wire.net.policy.admit(issuer) {
        return Observed::not_testable(format!(
            "the protected resource metadata names an authorization server the harness will not reach: {refusal}"
        ));
    }
    let origin = u.origin().ascii_serialization();
    let path = u.path().trim_end_matches('/');
    let mut last = Observed::not_testable("no metadata URL was tried");
    for candidate in [
        format!("{origin}/.well-known/oauth-authorization-server{path}"),
        format!("{origin}/.well-known/openid-configuration{path}"),
        format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        ),
    ] {
        last = sweep
            .raw(Request::get(&candidate).header("accept", "application/json"))
            .await;
        let is_json = last.seen().is_some_and(|x| {
            x.status == 200
                && serde_json::from_str::<Value>(&x.response_body).is_ok_and(|v| v.is_object())
        });
        if is_json {
            break;
        }
    }
    last
}
