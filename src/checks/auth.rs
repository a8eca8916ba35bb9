//! Authorization as a client sees it: discovery without credentials (RFC 6750, RFC 9728, RFC 8414)
//! and the authorization server's hygiene through the popup (OAuth 2.1, RFC 9207, RFC 8707, RFC 7009).

use super::catalogue::{CheckDef, Judge, Level, Section};
use super::verdict::{seen, server_failed, CheckResult};
use crate::evidence::sweep::{RefreshReplay, SignIn};
use crate::evidence::{RpcExchange, SweepEvidence};
use crate::guide::Row;
use crate::oauth::Challenge;
use crate::popup::PopupOutcome;

pub static CHALLENGE: CheckDef = CheckDef {
    id: "auth.challenge.www-authenticate",
    level: Level::Must,
    clause: "RFC 6750 §3 / MCP authorization §2.3.1: a 401 carries WWW-Authenticate: Bearer, and the protected resource metadata is found through its resource_metadata or the well-known URL",
    applies: "the endpoint refuses requests without credentials",
    row: Some(Row::Add),
    hint: "answer unauthenticated requests with 401 and `WWW-Authenticate: Bearer resource_metadata=\"…\"`, or hosts cannot find the authorization server",
    judge: Judge::Sweep(Section::Discovery, challenge),
};

pub static INVALID_TOKEN: CheckDef = CheckDef {
    id: "auth.token.invalid-rejected",
    level: Level::Must,
    clause: "MCP authorization §error handling: invalid or expired tokens MUST receive a 401 (RFC 6750 §3: with WWW-Authenticate: Bearer, error=\"invalid_token\")",
    applies: "the endpoint refuses requests without credentials",
    row: Some(Row::ToolsFail),
    hint: "reject unknown, expired or revoked tokens with 401 and `WWW-Authenticate: Bearer error=\"invalid_token\"` so the host re-authorizes",
    judge: Judge::Sweep(Section::Discovery, invalid_token),
};

pub static PRM_RESOURCE: CheckDef = CheckDef {
    id: "auth.prm.resource-matches",
    level: Level::Must,
    clause: "MCP authorization §2.3 / RFC 9728 §3.3: the server publishes protected resource metadata whose `resource` is identical to the URL the client used",
    applies: "the endpoint refuses requests without credentials, or publishes protected resource metadata",
    row: Some(Row::Add),
    hint: "serve protected resource metadata whose `resource` is exactly the MCP endpoint URL",
    judge: Judge::Sweep(Section::Discovery, prm_resource),
};

pub static S256: CheckDef = CheckDef {
    id: "auth.as.s256-advertised",
    level: Level::Must,
    clause: "MCP authorization §2.4.1: clients MUST refuse an authorization server whose metadata lacks code_challenge_methods_supported with S256",
    applies: "the protected resource metadata names an authorization server",
    row: Some(Row::Add),
    hint: "advertise `code_challenge_methods_supported: [\"S256\"]` in the authorization server metadata",
    judge: Judge::Sweep(Section::Discovery, s256_advertised),
};

pub static PKCE: CheckDef = CheckDef {
    id: "auth.as.pkce-enforced",
    level: Level::Must,
    clause: "OAuth 2.1 §4.1.1 / MCP authorization §2.4: PKCE with S256 is required; a request without code_challenge gets no code",
    applies: "the endpoint has an authorization server and the run has a login",
    row: None,
    hint: "refuse authorization requests without `code_challenge` (or with `plain`) and verify `code_verifier` at the token endpoint",
    judge: Judge::Sweep(Section::AuthorizationServer, pkce_enforced),
};

pub static REDIRECT_URI: CheckDef = CheckDef {
    id: "auth.as.redirect-uri-checked",
    level: Level::Must,
    clause: "OAuth 2.1 §2.3.1 / MCP security §open redirection: redirect URIs are compared exactly with the registered ones",
    applies: "the endpoint has an authorization server and the run has a login",
    row: None,
    hint: "show an error page, never a redirect, when `redirect_uri` is not registered for the client",
    judge: Judge::Sweep(Section::AuthorizationServer, redirect_uri_checked),
};

