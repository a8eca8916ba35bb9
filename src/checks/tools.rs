//! Tools: listing and pagination, schemas, annotations, calls (MCP 2025-11-25 server/tools,
//! server/utilities/pagination).

use serde_json::Value;

use super::catalogue::{CheckDef, Judge, Level, Section};
use super::verdict::{seen, server_failed, truncate, CheckResult};
use crate::evidence::{Observed, RpcExchange, SweepEvidence};
use crate::guide::Row;
use crate::mcp_ops::{Failure, ListingEnd};

pub static PAGINATION: CheckDef = CheckDef {
    id: "tools.list.pagination",
    level: Level::Must,
    clause: "MCP utilities/pagination: a nextCursor leads to the next page and the last page has none; a listing that loops or never ends cannot be read",
    applies: "always",
    row: Some(Row::Add),
    hint: "return a `nextCursor` that leads to the next page, and omit it on the last",
    judge: Judge::Sweep(Section::Tools, pagination),
};

pub static UNIQUE_NAMES: CheckDef = CheckDef {
    id: "tools.list.unique-names",
    level: Level::Should,
    clause: "MCP server/tools §tool names: a tool's name SHOULD be unique within the server; every tool is listed once",
    applies: "always",
    row: Some(Row::Pick),
    hint: "list every tool once, under a name no other tool of the server uses",
    judge: Judge::Sweep(Section::Tools, unique_names),
};

pub static CURSOR: CheckDef = CheckDef {
    id: "tools.list.cursor-validated",
    level: Level::Should,
    clause: "MCP utilities/pagination §error handling: an invalid cursor SHOULD get -32602",
    applies: "always",
    row: None,
    hint: "answer unknown cursors with JSON-RPC -32602 instead of a page",
    judge: Judge::Sweep(Section::Tools, cursor_validated),
};

pub static INPUT_SCHEMA: CheckDef = CheckDef {
    id: "tools.list.input-schema-object",
    level: Level::Must,
    clause: "MCP server/tools §tool: inputSchema MUST be a JSON Schema object with type \"object\"",
    applies: "the endpoint lists tools",
    row: Some(Row::Add),
    hint: "give every tool an `inputSchema` with `\"type\": \"object\"`; hosts drop or refuse tools without one",
    judge: Judge::Sweep(Section::Tools, input_schema_object),
};

pub static ANNOTATIONS: CheckDef = CheckDef {
    id: "tools.annotations.consistent",
    level: Level::Should,
    clause: "MCP server/tools §tool annotations: destructiveHint is meaningful only when readOnlyHint is false; a tool declaring both misleads hosts",
    applies: "the endpoint lists tools",
    row: Some(Row::Pick),
    hint: "do not mark a tool both read-only and destructive; hosts that auto-run read-only tools will not ask first",
    judge: Judge::Sweep(Section::Tools, annotations_consistent),
};

pub static CAPABILITY: CheckDef = CheckDef {
    id: "tools.capability.declared",
    level: Level::Must,
    clause: "MCP server/tools §capabilities: a server that offers tools MUST declare the `tools` capability",
    applies: "the endpoint lists tools",
    row: Some(Row::Add),
    hint: "declare `\"capabilities\": {\"tools\": {}}` in the initialize result",
    judge: Judge::Sweep(Section::Tools, capability_declared),
};

pub static NAME_FORMAT: CheckDef = CheckDef {
    id: "tools.list.name-format",
    level: Level::Should,
    clause: "MCP server/tools §tool names: names SHOULD be 1 to 128 characters of A-Z, a-z, 0-9, _, - and . only",
    applies: "the endpoint lists tools",
    row: Some(Row::Pick),
    hint: "rename tools to letters, digits, `_`, `-` and `.` (at most 128 characters); hosts reject or rewrite other names",
    judge: Judge::Sweep(Section::Tools, name_format),
};

pub static SCHEMAS_VALID: CheckDef = CheckDef {
    id: "tools.list.schemas-valid",
    level: Level::Must,
    clause: "MCP server/tools §tool / basic §JSON Schema: inputSchema and outputSchema are valid JSON Schema (2020-12 unless $schema says otherwise)",
    applies: "the endpoint lists tools",
    row: Some(Row::Add),
    hint: "make every inputSchema and outputSchema a schema a validator accepts (check it with any JSON Schema 2020-12 validator)",
    judge: Judge::Sweep(Section::Tools, schemas_valid),
};

