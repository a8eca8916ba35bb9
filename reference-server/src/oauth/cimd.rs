//! Client ID Metadata Documents (MCP 2025-11-25 §7.4, draft-ietf-oauth-client-id-metadata-document):
//! a `client_id` that is an https URL is fetched, validated and cached. SSRF guards: https only (loopback
//! http only behind the `allow_loopback_cimd` test switch), no private, link-local or loopback
//! addresses, the resolved address pinned for the connection, no redirects, a size cap and a timeout.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, SystemTime};

use serde_json::Value;
use url::Url;

use crate::domain::lock::lock;
use crate::domain::oauth::{ClientKind, OAuthClient};
use crate::fixture::TokenEndpointAuth;
use crate::oauth::params::valid_redirect_uri;
use crate::state::AppState;

const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
const DEFAULT_CACHE: Duration = Duration::from_secs(300);
const MAX_CACHE: Duration = Duration::from_secs(3600);

/// Whether a `client_id` has the shape of a metadata document URL.
pub fn is_metadata_url(client_id: &str) -> bool {
    client_id.starts_with("https://") || client_id.starts_with("http://")
}

fn forbidden_address(ip: IpAddr, allow_loopback: bool) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            (v4.is_loopback() && !allow_loopback)
                || v4.octets()[0] == 0 // 0.0.0.0/8
                || v4.octets()[0] >= 240 // 240.0.0.0/4 reserved
                || (v4.octets()[0] == 198 && (v4.octets()[1] & 0xfe) == 18) // 198.18/15 benchmarking
                || (v4.octets()[0..3] == [192, 0, 0]) // 192.0.0.0/24 protocol assignments
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64 // 100.64/10 carrier-grade NAT
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden_address(IpAddr::V4(v4), allow_loopback);
            }
            (v6.is_loopback() && !allow_loopback)
                || v6.is_unspecified()
                || v6.is_multicast()
                || (v6.segments()[0] & 0xfe00) == 0xfc00 // fc00::/7 unique local
                || (v6.segments()[0] & 0xffc0) == 0xfe80 // fe80::/10 link local
                || (v6.segments()[0] & 0xffc0) == 0xfec0 // fec0::/10 site local
                || v6.segments()[0] == 0x2002 // 6to4 embeds an IPv4 address
                || v6.segments()[0..6] == [0x64, 0xff9b, 0, 0, 0, 0] // NAT64
                || v6.segments()[0..6] == [0, 0, 0, 0, 0, 0] // IPv4-compatible
        }
    }
}

/// The client a metadata document describes: from the cache while fresh, else fetched now.
pub async fn resolve(state: &AppState, client_id: &str) -> Result<OAuthClient, String> {
    if let Some(client) = lock(&state.oauth).client(client_id) {
        return Ok(client);
    }
    let (client, lifetime) = fetch(state, client_id).await?;
    let until = SystemTime::now() + lifetime;
    let mut data = lock(&state.oauth);
    data.sweep();
    data.metadata_documents
        .insert(client_id.to_owned(), (client.clone(), until));
    Ok(client)
}

async fn fetch(state: &AppState, client_id: &str) -> Result<(OAuthClient, Duration), String> {
    let url =
        Url::parse(client_id).map_err(|e| format!("the client_id is not a valid URL: {e}"))?;
    let allow_loopback = state.config.allow_loopback_cimd;
    let host = url.host_str().unwrap_or_default().to_owned();
    let loopback_host = matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]" | "::1");
    match url.scheme() {
        "https" => {}
        "http" if allow_loopback && loopback_host => {}
        _ => return Err("a client metadata document URL must use https".into()),
    }
    if url.path() == "/" || url.path().is_empty() {
        return Err("a client metadata document URL must have a path".into());
    }
    if url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err(
            "a client metadata document URL must not carry a fragment or credentials".into(),
        );
    }
    let port = url.port_or_known_default().unwrap_or(443);
    let lookup_host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let addrs: Vec<SocketAddr> = tokio::time::timeout(
        FETCH_TIMEOUT,
        tokio::net::lookup_host((lookup_host.as_str(), port)),
    )
    .await
    .map_err(|_| format!("resolving {host} timed out"))?
    .map_err(|e| format!("cannot resolve {host}: {e}"))?
    .collect();
    let Some(addr) = addrs.first().copied() else {
        return Err(format!("{host} has no address"));
    };
    if let Some(bad) = addrs
        .iter()
        .find(|a| forbidden_address(a.ip(), allow_loopback))
    {
        return Err(format!(
            "refusing to fetch client metadata from {host}: it resolves to a private or reserved address ({})",
            bad.ip()
        ));
    }
    // Pin the checked address so a second DNS answer cannot redirect the request (DNS rebinding).
    let http = reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        // A proxy from the environment would bypass the address checks and the pinning.
        .no_proxy()
        .resolve(&lookup_host, addr)
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
    let mut response = http
        .get(url.clone())
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| format!("fetching the client metadata document failed: {e}"))?;
    if !response.status().is_success() {
        return Err(format!(
            "the client metadata document answered HTTP {}",
            response.status()
        ));
    }
    let lifetime = cache_lifetime(
        response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
    );
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("reading the client metadata document failed: {e}"))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_DOCUMENT_BYTES {
            return Err(format!(
                "the client metadata document is larger than {MAX_DOCUMENT_BYTES} bytes"
            ));
        }
    }
    let document: Value = serde_json::from_slice(&body)
        .map_err(|e| format!("the client metadata document is not JSON: {e}"))?;
    Ok((validate(client_id, &document)?, lifetime))
}

