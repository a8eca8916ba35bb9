//! Reading OAuth requests: query and form parameters (a repeated one is an error, RFC 6749 §3.1), the
//! form body of the JSON endpoints, and the redirect URI rule (MCP §7.6).

use std::collections::BTreeSet;

use axum::http::{header, HeaderMap};
use url::Url;

use crate::oauth::error::OAuthError;

/// Redirect URIs must be https, or http on a loopback host; never with a fragment (MCP §7.6).
pub fn valid_redirect_uri(uri: &str) -> bool {
    let Ok(url) = Url::parse(uri) else {
        return false;
    };
    if url.fragment().is_some() {
        return false;
    }
    match url.scheme() {
        "https" => url.host_str().is_some(),
        "http" => matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")),
        _ => false,
    }
}

/// Form or query parameters; a repeated parameter is an error (RFC 6749 §3.1).
pub fn parse_params(raw: &str) -> Result<Vec<(String, String)>, String> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut seen = BTreeSet::new();
    for (k, _) in &pairs {
        if !seen.insert(k.as_str()) {
            return Err(format!("the parameter {k} is repeated"));
        }
    }
    Ok(pairs)
}

/// A parameter's value; an empty value counts as absent.
pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// Form parameters of a browser form post; a malformed body reads as empty.
pub(crate) fn form_params(body: &str) -> Vec<(String, String)> {
    parse_params(body).unwrap_or_default()
}

/// The `application/x-www-form-urlencoded` body of the token and revocation endpoints.
pub(crate) fn form(headers: &HeaderMap, body: &str) -> Result<Vec<(String, String)>, OAuthError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    parse_params(body).map_err(OAuthError::invalid_request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_must_be_https_or_loopback_http() {
        assert!(valid_redirect_uri(
            "https://chatgpt.com/connector_platform_oauth_redirect"
        ));
        assert!(valid_redirect_uri("http://127.0.0.1:4567/cb"));
        assert!(valid_redirect_uri("http://localhost/cb"));
        assert!(!valid_redirect_uri("http://evil.example/cb"));
        assert!(!valid_redirect_uri("javascript:alert(1)"));
        assert!(!valid_redirect_uri("https://a.example/cb#frag"));
        assert!(!valid_redirect_uri("not a url"));
    }

    #[test]
    fn repeated_parameters_are_refused() {
        assert!(parse_params("a=1&b=2").is_ok());
        assert!(parse_params("a=1&a=2").is_err());
    }
}
