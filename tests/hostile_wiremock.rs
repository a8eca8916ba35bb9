//! Odd servers built with wiremock: an authorization server whose sign-in page echoes the password
//! back, and a property test over arbitrary replies (status, headers, JSON and SSE framing, bytes).
//! The harness must answer every one with a verdict, read within its limits, and never write a
//! secret it was given into any output.

use std::time::Duration;

use metabind_conformance::mcp_ops::{self, Rpc};
use metabind_conformance::wire::{Limits, McpClient, Net, Wire};
use proptest::prelude::*;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// An MCP endpoint behind OAuth whose sign-in page, once submitted, shows the password it got.
async fn echoing_authorization_server() -> MockServer {
    let server = MockServer::start().await;
    let base = server.uri();
    Mock::given(method("POST"))
        .and(path("/mcp"))
        .respond_with(ResponseTemplate::new(401).insert_header(
            "www-authenticate",
            format!("Bearer resource_metadata=\"{base}/prm\"").as_str(),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/prm"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "resource": format!("{base}/mcp"), "authorization_servers": [base]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/.well-known/oauth-authorization-server"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issuer": base,
            "authorization_endpoint": format!("{base}/authorize"),
            "token_endpoint": format!("{base}/token"),
            "registration_endpoint": format!("{base}/register"),
            "code_challenge_methods_supported": ["S256"],
            "response_types_supported": ["code"]})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/register"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"client_id": "c1"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/authorize"))
        .respond_with(ResponseTemplate::new(200).insert_header("content-type", "text/html").set_body_string(
            r#"<html><body><form method="post" action="/login"><input type="email" name="email"><input type="password" name="password"><button type="submit">Sign in</button></form></body></html>"#,
        ))
        .mount(&server)
        .await;
    // The page after sign-in repeats what was posted, password included.
    Mock::given(method("POST"))
        .and(path("/login"))
        .respond_with(|req: &Request| {
            let posted = String::from_utf8_lossy(&req.body).into_owned();
            let decoded: String = url::form_urlencoded::parse(posted.as_bytes())
                .map(|(k, v)| format!("{k}={v} "))
                .collect();
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/html")
                .set_body_string(format!(
                    "<html><body><p>Welcome back. You signed in with {decoded}</p></body></html>"
                ))
        })
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_sign_in_page_that_echoes_the_password_leaks_it_into_no_output() {
    let server = echoing_authorization_server().await;
    let out = std::env::temp_dir().join(format!("metabind-echo-password-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let password = "correct-horse-battery-staple-42";
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_metabind-conformance"))
        .args([
            "run",
            "--target",
            &format!("{}/mcp", server.uri()),
            "--scenario",
            "sweep/*",
            "--http-popups",
            "--user",
            "mia@acme.test",
            "--out",
        ])
        .arg(&out)
        .env("METABIND_PASSWORD", password)
        .env_remove("METABIND_TOKEN")
        .output()
        .await
        .unwrap();
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.code().is_some(), "{shown}");
    // The page was really reached and its text recorded: the verdicts quote it.
    let json = std::fs::read_to_string(out.join("report.json")).unwrap();
    assert!(
        json.contains("You signed in with"),
        "the echo page should be in the evidence: {json}"
    );
    assert!(!shown.contains(password), "the terminal shows the password");
    for file in walk(&out) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert!(
            !text.contains(password),
            "{} holds the password",
            file.display()
        );
        assert!(
            !text.contains("correct-horse"),
            "{} holds part of it",
            file.display()
        );
    }
}

/// A reply wiremock serves to every POST: status, content type, and a body built from the pieces.
#[derive(Debug, Clone)]
struct Hostile {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
}

fn hostile_reply() -> impl Strategy<Value = Hostile> {
    let status = prop_oneof![
        Just(200u16),
        Just(202),
        Just(400),
        Just(401),
        Just(404),
        Just(500),
        Just(503),
        100u16..600
    ];
    let content_type = prop_oneof![
        Just("application/json"),
        Just("text/event-stream"),
        Just("text/html"),
        Just("application/octet-stream"),
        Just(""),
    ];
    let body = prop_oneof![
        // JSON-RPC-ish values, right and wrong.
        Just(
            json!({"jsonrpc": "2.0", "id": 1, "result": {"tools": []}})
                .to_string()
                .into_bytes()
        ),
        Just(
            json!({"jsonrpc": "2.0", "id": "1", "result": null})
                .to_string()
                .into_bytes()
        ),
        Just(
            json!([{"jsonrpc": "2.0", "id": 1, "result": {}}])
                .to_string()
                .into_bytes()
        ),
        Just(
            json!({"jsonrpc": "2.0", "id": 1, "error": {"code": "x"}})
                .to_string()
                .into_bytes()
        ),
        // SSE framing: events without data, data without end, huge lines, CRLF.
        Just(
            b"event: message\r\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\r\n\r\n"
                .to_vec()
        ),
        Just(b"data:\ndata:\n\n\n\nid: x\n".to_vec()),
        (1usize..200_000).prop_map(|n| {
            let mut v = b"data: ".to_vec();
            v.extend(std::iter::repeat_n(b'a', n));
            v
        }),
        // Arbitrary bytes, long repeats.
        proptest::collection::vec(any::<u8>(), 0..2048),
        (1usize..300_000).prop_map(|n| vec![b'{'; n]),
    ];
    (status, content_type, body).prop_map(|(status, content_type, body)| Hostile {
        status,
        content_type,
        body,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever comes back, a call ends with a result or a failure, the recorded body stays within
    /// the limit, and listing tools ends.
    #[test]
    fn any_reply_gets_a_verdict_within_the_limits(reply in hostile_reply()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let server = MockServer::start().await;
            let mut template = ResponseTemplate::new(reply.status).set_body_bytes(reply.body.clone());
            if !reply.content_type.is_empty() {
                template = template.insert_header("content-type", reply.content_type);
            }
            Mock::given(method("POST")).respond_with(template).mount(&server).await;
            let limits = Limits { max_response_bytes: 64 << 10, max_recorded_body: 4 << 10, ..Limits::default() };
            let url = format!("{}/mcp", server.uri());
            let net = Net::for_target(&url, &[], Duration::from_secs(5), limits).unwrap();
            let wire = Wire::new(&net).unwrap();
            let mut client = McpClient::new(wire.clone(), &url);
            let _ = Rpc::request(&mut client, "ping", json!({})).await;
            let listing = mcp_ops::list_tools(&mut client).await;
            prop_assert!(listing.pages <= mcp_ops::MAX_PAGES);
            for x in wire.transcript.snapshot() {
                prop_assert!(x.response_body.len() <= (4 << 10) + 64, "recorded {} bytes", x.response_body.len());
                // 1xx, 204 and 304 carry no body, so there is nothing to cut.
                let has_body = reply.status >= 200 && reply.status != 204 && reply.status != 304;
                if has_body && reply.body.len() > 64 << 10 {
                    prop_assert!(x.cut_at.is_some());
                }
            }
            Ok(())
        })?;
    }
}