fn cache_lifetime(cache_control: Option<&str>) -> Duration {
    let Some(value) = cache_control else {
        return DEFAULT_CACHE;
    };
    if value.contains("no-store") || value.contains("no-cache") {
        return Duration::ZERO;
    }
    value
        .split(',')
        .filter_map(|d| d.trim().strip_prefix("max-age="))
        .find_map(|s| s.parse::<u64>().ok())
        .map(|s| Duration::from_secs(s).min(MAX_CACHE))
        .unwrap_or(DEFAULT_CACHE)
}

/// Checks a fetched document (MCP §7.4: `client_id` equals the URL, `redirect_uris` present and valid).
pub fn validate(client_id: &str, document: &Value) -> Result<OAuthClient, String> {
    let obj = document
        .as_object()
        .ok_or("the client metadata document must be a JSON object")?;
    if obj.get("client_id").and_then(Value::as_str) != Some(client_id) {
        return Err(format!(
            "the client metadata document's client_id must equal its URL {client_id}"
        ));
    }
    let redirect_uris: Vec<String> = obj
        .get("redirect_uris")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    if redirect_uris.is_empty() {
        return Err("the client metadata document needs redirect_uris".into());
    }
    if let Some(bad) = redirect_uris.iter().find(|u| !valid_redirect_uri(u)) {
        return Err(format!(
            "redirect URI {bad} must be https or a loopback http URL without a fragment"
        ));
    }
    let method = match obj.get("token_endpoint_auth_method").and_then(Value::as_str) {
        None | Some("none") => TokenEndpointAuth::None,
        Some(other) => {
            return Err(format!(
                "token_endpoint_auth_method {other:?} is not supported for metadata-document clients (use none)"
            ))
        }
    };
    let client_name = obj
        .get("client_name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
        .ok_or("the client metadata document needs a client_name")?
        .to_owned();
    Ok(OAuthClient {
        client_id: client_id.to_owned(),
        client_secret: None,
        client_name,
        redirect_uris,
        token_endpoint_auth_method: method,
        scope: obj.get("scope").and_then(Value::as_str).map(String::from),
        kind: ClientKind::MetadataDocument,
        grant_types: obj
            .get("grant_types")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_else(|| vec!["authorization_code".into()]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn private_and_reserved_addresses_are_refused() {
        for ip in [
            "10.0.0.1",
            "172.16.3.4",
            "192.168.1.1",
            "169.254.169.254",
            "127.0.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "100.64.0.1",
            "0.0.0.0",
        ] {
            assert!(forbidden_address(ip.parse().unwrap(), false), "{ip}");
        }
        assert!(!forbidden_address("127.0.0.1".parse().unwrap(), true));
        assert!(!forbidden_address("93.184.216.34".parse().unwrap(), false));
    }

    #[test]
    fn a_document_must_name_itself_and_list_redirect_uris() {
        let url = "https://client.example/meta.json";
        assert!(validate(
            url,
            &json!({"client_id": "https://other.example/x", "redirect_uris": ["https://a/cb"]})
        )
        .is_err());
        assert!(validate(url, &json!({"client_id": url})).is_err());
        assert!(validate(
            url,
            &json!({"client_id": url, "redirect_uris": ["javascript:alert(1)"]})
        )
        .is_err());
        let client = validate(url, &json!({"client_id": url, "client_name": "X", "redirect_uris": ["https://a.example/cb"]})).unwrap();
        assert_eq!(client.client_name, "X");
    }

    #[test]
    fn cache_lifetime_follows_cache_control() {
        assert_eq!(
            cache_lifetime(Some("public, max-age=60")),
            Duration::from_secs(60)
        );
        assert_eq!(cache_lifetime(Some("no-store")), Duration::ZERO);
        assert_eq!(cache_lifetime(Some("max-age=999999")), MAX_CACHE);
        assert_eq!(cache_lifetime(None), DEFAULT_CACHE);
    }
}
