//! The stateless era (MCP 2026-07-28): every request carries its protocol version, client capabilities
//! and client info in `params._meta`; the `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers
//! repeat the body; there is no session; every result says its `resultType`; list and read results carry
//! `ttlMs`/`cacheScope`; long tools become tasks of the tasks extension. The checks run in the order the
//! Python SDK applies them (envelope, headers, version), so a self-inconsistent client is told so first.

use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use crate::domain::endpoint::Endpoint;
use crate::domain::secret::random_id;
use crate::fault::Fault;
use crate::fixture::{Environment, Visibility};
use crate::mcp::auth::{self, Principal};
use crate::mcp::envelope::*;
use crate::mcp::error::*;
use crate::mcp::headers::{Accepts, SESSION_HEADER};
use crate::mcp::listen;
use crate::mcp::methods::{self, Call};
use crate::mcp::respond::respond;
use crate::mcp::session::task_caller;
use crate::mcp::task_extension::{task_method, tools_call};
use crate::state::AppState;

/// Methods whose results carry caching hints (server/utilities/caching).
const CACHEABLE: &[&str] = &[
    "server/discover",
    "prompts/list",
    "tools/list",
    "resources/list",
    "resources/templates/list",
    "resources/read",
];

/// A refusal with the request's id, as the 2026-07-28 examples answer.
fn refuse(status: StatusCode, id: &Value, error: RpcError) -> Response {
    let body = json!({ "jsonrpc": "2.0", "id": id, "error": error.to_json() });
    (status, axum::Json(body)).into_response()
}

/// `initialize` on an endpoint that speaks only the stateless era: 400 with -32022 naming what it speaks.
pub(crate) fn refuse_initialize(id: &Value, params: Option<&Value>) -> Response {
    let requested = params
        .and_then(|p| p.get("protocolVersion"))
        .and_then(Value::as_str)
        .unwrap_or("");
    refuse(
        StatusCode::BAD_REQUEST,
        id,
        RpcError::new(
            UNSUPPORTED_PROTOCOL_VERSION,
            format!(
                "Unsupported protocol version: this endpoint speaks only {} (per-request _meta, no initialize)",
                MODERN_VERSIONS.join(", ")
            ),
        )
        .with_data(json!({ "supported": MODERN_VERSIONS, "requested": requested })),
    )
}

/// GET or DELETE on an endpoint that speaks only the stateless era (transports: 405).
pub(crate) fn method_not_allowed() -> Response {
    HttpError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        TRANSPORT_ERROR,
        "Method Not Allowed: this endpoint speaks MCP 2026-07-28 (POST only, no sessions)",
    )
    .with_header(header::ALLOW, "POST, OPTIONS")
    .into_response()
}

/// Serves one request of the stateless era.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn post(
    state: &AppState,
    endpoint: &Endpoint,
    headers: &HeaderMap,
    principal: &Principal,
    accept: &Accepts,
    id: Value,
    method: String,
    params: Option<Value>,
) -> Response {
    let faults = state.faults();
    let bad = |error| refuse(StatusCode::BAD_REQUEST, &id, error);
    let envelope = match envelope(state, params.as_ref()) {
        Ok(e) => e,
        Err(e) => return bad(e),
    };
    let empty = Map::new();
    let param_map = match params.as_ref() {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(map)) => map,
        Some(_) => return bad(RpcError::invalid_params("params must be an object")),
    };
    if !faults.has(Fault::ModernHeadersNotChecked) {
        if let Err(e) = check_headers(headers, &envelope, &method, param_map) {
            return bad(e);
        }
    }
    let eras = state.eras(&endpoint.org, &endpoint.project);
    if !MODERN_VERSIONS.contains(&envelope.version.as_str())
        && !faults.has(Fault::ModernVersionNotChecked)
    {
        return bad(RpcError::new(
            UNSUPPORTED_PROTOCOL_VERSION,
            format!(
                "Unsupported protocol version {:?} (supported: {})",
                envelope.version,
                all_versions(eras.legacy()).join(", ")
            ),
        )
        .with_data(
            json!({ "supported": all_versions(eras.legacy()), "requested": envelope.version }),
        ));
    }
    if let Some(scope) = auth::required_scope(state.scopes(), &method, endpoint.env) {
        if !principal.scopes.contains(scope) {
            return auth::insufficient_scope(state, endpoint, principal, scope).into_response();
        }
    }
    let call = Call {
        state,
        endpoint,
        protocol_version: MODERN_VERSION,
        session_id: None,
        task_caller: task_caller(endpoint, principal, None),
    };
    let outcome = match method.as_str() {
        "server/discover" if !faults.has(Fault::DiscoverMissing) => {
            Ok(discover(state, endpoint, eras.legacy()))
        }
        "tools/list" => methods::dispatch(&call, &method, params.as_ref())
            .await
            .map(|mut result| {
                if faults.has(Fault::ModernToolsDiffer) {
                    differ_from_legacy(&mut result);
                }
                result
            }),
        "subscriptions/listen" => {
            return match listen::listen(state, endpoint, accept, id.clone(), param_map) {
                Ok(mut response) => {
                    response.headers_mut().insert(
                        HeaderName::from_static("x-accel-buffering"),
                        HeaderValue::from_static("no"),
                    );
                    response
                }
                Err((status, error)) => refuse(status, &id, error),
            };
        }
        "resources/list"
        | "resources/read"
        | "resources/templates/list"
        | "prompts/list"
        | "prompts/get" => methods::dispatch(&call, &method, params.as_ref()).await,
        "tools/call" => tools_call(&call, headers, &envelope, param_map).await,
        "tasks/get" | "tasks/update" | "tasks/cancel" => {
            task_method(&call, &envelope, &method, param_map)
        }
        _ if faults.has(Fault::ModernUnknownMethod200) => Err(RpcError::new(
            METHOD_NOT_FOUND,
            format!("Method not found: {method}"),
        )),
        _ => {
            return refuse(
                StatusCode::NOT_FOUND,
                &id,
                RpcError::new(METHOD_NOT_FOUND, format!("Method not found: {method}")),
            )
        }
    };
    let outcome = outcome.map(|result| decorate(state, endpoint, &method, param_map, result));
    let outcome = outcome.map_err(|mut e| {
        if e.code == RESOURCE_NOT_FOUND && !faults.has(Fault::ModernRetiredErrorCode) {
            // 2026-07-28 retired -32002: a missing resource is invalid params.
            e.code = INVALID_PARAMS;
        }
        e
    });
    // Refusals the era defines get their 400; other errors are ordinary JSON-RPC answers.
    if let Err(e) = &outcome {
        if [MISSING_REQUIRED_CLIENT_CAPABILITY, HEADER_MISMATCH].contains(&e.code) {
            return bad(e.clone());
        }
    }
    let mut response = respond(state, accept, MODERN_VERSION, id, outcome, None);
    let headers = response.headers_mut();
    if headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("text/event-stream"))
    {
        headers.insert(
            HeaderName::from_static("x-accel-buffering"),
            HeaderValue::from_static("no"),
        );
    }
    if faults.has(Fault::ModernSessionMinted) {
        if let Ok(v) = HeaderValue::from_str(&random_id()) {
            headers.insert(HeaderName::from_static(SESSION_HEADER), v);
        }
    }
    response
}