pub static STATE: CheckDef = CheckDef {
    id: "auth.as.state-returned",
    level: Level::Must,
    clause: "RFC 6749 §4.1.2: the authorization response returns the client's `state` unchanged",
    applies: "the endpoint has an authorization server and the run has a login",
    row: Some(Row::Add),
    hint: "echo `state` in the redirect back to the host; hosts drop responses without it",
    judge: Judge::Sweep(Section::AuthorizationServer, state_returned),
};

pub static ISS: CheckDef = CheckDef {
    id: "auth.as.iss-returned",
    level: Level::Must,
    clause: "RFC 9207 §2: when `authorization_response_iss_parameter_supported` is true, the response carries `iss`, identical to the issuer",
    applies: "the authorization server advertises RFC 9207",
    row: Some(Row::Add),
    hint: "add `iss` (exactly the metadata's issuer) to every authorization response, or stop advertising RFC 9207",
    judge: Judge::Sweep(Section::AuthorizationServer, iss_returned),
};

pub static AUDIENCE: CheckDef = CheckDef {
    id: "auth.token.audience-bound",
    level: Level::Must,
    clause: "MCP authorization §2.5 (token audience binding, RFC 8707): a token issued for one MCP server must be refused by another",
    applies: "a second resource (the project's draft endpoint) sits beside the endpoint",
    row: Some(Row::ToolsFail),
    hint: "validate that the token's audience is this endpoint; production and draft are separate resources",
    judge: Judge::Sweep(Section::AuthorizationServer, audience_bound),
};

pub static REFRESH_ROTATED: CheckDef = CheckDef {
    id: "auth.as.refresh-rotated",
    level: Level::Must,
    clause: "OAuth 2.1 §4.3.1: refresh tokens for public clients are rotated (or sender-constrained); a used one stops working",
    applies: "the authorization server issues refresh tokens to a public client",
    row: None,
    hint: "issue a new refresh token on every refresh and refuse the old one with invalid_grant",
    judge: Judge::Sweep(Section::AuthorizationServer, refresh_rotated_in_sweep),
};

pub static REVOCATION: CheckDef = CheckDef {
    id: "auth.as.revocation-honoured",
    level: Level::Should,
    clause: "RFC 7009 §2.1: a revoked access token SHOULD stop working; the connector guide: a revocation takes effect on the next request",
    applies: "the authorization server has a revocation_endpoint",
    row: Some(Row::ToolsFail),
    hint: "make revoked grants' tokens fail with 401 on the very next request",
    judge: Judge::Sweep(Section::AuthorizationServer, revocation_honoured),
};

pub static CHECKS: &[&CheckDef] = &[
    &CHALLENGE,
    &INVALID_TOKEN,
    &PRM_RESOURCE,
    &S256,
    &STATE,
    &ISS,
    &PKCE,
    &REDIRECT_URI,
    &AUDIENCE,
    &REFRESH_ROTATED,
    &REVOCATION,
];

const OPEN: &str = "the endpoint answers initialize without credentials: it asks for none";

fn is_bearer(header: Option<&str>) -> bool {
    header.is_some_and(|h| h.trim_start().to_ascii_lowercase().starts_with("bearer"))
}

fn challenge(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &CHALLENGE;
    if ev.open_without_credentials() {
        return vec![CheckResult::not_applicable(def, OPEN)];
    }
    let x = match seen(def, &ev.discovery.anonymous) {
        Ok(x) => &x.exchange,
        Err(v) => return vec![v],
    };
    if let Some(v) = server_failed(def, x, "an unauthenticated initialize") {
        return vec![v];
    }
    let header = x.header("www-authenticate");
    let parsed = header.and_then(Challenge::parse);
    let in_header = parsed
        .as_ref()
        .is_some_and(|c| c.resource_metadata.is_some());
    let well_known = ev
        .discovery
        .prm
        .seen()
        .is_some_and(|p| p.status == 200 && !in_header);
    let ok = x.status == 401 && is_bearer(header) && (in_header || well_known);
    let actual = format!(
        "{} with {}{}",
        x.status,
        header.unwrap_or("no WWW-Authenticate"),
        if well_known {
            " (the metadata was found at the well-known URL)"
        } else {
            ""
        }
    );
    vec![CheckResult::judge(
        def,
        ok,
        "an unauthenticated initialize",
        "401 with WWW-Authenticate: Bearer, and resource_metadata (or metadata at the well-known URL)",
        actual,
    )
    .with_evidence([x])]
}

