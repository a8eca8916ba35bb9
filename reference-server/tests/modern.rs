//! The stateless era (MCP 2026-07-28) on the wire: discover, the per-request envelope and its headers,
//! the era's error codes and statuses, caching hints, no sessions, the tasks extension, listen, and
//! the endpoint settings that make a project speak one era only.

mod common;

use std::time::Duration;

use common::*;
use metabind_reference_server::Eras;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const STOREFRONT: &str = "/acme/storefront";
const CATALOG: &str = "/acme/catalog";
const KEY: Option<&str> = Some(STOREFRONT_CI_KEY);

fn with_tasks(mut params: Value) -> Value {
    params["_meta"] = json!({"io.modelcontextprotocol/clientCapabilities": {"extensions": {"io.modelcontextprotocol/tasks": {}}}});
    params
}

#[tokio::test]
async fn discover_names_the_versions_capabilities_and_instructions_without_a_session() {
    let t = start().await;
    let reply = t
        .modern(STOREFRONT, KEY, "server/discover", json!({}), &[])
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.header("mcp-session-id").is_none());
    let result = reply.json()["result"].clone();
    assert_eq!(result["resultType"], "complete");
    let versions: Vec<&str> = result["supportedVersions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(versions[0], "2026-07-28");
    assert!(versions.contains(&"2025-11-25"), "{versions:?}");
    let extensions = &result["capabilities"]["extensions"];
    assert!(extensions.get("io.modelcontextprotocol/tasks").is_some());
    assert!(extensions.get("io.modelcontextprotocol/ui").is_some());
    assert!(result["capabilities"].get("tasks").is_none());
    assert!(result["instructions"]
        .as_str()
        .unwrap()
        .contains("search_products"));
    assert_eq!(result["cacheScope"], "private");
    assert!(result["ttlMs"].as_u64().is_some());
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "acme/storefront"
    );
}

#[tokio::test]
async fn list_results_carry_cache_hints_public_only_on_a_public_production_endpoint() {
    let t = start().await;
    let public = t
        .modern(CATALOG, None, "tools/list", json!({}), &[])
        .await
        .json();
    assert_eq!(public["result"]["cacheScope"], "public");
    assert_eq!(public["result"]["ttlMs"], 300000);
    let draft = t
        .modern(
            &format!("{STOREFRONT}/draft"),
            KEY,
            "tools/list",
            json!({}),
            &[],
        )
        .await
        .json();
    assert_eq!(draft["result"]["cacheScope"], "private");
    assert_eq!(
        draft["result"]["ttlMs"], 0,
        "the working copy changes with every save"
    );
}

#[tokio::test]
async fn a_request_without_the_envelope_is_invalid_params_with_400_and_its_id() {
    let t = start().await;
    let headers = [
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", "tools/list"),
    ];
    let reply = t
        .post(
            CATALOG,
            &headers,
            &json!({"jsonrpc": "2.0", "id": 7, "method": "tools/list"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json()["error"]["code"], -32602);
    assert_eq!(reply.json()["id"], 7);
}

#[tokio::test]
async fn headers_that_do_not_repeat_the_body_are_a_header_mismatch() {
    let t = start().await;
    for extra in [
        vec![("mcp-protocol-version", "2025-11-25")],
        vec![("mcp-method", "")],
        vec![("mcp-method", "resources/list")],
    ] {
        let reply = t
            .modern(CATALOG, None, "tools/list", json!({}), &extra)
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{extra:?}");
        assert_eq!(reply.json()["error"]["code"], -32020, "{extra:?}");
    }
    let call = json!({"name": "list_categories", "arguments": {}});
    let wrong = t
        .modern(
            CATALOG,
            None,
            "tools/call",
            call.clone(),
            &[("mcp-name", "lookup_product")],
        )
        .await;
    assert_eq!(wrong.json()["error"]["code"], -32020);
    let missing = t
        .modern(
            CATALOG,
            None,
            "tools/call",
            call.clone(),
            &[("mcp-name", "")],
        )
        .await;
    assert_eq!(missing.json()["error"]["code"], -32020);
    // base64("list_categories"): an encoded name is decoded before it is compared.
    let encoded = t
        .modern(
            CATALOG,
            None,
            "tools/call",
            call,
            &[("mcp-name", "=?base64?bGlzdF9jYXRlZ29yaWVz?=")],
        )
        .await;
    assert_eq!(encoded.status, StatusCode::OK, "{}", encoded.text);
    assert_eq!(encoded.json()["result"]["resultType"], "complete");
}

#[tokio::test]
async fn an_unknown_version_is_refused_naming_the_supported_ones() {
    let t = start().await;
    let params = json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "2099-01-01"}});
    let reply = t.modern(CATALOG, None, "tools/list", params, &[]).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let error = reply.json()["error"].clone();
    assert_eq!(error["code"], -32022);
    assert_eq!(error["data"]["requested"], "2099-01-01");
    assert_eq!(error["data"]["supported"][0], "2026-07-28");
}

