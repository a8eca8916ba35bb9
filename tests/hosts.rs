//! Each host profile against the spawned reference server, through the real browser popup: who can add a
//! connector, what the host decides before a call, task polling within the host's timeout, and how a
//! revocation turns the connector red. Needs Chromium (`apt-get install -y chromium`).

use std::sync::Arc;
use std::time::Duration;

use metabind_conformance::browser;
use metabind_conformance::host::{
    CallOutcome, ClientMetadataSite, ConnectorState, HostProfile, Login, MockHost,
};
use metabind_conformance::popup::{Credentials, Popup};
use metabind_conformance::wire::{Era, Net, Opening};
use metabind_reference_server::{spawn, RunningServer, ServerOptions};
use serde_json::{json, Value};

const OAUTH_HOSTS: [&str; 2] = ["chatgpt", "claude-desktop"];

async fn server() -> RunningServer {
    let mut options = ServerOptions::with_default_fixture().unwrap();
    // The hosts' CIMD documents are served on loopback in tests.
    options.allow_loopback_cimd = true;
    spawn(options).await.unwrap()
}

async fn browser_popup() -> Popup {
    let chromium = browser::find_chromium()
        .unwrap_or_else(|| panic!("these tests need Chromium ({})", browser::SEARCHED));
    Popup::launch(&chromium, true).await.unwrap()
}

async fn host(id: &str, popup: &Popup) -> MockHost {
    let profile = HostProfile::builtin(id).unwrap();
    let redirect = profile.auth.redirect_uri.clone().unwrap_or_default();
    let site = ClientMetadataSite::start(&[(id, &profile.name, &redirect)])
        .await
        .unwrap();
    let mut host = MockHost::new(profile, popup.clone(), Net::open(Duration::from_secs(20)));
    host.metadata_site = Some(Arc::new(site));
    host
}

fn user(email: &str) -> Login {
    Login::User(Credentials {
        email: email.into(),
        password: format!("{}-pass", email.split('@').next().unwrap()),
    })
}

async fn admin(s: &RunningServer, method: reqwest::Method, path: &str) -> Value {
    let response = reqwest::Client::new()
        .request(method, s.url(path))
        .bearer_auth(&s.admin_key)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_member_adds_storefront_in_each_oauth_host_and_calls_by_annotation() {
    let s = server().await;
    let popup = browser_popup().await;
    // Each host as it opens by itself (2026-07-28: storefront speaks both eras), then held to 2025.
    for (id, legacy) in OAUTH_HOSTS
        .iter()
        .flat_map(|id| [(*id, false), (*id, true)])
    {
        let mut host = host(id, &popup).await;
        if legacy {
            Arc::make_mut(&mut host.profile).protocol.opening = Opening::Legacy;
        }
        let mut c = host
            .add_connector(&s.url("/acme/storefront"), user("mia@acme.test"))
            .await
            .unwrap();
        assert_eq!(c.state, ConnectorState::Connected { warning: None }, "{id}");
        assert_eq!(
            c.connector.mcp.era,
            if legacy { Era::Legacy } else { Era::Modern },
            "{id}"
        );
        assert_eq!(c.connector.popups[0].driver, "browser");
        assert_eq!(c.tools.len(), 6, "{id}: every page of tools/list");
        assert!(c.instructions.is_some());
        // The host registered as the profile says: ChatGPT by its CIMD URL, Claude by DCR.
        let client_id = &c.connector.client.as_ref().unwrap().client_id;
        assert_eq!(
            client_id.starts_with("http://127.0.0.1"),
            id == "chatgpt",
            "{id}: {client_id}"
        );

        let search = c
            .call_tool("search_products", json!({"query": "tea"}))
            .await;
        assert!(!search.decision.confirmation && !search.decision.open_world_badge);
        let CallOutcome::Result(result) = &search.outcome else {
            panic!("{id}: {:?}", search.outcome)
        };
        assert_eq!(result["isError"], false);
        let shipping = c
            .call_tool("check_shipping", json!({"sku": "TEA-001", "zip": "12345"}))
            .await;
        assert!(!shipping.decision.confirmation && shipping.decision.open_world_badge);
        let order = c
            .call_tool("place_order", json!({"sku": "TEA-001", "quantity": 1}))
            .await;
        assert!(
            order.decision.confirmation,
            "{id}: destructive tools are confirmed"
        );
        assert!(
            matches!(order.outcome, CallOutcome::Result(_)),
            "{id}: {:?}",
            order.outcome
        );
        // On the wire as the host's traffic was seen: one session for lists and calls (C19, A26),
        // Claude's requests after initialize without MCP-Protocol-Version (A25).
        let mcp: Vec<_> = c
            .connector
            .mcp
            .wire
            .transcript
            .snapshot()
            .into_iter()
            .filter(|x| x.method == "POST" && x.url.ends_with("/acme/storefront"))
            .collect();
        let header = |x: &metabind_conformance::wire::Exchange, name: &str| {
            x.request_headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case(name))
        };
        let calls: Vec<_> = mcp
            .iter()
            .filter(|x| x.request_body.contains("\"tools/call\""))
            .collect();
        let lists: Vec<_> = mcp
            .iter()
            .filter(|x| x.request_body.contains("\"tools/list\""))
            .collect();
        assert_eq!(calls.len(), 3, "{id}");
        assert!(calls.iter().all(|x| x.status == 200), "{id}");
        if !legacy {
            // The stateless era (hosts-observed C19, A29): discover first, no session, every request
            // with the version header and the method it carries.
            let first = mcp.first().unwrap();
            assert!(first.request_body.contains("\"server/discover\""), "{id}");
            assert!(
                mcp.iter().all(|x| !header(x, "mcp-session-id")
                    && header(x, "mcp-protocol-version")
                    && header(x, "mcp-method")),
                "{id}"
            );
            assert!(
                !mcp.iter()
                    .any(|x| x.request_body.contains("\"initialize\"")),
                "{id}"
            );
            continue;
        }
        assert!(
            calls
                .iter()
                .chain(&lists)
                .all(|x| header(x, "mcp-session-id")),
            "{id}: one session"
        );
        assert_eq!(
            lists.iter().all(|x| header(x, "mcp-protocol-version")),
            id == "chatgpt",
            "{id}: MCP-Protocol-Version after initialize"
        );
    }
}

