//! Tools: listing and pagination, schemas, annotations, calls (MCP 2025-11-25 server/tools,
//! server/utilities/pagination).

use serde_json::Value;

use super::catalogue::{CheckDef, Judge, Level, Section};
use super::verdict::{seen, server_failed, truncate, CheckResult};
use crate::evidence::sweep::ToolCallRecord;
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

pub static UNKNOWN_TOOL: CheckDef = CheckDef {
    id: "tools.call.unknown-tool",
    level: Level::Should,
    clause: "MCP server/tools §error handling: unknown tools are listed among protocol errors (the spec's example: -32602), not tool results; the section has no MUST, and the official SDKs answer with an isError result",
    applies: "always",
    row: None,
    hint: "answer calls to unknown tools with JSON-RPC -32602",
    judge: Judge::Sweep(Section::Tools, unknown_tool),
};

pub static INPUT_VALIDATED: CheckDef = CheckDef {
    id: "tools.call.input-validated",
    level: Level::Must,
    clause: "MCP server/tools §security: servers MUST validate all tool inputs; invalid input is an error (isError, or -32602)",
    applies: "a tool the run may call has required arguments",
    row: Some(Row::ToolsFail),
    hint: "validate arguments against the tool's inputSchema and answer an `isError` result (or -32602) that says what is wrong",
    judge: Judge::Sweep(Section::Tools, input_validated),
};

pub static TEXT_MIRROR: CheckDef = CheckDef {
    id: "tools.call.text-mirror",
    level: Level::Should,
    clause: "MCP server/tools §structured content: a tool returning structuredContent SHOULD also return it serialized in a text block",
    applies: "a tool the run may call returns structuredContent",
    row: Some(Row::Ui),
    hint: "add a text content block with the serialized structuredContent for hosts that read only `content`",
    judge: Judge::Sweep(Section::Tools, text_mirror),
};

pub static OUTPUT_SCHEMA: CheckDef = CheckDef {
    id: "tools.call.output-schema",
    level: Level::Must,
    clause: "MCP server/tools §output schema: servers MUST provide structured results that conform to the tool's outputSchema",
    applies: "a tool the run may call declares an outputSchema",
    row: Some(Row::ToolsFail),
    hint: "make structuredContent match the outputSchema the tool advertises",
    judge: Judge::Sweep(Section::Tools, output_schema),
};

