//! The browser popup driver against the reference server's real sign-in and consent pages: a host page
//! on loopback opens the popup with `window.open`, the autopilot signs in and consents, and the redirect
//! to the host's real redirect URI is intercepted. Needs Chromium (`apt-get install -y chromium`).

use std::time::Duration;

use metabind_conformance::browser;
use metabind_conformance::connector::{Connector, ConnectorConfig, Error};
use metabind_conformance::oauth::RegistrationPlan;
use metabind_conformance::popup::{Credentials, LoginSelectors, Popup, PopupOutcome, PopupRequest};
use metabind_conformance::wire::{Net, Wire};
use metabind_reference_server::{spawn, RunningServer, ServerOptions};
use serde_json::json;

const CLAUDE_REDIRECT: &str = "https://claude.ai/api/mcp/auth_callback";

async fn launch(popup_blocker: bool) -> Popup {
    let chromium = browser::find_chromium()
        .unwrap_or_else(|| panic!("these tests need Chromium ({})", browser::SEARCHED));
    Popup::launch(&chromium, popup_blocker).await.unwrap()
}

async fn setup() -> (RunningServer, Popup) {
    let server = spawn(ServerOptions::with_default_fixture().unwrap())
        .await
        .unwrap();
    (server, launch(true).await)
}

fn connector(server: &RunningServer, popup: &Popup, email: &str, password: &str) -> Connector {
    Connector::new(
        Wire::new(&Net::open(Duration::from_secs(20))).unwrap(),
        &server.url("/acme/storefront"),
        ConnectorConfig::new(
            CLAUDE_REDIRECT,
            RegistrationPlan {
                client_name: "Claude (test)".into(),
                ..Default::default()
            },
            Some(Credentials {
                email: email.into(),
                password: password.into(),
            }),
            popup.clone(),
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
async fn a_member_signs_in_and_consents_in_the_browser() {
    let (s, popup) = setup().await;
    let mut c = connector(&s, &popup, "mia@acme.test", "mia-pass");
    connect(&mut c).await.unwrap();
    assert_eq!(c.popups.len(), 1);
    assert_eq!(c.popups[0].driver, "browser");
    let PopupOutcome::Callback(url) = &c.popups[0].outcome else {
        panic!("{:?}", c.popups[0]);
    };
    assert!(
        url.starts_with(CLAUDE_REDIRECT) && url.contains("code="),
        "{url}"
    );
    let tools = c.call("tools/list", &json!({})).await.unwrap();
    assert!(!tools.result().unwrap()["tools"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_non_member_sees_the_not_a_member_page() {
    let (s, popup) = setup().await;
    let mut c = connector(&s, &popup, "gus@globex.test", "gus-pass");
    match connect(&mut c).await {
        Err(Error::Popup(PopupOutcome::Stopped {
            status,
            text,
            return_link,
        })) => {
            assert_eq!(status, 403);
            assert!(text.contains("not a member of Acme Inc."), "{text}");
            assert!(return_link.unwrap().contains("error=access_denied"));
        }
        other => panic!("expected the not-a-member page, got {other:?}"),
    }
}

#[tokio::test]
async fn a_wrong_password_is_a_failed_login() {
    let (s, popup) = setup().await;
    let mut c = connector(&s, &popup, "mia@acme.test", "not-her-password");
    match connect(&mut c).await {
        Err(Error::Popup(PopupOutcome::LoginFailed(text))) => {
            assert!(text.contains("Incorrect email or password"), "{text}")
        }
        other => panic!("expected a failed login, got {other:?}"),
    }
}

#[tokio::test]
async fn a_popup_opened_outside_the_click_is_blocked() {
    let (s, popup) = setup().await;
    let mut c = connector(&s, &popup, "mia@acme.test", "mia-pass");
    c.config.popup_from_click = false;
    match connect(&mut c).await {
        Err(Error::Popup(PopupOutcome::Blocked)) => {}
        other => panic!("expected a blocked popup, got {other:?}"),
    }
    // With Chromium's blocker switched off the same host gets its window.
    let popup = launch(false).await;
    let mut c = connector(&s, &popup, "mia@acme.test", "mia-pass");
    c.config.popup_from_click = false;
    connect(&mut c).await.unwrap();
}

/// What the user sees when the authorization server refuses the request itself (an unregistered
/// redirect URI gets an error page, never a redirect), and when the popup runs out of time.
#[tokio::test]
async fn an_error_page_and_a_timeout_are_reported_as_the_user_saw_them() {
    let (s, popup) = setup().await;
    let wire = Wire::new(&Net::open(Duration::from_secs(20))).unwrap();
    let unregistered = "https://evil.example/cb";
    let url = format!(
        "{}?response_type=code&client_id=acme-assistant&redirect_uri={}&state=s1\
         &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
        s.url("/oauth/authorize"),
        url::form_urlencoded::byte_serialize(unregistered.as_bytes()).collect::<String>()
    );
    let selectors = LoginSelectors::default();
    let mut request = PopupRequest {
        authorization_url: &url,
        redirect_uri: unregistered,
        credentials: None,
        selectors: &selectors,
        from_click: true,
        timeout: Duration::from_secs(20),
        session: None,
    };
    let report = popup.open(&wire, &request).await.unwrap();
    match report.outcome {
        PopupOutcome::Stopped { status, text, .. } => {
            assert_eq!(status, 400);
            assert!(text.to_lowercase().contains("redirect"), "{text}");
        }
        other => panic!("expected the error page, got {other:?}"),
    }
    request.timeout = Duration::ZERO;
    let report = popup.open(&wire, &request).await.unwrap();
    match report.outcome {
        PopupOutcome::TimedOut {
            url: at,
            waiting_for,
        } => {
            assert_eq!(at, url);
            assert!(!waiting_for.is_empty());
        }
        other => panic!("expected a time-out, got {other:?}"),
    }
}
