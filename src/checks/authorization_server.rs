//! The authorization server's hygiene as a client sees it through the popup (OAuth 2.1, RFC 9207,
//! RFC 8707, RFC 7009): `state` and `iss` returned, PKCE enforced, redirect URIs checked, tokens bound
//! to their resource, refresh tokens rotated, revocation honoured.

use super::catalogue::{CheckDef, Judge, Level, Section};
use super::verdict::{seen, server_failed, CheckResult};
use crate::evidence::sweep::{RefreshReplay, SignIn};
use crate::evidence::{RpcExchange, SweepEvidence};
use crate::guide::Row;
use crate::popup::PopupOutcome;

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
    &STATE,
    &ISS,
    &PKCE,
    &REDIRECT_URI,
    &AUDIENCE,
    &REFRESH_ROTATED,
    &REVOCATION,
];

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
        | PopupOutcome::UrlRefused(_)
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
                waiting_for: "the sign-in page".into(),
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