/// `server/discover`: the versions, the capabilities (with the extensions) and the instructions.
fn discover(state: &AppState, endpoint: &Endpoint, legacy_too: bool) -> Value {
    // The same capabilities and instructions `initialize` announces, in the stateless shape.
    let init = methods::initialize_result(state, endpoint, MODERN_VERSION);
    let mut capabilities = init["capabilities"].clone();
    if let Some(c) = capabilities.as_object_mut() {
        c.remove("tasks");
        c.insert(
            "extensions".into(),
            json!({ TASKS_EXTENSION: {}, UI_EXTENSION: {} }),
        );
    }
    let mut result = json!({
        "supportedVersions": all_versions(legacy_too),
        "capabilities": capabilities,
    });
    if let Some(instructions) = init
        .get("instructions")
        .filter(|_| !state.faults().has(Fault::ModernInstructionsMissing))
    {
        result["instructions"] = instructions.clone();
    }
    result
}

/// `modern-tools-differ`: the stateless listing drops the last tool and the first tool's annotations.
fn differ_from_legacy(result: &mut Value) {
    if let Some(tools) = result["tools"].as_array_mut() {
        if tools.len() > 1 {
            tools.pop();
        }
        if let Some(first) = tools.first_mut().and_then(Value::as_object_mut) {
            first.remove("annotations");
        }
    }
}

/// `resultType`, the caching hints and `serverInfo` on a result.
fn decorate(
    state: &AppState,
    endpoint: &Endpoint,
    method: &str,
    params: &Map<String, Value>,
    mut result: Value,
) -> Value {
    let faults = state.faults();
    let Some(obj) = result.as_object_mut() else {
        return result;
    };
    if faults.has(Fault::ModernResultTypeMissing) {
        obj.remove("resultType");
    } else {
        obj.entry("resultType").or_insert_with(|| json!("complete"));
    }
    if CACHEABLE.contains(&method)
        && obj.get("resultType") != Some(&json!("input_required"))
        && !faults.has(Fault::ModernCacheHintsMissing)
    {
        let public = state
            .read()
            .project(&endpoint.org, &endpoint.project)
            .is_some_and(|p| p.visibility == Visibility::Public)
            && endpoint.env == Environment::Production;
        // A later page in the other scope: the bug `modern-cache-scope-varies` plants.
        let later_page = params.get("cursor").is_some_and(|c| !c.is_null());
        let public = public ^ (later_page && faults.has(Fault::ModernCacheScopeVaries));
        obj.insert(
            "cacheScope".into(),
            json!(if public { "public" } else { "private" }),
        );
        // The working copy changes with every save: never fresh. Production changes on publish.
        let ttl = match endpoint.env {
            Environment::Draft => 0,
            Environment::Production => state.config.settings.cache_ttl_ms,
        };
        obj.insert("ttlMs".into(), json!(ttl));
    }
    let meta = obj.entry("_meta").or_insert_with(|| json!({}));
    if let Some(meta) = meta.as_object_mut() {
        meta.insert(
            META_SERVER_INFO.into(),
            json!({
                "name": format!("{}/{}", endpoint.org, endpoint.project),
                "version": env!("CARGO_PKG_VERSION"),
            }),
        );
    }
    result
}
