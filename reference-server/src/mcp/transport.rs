//! Streamable HTTP (MCP 2025-11-25 §1): POST carries one JSON-RPC message and gets JSON or SSE back, GET
//! opens the standalone SSE stream, DELETE ends the session. Every rule that a host can observe on the
//! wire is enforced here or in the modules this one calls, in the order a real server applies them:
//! Host/Origin, project, credentials, body size, media types, JSON, envelope, protocol version, session,
//! scope, then the method.

use axum::body::{Body, Bytes};
use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::domain::endpoint::Endpoint;
use crate::fault::Fault;
use crate::mcp::auth::{self, Principal};
use crate::mcp::error::*;
use crate::mcp::headers::{accepts, header_str, Accepts, VERSION_HEADER};
use crate::mcp::methods::{self, Call};
use crate::mcp::origin::{add_cors_headers, check_host_and_origin, preflight};
use crate::mcp::respond::respond;
use crate::mcp::session::{self, check_version_header, require_session, task_caller};
use crate::mcp::stream::get_stream;
use crate::mcp::version::DEFAULT_VERSION;
use crate::mcp::{envelope, modern};
use crate::state::AppState;

/// Entry point for every path that is not a well-known, OAuth or admin route (the router's fallback,
/// after the authorization server metadata appended to a project path).
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
            Method::GET | Method::DELETE
                if !state.eras(&endpoint.org, &endpoint.project).legacy() =>
            {
                modern::method_not_allowed()
            }
            Method::GET if state.faults().has(Fault::GetNotSupported) => {
                HttpError::new(StatusCode::NOT_FOUND, TRANSPORT_ERROR, "Not Found").into_response()
            }
            Method::GET => get_stream(&state, &endpoint, &headers, uri.query())
                .unwrap_or_else(IntoResponse::into_response),
            Method::DELETE => session::delete(&state, &endpoint, &headers, uri.query())
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
    Notification,
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
            None => Ok(Message::Notification),
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
    let eras = state.eras(&endpoint.org, &endpoint.project);
    match &message {
        // A request carrying the 2026-07-28 `_meta` version selects the stateless era; on an endpoint
        // that speaks only that era, every request does (and is refused there if it lacks `_meta`).
        Message::Request { id, method, params }
            if eras.modern()
                && ((!eras.legacy() && method != "initialize")
                    || envelope::selects_modern(headers, method, params.as_ref())) =>
        {
            return Ok(modern::post(
                state,
                endpoint,
                headers,
                principal,
                accept,
                id.clone(),
                method.clone(),
                params.clone(),
            )
            .await);
        }
        Message::Request { id, method, params } if method == "initialize" && !eras.legacy() => {
            return Ok(modern::refuse_initialize(id, params.as_ref()));
        }
        Message::Request { id, method, params } if method == "initialize" => {
            return session::initialize(
                state,
                endpoint,
                headers,
                principal,
                accept,
                id.clone(),
                params.as_ref(),
            );
        }
        // The stateless era has no session to check notifications and responses against.
        _ if !eras.legacy() => return Ok(StatusCode::ACCEPTED.into_response()),
        _ => {}
    }
    check_version_header(state, headers)?;
    let session = require_session(state, endpoint, principal, headers)?;
    let (id, method, params) = match message {
        Message::Response => return Ok(StatusCode::ACCEPTED.into_response()),
        Message::Notification => {
            if state.faults().has(Fault::NotificationGets200) {
                return Ok(axum::Json(json!({ "jsonrpc": "2.0", "result": {} })).into_response());
            }
            return Ok(StatusCode::ACCEPTED.into_response());
        }
        Message::Request { id, method, params } => (id, method, params),
    };
    if let Some(scope) = auth::required_scope(state.scopes(), &method, endpoint.env) {
        if !principal.scopes.contains(scope) {
            return Err(auth::insufficient_scope(state, endpoint, principal, scope));
        }
    }
    let protocol_version = session
        .as_ref()
        .map(|s| s.protocol_version.clone())
        .or_else(|| header_str(headers, VERSION_HEADER).map(String::from))
        .unwrap_or_else(|| DEFAULT_VERSION.to_owned());
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
