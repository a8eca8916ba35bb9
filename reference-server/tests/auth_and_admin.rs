//! Who may call an endpoint (API keys, public projects, scopes, challenges, PRM) and the admin API that
//! changes it (spec/metabind.md §2, §3; spec/mcp.md §7.2, §7.7, §7.8).

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const STOREFRONT: &str = "/acme/storefront";

fn challenge_param(header: &str, name: &str) -> Option<String> {
    let start = header.find(&format!("{name}=\""))? + name.len() + 2;
    let end = header[start..].find('"')? + start;
    Some(header[start..end].to_owned())
}

/// MCP §7.2/§7.7: no token → 401 with a `resource_metadata` challenge pointing at the endpoint's PRM.
#[tokio::test]
async fn a_private_endpoint_without_a_token_gets_401_with_a_resource_metadata_challenge() {
    let t = start().await;
    for path in [
        STOREFRONT,
        "/acme/storefront/draft",
        "/acme/catalog/draft",
        "/acme/projects/storefront",
    ] {
        let reply = t.initialize(path, None, "2025-11-25").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
        let challenge = reply.header("www-authenticate").expect("challenge");
        assert!(challenge.starts_with("Bearer "), "{challenge}");
        let metadata_url =
            challenge_param(&challenge, "resource_metadata").expect("resource_metadata");
        assert_eq!(
            metadata_url,
            t.url(&format!("/.well-known/oauth-protected-resource{path}"))
        );
        assert!(challenge_param(&challenge, "scope")
            .unwrap()
            .contains("read:types"));
        assert!(
            challenge_param(&challenge, "error").is_none(),
            "no token sent: no error code"
        );

        let prm: Value = t
            .http
            .get(&metadata_url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(prm["resource"], t.url(path));
        assert_eq!(prm["authorization_servers"][0], t.server.base_url);
        assert_eq!(prm["bearer_methods_supported"], json!(["header"]));
        assert!(prm["resource_name"].as_str().unwrap().contains("Acme"));
    }
    let root = t.get_json("/.well-known/oauth-protected-resource").await;
    assert!(!root["authorization_servers"].as_array().unwrap().is_empty());
    let missing = t
        .send(
            Method::GET,
            "/.well-known/oauth-protected-resource/acme/nope",
            &[],
            None,
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

/// A bad token gets 401 with `error="invalid_token"`.
#[tokio::test]
async fn an_unknown_token_gets_401_invalid_token() {
    let t = start().await;
    for auth in ["Bearer nope", "Basic dXNlcjpwYXNz", "Bearer "] {
        let reply = t
            .post(
                STOREFRONT,
                &[("authorization", auth)],
                &json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{auth}");
        let challenge = reply.header("www-authenticate").unwrap();
        assert_eq!(
            challenge_param(&challenge, "error").as_deref(),
            Some("invalid_token"),
            "{auth}"
        );
    }
}

/// MCP §7.7: tokens in the query string are refused.
#[tokio::test]
async fn a_token_in_the_query_string_is_refused() {
    let t = start().await;
    let path = format!("{STOREFRONT}?access_token={STOREFRONT_CI_KEY}");
    let reply = t.initialize(&path, None, "2025-11-25").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

/// A public project's production answers anonymous callers; its draft stays private.
#[tokio::test]
async fn a_public_production_is_anonymous_but_its_draft_is_not() {
    let t = start().await;
    let s = t.session("/acme/catalog", None).await;
    let result = s.call("list_categories", json!({})).await;
    assert_eq!(
        result["structuredContent"]["categories"],
        json!(["tea", "kitchen"])
    );
    let draft = t
        .initialize("/acme/catalog/draft", None, "2025-11-25")
        .await;
    assert_eq!(draft.status, StatusCode::UNAUTHORIZED);
}

/// Switching public → private makes the next anonymous request fail (the kill switch is immediate).
#[tokio::test]
async fn switching_public_to_private_fails_the_next_anonymous_request() {
    let t = start().await;
    let s = t.session("/acme/catalog", None).await;
    assert!(s.request("ping", json!({})).await.status.is_success());
    let (status, _) = t
        .admin(
            Method::PUT,
            "/_admin/orgs/acme/projects/catalog/visibility",
            Some(json!({"visibility": "private"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let reply = s.request("tools/list", json!({})).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    // Authenticated callers keep working.
    let keyed = t.session("/acme/catalog", Some(CATALOG_KEY)).await;
    assert_eq!(keyed.tool_names().await.len(), 2);
}

/// API keys are bound to their project and to the environments they were minted for.
#[tokio::test]
async fn api_keys_work_only_on_their_project_and_environments() {
    let t = start().await;
    let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
    assert_eq!(s.tool_names().await.len(), 6);
    t.session("/acme/storefront/draft", Some(STOREFRONT_CI_KEY))
        .await;
    // The kiosk key is production-only.
    let draft = t
        .initialize(
            "/acme/storefront/draft",
            Some(STOREFRONT_KIOSK_KEY),
            "2025-11-25",
        )
        .await;
    assert_eq!(draft.status, StatusCode::UNAUTHORIZED);
    // A globex key is refused on acme, and an acme key on globex.
    let cross = t
        .initialize(STOREFRONT, Some(LEDGER_KEY), "2025-11-25")
        .await;
    assert_eq!(cross.status, StatusCode::UNAUTHORIZED);
    let cross = t
        .initialize("/globex/ledger", Some(STOREFRONT_CI_KEY), "2025-11-25")
        .await;
    assert_eq!(cross.status, StatusCode::UNAUTHORIZED);
    // Another project of the same organization: still refused (keys are per project).
    let sibling = t
        .initialize("/acme/catalog/draft", Some(STOREFRONT_CI_KEY), "2025-11-25")
        .await;
    assert_eq!(sibling.status, StatusCode::UNAUTHORIZED);
}

/// A revoked key fails on the next request, even inside a live session.
#[tokio::test]
async fn a_revoked_api_key_fails_on_the_next_request() {
    let t = start().await;
    let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
    let (status, _) = t
        .admin(
            Method::DELETE,
            "/_admin/orgs/acme/projects/storefront/api-keys/storefront-ci",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let reply = s.request("tools/list", json!({})).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let challenge = reply.header("www-authenticate").unwrap();
    assert_eq!(
        challenge_param(&challenge, "error").as_deref(),
        Some("invalid_token")
    );
    let (_, keys) = t
        .admin(
            Method::GET,
            "/_admin/orgs/acme/projects/storefront/api-keys",
            None,
        )
        .await;
    let ci = keys["api_keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "storefront-ci")
        .unwrap();
    assert_eq!(ci["status"], "revoked");
    assert!(ci.get("key").is_none(), "key values are never listed");
    assert!(ci["last_used"].is_string());
}

/// A key minted by a Viewer inherits the Viewer's scopes: it lists tools but cannot call them (403
/// insufficient_scope naming the scope needed).
#[tokio::test]
async fn a_key_of_a_viewer_lists_tools_but_calls_get_403_insufficient_scope() {
    let t = start().await;
    let (status, created) = t
        .admin(
            Method::POST,
            "/_admin/orgs/acme/projects/storefront/api-keys",
            Some(json!({"name": "vic-key", "created_by": "vic@acme.test", "environments": ["production"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let key = created["key"].as_str().unwrap().to_owned();
    let s = t.session(STOREFRONT, Some(&key)).await;
    assert_eq!(s.tool_names().await.len(), 6);
    let reply = s
        .request(
            "tools/call",
            json!({"name": "search_products", "arguments": {"query": "tea"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let challenge = reply.header("www-authenticate").unwrap();
    assert_eq!(
        challenge_param(&challenge, "error").as_deref(),
        Some("insufficient_scope")
    );
    let scope = challenge_param(&challenge, "scope").unwrap();
    assert!(scope.split(' ').any(|s| s == "execute:mcp"), "{scope}");
    assert!(
        scope.split(' ').any(|s| s == "read:types"),
        "keeps granted scopes: {scope}"
    );
    assert!(challenge_param(&challenge, "resource_metadata").is_some());
}

/// Membership changes take effect on the next request: a reduced role loses scopes, a removed member's
/// key stops working.
#[tokio::test]
async fn role_changes_and_member_removal_apply_to_the_next_request() {
    let t = start().await;
    let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
    s.call("search_products", json!({"query": "tea"})).await;
    let (status, body) = t
        .admin(
            Method::PUT,
            "/_admin/orgs/acme/members/dev@acme.test",
            Some(json!({"role": "Viewer"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["previous_role"], "Developer");
    let reply = s
        .request(
            "tools/call",
            json!({"name": "search_products", "arguments": {"query": "tea"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let (status, _) = t
        .admin(
            Method::DELETE,
            "/_admin/orgs/acme/members/dev@acme.test",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let reply = s.request("tools/list", json!({})).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_admin_api_needs_the_admin_key_and_answers_bad_input_with_4xx_json() {
    let t = start().await;
    let reply = t.send(Method::GET, "/_admin/state", &[], None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let reply = t
        .send(
            Method::GET,
            "/_admin/state",
            &[("authorization", "Bearer wrong")],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let (status, state) = t.admin(Method::GET, "/_admin/state", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(state["organizations"].as_array().unwrap().len(), 2);

    let key = format!("Bearer {}", t.server.admin_key);
    let bad_json = t
        .send(
            Method::PUT,
            "/_admin/orgs/acme/projects/storefront/instructions",
            &[
                ("authorization", &key),
                ("content-type", "application/json"),
            ],
            Some("{oops".into()),
        )
        .await;
    assert_eq!(bad_json.status, StatusCode::BAD_REQUEST);
    let body: Value = serde_json::from_str(&bad_json.text).unwrap();
    assert_eq!(body["error"], "BAD_REQUEST");

    let (status, _) = t
        .admin(
            Method::PUT,
            "/_admin/orgs/acme/members/mia@acme.test",
            Some(json!({"role": "Emperor"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = t
        .admin(
            Method::POST,
            "/_admin/orgs/acme/projects/nope/publish",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = t
        .admin(
            Method::POST,
            "/_admin/orgs/acme/projects/storefront/api-keys",
            Some(json!({"name": "storefront-ci", "created_by": "dev@acme.test"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"], "NAME_ALREADY_EXISTS");
    let (status, _) = t
        .admin(
            Method::PATCH,
            "/_admin/orgs/acme/projects/storefront/tools/no_such_tool",
            Some(json!({"description": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// A second user can be created and added to an organization (sharing scenarios need one).
#[tokio::test]
async fn a_new_user_can_join_an_organization() {
    let t = start().await;
    let (status, _) = t
        .admin(
            Method::POST,
            "/_admin/users",
            Some(json!({"email": "sam@acme.test", "name": "Sam", "password": "sam-pass"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = t
        .admin(
            Method::PUT,
            "/_admin/orgs/acme/members/sam@acme.test",
            Some(json!({"role": "MCP User"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["previous_role"], Value::Null);
}

/// `expire-access-tokens` ends access tokens only; with `"refresh_tokens": true` the refresh tokens of
/// those grants end too ("the session expired"), so a refresh fails with `invalid_grant`.
#[tokio::test]
async fn expiring_tokens_can_end_the_refresh_tokens_too() {
    let t = start().await;
    let (flow, tokens) = t.connect("mia@acme.test", STOREFRONT).await;
    let (_, dev) = t.connect("dev@acme.test", STOREFRONT).await;
    let (status, body) = t
        .admin(
            Method::POST,
            "/_admin/oauth/expire-access-tokens",
            Some(json!({"user": "mia@acme.test"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"expired": 1}));
    let access = tokens["access_token"].as_str();
    assert_eq!(
        t.initialize(STOREFRONT, access, "2025-11-25").await.status,
        StatusCode::UNAUTHORIZED
    );
    // Without the flag a refresh still works.
    let (status, refreshed) = t
        .refresh(&flow, tokens["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");

    let (status, body) = t
        .admin(
            Method::POST,
            "/_admin/oauth/expire-access-tokens",
            Some(json!({"user": "mia@acme.test", "refresh_tokens": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["expired_refresh_tokens"], 1, "{body}");
    assert_eq!(
        t.initialize(STOREFRONT, refreshed["access_token"].as_str(), "2025-11-25")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let (status, error) = t
        .refresh(&flow, refreshed["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"], "invalid_grant");
    // Another user's session is untouched.
    assert_eq!(
        t.initialize(STOREFRONT, dev["access_token"].as_str(), "2025-11-25")
            .await
            .status,
        StatusCode::OK
    );

    let (status, body) = t
        .admin(
            Method::POST,
            "/_admin/oauth/expire-access-tokens",
            Some(json!({"refresh_tokens": "yes"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "BAD_REQUEST");
}

/// `tasks/expire` ages every task of one project past its ttl: reads then answer "expired" at once.
#[tokio::test]
async fn expiring_a_projects_tasks_needs_no_waiting() {
    let t = start().await;
    let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
    let created = s
        .result(
            "tools/call",
            json!({"name": "export_catalog", "arguments": {}, "task": {}}),
        )
        .await;
    let id = created["task"]["taskId"].clone();
    s.result("tasks/result", json!({"taskId": id})).await;

    let (status, body) = t
        .admin(Method::POST, "/_admin/orgs/acme/catalog/tasks/expire", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = t
        .admin(
            Method::POST,
            "/_admin/orgs/acme/projects/catalog/tasks/expire",
            None,
        )
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({"expired": 0})));
    assert_eq!(
        s.result("tasks/get", json!({"taskId": id})).await["status"],
        "completed"
    );

    let (status, body) = t
        .admin(
            Method::POST,
            "/_admin/orgs/acme/projects/storefront/tasks/expire",
            None,
        )
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({"expired": 1})));
    let error = s.error("tasks/get", json!({"taskId": id})).await;
    assert_eq!(error["code"], -32602);
    assert!(
        error["message"].as_str().unwrap().contains("expired"),
        "{error}"
    );
    let listed = s.result("tasks/list", json!({})).await;
    assert_eq!(listed["tasks"], json!([]));

    let (status, body) = t
        .admin(
            Method::POST,
            "/_admin/orgs/acme/projects/nope/tasks/expire",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "NOT_FOUND");
    let reply = t
        .send(
            Method::POST,
            "/_admin/orgs/acme/projects/storefront/tasks/expire",
            &[],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

/// A live edit can leave a tool without hints: `{}` lists an empty annotations object, `null` removes it.
#[tokio::test]
async fn annotations_can_be_cleared_by_a_live_edit() {
    let t = start().await;
    let edit = |tool: &str| format!("/_admin/orgs/acme/projects/storefront/tools/{tool}");
    let (status, body) = t
        .admin(
            Method::PATCH,
            &edit("place_order"),
            Some(json!({"annotations": {}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["environments"], json!(["draft", "production"]));
    let (status, _) = t
        .admin(
            Method::PATCH,
            &edit("check_shipping"),
            Some(json!({"annotations": null})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // A body without `annotations` leaves them as they are.
    let (status, _) = t
        .admin(
            Method::PATCH,
            &edit("search_products"),
            Some(json!({"title": "Search"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for path in [STOREFRONT, "/acme/storefront/draft"] {
        let s = t.session(path, Some(STOREFRONT_CI_KEY)).await;
        let tools = s.all_tools().await;
        let tool = |name: &str| tools.iter().find(|t| t["name"] == name).unwrap().clone();
        assert_eq!(tool("place_order")["annotations"], json!({}), "{path}");
        assert!(
            tool("check_shipping").get("annotations").is_none(),
            "{path}"
        );
        assert_eq!(
            tool("search_products")["annotations"]["readOnlyHint"],
            true,
            "{path}"
        );
        assert_eq!(tool("search_products")["title"], "Search", "{path}");
    }
    for bad in [json!({"annotations": "x"}), json!({"annotations": [1]})] {
        let (status, body) = t
            .admin(Method::PATCH, &edit("place_order"), Some(bad))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "BAD_REQUEST");
    }
}
