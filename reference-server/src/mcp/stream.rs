//! The standalone SSE stream (GET, MCP §1.3): one per session, opened with a priming event, carrying
//! `notifications/tools/list_changed` when the project's tools change, and closed when the session ends
//! or the server stops.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, StreamExt};
use serde_json::json;

use crate::domain::endpoint::Endpoint;
use crate::domain::secret::random_id;
use crate::domain::world::WorldEvent;
use crate::mcp::auth;
use crate::mcp::error::{HttpError, TRANSPORT_ERROR};
use crate::mcp::headers::accepts;
use crate::mcp::session::{check_version_header, require_session};
use crate::state::AppState;
use crate::store::sessions::SessionStore;

/// Clears the session's "GET stream open" flag when the stream ends, however it ends.
struct StreamGuard {
    sessions: Arc<SessionStore>,
    session_id: String,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.sessions
            .update(&self.session_id, |s| s.get_stream_open = false);
    }
}

/// GET: opens the session's standalone stream.
pub(crate) fn get_stream(
    state: &AppState,
    endpoint: &Endpoint,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Response, HttpError> {
    let principal = auth::authenticate(state, endpoint, headers, query)?;
    if !accepts(headers).sse {
        return Err(HttpError::new(
            StatusCode::NOT_ACCEPTABLE,
            TRANSPORT_ERROR,
            "Not Acceptable: the GET stream needs Accept: text/event-stream",
        ));
    }
    check_version_header(state, headers)?;
    let Some(session) = require_session(state, endpoint, &principal, headers)? else {
        return Err(HttpError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            TRANSPORT_ERROR,
            "Method Not Allowed: a standalone stream needs a session",
        ));
    };
    let mut claimed = false;
    state.sessions.update(&session.id, |s| {
        if !s.get_stream_open {
            s.get_stream_open = true;
            claimed = true;
        }
    });
    if !claimed {
        return Err(HttpError::new(
            StatusCode::CONFLICT,
            TRANSPORT_ERROR,
            "Conflict: only one standalone SSE stream is allowed per session",
        ));
    }
    let guard = StreamGuard {
        sessions: state.sessions.clone(),
        session_id: session.id.clone(),
    };
    let (org, project) = (endpoint.org.clone(), endpoint.project.clone());
    let stream_id = random_id();
    let priming = stream::once(futures_util::future::ready(Ok::<_, Infallible>(
        Event::default().id(format!("{stream_id}:0")).data(""),
    )));
    let events = state.events.subscribe();
    let shutdown = state.shutdown.clone();
    let session_id = session.id.clone();
    let notifications = stream::unfold(
        (events, shutdown, guard, 1u64),
        move |(mut events, mut shutdown, guard, seq)| {
            let (org, project, session_id, stream_id) = (
                org.clone(),
                project.clone(),
                session_id.clone(),
                stream_id.clone(),
            );
            async move {
                loop {
                    let event = tokio::select! {
                        event = events.recv() => event,
                        _ = shutdown.wait_for(|stopped| *stopped) => return None,
                    };
                    match event {
                        Ok(WorldEvent::ToolsChanged { org: o, project: p })
                            if o == org && p == project =>
                        {
                            let data = json!({ "jsonrpc": "2.0", "method": "notifications/tools/list_changed" });
                            let event = Event::default()
                                .event("message")
                                .id(format!("{stream_id}:{seq}"))
                                .data(data.to_string());
                            return Some((Ok(event), (events, shutdown, guard, seq + 1)));
                        }
                        Ok(WorldEvent::SessionEnded { session }) if session == session_id => {
                            return None
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
    Ok(Sse::new(priming.chain(notifications))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}
