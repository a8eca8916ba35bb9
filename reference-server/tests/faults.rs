//! Every named fault is real: a probe that tells the bug apart sees correct behaviour on a clean server
//! and the bug on a server started with that fault. The `match` is exhaustive, so a new fault cannot be
//! added without a probe.

mod common;

use std::time::Duration;

use common::*;
use metabind_reference_server::Fault;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const STOREFRONT: &str = "/acme/storefront";
const CATALOG: &str = "/acme/catalog";

fn find_tool<'a>(tools: &'a [Value], name: &str) -> Option<&'a Value> {
    tools.iter().find(|t| t["name"] == name)
}

/// True when the server shows the bug `fault` describes.
async fn misbehaves(fault: Fault, t: &TestServer) -> bool {
    match fault {
        Fault::SessionNotRequired => {
            t.post(CATALOG, &[], &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
                .await
                .status
                == StatusCode::OK
        }
        Fault::SessionNotBound => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            let other = format!("Bearer {STOREFRONT_KIOSK_KEY}");
            t.post(
                STOREFRONT,
                &[("mcp-session-id", &s.id), ("authorization", &other)],
                &json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
            )
            .await
            .status
                != StatusCode::NOT_FOUND
        }
        Fault::SessionNotEnded => {
            let s = t.session(CATALOG, None).await;
            t.send(Method::DELETE, CATALOG, &[("mcp-session-id", &s.id)], None).await;
            s.request("ping", json!({})).await.status == StatusCode::OK
        }
        Fault::BadJson500 => {
            let s = t.session(CATALOG, None).await;
            let reply = t
                .send(
                    Method::POST,
                    CATALOG,
                    &[("content-type", "application/json"), ("accept", ACCEPT_BOTH), ("mcp-session-id", &s.id)],
                    Some("{bad".into()),
                )
                .await;
            reply.status.is_server_error()
        }
        Fault::BatchAccepted => {
            let s = t.session(CATALOG, None).await;
            s.send_body(&json!([{"jsonrpc": "2.0", "id": 1, "method": "ping"}]))
                .await
                .status
                == StatusCode::OK
        }
        Fault::NotificationGets200 => {
            let s = t.session(CATALOG, None).await;
            s.notify("notifications/cancelled", json!({"requestId": 1})).await.status != StatusCode::ACCEPTED
        }
        Fault::ProtocolVersionNotChecked => {
            let s = t.session(CATALOG, None).await;
            t.post(
                CATALOG,
                &[("mcp-session-id", &s.id), ("mcp-protocol-version", "1999-01-01")],
                &json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
            )
            .await
            .status
                == StatusCode::OK
        }
        Fault::OriginNotChecked => {
            t.post(
                CATALOG,
                &[("host", "evil.example.com"), ("origin", "http://evil.example.com")],
                &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "p", "version": "1"}}}),
            )
            .await
            .status
            .is_success()
        }
        Fault::InstructionsMissing => t
            .initialize(STOREFRONT, Some(STOREFRONT_CI_KEY), "2025-11-25")
            .await
            .result()
            .get("instructions")
            .is_none(),
        Fault::PaginationRepeats => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            let first = s.result("tools/list", json!({})).await;
            let second = s.result("tools/list", json!({"cursor": first["nextCursor"]})).await;
            first["tools"] == second["tools"]
        }
        Fault::CursorNotValidated => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            s.request("tools/list", json!({"cursor": "garbage"})).await.json().get("result").is_some()
        }
        Fault::WrongAnnotations => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            let tools = s.all_tools().await;
            find_tool(&tools, "place_order").unwrap()["annotations"]["readOnlyHint"] == true
        }
        Fault::OpenWorldHintWrong => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            let tools = s.all_tools().await;
            find_tool(&tools, "check_shipping").unwrap()["annotations"]["openWorldHint"] == false
        }
        Fault::ContradictoryAnnotations => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            let tools = s.all_tools().await;
            let a = &find_tool(&tools, "export_catalog").unwrap()["annotations"];
            a["readOnlyHint"] == true && a["destructiveHint"] == true
        }
        Fault::InputSchemaNotObject => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            let tools = s.all_tools().await;
            find_tool(&tools, "search_products").unwrap()["inputSchema"].get("type").is_none()
        }
        Fault::DraftToolLeaks => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            s.tool_names().await.contains(&"compare_products".to_owned())
        }
        Fault::UnknownToolNotError => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            s.request("tools/call", json!({"name": "nope", "arguments": {}})).await.json().get("result").is_some()
        }
        Fault::InputNotValidated => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            s.call("search_products", json!({"query": 7})).await["isError"] == false
        }
        Fault::TextMirrorMissing => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            let r = s.call("search_products", json!({"query": "tea"})).await;
            !r["content"].as_array().unwrap().iter().any(|c| {
                c["text"].as_str().and_then(|t| serde_json::from_str::<Value>(t).ok()).as_ref()
                    == Some(&r["structuredContent"])
            })
        }
        Fault::OutputSchemaViolated => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            s.call("search_products", json!({"query": "tea"})).await["structuredContent"].get("count").is_none()
        }
        Fault::TaskSupportIgnored => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            s.request("tools/call", json!({"name": "build_sales_report", "arguments": {"period": "week"}}))
                .await
                .json()
                .get("result")
                .is_some()
        }
        Fault::TaskNeverCompletes => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            let created = s
                .result("tools/call", json!({"name": "export_catalog", "arguments": {}, "task": {}}))
                .await;
            // The tool takes 200 ms; a result that has not come after 5 s is not coming.
            tokio::time::timeout(
                Duration::from_secs(5),
                s.request("tasks/result", json!({"taskId": created["task"]["taskId"]})),
            )
            .await
            .is_err()
        }
        Fault::TaskResultEarly => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            let created = s
                .result("tools/call", json!({"name": "build_sales_report", "arguments": {"period": "week"}, "task": {}}))
                .await;
            let result = s.result("tasks/result", json!({"taskId": created["task"]["taskId"]})).await;
            result.get("structuredContent").is_none()
        }
        Fault::RelatedTaskMetaMissing => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            let created = s
                .result("tools/call", json!({"name": "export_catalog", "arguments": {}, "task": {}}))
                .await;
            let result = s.result("tasks/result", json!({"taskId": created["task"]["taskId"]})).await;
            result["_meta"].get("io.modelcontextprotocol/related-task").is_none()
        }
        Fault::CancelTerminalAccepted => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            let created = s
                .result("tools/call", json!({"name": "export_catalog", "arguments": {}, "task": {}}))
                .await;
            let id = created["task"]["taskId"].clone();
            s.result("tasks/result", json!({"taskId": id})).await;
            s.request("tasks/cancel", json!({"taskId": id})).await.json().get("result").is_some()
        }
        Fault::TasksNotBound => {
            let owner = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            let other = t.session(STOREFRONT, Some(STOREFRONT_KIOSK_KEY)).await;
            let created = owner
                .result("tools/call", json!({"name": "export_catalog", "arguments": {}, "task": {}}))
                .await;
            other
                .request("tasks/get", json!({"taskId": created["task"]["taskId"]}))
                .await
                .json()
                .get("result")
                .is_some()
        }
        Fault::UiResourceMissing => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            s.request("resources/read", json!({"uri": "ui://storefront/product-card.html"}))
                .await
                .json()
                .get("error")
                .is_some()
        }
        Fault::PkceNotEnforced => {
            let flow = t.new_flow(STOREFRONT).await;
            let url = t.authorize_url(&flow, None).replace("&code_challenge_method=S256", "&code_challenge_method=plain");
            let location = t.http.get(url).send().await.unwrap().headers()["location"].to_str().unwrap().to_owned();
            location.starts_with("/oauth/login")
        }
        Fault::RedirectUriNotChecked => {
            let flow = t.new_flow(STOREFRONT).await;
            let url = t.authorize_url(&flow, None).replace("chatgpt.com", "evil.example");
            t.http.get(url).send().await.unwrap().status().is_redirection()
        }
        Fault::StateDropped => {
            let flow = t.new_flow(STOREFRONT).await;
            let end = t.popup(&browser(), &t.authorize_url(&flow, None), "mia@acme.test", "mia-pass", "authorize").await;
            end.query("state").is_none()
        }
        Fault::IssMissing => {
            let flow = t.new_flow(STOREFRONT).await;
            let end = t.popup(&browser(), &t.authorize_url(&flow, None), "mia@acme.test", "mia-pass", "authorize").await;
            end.query("iss").is_none()
        }
        Fault::AudienceNotChecked => {
            let (_, tokens) = t.connect("olivia@acme.test", STOREFRONT).await;
            let token = tokens["access_token"].as_str().unwrap();
            t.initialize("/acme/storefront/draft", Some(token), "2025-11-25").await.status == StatusCode::OK
        }
        Fault::RevocationIgnored => {
            let (_, tokens) = t.connect("mia@acme.test", STOREFRONT).await;
            let token = tokens["access_token"].as_str().unwrap();
            let (_, grants) = t.admin(Method::GET, "/_admin/orgs/acme/authorized-apps?user=mia@acme.test", None).await;
            let id = grants["grants"][0]["id"].as_str().unwrap().to_owned();
            t.admin(Method::DELETE, &format!("/_admin/orgs/acme/authorized-apps/{id}"), None).await;
            t.initialize(STOREFRONT, Some(token), "2025-11-25").await.status == StatusCode::OK
        }
        Fault::NonMemberAllowed => {
            let flow = t.new_flow(STOREFRONT).await;
            let end = t.popup(&browser(), &t.authorize_url(&flow, None), "gus@globex.test", "gus-pass", "authorize").await;
            matches!(&end, PopupEnd::Redirected(_)) && end.query("code").is_some()
        }
        Fault::ScopeNotEnforced => {
            let (_, tokens) = t.connect("vic@acme.test", STOREFRONT).await;
            let s = t.session(STOREFRONT, tokens["access_token"].as_str()).await;
            s.request("tools/call", json!({"name": "search_products", "arguments": {"query": "tea"}})).await.status == StatusCode::OK
        }
        Fault::RefreshNotRotated => {
            let (flow, tokens) = t.connect("mia@acme.test", STOREFRONT).await;
            let first = tokens["refresh_token"].as_str().unwrap().to_owned();
            t.refresh(&flow, &first).await;
            t.refresh(&flow, &first).await.0 == StatusCode::OK
        }
        Fault::NoWwwAuthenticate => t
            .initialize(STOREFRONT, None, "2025-11-25")
            .await
            .header("www-authenticate")
            .is_none(),
        Fault::PrmResourceWrong => {
            let prm = t.get_json("/.well-known/oauth-protected-resource/acme/storefront").await;
            prm["resource"] != t.url(STOREFRONT)
        }
        Fault::S256NotAdvertised => {
            let metadata = t.get_json("/.well-known/oauth-authorization-server").await;
            metadata.get("code_challenge_methods_supported").is_none()
        }
        Fault::UiWrongMimeType => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            let r = s.result("resources/read", json!({"uri": "ui://storefront/product-card.html"})).await;
            r["contents"][0]["mimeType"] != "text/html;profile=mcp-app"
        }
        Fault::UiScriptError => {
            // The view reads a global nothing defines: a TypeError on load, in a browser.
            let view = read_view(t, "ui://storefront/product-card.html").await;
            view["text"].as_str().unwrap_or_default().contains("window.productRating.toFixed")
        }
        Fault::UiCspBlocksOwnAsset => {
            // The view loads from an origin its declared CSP does not list.
            let view = read_view(t, "ui://storefront/product-card.html").await;
            let declared = view["_meta"]["ui"]["csp"]["resourceDomains"].to_string();
            view["text"].as_str().unwrap_or_default().contains("https://assets.acme.test/")
                && !declared.contains("https://assets.acme.test")
        }
        Fault::UiHandshakeSilent => {
            // The MCP Apps view never posts ui/initialize.
            let view = read_view(t, "ui://storefront/product-card.html").await;
            !view["text"].as_str().unwrap_or_default().contains("ui/initialize")
        }
    }
}

/// The first content entry of `resources/read` for `uri` on the storefront.
async fn read_view(t: &TestServer, uri: &str) -> Value {
    let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
    s.result("resources/read", json!({"uri": uri})).await["contents"][0].clone()
}

#[tokio::test]
async fn every_fault_is_observable_and_absent_from_a_clean_server() {
    let clean = start().await;
    let mut problems = Vec::new();
    for fault in Fault::ALL.iter().copied() {
        if misbehaves(fault, &clean).await {
            problems.push(format!("{fault}: the clean server already shows this bug"));
        }
        let faulty = start_with_faults(&[fault]).await;
        if !misbehaves(fault, &faulty).await {
            problems.push(format!("{fault}: the faulty server behaves correctly"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn the_admin_api_names_the_active_faults() {
    let t = start_with_faults(&[Fault::WrongAnnotations, Fault::BadJson500]).await;
    let (status, body) = t.admin(Method::GET, "/_admin/faults", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["faults"], json!(["bad-json-500", "wrong-annotations"]));
}