pub static CHECKS: &[&CheckDef] = &[
    &PAGINATION,
    &UNIQUE_NAMES,
    &CURSOR,
    &INPUT_SCHEMA,
    &ANNOTATIONS,
    &UNKNOWN_TOOL,
    &INPUT_VALIDATED,
    &TEXT_MIRROR,
    &OUTPUT_SCHEMA,
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
            format!("{} tools", listing.tools.len()),
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
        format!("the names of {} listed tools", listing.tools.len()),
        "each tool listed once",
        if listing.repeated.is_empty() {
            "no name repeats".to_owned()
        } else {
            format!("listed more than once: {}", listing.repeated.join(", "))
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

fn unknown_tool(ev: &SweepEvidence) -> Vec<CheckResult> {
    vec![rpc_error_rule(
        &UNKNOWN_TOOL,
        &ev.tools.unknown_tool,
        "tools/call of a tool that does not exist",
        None,
        "a tool result",
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

fn input_validated(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &INPUT_VALIDATED;
    let record = match seen(def, &ev.tools.missing_arguments) {
        Ok(r) => r,
        Err(v) => return vec![v],
    };
    let what = format!("{} called without its required arguments", record.name());
    let x = match seen(def, &record.reply) {
        Ok(x) => x,
        Err(v) => return vec![v],
    };
    if let Some(v) = server_failed(def, &x.exchange, &what) {
        return vec![v];
    }
    let refused = x.error().is_some() || x.result().is_some_and(|r| r["isError"] == true);
    vec![CheckResult::judge(
        def,
        refused,
        what,
        "an isError result or a -32602 error",
        if refused {
            x.describe()
        } else {
            "the tool ran and returned a normal result".to_owned()
        },
    )
    .with_evidence([&x.exchange])]
}

/// The calls that returned a normal (not isError) result, with it.
type Usable<'a> = (&'a ToolCallRecord, &'a RpcExchange, &'a Value);

fn results(
    calls: &[ToolCallRecord],
    wanted: impl Fn(&ToolCallRecord) -> bool,
) -> (Vec<Usable<'_>>, Vec<String>) {
    let mut usable = Vec::new();
    let mut unusable = Vec::new();
    for call in calls.iter().filter(|c| wanted(c)) {
        match &call.reply {
            Observed::Seen(x) => match x.result().filter(|r| r["isError"] != true) {
                Some(result) => usable.push((call, x, result)),
                None => unusable.push(format!("{}: {}", call.name(), x.describe())),
            },
            Observed::Missing(gap) => unusable.push(format!("{}: {gap:?}", call.name())),
        }
    }
    (usable, unusable)
}

/// Verdicts for every usable call, or one verdict saying why there is none.
fn per_call(
    def: &CheckDef,
    ev: &SweepEvidence,
    wanted: impl Fn(&ToolCallRecord) -> bool,
    none_wanted: &str,
    judge: impl Fn(&ToolCallRecord, &RpcExchange, &Value) -> Option<CheckResult>,
) -> Vec<CheckResult> {
    let calls = match seen(def, &ev.tools.calls) {
        Ok(c) => c,
        Err(v) => return vec![v],
    };
    let (usable, unusable) = results(calls, &wanted);
    let answered = !usable.is_empty();
    let verdicts: Vec<CheckResult> = usable
        .into_iter()
        .filter_map(|(call, x, result)| judge(call, x, result))
        .collect();
    if !verdicts.is_empty() {
        return verdicts;
    }
    if answered || unusable.is_empty() {
        vec![CheckResult::not_applicable(def, none_wanted)]
    } else {
        vec![CheckResult::not_testable(
            def,
            format!("no call returned a result: {}", unusable.join("; ")),
        )]
    }
}

fn text_mirror(ev: &SweepEvidence) -> Vec<CheckResult> {
    per_call(
        &TEXT_MIRROR,
        ev,
        |_| true,
        "no tool the run may call returned structuredContent",
        |call, x, result| {
            let structured = result.get("structuredContent")?;
            let mirrored = result["content"].as_array().into_iter().flatten().any(|c| {
                c["type"] == "text"
                    && c["text"]
                        .as_str()
                        .and_then(|t| serde_json::from_str::<Value>(t).ok())
                        .as_ref()
                        == Some(structured)
            });
            Some(
                CheckResult::judge(
                    &TEXT_MIRROR,
                    mirrored,
                    format!("{}'s result content", call.name()),
                    "a text block with the serialized structuredContent",
                    if mirrored {
                        "present".to_owned()
                    } else {
                        format!("content {}", truncate(&result["content"].to_string(), 200))
                    },
                )
                .with_evidence([&x.exchange]),
            )
        },
    )
}

/// Why `instance` does not conform to `schema` (at most three reasons), or `Ok`.
pub fn conforms(schema: &Value, instance: &Value) -> Result<(), String> {
    let validator = jsonschema::validator_for(schema)
        .map_err(|e| format!("the outputSchema itself is invalid: {e}"))?;
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| e.to_string())
        .take(3)
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

fn output_schema(ev: &SweepEvidence) -> Vec<CheckResult> {
    per_call(
        &OUTPUT_SCHEMA,
        ev,
        |call| call.tool["outputSchema"].is_object(),
        "no tool the run may call declares an outputSchema",
        |call, x, result| {
            let structured = result.get("structuredContent").unwrap_or(&Value::Null);
            let verdict = conforms(&call.tool["outputSchema"], structured);
            Some(
                CheckResult::judge(
                    &OUTPUT_SCHEMA,
                    verdict.is_ok(),
                    format!(
                        "{}'s structuredContent against its outputSchema",
                        call.name()
                    ),
                    "valid",
                    verdict.err().unwrap_or_else(|| "valid".into()),
                )
                .with_evidence([&x.exchange]),
            )
        },
    )
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
        ev.tools.unknown_tool = err(-32601);
        assert_eq!(
            unknown_tool(&ev)[0].status,
            Status::Pass,
            "any protocol error"
        );
        ev.tools.unknown_tool = Observed::Seen(reply(500, json!({})));
        assert_eq!(unknown_tool(&ev)[0].status, Status::NotTestable);
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

    fn call(tool: Value, result: Value) -> ToolCallRecord {
        ToolCallRecord {
            tool,
            arguments: json!({}),
            reply: Observed::Seen(reply(
                200,
                json!({"jsonrpc": "2.0", "id": 5, "result": result}),
            )),
        }
    }

    #[test]
    fn missing_arguments_must_be_refused() {
        let mut ev = SweepEvidence::default();
        ev.tools.missing_arguments = Observed::Seen(call(
            json!({"name": "t"}),
            json!({"isError": true, "content": []}),
        ));
        assert_eq!(input_validated(&ev)[0].status, Status::Pass);
        ev.tools.missing_arguments =
            Observed::Seen(call(json!({"name": "t"}), json!({"content": []})));
        assert_eq!(input_validated(&ev)[0].status, Status::Fail);
        ev.tools.missing_arguments =
            Observed::not_applicable("no callable tool has required arguments");
        assert_eq!(input_validated(&ev)[0].status, Status::NotApplicable);
    }

    #[test]
    fn structured_results_are_mirrored_and_match_their_schema() {
        let tool = json!({"name": "t", "outputSchema": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}});
        let good = json!({"content": [{"type": "text", "text": "{\"n\":1}"}], "structuredContent": {"n": 1}});
        let bad = json!({"content": [], "structuredContent": {"n": "one"}});
        let mut ev = SweepEvidence::default();
        ev.tools.calls = Observed::Seen(vec![call(tool.clone(), good)]);
        assert_eq!(text_mirror(&ev)[0].status, Status::Pass);
        assert_eq!(output_schema(&ev)[0].status, Status::Pass);
        ev.tools.calls = Observed::Seen(vec![call(tool.clone(), bad)]);
        assert_eq!(text_mirror(&ev)[0].status, Status::Warn);
        assert_eq!(output_schema(&ev)[0].status, Status::Fail);
        ev.tools.calls =
            Observed::Seen(vec![call(json!({"name": "plain"}), json!({"content": []}))]);
        assert_eq!(output_schema(&ev)[0].status, Status::NotApplicable);
        assert_eq!(text_mirror(&ev)[0].status, Status::NotApplicable);
        ev.tools.calls = Observed::Seen(vec![call(tool, json!({"isError": true, "content": []}))]);
        assert_eq!(output_schema(&ev)[0].status, Status::NotTestable);
    }
}
