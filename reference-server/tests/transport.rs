//! Streamable HTTP rules (spec/mcp.md §1–3), each checked with real requests against a spawned server.

mod common;

use common::*;
use metabind_reference_server::Fault;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const CATALOG: &str = "/acme/catalog";

/// MCP §1.5: the session id is issued on initialize and uses only visible ASCII.
#[tokio::test]
async fn initialize_issues_a_visible_ascii_session_id_and_echoes_the_version() {
    let t = start().await;
    let reply = t.initialize(CATALOG, None, "2025-11-25").await;
    assert_eq!(reply.status, StatusCode::OK);
    let id = reply.header("mcp-session-id").expect("session id");
    assert!(!id.is_empty() && id.bytes().all(|b| (0x21..=0x7e).contains(&b)));
    let result = reply.result();
    assert_eq!(result["protocolVersion"], "2025-11-25");
    assert_eq!(result["serverInfo"]["name"], "acme/catalog");
    assert!(result["capabilities"]["tools"].is_object());
    assert!(result["capabilities"]["resources"].is_object());
    assert!(result["capabilities"]["tasks"]["requests"]["tools"]["call"].is_object());
    assert!(result["instructions"]
        .as_str()
        .unwrap()
        .contains("list_categories"));
}

/// MCP §2.2: a supported older version is echoed; an unknown one gets the server's latest.
#[tokio::test]
async fn version_negotiation_echoes_supported_versions_and_answers_unknown_ones_with_the_latest() {
    let t = start().await;
    for version in ["2025-06-18", "2025-03-26"] {
        let reply = t.initialize(CATALOG, None, version).await;
        assert_eq!(reply.result()["protocolVersion"], version);
        // Tasks arrived in 2025-11-25: older sessions are not offered them.
        assert!(reply.result()["capabilities"].get("tasks").is_none());
    }
    let reply = t.initialize(CATALOG, None, "2099-01-01").await;
    assert_eq!(reply.result()["protocolVersion"], "2025-11-25");
}

#[tokio::test]
async fn initialize_without_a_protocol_version_is_invalid_params() {
    let t = start().await;
    let reply = t
        .post(
            CATALOG,
            &[],
            &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}),
        )
        .await;
    assert_eq!(reply.error_code(), -32602);
}

/// MCP §1.1: an accepted notification gets 202 with no body.
#[tokio::test]
async fn notifications_get_202_with_an_empty_body() {
    let t = start().await;
    let s = t.session(CATALOG, None).await;
    let reply = s
        .notify("notifications/cancelled", json!({"requestId": 99}))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert!(reply.text.is_empty());
}

/// A JSON-RPC response sent by the client is accepted with 202 too.
#[tokio::test]
async fn client_responses_get_202() {
    let t = start().await;
    let s = t.session(CATALOG, None).await;
    let reply = s
        .send_body(&json!({"jsonrpc": "2.0", "id": "srv-1", "result": {}}))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
}

