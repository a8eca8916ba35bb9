//! The host's OAuth client, in the order MCP 2025-11-25 §7 prescribes: protected-resource metadata (the
//! challenge's `resource_metadata`, else path-inserted, else root; a PRM whose `resource` does not cover
//! the server is refused), authorization-server metadata (RFC 8414 then OpenID paths, then Metabind's
//! project-path form), refusal without S256, scope selection, registration (pre-registered, Client ID
//! Metadata Document, or DCR), PKCE + `state` + `resource`, the RFC 9207 `iss` check, and token
//! exchange/refresh through the `oauth2` crate over the recording [`Wire`].

use std::collections::BTreeSet;

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RefreshToken, Scope, TokenResponse, TokenUrl,
};
use serde_json::{json, Value};
use url::Url;

use crate::wire::{self, Request, Wire};

/// Which OAuth step failed, and why.
#[derive(Debug, thiserror::Error)]
#[error("oauth {step}: {message}")]
pub struct Error {
    pub step: &'static str,
    pub message: String,
}

fn fail(step: &'static str, message: impl Into<String>) -> Error {
    Error {
        step,
        message: message.into(),
    }
}

impl From<wire::Error> for Error {
    fn from(e: wire::Error) -> Self {
        fail("network", e.to_string())
    }
}

/// A `WWW-Authenticate: Bearer …` challenge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Challenge {
    pub resource_metadata: Option<String>,
    pub scope: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

