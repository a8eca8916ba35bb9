//! JSON-RPC methods of a project endpoint: `initialize`, `ping`, `tools/*`, `resources/*`, `tasks/*`.
//! The transport has already authenticated the caller, checked the scope and found the session.

use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::domain::endpoint::Endpoint;
use crate::domain::task::TaskCaller;
use crate::domain::world::{tool_json, Project, Resource, Tool};
use crate::fault::Fault;
use crate::fixture::{Environment, TaskSupport};
use crate::mcp::error::{RpcError, INVALID_PARAMS, METHOD_NOT_FOUND, RESOURCE_NOT_FOUND};
use crate::mcp::listing_faults;
use crate::mcp::tasks;
use crate::mcp::tools::{self, Invocation};
use crate::state::AppState;

/// The context of one request inside a session.
pub struct Call<'a> {
    pub state: &'a AppState,
    pub endpoint: &'a Endpoint,
    pub protocol_version: &'a str,
    /// The request's session (absent only when a fault lets requests without one through).
    pub session_id: Option<&'a str>,
    pub task_caller: TaskCaller,
}

/// The `InitializeResult` for this endpoint.
pub fn initialize_result(state: &AppState, endpoint: &Endpoint, version: &str) -> Value {
    let world = state.read();
    let project = world.project(&endpoint.org, &endpoint.project);
    let name = project.map(|p| p.name.clone()).unwrap_or_default();
    let faults = state.faults();
    let mut capabilities = json!({
        "tools": { "listChanged": true },
        "resources": { "listChanged": false },
        "prompts": { "listChanged": false },
    });
    if faults.has(Fault::ToolsCapabilityMissing) {
        capabilities.as_object_mut().map(|c| c.remove("tools"));
    }
    if version >= "2025-11-25" && !faults.has(Fault::TasksCapabilityMissing) {
        capabilities["tasks"] =
            json!({ "list": {}, "cancel": {}, "requests": { "tools": { "call": {} } } });
    }
    let title = match endpoint.env {
        Environment::Production => name.clone(),
        Environment::Draft => format!("{name} (draft)"),
    };
    let mut result = json!({
        "protocolVersion": version,
        "capabilities": capabilities,
        "serverInfo": {
            "name": format!("{}/{}", endpoint.org, endpoint.project),
            "title": title,
            "version": env!("CARGO_PKG_VERSION"),
        },
    });
    if faults.has(Fault::ServerInfoMissing) {
        result.as_object_mut().map(|r| r.remove("serverInfo"));
    }
    if !faults.has(Fault::InstructionsMissing) {
        let instructions = project.and_then(|p| {
            if faults.has(Fault::InstructionsRestateSchema) && !p.tools(endpoint.env).is_empty() {
                Some(restate_schemas(p.tools(endpoint.env)))
            } else if faults.has(Fault::InstructionsFrozenAtPublish)
                && endpoint.env == Environment::Production
            {
                p.production_instructions.clone()
            } else {
                p.instructions.clone()
            }
        });
        if let Some(instructions) = instructions {
            result["instructions"] = json!(instructions);
        }
    }
    result
}

