//! What the server's answers make each host do, judged once per host on the sweep's evidence
//! (`sweep/hosts`): a tool whose hints make a host skip its confirmation, requests sent the way a host
//! sends them (without the session id, without the protocol version header) that the server refuses.

use super::catalogue::{CheckDef, Judge, Level};
use super::verdict::{seen, truncate, CheckResult};
use crate::evidence::SweepEvidence;
use crate::guide::Row;
use crate::host::{decide, HostProfile};
use crate::wire::Exchange;

pub static DESTRUCTIVE_CONFIRMED: CheckDef = CheckDef {
    id: "host.tools.destructive-confirmed",
    level: Level::Must,
    clause: "MCP server/tools §tool annotations: destructiveHint true means the tool may destroy data and hosts ask first; a readOnlyHint beside it makes a host that auto-runs read-only tools skip the question",
    applies: "the endpoint lists a tool declaring destructiveHint: true, and the host asks before destructive tools",
    row: Some(Row::Pick),
    hint: "declare readOnlyHint: true only on tools that change nothing; a destructive tool must not claim to be read-only",
    judge: Judge::PerHost(destructive_confirmed),
};

pub static SESSIONLESS_CALLS: CheckDef = CheckDef {
    id: "host.calls.sessionless",
    level: Level::Should,
    clause: "hosts-observed C20 (trace, 2026-04, OpenAI: deliberate): ChatGPT sent each tool call on a fresh initialize without Mcp-Session-Id, and every one failed on servers that refuse requests without the session id (MCP §session management lets them answer 400); C19 (trace, 2026-10) shows its legacy path keeping the session again",
    applies: "the host sends (or was reported sending) tool calls without the session id, and the server issues one",
    row: Some(Row::ToolsFail),
    hint: "serve requests that carry no Mcp-Session-Id (bind what you need to the bearer token or the request's _meta, not to the session)",
    judge: Judge::PerHost(sessionless_calls),
};

pub static WITHOUT_VERSION_HEADER: CheckDef = CheckDef {
    id: "host.requests.without-protocol-version",
    level: Level::Must,
    clause: "MCP §1.6: a server that receives no MCP-Protocol-Version header SHOULD assume 2025-03-26; hosts-observed A25 (trace): Claude's requests after initialize come without it, so a server that refuses them fails Claude",
    applies: "the host omits MCP-Protocol-Version after initialize",
    row: Some(Row::Add),
    hint: "serve a request without MCP-Protocol-Version with the session's negotiated version (or 2025-03-26); refuse only a version you do not support",
    judge: Judge::PerHost(without_version_header),
};

pub static TASK_REQUIRED_USABLE: CheckDef = CheckDef {
    id: "host.tools.task-required-usable",
    level: Level::Should,
    clause: "MCP tasks §tool-level negotiation: a tool with taskSupport \"required\" can only be called task-augmented; hosts-observed C30 (hearsay) and A37 (trace of absence): neither ChatGPT nor Claude advertises the tasks capability or was seen polling tasks/get, while Metabind's guide says ChatGPT polls long-running tools (the task scenarios run that variant)",
    applies: "the endpoint lists a tool with taskSupport \"required\", and the host's traffic shows no task-augmented calls",
    row: Some(Row::ToolsFail),
    hint: "declare taskSupport \"optional\" on long-running tools and answer a plain call too (block until done, or return a taskId the UI can poll), so hosts that never send tasks can still call them",
    judge: Judge::PerHost(task_required_usable),
};

pub static CHECKS: &[&CheckDef] = &[
    &DESTRUCTIVE_CONFIRMED,
    &SESSIONLESS_CALLS,
    &WITHOUT_VERSION_HEADER,
    &TASK_REQUIRED_USABLE,
];

/// Whether `x` answered a `tools/list` with its result (JSON or SSE).
fn served_tools_list(x: &Exchange) -> bool {
    x.status == 200
        && crate::wire::messages(x.header("content-type"), x.response_body.as_bytes())
            .iter()
            .any(|m| m["result"]["tools"].is_array())
}

/// A request sent the way `host` sends it: the server must serve it.
fn served_as_host_sends(
    def: &CheckDef,
    observed: &crate::evidence::Observed<Exchange>,
    host: &str,
    what: &str,
    consequence: &str,
) -> Vec<CheckResult> {
    let x = match seen(def, observed) {
        Ok(x) => x,
        Err(v) => return vec![v],
    };
    let served = served_tools_list(x);
    vec![CheckResult::judge(
        def,
        served,
        format!("{what}, as {host} sends it"),
        "served (200 with the result)",
        if served {
            "served".to_owned()
        } else {
            format!(
                "{} {}: {consequence}",
                x.status,
                truncate(&x.response_body, 160)
            )
        },
    )
    .with_evidence([x])]
}

