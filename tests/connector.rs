//! The host side against the reference server: a connector authorizes itself through the real login and
//! consent pages (HTTP popup), then lists and calls tools; refusals are reported as a user would see them.

use std::time::Duration;

use metabind_conformance::connector::{Connector, ConnectorConfig, Error};
use metabind_conformance::oauth::RegistrationPlan;
use metabind_conformance::popup::{Credentials, Popup, PopupOutcome};
use metabind_conformance::wire::{Net, Wire};
use metabind_reference_server::{spawn, RunningServer, ServerOptions};
use serde_json::json;

const CHATGPT_REDIRECT: &str = "https://chatgpt.com/connector_platform_oauth_redirect";

async fn server() -> RunningServer {
    spawn(ServerOptions::with_default_fixture().unwrap())
        .await
        .unwrap()
}

fn connector(server: &RunningServer, path: &str, email: &str, password: &str) -> Connector {
    Connector::new(
        Wire::new(&Net::open(Duration::from_secs(20))).unwrap(),
        &server.url(path),
        ConnectorConfig::new(
            CHATGPT_REDIRECT,
            RegistrationPlan {
                client_name: "ChatGPT (test)".into(),
                ..Default::default()
            },
            Some(Credentials {
                email: email.into(),
                password: password.into(),
            }),
            Popup::http(),
        ),
    )
}

async fn connect(c: &mut Connector) -> Result<(), Error> {
    let reply = c
        .initialize(&json!({"name": "test-host", "version": "1"}), &json!({}))
        .await?;
    assert!(
        reply.result().is_some(),
        "{}",
        reply.received.exchange.response_body
    );
    Ok(())
}

#[tokio::test]
async fn a_member_connects_through_login_and_consent_and_calls_a_tool() {
    let s = server().await;
    let mut c = connector(&s, "/acme/storefront", "mia@acme.test", "mia-pass");
    connect(&mut c).await.unwrap();
    assert_eq!(c.authorizations, 1);
    let tools = c.call("tools/list", &json!({})).await.unwrap();
    assert_eq!(
        tools.result().unwrap()["tools"].as_array().unwrap().len(),
        2,
        "first page"
    );
    let call = c
        .call(
            "tools/call",
            &json!({"name": "search_products", "arguments": {"query": "tea"}}),
        )
        .await
        .unwrap();
    assert_eq!(call.result().unwrap()["isError"], false);
    // The transcript holds every exchange, with credentials redacted.
    let transcript = c.mcp.wire.transcript.snapshot();
    assert!(transcript.iter().any(|e| e.url.contains("/oauth/consent")));
    assert!(transcript
        .iter()
        .all(|e| !e.request_body.contains("mia-pass")));
    assert!(transcript
        .iter()
        .flat_map(|e| e.request_headers.iter())
        .filter(|(k, _)| k == "authorization")
        .all(|(_, v)| v.ends_with("[redacted]")));
}

#[tokio::test]
async fn a_non_member_is_stopped_on_the_not_a_member_page() {
    let s = server().await;
    let mut c = connector(&s, "/acme/storefront", "gus@globex.test", "gus-pass");
    match connect(&mut c).await {
        Err(Error::Popup(PopupOutcome::Stopped {
            text, return_link, ..
        })) => {
            assert!(text.contains("not a member of Acme Inc."), "{text}");
            assert!(return_link.unwrap().contains("error=access_denied"));
        }
        other => panic!("expected the not-a-member page, got {other:?}"),
    }
}

#[tokio::test]
async fn a_wrong_password_is_a_failed_login() {
    let s = server().await;
    let mut c = connector(&s, "/acme/storefront", "mia@acme.test", "wrong");
    match connect(&mut c).await {
        Err(Error::Popup(PopupOutcome::LoginFailed(text))) => {
            assert!(text.contains("Incorrect email or password"), "{text}")
        }
        other => panic!("expected a failed login, got {other:?}"),
    }
}

/// A Viewer's grant cannot include execute:mcp: one step-up is tried, then the 403 stands.
#[tokio::test]
async fn a_viewer_steps_up_once_and_the_call_stays_refused() {
    let s = server().await;
    let mut c = connector(&s, "/acme/storefront", "vic@acme.test", "vic-pass");
    connect(&mut c).await.unwrap();
    let call = c
        .call(
            "tools/call",
            &json!({"name": "search_products", "arguments": {"query": "tea"}}),
        )
        .await
        .unwrap();
    assert_eq!(call.status(), 403);
    assert_eq!(
        c.authorizations, 2,
        "initial authorization plus one step-up"
    );
}

