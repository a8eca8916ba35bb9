//! Tools: every page of `tools/list`, an unknown cursor, an unknown tool, a callable tool with
//! required arguments called with none, and callable tools called with arguments made up from their
//! inputSchema (those with an outputSchema or a UI first).

use serde_json::{json, Value};

use super::{Credential, Sweep};
use crate::evidence::sweep::{ToolCallRecord, Tools};
use crate::evidence::Observed;
use crate::mcp_ops;

/// At most this many tools are called with made-up arguments.
const MAX_CALLS: usize = 8;

pub(super) async fn probe(sweep: &Sweep<'_>, credential: &Credential, ev: &mut Tools) {
    let (mut client, _) = match sweep.initialized(credential.bearer.as_deref()).await {
        Ok(x) => x,
        Err(why) => {
            let why = format!("initialize failed: {why}");
            ev.listing = Observed::not_testable(&why);
            ev.unknown_cursor = Observed::not_testable(&why);
            ev.unknown_tool = Observed::not_testable(&why);
            ev.missing_arguments = Observed::not_testable(&why);
            ev.calls = Observed::not_testable(why);
            return;
        }
    };
    let before = sweep.wire.transcript.snapshot().len();
    let listing = mcp_ops::list_tools(&mut client).await;
    ev.last_page = sweep
        .wire
        .transcript
        .snapshot()
        .into_iter()
        .skip(before)
        .rfind(|x| x.request_body.contains("tools/list"));
    let tools = listing.tools.clone();
    ev.listing = Observed::Seen(listing);
    ev.unknown_cursor = sweep
        .rpc(
            &mut client,
            "tools/list",
            json!({"cursor": "metabind-conformance-not-a-cursor"}),
        )
        .await;
    ev.unknown_tool = sweep
        .rpc(
            &mut client,
            "tools/call",
            json!({"name": "metabind-conformance-no-such-tool", "arguments": {}}),
        )
        .await;
    let callable: Vec<&Value> = tools
        .iter()
        .filter(|t| sweep.instance.may_call(t))
        .filter(|t| t["execution"]["taskSupport"] != "required")
        .collect();
    ev.missing_arguments = match callable.iter().find(|t| {
        t["inputSchema"]["required"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
    }) {
        None => Observed::not_applicable(format!(
            "no tool the run may call ({}) has required arguments",
            sweep.instance.describe_calls()
        )),
        Some(tool) => {
            let name = tool["name"].as_str().unwrap_or_default();
            Observed::Seen(ToolCallRecord {
                tool: (*tool).clone(),
                arguments: json!({}),
                reply: sweep
                    .rpc(
                        &mut client,
                        "tools/call",
                        json!({"name": name, "arguments": {}}),
                    )
                    .await,
            })
        }
    };
    let mut chosen: Vec<(&Value, Value)> = callable
        .iter()
        .filter_map(|t| sweep.instance.arguments(t).map(|a| (*t, a)))
        .collect();
    // Tools whose results the checks judge most go first.
    chosen
        .sort_by_key(|(t, _)| !t["outputSchema"].is_object() && crate::ui::ui_links(t).is_empty());
    let mut calls = Vec::new();
    for (tool, arguments) in chosen.into_iter().take(MAX_CALLS) {
        let name = tool["name"].as_str().unwrap_or_default();
        let reply = sweep
            .rpc(
                &mut client,
                "tools/call",
                json!({"name": name, "arguments": arguments}),
            )
            .await;
        calls.push(ToolCallRecord {
            tool: tool.clone(),
            arguments,
            reply,
        });
    }
    ev.calls = Observed::Seen(calls);
    let _ = client.close().await;
}
