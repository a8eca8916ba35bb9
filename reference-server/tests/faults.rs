//! Every named fault is real: a probe that tells the bug apart sees correct behaviour on a clean server
//! and the bug on a server started with that fault, in both worlds the server ships (the default one and
//! the second one, which shares no name with it: the faults act on what tools declare, not on names).
//! The `match` is exhaustive, so a new fault cannot be added without a probe; that single match is why
//! this file is long.

mod common;

use std::time::Duration;

use common::*;
use metabind_reference_server::Fault;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

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

/// The main project's production tools as its developer key lists them.
async fn main_tools(t: &TestServer) -> Vec<Value> {
    let s = t.session(&t.world.main(), Some(t.world.main_key)).await;
    s.all_tools().await
}

/// `tools/call` of `tool` with its working arguments, as sent.
fn call_of(tool: ToolRef) -> Value {
    json!({"name": tool.name, "arguments": tool.args()})
}

/// Starts a task on the task-optional tool and returns its id.
async fn start_optional_task(s: &Session<'_>) -> Value {
    let name = s.server.world.task_optional;
    let created = s
        .result(
            "tools/call",
            json!({"name": name, "arguments": {}, "task": {}}),
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
    let password = (t.world.password)(email);
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

/// Where the popup of `email` for a fresh client on `path` ends.
async fn popup_for(t: &TestServer, path: &str, email: &str) -> PopupEnd {
    let flow = t.new_flow(path).await;
    let password = (t.world.password)(email);
    t.popup(
        &browser(),
        &t.authorize_url(&flow, None),
        email,
        &password,
        "authorize",
    )
    .await
}

/// Revokes the first grant of `email` in the world's organization through Authorized apps.
async fn revoke_first_grant(t: &TestServer, email: &str) {
    let org = t.world.org;
    let (_, grants) = t
        .admin(
            Method::GET,
            &format!("/_admin/orgs/{org}/authorized-apps?user={email}"),
            None,
        )
        .await;
    let id = grants["grants"][0]["id"].as_str().unwrap().to_owned();
    t.admin(
        Method::DELETE,
        &format!("/_admin/orgs/{org}/authorized-apps/{id}"),
        None,
    )
    .await;
}

/// True when the server shows the bug `fault` describes.
async fn misbehaves(fault: Fault, t: &TestServer) -> bool {
    let w = t.world;
    let (main, main_draft) = (w.main(), w.main_draft());
    let (public, public_draft) = (w.public(), w.public_draft());
    let (main, main_draft, public) = (main.as_str(), main_draft.as_str(), public.as_str());
    let key = Some(w.main_key);
    let prm_path = format!("/.well-known/oauth-protected-resource{main}");
    match fault {
        Fault::SessionMissing404 => {
            t.session(public, None).await;
            t.post(public, &[], &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
                .await
                .status
                == StatusCode::NOT_FOUND
        }
        Fault::SessionRequired => {
            t.session(public, None).await;
            t.post(public, &[], &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
                .await
                .status
                == StatusCode::BAD_REQUEST
        }
        Fault::ProtocolVersionHeaderRequired => {
            let s = t.session(public, None).await;
            t.post(
                public,
                &[("mcp-session-id", &s.id)],
                &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
            )
            .await
            .status
                == StatusCode::BAD_REQUEST
        }
        Fault::SessionNotBound => {
            let s = t.session(main, key).await;
            let other = format!("Bearer {}", w.kiosk_key);
            t.post(
                main,
                &[("mcp-session-id", &s.id), ("authorization", &other)],
                &json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
            )
            .await
            .status
                != StatusCode::NOT_FOUND
        }
        Fault::SessionNotEnded => {
            let s = t.session(public, None).await;
            t.send(Method::DELETE, public, &[("mcp-session-id", &s.id)], None).await;
            s.request("ping", json!({})).await.status == StatusCode::OK
        }
        Fault::BadJson500 => {
            let s = t.session(public, None).await;
            let reply = t
                .send(
                    Method::POST,
                    public,
                    &[("content-type", "application/json"), ("accept", ACCEPT_BOTH), ("mcp-session-id", &s.id)],
                    Some("{bad".into()),
                )
                .await;
            reply.status.is_server_error()
        }
        Fault::BatchAccepted => {
            let s = t.session(public, None).await;
            s.send_body(&json!([{"jsonrpc": "2.0", "id": 1, "method": "ping"}])).await.status == StatusCode::OK
        }
        Fault::NotificationGets200 => {
            let s = t.session(public, None).await;
            s.notify("notifications/cancelled", json!({"requestId": 1})).await.status != StatusCode::ACCEPTED
        }
        Fault::ProtocolVersionNotChecked => {
            let s = t.session(public, None).await;
            t.post(
                public,
                &[("mcp-session-id", &s.id), ("mcp-protocol-version", "1999-01-01")],
                &json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
            )
            .await
            .status
                == StatusCode::OK
        }
        Fault::OriginNotChecked => t
            .post(
                public,
                &[("host", "evil.example.com"), ("origin", "http://evil.example.com")],
                &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                    "protocolVersion": V, "capabilities": {}, "clientInfo": {"name": "p", "version": "1"}}}),
            )
            .await
            .status
            .is_success(),
        Fault::InstructionsMissing => t.initialize(main, key, V).await.result().get("instructions").is_none(),
        Fault::PaginationRepeats => {
            let s = t.session(main, key).await;
            let first = s.result("tools/list", json!({})).await;
            let second = s.result("tools/list", json!({"cursor": first["nextCursor"]})).await;
            first["tools"] == second["tools"]
        }
        Fault::CursorNotValidated => {
            let s = t.session(main, key).await;
            s.request("tools/list", json!({"cursor": "garbage"})).await.json().get("result").is_some()
        }
        Fault::WrongAnnotations => {
            let tools = main_tools(t).await;
            find_tool(&tools, w.destructive).unwrap()["annotations"]["readOnlyHint"] == true
        }
        Fault::OpenWorldHintWrong => {
            let tools = main_tools(t).await;
            find_tool(&tools, w.open_world).unwrap()["annotations"]["openWorldHint"] == false
        }
        Fault::ContradictoryAnnotations => {
            let tools = main_tools(t).await;
            let a = &find_tool(&tools, w.task_optional).unwrap()["annotations"];
            a["readOnlyHint"] == true && a["destructiveHint"] == true
        }
        Fault::InputSchemaNotObject => {
            let tools = main_tools(t).await;
            find_tool(&tools, w.search.name).unwrap()["inputSchema"].get("type").is_none()
        }
        Fault::DraftToolLeaks => {
            let s = t.session(main, key).await;
            s.tool_names().await.contains(&w.draft_only.name.to_owned())
        }
        Fault::UnknownToolNotError => {
            let s = t.session(main, key).await;
            s.request("tools/call", json!({"name": "nope", "arguments": {}})).await.json().get("result").is_some()
        }
        Fault::InputNotValidated => {
            let s = t.session(main, key).await;
            s.call(w.search.name, json!({ w.search_arg: 7 })).await["isError"] == false
        }
        Fault::TextMirrorMissing => {
            let s = t.session(main, key).await;
            let r = s.result("tools/call", call_of(w.search)).await;
            !r["content"].as_array().unwrap().iter().any(|c| {
                c["text"].as_str().and_then(|t| serde_json::from_str::<Value>(t).ok()).as_ref()
                    == Some(&r["structuredContent"])
            })
        }
        Fault::OutputSchemaViolated => {
            let s = t.session(main, key).await;
            s.result("tools/call", call_of(w.search)).await["structuredContent"].get("count").is_none()
        }
        Fault::TaskSupportIgnored => {
            let s = t.session(main, key).await;
            s.request("tools/call", call_of(w.task_required)).await.json().get("result").is_some()
        }
        Fault::TaskNeverCompletes => {
            let s = t.session(main, key).await;
            let id = start_optional_task(&s).await;
            // The tool takes 200 ms; a result that has not come after 5 s is not coming.
            tokio::time::timeout(Duration::from_secs(5), s.request("tasks/result", json!({"taskId": id})))
                .await
                .is_err()
        }
        Fault::TaskResultEarly => {
            let s = t.session(main, key).await;
            let mut call = call_of(w.task_required);
            call["task"] = json!({});
            let created = s.result("tools/call", call).await;
            let result = s.result("tasks/result", json!({"taskId": created["task"]["taskId"]})).await;
            result.get("structuredContent").is_none()
        }
        Fault::RelatedTaskMetaMissing => {
            let s = t.session(main, key).await;
            let id = start_optional_task(&s).await;
            let result = s.result("tasks/result", json!({"taskId": id})).await;
            result["_meta"].get("io.modelcontextprotocol/related-task").is_none()
        }
        Fault::CancelTerminalAccepted => {
            let s = t.session(main, key).await;
            let id = start_optional_task(&s).await;
            s.result("tasks/result", json!({"taskId": id})).await;
            s.request("tasks/cancel", json!({"taskId": id})).await.json().get("result").is_some()
        }
        Fault::TasksNotBound => {
            let owner = t.session(main, key).await;
            let other = t.session(main, Some(w.kiosk_key)).await;
            let id = start_optional_task(&owner).await;
            other.request("tasks/get", json!({"taskId": id})).await.json().get("result").is_some()
        }
        Fault::UiResourceMissing => {
            let s = t.session(main, key).await;
            s.request("resources/read", json!({"uri": w.ui_resource})).await.json().get("error").is_some()
        }
        Fault::PkceNotEnforced => {
            let flow = t.new_flow(main).await;
            let url = t.authorize_url(&flow, None).replace("&code_challenge_method=S256", "&code_challenge_method=plain");
            let location = t.http.get(url).send().await.unwrap().headers()["location"].to_str().unwrap().to_owned();
            location.starts_with("/oauth/login")
        }
        Fault::RedirectUriNotChecked => {
            let flow = t.new_flow(main).await;
            let url = t.authorize_url(&flow, None).replace("chatgpt.com", "evil.example");
            t.http.get(url).send().await.unwrap().status().is_redirection()
        }
        Fault::StateDropped => popup_for(t, main, w.runner).await.query("state").is_none(),
        Fault::IssMissing => popup_for(t, main, w.runner).await.query("iss").is_none(),
        Fault::AudienceNotChecked => {
            let (_, tokens) = t.connect(w.owner, main).await;
            t.initialize(main_draft, tokens["access_token"].as_str(), V).await.status == StatusCode::OK
        }
        Fault::RevocationIgnored => {
            let (_, tokens) = t.connect(w.runner, main).await;
            revoke_first_grant(t, w.runner).await;
            t.initialize(main, tokens["access_token"].as_str(), V).await.status == StatusCode::OK
        }
        Fault::NonMemberAllowed => {
            let end = popup_for(t, main, w.outsider).await;
            matches!(&end, PopupEnd::Redirected(_)) && end.query("code").is_some()
        }
        Fault::ScopeNotEnforced => {
            let (_, tokens) = t.connect(w.viewer, main).await;
            let s = t.session(main, tokens["access_token"].as_str()).await;
            s.request("tools/call", call_of(w.search)).await.status == StatusCode::OK
        }
        Fault::RefreshNotRotated => {
            let (flow, tokens) = t.connect(w.runner, main).await;
            let first = tokens["refresh_token"].as_str().unwrap().to_owned();
            t.refresh(&flow, &first).await;
            t.refresh(&flow, &first).await.0 == StatusCode::OK
        }
        Fault::NoWwwAuthenticate => t.initialize(main, None, V).await.header("www-authenticate").is_none(),
        Fault::PrmResourceWrong => t.get_json(&prm_path).await["resource"] != t.url(main),
        Fault::S256NotAdvertised => {
            let metadata = t.get_json("/.well-known/oauth-authorization-server").await;
            metadata.get("code_challenge_methods_supported").is_none()
        }
        Fault::UiDomainPlain => read_view(t).await["_meta"]["ui"]["domain"] == "https://widgets.metabind.test",
        Fault::UiWrongMimeType => {
            let s = t.session(main, key).await;
            let r = s.result("resources/read", json!({"uri": w.ui_resource})).await;
            r["contents"][0]["mimeType"] != "text/html;profile=mcp-app"
        }
        Fault::PrivateEndpointOpen => {
            if t.initialize(main, None, V).await.status != StatusCode::OK
                || t.initialize(main_draft, None, V).await.status != StatusCode::OK
            {
                return false;
            }
            let s = t.session(main, None).await;
            s.request("tools/call", call_of(w.search)).await.json().get("result").is_some()
        }
        Fault::PublicProjectMembersOnly => {
            let anonymous_refused = t.initialize(public, None, V).await.status == StatusCode::UNAUTHORIZED;
            let end = popup_for(t, public, w.outsider).await;
            let non_member_refused =
                matches!(&end, PopupEnd::Page { html, .. } if html.contains("not a member") && html.contains("access_denied"));
            anonymous_refused && non_member_refused
        }
        Fault::PublicDraftOpen => t.initialize(&public_draft, None, V).await.status == StatusCode::OK,
        Fault::MembershipCheckedOnlyAtConsent => {
            // A member demoted to a read-only role (no execute scope) still calls tools…
            let (_, runner) = t.connect(w.runner, main).await;
            let member = format!("/_admin/orgs/{}/members/{}", w.org, w.runner);
            t.admin(Method::PUT, &member, Some(json!({"role": w.viewer_role}))).await;
            let s = t.session(main, runner["access_token"].as_str()).await;
            let demoted_calls = s.request("tools/call", call_of(w.search)).await.status == StatusCode::OK;
            // …and a removed one is still served.
            let (_, dev) = t.connect(w.developer, main).await;
            t.admin(Method::DELETE, &format!("/_admin/orgs/{}/members/{}", w.org, w.developer), None).await;
            let removed_served = t.initialize(main, dev["access_token"].as_str(), V).await.status == StatusCode::OK;
            demoted_calls && removed_served
        }
        Fault::ExpiredTokensAccepted => {
            let (_, tokens) = t.connect(w.runner, main).await;
            t.admin(Method::POST, "/_admin/oauth/expire-access-tokens", Some(json!({"user": w.runner}))).await;
            t.initialize(main, tokens["access_token"].as_str(), V).await.status == StatusCode::OK
        }
        Fault::DescriptionsOverlap => {
            let mut overlapping = true;
            for path in [main, main_draft] {
                let ui = description(t, path, w.main_key, w.ui.name).await;
                let search = description(t, path, w.main_key, w.search.name).await;
                overlapping &= word_overlap(&ui, &search) > 0.6;
            }
            overlapping
        }
        Fault::DescriptionTooShort => {
            description(t, main, w.main_key, w.open_world).await.split_whitespace().count() < 3
        }
        Fault::InstructionsRestateSchema => {
            let result = t.initialize(main, key, V).await.result();
            let instructions = result["instructions"].as_str().unwrap_or_default();
            instructions.contains(&format!("{} (string, required)", w.search_arg))
                && !instructions.contains(w.instructions_marker)
        }
        Fault::UiSkybridgeOnly => {
            let tools = main_tools(t).await;
            let meta = &find_tool(&tools, w.ui.name).unwrap()["_meta"];
            meta["ui"]["resourceUri"].is_null() && meta["openai/outputTemplate"].is_string()
        }
        Fault::UiContentEmpty => {
            let s = t.session(main, key).await;
            let r = s.result("tools/call", call_of(w.ui)).await;
            r["content"].as_array().is_some_and(Vec::is_empty)
        }
        Fault::AbsentHintsDefaulted => {
            let path = w.admin_main(&format!("/tools/{}", w.destructive));
            let (status, _) = t.admin(Method::PATCH, &path, Some(json!({"annotations": {}}))).await;
            assert_eq!(status, StatusCode::OK);
            let tools = main_tools(t).await;
            find_tool(&tools, w.destructive).unwrap()["annotations"]["readOnlyHint"] == true
        }
        Fault::AnnotationEditsNeedPublish => {
            t.admin(
                Method::PATCH,
                &w.admin_main(&format!("/tools/{}", w.search.name)),
                Some(json!({"description": "Edited live in the studio.", "annotations": {"readOnlyHint": true, "openWorldHint": true}})),
            )
            .await;
            description(t, main, w.main_key, w.search.name).await != "Edited live in the studio."
        }
        Fault::PollIntervalMissing => {
            let s = t.session(main, key).await;
            let created = s
                .result("tools/call", json!({"name": w.task_optional, "arguments": {}, "task": {}}))
                .await;
            let got = s.result("tasks/get", json!({"taskId": created["task"]["taskId"]})).await;
            created["task"].get("pollInterval").is_none() && got.get("pollInterval").is_none()
        }
        Fault::OptionalTaskNotCreated => {
            let s = t.session(main, key).await;
            let r = s
                .result("tools/call", json!({"name": w.task_optional, "arguments": {}, "task": {}}))
                .await;
            r.get("task").is_none() && r.get("content").is_some()
        }
        Fault::ForbiddenTaskAccepted => {
            let s = t.session(main, key).await;
            let mut call = call_of(w.search);
            call["task"] = json!({});
            s.request("tools/call", call).await.json()["result"]["task"]["taskId"].is_string()
        }
        Fault::FailedTaskReportedCompleted => {
            let behaviour = w.admin_main(&format!("/tools/{}/behaviour", w.task_optional));
            t.admin(Method::PATCH, &behaviour, Some(json!({"fail": true}))).await;
            let s = t.session(main, key).await;
            let id = start_optional_task(&s).await;
            let result = s.result("tasks/result", json!({"taskId": id})).await;
            assert_eq!(result["isError"], true);
            s.result("tasks/get", json!({"taskId": id})).await["status"] == "completed"
        }
        Fault::CancelIgnored => {
            let behaviour = w.admin_main(&format!("/tools/{}/behaviour", w.task_optional));
            t.admin(Method::PATCH, &behaviour, Some(json!({"duration_ms": 1500}))).await;
            let s = t.session(main, key).await;
            let id = start_optional_task(&s).await;
            let cancelled = s.result("tasks/cancel", json!({"taskId": id})).await;
            let later = s.result("tasks/get", json!({"taskId": id})).await;
            cancelled["status"] == "working" && later["status"] != "cancelled"
        }
        Fault::TaskTtlIgnored => {
            let s = t.session(main, key).await;
            let id = start_optional_task(&s).await;
            s.result("tasks/result", json!({"taskId": id})).await;
            let (status, body) = t.admin(Method::POST, &w.admin_main("/tasks/expire"), None).await;
            assert_eq!((status, body["expired"].as_u64()), (StatusCode::OK, Some(1)));
            s.request("tasks/get", json!({"taskId": id})).await.json().get("result").is_some()
        }
        Fault::ToolsListCachedPerSession => {
            let s = t.session(main, key).await;
            s.all_tools().await;
            let edit = json!({"description": "Edited live in the studio."});
            t.admin(Method::PATCH, &w.admin_main(&format!("/tools/{}", w.search.name)), Some(edit)).await;
            let tools = s.all_tools().await;
            find_tool(&tools, w.search.name).unwrap()["description"] != "Edited live in the studio."
        }
        Fault::InstructionsFrozenAtPublish => {
            let edit = json!({"instructions": "Edited instructions."});
            t.admin(Method::PUT, &w.admin_main("/instructions"), Some(edit)).await;
            t.initialize(main, key, V).await.result()["instructions"] != "Edited instructions."
        }
        Fault::DraftScopeNotGranted => {
            let (_, tokens) = t.connect(w.developer, main_draft).await;
            let s = t.session(main_draft, tokens["access_token"].as_str()).await;
            s.request("tools/call", call_of(w.search)).await.status == StatusCode::FORBIDDEN
        }
        Fault::RevocationRevokesAllGrants => {
            let client = t.new_flow(main).await;
            connect_with_client(t, &client, w.runner).await;
            let dev = connect_with_client(t, &client, w.developer).await;
            revoke_first_grant(t, w.runner).await;
            t.initialize(main, dev["access_token"].as_str(), V).await.status == StatusCode::UNAUTHORIZED
        }
        Fault::LoginSessionNotKept => {
            let b = browser();
            let first = t.new_flow(main).await;
            let password = (w.password)(w.runner);
            t.popup(&b, &t.authorize_url(&first, None), w.runner, &password, "authorize").await.redirect();
            let second = t.new_flow(main).await;
            let response = b.get(t.authorize_url(&second, None)).send().await.unwrap();
            let location = response.headers()["location"].to_str().unwrap().to_owned();
            location.starts_with("/oauth/login")
        }
        Fault::ApiKeyRevocationIgnored => {
            let path = w.admin_main(&format!("/api-keys/{}", w.kiosk_key_name));
            let (status, _) = t.admin(Method::DELETE, &path, None).await;
            assert_eq!(status, StatusCode::OK);
            t.initialize(main, Some(w.kiosk_key), V).await.status == StatusCode::OK
        }
        Fault::ApiKeyProjectNotChecked => t.initialize(main, Some(w.other_key), V).await.status == StatusCode::OK,
        Fault::EnvironmentNotChecked => {
            // A production token on the draft of the same project.
            let (_, tokens) = t.connect(w.developer, main).await;
            let token = tokens["access_token"].as_str().unwrap();
            if t.initialize(main_draft, Some(token), V).await.status != StatusCode::OK {
                return false;
            }
            let s = t.session(main_draft, Some(token)).await;
            let reply = s.request("tools/call", call_of(w.draft_only)).await;
            reply.status == StatusCode::OK && reply.json().get("result").is_some()
        }
        Fault::UiScriptError => {
            // The view reads a global nothing defines: a TypeError on load, in a browser.
            let view = read_view(t).await;
            view["text"].as_str().unwrap_or_default().contains("window.productRating.toFixed")
        }
        Fault::UiCspBlocksOwnAsset => {
            // The view loads from an origin its declared CSP does not list.
            let view = read_view(t).await;
            let declared = view["_meta"]["ui"]["csp"]["resourceDomains"].to_string();
            let host = format!("https://assets.{}.test", w.org.to_lowercase());
            view["text"].as_str().unwrap_or_default().contains(&format!("{host}/")) && !declared.contains(&host)
        }
        Fault::UiHandshakeSilent => {
            // The MCP Apps view never posts ui/initialize.
            !read_view(t).await["text"].as_str().unwrap_or_default().contains("ui/initialize")
        }
        Fault::ResponseIdWrong => {
            let s = t.session(main, key).await;
            s.request("tools/list", json!({})).await.json()["id"].is_string()
        }
        Fault::UnknownMethodNotError => {
            let s = t.session(public, None).await;
            s.request("metabind/no-such-method", json!({})).await.json().get("result").is_some()
        }
        Fault::ResponseContentTypeWrong => {
            let reply = t.initialize(public, None, V).await;
            reply.header("content-type").is_some_and(|c| c.starts_with("text/plain"))
        }
        Fault::GetNotSupported => {
            // Without a session a clean server answers 405 at once (no stream to wait on).
            t.send(Method::GET, public, &[("accept", "text/event-stream")], None).await.status == StatusCode::NOT_FOUND
        }
        Fault::SessionIdNotAscii => {
            let reply = t.initialize(public, None, V).await;
            reply.header("mcp-session-id").is_some_and(|id| id.contains(' '))
        }
        Fault::ServerInfoMissing => t.initialize(public, None, V).await.result().get("serverInfo").is_none(),
        Fault::ToolsCapabilityMissing => {
            t.initialize(public, None, V).await.result()["capabilities"].get("tools").is_none()
        }
        Fault::TasksCapabilityMissing => {
            t.initialize(main, key, V).await.result()["capabilities"].get("tasks").is_none()
        }
        Fault::HugeResponse => {
            let s = t.session(main, key).await;
            s.request("tools/list", json!({})).await.text.len() > 5 << 20
        }
        Fault::ToolNameInvalid => {
            let s = t.session(main, key).await;
            s.tool_names().await.iter().any(|n| n.contains(' '))
        }
        Fault::SchemaInvalid => {
            let tools = main_tools(t).await;
            find_tool(&tools, w.search.name).unwrap()["inputSchema"]["properties"][w.search_arg]["type"] == "strng"
        }
        Fault::DiscoverMissing => {
            t.modern(public, None, "server/discover", json!({}), &[]).await.status == StatusCode::NOT_FOUND
        }
        Fault::ModernMetaNotRequired => {
            let headers = [("mcp-protocol-version", "2026-07-28"), ("mcp-method", "tools/list")];
            t.post(public, &headers, &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})).await.status
                == StatusCode::OK
        }
        Fault::ModernHeadersNotChecked => {
            let forged = [("mcp-method", "resources/list")];
            t.modern(public, None, "tools/list", json!({}), &forged).await.status == StatusCode::OK
        }
        Fault::ModernVersionNotChecked => {
            let params = json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "2099-01-01"}});
            t.modern(public, None, "tools/list", params, &[]).await.status == StatusCode::OK
        }
        Fault::ModernUnknownMethod200 => {
            t.modern(public, None, "no/such-method", json!({}), &[]).await.status == StatusCode::OK
        }
        Fault::ModernSessionMinted => t
            .modern(public, None, "tools/list", json!({}), &[])
            .await
            .header("mcp-session-id")
            .is_some(),
        Fault::ModernRetiredErrorCode => {
            let params = json!({"uri": "ui://no-such-view"});
            t.modern(main, key, "resources/read", params, &[]).await.json()["error"]["code"]
                == -32002
        }
        Fault::ModernResultTypeMissing => {
            t.modern(public, None, "tools/list", json!({}), &[]).await.json()["result"].get("resultType").is_none()
        }
        Fault::ModernCacheHintsMissing => {
            t.modern(public, None, "tools/list", json!({}), &[]).await.json()["result"].get("ttlMs").is_none()
        }
        Fault::ModernCacheScopeVaries => {
            let first = t.modern(public, None, "tools/list", json!({}), &[]).await.json();
            // The cursor of offset 0 is a valid cursor: the first page again, asked as a later one.
            let cursor = "bWIxOjA"; // base64url("mb1:0")
            let again = t.modern(public, None, "tools/list", json!({"cursor": cursor}), &[]).await.json();
            first["result"]["cacheScope"] != again["result"]["cacheScope"]
        }
        Fault::ModernMissingCapabilityNotSignalled => {
            let call = json!({"name": w.task_required.name, "arguments": w.task_required.args()});
            let reply = t.modern(main, key, "tools/call", call, &[]).await;
            !(reply.status == StatusCode::BAD_REQUEST && reply.json()["error"]["code"] == -32021)
        }
        Fault::ModernTaskWithoutCapability => {
            let call = json!({"name": w.task_optional, "arguments": {}});
            t.modern(main, key, "tools/call", call, &[]).await.json()["result"]["resultType"] == "task"
        }
        Fault::ModernTaskResultNotInline => {
            let tasks = json!({"_meta": {"io.modelcontextprotocol/clientCapabilities": {"extensions": {"io.modelcontextprotocol/tasks": {}}}}});
            let mut call = tasks.clone();
            call["name"] = json!(w.task_optional);
            call["arguments"] = json!({});
            let created = t.modern(main, key, "tools/call", call, &[]).await.json();
            let id = created["result"]["taskId"].clone();
            // The same caller on the legacy path waits for the task to end (tasks/result blocks).
            let s = t.session(main, key).await;
            s.result("tasks/result", json!({"taskId": id})).await;
            let mut get = tasks;
            get["taskId"] = id;
            let task = t.modern(main, key, "tasks/get", get, &[]).await.json();
            assert_eq!(task["result"]["status"], "completed", "{task}");
            task["result"].get("result").is_none()
        }
        Fault::ModernToolsDiffer => {
            let legacy = main_tools(t).await;
            let mut modern = Vec::new();
            let mut params = json!({});
            loop {
                let page = t.modern(main, key, "tools/list", params.clone(), &[]).await.json();
                modern.extend(page["result"]["tools"].as_array().cloned().unwrap_or_default());
                match page["result"]["nextCursor"].as_str() {
                    Some(next) => params = json!({"cursor": next}),
                    None => break,
                }
            }
            let shape = |tools: &[Value]| -> Vec<(Value, Value)> {
                tools.iter().map(|t| (t["name"].clone(), t["annotations"].clone())).collect()
            };
            shape(&legacy) != shape(&modern)
        }
        Fault::ModernInstructionsMissing => {
            let discovered = t.modern(main, key, "server/discover", json!({}), &[]).await.json();
            discovered["result"].get("instructions").is_none()
        }
        Fault::UnknownTaskNotError => {
            let s = t.session(main, key).await;
            s.request("tasks/get", json!({"taskId": "no-such-task"})).await.json().get("result").is_some()
        }
        Fault::SessionAuthenticates => {
            let s = t.session(main, key).await;
            t.post(
                main,
                &[("mcp-session-id", &s.id), ("mcp-protocol-version", V)],
                &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
            )
            .await
            .status
                == StatusCode::OK
        }
        Fault::TokenInQueryAccepted => {
            let path = format!("{main}?access_token={}", w.main_key);
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
            t.get_json(&prm_path).await["authorization_servers"].as_array().is_some_and(Vec::is_empty)
        }
        Fault::DcrPublicOnly => {
            let metadata = t.get_json("/.well-known/oauth-authorization-server").await;
            let (status, _) = t.register(&json!({
                "redirect_uris": ["https://claude.ai/api/mcp/auth_callback"],
                "token_endpoint_auth_method": "client_secret_post",
            }))
            .await;
            metadata["token_endpoint_auth_methods_supported"] == json!(["none"])
                && metadata.get("client_id_metadata_document_supported").is_none()
                && status == StatusCode::BAD_REQUEST
        }
        Fault::DcrEchoesOtherMethod => {
            let (status, body) = t.register(&json!({
                "redirect_uris": ["https://chatgpt.com/connector_platform_oauth_redirect"],
                "token_endpoint_auth_method": "client_secret_post",
            }))
            .await;
            status == StatusCode::CREATED && body["token_endpoint_auth_method"] == "client_secret_basic"
        }
        Fault::IssuerMismatch => {
            let metadata = t.get_json("/.well-known/oauth-authorization-server").await;
            metadata["issuer"] != t.get_json(&prm_path).await["authorization_servers"][0]
        }
    }
}

