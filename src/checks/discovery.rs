//! Authorization discovery as a client meets it without credentials (RFC 6750, RFC 9728, RFC 8414):
//! the 401 challenge, a made-up token refused, the protected resource metadata, the authorization
//! server metadata's PKCE methods.

use super::catalogue::{CheckDef, Judge, Level, Section};
use super::verdict::{seen, server_failed, CheckResult};
use crate::evidence::SweepEvidence;
use crate::guide::Row;
use crate::oauth::Challenge;

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

pub static PRM_SERVERS: CheckDef = CheckDef {
    id: "auth.prm.authorization-servers",
    level: Level::Must,
    clause: "MCP authorization §authorization server location / RFC 9728 §2: the protected resource metadata lists at least one authorization server (an https issuer URL)",
    applies: "the endpoint publishes protected resource metadata",
    row: Some(Row::Add),
    hint: "list the authorization server's issuer URL in `authorization_servers`",
    judge: Judge::Sweep(Section::Discovery, prm_servers),
};

pub static ISSUER: CheckDef = CheckDef {
    id: "auth.as.metadata-issuer-matches",
    level: Level::Must,
    clause: "RFC 8414 §3.3: the metadata's `issuer` is identical to the issuer the client used to find it (the PRM's authorization_servers entry)",
    applies: "the protected resource metadata names an authorization server whose metadata was found",
    row: Some(Row::Add),
    hint: "make the metadata's `issuer` exactly the URL listed in `authorization_servers` (a trailing slash differs)",
    judge: Judge::Sweep(Section::Discovery, issuer_matches),
};

pub static CHECKS: &[&CheckDef] = &[
    &CHALLENGE,
    &INVALID_TOKEN,
    &PRM_RESOURCE,
    &PRM_SERVERS,
    &S256,
    &ISSUER,
];

/// A metadata document's JSON (null when it is not JSON), or not testable when the record of it
/// was shortened (a document past the recorded-body limit cannot be judged whole).
fn document(def: &CheckDef, x: &crate::wire::Exchange) -> Result<serde_json::Value, CheckResult> {
    if x.body_shortened {
        return Err(CheckResult::not_testable(
            def,
            format!(
                "{} is larger than the harness records whole (64 KiB by default); not judged",
                x.url
            ),
        )
        .with_evidence([x]));
    }
    Ok(serde_json::from_str(&x.response_body).unwrap_or_default())
}

/// The PRM document when it was found, or the verdict of its absence (n/a when none is due).
fn prm_document<'a>(
    def: &CheckDef,
    ev: &'a SweepEvidence,
) -> Result<(&'a crate::wire::Exchange, serde_json::Value), CheckResult> {
    match ev.discovery.prm.seen() {
        Some(x) if x.status == 200 => Ok((x, document(def, x)?)),
        _ => Err(CheckResult::not_applicable(
            def,
            "no protected resource metadata was found (auth.prm.resource-matches judges that)",
        )),
    }
}

fn prm_servers(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &PRM_SERVERS;
    let (x, prm) = match prm_document(def, ev) {
        Ok(p) => p,
        Err(v) => return vec![v],
    };
    let servers: Vec<&str> = prm["authorization_servers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_str)
        .collect();
    let bad: Vec<&str> = servers
        .iter()
        .copied()
        .filter(|s| !issuer_url_ok(s))
        .collect();
    vec![CheckResult::judge(
        def,
        !servers.is_empty() && bad.is_empty(),
        "the protected resource metadata's authorization_servers",
        "one or more https issuer URLs (http on loopback)",
        if servers.is_empty() {
            format!("authorization_servers: {}", prm["authorization_servers"])
        } else if bad.is_empty() {
            servers.join(", ")
        } else {
            format!("not an issuer URL: {}", bad.join(", "))
        },
    )
    .with_evidence([x])]
}

/// An issuer URL: absolute, https (or http on loopback, for local testing), no query or fragment.
fn issuer_url_ok(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| {
        let loopback = matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        (u.scheme() == "https" || (u.scheme() == "http" && loopback))
            && u.query().is_none()
            && u.fragment().is_none()
    })
}