fn invalid_token(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &INVALID_TOKEN;
    if ev.open_without_credentials() {
        return vec![CheckResult::not_applicable(def, OPEN)];
    }
    let x = match seen(def, &ev.discovery.invalid_token) {
        Ok(x) => &x.exchange,
        Err(v) => return vec![v],
    };
    if let Some(v) = server_failed(def, x, "initialize with a made-up token") {
        return vec![v];
    }
    let header = x.header("www-authenticate");
    let error = header
        .and_then(Challenge::parse)
        .and_then(|c| c.error)
        .unwrap_or_else(|| "no error attribute".into());
    vec![CheckResult::judge(
        def,
        x.status == 401 && is_bearer(header),
        "initialize with a made-up bearer token",
        "401 with WWW-Authenticate: Bearer (error=\"invalid_token\")",
        format!(
            "{} with {} ({error})",
            x.status,
            header.unwrap_or("no WWW-Authenticate")
        ),
    )
    .with_evidence([x])]
}

fn prm_resource(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &PRM_RESOURCE;
    let x = match seen(def, &ev.discovery.prm) {
        Ok(x) => x,
        Err(v) if ev.open_without_credentials() => {
            return vec![CheckResult::not_applicable(
                def,
                format!(
                    "{OPEN}, and no protected resource metadata was found ({})",
                    v.message
                ),
            )]
        }
        Err(v) => return vec![v],
    };
    if let Some(v) = server_failed(def, x, "the protected resource metadata") {
        return vec![v];
    }
    if x.status != 200 {
        if ev.open_without_credentials() {
            return vec![CheckResult::not_applicable(
                def,
                format!(
                    "{OPEN}, and publishes no protected resource metadata ({} answered {})",
                    x.url, x.status
                ),
            )];
        }
        return vec![CheckResult::fail(
            def,
            "the protected resource metadata",
            format!("metadata at {}", x.url),
            format!("{} answered {}", x.url, x.status),
        )
        .with_evidence([x])];
    }
    let prm: serde_json::Value = serde_json::from_str(&x.response_body).unwrap_or_default();
    let resource = prm["resource"].as_str().unwrap_or_default();
    vec![CheckResult::judge(
        def,
        // RFC 9728 §3.3: identical, not merely equivalent (a trailing slash differs).
        resource == ev.endpoint,
        "the protected resource metadata's resource",
        ev.endpoint.clone(),
        if resource.is_empty() {
            "no resource"
        } else {
            resource
        },
    )
    .with_evidence([x])]
}

fn s256_advertised(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &S256;
    let x = match seen(def, &ev.discovery.as_metadata) {
        Ok(x) => x,
        Err(v) => return vec![v],
    };
    if let Some(v) = server_failed(def, x, "the authorization server metadata") {
        return vec![v];
    }
    let metadata: serde_json::Value = serde_json::from_str(&x.response_body).unwrap_or_default();
    let methods = &metadata["code_challenge_methods_supported"];
    let ok = methods
        .as_array()
        .is_some_and(|a| a.iter().any(|v| v == "S256"));
    vec![CheckResult::judge(
        def,
        ok,
        "the authorization server metadata's code_challenge_methods_supported",
        "includes S256",
        if x.status == 200 {
            methods.to_string()
        } else {
            format!("{} answered {}", x.url, x.status)
        },
    )
    .with_evidence([x])]
}

fn callback_param(callback: &str, name: &str) -> Option<String> {
    url::Url::parse(callback).ok().and_then(|u| {
        u.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    })
}

fn sign_in<'a>(def: &CheckDef, ev: &'a SweepEvidence) -> Result<&'a SignIn, CheckResult> {
    seen(def, &ev.authorization_server.sign_in)
}

