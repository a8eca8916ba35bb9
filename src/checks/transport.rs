//! The Streamable HTTP transport and the lifecycle: sessions, message framing, the protocol-version
//! and Origin headers (MCP 2025-11-25 basic/transports, basic/lifecycle, JSON-RPC 2.0).

use super::catalogue::{CheckDef, Judge, Level, Section};
use super::verdict::{seen, server_failed, truncate, CheckResult};
use crate::evidence::{error_code, Observed, SweepEvidence};
use crate::wire::Exchange;

pub static NOTIFICATION: CheckDef = CheckDef {
    id: "transport.notification.accepted",
    level: Level::Must,
    clause: "MCP transports §sending messages: a notification the server accepts is answered 202 Accepted with no body",
    applies: "always (notifications/initialized follows every initialize)",
    row: None,
    hint: "answer notifications with 202 and an empty body",
    judge: Judge::Sweep(Section::Transport, notification_accepted),
};

pub static SESSION_REQUIRED: CheckDef = CheckDef {
    id: "transport.session.required",
    level: Level::Should,
    clause: "MCP transports §session management: a request without Mcp-Session-Id is served, or, by a server that requires sessions, answered 400; 404 means the session id presented has ended, and a client that gets it re-initializes",
    applies: "the server issues a session id",
    row: None,
    hint: "serve requests that lack the session id (hosts send tool calls so), or answer them 400; never 404, which a client reads as an ended session",
    judge: Judge::Sweep(Section::Transport, session_required),
};

pub static SESSION_BOUND: CheckDef = CheckDef {
    id: "transport.session.bound",
    level: Level::Should,
    clause: "MCP security best practices §session hijacking: servers SHOULD bind a session to the user who created it",
    applies: "the server issues a session id and the run has a second credential",
    row: None,
    hint: "answer 404 when a session id is presented with another user's credential",
    judge: Judge::Sweep(Section::Transport, session_bound),
};

pub static DELETE_ENDS: CheckDef = CheckDef {
    id: "transport.session.delete-ends",
    level: Level::Must,
    clause: "MCP transports §session management: once a session is terminated, requests with its id MUST get 404",
    applies: "the server issues a session id and lets clients DELETE it (not 405)",
    row: None,
    hint: "end the session on DELETE so later requests with its id get 404",
    judge: Judge::Sweep(Section::Transport, delete_ends),
};

pub static PARSE_ERROR: CheckDef = CheckDef {
    id: "transport.json.parse-error",
    level: Level::Must,
    clause: "JSON-RPC 2.0 §5.1 / MCP transports: a body that is not JSON gets a -32700 parse error with an HTTP error status (4xx), never a 5xx",
    applies: "always",
    row: None,
    hint: "catch unparsable bodies and answer 400 with a JSON-RPC -32700 error",
    judge: Judge::Sweep(Section::Transport, parse_error),
};

pub static BATCH: CheckDef = CheckDef {
    id: "transport.batch.refused",
    level: Level::Should,
    clause: "MCP 2025-06-18 changelog and later: JSON-RPC batching is removed; a batch is not a message a server processes",
    applies: "a protocol version after 2025-03-26 was negotiated",
    row: None,
    hint: "refuse JSON arrays as request bodies (400 / -32600)",
    judge: Judge::Sweep(Section::Transport, batch_refused),
};

pub static PROTOCOL_VERSION: CheckDef = CheckDef {
    id: "transport.protocol-version.checked",
    level: Level::Must,
    clause: "MCP transports §protocol version header: an invalid or unsupported MCP-Protocol-Version MUST get 400",
    applies: "always",
    row: None,
    hint: "validate the MCP-Protocol-Version header and answer 400 to versions you do not support",
    judge: Judge::Sweep(Section::Transport, protocol_version_checked),
};

pub static ORIGIN: CheckDef = CheckDef {
    id: "transport.origin.checked",
    level: Level::Must,
    clause: "MCP transports §security warning: servers MUST validate Origin; an invalid Origin MUST get 403 (DNS rebinding)",
    applies: "always",
    row: None,
    hint: "answer 403 to requests whose Origin is not an allowed host origin",
    judge: Judge::Sweep(Section::Transport, origin_checked),
};

pub static GET_STREAM: CheckDef = CheckDef {
    id: "transport.get.sse-or-405",
    level: Level::Must,
    clause: "MCP transports §listening for messages: a GET on the MCP endpoint returns text/event-stream or 405 Method Not Allowed",
    applies: "always",
    row: None,
    hint: "answer GET on the MCP endpoint with an SSE stream, or 405 when the server offers none",
    judge: Judge::Sweep(Section::Transport, get_stream),
};

