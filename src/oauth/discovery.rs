//! Discovery: protected resource metadata (RFC 9728), then the authorization server's metadata
//! (RFC 8414, OpenID), and the scope to ask for.

use serde_json::Value;
use url::Url;

use super::{fail, Challenge, Error};
use crate::wire::{Request, Wire};

/// What discovery found for one MCP server.
#[derive(Debug, Clone)]
pub struct Discovery {
    pub prm_url: String,
    pub prm: Value,
    /// The PRM's `resource`, sent as RFC 8707 `resource` in both requests.
    pub resource: String,
    pub issuer: String,
    pub metadata_url: String,
    pub metadata: Value,
}

impl Discovery {
    pub(crate) fn endpoint(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).and_then(Value::as_str)
    }

    pub fn scopes_supported(&self) -> Option<Vec<String>> {
        self.prm
            .get("scopes_supported")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
    }
}

async fn get_json(wire: &Wire, url: &str) -> Result<Option<Value>, Error> {
    let received = wire
        .send(Request::get(url).header("accept", "application/json"))
        .await?;
    if !(200..300).contains(&received.exchange.status) {
        return Ok(None);
    }
    Ok(serde_json::from_slice::<Value>(&received.body)
        .ok()
        .filter(Value::is_object))
}

/// RFC 9728 §3.3 as the official SDK applies it: the PRM's resource must be the server URL or a
/// same-origin path prefix of it.
pub fn resource_covers(resource: &str, server_url: &str) -> bool {
    let (Ok(r), Ok(s)) = (Url::parse(resource), Url::parse(server_url)) else {
        return false;
    };
    if r.origin() != s.origin() {
        return false;
    }
    let rp = r.path().trim_end_matches('/');
    let sp = s.path().trim_end_matches('/');
    sp == rp || sp.starts_with(&format!("{rp}/"))
}

