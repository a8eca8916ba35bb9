//! Further authorization rules: Metabind's own scope set, refresh tokens for hosts that pick scopes
//! from the challenge, concurrent refreshes, membership changes, public projects and token requests.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

const STOREFRONT: &str = "/acme/storefront";

/// spec/metabind.md §2.3: Metabind's own clients ask for exactly this set, read:packages included.
#[tokio::test]
async fn metabinds_own_scope_set_is_accepted() {
    let t = start().await;
    let all = "read:types read:packages read:assets execute:mcp execute:mcp-draft offline_access";
    let reply = t
        .http
        .post(t.url("/oauth/register"))
        .json(&json!({"client_name": "Metabind Preview", "redirect_uris": ["https://app.example/cb"], "token_endpoint_auth_method": "none", "scope": all}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::CREATED);
    let flow = t.new_flow("/acme/storefront/draft").await;
    let end = t
        .popup(
            &browser(),
            &t.authorize_url(&flow, Some(all)),
            "olivia@acme.test",
            "olivia-pass",
            "authorize",
        )
        .await;
    let (status, tokens) = t.exchange_code(&flow, &end.query("code").unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        tokens["scope"],
        "execute:mcp execute:mcp-draft offline_access read:assets read:packages read:types"
    );
}

/// Hosts choose scopes from the challenge (no offline_access); a client that registered the
/// refresh_token grant still gets refresh tokens, so it is not sent back to the popup every hour.
#[tokio::test]
async fn a_client_registered_for_refresh_gets_refresh_tokens_without_offline_access() {
    let t = start().await;
    let flow = t.new_flow(STOREFRONT).await;
    let end = t
        .popup(
            &browser(),
            &t.authorize_url(&flow, Some("read:types read:assets execute:mcp")),
            "mia@acme.test",
            "mia-pass",
            "authorize",
        )
        .await;
    let (_, tokens) = t.exchange_code(&flow, &end.query("code").unwrap()).await;
    assert!(tokens["refresh_token"].is_string(), "{tokens}");
    let (status, _) = t
        .refresh(&flow, tokens["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
}

/// Two refreshes racing with the same token: at most one wins (reuse detection, RFC 9700 §4.14.2).
#[tokio::test]
async fn concurrent_refreshes_with_one_token_cannot_both_succeed() {
    let t = start().await;
    let (flow, tokens) = t.connect("mia@acme.test", STOREFRONT).await;
    let token = tokens["refresh_token"].as_str().unwrap();
    let (a, b) = tokio::join!(t.refresh(&flow, token), t.refresh(&flow, token));
    let wins = [a.0, b.0].iter().filter(|s| **s == StatusCode::OK).count();
    assert!(wins <= 1, "both refreshes succeeded: {a:?} {b:?}");
}

/// RFC 6749 §4.1.3: a redirect_uri sent at /authorize must be sent again at the token endpoint.
#[tokio::test]
async fn the_token_request_must_repeat_a_redirect_uri_the_authorization_request_sent() {
    let t = start().await;
    let flow = t.new_flow(STOREFRONT).await;
    let end = t
        .popup(
            &browser(),
            &t.authorize_url(&flow, None),
            "mia@acme.test",
            "mia-pass",
            "authorize",
        )
        .await;
    let code = end.query("code").unwrap();
    let (status, body) = t
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &flow.client_id),
            ("code_verifier", &flow.verifier),
            ("resource", &flow.resource),
        ])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
}

/// Removing a member ends their authorizations: "Authorized apps" no longer lists them, and adding
/// the member back does not revive old tokens.
#[tokio::test]
async fn removing_a_member_revokes_their_grants() {
    let t = start().await;
    let (_, tokens) = t.connect("mia@acme.test", STOREFRONT).await;
    let (_, removed) = t
        .admin(
            Method::DELETE,
            "/_admin/orgs/acme/members/mia@acme.test",
            None,
        )
        .await;
    assert_eq!(removed["revoked_grants"], 1);
    t.admin(
        Method::PUT,
        "/_admin/orgs/acme/members/mia@acme.test",
        Some(json!({"role": "MCP User"})),
    )
    .await;
    let reply = t
        .initialize(STOREFRONT, tokens["access_token"].as_str(), "2025-11-25")
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let (_, grants) = t
        .admin(
            Method::GET,
            "/_admin/orgs/acme/authorized-apps?user=mia@acme.test",
            None,
        )
        .await;
    assert!(grants["grants"].as_array().unwrap().is_empty());
}

/// On a public project a member may do at least what anyone may: a Viewer can call tools there.
#[tokio::test]
async fn a_viewer_can_call_tools_of_a_public_project() {
    let t = start().await;
    let (_, tokens) = t.connect("vic@acme.test", "/acme/catalog").await;
    let s = t
        .session("/acme/catalog", tokens["access_token"].as_str())
        .await;
    assert_eq!(s.call("list_categories", json!({})).await["isError"], false);
}

#[tokio::test]
async fn token_lifetimes_are_capped() {
    let t = start().await;
    let (status, _) = t
        .admin(
            Method::PUT,
            "/_admin/oauth/settings",
            Some(json!({"access_token_ttl_secs": u64::MAX})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// MCP §4.2: a tool whose output does not match its outputSchema gets a tool error, not bad data.
#[tokio::test]
async fn output_that_breaks_the_output_schema_is_a_tool_error() {
    let t = start().await;
    let (status, _) = t
        .admin(
            Method::PUT,
            "/_admin/orgs/acme/projects/storefront/draft/tools/stock_level",
            Some(json!({
                "description": "Stock level of a SKU.",
                "input_schema": {"type": "object"},
                "output_schema": {"type": "object", "properties": {"stock": {"type": "integer"}}, "required": ["stock"]},
                "behaviour": {"kind": "template", "text": "Stock: many.", "structured": {"stock": "many"}}
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let s = t
        .session("/acme/storefront/draft", Some(STOREFRONT_CI_KEY))
        .await;
    let result = s.call("stock_level", json!({})).await;
    assert_eq!(result["isError"], true);
    assert!(result["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("outputSchema"));
    let (status, _) = t
        .admin(
            Method::PUT,
            "/_admin/orgs/acme/projects/storefront/draft/tools/bad_output",
            Some(json!({"input_schema": {"type": "object"}, "output_schema": {"type": "array"}, "behaviour": {"kind": "template", "text": "x"}})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