pub static SESSION_ID_ASCII: CheckDef = CheckDef {
    id: "transport.session.id-visible-ascii",
    level: Level::Must,
    clause: "MCP transports §session management: a session id MUST contain only visible ASCII characters (0x21 to 0x7E)",
    applies: "the server issues a session id",
    row: None,
    hint: "mint session ids from visible ASCII only (a UUID, a random token in base64url)",
    judge: Judge::Sweep(Section::Transport, session_id_ascii),
};

pub static CHECKS: &[&CheckDef] = &[
    &NOTIFICATION,
    &SESSION_REQUIRED,
    &SESSION_BOUND,
    &DELETE_ENDS,
    &PARSE_ERROR,
    &BATCH,
    &PROTOCOL_VERSION,
    &ORIGIN,
    &GET_STREAM,
    &SESSION_ID_ASCII,
];

const STATELESS: &str = "the server issues no session id (stateless)";

/// Pass when `ok(status, code)` holds for the recorded answer; a 5xx is no verdict, unless the
/// clause itself forbids it (`fivexx_breaks_it`).
fn status_rule(
    def: &CheckDef,
    observed: &Observed<Exchange>,
    what: &str,
    expected: &str,
    ok: impl Fn(u16, Option<i64>) -> bool,
) -> Vec<CheckResult> {
    status_rule_5xx(def, observed, what, expected, false, ok)
}

fn status_rule_5xx(
    def: &CheckDef,
    observed: &Observed<Exchange>,
    what: &str,
    expected: &str,
    fivexx_breaks_it: bool,
    ok: impl Fn(u16, Option<i64>) -> bool,
) -> Vec<CheckResult> {
    let x = match seen(def, observed) {
        Ok(x) => x,
        Err(v) => return vec![v],
    };
    if !fivexx_breaks_it {
        if let Some(v) = server_failed(def, x, what) {
            return vec![v];
        }
    }
    let code = error_code(x);
    vec![CheckResult::judge(
        def,
        ok(x.status, code),
        what,
        expected,
        format!(
            "{}{}",
            x.status,
            code.map(|c| format!(" (JSON-RPC {c})")).unwrap_or_default()
        ),
    )
    .with_evidence([x])]
}

fn notification_accepted(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &NOTIFICATION;
    let x = match seen(def, &ev.transport.initialized) {
        Ok(x) => x,
        Err(v) => return vec![v],
    };
    if let Some(v) = server_failed(def, x, "notifications/initialized") {
        return vec![v];
    }
    vec![CheckResult::judge(
        def,
        x.status == 202 && x.response_body.trim().is_empty(),
        "notifications/initialized",
        "202 Accepted with no body",
        format!("{} with {} bytes", x.status, x.response_body.len()),
    )
    .with_evidence([x])]
}

fn session_required(ev: &SweepEvidence) -> Vec<CheckResult> {
    if ev.transport.session_id.is_none() {
        return vec![CheckResult::not_applicable(&SESSION_REQUIRED, STATELESS)];
    }
    status_rule(
        &SESSION_REQUIRED,
        &ev.transport.without_session,
        "tools/list without Mcp-Session-Id",
        "served (200) or 400",
        |status, _| status == 200 || status == 400,
    )
}

fn session_bound(ev: &SweepEvidence) -> Vec<CheckResult> {
    if ev.transport.session_id.is_none() {
        return vec![CheckResult::not_applicable(&SESSION_BOUND, STATELESS)];
    }
    if ev.open_without_credentials() {
        return vec![CheckResult::not_applicable(
            &SESSION_BOUND,
            "the endpoint asks for no credentials: there is no user to bind a session to",
        )];
    }
    status_rule(
        &SESSION_BOUND,
        &ev.transport.other_credential,
        "this session's id presented with another credential",
        "refused (404, or 401/403)",
        |status, _| matches!(status, 401 | 403 | 404),
    )
}

fn delete_ends(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &DELETE_ENDS;
    if ev.transport.session_id.is_none() {
        return vec![CheckResult::not_applicable(def, STATELESS)];
    }
    let delete = match seen(def, &ev.transport.delete) {
        Ok(x) => x,
        Err(v) => return vec![v],
    };
    if delete.status == 405 {
        return vec![CheckResult::not_applicable(
            def,
            "the server does not let clients end sessions (405)",
        )
        .with_evidence([delete])];
    }
    if let Some(v) = server_failed(def, delete, "DELETE of the session") {
        return vec![v];
    }
    status_rule(
        def,
        &ev.transport.after_delete,
        "tools/list on a session after DELETE",
        "404",
        |status, _| status == 404,
    )
}

fn parse_error(ev: &SweepEvidence) -> Vec<CheckResult> {
    // The clause forbids a 5xx here: a crash on bad input is the departure itself.
    status_rule_5xx(
        &PARSE_ERROR,
        &ev.transport.malformed_json,
        "a body that is not JSON",
        "4xx with a -32700 error",
        true,
        |status, code| (400..500).contains(&status) && code == Some(-32700),
    )
}