/// The first content entry of `resources/read` of the world's MCP Apps view on the main project.
async fn read_view(t: &TestServer) -> Value {
    let s = t.session(&t.world.main(), Some(t.world.main_key)).await;
    s.result("resources/read", json!({"uri": t.world.ui_resource}))
        .await["contents"][0]
        .clone()
}

/// Every fault, on a clean and a faulty server of `world`; the problems found.
async fn prove_every_fault(world: &'static World) -> Vec<String> {
    let mut problems = Vec::new();
    for fault in Fault::ALL.iter().copied() {
        // A fresh clean server per probe: some probes change the world (roles, keys, tool edits).
        let clean = start_world(world, &[], |_| {}).await;
        if misbehaves(fault, &clean).await {
            problems.push(format!(
                "{fault} ({} world): the clean server already shows this bug",
                world.label
            ));
        }
        let faulty = start_world(world, &[fault], |_| {}).await;
        if !misbehaves(fault, &faulty).await {
            problems.push(format!(
                "{fault} ({} world): the faulty server behaves correctly",
                world.label
            ));
        }
    }
    problems
}

#[tokio::test]
async fn every_fault_is_observable_and_absent_from_a_clean_server() {
    let problems = prove_every_fault(&DEFAULT).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The same proofs in the second world, which shares no name with the default one: a fault that picked
/// its tool (or anything else) by a default-world name would not show here.
#[tokio::test]
async fn every_fault_is_observable_in_the_second_world_too() {
    let problems = prove_every_fault(&SECOND).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn the_admin_api_names_the_active_faults() {
    let t = start_with_faults(&[Fault::WrongAnnotations, Fault::BadJson500]).await;
    let (status, body) = t.admin(Method::GET, "/_admin/faults", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["faults"], json!(["bad-json-500", "wrong-annotations"]));
}
