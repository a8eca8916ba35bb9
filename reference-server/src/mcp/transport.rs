//! Streamable HTTP (MCP 2025-11-25 §1): POST carries one JSON-RPC message and gets JSON or SSE back, GET
//! opens the standalone SSE stream, DELETE ends the session. Every rule that a host can observe on the
//! wire is enforced here, in the order a real server applies them: Host/Origin, project, credentials,
//! body size, media types, JSON, envelope, protocol version, session, scope, then the method.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};

use crate::domain::endpoint::Endpoint;
use crate::domain::secret::random_id;
use crate::domain::session::Session;
use crate::domain::task::TaskCaller;
use crate::domain::world::WorldEvent;
use crate::fault::Fault;
use crate::mcp::auth::{self, Principal};
use crate::mcp::error::*;
use crate::mcp::methods::{self, Call, SUPPORTED_VERSIONS};
use crate::state::AppState;
use crate::store::sessions::SessionStore;

pub const SESSION_HEADER: &str = "mcp-session-id";
pub const VERSION_HEADER: &str = "mcp-protocol-version";

/// Entry point for every path that is not a well-known, OAuth or admin route.
pub async fn handle(
    State(state): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(endpoint) = Endpoint::parse(uri.path()) else {
        return HttpError::new(StatusCode::NOT_FOUND, TRANSPORT_ERROR, "Not Found").into_response();
    };
    let origin = match check_host_and_origin(&state, &headers) {
        Ok(origin) => origin,
        Err(e) => return e.into_response(),
    };
    let exists = state
        .read()
        .project(&endpoint.org, &endpoint.project)
        .is_some();
    let mut response = if !exists {
        HttpError::new(
            StatusCode::NOT_FOUND,
            TRANSPORT_ERROR,
            format!(
                "Not Found: no project {}/{} on this server",
                endpoint.org, endpoint.project
            ),
        )
        .into_response()
    } else {
        match method {
            Method::OPTIONS => preflight(),
            Method::POST => post(&state, &endpoint, &headers, uri.query(), body)
                .await
                .unwrap_or_else(IntoResponse::into_response),
            Method::GET => get_stream(&state, &endpoint, &headers, uri.query())
                .unwrap_or_else(IntoResponse::into_response),
            Method::DELETE => delete(&state, &endpoint, &headers, uri.query())
                .unwrap_or_else(IntoResponse::into_response),
            _ => HttpError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                TRANSPORT_ERROR,
                "Method Not Allowed",
            )
            .with_header(header::ALLOW, "GET, POST, DELETE, OPTIONS")
            .into_response(),
        }
    };
    if let Some(origin) = origin {
        add_cors_headers(response.headers_mut(), &origin);
    }
    response
}

fn preflight() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, DELETE, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(
            "Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID",
        ),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    response
}

fn add_cors_headers(headers: &mut HeaderMap, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate"),
        );
    }
}

fn host_name(authority: &str) -> String {
    let authority = authority.trim().to_ascii_lowercase();
    if let Some(rest) = authority.strip_prefix('[') {
        // IPv6 literal: [::1]:8080
        return format!("[{}]", rest.split(']').next().unwrap_or(""));
    }
    authority
        .rsplit_once(':')
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
        .map(|(host, _)| host.to_owned())
        .unwrap_or(authority)
}

