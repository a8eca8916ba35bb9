//! Tools and resources (spec/mcp.md §4, §8) and the draft/production model (spec/metabind.md §4.2),
//! against the default fixture.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const STOREFRONT: &str = "/acme/storefront";
const STOREFRONT_DRAFT: &str = "/acme/storefront/draft";

fn find<'a>(tools: &'a [Value], name: &str) -> &'a Value {
    tools
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no tool {name}"))
}

/// MCP §4.1: pages follow opaque cursors; the small page size makes every client page.
#[tokio::test]
async fn tools_list_pages_through_opaque_cursors() {
    let t = start().await;
    let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
    let first = s.result("tools/list", json!({})).await;
    assert_eq!(first["tools"].as_array().unwrap().len(), 2);
    assert!(first["nextCursor"].is_string());
    let names = s.tool_names().await;
    assert_eq!(
        names,
        [
            "search_products",
            "check_shipping",
            "place_order",
            "build_sales_report",
            "export_catalog",
            "product_card"
        ]
    );
    let error = s.error("tools/list", json!({"cursor": "garbage"})).await;
    assert_eq!(error["code"], -32602);
    let error = s.error("tools/list", json!({"cursor": 3})).await;
    assert_eq!(error["code"], -32602);
}

#[tokio::test]
async fn storefront_tools_carry_the_fixture_annotations_schemas_and_ui_meta() {
    let t = start().await;
    let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
    let tools = s.all_tools().await;
    for tool in &tools {
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
        let name = tool["name"].as_str().unwrap();
        assert!(name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)));
    }
    let search = find(&tools, "search_products");
    assert_eq!(search["annotations"]["readOnlyHint"], true);
    assert_eq!(search["annotations"]["openWorldHint"], false);
    assert_eq!(search["outputSchema"]["type"], "object");
    assert_eq!(
        find(&tools, "check_shipping")["annotations"]["openWorldHint"],
        true
    );
    let order = find(&tools, "place_order");
    assert_eq!(order["annotations"]["readOnlyHint"], false);
    assert_eq!(order["annotations"]["destructiveHint"], true);
    assert_eq!(
        find(&tools, "build_sales_report")["execution"]["taskSupport"],
        "required"
    );
    assert_eq!(
        find(&tools, "export_catalog")["execution"]["taskSupport"],
        "optional"
    );
    let card = find(&tools, "product_card");
    assert_eq!(
        card["_meta"]["ui"]["resourceUri"],
        "ui://storefront/product-card.html"
    );
    assert_eq!(
        card["_meta"]["openai/outputTemplate"],
        "ui://storefront/product-card.skybridge.html"
    );
}

