//! The conformance client in the stateless era (MCP 2026-07-28): `server/discover` (authorizing when
//! asked), every page of `tools/list` without the tools whose `x-mcp-header` annotations are invalid,
//! then the calls the scenario gives in its context, or one call of each tool with arguments made up
//! from its schema, answering `input_required` rounds (MRTR) as a host with a user who accepts would;
//! then the first resource and prompt, so every standard header is exercised.

use serde_json::{json, Map, Value};

use super::Error;
use crate::connector::Connector;
use crate::mcp_ops::{self, sample_arguments, ListingEnd};
use crate::wire::modern::param_headers;
use crate::wire::Reply;

/// Rounds of `input_required` answered for one request before giving up (a server that keeps asking).
const MAX_INPUT_ROUNDS: usize = 10;

/// What the client declares in every request's `_meta`: it can answer each kind of input request.
pub(super) fn capabilities() -> Value {
    json!({ "elicitation": {}, "sampling": {}, "roots": {} })
}

pub(super) async fn drive(
    connector: &mut Connector,
    info: &Value,
    context: &Value,
    auth_scenario: bool,
) -> Result<(), Error> {
    let hello = connector.initialize(info, &capabilities()).await?;
    // Discover is optional for a client; what matters is that the server answers the requests below.
    if hello.result().is_none() {
        eprintln!(
            "conformance client: server/discover answered HTTP {} {}",
            hello.status(),
            hello.received.exchange.response_body
        );
    }
    let tools = list_tools(connector).await?;
    if let Some(calls) = context["toolCalls"].as_array() {
        for call in calls {
            let name = call["name"].as_str().unwrap_or_default();
            let reply = call_tool(connector, name, call["arguments"].clone()).await?;
            expect_result(&format!("tools/call {name}"), &reply)?;
        }
        return Ok(());
    }
    if auth_scenario {
        // The authorization scenarios judge the flow: one call of the first tool is the whole job.
        if let Some(name) = tools.first().and_then(|t| t["name"].as_str()) {
            let reply = call_tool(connector, name, json!({})).await?;
            expect_result(&format!("tools/call {name}"), &reply)?;
        }
        return Ok(());
    }
    for tool in &tools {
        let name = tool["name"].as_str().unwrap_or_default();
        let arguments = sample_arguments(&tool["inputSchema"]).unwrap_or_else(|| json!({}));
        call_tool(connector, name, arguments).await?;
    }
    let capabilities = connector
        .mcp
        .discovered
        .as_ref()
        .map(|d| d["capabilities"].clone())
        .unwrap_or(Value::Null);
    if capabilities.get("resources").is_some() || capabilities.is_null() {
        let listed = connector.call("resources/list", &json!({})).await?;
        if let Some(uri) = listed
            .result()
            .and_then(|r| r["resources"][0]["uri"].as_str())
        {
            connector
                .call("resources/read", &json!({ "uri": uri }))
                .await?;
        }
    }
    if capabilities.get("prompts").is_some() || capabilities.is_null() {
        let listed = connector.call("prompts/list", &json!({})).await?;
        if let Some(name) = listed
            .result()
            .and_then(|r| r["prompts"][0]["name"].as_str())
        {
            connector
                .call("prompts/get", &json!({ "name": name }))
                .await?;
        }
    }
    Ok(())
}

fn expect_result(what: &str, reply: &Reply) -> Result<(), Error> {
    if reply.result().is_some() {
        return Ok(());
    }
    Err(Error::Server(format!(
        "{what} failed: HTTP {} {}",
        reply.status(),
        reply.received.exchange.response_body
    )))
}

/// Every page of `tools/list`, without tools a client on HTTP must drop (server/tools: invalid
/// `x-mcp-header` annotations).
async fn list_tools(connector: &mut Connector) -> Result<Vec<Value>, Error> {
    let listing = mcp_ops::list_tools(connector).await;
    if let ListingEnd::Failed { .. } = listing.end {
        let why = listing.problem().unwrap_or_default();
        return Err(Error::Server(format!("tools/list failed: {why}")));
    }
    Ok(listing
        .tools
        .into_iter()
        .filter(|tool| match param_headers(&tool["inputSchema"]) {
            Ok(_) => true,
            Err(why) => {
                eprintln!(
                    "conformance client: tool {} dropped: {why}",
                    tool["name"].as_str().unwrap_or("?")
                );
                false
            }
        })
        .collect())
}

/// `tools/call`, retried with the answers while the server says `input_required` (MRTR: the same
/// request with `inputResponses` and the `requestState` exactly as received, under a new id).
async fn call_tool(
    connector: &mut Connector,
    name: &str,
    arguments: Value,
) -> Result<Reply, Error> {
    let mut params = json!({ "name": name, "arguments": arguments });
    let mut reply = connector.call("tools/call", &params).await?;
    for _ in 0..MAX_INPUT_ROUNDS {
        let Some(result) = reply.result() else {
            break;
        };
        if result["resultType"] != "input_required" {
            break;
        }
        let mut retry = json!({ "name": name, "arguments": params["arguments"].clone() });
        let answers: Map<String, Value> = result["inputRequests"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(key, request)| (key.clone(), answer(request)))
            .collect();
        if !answers.is_empty() {
            retry["inputResponses"] = Value::Object(answers);
        }
        if let Some(state) = result.get("requestState").filter(|s| s.is_string()) {
            retry["requestState"] = state.clone();
        }
        params = retry;
        reply = connector.call("tools/call", &params).await?;
    }
    Ok(reply)
}

/// What a host whose user accepts answers to one input request.
fn answer(request: &Value) -> Value {
    match request["method"].as_str() {
        Some("elicitation/create") => {
            let mut content = Map::new();
            let schema = &request["params"]["requestedSchema"];
            for (field, property) in schema["properties"].as_object().into_iter().flatten() {
                let value = if let Some(first) = property["enum"].as_array().and_then(|e| e.first())
                {
                    first.clone()
                } else {
                    match property["type"].as_str() {
                        Some("boolean") => json!(true),
                        Some("integer" | "number") => json!(1),
                        _ => json!("yes"),
                    }
                };
                content.insert(field.clone(), value);
            }
            json!({ "action": "accept", "content": content })
        }
        Some("sampling/createMessage") => json!({
            "role": "assistant",
            "content": { "type": "text", "text": "ok" },
            "model": "metabind-conformance",
            "stopReason": "endTurn",
        }),
        Some("roots/list") => json!({ "roots": [] }),
        _ => json!({}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_accepting_user_fills_the_requested_schema() {
        let request = json!({"method": "elicitation/create", "params": {"requestedSchema": {
            "type": "object", "properties": {"confirmed": {"type": "boolean"}, "size": {"enum": ["s", "m"]}}}}});
        assert_eq!(
            answer(&request),
            json!({"action": "accept", "content": {"confirmed": true, "size": "s"}})
        );
        assert_eq!(
            answer(&json!({"method": "roots/list"})),
            json!({"roots": []})
        );
        assert_eq!(
            answer(&json!({"method": "sampling/createMessage"}))["role"],
            "assistant"
        );
    }
}
