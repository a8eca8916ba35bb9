//! The second world (`fixtures/second-world.toml`) shares no name with the default one, and a clean
//! server of either world passes the same wire-level rules: initialize, paging at the world's page size,
//! the 401 challenge and the metadata with the world's scope strings, the OAuth code flow with PKCE, 403
//! `insufficient_scope` naming the world's scope, and the REST API with the world's token.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::worlds::WORLDS;
use common::*;
use metabind_reference_server::fixture::{default_fixture_path, second_world_fixture_path};
use metabind_reference_server::Fixture;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const V: &str = "2025-11-25";

/// Every name a world gives: ids, display names, emails, passwords, roles, scope strings, tools,
/// resources, datasets, keys, clients, tokens.
fn names(fixture: &Fixture) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    names.insert(fixture.server.admin_key.clone());
    names.extend(fixture.scopes.entries().iter().map(|(_, s)| s.to_string()));
    names.extend(fixture.role_order().into_iter().map(String::from));
    names.extend(
        fixture
            .rest_tokens
            .iter()
            .map(|t| t.token.get_ref().clone()),
    );
    for user in &fixture.users {
        names.extend([user.email.clone(), user.name.clone(), user.password.clone()]);
        names.extend(user.email.split('@').map(String::from));
    }
    for org in &fixture.organizations {
        names.extend([org.id.clone(), org.name.clone()]);
    }
    for project in &fixture.projects {
        names.extend([project.id.clone(), project.name.clone()]);
        names.extend(project.data.keys().cloned());
        for key in &project.api_keys {
            names.extend([key.name.clone(), key.key.clone()]);
        }
        for resource in &project.resources {
            names.extend([resource.uri.clone(), resource.name.clone()]);
            names.extend(resource.file.clone());
            names.extend(resource.title.clone());
        }
        for tool in &project.tools {
            names.insert(tool.name.clone());
            names.extend(tool.title.clone());
            names.extend(tool.description.clone());
        }
    }
    for client in &fixture.oauth.clients {
        names.extend([client.client_id.clone(), client.client_name.clone()]);
        names.extend(client.client_secret.clone());
    }
    names
}

#[test]
fn the_second_world_shares_no_name_with_the_default_world() {
    let default = Fixture::load(&default_fixture_path()).expect("default world");
    let second = Fixture::load(&second_world_fixture_path()).expect("second world");
    let (a, b) = (names(&default), names(&second));
    let shared: Vec<&String> = a
        .intersection(&b)
        .filter(|n| *n != "offline_access")
        .collect();
    assert!(shared.is_empty(), "names in both worlds: {shared:?}");
    // Nor does any default name appear inside the second world's files (its UI pages included).
    let base = second_world_fixture_path();
    let mut text = std::fs::read_to_string(&base).unwrap();
    for resource in second.projects.iter().flat_map(|p| &p.resources) {
        text.push_str(resource.text.as_deref().unwrap_or_default());
    }
    // Names of three letters or fewer (`dev`, `mia`) are parts of ordinary words.
    let found: Vec<&String> = a
        .iter()
        .filter(|n| n.len() > 3 && *n != "offline_access")
        .filter(|n| text.contains(n.as_str()))
        .collect();
    assert!(
        found.is_empty(),
        "default-world names in the second world: {found:?}"
    );
    assert!(Path::new(&base).exists());
}