fn sessionless_calls(ev: &SweepEvidence, profile: &HostProfile) -> Vec<CheckResult> {
    let def = &SESSIONLESS_CALLS;
    let protocol = &profile.protocol;
    if !protocol.tool_calls_without_session && !protocol.sessionless_calls_reported {
        return vec![CheckResult::not_applicable(
            def,
            format!("{} sends the session id on every request", profile.name),
        )];
    }
    if let Err(gap) = seen(def, &ev.transport.without_session) {
        return vec![gap];
    }
    if ev.transport.session_id.is_none() {
        return vec![CheckResult::not_applicable(
            def,
            "the server issues no session id (stateless)",
        )];
    }
    served_as_host_sends(
        def,
        &ev.transport.without_session,
        &profile.name,
        "tools/list after initialize without Mcp-Session-Id",
        &if protocol.tool_calls_without_session {
            format!(
                "{} sends its tool calls this way, so each of them fails",
                profile.name
            )
        } else {
            format!(
                "{} was seen sending its tool calls this way (hosts-observed C20), and each of them failed",
                profile.name
            )
        },
    )
}

fn task_required_usable(ev: &SweepEvidence, profile: &HostProfile) -> Vec<CheckResult> {
    let def = &TASK_REQUIRED_USABLE;
    let listing = match seen(def, &ev.tools.listing) {
        Ok(l) => l,
        Err(v) => return vec![v],
    };
    let required: Vec<&str> = listing
        .tools
        .iter()
        .filter(|t| t["execution"]["taskSupport"] == "required")
        .map(|t| t["name"].as_str().unwrap_or("?"))
        .collect();
    if required.is_empty() {
        return vec![CheckResult::not_applicable(
            def,
            "no listed tool requires tasks",
        )];
    }
    if profile.tasks.seen_sending_tasks {
        return vec![CheckResult::not_applicable(
            def,
            format!("{} sends task-augmented calls", profile.name),
        )];
    }
    let traffic = profile
        .sources
        .get("tasks.seen_sending_tasks")
        .map(String::as_str)
        .unwrap_or("no source");
    vec![CheckResult::fail(
        def,
        format!(
            "{} tool(s) requiring tasks, for {}",
            required.len(),
            profile.name
        ),
        format!("every tool callable by {} without a task", profile.name),
        format!(
            "{} cannot call {} as its traffic shows it (traffic, {traffic}; guide: Metabind says long-running tools are polled as tasks, which the task scenarios check)",
            profile.name,
            required.join(", ")
        ),
    )]
}

fn without_version_header(ev: &SweepEvidence, profile: &HostProfile) -> Vec<CheckResult> {
    let def = &WITHOUT_VERSION_HEADER;
    if profile.protocol.protocol_version_header {
        return vec![CheckResult::not_applicable(
            def,
            format!(
                "{} sends MCP-Protocol-Version on every request",
                profile.name
            ),
        )];
    }
    served_as_host_sends(
        def,
        &ev.transport.without_version_header,
        &profile.name,
        "tools/list on the session without MCP-Protocol-Version",
        &format!(
            "{} sends its requests after initialize this way, so it could not list or call tools",
            profile.name
        ),
    )
}

