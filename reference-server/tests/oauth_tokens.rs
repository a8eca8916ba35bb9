//! OAuth tokens over real HTTP: code exchange and its attacks, the token endpoint's errors, audience and
//! scope at the MCP endpoints, refresh rotation, expiry, and revocation through Authorized apps and
//! membership changes.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

const STOREFRONT: &str = "/acme/storefront";

/// Code exchange attacks: wrong verifier, wrong redirect URI, wrong resource, and a replayed code
/// (which revokes the tokens it produced).
#[tokio::test]
async fn code_exchange_attacks_are_refused_and_a_replayed_code_revokes_the_grant() {
    let t = start().await;
    let flow = t.new_flow(STOREFRONT).await;
    let code = t
        .popup(
            &browser(),
            &t.authorize_url(&flow, None),
            "mia@acme.test",
            "mia-pass",
            "authorize",
        )
        .await
        .query("code")
        .unwrap();
    let mut wrong = flow.clone();
    wrong.verifier = pkce_pair().0;
    assert_eq!(
        t.exchange_code(&wrong, &code).await.1["error"],
        "invalid_grant"
    );
    let (status, body) = t
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://chatgpt.com/other"),
            ("client_id", &flow.client_id),
            ("code_verifier", &flow.verifier),
            ("resource", &flow.resource),
        ])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let mut other_resource = flow.clone();
    other_resource.resource = t.url("/acme/catalog");
    assert_eq!(
        t.exchange_code(&other_resource, &code).await.1["error"],
        "invalid_target"
    );
    let other_client = t.register_public_client(CHATGPT_REDIRECT).await;
    let mut stolen = flow.clone();
    stolen.client_id = other_client;
    assert_eq!(
        t.exchange_code(&stolen, &code).await.1["error"],
        "invalid_grant"
    );

    let (status, tokens) = t.exchange_code(&flow, &code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let (status, replay) = t.exchange_code(&flow, &code).await;
    assert_eq!(
        (status, replay["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let reply = t
        .initialize(STOREFRONT, tokens["access_token"].as_str(), "2025-11-25")
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNAUTHORIZED,
        "the replay revoked the grant"
    );
}

/// Token endpoint input errors are RFC 6749 JSON errors, never cached.
#[tokio::test]
async fn the_token_endpoint_answers_bad_requests_with_oauth_errors() {
    let t = start().await;
    let flow = t.new_flow(STOREFRONT).await;
    let (status, body) = t
        .token_request(&[("grant_type", "password"), ("client_id", &flow.client_id)])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unsupported_grant_type"))
    );
    let (status, body) = t
        .token_request(&[("grant_type", "authorization_code")])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let (status, body) = t
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("client_id", &flow.client_id),
            ("code", "nope"),
        ])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let json_body = t
        .http
        .post(t.url("/oauth/token"))
        .json(&json!({"grant_type": "authorization_code"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_body.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json_body.headers()["cache-control"], "no-store");
}

/// Viewer: connects and lists tools, but calls get 403 insufficient_scope; the role caps the grant.
#[tokio::test]
async fn a_viewer_lists_tools_but_calls_get_insufficient_scope() {
    let t = start().await;
    let (_, tokens) = t.connect("vic@acme.test", STOREFRONT).await;
    assert!(!tokens["scope"].as_str().unwrap().contains("execute:mcp"));
    let s = t.session(STOREFRONT, tokens["access_token"].as_str()).await;
    assert_eq!(s.tool_names().await.len(), 6);
    let reply = s
        .request(
            "tools/call",
            json!({"name": "search_products", "arguments": {"query": "tea"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let challenge = reply.header("www-authenticate").unwrap();
    assert!(
        challenge.contains("error=\"insufficient_scope\"") && challenge.contains("execute:mcp"),
        "{challenge}"
    );
}

/// Tokens are audience-bound: a production token fails on draft and on another project.
#[tokio::test]
async fn a_token_is_refused_on_another_endpoint() {
    let t = start().await;
    let (_, tokens) = t.connect("olivia@acme.test", STOREFRONT).await;
    let token = tokens["access_token"].as_str().unwrap();
    for path in [
        "/acme/storefront/draft",
        "/acme/catalog/draft",
        "/acme/launchpad",
        "/globex/ledger",
    ] {
        let reply = t.initialize(path, Some(token), "2025-11-25").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(reply
            .header("www-authenticate")
            .unwrap()
            .contains("invalid_token"));
    }
    assert_eq!(
        t.initialize("/acme/projects/storefront", Some(token), "2025-11-25")
            .await
            .status,
        StatusCode::OK
    );
}

/// A session id taken from another user does not act as that user.
#[tokio::test]
async fn another_users_session_id_is_not_theirs() {
    let t = start().await;
    let (_, olivia) = t.connect("olivia@acme.test", STOREFRONT).await;
    let (_, mia) = t.connect("mia@acme.test", STOREFRONT).await;
    let s = t.session(STOREFRONT, olivia["access_token"].as_str()).await;
    let auth = format!("Bearer {}", mia["access_token"].as_str().unwrap());
    let reply = t
        .post(
            STOREFRONT,
            &[("mcp-session-id", &s.id), ("authorization", &auth)],
            &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

/// Refresh rotation: the old refresh token is refused afterwards, and its reuse revokes the grant.
#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_grant() {
    let t = start().await;
    let (flow, tokens) = t.connect("mia@acme.test", STOREFRONT).await;
    let first = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (_, second) = t.refresh(&flow, &first).await;
    let (status, body) = t.refresh(&flow, &first).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, _) = t
        .refresh(&flow, second["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the whole grant is gone after reuse"
    );
}

/// An expired access token gets 401 invalid_token; a refresh restores access without the user.
#[tokio::test]
async fn an_expired_access_token_is_refused_and_refresh_restores_access() {
    let t = start().await;
    let (flow, tokens) = t.connect("mia@acme.test", STOREFRONT).await;
    let (status, expired) = t
        .admin(
            Method::POST,
            "/_admin/oauth/expire-access-tokens",
            Some(json!({"user": "mia@acme.test"})),
        )
        .await;
    assert_eq!(
        (status, expired["expired"].as_u64()),
        (StatusCode::OK, Some(1))
    );
    let reply = t
        .initialize(STOREFRONT, tokens["access_token"].as_str(), "2025-11-25")
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(reply
        .header("www-authenticate")
        .unwrap()
        .contains("expired"));
    let (status, refreshed) = t
        .refresh(&flow, tokens["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        t.initialize(STOREFRONT, refreshed["access_token"].as_str(), "2025-11-25")
            .await
            .status,
        StatusCode::OK
    );
    // Short-lived tokens are configurable at run time.
    let (_, settings) = t
        .admin(
            Method::PUT,
            "/_admin/oauth/settings",
            Some(json!({"access_token_ttl_secs": 5})),
        )
        .await;
    assert_eq!(settings["access_token_ttl_secs"], 5);
    let (_, short) = t.connect("olivia@acme.test", STOREFRONT).await;
    assert_eq!(short["expires_in"], 5);
}

/// Authorized apps: grants per organization and per user; revoking one leaves the other working;
/// role reduction and membership removal take effect on the next request, and refresh then fails.
#[tokio::test]
async fn authorized_apps_revocation_and_membership_changes_apply_on_the_next_request() {
    let t = start().await;
    let (_, mia) = t.connect("mia@acme.test", STOREFRONT).await;
    let (dev_flow, dev) = t.connect("dev@acme.test", STOREFRONT).await;
    let (status, all) = t
        .admin(Method::GET, "/_admin/orgs/acme/authorized-apps", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all["grants"].as_array().unwrap().len(), 2);
    let (_, mine) = t
        .admin(
            Method::GET,
            "/_admin/orgs/acme/authorized-apps?user=mia@acme.test",
            None,
        )
        .await;
    let grant = &mine["grants"][0];
    assert_eq!(grant["email"], "mia@acme.test");
    assert_eq!(grant["client_name"], "Test Host");
    assert_eq!(grant["environment"], "production");
    assert!(grant["created_at"].is_string());
    let mia_session = t.session(STOREFRONT, mia["access_token"].as_str()).await;
    let (_, mine) = t
        .admin(
            Method::GET,
            "/_admin/orgs/acme/authorized-apps?user=mia@acme.test",
            None,
        )
        .await;
    assert!(mine["grants"][0]["last_used_at"].is_string());

    let id = grant["id"].as_str().unwrap();
    let (status, _) = t
        .admin(
            Method::DELETE,
            &format!("/_admin/orgs/acme/authorized-apps/{id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        mia_session.request("tools/list", json!({})).await.status,
        StatusCode::UNAUTHORIZED
    );
    let dev_session = t.session(STOREFRONT, dev["access_token"].as_str()).await;
    assert_eq!(
        dev_session.tool_names().await.len(),
        6,
        "the other grant still works"
    );

    t.admin(
        Method::PUT,
        "/_admin/orgs/acme/members/dev@acme.test",
        Some(json!({"role": "Viewer"})),
    )
    .await;
    let reply = dev_session
        .request(
            "tools/call",
            json!({"name": "search_products", "arguments": {"query": "tea"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let (status, body) = t
        .refresh(&dev_flow, dev["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );

    t.admin(
        Method::DELETE,
        "/_admin/orgs/acme/members/dev@acme.test",
        None,
    )
    .await;
    assert_eq!(
        dev_session.request("tools/list", json!({})).await.status,
        StatusCode::UNAUTHORIZED
    );
}
