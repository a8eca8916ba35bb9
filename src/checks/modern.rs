//! The stateless era (MCP 2026-07-28), judged on the sweep's `modern` evidence: discover, `resultType`,
//! caching hints, the refusals the era defines (missing `_meta`, header mismatch, unknown version,
//! unknown method) with their codes and statuses, no sessions, the error codes it reserves, the tasks
//! extension. Whether both eras agree, per host, is `eras`.

use serde_json::Value;

use super::catalogue::{CheckDef, Judge, Level, Section};
use super::verdict::{seen, server_failed, CheckResult};
use crate::evidence::{RpcExchange, SweepEvidence};

use crate::wire::MODERN_PROTOCOL_VERSION;

macro_rules! modern_check {
    ($name:ident, $id:literal, $level:expr, $clause:literal, $applies:literal, $hint:literal, $judge:ident) => {
        pub static $name: CheckDef = CheckDef {
            id: $id,
            level: $level,
            clause: $clause,
            applies: $applies,
            row: None,
            hint: $hint,
            judge: Judge::Sweep(Section::Modern, $judge),
        };
    };
}

modern_check!(DISCOVER, "modern.discover.answers", Level::Must,
    "MCP 2026-07-28 server/discover: servers MUST implement server/discover; the result names supportedVersions and capabilities",
    "the endpoint speaks 2026-07-28 (a stateless request got a result)",
    "answer server/discover with resultType, supportedVersions (including 2026-07-28), capabilities, ttlMs and cacheScope",
    discover_answers);
modern_check!(RESULT_TYPE, "modern.result-type.present", Level::Must,
    "MCP 2026-07-28 basic (Result): servers implementing this version MUST include resultType in every result",
    "the endpoint speaks 2026-07-28",
    "add resultType (\"complete\" for ordinary results) to every result of the stateless era",
    result_type_present);
modern_check!(CACHE_HINTS, "modern.cache.hints", Level::Must,
    "MCP 2026-07-28 utilities/caching: results of server/discover and the list and read methods MUST carry ttlMs (an integer >= 0) and cacheScope (public or private)",
    "the endpoint speaks 2026-07-28",
    "add ttlMs and cacheScope to discover, tools/list (every page), resources/list, resources/read and the other list results; private when the answer depends on the caller",
    cache_hints);
modern_check!(CACHE_SCOPE, "modern.cache.scope-consistent", Level::Must,
    "MCP 2026-07-28 utilities/caching: servers MUST apply the same cacheScope to all response pages of a list request",
    "the stateless tools/list has more than one page",
    "decide cacheScope once per listing (by who may see it), not per page",
    cache_scope_consistent);
modern_check!(META_REQUIRED, "modern.meta.required", Level::Must,
    "MCP 2026-07-28 basic (_meta): a request missing io.modelcontextprotocol/protocolVersion or clientCapabilities is malformed: -32602 with 400",
    "the endpoint speaks 2026-07-28",
    "refuse stateless requests without the _meta envelope with HTTP 400 and -32602 (Invalid params)",
    meta_required);
modern_check!(HEADER_MISMATCH, "modern.headers.mismatch-refused", Level::Must,
    "MCP 2026-07-28 transports (server validation): a header that contradicts the body (MCP-Protocol-Version, Mcp-Method, Mcp-Name) MUST be rejected with 400 and HeaderMismatch (-32020)",
    "the endpoint speaks 2026-07-28",
    "compare MCP-Protocol-Version, Mcp-Method and Mcp-Name with the body before dispatching; proxies route on them",
    header_mismatch_refused);
modern_check!(VERSION_REFUSED, "modern.version.unsupported-refused", Level::Must,
    "MCP 2026-07-28 basic (errors): an unsupported protocol version gets UnsupportedProtocolVersionError (-32022) with 400 and data {supported, requested}",
    "the endpoint speaks 2026-07-28",
    "refuse an unknown _meta protocol version with 400, -32022 and data.supported listing what you speak (clients retry with one of them)",
    version_refused);