fn issuer_matches(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &ISSUER;
    let (_, prm) = match prm_document(def, ev) {
        Ok(p) => p,
        Err(v) => return vec![v],
    };
    let Some(listed) = prm["authorization_servers"][0].as_str() else {
        return vec![CheckResult::not_applicable(
            def,
            "the metadata names no authorization server",
        )];
    };
    let x = match seen(def, &ev.discovery.as_metadata) {
        Ok(x) if x.status == 200 => x,
        Ok(x) => {
            return vec![
                CheckResult::not_testable(def, format!("{} answered {}", x.url, x.status))
                    .with_evidence([x]),
            ]
        }
        Err(v) => return vec![v],
    };
    let metadata = match document(def, x) {
        Ok(m) => m,
        Err(v) => return vec![v],
    };
    let issuer = metadata["issuer"].as_str().unwrap_or("no issuer");
    vec![CheckResult::judge(
        def,
        issuer == listed,
        "the authorization server metadata's issuer",
        listed,
        issuer,
    )
    .with_evidence([x])]
}

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
        // Whether metadata is due depends on the unauthenticated answer; without one, no verdict.
        if let Err(v) = seen(def, &ev.discovery.anonymous) {
            return vec![v];
        }
        return vec![CheckResult::fail(
            def,
            "the protected resource metadata",
            format!("metadata at {}", x.url),
            format!("{} answered {}", x.url, x.status),
        )
        .with_evidence([x])];
    }
    let prm = match document(def, x) {
        Ok(p) => p,
        Err(v) => return vec![v],
    };
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
    let metadata = match document(def, x) {
        Ok(m) => m,
        Err(v) => return vec![v],
    };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::{exchange, rpc};
    use crate::checks::Status;
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
    fn an_html_sign_in_wall_is_not_an_open_endpoint() {
        let mut ev = with_anonymous(200, None, "<html><form action=/login>Sign in</form></html>");
        ev.discovery.prm = Observed::Seen(exchange("GET", "http://x/prm", 404, ""));
        assert!(!ev.open_without_credentials());
        let v = &challenge(&ev)[0];
        assert_eq!(v.status, Status::Fail);
        assert_eq!(v.actual.as_deref(), Some("200 with no WWW-Authenticate"));
        assert_eq!(prm_resource(&ev)[0].status, Status::Fail);
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
        // Without the unauthenticated answer, missing metadata may not be due: no verdict.
        ev.discovery.prm = Observed::Seen(exchange("GET", "http://x/prm", 404, ""));
        let v = &prm_resource(&ev)[0];
        assert_eq!(v.status, Status::NotTestable);
        assert!(v.message.contains("no answer within 20 s"), "{}", v.message);
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
    fn the_prm_names_an_issuer_whose_metadata_says_the_same() {
        let mut ev = endpoint();
        ev.discovery.prm = Observed::Seen(exchange(
            "GET",
            "http://x/prm",
            200,
            r#"{"authorization_servers":["https://as.example/"]}"#,
        ));
        ev.discovery.as_metadata = Observed::Seen(exchange(
            "GET",
            "http://as/md",
            200,
            r#"{"issuer":"https://as.example/"}"#,
        ));
        assert_eq!(prm_servers(&ev)[0].status, Status::Pass);
        assert_eq!(issuer_matches(&ev)[0].status, Status::Pass);
        ev.discovery.as_metadata = Observed::Seen(exchange(
            "GET",
            "http://as/md",
            200,
            r#"{"issuer":"https://as.example"}"#,
        ));
        assert_eq!(
            issuer_matches(&ev)[0].status,
            Status::Fail,
            "a trailing slash differs"
        );
        ev.discovery.prm = Observed::Seen(exchange(
            "GET",
            "http://x/prm",
            200,
            r#"{"authorization_servers":[]}"#,
        ));
        assert_eq!(prm_servers(&ev)[0].status, Status::Fail);
        ev.discovery.prm = Observed::Seen(exchange(
            "GET",
            "http://x/prm",
            200,
            r#"{"authorization_servers":["http://as.example/"]}"#,
        ));
        assert_eq!(
            prm_servers(&ev)[0].status,
            Status::Fail,
            "http only on loopback"
        );
        ev.discovery.prm = Observed::Seen(exchange("GET", "http://x/prm", 404, ""));
        assert_eq!(prm_servers(&ev)[0].status, Status::NotApplicable);
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
}
