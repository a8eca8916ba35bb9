//! Property test: arbitrary parameters and headers at every OAuth endpoint never get a 5xx and never
//! kill the server.

mod common;

use common::*;
use proptest::prelude::*;
use reqwest::Method;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("code".to_owned()),
        Just("S256".to_owned()),
        Just("plain".to_owned()),
        Just("authorization_code".to_owned()),
        Just("refresh_token".to_owned()),
        Just("acme-assistant".to_owned()),
        Just("https://chatgpt.com/connector_platform_oauth_redirect".to_owned()),
        Just("https://169.254.169.254/x".to_owned()),
        Just("http://127.0.0.1:1/x".to_owned()),
        Just("read:types execute:mcp".to_owned()),
        "[ -~]{0,60}",
        "\\PC{0,20}",
    ]
}

const NAMES: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
    "resource",
    "grant_type",
    "code",
    "code_verifier",
    "refresh_token",
    "token",
    "token_type_hint",
    "client_secret",
    "request",
    "csrf",
    "email",
    "password",
    "decision",
];

fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(
        (prop::sample::select(NAMES).prop_map(String::from), value()),
        0..10,
    )
}

const TARGETS: &[(&str, &str)] = &[
    ("GET", "/oauth/authorize"),
    ("GET", "/oauth/login"),
    ("POST", "/oauth/login"),
    ("GET", "/oauth/consent"),
    ("POST", "/oauth/consent"),
    ("POST", "/oauth/token"),
    ("POST", "/oauth/revoke"),
    ("POST", "/oauth/register"),
    ("GET", "/.well-known/oauth-authorization-server"),
    (
        "GET",
        "/.well-known/oauth-protected-resource/acme/storefront",
    ),
    (
        "GET",
        "/acme/storefront/.well-known/oauth-authorization-server",
    ),
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    #[test]
    fn oauth_endpoints_never_answer_with_a_server_error(
        target in prop::sample::select(TARGETS),
        params in params(),
        as_json in any::<bool>(),
        content_type in prop_oneof![Just("application/x-www-form-urlencoded"), Just("application/json"), Just("text/plain"), Just("")],
        authorization in proptest::option::of(value().prop_map(|v| format!("Basic {v}"))),
        cookie in proptest::option::of(value().prop_map(|v| format!("mb_session={v}; mb_login_csrf={v}"))),
        raw_body in proptest::option::of(prop::collection::vec(any::<u8>(), 0..200)),
    ) {
        let rt = runtime();
        rt.block_on(async {
            let t = start_with(&[], |o| o.allow_loopback_cimd = true).await;
            let (method, path) = target;
            let query = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params.iter())
                .finish();
            let method = if method == "GET" { Method::GET } else { Method::POST };
            let mut request = if method == Method::GET {
                t.http.get(format!("{}?{query}", t.url(path)))
            } else if let Some(bytes) = raw_body {
                t.http.post(t.url(path)).body(bytes)
            } else if as_json {
                let object: serde_json::Map<String, serde_json::Value> =
                    params.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
                t.http.post(t.url(path)).body(serde_json::Value::Object(object).to_string())
            } else {
                t.http.post(t.url(path)).body(query)
            };
            if !content_type.is_empty() {
                request = request.header("content-type", content_type);
            }
            if let Some(a) = authorization {
                request = request.header("authorization", a);
            }
            if let Some(c) = cookie {
                request = request.header("cookie", c);
            }
            let response = request.send().await.expect("the server answers");
            prop_assert!(!response.status().is_server_error(), "{path}: {}", response.status());
            // The server is still alive and well.
            let again = t.http.get(t.url("/.well-known/oauth-authorization-server")).send().await.unwrap();
            prop_assert!(again.status().is_success());
            Ok(())
        })?;
    }
}