fn state_returned(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &STATE;
    let s = match sign_in(def, ev) {
        Ok(s) => s,
        Err(v) => return vec![v],
    };
    let state = callback_param(&s.callback, "state");
    vec![CheckResult::judge(
        def,
        state.as_deref() == Some(s.sent_state.as_str()),
        "the authorization response's state",
        "the state the client sent",
        match state {
            Some(st) if st == s.sent_state => "the same state",
            Some(_) => "a different state",
            None => "no state",
        },
    )]
}

fn iss_returned(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &ISS;
    let s = match sign_in(def, ev) {
        Ok(s) => s,
        Err(v) => return vec![v],
    };
    if !s.iss_advertised {
        return vec![CheckResult::not_applicable(
            def,
            "the metadata does not advertise authorization_response_iss_parameter_supported",
        )];
    }
    let iss = callback_param(&s.callback, "iss");
    vec![CheckResult::judge(
        def,
        // RFC 9207 §2.4: compared as a simple string, no normalisation.
        iss.as_deref() == Some(s.issuer.as_str()),
        "the authorization response's iss (RFC 9207 is advertised)",
        s.issuer.clone(),
        iss.unwrap_or_else(|| "no iss".into()),
    )]
}

/// An authorization request the AS should refuse: pass when the popup stopped on an error page or
/// came back with an error, fail when a code came back, no verdict otherwise.
fn refused_request(
    def: &CheckDef,
    outcome: &PopupOutcome,
    what: &str,
    code_is_failure: impl Fn(&str) -> bool,
) -> CheckResult {
    match outcome {
        PopupOutcome::Callback(url) if code_is_failure(url) => CheckResult::fail(
            def,
            what,
            "refused (an error page or an error redirect)",
            outcome.describe(),
        ),
        PopupOutcome::Callback(_) | PopupOutcome::Stopped { .. } => {
            let mut v = CheckResult::pass(def, what);
            v.expected = Some("refused (an error page or an error redirect)".into());
            v.actual = Some(outcome.describe());
            v
        }
        PopupOutcome::TimedOut { .. }
        | PopupOutcome::Blocked
        | PopupOutcome::LoginFailed(_)
        | PopupOutcome::NeedsCredentials => {
            CheckResult::not_testable(def, format!("{what}: {}", outcome.describe()))
        }
    }
}

fn pkce_enforced(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &PKCE;
    match seen(def, &ev.authorization_server.without_pkce) {
        Err(v) => vec![v],
        Ok(outcome) => vec![refused_request(
            def,
            outcome,
            "an authorization request without code_challenge",
            |url| callback_param(url, "code").is_some(),
        )],
    }
}

fn redirect_uri_checked(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &REDIRECT_URI;
    match seen(def, &ev.authorization_server.unregistered_redirect) {
        Err(v) => vec![v],
        // Any navigation to the unregistered URI is the open redirect, error or not.
        Ok(outcome) => vec![refused_request(
            def,
            outcome,
            "an authorization request with a redirect_uri the client never registered",
            |_| true,
        )],
    }
}

fn audience_bound(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &AUDIENCE;
    let x = match seen(def, &ev.authorization_server.audience) {
        Ok(x) => x,
        Err(v) => return vec![v],
    };
    if let Some(v) = server_failed(def, &x.exchange, "initialize on the draft endpoint") {
        return vec![v];
    }
    vec![CheckResult::judge(
        def,
        x.status() == 401,
        "a production token presented to the draft endpoint",
        "401 (the token's audience is another resource)",
        match x.status() {
            403 => {
                "403: the token was accepted as valid there, only its scope fell short".to_owned()
            }
            s if x.result().is_some() => format!("{s}: the draft endpoint served it"),
            s => s.to_string(),
        },
    )
    .with_evidence([&x.exchange])]
}

