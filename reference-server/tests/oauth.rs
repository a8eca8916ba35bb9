//! The OAuth 2.1 authorization server over real HTTP: discovery, the whole flow, and the popup
//! (authorize → sign in → consent → redirect): request validation, the login session, the consent page
//! and who may authorize what. Tokens are in `oauth_tokens.rs`, clients in `oauth_clients.rs`.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

const STOREFRONT: &str = "/acme/storefront";

/// RFC 8414 and OpenID discovery paths plus the project-path form Metabind's clients read.
#[tokio::test]
async fn authorization_server_metadata_is_served_at_every_discovery_path() {
    let t = start().await;
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
        "/acme/storefront/.well-known/oauth-authorization-server",
        "/acme/projects/storefront/.well-known/oauth-authorization-server",
    ] {
        let m = t.get_json(path).await;
        assert_eq!(m["issuer"], t.server.base_url, "{path}");
        assert_eq!(m["code_challenge_methods_supported"], json!(["S256"]));
        assert!(m["token_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("none")));
        assert_eq!(m["client_id_metadata_document_supported"], true);
        assert_eq!(m["authorization_response_iss_parameter_supported"], true);
        for endpoint in [
            "authorization_endpoint",
            "token_endpoint",
            "registration_endpoint",
            "revocation_endpoint",
        ] {
            assert!(
                m[endpoint]
                    .as_str()
                    .unwrap()
                    .starts_with(&t.server.base_url),
                "{endpoint}"
            );
        }
    }
    let prm = t
        .get_json("/.well-known/oauth-protected-resource/acme/storefront/draft")
        .await;
    assert_eq!(prm["resource"], t.url("/acme/storefront/draft"));
    assert!(prm["scopes_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("execute:mcp-draft")));
}

/// The whole flow: register → authorize → login form → consent form → redirect → token → MCP call →
/// refresh → revoke → 401.
#[tokio::test]
async fn the_whole_flow_from_registration_to_revocation() {
    let t = start().await;
    let flow = t.new_flow(STOREFRONT).await;
    let browser = browser();
    let end = t
        .popup(
            &browser,
            &t.authorize_url(&flow, None),
            "mia@acme.test",
            "mia-pass",
            "authorize",
        )
        .await;
    let redirect = end.redirect();
    assert!(
        redirect.as_str().starts_with(CHATGPT_REDIRECT),
        "{redirect}"
    );
    assert_eq!(end.query("state").as_deref(), Some(flow.state.as_str()));
    assert_eq!(
        end.query("iss").as_deref(),
        Some(t.server.base_url.as_str())
    );
    let code = end.query("code").unwrap();

    let (status, tokens) = t.exchange_code(&flow, &code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["expires_in"].as_u64().unwrap() > 0);
    let scopes: Vec<&str> = tokens["scope"].as_str().unwrap().split(' ').collect();
    assert!(
        scopes.contains(&"execute:mcp") && !scopes.contains(&"execute:mcp-draft"),
        "MCP User: {scopes:?}"
    );
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();

    let s = t.session(STOREFRONT, Some(&access)).await;
    assert_eq!(
        s.call("search_products", json!({"query": "kettle"})).await["structuredContent"]["count"],
        1
    );

    let (status, refreshed) = t.refresh(&flow, &refresh).await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    let new_access = refreshed["access_token"].as_str().unwrap().to_owned();
    let new_refresh = refreshed["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new_refresh, refresh, "refresh tokens rotate");

    let revoked = t
        .http
        .post(t.url("/oauth/revoke"))
        .form(&[
            ("token", new_refresh.as_str()),
            ("client_id", flow.client_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    let reply = t
        .initialize(STOREFRONT, Some(&new_access), "2025-11-25")
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(reply
        .header("www-authenticate")
        .unwrap()
        .contains("invalid_token"));
    let (status, body) = t.refresh(&flow, &new_refresh).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
}

/// `/authorize` refuses without redirecting when the client or redirect URI is wrong (no open
/// redirect), and reports other errors at the registered redirect URI.
#[tokio::test]
async fn authorization_requests_are_validated() {
    let t = start().await;
    let flow = t.new_flow(STOREFRONT).await;
    let good = t.authorize_url(&flow, None);
    for bad in [
        good.replace(&flow.client_id, "unknown-client"),
        good.replace("chatgpt.com", "evil.example"),
        good.replace(
            "connector_platform_oauth_redirect",
            "connector_platform_oauth_redirect%2F..%2Fx",
        ),
        format!("{good}&client_id=again"),
    ] {
        let response = t.http.get(&bad).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert!(
            response.headers().get("location").is_none(),
            "never redirect: {bad}"
        );
        assert!(response.text().await.unwrap().contains("oauth-error"));
    }
    let cases = [
        (
            good.replace(
                "&code_challenge_method=S256",
                "&code_challenge_method=plain",
            ),
            "invalid_request",
        ),
        (
            good.replace("&code_challenge_method=S256", ""),
            "invalid_request",
        ),
        (
            good.replace(&format!("&code_challenge={}", flow.challenge), ""),
            "invalid_request",
        ),
        (
            good.replace("response_type=code", "response_type=token"),
            "unsupported_response_type",
        ),
        (
            good.replace("%2Facme%2Fstorefront", "%2Facme%2Fnope"),
            "invalid_target",
        ),
        (format!("{good}&scope=admin:everything"), "invalid_scope"),
    ];
    for (url, error) in cases {
        let response = t.http.get(&url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{url}");
        let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
        assert!(location.as_str().starts_with(CHATGPT_REDIRECT));
        let q: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
        assert_eq!(q["error"], error, "{url}");
        assert_eq!(q["state"], flow.state);
        assert_eq!(q["iss"], t.server.base_url);
    }
    let no_resource = t
        .http
        .get(good.replace(
            &format!(
                "&resource={}",
                url::form_urlencoded::byte_serialize(flow.resource.as_bytes()).collect::<String>()
            ),
            "",
        ))
        .send()
        .await
        .unwrap();
    assert!(no_resource.headers()["location"]
        .to_str()
        .unwrap()
        .contains("error=invalid_target"));
}

/// ChatGPT reconnects without `scope`: the server falls back to the defaults instead of failing.
#[tokio::test]
async fn an_authorization_without_scope_gets_the_default_scopes() {
    let t = start().await;
    let (_, tokens) = t.connect("olivia@acme.test", STOREFRONT).await;
    let scopes: Vec<&str> = tokens["scope"].as_str().unwrap().split(' ').collect();
    for s in ["read:types", "read:assets", "execute:mcp", "offline_access"] {
        assert!(scopes.contains(&s), "{scopes:?}");
    }
    assert!(tokens["refresh_token"].is_string());
}

/// The login page is a real form with CSRF; a second authorization in the same browser skips it.
#[tokio::test]
async fn the_metabind_session_cookie_makes_the_second_authorization_go_straight_to_consent() {
    let t = start().await;
    let flow = t.new_flow(STOREFRONT).await;
    let browser = browser();
    let first = browser
        .get(t.authorize_url(&flow, None))
        .send()
        .await
        .unwrap();
    assert_eq!(
        first.headers()["location"]
            .to_str()
            .unwrap()
            .split('?')
            .next(),
        Some("/oauth/login")
    );
    let login_url = t.url(first.headers()["location"].to_str().unwrap());
    let login = browser.get(&login_url).send().await.unwrap();
    assert_eq!(login.headers()["x-frame-options"], "DENY");
    assert!(login.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    let html = login.text().await.unwrap();
    assert!(html.contains("type=\"password\"") && html.contains("name=\"csrf\""));

    let wrong = browser
        .post(t.url("/oauth/login"))
        .form(&[
            ("request", form_field(&html, "request").unwrap()),
            ("csrf", form_field(&html, "csrf").unwrap()),
            ("email", "mia@acme.test".into()),
            ("password", "nope".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let html = wrong.text().await.unwrap();
    assert!(html.contains("Incorrect email or password"));
    let ok = browser
        .post(t.url("/oauth/login"))
        .form(&[
            ("request", form_field(&html, "request").unwrap()),
            ("csrf", form_field(&html, "csrf").unwrap()),
            ("email", "mia@acme.test".into()),
            ("password", "mia-pass".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let cookie = ok.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    // Same browser, new authorization: straight to consent.
    let again = t.new_flow(STOREFRONT).await;
    let second = browser
        .get(t.authorize_url(&again, None))
        .send()
        .await
        .unwrap();
    assert_eq!(
        second.headers()["location"]
            .to_str()
            .unwrap()
            .split('?')
            .next(),
        Some("/oauth/consent")
    );
}

/// The consent page says who asks, where the answer goes, which project and environment, and what for.
#[tokio::test]
async fn the_consent_page_names_client_redirect_host_project_environment_and_scopes() {
    let t = start().await;
    let flow = t.new_flow("/acme/storefront/draft").await;
    let browser = browser();
    let start_url = t.authorize_url(&flow, Some("read:types execute:mcp-draft"));
    // Sign in, then stop at the consent page.
    let login_location = browser.get(&start_url).send().await.unwrap().headers()["location"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = browser
        .get(t.url(&login_location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let consent = browser
        .post(t.url("/oauth/login"))
        .form(&[
            ("request", form_field(&html, "request").unwrap()),
            ("csrf", form_field(&html, "csrf").unwrap()),
            ("email", "mdev@acme.test".into()),
            ("password", "mdev-pass".into()),
        ])
        .send()
        .await
        .unwrap();
    let consent_url = t.url(consent.headers()["location"].to_str().unwrap());
    let page = browser.get(&consent_url).send().await.unwrap();
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let html = page.text().await.unwrap();
    for expected in [
        "Test Host",
        "chatgpt.com",
        "Acme Storefront",
        "draft",
        "Use this project's draft",
        "id=\"authorize\"",
        "id=\"deny\"",
    ] {
        assert!(
            html.contains(expected),
            "consent page lacks {expected:?}: {html}"
        );
    }
    assert!(
        !html.contains("offline_access"),
        "only requested scopes are shown"
    );

    // CSRF: a consent POST without the page's token is refused.
    let forged = browser
        .post(t.url("/oauth/consent"))
        .form(&[
            ("request", form_field(&html, "request").unwrap()),
            ("decision", "authorize".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    // And from another browser (no Metabind session), even with the token.
    let other = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cross = other
        .post(t.url("/oauth/consent"))
        .form(&[
            ("request", form_field(&html, "request").unwrap()),
            ("csrf", form_field(&html, "csrf").unwrap()),
            ("decision", "authorize".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);

    // Deny sends access_denied back with state and iss.
    let denied = browser
        .post(t.url("/oauth/consent"))
        .form(&[
            ("request", form_field(&html, "request").unwrap()),
            ("csrf", form_field(&html, "csrf").unwrap()),
            ("decision", "deny".into()),
        ])
        .send()
        .await
        .unwrap();
    let location = url::Url::parse(denied.headers()["location"].to_str().unwrap()).unwrap();
    let q: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], flow.state);
    assert_eq!(q["iss"], t.server.base_url);
}

/// A non-member of a private project's organization sees "not a member" and the host gets access_denied.
#[tokio::test]
async fn a_non_member_sees_not_a_member_and_the_host_gets_access_denied() {
    let t = start().await;
    let flow = t.new_flow(STOREFRONT).await;
    let end = t
        .popup(
            &browser(),
            &t.authorize_url(&flow, None),
            "gus@globex.test",
            "gus-pass",
            "authorize",
        )
        .await;
    let PopupEnd::Page { status, html } = end else {
        panic!("expected the not-a-member page")
    };
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("not a member of Acme Inc."), "{html}");
    let link = form_link(&html);
    let url = url::Url::parse(&link).unwrap();
    assert!(link.starts_with(CHATGPT_REDIRECT));
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["error"], "access_denied");
    assert!(q["error_description"].contains("not a member"));
    assert_eq!(q["state"], flow.state);
}

fn form_link(html: &str) -> String {
    let start =
        html.find("id=\"return\" href=\"").expect("return link") + "id=\"return\" href=\"".len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].replace("&amp;", "&")
}

/// A public project may be authorized by anyone with a login; its draft stays members-only.
#[tokio::test]
async fn a_public_project_can_be_authorized_by_a_non_member() {
    let t = start().await;
    let (_, tokens) = t.connect("gus@globex.test", "/acme/catalog").await;
    let s = t
        .session("/acme/catalog", tokens["access_token"].as_str())
        .await;
    assert_eq!(s.call("list_categories", json!({})).await["isError"], false);
    let flow = t.new_flow("/acme/catalog/draft").await;
    let end = t
        .popup(
            &browser(),
            &t.authorize_url(&flow, None),
            "gus@globex.test",
            "gus-pass",
            "authorize",
        )
        .await;
    assert!(matches!(
        end,
        PopupEnd::Page {
            status: StatusCode::FORBIDDEN,
            ..
        }
    ));
}

/// The draft endpoint needs execute:mcp-draft: an MCP User cannot authorize it, an MCP Developer can.
#[tokio::test]
async fn an_mcp_user_cannot_authorize_the_draft_but_an_mcp_developer_can() {
    let t = start().await;
    let flow = t.new_flow("/acme/storefront/draft").await;
    let end = t
        .popup(
            &browser(),
            &t.authorize_url(&flow, None),
            "mia@acme.test",
            "mia-pass",
            "authorize",
        )
        .await;
    let PopupEnd::Page { html, .. } = end else {
        panic!("expected a refusal page")
    };
    assert!(html.contains("cannot use the draft endpoint"), "{html}");
    let (_, tokens) = t.connect("mdev@acme.test", "/acme/storefront/draft").await;
    let s = t
        .session("/acme/storefront/draft", tokens["access_token"].as_str())
        .await;
    assert!(s
        .tool_names()
        .await
        .contains(&"compare_products".to_owned()));
}