fn batch_refused(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &BATCH;
    let negotiated = ev
        .transport
        .initialize
        .seen()
        .and_then(|x| x.result())
        .and_then(|r| r["protocolVersion"].as_str())
        .unwrap_or_default();
    if negotiated == "2025-03-26" {
        return vec![CheckResult::not_applicable(
            def,
            "2025-03-26 was negotiated, which allows batches",
        )];
    }
    let x = match seen(def, &ev.transport.batch) {
        Ok(x) => x,
        Err(v) => return vec![v],
    };
    if let Some(v) = server_failed(def, x, "a JSON-RPC batch") {
        return vec![v];
    }
    let processed = serde_json::from_str::<serde_json::Value>(&x.response_body)
        .map(|v| v.is_array())
        .unwrap_or(false);
    let refused = !processed && (x.status >= 400 || error_code(x).is_some());
    vec![CheckResult::judge(
        def,
        refused,
        "a JSON-RPC batch (array)",
        "refused (4xx or -32600), not processed",
        if processed {
            format!("{}: the batch was processed", x.status)
        } else {
            format!(
                "{}{}",
                x.status,
                error_code(x)
                    .map(|c| format!(" (JSON-RPC {c})"))
                    .unwrap_or_default()
            )
        },
    )
    .with_evidence([x])]
}

fn protocol_version_checked(ev: &SweepEvidence) -> Vec<CheckResult> {
    status_rule(
        &PROTOCOL_VERSION,
        &ev.transport.unsupported_version,
        "tools/list with MCP-Protocol-Version: 1999-01-01",
        "400",
        |status, _| status == 400,
    )
}

fn origin_checked(ev: &SweepEvidence) -> Vec<CheckResult> {
    status_rule(
        &ORIGIN,
        &ev.transport.foreign_origin,
        "tools/list with Origin: http://rebinding.attacker.example",
        "403",
        |status, _| status == 403,
    )
}

fn get_stream(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &GET_STREAM;
    let x = match seen(def, &ev.transport.get_stream) {
        Ok(x) => x,
        Err(v) => return vec![v],
    };
    if let Some(v) = server_failed(def, x, "GET on the endpoint") {
        return vec![v];
    }
    let sse = x
        .header("content-type")
        .is_some_and(|c| c.to_ascii_lowercase().starts_with("text/event-stream"));
    vec![CheckResult::judge(
        def,
        (x.status == 200 && sse) || x.status == 405,
        "GET on the endpoint with Accept: text/event-stream",
        "200 text/event-stream, or 405",
        format!(
            "{} with {}",
            x.status,
            x.header("content-type").unwrap_or("no Content-Type")
        ),
    )
    .with_evidence([x])]
}