/// A host that sends its tool calls on a fresh initialize without the session id (as ChatGPT was seen
/// doing, hosts-observed C20): served by a server that does not require sessions, refused with the
/// server's reason by one that does.
#[tokio::test]
async fn sessionless_tool_calls_work_only_where_sessions_are_not_required() {
    let popup = browser_popup().await;
    for faults in [
        vec![],
        vec![metabind_reference_server::Fault::SessionRequired],
    ] {
        let mut options = ServerOptions::with_default_fixture().unwrap();
        options.allow_loopback_cimd = true;
        options.faults = faults.clone();
        let s = spawn(options).await.unwrap();
        let mut host = host("chatgpt", &popup).await;
        let protocol = &mut Arc::make_mut(&mut host.profile).protocol;
        protocol.tool_calls_without_session = true;
        // Sessions are the 2025 era's: hold the host to it.
        protocol.opening = Opening::Legacy;
        let mut c = host
            .add_connector(&s.url("/acme/storefront"), user("mia@acme.test"))
            .await
            .unwrap();
        assert_eq!(c.state, ConnectorState::Connected { warning: None });
        let search = c
            .call_tool("search_products", json!({"query": "tea"}))
            .await;
        let call = c
            .connector
            .mcp
            .wire
            .transcript
            .snapshot()
            .into_iter()
            .rfind(|x| x.request_body.contains("\"tools/call\""))
            .unwrap();
        assert!(!call
            .request_headers
            .iter()
            .any(|(k, _)| k == "mcp-session-id"));
        if faults.is_empty() {
            assert!(
                matches!(search.outcome, CallOutcome::Result(_)),
                "{:?}",
                search.outcome
            );
        } else {
            let CallOutcome::Refused { reason, .. } = &search.outcome else {
                panic!("{:?}", search.outcome)
            };
            assert!(
                reason.contains("Mcp-Session-Id header is required"),
                "{reason}"
            );
        }
    }
}