/// After a server-side revocation the next request gets 401; the connector refreshes (refused) and
/// authorizes again through the popup.
#[tokio::test]
async fn after_revocation_the_connector_reauthorizes() {
    let s = server().await;
    let mut c = connector(&s, "/acme/storefront", "mia@acme.test", "mia-pass");
    connect(&mut c).await.unwrap();
    let http = reqwest::Client::new();
    let grants: serde_json::Value = http
        .get(s.url("/_admin/orgs/acme/authorized-apps"))
        .bearer_auth(&s.admin_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = grants["grants"][0]["id"].as_str().unwrap();
    http.delete(s.url(&format!("/_admin/orgs/acme/authorized-apps/{id}")))
        .bearer_auth(&s.admin_key)
        .send()
        .await
        .unwrap();
    let tools = c.call("tools/list", &json!({})).await.unwrap();
    assert!(tools.result().is_some());
    assert_eq!(c.authorizations, 2);
}

/// MCP §1.3: the client opens the standalone GET stream and reads the server's `list_changed` there.
#[tokio::test]
async fn the_get_stream_delivers_list_changed_after_a_publish() {
    let s = server().await;
    let mut mcp = metabind_conformance::wire::McpClient::new(
        Wire::new(&Net::open(Duration::from_secs(20))).unwrap(),
        s.url("/acme/storefront"),
    );
    mcp.bearer = Some("mbk_storefront_ci_3d7e1f09a4c24b5e".into());
    let hello = mcp
        .initialize(json!({"name": "test-host", "version": "1"}), json!({}))
        .await
        .unwrap();
    assert!(hello.result().is_some());
    let mut stream = mcp
        .open_stream()
        .await
        .unwrap()
        .expect("the server offers a GET stream");
    let opened = mcp.wire.transcript.snapshot();
    let get = opened.last().unwrap();
    assert_eq!((get.method.as_str(), get.status), ("GET", 200));
    let published = reqwest::Client::new()
        .post(s.url("/_admin/orgs/acme/projects/storefront/publish"))
        .bearer_auth(&s.admin_key)
        .send()
        .await
        .unwrap();
    assert!(published.status().is_success());
    let message = stream
        .next_message(Duration::from_secs(10))
        .await
        .unwrap()
        .expect("the stream stays open");
    assert_eq!(message["method"], "notifications/tools/list_changed");
    assert!(message.get("id").is_none());
}

/// The dual-era opening (transports, earlier revisions): discover first, initialize when the answer
/// is not the stateless era's; a remembered verdict that no longer holds is probed again, without a
/// second discover when the failed one already answered.
#[tokio::test]
async fn a_dual_era_client_probes_and_probes_again_when_a_remembered_era_fails() {
    use metabind_conformance::wire::{Era, McpClient, Opening};
    use metabind_reference_server::Eras;

    let info = json!({"name": "test-host", "version": "1"});
    let methods = |wire: &Wire| -> Vec<String> {
        wire.transcript
            .snapshot()
            .iter()
            .filter_map(|x| serde_json::from_str::<serde_json::Value>(&x.request_body).ok())
            .filter_map(|b| b["method"].as_str().map(String::from))
            .collect()
    };
    for (eras, remembered, expected, sent) in [
        (Eras::Both, None, Era::Modern, vec!["server/discover"]),
        (
            Eras::Legacy,
            None,
            Era::Legacy,
            vec!["server/discover", "initialize", "notifications/initialized"],
        ),
        // Remembered stateless, now 2025 only: the failed discover is the probe; initialize follows.
        (
            Eras::Legacy,
            Some(Era::Modern),
            Era::Legacy,
            vec!["server/discover", "initialize", "notifications/initialized"],
        ),
        // Remembered 2025, now stateless only: initialize is refused (-32022), then discover.
        (
            Eras::Modern,
            Some(Era::Legacy),
            Era::Modern,
            vec!["initialize", "server/discover"],
        ),
    ] {
        let mut options = ServerOptions::with_default_fixture().unwrap();
        options.eras = Some(eras);
        let s = spawn(options).await.unwrap();
        let wire = Wire::new(&Net::open(Duration::from_secs(20))).unwrap();
        let url = s.url("/acme/catalog");
        if let Some(era) = remembered {
            wire.eras.remember(&url, era);
        }
        let mut client = McpClient::new(wire.clone(), &url);
        let reply = client
            .connect(info.clone(), json!({}), Opening::ProbeModern)
            .await
            .unwrap();
        assert!(
            reply.result().is_some(),
            "{eras:?}: {}",
            reply.received.exchange.response_body
        );
        assert_eq!(client.era, expected, "{eras:?}");
        assert_eq!(methods(&wire), sent, "{eras:?} remembered {remembered:?}");
        assert_eq!(wire.eras.get(&url), Some(expected), "the verdict is kept");
        let tools = client.call("tools/list", json!({})).await.unwrap();
        assert!(
            tools.result().is_some(),
            "{eras:?}: the era it chose serves"
        );
    }
}
