//! The OAuth 2.1 authorization server over real HTTP: discovery, the popup (authorize → sign in →
//! consent → redirect), tokens, refresh rotation, revocation, grants, and every attack the issue names.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

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

/// Viewer: connects and lists tools, but calls get 403 insufficient_scope; the role caps the grant.
#[tokio::test]
async fn a_viewer_lists_tools_but_calls_get_insufficient_scope() {
    let t = start().await;
    let (_, tokens) = t.connect("vic@acme.test", STOREFRONT).await;
    assert!(!tokens["scope"].as_str().unwrap().contains("execute:mcp"));
    let s = t.session(STOREFRONT, tokens["access_token"].as_str()).await;
    assert_eq!(s.tool_names().await.len(), 6);
    let reply = s
        .request(
            "tools/call",
            json!({"name": "search_products", "arguments": {"query": "tea"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let challenge = reply.header("www-authenticate").unwrap();
    assert!(
        challenge.contains("error=\"insufficient_scope\"") && challenge.contains("execute:mcp"),
        "{challenge}"
    );
}

/// Tokens are audience-bound: a production token fails on draft and on another project.
#[tokio::test]
async fn a_token_is_refused_on_another_endpoint() {
    let t = start().await;
    let (_, tokens) = t.connect("olivia@acme.test", STOREFRONT).await;
    let token = tokens["access_token"].as_str().unwrap();
    for path in [
        "/acme/storefront/draft",
        "/acme/catalog/draft",
        "/acme/launchpad",
        "/globex/ledger",
    ] {
        let reply = t.initialize(path, Some(token), "2025-11-25").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(reply
            .header("www-authenticate")
            .unwrap()
            .contains("invalid_token"));
    }
    assert_eq!(
        t.initialize("/acme/projects/storefront", Some(token), "2025-11-25")
            .await
            .status,
        StatusCode::OK
    );
}

/// A session id taken from another user does not act as that user.
#[tokio::test]
async fn another_users_session_id_is_not_theirs() {
    let t = start().await;
    let (_, olivia) = t.connect("olivia@acme.test", STOREFRONT).await;
    let (_, mia) = t.connect("mia@acme.test", STOREFRONT).await;
    let s = t.session(STOREFRONT, olivia["access_token"].as_str()).await;
    let auth = format!("Bearer {}", mia["access_token"].as_str().unwrap());
    let reply = t
        .post(
            STOREFRONT,
            &[("mcp-session-id", &s.id), ("authorization", &auth)],
            &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

/// Code exchange attacks: wrong verifier, wrong redirect URI, wrong resource, and a replayed code
/// (which revokes the tokens it produced).
#[tokio::test]
async fn code_exchange_attacks_are_refused_and_a_replayed_code_revokes_the_grant() {
    let t = start().await;
    let flow = t.new_flow(STOREFRONT).await;
    let code = t
        .popup(
            &browser(),
            &t.authorize_url(&flow, None),
            "mia@acme.test",
            "mia-pass",
            "authorize",
        )
        .await
        .query("code")
        .unwrap();
    let mut wrong = flow.clone();
    wrong.verifier = pkce_pair().0;
    assert_eq!(
        t.exchange_code(&wrong, &code).await.1["error"],
        "invalid_grant"
    );
    let (status, body) = t
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://chatgpt.com/other"),
            ("client_id", &flow.client_id),
            ("code_verifier", &flow.verifier),
            ("resource", &flow.resource),
        ])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let mut other_resource = flow.clone();
    other_resource.resource = t.url("/acme/catalog");
    assert_eq!(
        t.exchange_code(&other_resource, &code).await.1["error"],
        "invalid_target"
    );
    let other_client = t.register_public_client(CHATGPT_REDIRECT).await;
    let mut stolen = flow.clone();
    stolen.client_id = other_client;
    assert_eq!(
        t.exchange_code(&stolen, &code).await.1["error"],
        "invalid_grant"
    );

    let (status, tokens) = t.exchange_code(&flow, &code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let (status, replay) = t.exchange_code(&flow, &code).await;
    assert_eq!(
        (status, replay["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let reply = t
        .initialize(STOREFRONT, tokens["access_token"].as_str(), "2025-11-25")
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNAUTHORIZED,
        "the replay revoked the grant"
    );
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

/// Refresh rotation: the old refresh token is refused afterwards, and its reuse revokes the grant.
#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_grant() {
    let t = start().await;
    let (flow, tokens) = t.connect("mia@acme.test", STOREFRONT).await;
    let first = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (_, second) = t.refresh(&flow, &first).await;
    let (status, body) = t.refresh(&flow, &first).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, _) = t
        .refresh(&flow, second["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the whole grant is gone after reuse"
    );
}

/// An expired access token gets 401 invalid_token; a refresh restores access without the user.
#[tokio::test]
async fn an_expired_access_token_is_refused_and_refresh_restores_access() {
    let t = start().await;
    let (flow, tokens) = t.connect("mia@acme.test", STOREFRONT).await;
    let (status, expired) = t
        .admin(
            Method::POST,
            "/_admin/oauth/expire-access-tokens",
            Some(json!({"user": "mia@acme.test"})),
        )
        .await;
    assert_eq!(
        (status, expired["expired"].as_u64()),
        (StatusCode::OK, Some(1))
    );
    let reply = t
        .initialize(STOREFRONT, tokens["access_token"].as_str(), "2025-11-25")
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(reply
        .header("www-authenticate")
        .unwrap()
        .contains("expired"));
    let (status, refreshed) = t
        .refresh(&flow, tokens["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        t.initialize(STOREFRONT, refreshed["access_token"].as_str(), "2025-11-25")
            .await
            .status,
        StatusCode::OK
    );
    // Short-lived tokens are configurable at run time.
    let (_, settings) = t
        .admin(
            Method::PUT,
            "/_admin/oauth/settings",
            Some(json!({"access_token_ttl_secs": 5})),
        )
        .await;
    assert_eq!(settings["access_token_ttl_secs"], 5);
    let (_, short) = t.connect("olivia@acme.test", STOREFRONT).await;
    assert_eq!(short["expires_in"], 5);
}

/// Authorized apps: grants per organization and per user; revoking one leaves the other working;
/// role reduction and membership removal take effect on the next request, and refresh then fails.
#[tokio::test]
async fn authorized_apps_revocation_and_membership_changes_apply_on_the_next_request() {
    let t = start().await;
    let (_, mia) = t.connect("mia@acme.test", STOREFRONT).await;
    let (dev_flow, dev) = t.connect("dev@acme.test", STOREFRONT).await;
    let (status, all) = t
        .admin(Method::GET, "/_admin/orgs/acme/authorized-apps", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all["grants"].as_array().unwrap().len(), 2);
    let (_, mine) = t
        .admin(
            Method::GET,
            "/_admin/orgs/acme/authorized-apps?user=mia@acme.test",
            None,
        )
        .await;
    let grant = &mine["grants"][0];
    assert_eq!(grant["email"], "mia@acme.test");
    assert_eq!(grant["client_name"], "Test Host");
    assert_eq!(grant["environment"], "production");
    assert!(grant["created_at"].is_string());
    let mia_session = t.session(STOREFRONT, mia["access_token"].as_str()).await;
    let (_, mine) = t
        .admin(
            Method::GET,
            "/_admin/orgs/acme/authorized-apps?user=mia@acme.test",
            None,
        )
        .await;
    assert!(mine["grants"][0]["last_used_at"].is_string());

    let id = grant["id"].as_str().unwrap();
    let (status, _) = t
        .admin(
            Method::DELETE,
            &format!("/_admin/orgs/acme/authorized-apps/{id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        mia_session.request("tools/list", json!({})).await.status,
        StatusCode::UNAUTHORIZED
    );
    let dev_session = t.session(STOREFRONT, dev["access_token"].as_str()).await;
    assert_eq!(
        dev_session.tool_names().await.len(),
        6,
        "the other grant still works"
    );

    t.admin(
        Method::PUT,
        "/_admin/orgs/acme/members/dev@acme.test",
        Some(json!({"role": "Viewer"})),
    )
    .await;
    let reply = dev_session
        .request(
            "tools/call",
            json!({"name": "search_products", "arguments": {"query": "tea"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let (status, body) = t
        .refresh(&dev_flow, dev["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );

    t.admin(
        Method::DELETE,
        "/_admin/orgs/acme/members/dev@acme.test",
        None,
    )
    .await;
    assert_eq!(
        dev_session.request("tools/list", json!({})).await.status,
        StatusCode::UNAUTHORIZED
    );
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

/// Token endpoint input errors are RFC 6749 JSON errors, never cached.
#[tokio::test]
async fn the_token_endpoint_answers_bad_requests_with_oauth_errors() {
    let t = start().await;
    let flow = t.new_flow(STOREFRONT).await;
    let (status, body) = t
        .token_request(&[("grant_type", "password"), ("client_id", &flow.client_id)])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unsupported_grant_type"))
    );
    let (status, body) = t
        .token_request(&[("grant_type", "authorization_code")])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let (status, body) = t
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("client_id", &flow.client_id),
            ("code", "nope"),
        ])
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let json_body = t
        .http
        .post(t.url("/oauth/token"))
        .json(&json!({"grant_type": "authorization_code"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_body.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json_body.headers()["cache-control"], "no-store");
}