/// A registration response naming another auth method than was asked for (hosts-observed C2, A3):
/// ChatGPT gives up and says why, Claude uses the method returned and connects.
#[tokio::test]
async fn a_registration_echoing_another_method_fails_chatgpt_and_not_claude() {
    let mut options = ServerOptions::with_default_fixture().unwrap();
    options.faults = vec![metabind_reference_server::Fault::DcrEchoesOtherMethod];
    let s = spawn(options).await.unwrap();
    let popup = browser_popup().await;
    for id in OAUTH_HOSTS {
        let c = host(id, &popup)
            .await
            .add_connector(&s.url("/acme/storefront"), user("mia@acme.test"))
            .await
            .unwrap();
        if id == "chatgpt" {
            let ConnectorState::Failed { reason } = &c.state else {
                panic!("{id}: {:?}", c.state)
            };
            assert!(
                reason.contains("registered client_secret_basic"),
                "{reason}"
            );
        } else {
            assert_eq!(c.state, ConnectorState::Connected { warning: None }, "{id}");
            let client = c.connector.client.as_ref().unwrap();
            assert_eq!(client.auth_method, "client_secret_basic");
        }
    }
}

#[tokio::test]
async fn a_non_member_fails_to_add_with_the_not_a_member_page() {
    let s = server().await;
    let popup = browser_popup().await;
    for id in OAUTH_HOSTS {
        let c = host(id, &popup)
            .await
            .add_connector(&s.url("/acme/storefront"), user("gus@globex.test"))
            .await
            .unwrap();
        let ConnectorState::Failed { reason } = &c.state else {
            panic!("{id}: {:?}", c.state)
        };
        assert!(
            reason.contains("not a member of Acme Inc."),
            "{id}: {reason}"
        );
    }
}

#[tokio::test]
async fn a_blocked_popup_fails_to_add() {
    let s = server().await;
    let popup = browser_popup().await;
    for id in OAUTH_HOSTS {
        let mut profile = HostProfile::builtin(id).unwrap();
        // A host that awaits before window.open has lost the click's user gesture.
        profile.auth.popup_from_click = false;
        let host = MockHost::new(profile, popup.clone(), Net::open(Duration::from_secs(20)));
        let c = host
            .add_connector(&s.url("/acme/storefront"), user("mia@acme.test"))
            .await
            .unwrap();
        assert_eq!(
            c.state,
            ConnectorState::Failed {
                reason: "the authorization popup was blocked".into()
            },
            "{id}"
        );
    }
}

#[tokio::test]
async fn a_viewer_connects_but_calls_are_refused_with_the_reason() {
    let s = server().await;
    let popup = browser_popup().await;
    for id in OAUTH_HOSTS {
        let mut c = host(id, &popup)
            .await
            .add_connector(&s.url("/acme/storefront"), user("vic@acme.test"))
            .await
            .unwrap();
        assert!(c.state.is_connected(), "{id}: {:?}", c.state);
        assert!(!c.tools.is_empty());
        let call = c
            .call_tool("search_products", json!({"query": "tea"}))
            .await;
        let CallOutcome::Refused { status, reason } = &call.outcome else {
            panic!("{id}: {:?}", call.outcome)
        };
        assert_eq!(*status, 403);
        assert!(
            reason.contains("insufficient_scope") && reason.contains("role"),
            "{reason}"
        );
        assert!(
            c.state.is_connected(),
            "a refused call does not turn the connector red"
        );
    }
}

#[tokio::test]
async fn a_revoked_grant_turns_the_connector_red_until_reconnect() {
    let s = server().await;
    let popup = browser_popup().await;
    for id in OAUTH_HOSTS {
        let mut c = host(id, &popup)
            .await
            .add_connector(&s.url("/acme/storefront"), user("mia@acme.test"))
            .await
            .unwrap();
        assert!(c.state.is_connected(), "{id}: {:?}", c.state);
        let grants = admin(
            &s,
            reqwest::Method::GET,
            "/_admin/orgs/acme/authorized-apps",
        )
        .await;
        for grant in grants["grants"].as_array().unwrap() {
            let path = format!(
                "/_admin/orgs/acme/authorized-apps/{}",
                grant["id"].as_str().unwrap()
            );
            admin(&s, reqwest::Method::DELETE, &path).await;
        }
        let call = c
            .call_tool("search_products", json!({"query": "tea"}))
            .await;
        assert!(
            matches!(call.outcome, CallOutcome::Disconnected { .. }),
            "{id}: {:?}",
            call.outcome
        );
        let ConnectorState::Failed { reason } = &c.state else {
            panic!("{id}: {:?}", c.state)
        };
        assert!(reason.contains("authorization lost"), "{reason}");
        let popups_before = c.connector.popups.len();
        c.reconnect().await;
        assert!(c.state.is_connected(), "{id}: {:?}", c.state);
        assert_eq!(c.connector.popups.len(), popups_before + 1);
        // ChatGPT's reconnect asks for no scope; the server's default grant still works.
        let again = &c.connector.popups.last().unwrap().authorization_url;
        assert_eq!(!again.contains("scope="), id == "chatgpt", "{id}: {again}");
        let call = c
            .call_tool("search_products", json!({"query": "tea"}))
            .await;
        assert!(
            matches!(call.outcome, CallOutcome::Result(_)),
            "{id}: {:?}",
            call.outcome
        );
        // Removing the connector drops the local token.
        c.remove().await;
        assert_eq!(c.state, ConnectorState::Removed);
        assert!(c.connector.tokens.is_none() && c.connector.mcp.bearer.is_none());
    }
}