modern_check!(
    UNKNOWN_METHOD,
    "modern.method.unknown-404",
    Level::Must,
    "MCP 2026-07-28 transports: a method the server does not implement is answered 404 with -32601",
    "the endpoint speaks 2026-07-28",
    "answer unknown (and removed: initialize, ping, tasks/list) methods with HTTP 404 and -32601",
    unknown_method_404
);
modern_check!(NO_SESSION, "modern.session.none", Level::Should,
    "MCP 2026-07-28 transports (earlier revisions): the stateless era has no sessions; a server does not mint or echo Mcp-Session-Id",
    "the endpoint speaks 2026-07-28",
    "send no Mcp-Session-Id on stateless answers; keep state out of the connection",
    no_session);
modern_check!(ERROR_CODES, "modern.errors.codes", Level::Must,
    "MCP 2026-07-28 server/resources and basic (error codes): a missing resource is -32602; -32002 and -32042 are retired and MUST NOT be sent; no code of -32020..-32099 the specification does not define",
    "the endpoint speaks 2026-07-28",
    "answer a missing resource with -32602 (not -32002), and use only the codes 2026-07-28 defines in -32020..-32099",
    error_codes);
modern_check!(MISSING_CAPABILITY, "modern.capability.missing-refused", Level::Must,
    "MCP 2026-07-28 basic (capabilities) and the tasks extension: a request that needs a capability the client did not declare gets -32021 with 400 and data.requiredCapabilities",
    "a tool the run may call requires a task",
    "when a tool can only run as a task and the request does not declare io.modelcontextprotocol/tasks, answer 400 with -32021 and requiredCapabilities naming the extension",
    missing_capability_refused);
modern_check!(TASK_UNDECLARED, "modern.tasks.capability-respected", Level::Must,
    "MCP tasks extension: a server MUST NOT return a task (resultType \"task\") to a request that did not declare the extension",
    "a tool the run may call has optional task support",
    "run the tool inline (or refuse with -32021) when the request's capabilities lack io.modelcontextprotocol/tasks",
    task_undeclared);
modern_check!(TASK_LIFECYCLE, "modern.tasks.lifecycle", Level::Must,
    "MCP tasks extension: a created task is resultType \"task\" with taskId, status, createdAt, ttlMs; tasks/get answers resultType \"complete\" and, once completed, carries the result inline (failed: the error)",
    "the server advertises the tasks extension and a tool the run may call can run as a task",
    "answer the call with the flat task (taskId, status, ttlMs, pollIntervalMs), and put the tool's result in the completed task's tasks/get answer",
    task_lifecycle);

pub static CHECKS: &[&CheckDef] = &[
    &DISCOVER,
    &RESULT_TYPE,
    &CACHE_HINTS,
    &CACHE_SCOPE,
    &META_REQUIRED,
    &HEADER_MISMATCH,
    &VERSION_REFUSED,
    &UNKNOWN_METHOD,
    &NO_SESSION,
    &ERROR_CODES,
    &MISSING_CAPABILITY,
    &TASK_UNDECLARED,
    &TASK_LIFECYCLE,
];

pub(super) const LEGACY_ONLY: &str = "the endpoint does not speak MCP 2026-07-28";

/// The section's checks apply only to a server of the stateless era.
fn speaks(def: &CheckDef, ev: &SweepEvidence) -> Result<(), Vec<CheckResult>> {
    if ev.modern.speaks_modern() {
        return Ok(());
    }
    match &ev.modern.discover {
        crate::evidence::Observed::Seen(x) => Err(vec![CheckResult::not_applicable(
            def,
            format!("{LEGACY_ONLY} (server/discover: {})", x.describe()),
        )]),
        crate::evidence::Observed::Missing(gap) => Err(vec![CheckResult::from_gap(def, gap)]),
    }
}

/// A refusal probe: 5xx is not a verdict; otherwise `status` and `code` must be as the era says.
fn refusal(def: &CheckDef, x: &RpcExchange, what: &str, status: u16, code: i64) -> CheckResult {
    if let Some(v) = server_failed(def, &x.exchange, what) {
        return v;
    }
    CheckResult::judge(
        def,
        x.status() == status && x.error_code() == Some(code),
        what.to_owned(),
        format!("HTTP {status} with {code}"),
        x.describe(),
    )
    .with_evidence([&x.exchange])
}