/// A request without a session id is served (ChatGPT sends its tool calls so, hosts-observed C20),
/// with neither an MCP-Protocol-Version header (MCP §1.6: 2025-03-26 is assumed; Claude omits it,
/// A25); GET and DELETE still need a session.
#[tokio::test]
async fn a_request_without_a_session_id_or_version_header_is_served() {
    let t = start().await;
    let reply = t
        .post(
            CATALOG,
            &[],
            &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(reply.json()["result"]["tools"].is_array(), "{}", reply.text);
    let delete = t.send(Method::DELETE, CATALOG, &[], None).await;
    assert_eq!(delete.status, StatusCode::BAD_REQUEST);
}

/// MCP §1.5.2: a server that requires sessions (the `session-required` fault) answers a request
/// without the header with 400.
#[tokio::test]
async fn a_server_that_requires_sessions_answers_400_without_one() {
    let t = start_with_faults(&[Fault::SessionRequired]).await;
    let reply = t
        .post(
            CATALOG,
            &[],
            &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json()["error"]["code"], -32000);
    assert_eq!(reply.json()["id"], Value::Null);
}

/// MCP §1.5.3: an unknown or ended session gets 404.
#[tokio::test]
async fn unknown_and_deleted_sessions_get_404() {
    let t = start().await;
    let reply = t
        .post(
            CATALOG,
            &[("mcp-session-id", "no-such-session")],
            &json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);

    let s = t.session(CATALOG, None).await;
    let deleted = t
        .send(Method::DELETE, CATALOG, &[("mcp-session-id", &s.id)], None)
        .await;
    assert_eq!(deleted.status, StatusCode::OK);
    let after = s.request("ping", json!({})).await;
    assert_eq!(after.status, StatusCode::NOT_FOUND);
    assert_eq!(after.error_code(), -32001);
}

/// Sessions are bound to their endpoint: a catalog session is unknown on the catalog's draft.
#[tokio::test]
async fn a_session_of_another_endpoint_is_unknown() {
    let t = start().await;
    let s = t.session(CATALOG, Some(CATALOG_KEY)).await;
    let auth = format!("Bearer {CATALOG_KEY}");
    let reply = t
        .post(
            "/acme/catalog/draft",
            &[("mcp-session-id", &s.id), ("authorization", &auth)],
            &json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

/// spec/mcp.md §7.9 (session hijacking): user B presenting user A's session id must not act as A.
#[tokio::test]
async fn a_session_presented_with_another_credential_is_unknown() {
    let t = start().await;
    let s = t.session("/acme/storefront", Some(STOREFRONT_CI_KEY)).await;
    let other = format!("Bearer {STOREFRONT_KIOSK_KEY}");
    let reply = t
        .post(
            "/acme/storefront",
            &[("mcp-session-id", &s.id), ("authorization", &other)],
            &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

/// MCP §1.6: an unsupported MCP-Protocol-Version is a 400; an absent one is accepted.
#[tokio::test]
async fn an_unsupported_protocol_version_header_gets_400_and_an_absent_one_is_accepted() {
    let t = start().await;
    let s = t.session(CATALOG, None).await;
    let bad = t
        .post(
            CATALOG,
            &[
                ("mcp-session-id", &s.id),
                ("mcp-protocol-version", "1999-01-01"),
            ],
            &json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.json()["error"]["data"]["supported"].is_array());
    let absent = t
        .post(
            CATALOG,
            &[("mcp-session-id", &s.id)],
            &json!({"jsonrpc": "2.0", "id": 2, "method": "ping"}),
        )
        .await;
    assert_eq!(absent.status, StatusCode::OK);
}

/// MCP §1.7: a foreign Host or Origin gets 403, so DNS rebinding fails.
#[tokio::test]
async fn foreign_host_and_origin_get_403() {
    let t = start().await;
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let evil_host = t
        .post(
            CATALOG,
            &[
                ("host", "evil.example.com"),
                ("origin", "http://evil.example.com"),
            ],
            &init,
        )
        .await;
    assert_eq!(evil_host.status, StatusCode::FORBIDDEN);
    let evil_origin = t
        .post(CATALOG, &[("origin", "https://evil.example")], &init)
        .await;
    assert_eq!(evil_origin.status, StatusCode::FORBIDDEN);
    assert_eq!(evil_origin.json()["id"], Value::Null);
    let own_origin = t
        .post(CATALOG, &[("origin", &t.server.base_url)], &init)
        .await;
    assert_eq!(own_origin.status, StatusCode::OK);
    // A host's web app listed in the fixture may call, and gets CORS headers back.
    let chatgpt = t
        .post(CATALOG, &[("origin", "https://chatgpt.com")], &init)
        .await;
    assert_eq!(chatgpt.status, StatusCode::OK);
    assert_eq!(
        chatgpt.header("access-control-allow-origin").as_deref(),
        Some("https://chatgpt.com")
    );
    assert!(chatgpt
        .header("access-control-expose-headers")
        .unwrap()
        .contains("Mcp-Session-Id"));
}

#[tokio::test]
async fn cors_preflight_allows_the_mcp_headers() {
    let t = start().await;
    let reply = t
        .send(
            Method::OPTIONS,
            "/acme/storefront",
            &[
                ("origin", "https://claude.ai"),
                ("access-control-request-method", "POST"),
            ],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let allowed = reply.header("access-control-allow-headers").unwrap();
    for h in ["Authorization", "Mcp-Session-Id", "Mcp-Protocol-Version"] {
        assert!(allowed.contains(h), "{allowed}");
    }
}

/// MCP 2025-06-18 removed batching: an array body is refused.
#[tokio::test]
async fn json_rpc_batches_are_refused() {
    let t = start().await;
    let s = t.session(CATALOG, None).await;
    let reply = s
        .send_body(&json!([{"jsonrpc": "2.0", "id": 1, "method": "ping"}]))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_code(), -32600);
}

/// Broken JSON is a parse error (-32700, 400), malformed envelopes are invalid requests.
#[tokio::test]
async fn bad_bodies_get_400_with_the_right_json_rpc_code() {
    let t = start().await;
    let s = t.session(CATALOG, None).await;
    let headers = [
        ("content-type", "application/json"),
        ("accept", ACCEPT_BOTH),
        ("mcp-session-id", s.id.as_str()),
    ];
    for (body, code) in [
        ("{not json", -32700),
        ("", -32700),
        ("\"a string\"", -32600),
        ("42", -32600),
        (r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#, -32600),
        (r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#, -32600),
        (r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#, -32600),
        (r#"{"jsonrpc":"2.0","id":{},"method":"ping"}"#, -32600),
        (r#"{"jsonrpc":"2.0","id":1,"method":7}"#, -32600),
        (r#"{"jsonrpc":"2.0","id":1}"#, -32600),
    ] {
        let reply = t
            .send(Method::POST, CATALOG, &headers, Some(body.to_owned()))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "body {body:?}: {}",
            reply.text
        );
        assert_eq!(reply.error_code(), code, "body {body:?}");
    }
}

#[tokio::test]
async fn a_huge_body_gets_413() {
    let t = start().await;
    let s = t.session(CATALOG, None).await;
    let huge = json!({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"pad": "x".repeat(2 * 1024 * 1024)}});
    let reply = s.send_body(&huge).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.json()["jsonrpc"], "2.0");
}

#[tokio::test]
async fn wrong_media_types_get_415_and_406() {
    let t = start().await;
    let body = Some(json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}).to_string());
    let text_plain = t
        .send(
            Method::POST,
            CATALOG,
            &[("content-type", "text/plain"), ("accept", ACCEPT_BOTH)],
            body.clone(),
        )
        .await;
    assert_eq!(text_plain.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let accept_html = t
        .send(
            Method::POST,
            CATALOG,
            &[
                ("content-type", "application/json"),
                ("accept", "text/html"),
            ],
            body,
        )
        .await;
    assert_eq!(accept_html.status, StatusCode::NOT_ACCEPTABLE);
}

#[tokio::test]
async fn ping_returns_an_empty_object_and_unknown_methods_get_32601() {
    let t = start().await;
    let s = t.session(CATALOG, None).await;
    assert_eq!(s.result("ping", json!({})).await, json!({}));
    // Metabind projects have no prompts: the list is empty (the capability says prompts exist as a
    // feature, with none listed).
    assert_eq!(
        s.result("prompts/list", json!({})).await,
        json!({"prompts": []})
    );
    let error = s.error("completion/complete", json!({})).await;
    assert_eq!(error["code"], -32601);
    let error = s.error("tools/list", json!([1, 2])).await;
    assert_eq!(error["code"], -32602);
}

#[tokio::test]
async fn a_second_initialize_in_a_live_session_is_refused() {
    let t = start().await;
    let s = t.session(CATALOG, None).await;
    let error = s
        .error(
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "x", "version": "1"}}),
        )
        .await;
    assert_eq!(error["code"], -32600);
}

/// MCP §1.1/§1.2: a client that accepts only SSE gets SSE, with a priming event (id, empty data) first.
#[tokio::test]
async fn a_client_accepting_only_sse_gets_an_sse_response_with_a_priming_event() {
    let t = start().await;
    let s = t.session(CATALOG, None).await;
    let reply = t
        .send(
            Method::POST,
            CATALOG,
            &[
                ("content-type", "application/json"),
                ("accept", "text/event-stream"),
                ("mcp-session-id", &s.id),
            ],
            Some(json!({"jsonrpc": "2.0", "id": 5, "method": "ping"}).to_string()),
        )
        .await;
    assert_eq!(
        reply.header("content-type").as_deref(),
        Some("text/event-stream")
    );
    let first_event = reply.text.split("\n\n").next().unwrap();
    assert!(first_event.contains("id:"), "{}", reply.text);
    assert_eq!(
        reply.json(),
        json!({"jsonrpc": "2.0", "id": 5, "result": {}})
    );
}

/// The server option: answer clients that accept both with SSE.
#[tokio::test]
async fn the_sse_server_option_answers_with_sse() {
    let t = start_with(&[], |o| o.prefer_sse = true).await;
    let s = t.session(CATALOG, None).await;
    let reply = s.request("tools/list", json!({})).await;
    assert_eq!(
        reply.header("content-type").as_deref(),
        Some("text/event-stream")
    );
    assert_eq!(reply.result()["tools"].as_array().unwrap().len(), 2);
}

/// MCP §1.3: GET opens the standalone stream; only one per session; it carries list_changed.
#[tokio::test]
async fn the_get_stream_carries_list_changed_after_a_publish_and_is_unique_per_session() {
    let t = start().await;
    let s = t.session("/acme/storefront", Some(STOREFRONT_CI_KEY)).await;
    let auth = format!("Bearer {STOREFRONT_CI_KEY}");
    let mut stream = t
        .http
        .get(t.url("/acme/storefront"))
        .header("accept", "text/event-stream")
        .header("mcp-session-id", &s.id)
        .header("authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    assert_eq!(
        stream.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let second = t
        .send(
            Method::GET,
            "/acme/storefront",
            &[
                ("accept", "text/event-stream"),
                ("mcp-session-id", &s.id),
                ("authorization", &auth),
            ],
            None,
        )
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT);

    let (status, _) = t
        .admin(
            Method::POST,
            "/_admin/orgs/acme/projects/storefront/publish",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut seen = String::new();
    while !seen.contains("notifications/tools/list_changed") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), stream.chunk())
            .await
            .expect("a notification arrives")
            .unwrap()
            .expect("the stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(
        !seen.contains("\"result\""),
        "the GET stream must not carry responses: {seen}"
    );
}

#[tokio::test]
async fn get_without_event_stream_accept_gets_406_and_other_verbs_get_405() {
    let t = start().await;
    let s = t.session(CATALOG, None).await;
    let reply = t
        .send(
            Method::GET,
            CATALOG,
            &[("accept", "application/json"), ("mcp-session-id", &s.id)],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_ACCEPTABLE);
    let put = t.send(Method::PUT, CATALOG, &[], None).await;
    assert_eq!(put.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(put.header("allow").unwrap().contains("POST"));
}

/// Both URL shapes in the wild serve the same endpoint; unknown orgs and projects are 404.
#[tokio::test]
async fn both_url_shapes_work_and_unknown_projects_are_404() {
    let t = start().await;
    for path in [
        "/acme/catalog",
        "/acme/projects/catalog",
        "/acme/catalog/",
        "/acme/projects/catalog/",
    ] {
        let reply = t.initialize(path, None, "2025-11-25").await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
    }
    for path in [
        "/acme/nope",
        "/nope/catalog",
        "/acme/projects/nope/draft",
        "/a/b/c/d/e",
        "/",
    ] {
        let reply = t.initialize(path, None, "2025-11-25").await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.json()["jsonrpc"], "2.0");
    }
}
