//! `subscriptions/listen` (MCP 2026-07-28 basic/patterns/subscriptions): the stateless era's replacement
//! for the GET stream. The POST's SSE response acknowledges the notifications the server will send (the
//! subset it honours), then carries `notifications/tools/list_changed` when the project's tools change,
//! each tagged with the listen request's id, until the client closes the stream or the server stops.

use std::convert::Infallible;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, StreamExt};
use serde_json::{json, Map, Value};

use crate::domain::endpoint::Endpoint;
use crate::domain::world::WorldEvent;
use crate::mcp::error::{RpcError, INVALID_PARAMS};
use crate::mcp::headers::Accepts;
use crate::state::AppState;

pub const SUBSCRIPTION_ID: &str = "io.modelcontextprotocol/subscriptionId";

fn message(value: &Value) -> Event {
    Event::default().event("message").data(value.to_string())
}

/// Opens the listen stream for request `id` of `endpoint`.
pub(crate) fn listen(
    state: &AppState,
    endpoint: &Endpoint,
    accept: &Accepts,
    id: Value,
    params: &Map<String, Value>,
) -> Result<Response, (StatusCode, RpcError)> {
    if !accept.sse {
        return Err((
            StatusCode::NOT_ACCEPTABLE,
            RpcError::new(
                INVALID_PARAMS,
                "subscriptions/listen answers with a stream: Accept must list text/event-stream",
            ),
        ));
    }
    let asked = params
        .get("notifications")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    // Only tool-list changes exist here: resources are fixed and there are no prompts.
    let tools = asked.get("toolsListChanged") == Some(&json!(true));
    let mut honoured = Map::new();
    if tools {
        honoured.insert("toolsListChanged".into(), json!(true));
    }
    let tag = json!({ SUBSCRIPTION_ID: id });
    let ack = json!({
        "jsonrpc": "2.0",
        "method": "notifications/subscriptions/acknowledged",
        "params": { "notifications": honoured, "_meta": tag },
    });
    let (org, project) = (endpoint.org.clone(), endpoint.project.clone());
    let events = state.events.subscribe();
    let shutdown = state.shutdown.clone();
    let changes = stream::unfold(
        (events, shutdown, false),
        move |(mut events, mut shutdown, ended)| {
            let (org, project, id, tag) = (org.clone(), project.clone(), id.clone(), tag.clone());
            async move {
                if ended {
                    return None;
                }
                loop {
                    let event = tokio::select! {
                        event = events.recv() => Some(event),
                        _ = shutdown.wait_for(|stopped| *stopped) => None,
                    };
                    let Some(event) = event else {
                        // A graceful end: the listen request's result, tagged like its notifications.
                        let done = json!({ "jsonrpc": "2.0", "id": id, "result": { "resultType": "complete", "_meta": tag } });
                        return Some((
                            Ok::<_, Infallible>(message(&done)),
                            (events, shutdown, true),
                        ));
                    };
                    match event {
                        Ok(WorldEvent::ToolsChanged { org: o, project: p })
                            if tools && o == org && p == project =>
                        {
                            let note = json!({
                                "jsonrpc": "2.0",
                                "method": "notifications/tools/list_changed",
                                "params": { "_meta": tag },
                            });
                            return Some((Ok(message(&note)), (events, shutdown, false)));
                        }
                        Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            continue
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                    }
                }
            }
        },
    );
    let first = stream::once(futures_util::future::ready(Ok(message(&ack))));
    Ok(Sse::new(first.chain(changes))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}
