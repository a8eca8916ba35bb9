//! What the stateless era (MCP 2026-07-28) adds on the wire, client side: the per-request `_meta`, the
//! standard headers (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`, `Mcp-Param-*`) with their value
//! encoding, and how a dual-era client tells the eras apart and remembers the verdict per endpoint.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub const MODERN_PROTOCOL_VERSION: &str = "2026-07-28";
pub const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub const META_CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
pub const META_CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";
pub const TASKS_EXTENSION: &str = "io.modelcontextprotocol/tasks";
pub const HEADER_MISMATCH: i64 = -32020;
pub const MISSING_REQUIRED_CLIENT_CAPABILITY: i64 = -32021;
pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

/// The protocol era a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Era {
    /// The handshake era (2025-11-25 and before): `initialize`, `Mcp-Session-Id`.
    #[default]
    Legacy,
    /// The stateless era (2026-07-28): per-request `_meta`, `server/discover`.
    Modern,
}

impl Era {
    /// How reports name the era.
    pub fn describe(self) -> &'static str {
        match self {
            Era::Legacy => "2025 era (initialize)",
            Era::Modern => "2026-07-28 (stateless)",
        }
    }
}

/// How a client opens a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Opening {
    /// `initialize` only (a 2025 client).
    #[default]
    Legacy,
    /// `server/discover` only (a client of 2026-07-28 alone).
    Modern,
    /// `server/discover` first; `initialize` when the answer is not the stateless era's (a dual-era
    /// client, transports "Earlier revisions").
    ProbeModern,
}

/// The era each endpoint was found to speak, shared by the clients of one host, and probed again
/// when it later fails. The transports suggest caching per origin; one Metabind origin serves
/// projects of both eras, so a per-origin verdict would make a host's era depend on which project it
/// added first: the verdict is kept per endpoint (scheme, host, port and path).
#[derive(Debug, Clone, Default)]
pub struct EraMemory(Arc<Mutex<HashMap<String, Era>>>);

impl EraMemory {
    pub fn get(&self, url: &str) -> Option<Era> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&endpoint(url)).copied()
    }

    pub fn remember(&self, url: &str, era: Era) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(endpoint(url), era);
    }

    pub fn forget(&self, url: &str) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&endpoint(url));
    }
}

/// The endpoint a URL names: origin and path, without query or fragment (the whole string when it
/// does not parse).
fn endpoint(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| format!("{}{}", u.origin().ascii_serialization(), u.path()))
        .unwrap_or_else(|_| url.to_owned())
}

/// `params` with the stateless `_meta` merged in (what the caller put in `_meta` is kept).
pub fn with_meta(params: Value, client_info: &Value, capabilities: &Value) -> Value {
    let mut params = match params {
        Value::Object(map) => map,
        Value::Null => serde_json::Map::new(),
        other => return other,
    };
    let meta = params.entry("_meta").or_insert_with(|| json!({}));
    if let Some(meta) = meta.as_object_mut() {
        meta.entry(META_PROTOCOL_VERSION)
            .or_insert_with(|| json!(MODERN_PROTOCOL_VERSION));
        meta.entry(META_CLIENT_CAPABILITIES)
            .or_insert_with(|| capabilities.clone());
        if !client_info.is_null() {
            meta.entry(META_CLIENT_INFO)
                .or_insert_with(|| client_info.clone());
        }
    }
    Value::Object(params)
}

/// A header value as the transport spells it: plain when it is header-safe ASCII (and does not look
/// like the sentinel), else `=?base64?…?=` of its UTF-8.
pub fn encode_header_value(value: &str) -> String {
    let sentinel_like = value.starts_with("=?base64?") && value.ends_with("?=");
    let plain = value.bytes().all(|b| (0x20..0x7f).contains(&b))
        && !value.starts_with(' ')
        && !value.ends_with(' ')
        && !sentinel_like;
    // An empty value is sent as it is: the header is present and empty.
    if plain {
        value.to_owned()
    } else {
        format!(
            "=?base64?{}?=",
            base64::engine::general_purpose::STANDARD.encode(value.as_bytes())
        )
    }
}

/// The text of a scalar header value (string as is, integer in decimal, boolean), or none.
pub fn header_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        Value::Number(n) => n
            .as_f64()
            .filter(|f| f.fract() == 0.0)
            .map(|f| format!("{}", f as i64)),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The `Mcp-Name` value a method requires: the tool or prompt name, the resource URI, the task id.
pub fn name_for(method: &str, params: &Value) -> Option<String> {
    let field = match method {
        "tools/call" | "prompts/get" => "name",
        "resources/read" => "uri",
        "tasks/get" | "tasks/update" | "tasks/cancel" => "taskId",
        _ => return None,
    };
    params.get(field).and_then(header_text)
}