fn destructive_confirmed(ev: &SweepEvidence, profile: &HostProfile) -> Vec<CheckResult> {
    let def = &DESTRUCTIVE_CONFIRMED;
    let listing = match seen(def, &ev.tools.listing) {
        Ok(l) => l,
        Err(v) => return vec![v],
    };
    let destructive: Vec<&serde_json::Value> = listing
        .tools
        .iter()
        .filter(|t| t["annotations"]["destructiveHint"] == true)
        .collect();
    if destructive.is_empty() {
        return vec![CheckResult::not_applicable(
            def,
            "no listed tool declares destructiveHint: true",
        )];
    }
    let plain_destructive =
        serde_json::json!({"annotations": {"readOnlyHint": false, "destructiveHint": true}});
    if !decide(profile, &plain_destructive).confirmation {
        return vec![CheckResult::not_applicable(
            def,
            format!(
                "{} asks before no tool: hints cannot change what it does",
                profile.name
            ),
        )];
    }
    let skipped: Vec<&str> = destructive
        .iter()
        .filter(|t| !decide(profile, t).confirmation)
        .map(|t| t["name"].as_str().unwrap_or("?"))
        .collect();
    vec![CheckResult::judge(
        def,
        skipped.is_empty(),
        format!(
            "{} before the {} tool(s) declaring destructiveHint",
            profile.name,
            destructive.len()
        ),
        format!("{} asks before every destructive tool", profile.name),
        if skipped.is_empty() {
            "asks before each".to_owned()
        } else {
            format!(
                "runs without asking, because they also declare readOnlyHint: true: {}",
                skipped.join(", ")
            )
        },
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::listed;
    use crate::checks::Status;
    use crate::evidence::Observed;
    use serde_json::json;

    fn answered(status: u16, body: &str) -> Observed<Exchange> {
        Observed::Seen(crate::checks::testing::exchange(
            "POST",
            "http://x/mcp",
            status,
            body,
        ))
    }

    const LISTED: &str = r#"{"jsonrpc":"2.0","id":2,"result":{"tools":[]}}"#;

    #[test]
    fn a_server_that_needs_the_session_id_is_warned_for_chatgpt_only() {
        let chatgpt = HostProfile::builtin("chatgpt").unwrap();
        let claude = HostProfile::builtin("claude-desktop").unwrap();
        let mut ev = SweepEvidence::default();
        ev.transport.session_id = Some("s-1".into());
        ev.transport.without_session = answered(200, LISTED);
        assert_eq!(sessionless_calls(&ev, &chatgpt)[0].status, Status::Pass);
        ev.transport.without_session = answered(400, r#"{"error":{"code":-32000}}"#);
        let failed = &sessionless_calls(&ev, &chatgpt)[0];
        assert_eq!(failed.status, Status::Warn, "reported, not today's traffic");
        assert!(failed.actual.as_deref().unwrap().contains("C20"));
        ev.transport.without_session = answered(200, r#"{"jsonrpc":"2.0","id":2,"error":{}}"#);
        assert_eq!(
            sessionless_calls(&ev, &chatgpt)[0].status,
            Status::Warn,
            "200 without a result"
        );
        assert_eq!(
            sessionless_calls(&ev, &claude)[0].status,
            Status::NotApplicable
        );
        ev.transport.session_id = None;
        assert_eq!(
            sessionless_calls(&ev, &chatgpt)[0].status,
            Status::NotApplicable
        );
    }

    #[test]
    fn a_server_that_needs_the_version_header_fails_claude_only() {
        let chatgpt = HostProfile::builtin("chatgpt").unwrap();
        let claude = HostProfile::builtin("claude-desktop").unwrap();
        let mut ev = SweepEvidence::default();
        ev.transport.without_version_header =
            answered(200, &format!("event: message\ndata: {LISTED}\n\n"));
        assert_eq!(
            without_version_header(&ev, &claude)[0].status,
            Status::Fail,
            "SSE needs its content type"
        );
        let mut sse = crate::checks::testing::exchange(
            "POST",
            "http://x/mcp",
            200,
            &format!("event: message\ndata: {LISTED}\n\n"),
        );
        sse.response_headers = vec![("content-type".into(), "text/event-stream".into())];
        ev.transport.without_version_header = Observed::Seen(sse);
        assert_eq!(without_version_header(&ev, &claude)[0].status, Status::Pass);
        ev.transport.without_version_header = answered(400, "{}");
        assert_eq!(without_version_header(&ev, &claude)[0].status, Status::Fail);
        assert_eq!(
            without_version_header(&ev, &chatgpt)[0].status,
            Status::NotApplicable
        );
    }

    #[test]
    fn a_tool_requiring_tasks_is_reported_for_hosts_never_seen_sending_them() {
        let chatgpt = HostProfile::builtin("chatgpt").unwrap();
        let generic = HostProfile::builtin("generic").unwrap();
        let ev = listed(vec![
            json!({"name": "report", "execution": {"taskSupport": "required"}}),
            json!({"name": "search", "execution": {"taskSupport": "optional"}}),
        ]);
        let warned = &task_required_usable(&ev, &chatgpt)[0];
        assert_eq!(warned.status, Status::Warn);
        let actual = warned.actual.as_deref().unwrap();
        assert!(actual.contains("report") && !actual.contains("search"));
        assert!(
            actual.contains("C30") && actual.contains("guide"),
            "both sources: {actual}"
        );
        assert_eq!(
            task_required_usable(&ev, &generic)[0].status,
            Status::NotApplicable
        );
        let optional = listed(vec![
            json!({"name": "search", "execution": {"taskSupport": "optional"}}),
        ]);
        assert_eq!(
            task_required_usable(&optional, &chatgpt)[0].status,
            Status::NotApplicable
        );
    }

    #[test]
    fn a_destructive_tool_claiming_read_only_fails_for_a_host_that_auto_runs_read_only_tools() {
        let claude = HostProfile::builtin("claude-desktop").unwrap();
        let chatgpt = HostProfile::builtin("chatgpt").unwrap();
        let both = listed(vec![
            json!({"name": "wipe", "annotations": {"readOnlyHint": true, "destructiveHint": true}}),
        ]);
        assert_eq!(
            destructive_confirmed(&both, &claude)[0].status,
            Status::Fail
        );
        assert_eq!(
            destructive_confirmed(&both, &chatgpt)[0].status,
            Status::Pass
        );
        let honest = listed(vec![
            json!({"name": "wipe", "annotations": {"destructiveHint": true}}),
        ]);
        assert_eq!(
            destructive_confirmed(&honest, &claude)[0].status,
            Status::Pass
        );
        let none = listed(vec![
            json!({"name": "read", "annotations": {"readOnlyHint": true}}),
        ]);
        assert_eq!(
            destructive_confirmed(&none, &claude)[0].status,
            Status::NotApplicable
        );
    }
}