fn is_loopback_name(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

/// DNS-rebinding guard (MCP §1.7): the Host must be a name this server answers to, and a present Origin
/// must be this server, a loopback page, or an allowed host web app. Returns the Origin to echo in CORS.
fn check_host_and_origin(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<String>, HttpError> {
    if state.faults().has(Fault::OriginNotChecked) {
        return Ok(headers
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok())
            .map(String::from));
    }
    let settings = &state.config.settings;
    let own_host = host_name(
        state
            .config
            .base_url
            .split("://")
            .nth(1)
            .unwrap_or_default(),
    );
    let host_allowed = |host: &str| {
        is_loopback_name(host)
            || host == own_host
            || settings
                .allowed_hosts
                .iter()
                .any(|h| h.eq_ignore_ascii_case(host))
    };
    if let Some(host) = headers.get(header::HOST) {
        let host = host_name(host.to_str().unwrap_or(""));
        if !host_allowed(&host) {
            return Err(HttpError::new(
                StatusCode::FORBIDDEN,
                TRANSPORT_ERROR,
                format!("Forbidden: Host {host:?} is not served here"),
            ));
        }
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(None);
    };
    let origin = origin
        .to_str()
        .unwrap_or("")
        .trim_end_matches('/')
        .to_owned();
    let allowed = settings
        .allowed_origins
        .iter()
        .any(|o| o.eq_ignore_ascii_case(&origin))
        || origin.eq_ignore_ascii_case(&state.config.base_url)
        || origin
            .split_once("://")
            .filter(|(scheme, _)| *scheme == "http" || *scheme == "https")
            .map(|(_, authority)| host_allowed(&host_name(authority)))
            .unwrap_or(false);
    if allowed {
        Ok(Some(origin))
    } else {
        Err(HttpError::new(
            StatusCode::FORBIDDEN,
            TRANSPORT_ERROR,
            format!("Forbidden: Origin {origin:?} is not allowed"),
        ))
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().unwrap_or("\u{fffd}"))
}

/// Which response bodies the client accepts.
struct Accepts {
    json: bool,
    sse: bool,
}

fn accepts(headers: &HeaderMap) -> Accepts {
    let accept = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",")
        .to_ascii_lowercase();
    let types: Vec<&str> = accept
        .split(',')
        .map(|t| t.split(';').next().unwrap_or("").trim())
        .collect();
    let any = types.contains(&"*/*");
    Accepts {
        json: any || types.contains(&"application/json") || types.contains(&"application/*"),
        sse: any || types.contains(&"text/event-stream") || types.contains(&"text/*"),
    }
}

/// `MCP-Protocol-Version` on requests after initialize: an unsupported value is a 400 (MCP §1.6).
fn check_version_header(state: &AppState, headers: &HeaderMap) -> Result<(), HttpError> {
    match header_str(headers, VERSION_HEADER) {
        Some(v)
            if !SUPPORTED_VERSIONS.contains(&v)
                && !state.faults().has(Fault::ProtocolVersionNotChecked) =>
        {
            Err(HttpError {
                status: StatusCode::BAD_REQUEST,
                error: RpcError::new(
                    TRANSPORT_ERROR,
                    format!(
                        "Bad Request: unsupported MCP-Protocol-Version {v:?} (supported: {})",
                        SUPPORTED_VERSIONS.join(", ")
                    ),
                )
                .with_data(json!({ "supported": SUPPORTED_VERSIONS, "requested": v })),
                headers: Vec::new(),
            })
        }
        _ => Ok(()),
    }
}

/// The caller's session: required, known, of this endpoint and of this caller.
fn require_session(
    state: &AppState,
    endpoint: &Endpoint,
    principal: &Principal,
    headers: &HeaderMap,
) -> Result<Option<Session>, HttpError> {
    let Some(id) = header_str(headers, SESSION_HEADER) else {
        if state.faults().has(Fault::SessionNotRequired) {
            return Ok(None);
        }
        return Err(HttpError::new(
            StatusCode::BAD_REQUEST,
            TRANSPORT_ERROR,
            "Bad Request: Mcp-Session-Id header is required",
        ));
    };
    let session = state.sessions.get(id).filter(|s| {
        s.endpoint == endpoint.key()
            && (s.subject == principal.subject || state.faults().has(Fault::SessionNotBound))
    });
    // A session of another endpoint or another caller is answered exactly like an unknown one.
    session.map(Some).ok_or_else(|| {
        HttpError::new(
            StatusCode::NOT_FOUND,
            SESSION_NOT_FOUND,
            "Session not found",
        )
    })
}

fn task_caller(
    endpoint: &Endpoint,
    principal: &Principal,
    session: Option<&Session>,
) -> TaskCaller {
    // Anonymous callers share one subject, so their tasks are bound to their session instead.
    let owner = if principal.is_anonymous() {
        format!(
            "anonymous:{}",
            session.map(|s| s.id.as_str()).unwrap_or("no-session")
        )
    } else {
        principal.subject.clone()
    };
    TaskCaller {
        owner,
        endpoint: endpoint.key(),
    }
}

async fn read_body(state: &AppState, body: Body) -> Result<Bytes, HttpError> {
    let limit = state.config.max_body_bytes;
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        HttpError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            INVALID_REQUEST,
            format!("Payload Too Large: request bodies are limited to {limit} bytes"),
        )
    })
}

/// A JSON-RPC message as received, classified.
enum Message {
    Request {
        id: Value,
        method: String,
        params: Option<Value>,
    },
    Notification {
        method: String,
    },
    Response,
}