/// A tool's `x-mcp-header` annotations as (property, header suffix), or why the tool must be dropped
/// from the listing (server/tools: a client on HTTP MUST exclude tools whose annotations are invalid).
pub fn param_headers(input_schema: &Value) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    let Some(properties) = input_schema.get("properties").and_then(Value::as_object) else {
        return Ok(out);
    };
    for (property, schema) in properties {
        let Some(annotation) = schema.get("x-mcp-header") else {
            continue;
        };
        let Some(name) = annotation.as_str() else {
            return Err(format!("{property}: x-mcp-header is not a string"));
        };
        let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if name.is_empty() || !name.chars().all(token) {
            return Err(format!(
                "{property}: x-mcp-header {name:?} is not an HTTP token"
            ));
        }
        let kind = schema.get("type").and_then(Value::as_str).unwrap_or("");
        if !["string", "integer", "boolean"].contains(&kind) {
            return Err(format!(
                "{property}: x-mcp-header on a {kind:?} property (only string, integer or boolean)"
            ));
        }
        if out.iter().any(|(_, h)| h.eq_ignore_ascii_case(name)) {
            return Err(format!("x-mcp-header {name:?} is used twice"));
        }
        out.push((property.clone(), name.to_owned()));
    }
    Ok(out)
}

/// The code of a JSON-RPC error only the stateless era defines (-32020, -32021, -32022), if the reply
/// carries one: a server that answers so speaks 2026-07-28.
pub fn modern_error_code(message: Option<&Value>) -> Option<i64> {
    let code = message?.get("error")?.get("code")?.as_i64()?;
    [
        HEADER_MISMATCH,
        MISSING_REQUIRED_CLIENT_CAPABILITY,
        UNSUPPORTED_PROTOCOL_VERSION,
    ]
    .contains(&code)
    .then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_is_merged_and_kept() {
        let params = with_meta(
            json!({ "name": "a", "_meta": { "progressToken": 1 } }),
            &json!({"name": "c"}),
            &json!({}),
        );
        assert_eq!(params["_meta"][META_PROTOCOL_VERSION], "2026-07-28");
        assert_eq!(params["_meta"]["progressToken"], 1);
        assert_eq!(params["_meta"][META_CLIENT_INFO]["name"], "c");
        assert_eq!(params["_meta"][META_CLIENT_CAPABILITIES], json!({}));
    }

    #[test]
    fn header_values_are_encoded_when_not_plain_ascii() {
        assert_eq!(encode_header_value("search_products"), "search_products");
        assert_eq!(
            encode_header_value("Hello, 世界"),
            "=?base64?SGVsbG8sIOS4lueVjA==?="
        );
        assert_eq!(encode_header_value(" padded"), "=?base64?IHBhZGRlZA==?=");
        assert!(encode_header_value("=?base64?abc?=").starts_with("=?base64?PT9"));
        assert_eq!(header_text(&json!(42)), Some("42".into()));
        assert_eq!(header_text(&json!(true)), Some("true".into()));
        assert_eq!(header_text(&json!({})), None);
    }

    #[test]
    fn invalid_header_annotations_are_reported() {
        let ok = json!({"properties": {"region": {"type": "string", "x-mcp-header": "Region"}}});
        assert_eq!(
            param_headers(&ok).unwrap(),
            vec![("region".into(), "Region".into())]
        );
        for bad in [
            json!({"properties": {"r": {"type": "string", "x-mcp-header": "Re gion"}}}),
            json!({"properties": {"r": {"type": "number", "x-mcp-header": "R"}}}),
            json!({"properties": {"r": {"type": "string", "x-mcp-header": ""}}}),
            json!({"properties": {"a": {"type": "string", "x-mcp-header": "X"}, "b": {"type": "string", "x-mcp-header": "x"}}}),
        ] {
            assert!(param_headers(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_the_new_codes_prove_the_new_era() {
        assert_eq!(
            modern_error_code(Some(&json!({"error": {"code": -32022}}))),
            Some(-32022)
        );
        assert_eq!(
            modern_error_code(Some(&json!({"error": {"code": -32601}}))),
            None
        );
        assert_eq!(modern_error_code(None), None);
    }

    #[test]
    fn the_era_is_remembered_per_endpoint() {
        let memory = EraMemory::default();
        memory.remember("http://127.0.0.1:9/acme/storefront", Era::Modern);
        assert_eq!(
            memory.get("http://127.0.0.1:9/acme/storefront?x=1"),
            Some(Era::Modern)
        );
        assert_eq!(memory.get("http://127.0.0.1:9/acme/helpdesk"), None);
        assert_eq!(memory.get("http://127.0.0.1:10/acme/storefront"), None);
        memory.forget("http://127.0.0.1:9/acme/storefront");
        assert_eq!(memory.get("http://127.0.0.1:9/acme/storefront"), None);
    }
}