/// initialize names the project and gives its instructions; tools/list pages at the world's size.
#[tokio::test]
async fn a_clean_server_of_either_world_initializes_and_pages_its_tools() {
    for world in WORLDS {
        let t = start_world(world, &[], |_| {}).await;
        let result = t
            .initialize(&world.main(), Some(world.main_key), V)
            .await
            .result();
        assert_eq!(
            result["serverInfo"]["name"],
            format!("{}/{}", world.org, world.main_project)
        );
        let instructions = result["instructions"].as_str().unwrap_or_default();
        assert!(instructions.contains(world.search.name), "{instructions}");
        for (path, expected) in [(world.main(), 6), (world.main_draft(), 7)] {
            let s = t.session(&path, Some(world.main_key)).await;
            let mut cursor: Option<String> = None;
            let mut names = Vec::new();
            let mut pages = 0;
            loop {
                let params = cursor
                    .as_ref()
                    .map_or(json!({}), |c| json!({ "cursor": c }));
                let page = s.result("tools/list", params).await;
                let tools = page["tools"].as_array().unwrap();
                assert!(
                    tools.len() <= world.page_size,
                    "{} world: {page}",
                    world.label
                );
                names.extend(tools.iter().map(|t| t["name"].as_str().unwrap().to_owned()));
                pages += 1;
                match page["nextCursor"].as_str() {
                    Some(next) => cursor = Some(next.to_owned()),
                    None => break,
                }
            }
            assert_eq!(
                names.len(),
                expected,
                "{} world, {path}: {names:?}",
                world.label
            );
            assert_eq!(
                pages,
                expected.div_ceil(world.page_size),
                "{} world",
                world.label
            );
        }
    }
}

/// The 401 challenge, the PRM and the AS metadata name the world's own scope strings.
#[tokio::test]
async fn challenges_and_metadata_name_the_worlds_scope_strings() {
    for world in WORLDS {
        let t = start_world(world, &[], |_| {}).await;
        let [list, _, assets, execute, execute_draft, _] = world.scopes;
        for (path, run) in [(world.main(), execute), (world.main_draft(), execute_draft)] {
            let reply = t.initialize(&path, None, V).await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
            let challenge = reply.header("www-authenticate").unwrap();
            assert!(
                challenge.contains(&format!("scope=\"{list} {assets} {run}\"")),
                "{} world: {challenge}",
                world.label
            );
            let prm = t
                .get_json(&format!("/.well-known/oauth-protected-resource{path}"))
                .await;
            assert_eq!(prm["scopes_supported"], json!([list, assets, run]));
        }
        let metadata = t.get_json("/.well-known/oauth-authorization-server").await;
        assert_eq!(metadata["scopes_supported"], json!(world.scopes));
        let root = t.get_json("/.well-known/oauth-protected-resource").await;
        assert_eq!(root["scopes_supported"], json!(world.scopes[..5]));
    }
}

