//! The MCP endpoint as an OAuth resource server with a live credential: every request is
//! authenticated (a session is not a credential), and a token is taken only from the Authorization
//! header (MCP authorization §token handling, OAuth 2.1 §5.1, MCP security best practices).

use super::catalogue::{CheckDef, Judge, Level, Section};
use super::verdict::{seen, server_failed, CheckResult};
use crate::evidence::{Observed, SweepEvidence};
use crate::guide::Row;
use crate::wire::Exchange;

pub static SESSION_NOT_AUTH: CheckDef = CheckDef {
    id: "auth.session.not-authentication",
    level: Level::Must,
    clause: "MCP authorization §token handling / security best practices: the server verifies the token on every request; sessions MUST NOT be used for authentication",
    applies: "the endpoint asks for credentials and issues a session id",
    row: Some(Row::ToolsFail),
    hint: "check the bearer token on every request, whatever session id it carries",
    judge: Judge::Sweep(Section::Transport, session_not_authentication),
};

pub static TOKEN_IN_QUERY: CheckDef = CheckDef {
    id: "auth.token.query-ignored",
    level: Level::Must,
    clause: "OAuth 2.1 §5.1.1 / MCP authorization §token requirements: access tokens MUST NOT be accepted in the query string",
    applies: "the endpoint asks for credentials",
    row: None,
    hint: "read the access token from the Authorization header only; ignore `access_token` in the URL",
    judge: Judge::Sweep(Section::Transport, token_in_query_ignored),
};

pub static CHECKS: &[&CheckDef] = &[&SESSION_NOT_AUTH, &TOKEN_IN_QUERY];

const OPEN: &str = "the endpoint answers without credentials: it asks for none";

/// Pass on the refusal `ok` allows, fail on anything the server served.
fn refused(
    def: &CheckDef,
    ev: &SweepEvidence,
    observed: &Observed<Exchange>,
    what: &str,
    expected: &str,
    ok: impl Fn(u16) -> bool,
) -> Vec<CheckResult> {
    if ev.open_without_credentials() {
        return vec![CheckResult::not_applicable(def, OPEN)];
    }
    let x = match seen(def, observed) {
        Ok(x) => x,
        Err(v) => return vec![v],
    };
    if let Some(v) = server_failed(def, x, what) {
        return vec![v];
    }
    vec![
        CheckResult::judge(def, ok(x.status), what, expected, x.status.to_string())
            .with_evidence([x]),
    ]
}

fn session_not_authentication(ev: &SweepEvidence) -> Vec<CheckResult> {
    refused(
        &SESSION_NOT_AUTH,
        ev,
        &ev.transport.session_without_credential,
        "tools/list on a live session without the Authorization header",
        "401 (a missing token)",
        |status| status == 401,
    )
}

fn token_in_query_ignored(ev: &SweepEvidence) -> Vec<CheckResult> {
    refused(
        &TOKEN_IN_QUERY,
        ev,
        &ev.transport.token_in_query,
        "initialize with the access token in the query string only",
        "refused (4xx): the token is not taken from the URL",
        |status| (400..500).contains(&status),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::exchange;
    use crate::checks::Status;

    #[test]
    fn a_session_or_a_query_token_alone_must_not_be_served() {
        let mut ev = SweepEvidence::default();
        ev.transport.session_without_credential =
            Observed::Seen(exchange("POST", "http://x", 401, ""));
        ev.transport.token_in_query =
            Observed::Seen(exchange("POST", "http://x?access_token=t", 200, "{}"));
        assert_eq!(session_not_authentication(&ev)[0].status, Status::Pass);
        assert_eq!(token_in_query_ignored(&ev)[0].status, Status::Fail);
        ev.transport.token_in_query =
            Observed::Seen(exchange("POST", "http://x?access_token=t", 400, "{}"));
        assert_eq!(token_in_query_ignored(&ev)[0].status, Status::Pass);
        ev.transport.session_without_credential =
            Observed::not_applicable("the server issues no session id");
        assert_eq!(
            session_not_authentication(&ev)[0].status,
            Status::NotApplicable
        );
    }
}
