//! The authorization code flow through the `oauth2` crate over the recording wire: the request (PKCE,
//! `state`, `resource`), the callback's checks (RFC 6749 §4.1.2, RFC 9207 `iss`), code exchange and
//! refresh.

use std::collections::BTreeSet;

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RefreshToken, Scope, TokenResponse, TokenUrl,
};
use serde_json::json;
use url::Url;

use super::{fail, ClientCredentials, Discovery, Error};
use crate::wire::{self, Request, Wire};

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
    prompt: Option<&str>,
) -> Result<AuthorizationRequest, Error> {
    let client = oauth_client(discovery, creds, redirect_uri)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut builder = client
        .authorize_url(CsrfToken::new_random)
        .set_pkce_challenge(challenge)
        .add_extra_param("resource", discovery.resource.clone());
    if let Some(p) = prompt {
        builder = builder.add_extra_param("prompt", p.to_owned());
    }
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
        // RFC 9207 §2.4: simple string comparison, no normalization (a trailing slash is another
        // issuer); a present iss is compared even when the server does not advertise it.
        Some(iss) if iss != discovery.issuer => {
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
                    connect: false,
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

/// The tokens of a response, remembered as the run's secrets.
fn tokens_from(wire: &Wire, response: &oauth2::basic::BasicTokenResponse) -> Tokens {
    wire.net.secrets.remember(response.access_token().secret());
    if let Some(r) = response.refresh_token() {
        wire.net.secrets.remember(r.secret());
    }
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
    wire.net.secrets.remember(&code);
    wire.net.secrets.remember(request.verifier.secret());
    let response = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(request.verifier)
        .add_extra_param("resource", discovery.resource.clone())
        .request_async(&http)
        .await
        .map_err(|e| token_error("token", e))?;
    Ok(tokens_from(wire, &response))
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
    let mut tokens = tokens_from(wire, &response);
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
    fn scope_union_merges_without_duplicates() {
        assert_eq!(
            scope_union(Some("a b"), Some("b c")).as_deref(),
            Some("a b c")
        );
        assert_eq!(scope_union(None, None), None);
    }
}