pub static CHECKS: &[&CheckDef] = &[
    &PAGINATION,
    &UNIQUE_NAMES,
    &CURSOR,
    &INPUT_SCHEMA,
    &ANNOTATIONS,
    &CAPABILITY,
    &NAME_FORMAT,
    &SCHEMAS_VALID,
];

fn name(tool: &Value) -> &str {
    tool["name"].as_str().unwrap_or("?")
}

fn pagination(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &PAGINATION;
    let listing = match seen(def, &ev.tools.listing) {
        Ok(l) => l,
        Err(v) => return vec![v],
    };
    let what = format!("tools/list over {} page(s)", listing.pages.max(1));
    let expected = "cursors that lead forward and end";
    let mut verdict = match &listing.end {
        ListingEnd::Complete => CheckResult::judge(
            def,
            true,
            what,
            expected,
            if listing.not_kept == 0 {
                format!("{} tools", listing.tools.len())
            } else {
                format!(
                    "{} tools (the checks judge the first {}: the harness keeps at most {} tools or {} MiB)",
                    listing.listed(),
                    listing.tools.len(),
                    crate::mcp_ops::MAX_KEPT_TOOLS,
                    crate::mcp_ops::MAX_KEPT_BYTES >> 20
                )
            },
        ),
        // A page the server answered with an error, after it issued the cursor: its own cursor.
        ListingEnd::Failed {
            page,
            failure: Failure::Rpc(_),
        } if *page > 1 => {
            CheckResult::fail(def, what, expected, listing.problem().unwrap_or_default())
        }
        ListingEnd::Failed { .. } => {
            CheckResult::not_testable(def, listing.problem().unwrap_or_default())
        }
        ListingEnd::CursorLoop(_) | ListingEnd::PageLimit(_) => {
            CheckResult::fail(def, what, expected, listing.problem().unwrap_or_default())
        }
    };
    if let Some(x) = &ev.tools.last_page {
        verdict = verdict.with_evidence([x]);
    }
    vec![verdict]
}

fn unique_names(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &UNIQUE_NAMES;
    let listing = match seen(def, &ev.tools.listing) {
        Ok(l) => l,
        Err(v) => return vec![v],
    };
    vec![CheckResult::judge(
        def,
        listing.repeated.is_empty(),
        format!("the names of {} listed tools", listing.listed()),
        "each tool listed once",
        if listing.repeated.is_empty() {
            "no name repeats".to_owned()
        } else {
            format!("listed more than once: {}", listing.repeats_named())
        },
    )]
}

/// Pass when the reply is a JSON-RPC error (with `code`, when the clause names one).
pub fn rpc_error_rule(
    def: &CheckDef,
    observed: &Observed<RpcExchange>,
    what: &str,
    code: Option<i64>,
    answered_with_result: &str,
) -> CheckResult {
    let x = match seen(def, observed) {
        Ok(x) => x,
        Err(v) => return v,
    };
    if let Some(v) = server_failed(def, &x.exchange, what) {
        return v;
    }
    let got = x.error_code();
    let ok = match code {
        Some(c) => got == Some(c),
        None => got.is_some(),
    };
    let expected = match code {
        Some(c) => format!("a JSON-RPC error {c}"),
        None => "a JSON-RPC error".to_owned(),
    };
    let actual = match (got, x.result()) {
        (Some(c), _) => format!("error {c}"),
        (None, Some(_)) => answered_with_result.to_owned(),
        _ => format!("HTTP {} without a JSON-RPC error", x.status()),
    };
    CheckResult::judge(def, ok, what, expected, actual).with_evidence([&x.exchange])
}

fn cursor_validated(ev: &SweepEvidence) -> Vec<CheckResult> {
    vec![rpc_error_rule(
        &CURSOR,
        &ev.tools.unknown_cursor,
        "tools/list with a cursor the server never issued",
        Some(-32602),
        "a page of tools",
    )]
}

/// The listed tools, or the verdict when there are none to judge.
fn tools<'a>(def: &CheckDef, ev: &'a SweepEvidence) -> Result<&'a [Value], CheckResult> {
    let listing = seen(def, &ev.tools.listing)?;
    if listing.tools.is_empty() {
        return Err(CheckResult::not_applicable(
            def,
            "the endpoint lists no tools",
        ));
    }
    Ok(&listing.tools)
}

