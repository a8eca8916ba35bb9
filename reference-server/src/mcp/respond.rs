//! The answer to one JSON-RPC request: a JSON body, or an SSE stream of one message (with the
//! 2025-11-25 priming event first), as the client accepts and the server prefers.

use std::convert::Infallible;

use axum::http::{HeaderName, HeaderValue};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use serde_json::{json, Value};

use crate::domain::secret::random_id;
use crate::fault::Fault;
use crate::mcp::error::RpcError;
use crate::mcp::headers::{Accepts, SESSION_HEADER};
use crate::state::AppState;

/// Sends a JSON-RPC response as JSON or SSE, as the client accepts and the server prefers.
pub(crate) fn respond(
    state: &AppState,
    accept: &Accepts,
    protocol_version: &str,
    id: Value,
    outcome: Result<Value, RpcError>,
    new_session: Option<&str>,
) -> Response {
    let faults = state.faults();
    // The bug: ids of results come back as strings (a serializer that stringifies them).
    let id = match (&outcome, &id) {
        (Ok(result), Value::Number(n))
            if faults.has(Fault::ResponseIdWrong) && result.get("tools").is_some() =>
        {
            Value::String(n.to_string())
        }
        _ => id,
    };
    let body = match outcome {
        Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err(error) => json!({ "jsonrpc": "2.0", "id": id, "error": error.to_json() }),
    };
    let use_sse = accept.sse && (!accept.json || state.config.prefer_sse);
    let mut response = if use_sse {
        let stream_id = random_id();
        let mut events = Vec::new();
        // MCP 2025-11-25 §1.2: a priming event with an id and empty data lets the client resume.
        // 2026-07-28 has no resumption, so no priming event.
        if protocol_version == "2025-11-25" {
            events.push(Event::default().id(format!("{stream_id}:0")).data(""));
        }
        events.push(
            Event::default()
                .event("message")
                .id(format!("{stream_id}:1"))
                .data(body.to_string()),
        );
        Sse::new(stream::iter(events.into_iter().map(Ok::<_, Infallible>))).into_response()
    } else if faults.has(Fault::ResponseContentTypeWrong) {
        (
            [(axum::http::header::CONTENT_TYPE, "text/plain")],
            body.to_string(),
        )
            .into_response()
    } else {
        axum::Json(body).into_response()
    };
    if let Some(session) = new_session {
        if let Ok(v) = HeaderValue::from_str(session) {
            response
                .headers_mut()
                .insert(HeaderName::from_static(SESSION_HEADER), v);
        }
    }
    response
}
