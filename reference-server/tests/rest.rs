//! Metabind's REST API for API keys and the visibility kill switch (spec/metabind.md §2.1, §2.2): every
//! route, every error status, and the effect on the MCP endpoints at the next request.

mod common;

use common::*;
use metabind_reference_server::fixture::{Permission, RestTokenDef, Spanned};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const OWNER_TOKEN: &str = "mbrt_olivia_6f2d8a41c9e07b35";
const DEV_TOKEN: &str = "mbrt_test_dev_0123456789";
const VIEWER_TOKEN: &str = "mbrt_test_viewer_0123456789";
const OUTSIDER_TOKEN: &str = "mbrt_test_gus_0123456789";
const KEYS: &str = "/api/v1/organizations/acme/projects/storefront/api-keys";
const CATALOG_VISIBILITY: &str =
    "/api/v1/organizations/acme/projects/catalog/settings/mcp/visibility";
const V: &str = "2025-11-25";

/// The default world plus REST tokens for a Developer, a Viewer and another organization's Owner.
async fn server() -> TestServer {
    start_with(&[], |o| {
        o.fixture.rest_tokens.extend([
            RestTokenDef::new(DEV_TOKEN, "dev@acme.test"),
            RestTokenDef::new(VIEWER_TOKEN, "vic@acme.test"),
            RestTokenDef::new(OUTSIDER_TOKEN, "gus@globex.test"),
        ]);
    })
    .await
}