/// PRM then AS metadata discovery.
pub async fn discover(
    wire: &Wire,
    server_url: &str,
    challenge: Option<&Challenge>,
) -> Result<Discovery, Error> {
    let server =
        Url::parse(server_url).map_err(|e| fail("discovery", format!("bad server URL: {e}")))?;
    let origin = server.origin().ascii_serialization();
    let path = server.path().trim_end_matches('/');
    let mut candidates = Vec::new();
    if let Some(url) = challenge.and_then(|c| c.resource_metadata.clone()) {
        candidates.push(url);
    } else {
        if !path.is_empty() {
            candidates.push(format!(
                "{origin}/.well-known/oauth-protected-resource{path}"
            ));
        }
        candidates.push(format!("{origin}/.well-known/oauth-protected-resource"));
    }
    let mut found = None;
    for url in &candidates {
        if let Some(prm) = get_json(wire, url).await? {
            found = Some((url.clone(), prm));
            break;
        }
    }
    let (prm_url, prm) = found.ok_or_else(|| {
        fail(
            "discovery",
            format!(
                "no protected resource metadata at {}",
                candidates.join(" or ")
            ),
        )
    })?;
    let resource = prm
        .get("resource")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            fail(
                "discovery",
                format!("the protected resource metadata at {prm_url} has no resource"),
            )
        })?
        .to_owned();
    if !resource_covers(&resource, server_url) {
        return Err(fail(
            "discovery",
            format!("the protected resource metadata names resource {resource}, which is not {server_url} (RFC 9728 §3.3)"),
        ));
    }
    let issuer = prm
        .get("authorization_servers")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(Value::as_str)
        .ok_or_else(|| {
            fail(
                "discovery",
                "the protected resource metadata lists no authorization server",
            )
        })?
        // Kept exactly as written: the metadata's issuer and RFC 9207 `iss` are compared with it
        // as strings (RFC 8414 §3.3, RFC 9207 §2.4), so a trailing slash is part of it.
        .to_owned();
    let issuer_url =
        Url::parse(&issuer).map_err(|e| fail("discovery", format!("bad issuer {issuer}: {e}")))?;
    // The authorization server the metadata names becomes reachable only if it passes the check.
    wire.net.policy.admit(&issuer).map_err(|r| {
        fail(
            "discovery",
            format!("the protected resource metadata names an authorization server the harness will not reach: {r}"),
        )
    })?;
    let as_origin = issuer_url.origin().ascii_serialization();
    let as_path = issuer_url.path().trim_end_matches('/');
    let mut metadata_urls = if as_path.is_empty() {
        vec![
            format!("{as_origin}/.well-known/oauth-authorization-server"),
            format!("{as_origin}/.well-known/openid-configuration"),
        ]
    } else {
        vec![
            format!("{as_origin}/.well-known/oauth-authorization-server{as_path}"),
            format!("{as_origin}/.well-known/openid-configuration{as_path}"),
            format!("{as_origin}{as_path}/.well-known/openid-configuration"),
        ]
    };
    // Metabind's own clients read the metadata appended to the project path: last resort.
    let project_path = path.strip_suffix("/draft").unwrap_or(path);
    if !project_path.is_empty() {
        metadata_urls.push(format!(
            "{origin}{project_path}/.well-known/oauth-authorization-server"
        ));
    }
    let mut wrong_issuer = None;
    for url in metadata_urls {
        if let Some(metadata) = get_json(wire, &url).await? {
            // RFC 8414 §3.3, MCP 2026-07-28: a document naming another issuer MUST NOT be used (its
            // endpoints may be an attacker's); the next well-known location may still be right.
            let named = metadata.get("issuer").and_then(Value::as_str).unwrap_or("");
            if named != issuer {
                wrong_issuer = Some(format!(
                    "the authorization server metadata at {url} names issuer {named:?}, not {issuer:?} (RFC 8414 §3.3): not used"
                ));
                continue;
            }
            // MCP §7.6: refuse to proceed without S256 PKCE support.
            let s256 = metadata
                .get("code_challenge_methods_supported")
                .and_then(Value::as_array)
                .is_some_and(|m| m.iter().any(|v| v == "S256"));
            if !s256 {
                return Err(fail(
                    "discovery",
                    format!("the authorization server metadata at {url} does not advertise S256 PKCE (code_challenge_methods_supported); refusing to authorize"),
                ));
            }
            for key in ["authorization_endpoint", "token_endpoint"] {
                if metadata.get(key).and_then(Value::as_str).is_none() {
                    return Err(fail(
                        "discovery",
                        format!("the metadata at {url} has no {key}"),
                    ));
                }
            }
            // The endpoints it names are the authorization server's too, under the same check.
            for key in [
                "authorization_endpoint",
                "token_endpoint",
                "registration_endpoint",
                "revocation_endpoint",
            ] {
                if let Some(endpoint) = metadata.get(key).and_then(Value::as_str) {
                    wire.net.policy.admit(endpoint).map_err(|r| {
                        fail(
                            "discovery",
                            format!("the metadata's {key} is not reachable: {r}"),
                        )
                    })?;
                }
            }
            return Ok(Discovery {
                prm_url,
                prm,
                resource,
                issuer,
                metadata_url: url,
                metadata,
            });
        }
    }
    Err(fail(
        "discovery",
        wrong_issuer
            .unwrap_or_else(|| format!("no authorization server metadata for issuer {issuer}")),
    ))
}

/// MCP §7.5: the challenge's scope, else everything the PRM supports, else none.
pub fn select_scope(challenge: Option<&Challenge>, discovery: &Discovery) -> Option<String> {
    if let Some(scope) = challenge
        .and_then(|c| c.scope.clone())
        .filter(|s| !s.trim().is_empty())
    {
        return Some(scope);
    }
    discovery
        .scopes_supported()
        .filter(|s| !s.is_empty())
        .map(|s| s.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resource_covers_its_own_url_and_paths_below_it_only() {
        assert!(resource_covers(
            "http://localhost:3/mcp",
            "http://localhost:3/mcp"
        ));
        assert!(resource_covers(
            "http://localhost:3",
            "http://localhost:3/mcp"
        ));
        assert!(!resource_covers(
            "http://localhost:3/other",
            "http://localhost:3/mcp"
        ));
        assert!(!resource_covers(
            "http://localhost:4/mcp",
            "http://localhost:3/mcp"
        ));
        assert!(!resource_covers(
            "http://localhost:3/mc",
            "http://localhost:3/mcp"
        ));
    }
}

/// Which scopes a host asks for at `/authorize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScopeChoice {
    /// MCP §7.5: the challenge's `scope`, else everything the protected resource metadata lists.
    #[default]
    ChallengeThenPrm,
    /// Everything the protected resource metadata lists, whatever the challenge says.
    PrmScopes,
}
