//! Property tests: whatever a client sends to an MCP endpoint (bytes, headers, methods, params), the
//! server answers without a 5xx and without dying.

mod common;

use common::*;
use proptest::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("application/json".to_owned()),
        Just("text/event-stream".to_owned()),
        Just("2025-11-25".to_owned()),
        Just("Bearer mbk_storefront_ci_3d7e1f09a4c24b5e".to_owned()),
        Just("http://evil.example".to_owned()),
        "[ -~]{0,40}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "[ -~]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const METHODS: &[&str] = &[
    "initialize",
    "ping",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/read",
    "tasks/get",
    "tasks/result",
    "tasks/list",
    "tasks/cancel",
    "notifications/initialized",
    "bogus",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

    /// Arbitrary bytes and headers on any verb and path shape: never a 5xx.
    #[test]
    fn arbitrary_requests_never_get_a_server_error(
        verb in prop_oneof![Just(Method::POST), Just(Method::GET), Just(Method::DELETE), Just(Method::PUT), Just(Method::OPTIONS)],
        path in prop_oneof![
            Just("/acme/storefront".to_owned()), Just("/acme/catalog".to_owned()),
            Just("/acme/projects/storefront/draft".to_owned()), "/[a-z.]{0,6}/[a-z%.]{0,6}(/draft)?",
        ],
        body in prop::collection::vec(any::<u8>(), 0..256),
        content_type in header_value(),
        accept in header_value(),
        session in header_value(),
        version in header_value(),
        authorization in header_value(),
        origin in proptest::option::of(header_value()),
    ) {
        let rt = runtime();
        rt.block_on(async {
            let t = start().await;
            let mut headers = vec![
                ("content-type", content_type.as_str()),
                ("accept", accept.as_str()),
                ("mcp-session-id", session.as_str()),
                ("mcp-protocol-version", version.as_str()),
                ("authorization", authorization.as_str()),
            ];
            if let Some(o) = &origin {
                headers.push(("origin", o.as_str()));
            }
            headers.retain(|(_, v)| !v.is_empty());
            let mut request = t.http.request(verb, t.url(&path)).body(body);
            for (name, value) in headers {
                request = request.header(name, value);
            }
            // A GET that opens a stream is answered with headers first; status is all we need.
            let response = request.send().await.expect("the server answers");
            prop_assert!(!response.status().is_server_error(), "status {}", response.status());
            Ok(())
        })?;
    }

    /// Well-formed envelopes with arbitrary params, inside a real session: never a 5xx, and every
    /// request gets a JSON-RPC answer with its id.
    #[test]
    fn arbitrary_params_get_json_rpc_answers(
        method in prop::sample::select(METHODS),
        params in json_value(),
        id in prop_oneof![any::<i64>().prop_map(|n| json!(n)), "[a-z0-9]{1,8}".prop_map(Value::String)],
    ) {
        let rt = runtime();
        rt.block_on(async {
            let t = start().await;
            let s = t.session("/acme/storefront", Some(STOREFRONT_CI_KEY)).await;
            let reply = s
                .send_body(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
                .await;
            prop_assert!(!reply.status.is_server_error(), "{method}: status {} {}", reply.status, reply.text);
            if reply.status.is_success() {
                let body = reply.json();
                prop_assert_eq!(&body["id"], &id);
                prop_assert!(body.get("result").is_some() ^ body.get("error").is_some());
            }
            Ok(())
        })?;
    }
}
