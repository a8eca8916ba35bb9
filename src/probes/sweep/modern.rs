//! The stateless era (MCP 2026-07-28) beside the 2025 one: `server/discover`, every page of
//! `tools/list`, requests altered on purpose (no `_meta`, a header that contradicts the body, a version
//! no one speaks, a method no server has, a resource that does not exist), and the tasks extension
//! (a tool that needs a task called without declaring it, then with it, polled to its end). Only
//! tools the call policy allows are called. Nothing is probed further when discover and the listing
//! both show a server of the 2025 era only: the section is then n/a.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::time::Instant;

use super::{Credential, Sweep};
use crate::evidence::sweep::{Modern, ModernTask};
use crate::evidence::{Observed, RpcExchange};
use crate::mcp_ops::{poll_interval, MAX_PAGES};
use crate::wire::modern::{with_meta, META_PROTOCOL_VERSION, TASKS_EXTENSION};
use crate::wire::{Era, McpClient};

/// How long a task may take before the sweep stops polling it.
const TASK_DEADLINE: Duration = Duration::from_secs(15);
/// The pace while the server names no pollIntervalMs.
const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// A client of the stateless era with `capabilities` in every request.
fn client(sweep: &Sweep<'_>, credential: &Credential, capabilities: Value) -> McpClient {
    let mut client = sweep.mcp(credential.bearer.as_deref());
    client.era = Era::Modern;
    client.client_info = super::client_info();
    client.capabilities = capabilities;
    client
}

pub(super) async fn probe(
    sweep: &Sweep<'_>,
    credential: &Credential,
    legacy_tools: Option<&[Value]>,
    ev: &mut Modern,
) {
    let mut plain = client(sweep, credential, json!({}));
    ev.discover = sweep.rpc(&mut plain, "server/discover", json!({})).await;
    ev.tools_pages = list_pages(sweep, &mut plain).await;
    if !ev.speaks_modern() {
        let why = match ev.discover.seen() {
            Some(x) => format!(
                "the endpoint does not speak MCP 2026-07-28 (server/discover: {})",
                x.describe()
            ),
            None => "the endpoint does not speak MCP 2026-07-28 (server/discover got no answer)"
                .to_owned(),
        };
        for slot in [
            &mut ev.without_meta,
            &mut ev.header_mismatch,
            &mut ev.unsupported_version,
            &mut ev.unknown_method,
            &mut ev.missing_resource,
            &mut ev.required_without_extension,
            &mut ev.optional_without_extension,
        ] {
            *slot = Observed::not_applicable(why.clone());
        }
        ev.task = Observed::not_applicable(why);
        return;
    }
    let list = |meta: bool| {
        let params = if meta {
            with_meta(json!({}), &super::client_info(), &json!({}))
        } else {
            json!({})
        };
        json!({"jsonrpc": "2.0", "id": 90, "method": "tools/list", "params": params})
    };
    // The headers a correct request would carry, around a body without the envelope.
    ev.without_meta = sweep.rpc_raw(plain.request(&list(false)), 90).await;
    let mut request = plain.request(&list(true));
    for (name, value) in request.headers.iter_mut() {
        if name == "mcp-method" {
            *value = "resources/list".into();
        }
    }
    ev.header_mismatch = sweep.rpc_raw(request, 90).await;
    let mut unknown = list(true);
    unknown["params"]["_meta"][META_PROTOCOL_VERSION] = json!("2099-01-01");
    ev.unsupported_version = sweep.rpc_raw(plain.request(&unknown), 90).await;
    ev.unknown_method = sweep
        .rpc(&mut plain, "metabind-conformance/no-such-method", json!({}))
        .await;
    ev.missing_resource = sweep
        .rpc(
            &mut plain,
            "resources/read",
            json!({"uri": "ui://metabind-conformance/no-such-resource"}),
        )
        .await;
    probe_tasks(sweep, credential, legacy_tools, &mut plain, ev).await;
}

