//! OAuth clients over real HTTP: pre-registered confidential clients, deleted clients, Dynamic Client
//! Registration and Client ID Metadata Documents.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const STOREFRONT: &str = "/acme/storefront";

/// Pre-registered confidential clients authenticate with HTTP Basic; a wrong secret is invalid_client.
#[tokio::test]
async fn a_pre_registered_confidential_client_must_present_its_secret() {
    let t = start().await;
    let (verifier, challenge) = pkce_pair();
    let flow = Flow {
        client_id: "acme-assistant".into(),
        redirect_uri: "https://claude.ai/api/mcp/auth_callback".into(),
        verifier,
        challenge,
        state: "s1".into(),
        resource: t.url(STOREFRONT),
    };
    let end = t
        .popup(
            &browser(),
            &t.authorize_url(&flow, None),
            "mia@acme.test",
            "mia-pass",
            "authorize",
        )
        .await;
    let code = end.query("code").unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", flow.redirect_uri.as_str()),
        ("code_verifier", flow.verifier.as_str()),
        ("resource", flow.resource.as_str()),
    ];
    let wrong = t
        .http
        .post(t.url("/oauth/token"))
        .basic_auth("acme-assistant", Some("wrong"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Basic"));
    let right = t
        .http
        .post(t.url("/oauth/token"))
        .basic_auth("acme-assistant", Some("acme-assistant-secret-9b1f"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::OK);
}

/// A deleted client gets 401 invalid_client at the token endpoint (Claude then re-registers).
#[tokio::test]
async fn a_deleted_client_gets_invalid_client() {
    let t = start().await;
    let (flow, tokens) = t.connect("mia@acme.test", STOREFRONT).await;
    let (status, _) = t
        .admin(
            Method::DELETE,
            &format!("/_admin/oauth/clients/{}", flow.client_id),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = t
        .refresh(&flow, tokens["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
}

/// RFC 7591 validation: redirect URIs must be https or loopback; metadata must make sense.
#[tokio::test]
async fn dynamic_client_registration_validates_the_metadata() {
    let t = start().await;
    let register = |body: Value| {
        let t = &t;
        async move {
            let r = t
                .http
                .post(t.url("/oauth/register"))
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    for (body, error) in [
        (
            json!({"redirect_uris": ["http://evil.example/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["javascript:alert(1)"]}),
            "invalid_redirect_uri",
        ),
        (json!({"redirect_uris": []}), "invalid_redirect_uri"),
        (json!({}), "invalid_redirect_uri"),
        (
            json!({"redirect_uris": ["https://a.example/cb"], "grant_types": ["password"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": "private_key_jwt"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://a.example/cb"], "scope": "root"}),
            "invalid_client_metadata",
        ),
        (json!([1, 2]), "invalid_client_metadata"),
    ] {
        let (status, reply) = register(body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply["error"], error, "{body}");
    }
    let (status, reply) = register(json!({
        "client_name": "Claude", "redirect_uris": ["https://claude.ai/api/mcp/auth_callback"],
        "token_endpoint_auth_method": "client_secret_post"
    }))
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(reply["client_secret"].is_string());
    assert_eq!(reply["token_endpoint_auth_method"], "client_secret_post");
}

/// Client ID Metadata Documents: fetched from the client's URL (loopback only behind the test
/// switch), validated, and refused when they do not name themselves or point at private addresses.
#[tokio::test]
async fn client_id_metadata_documents_are_fetched_validated_and_guarded() {
    use axum::routing::get;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = format!("http://{}", listener.local_addr().unwrap());
    let good_id = format!("{host}/client.json");
    let liar_id = format!("{host}/liar.json");
    let (good, liar) = (good_id.clone(), liar_id.clone());
    let app = axum::Router::new()
        .route("/client.json", get(move || async move {
            axum::Json(json!({"client_id": good, "client_name": "CIMD Host", "redirect_uris": [CHATGPT_REDIRECT], "token_endpoint_auth_method": "none"}))
        }))
        .route("/liar.json", get(move || async move {
            let _ = &liar;
            axum::Json(json!({"client_id": "https://someone-else.example/x", "redirect_uris": [CHATGPT_REDIRECT]}))
        }));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop_rx.await;
            })
            .await
    });

    let t = start_with(&[], |o| o.allow_loopback_cimd = true).await;
    let (verifier, challenge) = pkce_pair();
    let flow = Flow {
        client_id: good_id.clone(),
        redirect_uri: CHATGPT_REDIRECT.into(),
        verifier,
        challenge,
        state: "cimd".into(),
        resource: t.url(STOREFRONT),
    };
    let end = t
        .popup(
            &browser(),
            &t.authorize_url(&flow, None),
            "mia@acme.test",
            "mia-pass",
            "authorize",
        )
        .await;
    let code = end.query("code").unwrap();
    assert_eq!(t.exchange_code(&flow, &code).await.0, StatusCode::OK);

    let mut liar_flow = flow.clone();
    liar_flow.client_id = liar_id;
    let response = t
        .http
        .get(t.authorize_url(&liar_flow, None))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("must equal its URL"));

    // Without the test switch, loopback http documents are refused; private addresses always are.
    let strict = start().await;
    let response = strict
        .http
        .get(
            strict
                .authorize_url(&flow, None)
                .replace(&t.server.base_url, &strict.server.base_url),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let mut metadata_service = flow.clone();
    metadata_service.client_id = "https://169.254.169.254/latest/meta-data".into();
    let response = t
        .http
        .get(t.authorize_url(&metadata_service, None))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("private or reserved address"));
    let _ = stop_tx.send(());
}