/// What `instructions-restate-schema` serves: each tool's arguments, and nothing about when to use it.
fn restate_schemas(tools: &[Tool]) -> String {
    tools
        .iter()
        .map(|tool| {
            let required: Vec<&str> = tool.input_schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let arguments: Vec<String> = tool.input_schema["properties"]
                .as_object()
                .map(|props| {
                    props
                        .iter()
                        .map(|(name, schema)| {
                            let kind = schema["type"].as_str().unwrap_or("any");
                            if required.contains(&name.as_str()) {
                                format!("{name} ({kind}, required)")
                            } else {
                                format!("{name} ({kind})")
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            if arguments.is_empty() {
                format!("{}: no arguments.", tool.name)
            } else {
                format!("{}: {}.", tool.name, arguments.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Dispatches a request other than `initialize`.
pub async fn dispatch(
    call: &Call<'_>,
    method: &str,
    params: Option<&Value>,
) -> Result<Value, RpcError> {
    let empty = Map::new();
    let params = match params {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(map)) => map,
        Some(_) => return Err(RpcError::invalid_params("params must be an object")),
    };
    let tasks_enabled = call.protocol_version >= "2025-11-25";
    match method {
        "ping" => Ok(json!({})),
        "tools/list" => tools_list(call, params),
        "tools/call" => tools_call(call, params).await,
        "resources/list" => resources_list(call, params),
        "resources/read" => resources_read(call, params),
        "resources/templates/list" => Ok(json!({ "resourceTemplates": [] })),
        // Metabind projects have no prompts: the capability is announced and the list is empty.
        "prompts/list" => Ok(json!({ "prompts": [] })),
        "prompts/get" => Err(RpcError::invalid_params(format!(
            "Unknown prompt: {}",
            params.get("name").and_then(Value::as_str).unwrap_or("")
        ))),
        "tasks/get" if tasks_enabled => tasks::get(call.state, &call.task_caller, task_id(params)?),
        "tasks/result" if tasks_enabled => {
            tasks::result(call.state, &call.task_caller, task_id(params)?).await
        }
        "tasks/cancel" if tasks_enabled => {
            tasks::cancel(call.state, &call.task_caller, task_id(params)?)
        }
        "tasks/list" if tasks_enabled => {
            let tasks = tasks::list(call.state, &call.task_caller);
            let (page, next) = paginate(call, &tasks, params)?;
            let mut result = json!({ "tasks": &tasks[page] });
            if let Some(next) = next {
                result["nextCursor"] = json!(next);
            }
            Ok(result)
        }
        "initialize" => Err(RpcError::new(
            crate::mcp::error::INVALID_REQUEST,
            "initialize must be sent without a session id, as the first request",
        )),
        _ if call.state.faults().has(Fault::UnknownMethodNotError) => Ok(json!({})),
        _ => Err(RpcError::new(
            METHOD_NOT_FOUND,
            format!("Method not found: {method}"),
        )),
    }
}

fn task_id(params: &Map<String, Value>) -> Result<&str, RpcError> {
    params
        .get("taskId")
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::invalid_params("params.taskId must be a string"))
}

/// The tool `name` as the endpoint lists it now.
pub(crate) fn find_tool(call: &Call<'_>, name: &str) -> Option<Tool> {
    current_tools(call).into_iter().find(|t| t.name == name)
}

/// The tools an endpoint lists now.
fn current_tools(call: &Call<'_>) -> Vec<Tool> {
    let world = call.state.read();
    let Some(project) = world.project(&call.endpoint.org, &call.endpoint.project) else {
        return Vec::new();
    };
    let mut tools = project.tools(call.endpoint.env).to_vec();
    if call.endpoint.env == Environment::Production
        && call.state.faults().has(Fault::DraftToolLeaks)
    {
        for draft in &project.draft {
            if !tools.iter().any(|t| t.name == draft.name) {
                tools.push(draft.clone());
            }
        }
    }
    listing_faults::apply(call.state.faults(), &mut tools);
    tools
}

const CURSOR_PREFIX: &str = "mb1:";

fn encode_cursor(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{offset}"))
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix(CURSOR_PREFIX)?
        .parse()
        .ok()
}

/// One page of `items` from `params.cursor`, and the cursor of the next page.
fn paginate<T>(
    call: &Call<'_>,
    items: &[T],
    params: &Map<String, Value>,
) -> Result<(std::ops::Range<usize>, Option<String>), RpcError> {
    let faults = call.state.faults();
    let offset = match params.get("cursor") {
        None | Some(Value::Null) => 0,
        Some(Value::String(cursor)) => match decode_cursor(cursor) {
            Some(offset) if offset <= items.len() => offset,
            _ if faults.has(Fault::CursorNotValidated) => 0,
            _ => {
                return Err(RpcError::new(INVALID_PARAMS, "Invalid cursor")
                    .with_data(json!({ "cursor": cursor })))
            }
        },
        Some(_) => return Err(RpcError::invalid_params("cursor must be a string")),
    };
    let size = call.state.config.settings.tools_page_size.max(1);
    let end = (offset + size).min(items.len());
    let next = (end < items.len()).then(|| {
        if faults.has(Fault::PaginationRepeats) {
            encode_cursor(0)
        } else {
            encode_cursor(end)
        }
    });
    // The page's range, not a copy: listing is the hot path, and each item becomes JSON anyway.
    Ok((offset..end, next))
}

/// The tools `tools/list` pages through: the current ones, or with `tools-list-cached-per-session` the
/// ones this session saw first.
fn listed_tools(call: &Call<'_>) -> Vec<Tool> {
    let sessions = &call.state.sessions;
    let cached_session = call
        .session_id
        .filter(|_| call.state.faults().has(Fault::ToolsListCachedPerSession));
    let Some(id) = cached_session else {
        return current_tools(call);
    };
    if let Some(cached) = sessions.get(id).and_then(|s| s.listed_tools) {
        return cached.as_ref().clone();
    }
    let tools = current_tools(call);
    let snapshot = std::sync::Arc::new(tools.clone());
    sessions.update(id, |s| s.listed_tools = Some(snapshot));
    tools
}

fn tools_list(call: &Call<'_>, params: &Map<String, Value>) -> Result<Value, RpcError> {
    let tools = listed_tools(call);
    let (page, next) = paginate(call, &tools, params)?;
    let listed: Vec<Value> = tools
        .into_iter()
        .skip(page.start)
        .take(page.len())
        .map(|t| tool_json(t, call.protocol_version))
        .collect();
    let mut result = json!({ "tools": listed });
    if let Some(next) = next {
        result["nextCursor"] = json!(next);
    }
    Ok(result)
}

async fn tools_call(call: &Call<'_>, params: &Map<String, Value>) -> Result<Value, RpcError> {
    let name = params
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::invalid_params("params.name must be a string"))?;
    let arguments = match params.get("arguments") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => {
            return Err(RpcError::invalid_params(
                "params.arguments must be an object",
            ))
        }
    };
    let Some(tool) = current_tools(call).into_iter().find(|t| t.name == name) else {
        if call.state.faults().has(Fault::UnknownToolNotError) {
            return Ok(tools::error_result(&format!("Unknown tool: {name}")));
        }
        return Err(RpcError::invalid_params(format!("Unknown tool: {name}"))
            .with_data(json!({ "name": name })));
    };
    let data = call
        .state
        .read()
        .project(&call.endpoint.org, &call.endpoint.project)
        .map(|p| p.data.clone())
        .unwrap_or_default();
    let invocation = Invocation {
        tool: tool.clone(),
        arguments,
        data,
        protocol_version: call.protocol_version.to_owned(),
        faults: call.state.faults().clone(),
    };
    // Before 2025-11-25 there are no tasks: the `task` field is ignored and every tool runs inline.
    let tasks_enabled = call.protocol_version >= "2025-11-25";
    let task = params
        .get("task")
        .filter(|t| !t.is_null())
        .filter(|_| tasks_enabled);
    let faults = call.state.faults();
    let task = match (task, tool.task_support()) {
        // The fault: `optional` is read as "the server decides", and it always runs inline.
        (Some(_), TaskSupport::Optional) if faults.has(Fault::OptionalTaskNotCreated) => None,
        (task, _) => task,
    };
    match (task, tool.task_support()) {
        (Some(_), TaskSupport::Forbidden) if !faults.has(Fault::ForbiddenTaskAccepted) => Err(RpcError::new(
            METHOD_NOT_FOUND,
            format!("Tool {name} does not support task-augmented execution (taskSupport is forbidden)"),
        )),
        (Some(task), _) => {
            let ttl = match task {
                Value::Object(t) => match t.get("ttl") {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(v.as_u64().ok_or_else(|| {
                        RpcError::invalid_params("params.task.ttl must be a non-negative integer")
                    })?),
                },
                _ => return Err(RpcError::invalid_params("params.task must be an object")),
            };
            Ok(tasks::start(
                call.state,
                call.task_caller.clone(),
                ttl,
                invocation,
            ))
        }
        (None, TaskSupport::Required)
            if tasks_enabled && !call.state.faults().has(Fault::TaskSupportIgnored) =>
        {
            Err(RpcError::new(
                METHOD_NOT_FOUND,
                format!("Tool {name} requires task-augmented execution (taskSupport is required): send params.task"),
            ))
        }
        (None, _) => Ok(tools::run(invocation).await),
    }
}

fn resources_list(call: &Call<'_>, params: &Map<String, Value>) -> Result<Value, RpcError> {
    let resources: Vec<Value> = {
        let world = call.state.read();
        let Some(project) = world.project(&call.endpoint.org, &call.endpoint.project) else {
            return Ok(json!({ "resources": [] }));
        };
        project
            .resources
            .iter()
            .map(|r| {
                let mut v = json!({ "uri": r.uri, "name": r.name, "mimeType": served_mime_type(call, &r.mime_type) });
                if let Some(t) = &r.title {
                    v["title"] = json!(t);
                }
                if let Some(d) = &r.description {
                    v["description"] = json!(d);
                }
                v
            })
            .collect()
    };
    let (page, next) = paginate(call, &resources, params)?;
    let mut result = json!({ "resources": &resources[page] });
    if let Some(next) = next {
        result["nextCursor"] = json!(next);
    }
    Ok(result)
}

fn served_mime_type(call: &Call<'_>, mime: &str) -> String {
    if mime == "text/html;profile=mcp-app" && call.state.faults().has(Fault::UiWrongMimeType) {
        "text/html".to_owned()
    } else {
        mime.to_owned()
    }
}

/// A UI resource's HTML as served, with the view bugs of the active faults.
fn served_view(call: &Call<'_>, project: &Project, resource: &Resource) -> String {
    let faults = call.state.faults();
    let mut text = resource.text.clone();
    if !resource.uri.starts_with("ui://") {
        return text;
    }
    let mcp_app = resource.mime_type == "text/html;profile=mcp-app";
    if mcp_app && faults.has(Fault::UiHandshakeSilent) {
        if let Some(template) = project
            .resources
            .iter()
            .find(|r| r.mime_type == "text/html+skybridge")
            .map(|r| r.text.clone())
        {
            text = template;
        }
    }
    let mut injected = String::new();
    if faults.has(Fault::UiCspBlocksOwnAsset) {
        // The organization's own asset host, which no fixture's CSP declares.
        injected.push_str(&format!(
            "<img class=\"photo\" alt=\"Product photo\" src=\"{}/products/photo.png\">\n",
            asset_host(&project.org)
        ));
    }
    if faults.has(Fault::UiScriptError) {
        injected.push_str(
            "<script>document.getElementById(\"card\").dataset.rating = window.productRating.toFixed(1);</script>\n",
        );
    }
    if !injected.is_empty() {
        match text.rfind("</body>") {
            Some(at) => text.insert_str(at, &injected),
            None => text.push_str(&injected),
        }
    }
    text
}

/// The asset host of an organization's apps (`https://assets.<org>.test`), for `ui-csp-blocks-own-asset`.
pub fn asset_host(org: &str) -> String {
    format!("https://assets.{}.test", org.to_lowercase())
}

fn resources_read(call: &Call<'_>, params: &Map<String, Value>) -> Result<Value, RpcError> {
    let uri = params
        .get("uri")
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::invalid_params("params.uri must be a string"))?;
    let not_found = || {
        RpcError::new(RESOURCE_NOT_FOUND, format!("Resource not found: {uri}"))
            .with_data(json!({ "uri": uri }))
    };
    let world = call.state.read();
    let project = world
        .project(&call.endpoint.org, &call.endpoint.project)
        .ok_or_else(not_found)?;
    let resource = project
        .resources
        .iter()
        .find(|r| r.uri == uri)
        .ok_or_else(not_found)?;
    if call.state.faults().has(Fault::UiResourceMissing) && resource.uri.starts_with("ui://") {
        return Err(not_found());
    }
    let mut content = json!({
        "uri": resource.uri,
        "mimeType": served_mime_type(call, &resource.mime_type),
        "text": served_view(call, project, resource),
    });
    if let Some(meta) = &resource.meta {
        content["_meta"] = meta.clone();
    }
    if resource.mime_type == "text/html;profile=mcp-app"
        && call.state.faults().has(Fault::UiDomainPlain)
    {
        // The bug: the widget domain written as a plain origin, as ChatGPT's submission form asks.
        content["_meta"]["ui"]["domain"] = json!("https://widgets.metabind.test");
    }
    Ok(json!({ "contents": [content] }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        assert_eq!(decode_cursor(&encode_cursor(4)), Some(4));
        assert_eq!(decode_cursor("not-a-cursor"), None);
        assert_eq!(decode_cursor(""), None);
    }
}