/// Every page of the stateless `tools/list`, as far as it went.
async fn list_pages(sweep: &Sweep<'_>, client: &mut McpClient) -> Observed<Vec<RpcExchange>> {
    let mut pages = Vec::new();
    let mut params = json!({});
    for _ in 0..MAX_PAGES {
        let page = match sweep.rpc(client, "tools/list", params).await {
            Observed::Seen(page) => page,
            Observed::Missing(gap) if pages.is_empty() => return Observed::Missing(gap),
            Observed::Missing(_) => break,
        };
        let next = page
            .result()
            .and_then(|r| r["nextCursor"].as_str())
            .map(String::from);
        pages.push(page);
        match next {
            Some(cursor) => params = json!({ "cursor": cursor }),
            None => break,
        }
    }
    Observed::Seen(pages)
}

/// The first tool the run may call whose task support is `support`, with its arguments.
fn task_tool(sweep: &Sweep<'_>, tools: &[Value], support: &str) -> Option<(String, Value)> {
    tools
        .iter()
        .filter(|t| sweep.instance.may_call(t))
        .filter(|t| t["execution"]["taskSupport"] == support)
        .find_map(|t| {
            let arguments = sweep.instance.arguments(t)?;
            Some((t["name"].as_str()?.to_owned(), arguments))
        })
}

async fn probe_tasks(
    sweep: &Sweep<'_>,
    credential: &Credential,
    legacy_tools: Option<&[Value]>,
    plain: &mut McpClient,
    ev: &mut Modern,
) {
    let Some(tools) = legacy_tools else {
        for slot in [
            &mut ev.required_without_extension,
            &mut ev.optional_without_extension,
        ] {
            *slot = Observed::not_testable("tools/list failed");
        }
        ev.task = Observed::not_testable("tools/list failed");
        return;
    };
    let none = |support: &str| {
        format!(
            "no tool the run may call ({}) has taskSupport {support}",
            sweep.instance.describe_calls()
        )
    };
    let required = task_tool(sweep, tools, "required");
    let optional = task_tool(sweep, tools, "optional");
    ev.required_without_extension = match &required {
        Some((name, arguments)) => {
            let call = json!({"name": name, "arguments": arguments});
            sweep.rpc(plain, "tools/call", call).await
        }
        None => Observed::not_applicable(none("required")),
    };
    ev.optional_without_extension = match &optional {
        Some((name, arguments)) => {
            let call = json!({"name": name, "arguments": arguments});
            sweep.rpc(plain, "tools/call", call).await
        }
        None => Observed::not_applicable(none("optional")),
    };
    let Some((name, arguments)) = required.or(optional) else {
        ev.task = Observed::not_applicable(none("required or optional"));
        return;
    };
    let mut tasking = client(
        sweep,
        credential,
        json!({ "extensions": { TASKS_EXTENSION: {} } }),
    );
    let created = match sweep
        .rpc(
            &mut tasking,
            "tools/call",
            json!({"name": name, "arguments": arguments}),
        )
        .await
    {
        Observed::Seen(x) => x,
        Observed::Missing(gap) => {
            ev.task = Observed::Missing(gap);
            return;
        }
    };
    let mut task = ModernTask {
        tool: name,
        created,
        polls: Vec::new(),
    };
    let first = task.created.result().cloned().unwrap_or_default();
    if first["resultType"] == "task" {
        if let Some(id) = first["taskId"].as_str() {
            let started = Instant::now();
            let mut status = first["status"].as_str().unwrap_or_default().to_owned();
            let mut interval = poll_interval(&first)
                .map(Duration::from_millis)
                .unwrap_or(POLL_INTERVAL);
            while status == "working" || status == "input_required" {
                if started.elapsed() + interval > TASK_DEADLINE {
                    break;
                }
                tokio::time::sleep(interval).await;
                let Observed::Seen(polled) = sweep
                    .rpc(&mut tasking, "tasks/get", json!({ "taskId": id }))
                    .await
                else {
                    break;
                };
                let result = polled.result().cloned().unwrap_or_default();
                status = result["status"].as_str().unwrap_or_default().to_owned();
                if let Some(ms) = poll_interval(&result) {
                    interval = Duration::from_millis(ms);
                }
                task.polls.push(polled);
            }
        }
    }
    ev.task = Observed::Seen(task);
}