#[tokio::test]
async fn launchpad_without_published_tools_fails_in_chatgpt_and_warns_in_claude() {
    let s = server().await;
    let popup = browser_popup().await;
    let url = s.url("/acme/launchpad");
    let chatgpt = host("chatgpt", &popup)
        .await
        .add_connector(&url, user("mia@acme.test"))
        .await
        .unwrap();
    let ConnectorState::Failed { reason } = &chatgpt.state else {
        panic!("{:?}", chatgpt.state)
    };
    assert!(reason.contains("requires at least one tool"), "{reason}");
    let claude = host("claude-desktop", &popup)
        .await
        .add_connector(&url, user("mia@acme.test"))
        .await
        .unwrap();
    assert_eq!(
        claude.state,
        ConnectorState::Connected {
            warning: Some("This connector has no tools available.".into())
        }
    );
}

#[tokio::test]
async fn tasks_are_polled_at_the_servers_interval_and_abandoned_at_the_host_timeout() {
    let s = server().await;
    let popup = browser_popup().await;
    let mut host = host("claude-desktop", &popup).await;
    let mut c = host
        .add_connector(&s.url("/acme/storefront"), user("mia@acme.test"))
        .await
        .unwrap();
    let call = c
        .call_tool("build_sales_report", json!({"period": "week"}))
        .await;
    assert!(call.decision.as_task);
    let CallOutcome::Result(result) = &call.outcome else {
        panic!("{:?}", call.outcome)
    };
    assert_eq!(result["structuredContent"]["orders"], 42);
    assert_eq!(
        call.task_statuses.first().map(|s| s.as_str()),
        Some("working")
    );
    assert_eq!(
        call.task_statuses.last().map(|s| s.as_str()),
        Some("completed")
    );
    assert!(call.polls >= 1);
    // Claude's 300 s scaled down to 30 ms: the 300 ms report outlives it, and the host gives up.
    host.time_factor = 0.0001;
    c.host = host;
    let call = c
        .call_tool("build_sales_report", json!({"period": "month"}))
        .await;
    assert_eq!(
        call.outcome,
        CallOutcome::GaveUp {
            after: Duration::from_secs_f64(0.03)
        }
    );
}

#[tokio::test]
async fn the_generic_host_uses_an_api_key_and_a_revoked_key_fails() {
    let s = server().await;
    let host = MockHost::new(
        HostProfile::builtin("generic").unwrap(),
        Popup::http(),
        Net::open(Duration::from_secs(20)),
    );
    let mut c = host
        .add_connector(
            &s.url("/acme/storefront"),
            Login::Bearer("mbk_storefront_kiosk_b81c52e7f6a0".into()),
        )
        .await
        .unwrap();
    assert!(c.state.is_connected(), "{:?}", c.state);
    assert!(c.connector.popups.is_empty(), "no popup for a bearer host");
    admin(
        &s,
        reqwest::Method::DELETE,
        "/_admin/orgs/acme/projects/storefront/api-keys/storefront-kiosk",
    )
    .await;
    let call = c
        .call_tool("search_products", json!({"query": "tea"}))
        .await;
    assert!(
        matches!(call.outcome, CallOutcome::Disconnected { .. }),
        "{:?}",
        call.outcome
    );
    assert!(!c.state.is_connected());
}
