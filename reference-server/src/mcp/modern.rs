//! The stateless era (MCP 2026-07-28): every request carries its protocol version, client capabilities
//! and client info in `params._meta`; the `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers
//! repeat the body; there is no session; every result says its `resultType`; list and read results carry
//! `ttlMs`/`cacheScope`; long tools become tasks of the tasks extension. The checks run in the order the
//! Python SDK applies them (envelope, headers, version), so a self-inconsistent client is told so first.

use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::domain::endpoint::Endpoint;
use crate::domain::secret::random_id;
use crate::fault::Fault;
use crate::fixture::{Environment, TaskSupport, Visibility};
use crate::mcp::auth::{self, Principal};
use crate::mcp::error::*;
use crate::mcp::headers::{header_str, Accepts, SESSION_HEADER, VERSION_HEADER};
use crate::mcp::listen;
use crate::mcp::methods::{self, Call};
use crate::mcp::respond::respond;
use crate::mcp::session::task_caller;
use crate::mcp::tasks;
use crate::mcp::version::SUPPORTED_VERSIONS;
use crate::state::AppState;

pub const MODERN_VERSION: &str = "2026-07-28";
/// The stateless versions this server speaks.
pub const MODERN_VERSIONS: &[&str] = &[MODERN_VERSION];
pub const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub const META_CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
pub const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";
pub const TASKS_EXTENSION: &str = "io.modelcontextprotocol/tasks";
pub const UI_EXTENSION: &str = "io.modelcontextprotocol/ui";
pub const METHOD_HEADER: &str = "mcp-method";
pub const NAME_HEADER: &str = "mcp-name";
const PARAM_HEADER_PREFIX: &str = "mcp-param-";

/// Methods whose results carry caching hints (server/utilities/caching).
const CACHEABLE: &[&str] = &[
    "server/discover",
    "prompts/list",
    "tools/list",
    "resources/list",
    "resources/templates/list",
    "resources/read",
];

/// Whether a request goes to the stateless era on an endpoint speaking both: it carries the `_meta`
/// protocol version, or a version header that is not one of the handshake era's.
pub(crate) fn selects_modern(headers: &HeaderMap, method: &str, params: Option<&Value>) -> bool {
    // As the Python SDK routes: a version header the handshake era does not know goes to the stateless
    // era (where `initialize` is an unknown method); without one, `initialize` selects the legacy era.
    // A session id says the client opened with `initialize`: its version header is checked there.
    let header_modern = header_str(headers, SESSION_HEADER).is_none()
        && header_str(headers, VERSION_HEADER).is_some_and(|v| !SUPPORTED_VERSIONS.contains(&v));
    let in_meta = params
        .and_then(|p| p.get("_meta"))
        .and_then(|m| m.get(META_PROTOCOL_VERSION))
        .is_some();
    header_modern || (in_meta && method != "initialize")
}

/// Every version the endpoint speaks, stateless ones first.
fn all_versions(legacy_too: bool) -> Vec<&'static str> {
    let mut versions = MODERN_VERSIONS.to_vec();
    if legacy_too {
        versions.extend_from_slice(SUPPORTED_VERSIONS);
    }
    versions
}

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

/// What the request says about itself in `_meta`.
struct Envelope {
    version: String,
    capabilities: Value,
}

impl Envelope {
    fn declares_extension(&self, id: &str) -> bool {
        self.capabilities["extensions"].get(id).is_some()
    }
}

fn envelope(state: &AppState, params: Option<&Value>) -> Result<Envelope, RpcError> {
    let meta = params.and_then(|p| p.get("_meta"));
    let version = meta
        .and_then(|m| m.get(META_PROTOCOL_VERSION))
        .and_then(Value::as_str);
    let capabilities = meta
        .and_then(|m| m.get(META_CLIENT_CAPABILITIES))
        .filter(|c| c.is_object());
    match (version, capabilities) {
        (Some(v), Some(c)) => Ok(Envelope {
            version: v.to_owned(),
            capabilities: c.clone(),
        }),
        _ if state.faults().has(Fault::ModernMetaNotRequired) => Ok(Envelope {
            version: version.unwrap_or(MODERN_VERSION).to_owned(),
            capabilities: capabilities.cloned().unwrap_or_else(|| json!({})),
        }),
        _ => Err(RpcError::invalid_params(format!(
            "Invalid params: a {MODERN_VERSION} request carries params._meta with \
             {META_PROTOCOL_VERSION} (a string) and {META_CLIENT_CAPABILITIES} (an object)"
        ))),
    }
}

/// A header value as the client meant it: `=?base64?…?=` decoded (transports: value encoding).
pub(crate) fn decode_header_value(raw: &str) -> Option<String> {
    match raw
        .strip_prefix("=?base64?")
        .and_then(|r| r.strip_suffix("?="))
    {
        Some(encoded) => base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()
            .and_then(|b| String::from_utf8(b).ok()),
        None => Some(raw.to_owned()),
    }
}