/// `auth.as.refresh-rotated` for a refresh token presented again; `refused` is what the rule wants.
pub fn refresh_rotated(replay: &RefreshReplay, refused: bool) -> CheckResult {
    let was_refused = replay.replayed.is_err();
    CheckResult::judge(
        &REFRESH_ROTATED,
        was_refused == refused,
        format!(
            "the refresh token a refresh replaced was {}",
            if was_refused {
                "refused"
            } else {
                "accepted again"
            }
        ),
        if refused {
            "refused (invalid_grant): rotation makes the old one unusable"
        } else {
            "accepted"
        },
        match &replay.replayed {
            Ok(()) => "new tokens were issued for it".to_owned(),
            Err(e) => e.clone(),
        },
    )
}

fn refresh_rotated_in_sweep(ev: &SweepEvidence) -> Vec<CheckResult> {
    match seen(&REFRESH_ROTATED, &ev.authorization_server.refresh_replay) {
        Err(v) => vec![v],
        Ok(replay) => vec![refresh_rotated(replay, true)],
    }
}

fn revocation_honoured(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &REVOCATION;
    let r = match seen(def, &ev.authorization_server.revocation) {
        Ok(r) => r,
        Err(v) => return vec![v],
    };
    if let Some(v) = server_failed(def, &r.revoke, "the revocation endpoint") {
        return vec![v];
    }
    let after: &RpcExchange = &r.after;
    if let Some(v) = server_failed(def, &after.exchange, "initialize with the revoked token") {
        return vec![v];
    }
    vec![CheckResult::judge(
        def,
        after.status() == 401,
        "initialize with an access token revoked through the revocation endpoint",
        "401",
        format!(
            "revocation answered {}, then initialize answered {}",
            r.revoke.status,
            after.status()
        ),
    )
    .with_evidence([&r.revoke, &after.exchange])]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::{exchange, rpc};
    use crate::checks::Status;
    use crate::evidence::sweep::Revocation;
    use crate::evidence::Observed;

    fn endpoint() -> SweepEvidence {
        SweepEvidence {
            endpoint: "http://127.0.0.1:1/acme/shop".into(),
            ..Default::default()
        }
    }

    fn with_anonymous(status: u16, header: Option<&str>, body: &str) -> SweepEvidence {
        let mut ev = endpoint();
        let mut x = exchange("POST", &ev.endpoint, status, body);
        if let Some(h) = header {
            x.response_headers
                .push(("www-authenticate".into(), h.into()));
        }
        ev.discovery.anonymous = Observed::Seen(rpc(x));
        ev
    }

    #[test]
    fn a_challenge_with_resource_metadata_passes_and_anything_else_fails() {
        let ok = with_anonymous(401, Some("Bearer resource_metadata=\"http://x/prm\""), "");
        assert_eq!(challenge(&ok)[0].status, Status::Pass);
        let bare = with_anonymous(401, None, "");
        assert_eq!(challenge(&bare)[0].status, Status::Fail);
        let wrong = with_anonymous(403, Some("Bearer"), "");
        assert_eq!(challenge(&wrong)[0].status, Status::Fail);
    }

    #[test]
    fn a_bare_challenge_passes_when_the_metadata_is_at_the_well_known_url() {
        let mut ev = with_anonymous(401, Some("Bearer"), "");
        ev.discovery.prm = Observed::Seen(exchange(
            "GET",
            "http://x/.well-known/oauth-protected-resource",
            200,
            "{}",
        ));
        assert_eq!(challenge(&ev)[0].status, Status::Pass);
    }

    #[test]
    fn an_open_endpoint_makes_bearer_and_prm_checks_not_applicable() {
        let body = r#"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-11-25"}}"#;
        let mut ev = with_anonymous(200, None, body);
        ev.discovery.prm = Observed::Seen(exchange("GET", "http://x/prm", 404, ""));
        assert_eq!(challenge(&ev)[0].status, Status::NotApplicable);
        assert_eq!(invalid_token(&ev)[0].status, Status::NotApplicable);
        assert_eq!(prm_resource(&ev)[0].status, Status::NotApplicable);
    }

    #[test]
    fn a_5xx_or_no_answer_is_never_a_pass() {
        let ev = with_anonymous(500, None, "");
        assert_eq!(challenge(&ev)[0].status, Status::NotTestable);
        let mut ev = endpoint();
        ev.discovery.anonymous = Observed::not_testable("no answer within 20 s");
        assert_eq!(challenge(&ev)[0].status, Status::NotTestable);
    }

    #[test]
    fn invalid_tokens_need_a_401_with_a_bearer_challenge() {
        let mut ev = with_anonymous(401, Some("Bearer"), "");
        let mut x = exchange("POST", "http://x", 401, "");
        x.response_headers.push((
            "www-authenticate".into(),
            "Bearer error=\"invalid_token\"".into(),
        ));
        ev.discovery.invalid_token = Observed::Seen(rpc(x));
        assert_eq!(invalid_token(&ev)[0].status, Status::Pass);
        ev.discovery.invalid_token = Observed::Seen(rpc(exchange("POST", "http://x", 200, "")));
        assert_eq!(invalid_token(&ev)[0].status, Status::Fail);
    }

    #[test]
    fn the_prm_resource_must_be_identical() {
        let mut ev = with_anonymous(401, Some("Bearer"), "");
        let prm = |r: &str| {
            Observed::Seen(exchange(
                "GET",
                "http://x/prm",
                200,
                &format!("{{\"resource\":\"{r}\"}}"),
            ))
        };
        ev.discovery.prm = prm("http://127.0.0.1:1/acme/shop");
        assert_eq!(prm_resource(&ev)[0].status, Status::Pass);
        ev.discovery.prm = prm("http://127.0.0.1:1/acme/shop/");
        assert_eq!(prm_resource(&ev)[0].status, Status::Fail);
        ev.discovery.prm = Observed::Seen(exchange("GET", "http://x/prm", 404, ""));
        assert_eq!(prm_resource(&ev)[0].status, Status::Fail);
    }

    #[test]
    fn s256_is_looked_for_in_the_metadata() {
        let mut ev = endpoint();
        ev.discovery.as_metadata = Observed::Seen(exchange(
            "GET",
            "http://x/as",
            200,
            r#"{"code_challenge_methods_supported":["S256"]}"#,
        ));
        assert_eq!(s256_advertised(&ev)[0].status, Status::Pass);
        ev.discovery.as_metadata = Observed::Seen(exchange(
            "GET",
            "http://x/as",
            200,
            r#"{"code_challenge_methods_supported":["plain"]}"#,
        ));
        assert_eq!(s256_advertised(&ev)[0].status, Status::Fail);
        ev.discovery.as_metadata = Observed::not_applicable("no authorization server");
        assert_eq!(s256_advertised(&ev)[0].status, Status::NotApplicable);
    }

    fn signed_in(callback: &str, advertised: bool) -> SweepEvidence {
        let mut ev = endpoint();
        ev.authorization_server.sign_in = Observed::Seen(SignIn {
            sent_state: "s1".into(),
            callback: callback.into(),
            iss_advertised: advertised,
            issuer: "http://as.example/".into(),
        });
        ev
    }

    #[test]
    fn state_and_iss_are_compared_exactly() {
        let ev = signed_in(
            "https://h/cb?code=c&state=s1&iss=http%3A%2F%2Fas.example%2F",
            true,
        );
        assert_eq!(state_returned(&ev)[0].status, Status::Pass);
        assert_eq!(iss_returned(&ev)[0].status, Status::Pass);
        let ev = signed_in(
            "https://h/cb?code=c&state=s2&iss=http%3A%2F%2Fas.example",
            true,
        );
        assert_eq!(state_returned(&ev)[0].status, Status::Fail);
        assert_eq!(
            iss_returned(&ev)[0].status,
            Status::Fail,
            "a missing trailing slash differs"
        );
        let ev = signed_in("https://h/cb?code=c&state=s1", false);
        assert_eq!(iss_returned(&ev)[0].status, Status::NotApplicable);
        let mut ev = endpoint();
        ev.authorization_server.sign_in = Observed::skipped("needs a login");
        assert_eq!(state_returned(&ev)[0].status, Status::Skip);
    }

    #[test]
    fn a_refused_request_passes_a_code_fails_and_a_browser_failure_is_an_error() {
        let mut ev = endpoint();
        let set = |ev: &mut SweepEvidence, o: Observed<PopupOutcome>| {
            ev.authorization_server.without_pkce = o.clone();
            ev.authorization_server.unregistered_redirect = o;
        };
        set(
            &mut ev,
            Observed::Seen(PopupOutcome::Stopped {
                status: 400,
                text: "bad request".into(),
                return_link: None,
            }),
        );
        assert_eq!(pkce_enforced(&ev)[0].status, Status::Pass);
        assert_eq!(redirect_uri_checked(&ev)[0].status, Status::Pass);
        set(
            &mut ev,
            Observed::Seen(PopupOutcome::Callback(
                "http://h/cb?code=abc&state=s".into(),
            )),
        );
        assert_eq!(pkce_enforced(&ev)[0].status, Status::Fail);
        assert_eq!(redirect_uri_checked(&ev)[0].status, Status::Fail);
        set(
            &mut ev,
            Observed::Seen(PopupOutcome::Callback(
                "http://h/cb?error=invalid_request".into(),
            )),
        );
        assert_eq!(pkce_enforced(&ev)[0].status, Status::Pass);
        assert_eq!(
            redirect_uri_checked(&ev)[0].status,
            Status::Fail,
            "no redirect at all to an unregistered URI"
        );
        set(
            &mut ev,
            Observed::Seen(PopupOutcome::TimedOut {
                url: "http://as/authorize".into(),
            }),
        );
        assert_eq!(pkce_enforced(&ev)[0].status, Status::NotTestable);
        set(&mut ev, Observed::harness_error("the browser failed: gone"));
        assert_eq!(pkce_enforced(&ev)[0].status, Status::Error);
    }

    #[test]
    fn audience_needs_a_401_on_the_other_resource() {
        let mut ev = endpoint();
        ev.authorization_server.audience =
            Observed::Seen(rpc(exchange("POST", "http://x/draft", 401, "")));
        assert_eq!(audience_bound(&ev)[0].status, Status::Pass);
        ev.authorization_server.audience =
            Observed::Seen(rpc(exchange("POST", "http://x/draft", 403, "")));
        assert_eq!(audience_bound(&ev)[0].status, Status::Fail);
        ev.authorization_server.audience =
            Observed::Seen(rpc(exchange("POST", "http://x/draft", 502, "")));
        assert_eq!(audience_bound(&ev)[0].status, Status::NotTestable);
        ev.authorization_server.audience = Observed::skipped("no draft endpoint");
        assert_eq!(audience_bound(&ev)[0].status, Status::Skip);
    }

    #[test]
    fn a_replayed_refresh_token_must_be_refused() {
        let refused = RefreshReplay {
            replayed: Err("invalid_grant".into()),
        };
        let accepted = RefreshReplay { replayed: Ok(()) };
        assert_eq!(refresh_rotated(&refused, true).status, Status::Pass);
        assert_eq!(refresh_rotated(&accepted, true).status, Status::Fail);
        assert_eq!(refresh_rotated(&accepted, false).status, Status::Pass);
        let mut ev = endpoint();
        ev.authorization_server.refresh_replay =
            Observed::not_applicable("no refresh token was issued");
        assert_eq!(
            refresh_rotated_in_sweep(&ev)[0].status,
            Status::NotApplicable
        );
    }

    #[test]
    fn a_revoked_token_must_stop_working() {
        let mut ev = endpoint();
        let revoked = |after: u16| Revocation {
            revoke: exchange("POST", "http://as/revoke", 200, ""),
            after: rpc(exchange("POST", "http://x", after, "")),
        };
        ev.authorization_server.revocation = Observed::Seen(revoked(401));
        assert_eq!(revocation_honoured(&ev)[0].status, Status::Pass);
        ev.authorization_server.revocation = Observed::Seen(revoked(200));
        assert_eq!(revocation_honoured(&ev)[0].status, Status::Warn);
        ev.authorization_server.revocation = Observed::Seen(revoked(500));
        assert_eq!(revocation_honoured(&ev)[0].status, Status::NotTestable);
    }
}