fn session_id_ascii(ev: &SweepEvidence) -> Vec<CheckResult> {
    let Some(id) = &ev.transport.session_id else {
        return vec![CheckResult::not_applicable(&SESSION_ID_ASCII, STATELESS)];
    };
    let bad: Vec<String> = id
        .chars()
        .filter(|c| !('\u{21}'..='\u{7e}').contains(c))
        .map(|c| format!("{:?}", c))
        .collect();
    vec![CheckResult::judge(
        &SESSION_ID_ASCII,
        bad.is_empty(),
        format!("the session id {}", truncate(id, 60)),
        "visible ASCII only",
        if bad.is_empty() {
            "visible ASCII".to_owned()
        } else {
            format!("contains {}", bad.join(", "))
        },
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::{exchange, reply};
    use crate::checks::Status;
    use serde_json::json;

    fn stateful() -> SweepEvidence {
        let mut ev = SweepEvidence::default();
        ev.transport.session_id = Some("s-1".into());
        ev.transport.initialize = Observed::Seen(reply(
            200,
            json!({"jsonrpc": "2.0", "id": 1, "result": {"protocolVersion": "2025-11-25", "instructions": "Use search first."}}),
        ));
        ev
    }

    fn answer(status: u16, body: &str) -> Observed<Exchange> {
        Observed::Seen(exchange("POST", "http://x/mcp", status, body))
    }

    #[test]
    fn notifications_want_202_without_a_body() {
        let mut ev = stateful();
        ev.transport.initialized = answer(202, "");
        assert_eq!(notification_accepted(&ev)[0].status, Status::Pass);
        ev.transport.initialized = answer(200, "{}");
        assert_eq!(notification_accepted(&ev)[0].status, Status::Fail);
        ev.transport.initialized = Observed::default();
        assert_eq!(notification_accepted(&ev)[0].status, Status::NotTestable);
    }

    #[test]
    fn session_rules_apply_only_to_stateful_servers_and_warn_when_broken() {
        let mut ev = stateful();
        ev.transport.without_session = answer(400, "");
        ev.transport.other_credential = answer(404, "");
        assert_eq!(session_required(&ev)[0].status, Status::Pass);
        assert_eq!(session_bound(&ev)[0].status, Status::Pass);
        ev.transport.without_session = answer(200, "{}");
        assert_eq!(session_required(&ev)[0].status, Status::Pass, "served");
        ev.transport.without_session = answer(404, "");
        ev.transport.other_credential = answer(500, "");
        assert_eq!(session_required(&ev)[0].status, Status::Warn);
        assert_eq!(
            session_bound(&ev)[0].status,
            Status::NotTestable,
            "a 500 is not a refusal"
        );
        ev.transport.session_id = None;
        assert_eq!(session_required(&ev)[0].status, Status::NotApplicable);
        assert_eq!(delete_ends(&ev)[0].status, Status::NotApplicable);
    }

    #[test]
    fn a_deleted_session_must_be_gone() {
        let mut ev = stateful();
        ev.transport.delete = answer(200, "");
        ev.transport.after_delete = answer(404, "");
        assert_eq!(delete_ends(&ev)[0].status, Status::Pass);
        ev.transport.after_delete = answer(400, "");
        assert_eq!(delete_ends(&ev)[0].status, Status::Fail);
        ev.transport.delete = answer(405, "");
        assert_eq!(delete_ends(&ev)[0].status, Status::NotApplicable);
    }

    #[test]
    fn a_parse_error_needs_its_code_and_a_client_error_status() {
        let mut ev = stateful();
        let err = |code: i64| {
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": "x"}})
                .to_string()
        };
        ev.transport.malformed_json = answer(400, &err(-32700));
        assert_eq!(parse_error(&ev)[0].status, Status::Pass);
        ev.transport.malformed_json = answer(400, &err(-32600));
        assert_eq!(
            parse_error(&ev)[0].status,
            Status::Fail,
            "the code is compared"
        );
        ev.transport.malformed_json = answer(500, &err(-32700));
        assert_eq!(
            parse_error(&ev)[0].status,
            Status::Fail,
            "the clause forbids a 5xx"
        );
    }

    #[test]
    fn a_batch_must_not_be_processed_unless_2025_03_26_was_negotiated() {
        let mut ev = stateful();
        ev.transport.batch = answer(400, "");
        assert_eq!(batch_refused(&ev)[0].status, Status::Pass);
        ev.transport.batch = answer(200, "[{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{}}]");
        assert_eq!(batch_refused(&ev)[0].status, Status::Warn);
        ev.transport.batch = answer(500, "");
        assert_eq!(batch_refused(&ev)[0].status, Status::NotTestable);
        ev.transport.initialize = Observed::Seen(reply(
            200,
            json!({"jsonrpc": "2.0", "id": 1, "result": {"protocolVersion": "2025-03-26"}}),
        ));
        assert_eq!(batch_refused(&ev)[0].status, Status::NotApplicable);
    }

    #[test]
    fn a_get_stream_is_sse_or_405() {
        let mut ev = stateful();
        let mut sse = exchange("GET", "http://x/mcp", 200, "");
        sse.response_headers = vec![("content-type".into(), "text/event-stream".into())];
        ev.transport.get_stream = Observed::Seen(sse);
        assert_eq!(get_stream(&ev)[0].status, Status::Pass);
        ev.transport.get_stream = answer(405, "");
        assert_eq!(get_stream(&ev)[0].status, Status::Pass);
        ev.transport.get_stream = answer(404, "");
        assert_eq!(get_stream(&ev)[0].status, Status::Fail);
    }

    #[test]
    fn session_ids_are_visible_ascii() {
        let mut ev = stateful();
        assert_eq!(session_id_ascii(&ev)[0].status, Status::Pass);
        ev.transport.session_id = Some("a b".into());
        assert_eq!(session_id_ascii(&ev)[0].status, Status::Fail);
        ev.transport.session_id = None;
        assert_eq!(session_id_ascii(&ev)[0].status, Status::NotApplicable);
    }

    #[test]
    fn version_and_origin_want_their_exact_statuses() {
        let mut ev = stateful();
        ev.transport.unsupported_version = answer(400, "");
        ev.transport.foreign_origin = answer(403, "");
        assert_eq!(protocol_version_checked(&ev)[0].status, Status::Pass);
        assert_eq!(origin_checked(&ev)[0].status, Status::Pass);
        ev.transport.unsupported_version = answer(200, "{}");
        ev.transport.foreign_origin = answer(200, "{}");
        assert_eq!(protocol_version_checked(&ev)[0].status, Status::Fail);
        assert_eq!(origin_checked(&ev)[0].status, Status::Fail);
    }
}