/// The body value `Mcp-Name` repeats, for the methods that require it.
fn named_value<'a>(method: &str, params: &'a Map<String, Value>) -> Option<Option<&'a Value>> {
    match method {
        "tools/call" | "prompts/get" => Some(params.get("name")),
        "resources/read" => Some(params.get("uri")),
        "tasks/get" | "tasks/update" | "tasks/cancel" => Some(params.get("taskId")),
        _ => None,
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn mismatch(why: String) -> RpcError {
    RpcError::new(HEADER_MISMATCH, format!("Header mismatch: {why}"))
}

/// The standard headers against the body: present, single, equal (-32020 otherwise).
fn check_headers(
    headers: &HeaderMap,
    envelope: &Envelope,
    method: &str,
    params: &Map<String, Value>,
) -> Result<(), RpcError> {
    let single = |name: &str| -> Result<Option<&str>, RpcError> {
        let mut values = headers.get_all(name).iter();
        let first = values.next();
        if values.next().is_some() {
            return Err(mismatch(format!("{name} is sent more than once")));
        }
        Ok(first.map(|v| v.to_str().unwrap_or("\u{fffd}")))
    };
    match single(VERSION_HEADER)? {
        None => return Err(mismatch("MCP-Protocol-Version is required".into())),
        Some(v) if v != envelope.version => {
            return Err(mismatch(format!(
                "MCP-Protocol-Version {v:?} differs from _meta {:?}",
                envelope.version
            )))
        }
        Some(_) => {}
    }
    match single(METHOD_HEADER)? {
        None => return Err(mismatch("Mcp-Method is required".into())),
        Some(m) if m != method => {
            return Err(mismatch(format!(
                "Mcp-Method {m:?} differs from the method {method:?}"
            )))
        }
        Some(_) => {}
    }
    if let Some(value) = named_value(method, params) {
        let expected = value.and_then(scalar_text);
        match (single(NAME_HEADER)?, expected) {
            (None, _) => return Err(mismatch(format!("Mcp-Name is required for {method}"))),
            (Some(raw), Some(expected)) => {
                if decode_header_value(raw).as_deref() != Some(expected.as_str()) {
                    return Err(mismatch(format!(
                        "Mcp-Name {raw:?} differs from the body's {expected:?}"
                    )));
                }
            }
            // The body lacks the name: the method itself refuses that with -32602.
            (Some(_), None) => {}
        }
    }
    Ok(())
}

/// `Mcp-Param-{Name}` headers of a tool call against its arguments (properties with `x-mcp-header`).
fn check_param_headers(
    headers: &HeaderMap,
    input_schema: &Value,
    arguments: Option<&Value>,
) -> Result<(), RpcError> {
    let Some(properties) = input_schema["properties"].as_object() else {
        return Ok(());
    };
    for (property, schema) in properties {
        let Some(header_name) = schema.get("x-mcp-header").and_then(Value::as_str) else {
            continue;
        };
        let name = format!("{PARAM_HEADER_PREFIX}{}", header_name.to_ascii_lowercase());
        let sent = header_str(headers, &name).map(decode_header_value);
        let value = arguments
            .and_then(|a| a.get(property))
            .filter(|v| !v.is_null());
        let matches = match (&sent, value) {
            (None, None) => true,
            (Some(Some(text)), Some(Value::Number(n))) => {
                text.parse::<f64>().ok() == n.as_f64() && n.as_f64().is_some()
            }
            (Some(Some(text)), Some(v)) => scalar_text(v).as_deref() == Some(text.as_str()),
            _ => false,
        };
        if !matches {
            return Err(mismatch(format!(
                "Mcp-Param-{header_name} does not match arguments.{property}"
            )));
        }
    }
    Ok(())
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

fn missing_tasks_extension() -> RpcError {
    RpcError::new(
        MISSING_REQUIRED_CLIENT_CAPABILITY,
        format!("Missing required client capability: the {TASKS_EXTENSION} extension"),
    )
    .with_data(json!({ "requiredCapabilities": { "extensions": { TASKS_EXTENSION: {} } } }))
}

/// `tools/call`: a task when the client declared the tasks extension and the tool runs long (its
/// `taskSupport` is optional or required); -32021 when it must be a task and the client cannot poll.
async fn tools_call(
    call: &Call<'_>,
    headers: &HeaderMap,
    envelope: &Envelope,
    params: &Map<String, Value>,
) -> Result<Value, RpcError> {
    let faults = call.state.faults();
    let name = params.get("name").and_then(Value::as_str).unwrap_or("");
    let tool = methods::find_tool(call, name);
    if let Some(tool) = &tool {
        if !faults.has(Fault::ModernHeadersNotChecked) {
            check_param_headers(headers, &tool.input_schema, params.get("arguments"))?;
        }
    }
    let declared = envelope.declares_extension(TASKS_EXTENSION);
    let support = tool.as_ref().map(|t| t.task_support());
    let as_task = match support {
        Some(TaskSupport::Required) if !declared => {
            if faults.has(Fault::ModernMissingCapabilityNotSignalled) {
                false
            } else {
                return Err(missing_tasks_extension());
            }
        }
        Some(TaskSupport::Required | TaskSupport::Optional) => {
            declared || faults.has(Fault::ModernTaskWithoutCapability)
        }
        _ => false,
    };
    let mut legacy_params = params.clone();
    legacy_params.remove("_meta");
    legacy_params.remove("task");
    // Without a task, a tool that requires one gets the legacy refusal (-32601): only reachable with
    // `modern-missing-capability-not-signalled`.
    if as_task {
        legacy_params.insert("task".into(), json!({}));
    }
    let result = methods::dispatch(call, "tools/call", Some(&Value::Object(legacy_params))).await?;
    match result.get("task") {
        Some(task) if as_task => Ok(modern_task(task.clone(), "task")),
        _ => Ok(result),
    }
}

/// A task's legacy JSON in the extension's shape: `ttlMs`, `pollIntervalMs`, flat, with `resultType`.
fn modern_task(mut task: Value, result_type: &str) -> Value {
    if let Some(obj) = task.as_object_mut() {
        if let Some(ttl) = obj.remove("ttl") {
            obj.insert("ttlMs".into(), ttl);
        }
        if let Some(interval) = obj.remove("pollInterval") {
            obj.insert("pollIntervalMs".into(), interval);
        }
        obj.insert("resultType".into(), json!(result_type));
    }
    task
}

/// `tasks/get` (the result inline once terminal), `tasks/update` and `tasks/cancel` (acknowledged).
fn task_method(
    call: &Call<'_>,
    envelope: &Envelope,
    method: &str,
    params: &Map<String, Value>,
) -> Result<Value, RpcError> {
    if !envelope.declares_extension(TASKS_EXTENSION) {
        return Err(missing_tasks_extension());
    }
    let id = params
        .get("taskId")
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::invalid_params("params.taskId must be a string"))?;
    let state = call.state;
    match method {
        "tasks/get" => {
            let (task, outcome) = tasks::get_detailed(state, &call.task_caller, id)?;
            let mut task = modern_task(task, "complete");
            match outcome {
                Some(Ok(result)) if !state.faults().has(Fault::ModernTaskResultNotInline) => {
                    task["result"] = result;
                }
                Some(Err(error)) => task["error"] = error.to_json(),
                _ => {}
            }
            Ok(task)
        }
        "tasks/update" => {
            // No tool of ours asks for input: responses to keys never requested are ignored.
            tasks::get(state, &call.task_caller, id)?;
            Ok(json!({}))
        }
        _ => {
            tasks::cancel_cooperatively(state, &call.task_caller, id)?;
            Ok(json!({}))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_sentinel_values_decode_and_plain_ones_stay() {
        assert_eq!(
            decode_header_value("=?base64?SGVsbG8sIOS4lueVjA==?=").as_deref(),
            Some("Hello, 世界")
        );
        assert_eq!(decode_header_value("search").as_deref(), Some("search"));
        assert_eq!(decode_header_value("=?base64?!!?="), None);
    }

    #[test]
    fn the_meta_version_or_a_new_header_selects_the_stateless_era() {
        let mut headers = HeaderMap::new();
        let meta = json!({ "_meta": { META_PROTOCOL_VERSION: "2026-07-28" } });
        assert!(selects_modern(&headers, "tools/list", Some(&meta)));
        assert!(!selects_modern(&headers, "initialize", Some(&meta)));
        let mut modern_header = HeaderMap::new();
        modern_header.insert(VERSION_HEADER, HeaderValue::from_static("2026-07-28"));
        assert!(selects_modern(&modern_header, "initialize", Some(&meta)));
        assert!(!selects_modern(&headers, "tools/list", None));
        headers.insert(VERSION_HEADER, HeaderValue::from_static("2025-11-25"));
        assert!(!selects_modern(&headers, "tools/list", None));
        headers.insert(VERSION_HEADER, HeaderValue::from_static("2026-07-28"));
        assert!(selects_modern(&headers, "tools/list", None));
    }

    #[test]
    fn param_headers_must_repeat_the_arguments() {
        let schema =
            json!({ "properties": { "region": { "type": "string", "x-mcp-header": "Region" } } });
        let mut headers = HeaderMap::new();
        let args = json!({ "region": "us-west1" });
        assert!(check_param_headers(&headers, &schema, Some(&args)).is_err());
        headers.insert("mcp-param-region", HeaderValue::from_static("us-west1"));
        assert!(check_param_headers(&headers, &schema, Some(&args)).is_ok());
        assert!(check_param_headers(&headers, &schema, Some(&json!({}))).is_err());
    }
}