fn discover_answers(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &DISCOVER;
    if let Err(v) = speaks(def, ev) {
        return v;
    }
    let x = match seen(def, &ev.modern.discover) {
        Ok(x) => x,
        Err(v) => return vec![v],
    };
    if let Some(v) = server_failed(def, &x.exchange, "server/discover") {
        return vec![v];
    }
    let names = x.result().is_some_and(|r| {
        r["capabilities"].is_object()
            && r["supportedVersions"]
                .as_array()
                .is_some_and(|v| v.iter().any(|v| v == MODERN_PROTOCOL_VERSION))
    });
    vec![CheckResult::judge(
        def,
        names,
        "server/discover",
        format!(
            "a result naming {MODERN_PROTOCOL_VERSION} in supportedVersions, with capabilities"
        ),
        x.describe(),
    )
    .with_evidence([&x.exchange])]
}

fn result_type_present(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &RESULT_TYPE;
    if let Err(v) = speaks(def, ev) {
        return v;
    }
    let results: Vec<&RpcExchange> = ev
        .modern
        .exchanges()
        .into_iter()
        .filter(|x| x.result().is_some())
        .collect();
    if results.is_empty() {
        return vec![CheckResult::not_testable(
            def,
            "no stateless request got a result",
        )];
    }
    let without: Vec<&RpcExchange> = results
        .iter()
        .copied()
        .filter(|x| !x.result().is_some_and(|r| r["resultType"].is_string()))
        .collect();
    vec![CheckResult::judge(
        def,
        without.is_empty(),
        format!("resultType on {} stateless results", results.len()),
        "every result with resultType",
        format!("{} without it", without.len()),
    )
    .with_evidence(without.iter().map(|x| &x.exchange))]
}

/// The cacheable results: discover and every listing page.
fn cacheable(ev: &SweepEvidence) -> Vec<&RpcExchange> {
    let mut out: Vec<&RpcExchange> = ev.modern.discover.seen().into_iter().collect();
    out.extend(ev.modern.tools_pages.seen().into_iter().flatten());
    out.retain(|x| x.result().is_some());
    out
}

fn cache_hints(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &CACHE_HINTS;
    if let Err(v) = speaks(def, ev) {
        return v;
    }
    let results = cacheable(ev);
    if results.is_empty() {
        return vec![CheckResult::not_testable(
            def,
            "neither discover nor tools/list got a result",
        )];
    }
    let hinted = |r: &Value| {
        r["ttlMs"].as_u64().is_some()
            && matches!(r["cacheScope"].as_str(), Some("public" | "private"))
    };
    let without: Vec<&RpcExchange> = results
        .iter()
        .copied()
        .filter(|x| !x.result().is_some_and(hinted))
        .collect();
    vec![CheckResult::judge(
        def,
        without.is_empty(),
        format!(
            "ttlMs and cacheScope on {} discover and tools/list results",
            results.len()
        ),
        "an integer ttlMs >= 0 and cacheScope public or private on each",
        format!("{} without them", without.len()),
    )
    .with_evidence(without.iter().map(|x| &x.exchange))]
}

fn cache_scope_consistent(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &CACHE_SCOPE;
    if let Err(v) = speaks(def, ev) {
        return v;
    }
    let pages = match seen(def, &ev.modern.tools_pages) {
        Ok(p) => p,
        Err(v) => return vec![v],
    };
    if pages.len() < 2 {
        return vec![CheckResult::not_applicable(
            def,
            "the stateless tools/list has one page",
        )];
    }
    let scopes: Vec<String> = pages
        .iter()
        .map(|p| {
            p.result()
                .map_or("no result".to_owned(), |r| r["cacheScope"].to_string())
        })
        .collect();
    let same = scopes.windows(2).all(|w| w[0] == w[1]);
    vec![CheckResult::judge(
        def,
        same,
        format!("cacheScope over {} pages of tools/list", pages.len()),
        "the same on every page",
        scopes.join(", "),
    )
    .with_evidence(pages.iter().map(|p| &p.exchange))]
}

/// A refusal rule over one probe of the section.
fn refusal_rule(
    def: &CheckDef,
    ev: &SweepEvidence,
    probe: &crate::evidence::Observed<RpcExchange>,
    what: &str,
    status: u16,
    code: i64,
) -> Vec<CheckResult> {
    if let Err(v) = speaks(def, ev) {
        return v;
    }
    match seen(def, probe) {
        Ok(x) => vec![refusal(def, x, what, status, code)],
        Err(v) => vec![v],
    }
}

