//! Errors of the MCP surface. [`RpcError`] is a JSON-RPC error object inside a 200 response; [`HttpError`]
//! is a transport-level refusal with its exact status, headers and a JSON-RPC error body with `id: null`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL_ERROR: i64 = -32603;
pub const RESOURCE_NOT_FOUND: i64 = -32002;
/// Implementation-defined transport errors (as the official TypeScript SDK uses them).
pub const TRANSPORT_ERROR: i64 = -32000;
pub const SESSION_NOT_FOUND: i64 = -32001;
/// MCP 2026-07-28: a header does not repeat the body (or is missing), with 400.
pub const HEADER_MISMATCH: i64 = -32020;
/// MCP 2026-07-28: the request needs a client capability it did not declare, with 400.
pub const MISSING_REQUIRED_CLIENT_CAPABILITY: i64 = -32021;
/// MCP 2026-07-28: the `_meta` protocol version is not one the server speaks, with 400.
pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

/// A JSON-RPC error object.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
            data: None,
        }
    }

    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    pub fn invalid_params(message: impl Into<String>) -> Self {
        RpcError::new(INVALID_PARAMS, message)
    }

    pub fn to_json(&self) -> Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(data) = &self.data {
            error["data"] = data.clone();
        }
        error
    }
}

/// A refusal before (or instead of) JSON-RPC processing.
#[derive(Debug)]
pub struct HttpError {
    pub status: StatusCode,
    pub error: RpcError,
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl HttpError {
    pub fn new(status: StatusCode, code: i64, message: impl Into<String>) -> Self {
        HttpError {
            status,
            error: RpcError::new(code, message),
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: header::HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.push((name, v));
        }
        self
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let body = json!({ "jsonrpc": "2.0", "error": self.error.to_json(), "id": null });
        let mut response = (self.status, axum::Json(body)).into_response();
        for (name, value) in self.headers {
            response.headers_mut().append(name, value);
        }
        response
    }
}
