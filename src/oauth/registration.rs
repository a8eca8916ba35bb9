//! Client registration per MCP §7.4: pre-registered, Client ID Metadata Document, or dynamic
//! registration (RFC 7591).

use serde_json::{json, Value};

use super::{fail, Discovery, Error};
use crate::wire::{Request, Wire};

/// How a host prefers to identify itself to the authorization server.
#[derive(Debug, Clone, Default)]
pub struct RegistrationPlan {
    pub pre_registered: Option<ClientCredentials>,
    /// The issuer the pre-registered client belongs to; at another authorization server it is not
    /// used (MCP 2026-07-28: credentials are keyed by issuer, never reused across servers).
    pub pre_registered_issuer: Option<String>,
    /// The host's Client ID Metadata Document URL, used when the AS supports CIMD.
    pub metadata_document_url: Option<String>,
    /// A metadata document is used only when the AS also lists the `none` auth method.
    pub cimd_needs_none: bool,
    pub client_name: String,
    /// The `token_endpoint_auth_method` to ask for at dynamic registration; `None`: the first the
    /// authorization server lists of none, client_secret_basic, client_secret_post.
    pub dcr_method: Option<String>,
    /// Give up when the registration response names another method than was asked for.
    pub refuse_other_method: bool,
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
    let pre_registered = plan.pre_registered.as_ref().filter(|_| {
        plan.pre_registered_issuer
            .as_deref()
            .is_none_or(|issuer| issuer == discovery.issuer)
    });
    if let Some(pre) = pre_registered {
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
        == Some(&json!(true))
        && (!plan.cimd_needs_none || supported.iter().any(|m| m == "none"));
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
    let method = match &plan.dcr_method {
        Some(m) => m.as_str(),
        None if supported.iter().any(|m| m == "none") => "none",
        None if supported.iter().any(|m| m == "client_secret_basic") => "client_secret_basic",
        None => "client_secret_post",
    };
    let body = json!({
        "client_name": plan.client_name,
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": method,
        // MCP 2026-07-28 client-registration: DCR clients MUST say what they are (OIDC defaults to
        // "web", which conflicts with loopback redirects).
        "application_type": application_type(redirect_uri),
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
    if let Some(secret) = &client_secret {
        wire.net.secrets.remember(secret);
    }
    // RFC 7591 §3.2.1: the response holds the metadata the server registered; absent, the method
    // asked for stands.
    let auth_method = reply
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
        .map(String::from)
        .unwrap_or_else(|| method.to_owned());
    if plan.refuse_other_method && auth_method != method {
        return Err(fail(
            "registration",
            format!(
                "asked to register with {method} and {endpoint} registered {auth_method}: this host gives up (it does not support that method)"
            ),
        ));
    }
    Ok(ClientCredentials {
        client_id: client_id.to_owned(),
        client_secret,
        auth_method,
    })
}

/// `native` for loopback and private-scheme redirects (desktop, CLI), `web` for an https redirect.
fn application_type(redirect_uri: &str) -> &'static str {
    match url::Url::parse(redirect_uri) {
        Ok(u)
            if u.scheme() == "https"
                && !matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")) =>
        {
            "web"
        }
        _ => "native",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_are_native_and_https_ones_web() {
        assert_eq!(application_type("http://127.0.0.1:8976/callback"), "native");
        assert_eq!(application_type("http://localhost/cb"), "native");
        assert_eq!(
            application_type("https://claude.ai/api/mcp/auth_callback"),
            "web"
        );
        assert_eq!(application_type("com.example.app:/cb"), "native");
    }
}