impl Challenge {
    /// Parses the auth-params of a Bearer challenge (RFC 6750 §3); `None` for another scheme.
    pub fn parse(header: &str) -> Option<Challenge> {
        let rest = header
            .trim()
            .strip_prefix("Bearer")
            .or_else(|| header.trim().strip_prefix("bearer"))?;
        let mut challenge = Challenge::default();
        let mut chars = rest.chars().peekable();
        loop {
            while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
                chars.next();
            }
            let name: String = std::iter::from_fn(|| {
                chars.next_if(|c| *c != '=' && *c != ',' && !c.is_whitespace())
            })
            .collect();
            if name.is_empty() {
                break;
            }
            if chars.next_if_eq(&'=').is_none() {
                continue;
            }
            let value: String = if chars.next_if_eq(&'"').is_some() {
                let mut v = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                v.push(n);
                            }
                        }
                        '"' => break,
                        c => v.push(c),
                    }
                }
                v
            } else {
                std::iter::from_fn(|| chars.next_if(|c| *c != ','))
                    .collect::<String>()
                    .trim()
                    .to_owned()
            };
            match name.to_ascii_lowercase().as_str() {
                "resource_metadata" => challenge.resource_metadata = Some(value),
                "scope" => challenge.scope = Some(value),
                "error" => challenge.error = Some(value),
                "error_description" => challenge.error_description = Some(value),
                _ => {}
            }
        }
        Some(challenge)
    }
}

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
    fn endpoint(&self, key: &str) -> Option<&str> {
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
        .trim_end_matches('/')
        .to_owned();
    let issuer_url =
        Url::parse(&issuer).map_err(|e| fail("discovery", format!("bad issuer {issuer}: {e}")))?;
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
    for url in metadata_urls {
        if let Some(metadata) = get_json(wire, &url).await? {
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
        format!("no authorization server metadata for issuer {issuer}"),
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

/// How a host prefers to identify itself to the authorization server.
#[derive(Debug, Clone, Default)]
pub struct RegistrationPlan {
    pub pre_registered: Option<ClientCredentials>,
    /// The host's Client ID Metadata Document URL, used when the AS supports CIMD.
    pub metadata_document_url: Option<String>,
    pub client_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: Option<String>,
    /// `none`, `client_secret_basic` or `client_secret_post`.
    pub auth_method: String,
}

/// Registration per MCP §7.4's priority: pre-registered, then CIMD, then DCR.
pub async fn register(
    wire: &Wire,
    discovery: &Discovery,
    plan: &RegistrationPlan,
    redirect_uri: &str,
) -> Result<ClientCredentials, Error> {
    let supported: Vec<String> = discovery
        .metadata
        .get("token_endpoint_auth_methods_supported")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_else(|| vec!["client_secret_basic".into()]);
    if let Some(pre) = &plan.pre_registered {
        let mut creds = pre.clone();
        if creds.client_secret.is_some() && creds.auth_method == "none" {
            creds.auth_method = if supported.iter().any(|m| m == "client_secret_basic") {
                "client_secret_basic".into()
            } else {
                "client_secret_post".into()
            };
        }
        return Ok(creds);
    }
    let cimd = discovery
        .metadata
        .get("client_id_metadata_document_supported")
        == Some(&json!(true));
    if let (true, Some(url)) = (cimd, &plan.metadata_document_url) {
        return Ok(ClientCredentials {
            client_id: url.clone(),
            client_secret: None,
            auth_method: "none".into(),
        });
    }
    let endpoint = discovery
        .endpoint("registration_endpoint")
        .ok_or_else(|| fail("registration", "the authorization server offers no registration endpoint, CIMD or pre-registered client"))?;
    let method = if supported.iter().any(|m| m == "none") {
        "none"
    } else if supported.iter().any(|m| m == "client_secret_basic") {
        "client_secret_basic"
    } else {
        "client_secret_post"
    };
    let body = json!({
        "client_name": plan.client_name,
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": method,
    });
    let received = wire
        .send(
            Request::post(endpoint, "application/json", body.to_string().into_bytes())
                .header("accept", "application/json"),
        )
        .await?;
    let reply: Value = serde_json::from_slice(&received.body).unwrap_or(Value::Null);
    if !(200..300).contains(&received.exchange.status) {
        return Err(fail(
            "registration",
            format!("{endpoint} answered {}: {reply}", received.exchange.status),
        ));
    }
    let client_id = reply
        .get("client_id")
        .and_then(Value::as_str)
        .ok_or_else(|| fail("registration", format!("{endpoint} returned no client_id")))?;
    let client_secret = reply
        .get("client_secret")
        .and_then(Value::as_str)
        .map(String::from);
    let auth_method = reply
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
        .map(String::from)
        .unwrap_or_else(|| {
            if client_secret.is_some() {
                "client_secret_basic".into()
            } else {
                "none".into()
            }
        });
    Ok(ClientCredentials {
        client_id: client_id.to_owned(),
        client_secret,
        auth_method,
    })
}

/// One authorization attempt: the URL to open and what the callback must match.
#[derive(Debug)]
pub struct AuthorizationRequest {
    pub url: String,
    pub redirect_uri: String,
    pub state: String,
    pub verifier: PkceCodeVerifier,
    pub scope: Option<String>,
}

/// The `oauth2` client with the authorization and token endpoints set.
type OAuthClient = oauth2::Client<
    oauth2::basic::BasicErrorResponse,
    oauth2::basic::BasicTokenResponse,
    oauth2::basic::BasicTokenIntrospectionResponse,
    oauth2::StandardRevocableToken,
    oauth2::basic::BasicRevocationErrorResponse,
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

fn oauth_client(
    discovery: &Discovery,
    creds: &ClientCredentials,
    redirect_uri: &str,
) -> Result<OAuthClient, Error> {
    let auth = AuthUrl::new(
        discovery
            .endpoint("authorization_endpoint")
            .unwrap_or_default()
            .to_owned(),
    )
    .map_err(|e| fail("authorization", e.to_string()))?;
    let token = TokenUrl::new(
        discovery
            .endpoint("token_endpoint")
            .unwrap_or_default()
            .to_owned(),
    )
    .map_err(|e| fail("token", e.to_string()))?;
    let redirect = RedirectUrl::new(redirect_uri.to_owned())
        .map_err(|e| fail("authorization", e.to_string()))?;
    let mut client = BasicClient::new(ClientId::new(creds.client_id.clone()))
        .set_auth_uri(auth)
        .set_token_uri(token)
        .set_redirect_uri(redirect)
        // Public clients send client_id in the body; Basic only when the client has a secret for it.
        .set_auth_type(if creds.auth_method == "client_secret_basic" {
            AuthType::BasicAuth
        } else {
            AuthType::RequestBody
        });
    if let Some(secret) = &creds.client_secret {
        if creds.auth_method != "none" {
            client = client.set_client_secret(ClientSecret::new(secret.clone()));
        }
    }
    Ok(client)
}

pub fn authorization_request(
    discovery: &Discovery,
    creds: &ClientCredentials,
    redirect_uri: &str,
    scope: Option<String>,
) -> Result<AuthorizationRequest, Error> {
    let client = oauth_client(discovery, creds, redirect_uri)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut builder = client
        .authorize_url(CsrfToken::new_random)
        .set_pkce_challenge(challenge)
        .add_extra_param("resource", discovery.resource.clone());
    if let Some(s) = &scope {
        builder = builder.add_scopes(s.split_whitespace().map(|s| Scope::new(s.to_owned())));
    }
    let (url, state) = builder.url();
    Ok(AuthorizationRequest {
        url: url.to_string(),
        redirect_uri: redirect_uri.to_owned(),
        state: state.secret().clone(),
        verifier,
        scope,
    })
}

/// Checks the callback (RFC 6749 §4.1.2, RFC 9207) and returns the code.
pub fn verify_callback(
    request: &AuthorizationRequest,
    discovery: &Discovery,
    callback: &str,
) -> Result<String, Error> {
    let url = Url::parse(callback)
        .map_err(|e| fail("callback", format!("unreadable redirect {callback}: {e}")))?;
    let q = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let issuer_advertised = discovery
        .metadata
        .get("authorization_response_iss_parameter_supported")
        == Some(&json!(true));
    match q("iss") {
        Some(iss) if iss != discovery.issuer && iss.trim_end_matches('/') != discovery.issuer => {
            return Err(fail(
                "callback",
                format!(
                    "iss {iss} is not the issuer {} (RFC 9207): possible mix-up attack",
                    discovery.issuer
                ),
            ))
        }
        None if issuer_advertised => {
            return Err(fail(
                "callback",
                "the authorization server advertises RFC 9207 but the response has no iss",
            ))
        }
        _ => {}
    }
    if let Some(error) = q("error") {
        let description = q("error_description").unwrap_or_default();
        return Err(fail(
            "authorization",
            format!("{error}: {description}")
                .trim_end_matches(": ")
                .to_owned(),
        ));
    }
    if q("state").as_deref() != Some(request.state.as_str()) {
        return Err(fail(
            "callback",
            "state is missing or does not match the request",
        ));
    }
    q("code").ok_or_else(|| fail("callback", "the redirect carries no code"))
}

/// Tokens as a host keeps them.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    pub expires_in: Option<u64>,
}

fn http_closure(
    wire: &Wire,
) -> impl Fn(
    oauth2::HttpRequest,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<oauth2::HttpResponse, wire::Error>> + Send>,
> + '_ {
    move |request: oauth2::HttpRequest| {
        let wire = wire.clone();
        Box::pin(async move {
            let mut out = Request {
                method: reqwest::Method::from_bytes(request.method().as_str().as_bytes())
                    .unwrap_or(reqwest::Method::POST),
                url: request.uri().to_string(),
                headers: Vec::new(),
                body: Some(request.body().clone()),
            };
            for (k, v) in request.headers() {
                out.headers.push((
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                ));
            }
            let received = wire.send(out).await?;
            let mut response = http::Response::builder().status(received.exchange.status);
            for (k, v) in received.headers.iter() {
                response = response.header(k.as_str(), v.as_bytes());
            }
            response
                .body(received.body)
                .map_err(|e| wire::Error::Transport {
                    method: "POST".into(),
                    url: "token endpoint".into(),
                    message: e.to_string(),
                })
        })
    }
}

fn token_error<RE: std::error::Error + 'static>(
    step: &'static str,
    e: oauth2::RequestTokenError<RE, oauth2::basic::BasicErrorResponse>,
) -> Error {
    match e {
        oauth2::RequestTokenError::ServerResponse(r) => fail(
            step,
            format!(
                "{}{}",
                r.error(),
                r.error_description()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            ),
        ),
        other => fail(step, other.to_string()),
    }
}

fn tokens_from(response: &oauth2::basic::BasicTokenResponse) -> Tokens {
    Tokens {
        access_token: response.access_token().secret().clone(),
        refresh_token: response.refresh_token().map(|r| r.secret().clone()),
        scope: response.scopes().map(|s| {
            s.iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        }),
        expires_in: response.expires_in().map(|d| d.as_secs()),
    }
}

pub async fn exchange_code(
    wire: &Wire,
    discovery: &Discovery,
    creds: &ClientCredentials,
    request: AuthorizationRequest,
    code: String,
) -> Result<Tokens, Error> {
    let client = oauth_client(discovery, creds, &request.redirect_uri)?;
    let http = http_closure(wire);
    let response = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(request.verifier)
        .add_extra_param("resource", discovery.resource.clone())
        .request_async(&http)
        .await
        .map_err(|e| token_error("token", e))?;
    Ok(tokens_from(&response))
}

pub async fn refresh(
    wire: &Wire,
    discovery: &Discovery,
    creds: &ClientCredentials,
    redirect_uri: &str,
    refresh_token: &str,
) -> Result<Tokens, Error> {
    let client = oauth_client(discovery, creds, redirect_uri)?;
    let http = http_closure(wire);
    let token = RefreshToken::new(refresh_token.to_owned());
    let response = client
        .exchange_refresh_token(&token)
        .add_extra_param("resource", discovery.resource.clone())
        .request_async(&http)
        .await
        .map_err(|e| token_error("refresh", e))?;
    let mut tokens = tokens_from(&response);
    if tokens.refresh_token.is_none() {
        tokens.refresh_token = Some(refresh_token.to_owned());
    }
    Ok(tokens)
}

/// The union of two space-separated scope sets (step-up keeps what was granted, MCP §7.8).
pub fn scope_union(a: Option<&str>, b: Option<&str>) -> Option<String> {
    let set: BTreeSet<&str> = a
        .into_iter()
        .chain(b)
        .flat_map(str::split_whitespace)
        .collect();
    (!set.is_empty()).then(|| set.into_iter().collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenges_are_parsed_with_quotes_and_commas() {
        let c = Challenge::parse(r#"Bearer resource_metadata="https://x/.well-known/oauth-protected-resource/mcp", scope="a b", error="insufficient_scope", error_description="needs \"b\", really""#).unwrap();
        assert_eq!(
            c.resource_metadata.as_deref(),
            Some("https://x/.well-known/oauth-protected-resource/mcp")
        );
        assert_eq!(c.scope.as_deref(), Some("a b"));
        assert_eq!(c.error.as_deref(), Some("insufficient_scope"));
        assert_eq!(c.error_description.as_deref(), Some("needs \"b\", really"));
        assert_eq!(Challenge::parse("Bearer"), Some(Challenge::default()));
        assert!(Challenge::parse("Basic realm=\"x\"").is_none());
    }

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

    #[test]
    fn scope_union_merges_without_duplicates() {
        assert_eq!(
            scope_union(Some("a b"), Some("b c")).as_deref(),
            Some("a b c")
        );
        assert_eq!(scope_union(None, None), None);
    }
}