/// The draft lists the working copy (an unpublished tool, a changed description); production lists
/// what was published.
#[tokio::test]
async fn draft_lists_the_working_copy_and_production_the_published_set() {
    let t = start().await;
    let prod = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
    let draft = t.session(STOREFRONT_DRAFT, Some(STOREFRONT_CI_KEY)).await;
    let prod_tools = prod.all_tools().await;
    let draft_tools = draft.all_tools().await;
    assert!(!prod_tools.iter().any(|t| t["name"] == "compare_products"));
    assert!(draft_tools.iter().any(|t| t["name"] == "compare_products"));
    let prod_desc = find(&prod_tools, "search_products")["description"]
        .as_str()
        .unwrap()
        .to_owned();
    let draft_desc = find(&draft_tools, "search_products")["description"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(prod_desc, draft_desc);
    assert!(draft_desc.contains("SKU"));
    let error = prod
        .error(
            "tools/call",
            json!({"name": "compare_products", "arguments": {"sku_a": "A", "sku_b": "B"}}),
        )
        .await;
    assert_eq!(error["code"], -32602);
    let result = draft
        .call(
            "compare_products",
            json!({"sku_a": "TEA-001", "sku_b": "MUG-010"}),
        )
        .await;
    assert_eq!(
        result["structuredContent"],
        json!({"left": "TEA-001", "right": "MUG-010"})
    );
}

#[tokio::test]
async fn launchpad_production_has_no_tools_while_its_draft_has_one() {
    let t = start().await;
    let (status, key) = t
        .admin(
            Method::POST,
            "/_admin/orgs/acme/projects/launchpad/api-keys",
            Some(json!({"name": "lp", "created_by": "olivia@acme.test"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let key = key["key"].as_str().unwrap().to_owned();
    let prod = t.session("/acme/launchpad", Some(&key)).await;
    assert!(prod.tool_names().await.is_empty());
    let draft = t.session("/acme/launchpad/draft", Some(&key)).await;
    assert_eq!(draft.tool_names().await, ["launch_checklist"]);
}

/// MCP §4.4: structuredContent conforms to the outputSchema and is mirrored as JSON text.
#[tokio::test]
async fn search_products_returns_structured_content_that_matches_its_output_schema() {
    let t = start().await;
    let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
    let tools = s.all_tools().await;
    let schema = find(&tools, "search_products")["outputSchema"].clone();
    let result = s.call("search_products", json!({"query": "tea"})).await;
    assert_eq!(result["isError"], false);
    let structured = &result["structuredContent"];
    assert_eq!(structured["count"], 3);
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(validator.is_valid(structured));
    let mirrored = result["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["text"].as_str())
        .any(|text| serde_json::from_str::<Value>(text).ok().as_ref() == Some(structured));
    assert!(
        mirrored,
        "no text block mirrors structuredContent: {result}"
    );
    // Deterministic: the same call gives the same answer.
    assert_eq!(
        s.call("search_products", json!({"query": "tea"})).await,
        result
    );
}

/// MCP §4.5 (SEP-1303): bad argument values are tool-execution errors, not protocol errors.
#[tokio::test]
async fn invalid_arguments_are_a_tool_error_and_unknown_tools_a_protocol_error() {
    let t = start().await;
    let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
    for args in [
        json!({}),
        json!({"query": 5}),
        json!({"query": "tea", "extra": 1}),
        json!({"query": ""}),
    ] {
        let result = s.call("search_products", args.clone()).await;
        assert_eq!(result["isError"], true, "{args}");
        assert!(result["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Invalid arguments"));
    }
    let result = s
        .call("check_shipping", json!({"sku": "TEA-001", "zip": "ABCDE"}))
        .await;
    assert_eq!(result["isError"], true);
    let error = s
        .error(
            "tools/call",
            json!({"name": "no_such_tool", "arguments": {}}),
        )
        .await;
    assert_eq!(error["code"], -32602);
    let error = s.error("tools/call", json!({"arguments": {}})).await;
    assert_eq!(error["code"], -32602);
    let error = s
        .error(
            "tools/call",
            json!({"name": "search_products", "arguments": [1]}),
        )
        .await;
    assert_eq!(error["code"], -32602);
}

#[tokio::test]
async fn templated_and_lookup_tools_are_deterministic() {
    let t = start().await;
    let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
    let order = s
        .call("place_order", json!({"sku": "TEA-001", "quantity": 2}))
        .await;
    assert_eq!(order["structuredContent"]["order_id"], "ORD-TEA-001-2");
    assert_eq!(order["structuredContent"]["quantity"], 2);
    let card = s.call("product_card", json!({"sku": "KET-100"})).await;
    assert_eq!(card["structuredContent"]["name"], "Gooseneck kettle");
    assert!(card["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("Gooseneck kettle"));
    let missing = s.call("product_card", json!({"sku": "NOPE"})).await;
    assert_eq!(missing["isError"], true);
}

/// Older sessions get the older shapes: no `structuredContent`/`outputSchema` before 2025-06-18.
#[tokio::test]
async fn a_2025_03_26_session_gets_no_structured_content() {
    let t = start().await;
    let s = t
        .session_at(STOREFRONT, Some(STOREFRONT_CI_KEY), "2025-03-26")
        .await;
    let tools = s.all_tools().await;
    assert!(find(&tools, "search_products")
        .get("outputSchema")
        .is_none());
    assert!(find(&tools, "build_sales_report")
        .get("execution")
        .is_none());
    let result = s.call("search_products", json!({"query": "tea"})).await;
    assert!(result.get("structuredContent").is_none());
    // Without tasks, a task-required tool runs inline.
    let report = s
        .call("build_sales_report", json!({"period": "week"}))
        .await;
    assert_eq!(report["isError"], false);
}

/// MCP Apps (spec/mcp.md §8.2): UI resources resolve with the right mime types.
#[tokio::test]
async fn ui_resources_resolve_with_their_mime_types_and_unknown_uris_get_32002() {
    let t = start().await;
    let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
    let listed = s.result("resources/list", json!({})).await;
    assert!(!listed["resources"].as_array().unwrap().is_empty());
    let app = s
        .result(
            "resources/read",
            json!({"uri": "ui://storefront/product-card.html"}),
        )
        .await;
    let content = &app["contents"][0];
    assert_eq!(content["mimeType"], "text/html;profile=mcp-app");
    assert!(content["text"]
        .as_str()
        .unwrap()
        .starts_with("<!DOCTYPE html>"));
    assert!(content["_meta"]["ui"]["csp"].is_object());
    let sky = s
        .result(
            "resources/read",
            json!({"uri": "ui://storefront/product-card.skybridge.html"}),
        )
        .await;
    assert_eq!(sky["contents"][0]["mimeType"], "text/html+skybridge");
    let error = s
        .error(
            "resources/read",
            json!({"uri": "ui://storefront/nope.html"}),
        )
        .await;
    assert_eq!(error["code"], -32002);
    assert_eq!(error["data"]["uri"], "ui://storefront/nope.html");
    let error = s.error("resources/read", json!({})).await;
    assert_eq!(error["code"], -32602);
}

/// Instructions, descriptions and annotations are live in both environments without a publish.
#[tokio::test]
async fn studio_edits_of_instructions_and_annotations_are_live_without_a_publish() {
    let t = start().await;
    let (status, _) = t
        .admin(
            Method::PUT,
            "/_admin/orgs/acme/projects/storefront/instructions",
            Some(json!({"instructions": "Call search_products first."})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for path in [STOREFRONT, STOREFRONT_DRAFT] {
        let reply = t
            .initialize(path, Some(STOREFRONT_CI_KEY), "2025-11-25")
            .await;
        assert_eq!(
            reply.result()["instructions"],
            "Call search_products first."
        );
    }
    let (status, _) = t
        .admin(
            Method::PATCH,
            "/_admin/orgs/acme/projects/storefront/tools/place_order",
            Some(json!({"annotations": {"readOnlyHint": false, "destructiveHint": false}, "description": "Order it."})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
    let tools = s.all_tools().await;
    assert_eq!(
        find(&tools, "place_order")["annotations"]["destructiveHint"],
        false
    );
    assert_eq!(find(&tools, "place_order")["description"], "Order it.");
}

/// Publishing copies draft to production; the next tools/list shows the new tool.
#[tokio::test]
async fn publishing_adds_the_draft_tool_to_production_on_the_next_list() {
    let t = start().await;
    let s = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
    assert!(!s
        .tool_names()
        .await
        .contains(&"compare_products".to_owned()));
    let (status, body) = t
        .admin(
            Method::POST,
            "/_admin/orgs/acme/projects/storefront/publish",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["published_tools"]
        .as_array()
        .unwrap()
        .contains(&json!("compare_products")));
    assert!(s
        .tool_names()
        .await
        .contains(&"compare_products".to_owned()));
}

#[tokio::test]
async fn a_tool_saved_in_the_draft_appears_only_there_until_published() {
    let t = start().await;
    let (status, _) = t
        .admin(
            Method::PUT,
            "/_admin/orgs/acme/projects/storefront/draft/tools/gift_wrap",
            Some(json!({
                "description": "Add gift wrapping to an order.",
                "annotations": {"readOnlyHint": false, "destructiveHint": false},
                "input_schema": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]},
                "behaviour": {"kind": "template", "text": "Gift wrap added to {order_id}."}
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let draft = t.session(STOREFRONT_DRAFT, Some(STOREFRONT_CI_KEY)).await;
    let result = draft.call("gift_wrap", json!({"order_id": "ORD-1"})).await;
    assert_eq!(result["content"][0]["text"], "Gift wrap added to ORD-1.");
    let prod = t.session(STOREFRONT, Some(STOREFRONT_CI_KEY)).await;
    assert!(!prod.tool_names().await.contains(&"gift_wrap".to_owned()));
}