fn classify(value: Value) -> Result<Message, HttpError> {
    let invalid = |id: Option<&Value>, why: &str| {
        let mut e = HttpError::new(
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST,
            format!("Invalid Request: {why}"),
        );
        e.error.data = id.map(|id| json!({ "id": id }));
        e
    };
    let Value::Object(mut obj) = value else {
        return Err(invalid(None, "the body must be one JSON-RPC object"));
    };
    let id = obj.get("id").cloned();
    if obj.get("jsonrpc") != Some(&json!("2.0")) {
        return Err(invalid(id.as_ref(), "jsonrpc must be \"2.0\""));
    }
    let valid_id = |id: &Value| id.is_string() || id.is_i64() || id.is_u64();
    match obj.remove("method") {
        Some(Value::String(method)) => match id {
            None => Ok(Message::Notification { method }),
            Some(id) if valid_id(&id) => Ok(Message::Request {
                id,
                method,
                params: obj.remove("params"),
            }),
            Some(id) => Err(invalid(Some(&id), "id must be a string or an integer")),
        },
        Some(_) => Err(invalid(id.as_ref(), "method must be a string")),
        None if (obj.contains_key("result") || obj.contains_key("error"))
            && id.as_ref().is_some_and(valid_id) =>
        {
            Ok(Message::Response)
        }
        None => Err(invalid(id.as_ref(), "missing method")),
    }
}

async fn post(
    state: &AppState,
    endpoint: &Endpoint,
    headers: &HeaderMap,
    query: Option<&str>,
    body: Body,
) -> Result<Response, HttpError> {
    let principal = auth::authenticate(state, endpoint, headers, query)?;
    let bytes = read_body(state, body).await?;
    let content_type = header_str(headers, "content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.split(';').next().map(str::trim) != Some("application/json") {
        return Err(HttpError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            TRANSPORT_ERROR,
            "Unsupported Media Type: Content-Type must be application/json",
        ));
    }
    let accept = accepts(headers);
    if !accept.json && !accept.sse {
        return Err(HttpError::new(
            StatusCode::NOT_ACCEPTABLE,
            TRANSPORT_ERROR,
            "Not Acceptable: Accept must list application/json and text/event-stream",
        ));
    }
    let value: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) if state.faults().has(Fault::BadJson500) => {
            return Ok((
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("internal error: {e}"),
            )
                .into_response())
        }
        Err(e) => {
            return Err(HttpError::new(
                StatusCode::BAD_REQUEST,
                PARSE_ERROR,
                format!("Parse error: {e}"),
            ))
        }
    };
    if let Value::Array(batch) = value {
        if !state.faults().has(Fault::BatchAccepted) || batch.is_empty() {
            return Err(HttpError::new(
                StatusCode::BAD_REQUEST,
                INVALID_REQUEST,
                "Invalid Request: JSON-RPC batches are not supported (removed in MCP 2025-06-18)",
            ));
        }
        // The fault: process the first message as if batches were fine.
        return Box::pin(post_message(
            state,
            endpoint,
            headers,
            &principal,
            &accept,
            batch.into_iter().next().unwrap_or_default(),
        ))
        .await;
    }
    post_message(state, endpoint, headers, &principal, &accept, value).await
}

async fn post_message(
    state: &AppState,
    endpoint: &Endpoint,
    headers: &HeaderMap,
    principal: &Principal,
    accept: &Accepts,
    value: Value,
) -> Result<Response, HttpError> {
    let message = classify(value)?;
    if let Message::Request { id, method, params } = &message {
        if method == "initialize" {
            return initialize(
                state,
                endpoint,
                headers,
                principal,
                accept,
                id.clone(),
                params.as_ref(),
            );
        }
    }
    check_version_header(state, headers)?;
    let session = require_session(state, endpoint, principal, headers)?;
    let (id, method, params) = match message {
        Message::Response => return Ok(StatusCode::ACCEPTED.into_response()),
        Message::Notification { method } => {
            if method == "notifications/initialized" {
                if let Some(s) = &session {
                    state.sessions.update(&s.id, |s| s.initialized = true);
                }
            }
            if state.faults().has(Fault::NotificationGets200) {
                return Ok(axum::Json(json!({ "jsonrpc": "2.0", "result": {} })).into_response());
            }
            return Ok(StatusCode::ACCEPTED.into_response());
        }
        Message::Request { id, method, params } => (id, method, params),
    };
    if let Some(scope) = auth::required_scope(&method, endpoint.env) {
        if !principal.scopes.contains(scope) {
            return Err(auth::insufficient_scope(state, endpoint, principal, scope));
        }
    }
    let protocol_version = session
        .as_ref()
        .map(|s| s.protocol_version.clone())
        .or_else(|| header_str(headers, VERSION_HEADER).map(String::from))
        .unwrap_or_else(|| methods::DEFAULT_VERSION.to_owned());
    let call = Call {
        state,
        endpoint,
        protocol_version: &protocol_version,
        session_id: session.as_ref().map(|s| s.id.as_str()),
        task_caller: task_caller(endpoint, principal, session.as_ref()),
    };
    let outcome = methods::dispatch(&call, &method, params.as_ref()).await;
    Ok(respond(state, accept, &protocol_version, id, outcome, None))
}