fn input_schema_object(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &INPUT_SCHEMA;
    let tools = match tools(def, ev) {
        Ok(t) => t,
        Err(v) => return vec![v],
    };
    let bad: Vec<String> = tools
        .iter()
        .filter(|t| t["inputSchema"]["type"] != "object")
        .map(|t| format!("{} ({})", name(t), t["inputSchema"]["type"]))
        .collect();
    vec![CheckResult::judge(
        def,
        bad.is_empty(),
        format!("inputSchema of {} tools", tools.len()),
        "type \"object\" on every tool",
        if bad.is_empty() {
            "all objects".to_owned()
        } else {
            format!("not an object: {}", bad.join(", "))
        },
    )]
}

/// `tools.annotations.consistent` over a tool surface (`label` names it: "the endpoint", a connector).
pub fn annotations(label: &str, tools: &[Value]) -> CheckResult {
    let both: Vec<&str> = tools
        .iter()
        .filter(|t| {
            t["annotations"]["readOnlyHint"] == true && t["annotations"]["destructiveHint"] == true
        })
        .map(name)
        .collect();
    CheckResult::judge(
        &ANNOTATIONS,
        both.is_empty(),
        format!("annotations of {} tools of {label}", tools.len()),
        "no tool both readOnlyHint and destructiveHint",
        if both.is_empty() {
            "consistent".to_owned()
        } else {
            format!("read-only and destructive at once: {}", both.join(", "))
        },
    )
}

fn annotations_consistent(ev: &SweepEvidence) -> Vec<CheckResult> {
    match tools(&ANNOTATIONS, ev) {
        Ok(t) => vec![annotations("the endpoint", t)],
        Err(v) => vec![v],
    }
}

fn capability_declared(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &CAPABILITY;
    if let Err(v) = tools(def, ev) {
        return vec![v];
    }
    // A server of 2026-07-28 only announces its capabilities in server/discover.
    let discovered = ev
        .modern
        .discover
        .seen()
        .and_then(crate::evidence::RpcExchange::result)
        .map(|r| r["capabilities"].clone())
        .filter(Value::is_object);
    let Some(capabilities) = ev.transport.capabilities().cloned().or(discovered) else {
        return vec![CheckResult::not_testable(
            def,
            "no initialize or server/discover result to read capabilities from",
        )];
    };
    vec![CheckResult::judge(
        def,
        capabilities["tools"].is_object(),
        "the announced capabilities (initialize, or server/discover), for a server that lists tools",
        "a `tools` capability",
        capabilities.to_string(),
    )]
}

fn name_format(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &NAME_FORMAT;
    let tools = match tools(def, ev) {
        Ok(t) => t,
        Err(v) => return vec![v],
    };
    let fits = |n: &str| {
        (1..=128).contains(&n.len())
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    };
    let bad: Vec<String> = tools
        .iter()
        .map(name)
        .filter(|n| !fits(n))
        .map(|n| format!("{:?}", truncate(n, 40)))
        .collect();
    vec![CheckResult::judge(
        def,
        bad.is_empty(),
        format!("the names of {} tools", tools.len()),
        "[A-Za-z0-9_.-], 1 to 128 characters",
        if bad.is_empty() {
            "all fit".to_owned()
        } else {
            format!("do not fit: {}", bad.join(", "))
        },
    )]
}