#[tokio::test]
async fn unknown_and_removed_methods_are_404_with_32601() {
    let t = start().await;
    for method in [
        "no/such",
        "ping",
        "initialize",
        "tasks/list",
        "logging/setLevel",
    ] {
        let reply = t.modern(CATALOG, None, method, json!({}), &[]).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method}");
        assert_eq!(reply.json()["error"]["code"], -32601, "{method}");
    }
}

#[tokio::test]
async fn a_missing_resource_is_invalid_params_not_the_retired_code() {
    let t = start().await;
    let reply = t
        .modern(
            STOREFRONT,
            KEY,
            "resources/read",
            json!({"uri": "ui://nothing-here"}),
            &[],
        )
        .await;
    assert_eq!(reply.json()["error"]["code"], -32602);
}

#[tokio::test]
async fn the_credential_is_checked_first_as_in_the_legacy_era() {
    let t = start().await;
    let reply = t
        .modern(STOREFRONT, None, "server/discover", json!({}), &[])
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(reply.header("www-authenticate").is_some());
}

#[tokio::test]
async fn a_modern_only_endpoint_has_no_sessions_and_refuses_initialize_naming_its_versions() {
    let t = start_with(&[], |o| o.eras = Some(Eras::Modern)).await;
    for method in [Method::GET, Method::DELETE] {
        let reply = t
            .send(
                method.clone(),
                CATALOG,
                &[("accept", "text/event-stream")],
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
    }
    let reply = t.initialize(CATALOG, None, "2025-11-25").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let error = reply.json()["error"].clone();
    assert_eq!(error["code"], -32022);
    assert_eq!(error["data"]["supported"], json!(["2026-07-28"]));
    assert_eq!(error["data"]["requested"], "2025-11-25");
    let discovered = t
        .modern(
            CATALOG,
            None,
            "server/discover",
            json!({}),
            &[("mcp-session-id", "ignored")],
        )
        .await;
    assert_eq!(
        discovered.json()["result"]["supportedVersions"],
        json!(["2026-07-28"])
    );
}

#[tokio::test]
async fn a_legacy_only_endpoint_answers_the_stateless_era_as_a_2025_server_does() {
    let t = start_with(&[], |o| o.eras = Some(Eras::Legacy)).await;
    let reply = t
        .modern(CATALOG, None, "server/discover", json!({}), &[])
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let code = reply.json()["error"]["code"].as_i64().unwrap();
    assert!(
        !(-32022..=-32020).contains(&code),
        "a 2025 server knows no 2026 codes: {code}"
    );
    assert_eq!(
        t.initialize(CATALOG, None, "2025-11-25").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_long_tool_is_a_task_only_for_a_client_that_declares_the_extension() {
    let t = start().await;
    let call = json!({"name": "build_sales_report", "arguments": {"period": "week"}});
    let refused = t
        .modern(STOREFRONT, KEY, "tools/call", call.clone(), &[])
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let error = refused.json()["error"].clone();
    assert_eq!(error["code"], -32021);
    assert!(error["data"]["requiredCapabilities"]["extensions"]
        .get("io.modelcontextprotocol/tasks")
        .is_some());

    let created = t
        .modern(STOREFRONT, KEY, "tools/call", with_tasks(call), &[])
        .await
        .json()["result"]
        .clone();
    assert_eq!(created["resultType"], "task");
    assert_eq!(created["status"], "working");
    assert!(created["ttlMs"].as_u64().is_some() && created["pollIntervalMs"].as_u64().is_some());
    assert!(created.get("ttl").is_none() && created.get("task").is_none());
    let id = created["taskId"].as_str().unwrap().to_owned();

    let undeclared = t
        .modern(STOREFRONT, KEY, "tasks/get", json!({"taskId": id}), &[])
        .await;
    assert_eq!(undeclared.json()["error"]["code"], -32021);
    let misnamed = t
        .modern(
            STOREFRONT,
            KEY,
            "tasks/get",
            with_tasks(json!({"taskId": id})),
            &[("mcp-name", "another-task")],
        )
        .await;
    assert_eq!(misnamed.json()["error"]["code"], -32020);

    let mut task = Value::Null;
    for _ in 0..200 {
        task = t
            .modern(
                STOREFRONT,
                KEY,
                "tasks/get",
                with_tasks(json!({"taskId": id})),
                &[],
            )
            .await
            .json()["result"]
            .clone();
        if task["status"] != "working" {
            break;
        }
        let interval = task["pollIntervalMs"].as_u64().unwrap_or(100);
        tokio::time::sleep(Duration::from_millis(interval)).await;
    }
    assert_eq!(task["status"], "completed", "{task}");
    assert_eq!(task["resultType"], "complete");
    assert!(
        task["result"]["content"].is_array(),
        "the result is inline: {task}"
    );
    let update = t
        .modern(
            STOREFRONT,
            KEY,
            "tasks/update",
            with_tasks(json!({"taskId": id, "inputResponses": {}})),
            &[],
        )
        .await;
    assert_eq!(update.json()["result"]["resultType"], "complete");
    // Cancelling is cooperative: a finished task is acknowledged, and stays finished.
    let cancel = t
        .modern(
            STOREFRONT,
            KEY,
            "tasks/cancel",
            with_tasks(json!({"taskId": id})),
            &[],
        )
        .await;
    assert_eq!(cancel.json()["result"]["resultType"], "complete");
    let unknown = t
        .modern(
            STOREFRONT,
            KEY,
            "tasks/get",
            with_tasks(json!({"taskId": "no-such-task"})),
            &[],
        )
        .await;
    assert_eq!(unknown.json()["error"]["code"], -32602);
}

#[tokio::test]
async fn listen_acknowledges_what_it_honours_and_tags_each_change() {
    let t = start().await;
    let body = json!({"jsonrpc": "2.0", "id": 42, "method": "subscriptions/listen", "params": {
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}},
        "notifications": {"toolsListChanged": true, "promptsListChanged": true}}});
    let mut response = t
        .http
        .post(t.url(STOREFRONT))
        .header("authorization", format!("Bearer {STOREFRONT_CI_KEY}"))
        .header("content-type", "application/json")
        .header("accept", ACCEPT_BOTH)
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "subscriptions/listen")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut seen = String::new();
    let mut edited = false;
    while !seen.contains("notifications/tools/list_changed") {
        let chunk = tokio::time::timeout(Duration::from_secs(10), response.chunk())
            .await
            .expect("the stream answers")
            .unwrap()
            .expect("the stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
        if seen.contains("notifications/subscriptions/acknowledged") && !edited {
            assert!(seen.contains("\"toolsListChanged\":true"), "{seen}");
            assert!(
                !seen.contains("promptsListChanged"),
                "no prompt changes to send: {seen}"
            );
            let edit = json!({"description": "Edited live."});
            let (status, _) = t
                .admin(
                    Method::PATCH,
                    "/_admin/orgs/acme/projects/storefront/tools/search_products",
                    Some(edit),
                )
                .await;
            assert!(status.is_success());
            edited = true;
        }
    }
    assert!(
        seen.contains("\"io.modelcontextprotocol/subscriptionId\":42"),
        "{seen}"
    );
}
