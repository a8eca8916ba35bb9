//! JSON-RPC framing of every answer the sweep got (MCP basic/index, transports): a response carries
//! its request's id, arrives as JSON or SSE, and an unknown method is an error. Judged over the
//! sweep's whole transcript, so a new rule about answers needs no new probe.

use serde_json::Value;

use super::catalogue::{CheckDef, Judge, Level, Section};
use super::tools::rpc_error_rule;
use super::verdict::{truncate, CheckResult};
use crate::evidence::SweepEvidence;
use crate::wire::Exchange;

pub static ID_ECHOED: CheckDef = CheckDef {
    id: "jsonrpc.response.id-echoed",
    level: Level::Must,
    clause: "MCP basic/index §responses (JSON-RPC 2.0 §5): a response carries the same id as the request it answers",
    applies: "a request the sweep sent was answered 2xx",
    row: None,
    hint: "copy the request's `id` into its response unchanged (same value, same JSON type)",
    judge: Judge::Sweep(Section::Transport, id_echoed),
};

pub static UNKNOWN_METHOD: CheckDef = CheckDef {
    id: "jsonrpc.method.unknown",
    level: Level::Must,
    clause: "MCP basic/index §messages (JSON-RPC 2.0 §5.1): a request for a method the server does not implement gets -32601 Method not found",
    applies: "always",
    row: None,
    hint: "answer requests for unknown methods with JSON-RPC -32601",
    judge: Judge::Sweep(Section::Transport, unknown_method),
};

pub static CONTENT_TYPE: CheckDef = CheckDef {
    id: "transport.response.content-type",
    level: Level::Must,
    clause: "MCP transports §sending messages: a POSTed request is answered with Content-Type application/json (one JSON object) or text/event-stream",
    applies: "a request the sweep sent was answered 2xx",
    row: Some(crate::guide::Row::Add),
    hint: "answer requests with `Content-Type: application/json` or an SSE stream (`text/event-stream`)",
    judge: Judge::Sweep(Section::Transport, content_type),
};

pub static WITHIN_LIMIT: CheckDef = CheckDef {
    id: "transport.response.within-limit",
    level: Level::Should,
    clause: "hosts read bounded replies (Claude: about 150,000 characters per result, hosts-observed A30); a reply past the run's limit (--max-response-bytes) is cut and cannot be judged",
    applies: "always",
    row: Some(crate::guide::Row::ToolsFail),
    hint: "keep replies small: page long lists, summarise large results, link to resources instead of inlining them",
    judge: Judge::Sweep(Section::Transport, within_limit),
};

pub static CHECKS: &[&CheckDef] = &[&ID_ECHOED, &UNKNOWN_METHOD, &CONTENT_TYPE, &WITHIN_LIMIT];

/// The MCP requests (a JSON object with `method` and `id`) POSTed to the endpoint and answered 2xx,
/// with their id.
fn answered_requests(ev: &SweepEvidence) -> Vec<(&Exchange, Value)> {
    let endpoint = crate::wire::redact_url(&ev.endpoint);
    ev.transcript
        .iter()
        .filter(|x| x.method == "POST" && x.url == endpoint && (200..300).contains(&x.status))
        .filter_map(|x| {
            let request: Value = serde_json::from_str(&x.request_body).ok()?;
            let id = request.get("id")?.clone();
            request.get("method")?;
            Some((x, id))
        })
        .collect()
}

