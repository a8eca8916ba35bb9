//! Sessions and protocol eras on the wire: the `MCP-Protocol-Version` check (MCP §1.6), finding the
//! caller's session (required, of this endpoint and of this caller), `initialize` (which negotiates the
//! version and issues a session) and DELETE (which ends it).

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::domain::endpoint::Endpoint;
use crate::domain::session::Session;
use crate::domain::task::TaskCaller;
use crate::domain::world::WorldEvent;
use crate::fault::Fault;
use crate::mcp::auth::{self, Principal};
use crate::mcp::error::{HttpError, RpcError, INVALID_REQUEST, SESSION_NOT_FOUND, TRANSPORT_ERROR};
use crate::mcp::headers::{header_str, Accepts, SESSION_HEADER, VERSION_HEADER};
use crate::mcp::methods;
use crate::mcp::respond::respond;
use crate::mcp::version::{self, SUPPORTED_VERSIONS};
use crate::state::AppState;

/// `MCP-Protocol-Version` on requests after initialize: an unsupported value is a 400 (MCP §1.6).
pub(crate) fn check_version_header(state: &AppState, headers: &HeaderMap) -> Result<(), HttpError> {
    match header_str(headers, VERSION_HEADER) {
        None if state.faults().has(Fault::ProtocolVersionHeaderRequired) => Err(HttpError::new(
            StatusCode::BAD_REQUEST,
            TRANSPORT_ERROR,
            "Bad Request: MCP-Protocol-Version header is required",
        )),
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

/// The caller's session, when the request names one: known, of this endpoint and of this caller. A
/// request without a session id is served without one (hosts send tool calls so, hosts-observed C20).
pub(crate) fn require_session(
    state: &AppState,
    endpoint: &Endpoint,
    principal: &Principal,
    headers: &HeaderMap,
) -> Result<Option<Session>, HttpError> {
    let Some(id) = header_str(headers, SESSION_HEADER) else {
        if state.faults().has(Fault::SessionRequired) {
            return Err(HttpError::new(
                StatusCode::BAD_REQUEST,
                TRANSPORT_ERROR,
                "Bad Request: Mcp-Session-Id header is required",
            ));
        }
        if state.faults().has(Fault::SessionMissing404) {
            return Err(HttpError::new(
                StatusCode::NOT_FOUND,
                SESSION_NOT_FOUND,
                "Session not found",
            ));
        }
        return Ok(None);
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

/// Whose tasks a request sees and creates.
pub(crate) fn task_caller(
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

/// `initialize`: negotiates the version, issues a session and answers with the `InitializeResult`.
pub(crate) fn initialize(
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
                version::LATEST_VERSION,
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
            version::LATEST_VERSION,
            id,
            Err(RpcError::invalid_params(
                "params.protocolVersion must be a string",
            )),
            None,
        ));
    };
    let version = version::negotiate(Some(requested));
    let session = state.sessions.create(
        endpoint.key(),
        principal.subject.clone(),
        version.to_owned(),
        // The bug: ids made of two words ("sess 1a2b…"), which is not visible ASCII.
        state.faults().has(Fault::SessionIdNotAscii),
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

/// DELETE: ends the caller's session (its GET stream closes).
pub(crate) fn delete(
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