fn schemas_valid(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &SCHEMAS_VALID;
    let tools = match tools(def, ev) {
        Ok(t) => t,
        Err(v) => return vec![v],
    };
    let mut bad = Vec::new();
    for tool in tools {
        for key in ["inputSchema", "outputSchema"] {
            let schema = &tool[key];
            if schema.is_null() {
                continue;
            }
            if let Err(e) = jsonschema::validator_for(schema) {
                bad.push(format!(
                    "{}'s {key}: {}",
                    name(tool),
                    truncate(&e.to_string(), 100)
                ));
            }
        }
    }
    vec![CheckResult::judge(
        def,
        bad.is_empty(),
        format!("the schemas of {} tools", tools.len()),
        "every inputSchema and outputSchema compiles",
        if bad.is_empty() {
            "all compile".to_owned()
        } else {
            bad.join("; ")
        },
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::reply;
    use crate::checks::Status;
    use crate::mcp_ops::ToolListing;
    use serde_json::json;

    fn listing(tools: Vec<Value>, end: ListingEnd) -> SweepEvidence {
        let mut ev = SweepEvidence::default();
        ev.tools.listing = Observed::Seen(ToolListing {
            tools,
            pages: 2,
            repeated: Vec::new(),
            repeats: 0,
            not_kept: 0,
            end,
        });
        ev
    }

    #[test]
    fn a_listing_that_ends_passes_and_one_that_loops_or_never_ends_fails() {
        let ev = listing(vec![json!({"name": "a"})], ListingEnd::Complete);
        assert_eq!(pagination(&ev)[0].status, Status::Pass);
        let ev = listing(vec![], ListingEnd::CursorLoop("c".into()));
        assert_eq!(pagination(&ev)[0].status, Status::Fail);
        let ev = listing(vec![], ListingEnd::PageLimit(100));
        assert_eq!(pagination(&ev)[0].status, Status::Fail);
        let ev = listing(
            vec![],
            ListingEnd::Failed {
                page: 1,
                failure: Failure::NoAnswer("timeout".into()),
            },
        );
        assert_eq!(pagination(&ev)[0].status, Status::NotTestable);
        let ev = listing(
            vec![],
            ListingEnd::Failed {
                page: 2,
                failure: Failure::Rpc(json!({"code": -32602})),
            },
        );
        assert_eq!(
            pagination(&ev)[0].status,
            Status::Fail,
            "its own cursor was refused"
        );
    }

    #[test]
    fn a_repeated_name_is_a_warning() {
        let mut ev = listing(vec![json!({"name": "a"})], ListingEnd::Complete);
        assert_eq!(unique_names(&ev)[0].status, Status::Pass);
        if let Observed::Seen(l) = &mut ev.tools.listing {
            l.repeated.push("a".into());
        }
        assert_eq!(unique_names(&ev)[0].status, Status::Warn);
    }

    #[test]
    fn error_codes_are_compared_where_the_clause_names_one() {
        let mut ev = SweepEvidence::default();
        let err = |code: i64| {
            Observed::Seen(reply(
                200,
                json!({"jsonrpc": "2.0", "id": 3, "error": {"code": code, "message": "x"}}),
            ))
        };
        ev.tools.unknown_cursor = err(-32602);
        assert_eq!(cursor_validated(&ev)[0].status, Status::Pass);
        ev.tools.unknown_cursor = err(-32603);
        assert_eq!(cursor_validated(&ev)[0].status, Status::Warn);
        ev.tools.unknown_cursor = Observed::Seen(reply(
            200,
            json!({"jsonrpc": "2.0", "id": 3, "result": {"tools": []}}),
        ));
        assert_eq!(cursor_validated(&ev)[0].status, Status::Warn);
    }

    #[test]
    fn tools_need_their_capability_a_fitting_name_and_schemas_that_compile() {
        let mut ev = listing(
            vec![
                json!({"name": "search products", "inputSchema": {"type": "object", "properties": {"q": {"type": "nonsense"}}}}),
            ],
            ListingEnd::Complete,
        );
        ev.transport.initialize = Observed::Seen(reply(
            200,
            json!({"jsonrpc": "2.0", "id": 1, "result": {"capabilities": {"tools": {}}}}),
        ));
        assert_eq!(capability_declared(&ev)[0].status, Status::Pass);
        assert_eq!(name_format(&ev)[0].status, Status::Warn);
        assert_eq!(schemas_valid(&ev)[0].status, Status::Fail);
        ev.transport.initialize = Observed::Seen(reply(
            200,
            json!({"jsonrpc": "2.0", "id": 1, "result": {"capabilities": {}}}),
        ));
        assert_eq!(capability_declared(&ev)[0].status, Status::Fail);
    }

    #[test]
    fn schemas_and_annotations_are_judged_over_every_tool() {
        let ev = listing(
            vec![
                json!({"name": "a", "inputSchema": {"type": "object"}, "annotations": {"readOnlyHint": true}}),
                json!({"name": "b", "inputSchema": {"type": "string"}, "annotations": {"readOnlyHint": true, "destructiveHint": true}}),
            ],
            ListingEnd::Complete,
        );
        let schema = &input_schema_object(&ev)[0];
        assert_eq!(schema.status, Status::Fail);
        assert!(schema.actual.as_deref().unwrap().contains("b"));
        assert_eq!(annotations_consistent(&ev)[0].status, Status::Warn);
        let empty = listing(vec![], ListingEnd::Complete);
        assert_eq!(input_schema_object(&empty)[0].status, Status::NotApplicable);
    }
}