fn id_echoed(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &ID_ECHOED;
    // A reply cut at the run's limit cannot be parsed (transport.response.within-limit reports it).
    let requests: Vec<_> = answered_requests(ev)
        .into_iter()
        .filter(|(x, _)| x.cut_at.is_none())
        .collect();
    if requests.is_empty() {
        return vec![CheckResult::not_testable(
            def,
            "no request was answered 2xx within the run's size limit",
        )];
    }
    let mut wrong = Vec::new();
    for (x, id) in &requests {
        // The ids the wire read from the whole body: the recorded one may be shortened.
        if !x.response_ids.contains(id) {
            let ids: Vec<String> = x.response_ids.iter().map(Value::to_string).collect();
            wrong.push((
                *x,
                format!(
                    "id {id}: the answer carries {}",
                    if ids.is_empty() {
                        "no JSON-RPC response".to_owned()
                    } else {
                        format!("id {}", ids.join(", "))
                    }
                ),
            ));
        }
    }
    let verdict = CheckResult::judge(
        def,
        wrong.is_empty(),
        format!("the ids of {} answered requests", requests.len()),
        "each response carries its request's id",
        if wrong.is_empty() {
            "every id echoed".to_owned()
        } else {
            wrong
                .iter()
                .map(|(_, w)| w.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        },
    );
    vec![verdict.with_evidence(wrong.iter().map(|(x, _)| *x))]
}

fn unknown_method(ev: &SweepEvidence) -> Vec<CheckResult> {
    vec![rpc_error_rule(
        &UNKNOWN_METHOD,
        &ev.transport.unknown_method,
        "a request for metabind-conformance/no-such-method",
        Some(-32601),
        "a result",
    )]
}

fn content_type(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &CONTENT_TYPE;
    // Judged on the headers, so a reply cut at the run's limit counts too.
    let requests = answered_requests(ev);
    if requests.is_empty() {
        return vec![CheckResult::not_testable(
            def,
            "no request was answered 2xx",
        )];
    }
    let wrong: Vec<(&Exchange, String)> = requests
        .iter()
        .filter_map(|(x, _)| {
            let media = x.header("content-type").map(|c| {
                c.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            });
            match media.as_deref() {
                Some("application/json" | "text/event-stream") => None,
                other => Some((
                    *x,
                    format!(
                        "{} answered {} with {}",
                        truncate(&x.request_body, 60),
                        x.status,
                        other.unwrap_or("no Content-Type")
                    ),
                )),
            }
        })
        .collect();
    vec![CheckResult::judge(
        def,
        wrong.is_empty(),
        format!("the Content-Type of {} answered requests", requests.len()),
        "application/json or text/event-stream",
        if wrong.is_empty() {
            "every answer is JSON or SSE".to_owned()
        } else {
            wrong
                .iter()
                .map(|(_, w)| w.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        },
    )
    .with_evidence(wrong.iter().map(|(x, _)| *x))]
}

fn within_limit(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &WITHIN_LIMIT;
    if ev.transcript.is_empty() {
        return vec![CheckResult::not_testable(def, "no exchange was recorded")];
    }
    let cut: Vec<&Exchange> = ev
        .transcript
        .iter()
        .filter(|x| x.cut_at.is_some())
        .collect();
    vec![CheckResult::judge(
        def,
        cut.is_empty(),
        format!("the size of {} replies", ev.transcript.len()),
        "every reply within the run's limit",
        if cut.is_empty() {
            "all within it".to_owned()
        } else {
            cut.iter()
                .map(|x| {
                    format!(
                        "{} {} passed {} bytes",
                        x.method,
                        x.url,
                        x.cut_at.unwrap_or(0)
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        },
    )
    .with_evidence(cut.iter().copied())]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::{exchange, reply};
    use crate::checks::Status;
    use crate::evidence::Observed;
    use serde_json::json;

    fn answered(request: Value, content_type: &str, body: &str) -> Exchange {
        let mut x = exchange("POST", "http://x/mcp", 200, body);
        x.request_body = request.to_string();
        x.response_headers = vec![("content-type".into(), content_type.into())];
        x.response_ids = crate::wire::response_ids(Some(content_type), body.as_bytes());
        x
    }

    fn with(transcript: Vec<Exchange>) -> SweepEvidence {
        SweepEvidence {
            endpoint: "http://x/mcp".into(),
            transcript,
            ..Default::default()
        }
    }

    #[test]
    fn ids_must_come_back_unchanged_in_json_and_sse() {
        let request = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/list"});
        let json_ok = answered(
            request.clone(),
            "application/json",
            r#"{"jsonrpc":"2.0","id":7,"result":{}}"#,
        );
        let sse_ok = answered(
            request.clone(),
            "text/event-stream",
            "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}\n\n",
        );
        assert_eq!(
            id_echoed(&with(vec![json_ok, sse_ok]))[0].status,
            Status::Pass
        );
        let as_string = answered(
            request.clone(),
            "application/json",
            r#"{"jsonrpc":"2.0","id":"7","result":{}}"#,
        );
        // A large reply is recorded shortened; its ids were read from the whole body.
        let mut long = answered(
            request,
            "application/json",
            r#"{"jsonrpc":"2.0","id":7,"result":{}}"#,
        );
        long.response_body =
            "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"tools\":[… (150000 bytes in all)".into();
        assert_eq!(id_echoed(&with(vec![long]))[0].status, Status::Pass);
        let v = &id_echoed(&with(vec![as_string]))[0];
        assert_eq!(v.status, Status::Fail, "\"7\" is not 7");
        assert_eq!(id_echoed(&with(Vec::new()))[0].status, Status::NotTestable);
    }

    #[test]
    fn answers_are_json_or_sse() {
        let request = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
        let ok = answered(
            request.clone(),
            "application/json; charset=utf-8",
            r#"{"jsonrpc":"2.0","id":1,"result":{}}"#,
        );
        assert_eq!(content_type(&with(vec![ok]))[0].status, Status::Pass);
        let text = answered(
            request,
            "text/plain",
            r#"{"jsonrpc":"2.0","id":1,"result":{}}"#,
        );
        assert_eq!(content_type(&with(vec![text]))[0].status, Status::Fail);
    }

    #[test]
    fn a_reply_cut_at_the_limit_is_a_finding_with_its_size() {
        let request = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
        let mut big = answered(request, "application/json", "{");
        big.cut_at = Some(4 << 20);
        let v = &within_limit(&with(vec![big.clone()]))[0];
        assert_eq!(v.status, Status::Warn);
        // Half a document is not judged for its id.
        assert_eq!(id_echoed(&with(vec![big]))[0].status, Status::NotTestable);
        assert!(
            v.actual.as_deref().unwrap().contains("4194304 bytes"),
            "{v:?}"
        );
    }

    #[test]
    fn an_unknown_method_needs_method_not_found() {
        let mut ev = with(Vec::new());
        ev.transport.unknown_method = Observed::Seen(reply(
            200,
            json!({"jsonrpc": "2.0", "id": 9, "error": {"code": -32601, "message": "nope"}}),
        ));
        assert_eq!(unknown_method(&ev)[0].status, Status::Pass);
        ev.transport.unknown_method =
            Observed::Seen(reply(200, json!({"jsonrpc": "2.0", "id": 9, "result": {}})));
        assert_eq!(unknown_method(&ev)[0].status, Status::Fail);
    }
}
