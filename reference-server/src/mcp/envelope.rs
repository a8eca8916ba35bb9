//! The stateless era's request envelope (MCP 2026-07-28 basic, transports): which era a request
//! selects, what its `_meta` says, and the standard headers that must repeat its body (`MCP-Protocol-
//! Version`, `Mcp-Method`, `Mcp-Name`, `Mcp-Param-*`, with the base64 sentinel decoded first).

use axum::http::HeaderMap;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::fault::Fault;
use crate::mcp::error::*;
use crate::mcp::headers::{header_str, SESSION_HEADER, VERSION_HEADER};
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
pub(crate) fn all_versions(legacy_too: bool) -> Vec<&'static str> {
    let mut versions = MODERN_VERSIONS.to_vec();
    if legacy_too {
        versions.extend_from_slice(SUPPORTED_VERSIONS);
    }
    versions
}

/// What the request says about itself in `_meta`.
pub(crate) struct Envelope {
    pub(crate) version: String,
    pub(crate) capabilities: Value,
}

impl Envelope {
    pub(crate) fn declares_extension(&self, id: &str) -> bool {
        self.capabilities["extensions"].get(id).is_some()
    }
}

pub(crate) fn envelope(state: &AppState, params: Option<&Value>) -> Result<Envelope, RpcError> {
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
pub(crate) fn check_headers(
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
pub(crate) fn check_param_headers(
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

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
