//! The DNS-rebinding guard and CORS of the MCP endpoints (MCP §1.7): which `Host` and `Origin` values
//! are served, the preflight answer, and the CORS headers added to every answer to an allowed Origin.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::fault::Fault;
use crate::mcp::error::{HttpError, TRANSPORT_ERROR};
use crate::state::AppState;

/// The answer to a CORS preflight (`OPTIONS`).
pub(crate) fn preflight() -> Response {
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

/// Lets a browser page at `origin` read the answer, and the MCP headers in it.
pub(crate) fn add_cors_headers(headers: &mut HeaderMap, origin: &str) {
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
pub(crate) fn check_host_and_origin(
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