fn meta_required(ev: &SweepEvidence) -> Vec<CheckResult> {
    refusal_rule(
        &META_REQUIRED,
        ev,
        &ev.modern.without_meta,
        "tools/list without the _meta envelope",
        400,
        -32602,
    )
}

fn header_mismatch_refused(ev: &SweepEvidence) -> Vec<CheckResult> {
    refusal_rule(
        &HEADER_MISMATCH,
        ev,
        &ev.modern.header_mismatch,
        "tools/list sent with Mcp-Method: resources/list",
        400,
        -32020,
    )
}

fn version_refused(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &VERSION_REFUSED;
    let mut checks = refusal_rule(
        def,
        ev,
        &ev.modern.unsupported_version,
        "tools/list at protocol version 2099-01-01",
        400,
        -32022,
    );
    if let (Some(x), Some(first)) = (ev.modern.unsupported_version.seen(), checks.first_mut()) {
        let data = x.error().map(|e| e["data"].clone()).unwrap_or_default();
        let named = data["supported"].as_array().is_some_and(|v| !v.is_empty())
            && data["requested"] == "2099-01-01";
        if first.status == super::Status::Pass && !named {
            *first = CheckResult::fail(
                def,
                "the -32022 refusal's data",
                "data.supported (what the server speaks) and data.requested (2099-01-01)",
                data.to_string(),
            )
            .with_evidence([&x.exchange]);
        }
    }
    checks
}

fn unknown_method_404(ev: &SweepEvidence) -> Vec<CheckResult> {
    refusal_rule(
        &UNKNOWN_METHOD,
        ev,
        &ev.modern.unknown_method,
        "a method no server has",
        404,
        -32601,
    )
}

fn no_session(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &NO_SESSION;
    if let Err(v) = speaks(def, ev) {
        return v;
    }
    let all = ev.modern.exchanges();
    let minted: Vec<&RpcExchange> = all
        .iter()
        .copied()
        .filter(|x| x.exchange.header("mcp-session-id").is_some())
        .collect();
    vec![CheckResult::judge(
        def,
        minted.is_empty(),
        format!("Mcp-Session-Id on {} stateless answers", all.len()),
        "none",
        format!("{} carried one", minted.len()),
    )
    .with_evidence(minted.iter().map(|x| &x.exchange))]
}

/// A code of the reserved range 2026-07-28 does not define, or a retired one.
fn forbidden_code(code: i64) -> bool {
    code == -32002 || code == -32042 || ((-32099..=-32023).contains(&code))
}

fn error_codes(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &ERROR_CODES;
    if let Err(v) = speaks(def, ev) {
        return v;
    }
    let mut checks = Vec::new();
    if let Some(x) = ev.modern.missing_resource.seen() {
        if let Some(v) = server_failed(def, &x.exchange, "resources/read of a missing resource") {
            checks.push(v);
        } else {
            // A server without resources may answer 404 -32601 (no such method): that is no verdict.
            let code = x.error_code();
            if code != Some(-32601) {
                checks.push(
                    CheckResult::judge(
                        def,
                        code == Some(-32602),
                        "resources/read of a resource that does not exist",
                        "-32602",
                        x.describe(),
                    )
                    .with_evidence([&x.exchange]),
                );
            }
        }
    }
    let bad: Vec<&RpcExchange> = ev
        .modern
        .exchanges()
        .into_iter()
        .filter(|x| x.error_code().is_some_and(forbidden_code))
        .collect();
    checks.push(
        CheckResult::judge(
            def,
            bad.is_empty(),
            "error codes of the stateless answers",
            "only codes 2026-07-28 defines (never -32002, -32042 or an undefined -32023..-32099)",
            match bad.first() {
                Some(x) => x.describe(),
                None => "none forbidden".to_owned(),
            },
        )
        .with_evidence(bad.iter().map(|x| &x.exchange)),
    );
    checks
}

