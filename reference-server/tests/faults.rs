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

const STOREFRONT_DRAFT: &str = "/acme/storefront/draft";
const CATALOG_DRAFT: &str = "/acme/catalog/draft";
const V: &str = "2025-11-25";

fn find_tool<'a>(tools: &'a [Value], name: &str) -> Option<&'a Value> {
    tools.iter().find(|t| t["name"] == name)
}

/// Jaccard similarity of the lower-cased word sets of two texts.
fn word_overlap(a: &str, b: &str) -> f64 {
    let words = |s: &str| -> std::collections::BTreeSet<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let (a, b) = (words(a), words(b));
    let union = a.union(&b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(&b).count() as f64 / union as f64
}

/// A tool's description as listed on `path` with `key`.
async fn description(t: &TestServer, path: &str, key: &str, tool: &str) -> String {
    let s = t.session(path, Some(key)).await;
    let tools = s.all_tools().await;
    find_tool(&tools, tool).unwrap()["description"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Starts a task on export_catalog and returns its id.
async fn start_export(s: &Session<'_>) -> Value {
    let created = s
        .result(
            "tools/call",
            json!({"name": "export_catalog", "arguments": {}, "task": {}}),
        )
        .await;
    created["task"]["taskId"].clone()
}

/// The whole OAuth flow for `email` with an existing flow's client (a fresh PKCE pair and state).
async fn connect_with_client(t: &TestServer, client: &Flow, email: &str) -> Value {
    let (verifier, challenge) = pkce_pair();
    let flow = Flow {
        verifier,
        challenge,
        state: format!("st-{email}"),
        ..client.clone()
    };
    let password = format!("{}-pass", email.split('@').next().unwrap());
    let end = t
        .popup(
            &browser(),
            &t.authorize_url(&flow, None),
            email,
            &password,
            "authorize",
        )
        .await;
    let (status, tokens) = t.exchange_code(&flow, &end.query("code").unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    tokens
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
        Fault::PrivateEndpointOpen => {
            if t.initialize(STOREFRONT, None, V).await.status != StatusCode::OK
                || t.initialize(STOREFRONT_DRAFT, None, V).await.status != StatusCode::OK
            {
                return false;
            }
            let s = t.session(STOREFRONT, None).await;
            s.request("tools/call", json!({"name": "search_products", "arguments": {"query": "tea"}}))
                .await
                .json()
                .get("result")
                .is_some()
        }
        Fault::PublicProjectMembersOnly => {
            let anonymous_refused = t.initialize(CATALOG, None, V).await.status == StatusCode::UNAUTHORIZED;
            let flow = t.new_flow(CATALOG).await;
            let end = t.popup(&browser(), &t.authorize_url(&flow, None), "gus@globex.test", "gus-pass", "authorize").await;
            let non_member_refused =
                matches!(&end, PopupEnd::Page { html, .. } if html.contains("not a member") && html.contains("access_denied"));
            anonymous_refused && non_member_refused
        }
        Fault::PublicDraftOpen => t.initialize(CATALOG_DRAFT, None, V).await.status == StatusCode::OK,
        Fault::MembershipCheckedOnlyAtConsent => {
            // A member demoted to Viewer (no execute:mcp) still calls tools…
            let (_, mia) = t.connect("mia@acme.test", STOREFRONT).await;
            t.admin(Method::PUT, "/_admin/orgs/acme/members/mia@acme.test", Some(json!({"role": "Viewer"}))).await;
            let s = t.session(STOREFRONT, mia["access_token"].as_str()).await;
            let demoted_calls = s
                .request("tools/call", json!({"name": "search_products", "arguments": {"query": "tea"}}))
                .await
                .status
                == StatusCode::OK;
            // …and a removed one is still served.
            let (_, dev) = t.connect("dev@acme.test", STOREFRONT).await;
            t.admin(Method::DELETE, "/_admin/orgs/acme/members/dev@acme.test", None).await;
            let removed_served = t.initialize(STOREFRONT, dev["access_token"].as_str(), V).await.status == StatusCode::OK;
            demoted_calls && removed_served
        }
        Fault::ExpiredTokensAccepted => {
            let (_, tokens) = t.connect("mia@acme.test", STOREFRONT).await;
            t.admin(Method::POST, "/_admin/oauth/expire-access-tokens", Some(json!({"user": "mia@acme.test"}))).await;
            t.initialize(STOREFRONT, tokens["access_token"].as_str(), V).await.status == StatusCode::OK
        }
        Fault::DescriptionsOverlap => {
            let mut overlapping = true;
            for path in [STOREFRONT, STOREFRONT_DRAFT] {
                let card = description(t, path, STOREFRONT_CI_KEY, "product_card").await;
                let search = description(t, path, STOREFRONT_CI_KEY, "search_products").await;
                overlapping &= word_overlap(&card, &search) > 0.6;
            }
            overlapping
        }
        Fault::DescriptionTooShort => {
            description(t, STOREFRONT, STOREFRONT_CI_KEY, "check_shipping").await.split_whitespace().count() < 3
        }
        Fault::InstructionsRestateSchema => {
            let result = t.initialize(STOREFRONT, Some(STOREFRONT_CI_KEY), V).await.result();
            let instructions = result["instructions"].as_str().unwrap_or_default();
            instructions.contains("query (string, required)") && !instructions.contains("Never call place_order")
        }
        Fault::UiSkybridgeOnly => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            let tools = s.all_tools().await;
            let meta = &find_tool(&tools, "product_card").unwrap()["_meta"];
            meta["ui"]["resourceUri"].is_null() && meta["openai/outputTemplate"].is_string()
        }
        Fault::UiContentEmpty => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            let r = s.call("product_card", json!({"sku": "TEA-001"})).await;
            r["content"].as_array().is_some_and(Vec::is_empty)
        }
        Fault::AbsentHintsDefaulted => {
            let (status, _) = t
                .admin(Method::PATCH, "/_admin/orgs/acme/projects/storefront/tools/place_order", Some(json!({"annotations": {}})))
                .await;
            assert_eq!(status, StatusCode::OK);
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            let tools = s.all_tools().await;
            find_tool(&tools, "place_order").unwrap()["annotations"]["readOnlyHint"] == true
        }
        Fault::AnnotationEditsNeedPublish => {
            t.admin(
                Method::PATCH,
                "/_admin/orgs/acme/projects/storefront/tools/search_products",
                Some(json!({"description": "Edited live in the studio.", "annotations": {"readOnlyHint": true, "openWorldHint": true}})),
            )
            .await;
            description(t, STOREFRONT, STOREFRONT_CI_KEY, "search_products").await != "Edited live in the studio."
        }
        Fault::PollIntervalMissing => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            let created = s.result("tools/call", json!({"name": "export_catalog", "arguments": {}, "task": {}})).await;
            let got = s.result("tasks/get", json!({"taskId": created["task"]["taskId"]})).await;
            created["task"].get("pollInterval").is_none() && got.get("pollInterval").is_none()
        }
        Fault::OptionalTaskNotCreated => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            let r = s.result("tools/call", json!({"name": "export_catalog", "arguments": {}, "task": {}})).await;
            r.get("task").is_none() && r.get("content").is_some()
        }
        Fault::ForbiddenTaskAccepted => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            let reply = s
                .request("tools/call", json!({"name": "search_products", "arguments": {"query": "tea"}, "task": {}}))
                .await
                .json();
            reply["result"]["task"]["taskId"].is_string()
        }
        Fault::FailedTaskReportedCompleted => {
            t.admin(Method::PATCH, "/_admin/orgs/acme/projects/storefront/tools/export_catalog/behaviour", Some(json!({"fail": true})))
                .await;
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            let id = start_export(&s).await;
            let result = s.result("tasks/result", json!({"taskId": id})).await;
            assert_eq!(result["isError"], true);
            s.result("tasks/get", json!({"taskId": id})).await["status"] == "completed"
        }
        Fault::CancelIgnored => {
            t.admin(
                Method::PATCH,
                "/_admin/orgs/acme/projects/storefront/tools/export_catalog/behaviour",
                Some(json!({"duration_ms": 1500})),
            )
            .await;
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            let id = start_export(&s).await;
            let cancelled = s.result("tasks/cancel", json!({"taskId": id})).await;
            let later = s.result("tasks/get", json!({"taskId": id})).await;
            cancelled["status"] == "working" && later["status"] != "cancelled"
        }
        Fault::TaskTtlIgnored => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            let id = start_export(&s).await;
            s.result("tasks/result", json!({"taskId": id})).await;
            let (status, body) = t.admin(Method::POST, "/_admin/orgs/acme/projects/storefront/tasks/expire", None).await;
            assert_eq!((status, body["expired"].as_u64()), (StatusCode::OK, Some(1)));
            s.request("tasks/get", json!({"taskId": id})).await.json().get("result").is_some()
        }
        Fault::ToolsListCachedPerSession => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            s.all_tools().await;
            t.admin(
                Method::PATCH,
                "/_admin/orgs/acme/projects/storefront/tools/search_products",
                Some(json!({"description": "Edited live in the studio."})),
            )
            .await;
            let tools = s.all_tools().await;
            find_tool(&tools, "search_products").unwrap()["description"] != "Edited live in the studio."
        }
        Fault::InstructionsFrozenAtPublish => {
            t.admin(
                Method::PUT,
                "/_admin/orgs/acme/projects/storefront/instructions",
                Some(json!({"instructions": "Edited instructions."})),
            )
            .await;
            let result = t.initialize(STOREFRONT, Some(STOREFRONT_CI_KEY), V).await.result();
            result["instructions"] != "Edited instructions."
        }
        Fault::DraftScopeNotGranted => {
            let (_, tokens) = t.connect("dev@acme.test", STOREFRONT_DRAFT).await;
            let s = t.session(STOREFRONT_DRAFT, tokens["access_token"].as_str()).await;
            s.request("tools/call", json!({"name": "search_products", "arguments": {"query": "tea"}}))
                .await
                .status
                == StatusCode::FORBIDDEN
        }
        Fault::RevocationRevokesAllGrants => {
            let client = t.new_flow(STOREFRONT).await;
            connect_with_client(t, &client, "mia@acme.test").await;
            let dev = connect_with_client(t, &client, "dev@acme.test").await;
            let (_, grants) = t.admin(Method::GET, "/_admin/orgs/acme/authorized-apps?user=mia@acme.test", None).await;
            let id = grants["grants"][0]["id"].as_str().unwrap().to_owned();
            t.admin(Method::DELETE, &format!("/_admin/orgs/acme/authorized-apps/{id}"), None).await;
            t.initialize(STOREFRONT, dev["access_token"].as_str(), V).await.status == StatusCode::UNAUTHORIZED
        }
        Fault::LoginSessionNotKept => {
            let b = browser();
            let first = t.new_flow(STOREFRONT).await;
            t.popup(&b, &t.authorize_url(&first, None), "mia@acme.test", "mia-pass", "authorize").await.redirect();
            let second = t.new_flow(STOREFRONT).await;
            let response = b.get(t.authorize_url(&second, None)).send().await.unwrap();
            let location = response.headers()["location"].to_str().unwrap().to_owned();
            location.starts_with("/oauth/login")
        }
        Fault::ApiKeyRevocationIgnored => {
            let (status, _) =
                t.admin(Method::DELETE, "/_admin/orgs/acme/projects/storefront/api-keys/storefront-kiosk", None).await;
            assert_eq!(status, StatusCode::OK);
            t.initialize(STOREFRONT, Some(STOREFRONT_KIOSK_KEY), V).await.status == StatusCode::OK
        }
        Fault::ApiKeyProjectNotChecked => t.initialize(STOREFRONT, Some(LEDGER_KEY), V).await.status == StatusCode::OK,
        Fault::EnvironmentNotChecked => {
            // A production token on the draft of the same project.
            let (_, tokens) = t.connect("dev@acme.test", STOREFRONT).await;
            let token = tokens["access_token"].as_str().unwrap();
            if t.initialize("/acme/storefront/draft", Some(token), V).await.status != StatusCode::OK {
                return false;
            }
            let s = t.session("/acme/storefront/draft", Some(token)).await;
            let reply = s
                .request("tools/call", json!({"name": "compare_products", "arguments": {"sku_a": "TEA-001", "sku_b": "MUG-010"}}))
                .await;
            reply.status == StatusCode::OK && reply.json().get("result").is_some()
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
        Fault::ResponseIdWrong => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            let body = s.request("tools/list", json!({})).await.json();
            body["id"].is_string()
        }
        Fault::UnknownMethodNotError => {
            let s = t.session(CATALOG, None).await;
            s.request("metabind/no-such-method", json!({})).await.json().get("result").is_some()
        }
        Fault::ResponseContentTypeWrong => {
            let reply = t.initialize(CATALOG, None, V).await;
            reply.header("content-type").is_some_and(|c| c.starts_with("text/plain"))
        }
        Fault::GetNotSupported => {
            // Without a session a clean server answers 405 at once (no stream to wait on).
            t.send(Method::GET, CATALOG, &[("accept", "text/event-stream")], None)
                .await
                .status
                == StatusCode::NOT_FOUND
        }
        Fault::SessionIdNotAscii => {
            let reply = t.initialize(CATALOG, None, V).await;
            reply.header("mcp-session-id").is_some_and(|id| id.contains(' '))
        }
        Fault::ServerInfoMissing => t.initialize(CATALOG, None, V).await.result().get("serverInfo").is_none(),
        Fault::ToolsCapabilityMissing => {
            t.initialize(CATALOG, None, V).await.result()["capabilities"].get("tools").is_none()
        }
        Fault::TasksCapabilityMissing => {
            t.initialize(STOREFRONT, Some(STOREFRONT_CI_KEY), V).await.result()["capabilities"]
                .get("tasks")
                .is_none()
        }
        Fault::HugeResponse => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            s.request("tools/list", json!({})).await.text.len() > 5 << 20
        }
        Fault::ToolNameInvalid => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            s.tool_names().await.iter().any(|n| n.contains(' '))
        }
        Fault::SchemaInvalid => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            let tools = s.all_tools().await;
            find_tool(&tools, "search_products").unwrap()["inputSchema"]["properties"]["query"]["type"] == "strng"
        }
        Fault::UnknownTaskNotError => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            s.request("tasks/get", json!({"taskId": "no-such-task"})).await.json().get("result").is_some()
        }
        Fault::SessionAuthenticates => {
            let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
            t.post(
                STOREFRONT,
                &[("mcp-session-id", &s.id), ("mcp-protocol-version", V)],
                &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
            )
            .await
            .status
                == StatusCode::OK
        }
        Fault::TokenInQueryAccepted => {
            let path = format!("{STOREFRONT}?access_token={STOREFRONT_CI_KEY}");
            t.post(
                &path,
                &[],
                &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                    "protocolVersion": V, "capabilities": {}, "clientInfo": {"name": "p", "version": "1"}}}),
            )
            .await
            .status
                == StatusCode::OK
        }
        Fault::PrmNoAuthorizationServers => {
            let prm = t.get_json("/.well-known/oauth-protected-resource/acme/storefront").await;
            prm["authorization_servers"].as_array().is_some_and(Vec::is_empty)
        }
        Fault::IssuerMismatch => {
            let metadata = t.get_json("/.well-known/oauth-authorization-server").await;
            let prm = t.get_json("/.well-known/oauth-protected-resource/acme/storefront").await;
            metadata["issuer"] != prm["authorization_servers"][0]
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
    let mut problems = Vec::new();
    for fault in Fault::ALL.iter().copied() {
        // A fresh clean server per probe: some probes change the world (roles, keys, tool edits).
        let clean = start().await;
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