/// A member connects with the code flow and PKCE, then calls a tool; a read-only role is refused with
/// 403 `insufficient_scope` naming the world's execute scope.
#[tokio::test]
async fn a_member_connects_and_a_read_only_role_gets_insufficient_scope() {
    for world in WORLDS {
        let t = start_world(world, &[], |_| {}).await;
        let main = world.main();
        let (_, tokens) = t.connect(world.runner, &main).await;
        let granted: BTreeSet<&str> = tokens["scope"].as_str().unwrap().split(' ').collect();
        assert!(
            granted.contains(world.scopes[3]),
            "{} world: {tokens}",
            world.label
        );
        let s = t.session(&main, tokens["access_token"].as_str()).await;
        let result = s.call(world.search.name, world.search.args()).await;
        assert_eq!(result["isError"], false, "{result}");

        let (_, viewer) = t.connect(world.viewer, &main).await;
        let s = t.session(&main, viewer["access_token"].as_str()).await;
        assert!(!s.all_tools().await.is_empty());
        let reply = s
            .request(
                "tools/call",
                json!({"name": world.search.name, "arguments": world.search.args()}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{} world", world.label);
        let challenge = reply.header("www-authenticate").unwrap();
        assert!(
            challenge.contains("error=\"insufficient_scope\""),
            "{challenge}"
        );
        assert!(
            challenge.contains(&format!("needs the {} scope", world.scopes[3])),
            "{} world: {challenge}",
            world.label
        );
    }
}

/// The consent page describes each scope by its purpose, and a role without draft testing is refused the
/// draft with the world's own role names.
#[tokio::test]
async fn consent_speaks_of_the_worlds_scopes_and_roles() {
    let t = start_world(&SECOND, &[], |_| {}).await;
    let flow = t.new_flow(&SECOND.main()).await;
    let b = browser();
    let page = b.get(t.authorize_url(&flow, None)).send().await.unwrap();
    let login = t.url(page.headers()["location"].to_str().unwrap());
    let html = b.get(login).send().await.unwrap().text().await.unwrap();
    let form = [
        ("request", form_field(&html, "request").unwrap()),
        ("csrf", form_field(&html, "csrf").unwrap()),
        ("email", SECOND.owner.to_owned()),
        ("password", (SECOND.password)(SECOND.owner)),
    ];
    let after = b
        .post(t.url("/oauth/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let consent = t.url(after.headers()["location"].to_str().unwrap());
    let html = b.get(consent).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("Run this project's published tools on your behalf <span class=\"muted\">(tools:run)</span>"),
        "{html}"
    );
    assert!(!html.contains("An additional permission"), "{html}");

    let end = {
        let flow = t.new_flow(&SECOND.main_draft()).await;
        let password = (SECOND.password)(SECOND.runner);
        t.popup(
            &browser(),
            &t.authorize_url(&flow, None),
            SECOND.runner,
            &password,
            "authorize",
        )
        .await
    };
    let PopupEnd::Page { html, .. } = end else {
        panic!("a production-only role is refused the draft: {end:?}");
    };
    assert!(
        html.contains("(Proprietor, Steward, Builder or Tool Tester)"),
        "{html}"
    );
}

/// The world's REST token mints a key that works at once, and flips its public project private.
#[tokio::test]
async fn the_second_worlds_rest_token_controls_keys_and_visibility() {
    let t = start_world(&SECOND, &[], |_| {}).await;
    let auth = format!("Bearer {}", SECOND.owner_rest_token);
    let keys = format!(
        "/api/v1/organizations/{}/projects/{}/api-keys",
        SECOND.org, SECOND.main_project
    );
    let reply = t
        .send(
            Method::POST,
            &keys,
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            Some(r#"{"name": "harness-made"}"#.into()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let key: Value = serde_json::from_str(&reply.text).unwrap();
    let s = t.session(&SECOND.main_draft(), key["key"].as_str()).await;
    assert_eq!(
        s.call(SECOND.draft_only.name, SECOND.draft_only.args())
            .await["isError"],
        false
    );

    assert_eq!(
        t.initialize(&SECOND.public(), None, V).await.status,
        StatusCode::OK
    );
    let visibility = format!(
        "/api/v1/organizations/{}/projects/{}/settings/mcp/visibility",
        SECOND.org, SECOND.public_project
    );
    let reply = t
        .send(
            Method::PUT,
            &visibility,
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            Some(r#"{"visibility": "private"}"#.into()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        t.initialize(&SECOND.public(), None, V).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        t.initialize(&SECOND.public(), Some(SECOND.public_key), V)
            .await
            .status,
        StatusCode::OK
    );
}

/// The second world's other organization and its UUID-named project are isolated from the first.
#[tokio::test]
async fn the_second_worlds_organizations_are_isolated() {
    let t = start_world(&SECOND, &[], |_| {}).await;
    assert_eq!(
        t.initialize(&SECOND.other(), Some(SECOND.other_key), V)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        t.initialize(&SECOND.main(), Some(SECOND.other_key), V)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let end = {
        let flow = t.new_flow(&SECOND.main()).await;
        let password = (SECOND.password)(SECOND.outsider);
        t.popup(
            &browser(),
            &t.authorize_url(&flow, None),
            SECOND.outsider,
            &password,
            "authorize",
        )
        .await
    };
    assert!(
        matches!(&end, PopupEnd::Page { html, .. } if html.contains("not a member of Bramblewood Libraries")),
        "{end:?}"
    );
    // Nothing published in the annex: production lists no tool, the draft one.
    let quiet = SECOND.quiet();
    let (_, tokens) = t.connect(SECOND.owner, &quiet).await;
    let s = t.session(&quiet, tokens["access_token"].as_str()).await;
    assert!(s.all_tools().await.is_empty());
    let draft = format!("{quiet}/draft");
    let (_, tokens) = t.connect(SECOND.owner, &draft).await;
    let s = t.session(&draft, tokens["access_token"].as_str()).await;
    assert_eq!(s.tool_names().await, ["plan_exhibition"]);
}