fn missing_capability_refused(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &MISSING_CAPABILITY;
    let mut checks = refusal_rule(
        def,
        ev,
        &ev.modern.required_without_extension,
        "a tool that requires a task, called without the tasks extension",
        400,
        -32021,
    );
    if let (Some(x), Some(first)) = (
        ev.modern.required_without_extension.seen(),
        checks.first_mut(),
    ) {
        let required = x
            .error()
            .map(|e| e["data"]["requiredCapabilities"].clone())
            .unwrap_or_default();
        if first.status == super::Status::Pass && !required.is_object() {
            *first = CheckResult::fail(
                def,
                "the -32021 refusal's data",
                "data.requiredCapabilities",
                required.to_string(),
            )
            .with_evidence([&x.exchange]);
        }
    }
    checks
}

fn task_undeclared(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &TASK_UNDECLARED;
    if let Err(v) = speaks(def, ev) {
        return v;
    }
    let x = match seen(def, &ev.modern.optional_without_extension) {
        Ok(x) => x,
        Err(v) => return vec![v],
    };
    if let Some(v) = server_failed(def, &x.exchange, "tools/call without the tasks extension") {
        return vec![v];
    }
    let task = x.result().is_some_and(|r| r["resultType"] == "task");
    vec![CheckResult::judge(
        def,
        !task,
        "a tool with optional task support, called without declaring the tasks extension",
        "the result inline (or a -32021 refusal), never a task",
        if task {
            "resultType \"task\"".to_owned()
        } else {
            x.describe()
        },
    )
    .with_evidence([&x.exchange])]
}

fn task_lifecycle(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &TASK_LIFECYCLE;
    if let Err(v) = speaks(def, ev) {
        return v;
    }
    let advertised = ev
        .modern
        .discover
        .seen()
        .and_then(RpcExchange::result)
        .is_some_and(|r| {
            r["capabilities"]["extensions"]
                .get(crate::wire::modern::TASKS_EXTENSION)
                .is_some()
        });
    if !advertised {
        return vec![CheckResult::not_applicable(
            def,
            "server/discover does not advertise the tasks extension",
        )];
    }
    let task = match seen(def, &ev.modern.task) {
        Ok(t) => t,
        Err(v) => return vec![v],
    };
    let created = task.created.result().cloned().unwrap_or_default();
    let evidence: Vec<&crate::wire::Exchange> = std::iter::once(&task.created.exchange)
        .chain(task.polls.last().map(|p| &p.exchange))
        .collect();
    if created["resultType"] != "task" {
        // The server decides: a tool may answer inline even to a client that can poll.
        return vec![CheckResult::not_applicable(
            def,
            format!(
                "{} answered inline ({}), not as a task",
                task.tool,
                task.created.describe()
            ),
        )];
    }
    let shape = created["taskId"].is_string()
        && created["status"].is_string()
        && created["createdAt"].is_string()
        && (created["ttlMs"].is_u64() || created["ttlMs"].is_null())
        && created.get("ttlMs").is_some();
    if !shape {
        return vec![CheckResult::fail(
            def,
            format!("the task {} created", task.tool),
            "a flat task: taskId, status, createdAt, ttlMs",
            created.to_string(),
        )
        .with_evidence(evidence)];
    }
    let Some(last) = task.polls.last().and_then(RpcExchange::result) else {
        return vec![CheckResult::not_testable(
            def,
            format!("the task of {} was not polled to an answer", task.tool),
        )
        .with_evidence(evidence)];
    };
    let status = last["status"].as_str().unwrap_or_default();
    let (ok, got) = match status {
        "completed" => (
            last["resultType"] == "complete" && last.get("result").is_some(),
            "completed",
        ),
        "failed" => (
            last["resultType"] == "complete" && last.get("error").is_some(),
            "failed",
        ),
        "cancelled" => (true, "cancelled"),
        _ => {
            return vec![CheckResult::not_testable(
                def,
                format!(
                    "the task of {} did not end within the sweep's deadline ({status})",
                    task.tool
                ),
            )]
        }
    };
    vec![CheckResult::judge(
        def,
        ok,
        format!("the task of {} polled to its end with tasks/get", task.tool),
        "resultType complete, and the result (completed) or the error (failed) inline",
        format!(
            "{got}: {}",
            crate::checks::verdict::truncate(&last.to_string(), 200)
        ),
    )
    .with_evidence(evidence)]
}

#[cfg(test)]
mod tests;