fn initialize(
    state: &AppState,
    endpoint: &Endpoint,
    headers: &HeaderMap,
    principal: &Principal,
    accept: &Accepts,
    id: Value,
    params: Option<&Value>,
) -> Result<Response, HttpError> {
    if let Some(existing) = header_str(headers, SESSION_HEADER) {
        if state.sessions.contains(existing) {
            return Ok(respond(
                state,
                accept,
                methods::LATEST_VERSION,
                id,
                Err(RpcError::new(
                    INVALID_REQUEST,
                    "Invalid Request: this session is already initialized; send initialize without Mcp-Session-Id to start a new one",
                )),
                None,
            ));
        }
    }
    let params = params.and_then(Value::as_object);
    let requested = params
        .and_then(|p| p.get("protocolVersion"))
        .and_then(Value::as_str);
    let Some(requested) = requested else {
        return Ok(respond(
            state,
            accept,
            methods::LATEST_VERSION,
            id,
            Err(RpcError::invalid_params(
                "params.protocolVersion must be a string",
            )),
            None,
        ));
    };
    let version = methods::negotiate(Some(requested));
    let session = state.sessions.create(
        endpoint.key(),
        principal.subject.clone(),
        version.to_owned(),
        params
            .and_then(|p| p.get("clientInfo"))
            .cloned()
            .unwrap_or(Value::Null),
        params
            .and_then(|p| p.get("capabilities"))
            .cloned()
            .unwrap_or(Value::Null),
    );
    let result = methods::initialize_result(state, endpoint, version);
    Ok(respond(
        state,
        accept,
        version,
        id,
        Ok(result),
        Some(&session.id),
    ))
}

/// Sends a JSON-RPC response as JSON or SSE, as the client accepts and the server prefers.
fn respond(
    state: &AppState,
    accept: &Accepts,
    protocol_version: &str,
    id: Value,
    outcome: Result<Value, RpcError>,
    new_session: Option<&str>,
) -> Response {
    let body = match outcome {
        Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err(error) => json!({ "jsonrpc": "2.0", "id": id, "error": error.to_json() }),
    };
    let use_sse = accept.sse && (!accept.json || state.config.prefer_sse);
    let mut response = if use_sse {
        let stream_id = random_id();
        let mut events = Vec::new();
        // MCP 2025-11-25 §1.2: a priming event with an id and empty data lets the client resume.
        if protocol_version >= "2025-11-25" {
            events.push(Event::default().id(format!("{stream_id}:0")).data(""));
        }
        events.push(
            Event::default()
                .event("message")
                .id(format!("{stream_id}:1"))
                .data(body.to_string()),
        );
        Sse::new(stream::iter(events.into_iter().map(Ok::<_, Infallible>))).into_response()
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

/// Clears the session's "GET stream open" flag when the stream ends, however it ends.
struct StreamGuard {
    sessions: std::sync::Arc<SessionStore>,
    session_id: String,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.sessions
            .update(&self.session_id, |s| s.get_stream_open = false);
    }
}

fn get_stream(
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

fn delete(
    state: &AppState,
    endpoint: &Endpoint,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Response, HttpError> {
    let principal = auth::authenticate(state, endpoint, headers, query)?;
    let Some(session) = require_session(state, endpoint, &principal, headers)? else {
        return Err(HttpError::new(
            StatusCode::BAD_REQUEST,
            TRANSPORT_ERROR,
            "Bad Request: Mcp-Session-Id header is required",
        ));
    };
    if !state.faults().has(Fault::SessionNotEnded) {
        state.sessions.remove(&session.id);
        state.notify(WorldEvent::SessionEnded {
            session: session.id.clone(),
        });
    }
    Ok(StatusCode::OK.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_drop_ports() {
        assert_eq!(host_name("127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(host_name("[::1]:80"), "[::1]");
        assert_eq!(host_name("Evil.Example.com"), "evil.example.com");
    }
}
