//! What an MCP request says in its headers: the session and protocol-version headers, and which response
//! bodies (JSON, SSE) it accepts.

use axum::http::{header, HeaderMap};

pub const SESSION_HEADER: &str = "mcp-session-id";
pub const VERSION_HEADER: &str = "mcp-protocol-version";

/// A header's value; one that is not visible ASCII reads as U+FFFD (so it never matches).
pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().unwrap_or("\u{fffd}"))
}

/// Which response bodies the client accepts.
pub(crate) struct Accepts {
    pub(crate) json: bool,
    pub(crate) sse: bool,
}

/// Reads the `Accept` headers (all of them, case-insensitively; `*/*` and `type/*` count).
pub(crate) fn accepts(headers: &HeaderMap) -> Accepts {
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