/// A REST call: status, JSON body, and the `WWW-Authenticate` header.
async fn rest(
    t: &TestServer,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (StatusCode, Value, Option<String>) {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = Vec::new();
    if let Some(a) = &auth {
        headers.push(("authorization", a.as_str()));
    }
    if body.is_some() {
        headers.push(("content-type", "application/json"));
    }
    let reply = t.send(method, path, &headers, body.map(String::from)).await;
    let value = serde_json::from_str(&reply.text)
        .unwrap_or_else(|e| panic!("REST answers JSON ({e}): {} {:?}", reply.status, reply.text));
    (reply.status, value, reply.header("www-authenticate"))
}

fn assert_error(status: StatusCode, body: &Value, expected: StatusCode, code: &str) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["error"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

/// [DOC] api-keys/create: the value is returned once; [INF] 201 with name, environments, status, createdAt.
#[tokio::test]
async fn an_owner_mints_an_api_key_that_works_on_mcp_at_once() {
    let t = server().await;
    let (status, body, _) = rest(
        &t,
        Method::POST,
        KEYS,
        Some(OWNER_TOKEN),
        Some(r#"{"name": "rest-made"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["name"], "rest-made");
    assert_eq!(body["status"], "active");
    assert_eq!(body["environments"], json!(["production", "draft"]));
    assert!(
        body["createdAt"].as_str().is_some_and(|c| c.ends_with('Z')),
        "{body}"
    );
    let key = body["key"].as_str().expect("the value, once").to_owned();
    // The creator's scopes (Owner: everything), on both environments.
    let s = t.session("/acme/storefront/draft", Some(&key)).await;
    let result = s
        .call(
            "compare_products",
            json!({"sku_a": "TEA-001", "sku_b": "MUG-010"}),
        )
        .await;
    assert_eq!(result["isError"], false, "{result}");
}

#[tokio::test]
async fn a_custom_value_and_environments_are_kept() {
    let t = server().await;
    let (status, body, _) = rest(
        &t,
        Method::POST,
        KEYS,
        Some(DEV_TOKEN),
        Some(r#"{"name": "prod-only", "key": "custom_key_value_0123456789", "environments": ["production"]}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["key"], "custom_key_value_0123456789");
    assert_eq!(
        t.initialize("/acme/storefront", Some("custom_key_value_0123456789"), V)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        t.initialize(
            "/acme/storefront/draft",
            Some("custom_key_value_0123456789"),
            V
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );
}

/// A key carries the permissions of the member who minted it, whatever route minted it.
#[tokio::test]
async fn a_key_minted_by_a_viewer_has_a_viewers_scopes() {
    let t = start_with(&[], |o| {
        o.fixture
            .rest_tokens
            .push(RestTokenDef::new(VIEWER_TOKEN, "vic@acme.test"));
        o.fixture.role_permissions.insert(
            Spanned::new(0..0, "Viewer".to_owned()),
            vec![Permission::ApiKeys],
        );
    })
    .await;
    let (status, body, _) = rest(
        &t,
        Method::POST,
        KEYS,
        Some(VIEWER_TOKEN),
        Some(r#"{"name": "viewer-made"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let s = t.session("/acme/storefront", body["key"].as_str()).await;
    let reply = s
        .request(
            "tools/call",
            json!({"name": "search_products", "arguments": {"query": "tea"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

/// [DOC] api-keys/create: a duplicate name gives `NAME_ALREADY_EXISTS`.
#[tokio::test]
async fn a_duplicate_name_is_a_409_name_already_exists() {
    let t = server().await;
    let (status, body, _) = rest(
        &t,
        Method::POST,
        KEYS,
        Some(OWNER_TOKEN),
        Some(r#"{"name": "storefront-ci"}"#),
    )
    .await;
    assert_error(status, &body, StatusCode::CONFLICT, "NAME_ALREADY_EXISTS");
}

/// [DOC] api-keys/list: filterable by status, each item has lastUsed, values never listed.
#[tokio::test]
async fn the_list_never_shows_values_and_filters_by_status() {
    let t = server().await;
    t.initialize("/acme/storefront", Some(STOREFRONT_CI_KEY), V)
        .await;
    rest(
        &t,
        Method::POST,
        &format!("{KEYS}/storefront-kiosk/revoke"),
        Some(OWNER_TOKEN),
        None,
    )
    .await;
    let (status, body, _) = rest(&t, Method::GET, KEYS, Some(DEV_TOKEN), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let text = body.to_string();
    assert!(
        !text.contains(STOREFRONT_CI_KEY) && !text.contains(STOREFRONT_KIOSK_KEY),
        "{text}"
    );
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let ci = items.iter().find(|k| k["name"] == "storefront-ci").unwrap();
    assert_eq!(
        ci.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["createdAt", "environments", "lastUsed", "name", "status"]
    );
    assert!(ci["lastUsed"].is_string(), "{ci}");
    let names = |body: &Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, active, _) = rest(
        &t,
        Method::GET,
        &format!("{KEYS}?status=active"),
        Some(DEV_TOKEN),
        None,
    )
    .await;
    assert_eq!(names(&active), ["storefront-ci"]);
    let (_, revoked, _) = rest(
        &t,
        Method::GET,
        &format!("{KEYS}?status=revoked"),
        Some(DEV_TOKEN),
        None,
    )
    .await;
    assert_eq!(names(&revoked), ["storefront-kiosk"]);
    let (status, body, _) = rest(
        &t,
        Method::GET,
        &format!("{KEYS}?status=gone"),
        Some(DEV_TOKEN),
        None,
    )
    .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "BAD_REQUEST");
}

/// spec/metabind.md §3, 3: a revoked key fails the next request with 401.
#[tokio::test]
async fn a_revoked_key_fails_the_next_request() {
    let t = server().await;
    let s = t.session("/acme/storefront", Some(STOREFRONT_CI_KEY)).await;
    let (status, body, _) = rest(
        &t,
        Method::POST,
        &format!("{KEYS}/storefront-ci/revoke"),
        Some(OWNER_TOKEN),
        None,
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::OK,
            json!({"name": "storefront-ci", "status": "revoked"})
        )
    );
    assert_eq!(
        s.request("tools/list", json!({})).await.status,
        StatusCode::UNAUTHORIZED
    );
    let (status, body, _) = rest(
        &t,
        Method::POST,
        &format!("{KEYS}/no-such-key/revoke"),
        Some(OWNER_TOKEN),
        None,
    )
    .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "NOT_FOUND");
}

/// [DOC] project-visibility: the kill switch is atomic and returns the updated project.
#[tokio::test]
async fn the_kill_switch_turns_a_public_project_private_for_the_next_request() {
    let t = server().await;
    assert_eq!(
        t.initialize("/acme/catalog", None, V).await.status,
        StatusCode::OK
    );
    let (status, body, _) = rest(
        &t,
        Method::PUT,
        CATALOG_VISIBILITY,
        Some(OWNER_TOKEN),
        Some(r#"{"visibility": "private"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"id": "catalog", "organization": "acme", "name": "Acme Public Catalog",
               "settings": {"mcp": {"visibility": "private"}}})
    );
    assert_eq!(
        t.initialize("/acme/catalog", None, V).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Members' keys keep working.
    assert_eq!(
        t.initialize("/acme/catalog", Some(CATALOG_KEY), V)
            .await
            .status,
        StatusCode::OK
    );
    let (status, _, _) = rest(
        &t,
        Method::PUT,
        CATALOG_VISIBILITY,
        Some(OWNER_TOKEN),
        Some(r#"{"visibility": "public"}"#),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        t.initialize("/acme/catalog", None, V).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_missing_or_unknown_token_is_a_401_with_a_challenge() {
    let t = server().await;
    for token in [None, Some("not-a-rest-token"), Some(STOREFRONT_CI_KEY)] {
        let (status, body, challenge) = rest(&t, Method::GET, KEYS, token, None).await;
        assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
        assert!(
            challenge.is_some_and(|c| c.starts_with("Bearer")),
            "{token:?}"
        );
    }
    let reply = t
        .send(
            Method::GET,
            KEYS,
            &[("authorization", "Basic b2xpdmlhOng=")],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

/// Permissions are the role's, looked up at each request ([role_permissions]).
#[tokio::test]
async fn a_role_without_the_permission_is_a_403() {
    let t = server().await;
    let (status, body, _) = rest(&t, Method::GET, KEYS, Some(VIEWER_TOKEN), None).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "FORBIDDEN");
    // A Developer manages keys but may not flip visibility.
    let (status, body, _) = rest(
        &t,
        Method::PUT,
        CATALOG_VISIBILITY,
        Some(DEV_TOKEN),
        Some(r#"{"visibility": "private"}"#),
    )
    .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "FORBIDDEN");
    // Another organization's Owner is no member here.
    let (status, body, _) = rest(&t, Method::GET, KEYS, Some(OUTSIDER_TOKEN), None).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "FORBIDDEN");
    // The Owner demoted to Viewer loses the permission on the next request.
    t.admin(
        Method::PUT,
        "/_admin/orgs/acme/members/olivia@acme.test",
        Some(json!({"role": "Viewer"})),
    )
    .await;
    let (status, body, _) = rest(&t, Method::GET, KEYS, Some(OWNER_TOKEN), None).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "FORBIDDEN");
}

#[tokio::test]
async fn an_unknown_organization_or_project_is_a_404() {
    let t = server().await;
    for path in [
        "/api/v1/organizations/nope/projects/storefront/api-keys",
        "/api/v1/organizations/acme/projects/nope/api-keys",
        "/api/v1/organizations/acme/projects/nope/settings/mcp/visibility",
    ] {
        let method = if path.ends_with("visibility") {
            Method::PUT
        } else {
            Method::GET
        };
        let (status, body, _) = rest(
            &t,
            method,
            path,
            Some(OWNER_TOKEN),
            Some(r#"{"visibility": "public"}"#),
        )
        .await;
        assert_error(status, &body, StatusCode::NOT_FOUND, "NOT_FOUND");
    }
}

#[tokio::test]
async fn bad_bodies_are_400_never_500() {
    let t = server().await;
    for body in [
        "{not json",
        "[]",
        r#"{"name": 7}"#,
        r#"{"name": "x", "extra": true}"#,
        r#"{"name": ""}"#,
        r#"{"name": "a/b"}"#,
        r#"{"name": "x", "key": "short"}"#,
        r#"{"name": "x", "key": "has spaces in the value"}"#,
        r#"{"name": "x", "environments": []}"#,
        r#"{"name": "x", "environments": ["staging"]}"#,
    ] {
        let (status, value, _) = rest(&t, Method::POST, KEYS, Some(OWNER_TOKEN), Some(body)).await;
        assert_error(status, &value, StatusCode::BAD_REQUEST, "BAD_REQUEST");
    }
    for body in [
        "",
        r#"{"visibility": "hidden"}"#,
        r#"{"visibility": "private", "x": 1}"#,
    ] {
        let (status, value, _) = rest(
            &t,
            Method::PUT,
            CATALOG_VISIBILITY,
            Some(OWNER_TOKEN),
            Some(body),
        )
        .await;
        assert_error(status, &value, StatusCode::BAD_REQUEST, "BAD_REQUEST");
    }
    // A path that does not decode.
    let (status, value, _) = rest(
        &t,
        Method::GET,
        "/api/v1/organizations/%FF/projects/storefront/api-keys",
        Some(OWNER_TOKEN),
        None,
    )
    .await;
    assert_error(status, &value, StatusCode::BAD_REQUEST, "BAD_REQUEST");
    // No content type at all.
    let reply = t
        .send(
            Method::POST,
            KEYS,
            &[("authorization", &format!("Bearer {OWNER_TOKEN}"))],
            Some(r#"{"name": "x"}"#.into()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
}

#[tokio::test]
async fn another_method_is_a_json_405() {
    let t = server().await;
    let (status, body, _) = rest(&t, Method::DELETE, KEYS, Some(OWNER_TOKEN), None).await;
    assert_error(
        status,
        &body,
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
    );
    let (status, body, _) = rest(
        &t,
        Method::GET,
        &format!("{KEYS}/storefront-ci/revoke"),
        Some(OWNER_TOKEN),
        None,
    )
    .await;
    assert_error(
        status,
        &body,
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
    );
}
