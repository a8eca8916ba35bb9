//! Calling tools (MCP 2025-11-25 server/tools): unknown tools, input validation, structured results
//! and their text mirror and output schema, on the calls the sweep made.

use serde_json::Value;

use super::catalogue::{CheckDef, Judge, Level, Section};
use super::tools::rpc_error_rule;
use super::verdict::{seen, server_failed, truncate, CheckResult};
use crate::evidence::sweep::ToolCallRecord;
use crate::evidence::{Observed, RpcExchange, SweepEvidence};
use crate::guide::Row;

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
    &UNKNOWN_TOOL,
    &INPUT_VALIDATED,
    &TEXT_MIRROR,
    &OUTPUT_SCHEMA,
];

fn unknown_tool(ev: &SweepEvidence) -> Vec<CheckResult> {
    vec![rpc_error_rule(
        &UNKNOWN_TOOL,
        &ev.tools.unknown_tool,
        "tools/call of a tool that does not exist",
        None,
        "a tool result",
    )]
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
    use serde_json::json;

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
    fn an_unknown_tool_should_be_a_protocol_error() {
        let mut ev = SweepEvidence::default();
        ev.tools.unknown_tool = Observed::Seen(reply(
            200,
            json!({"jsonrpc": "2.0", "id": 3, "error": {"code": -32601, "message": "x"}}),
        ));
        assert_eq!(
            unknown_tool(&ev)[0].status,
            Status::Pass,
            "any protocol error"
        );
        ev.tools.unknown_tool = Observed::Seen(reply(
            200,
            json!({"jsonrpc": "2.0", "id": 3, "result": {"isError": true, "content": []}}),
        ));
        assert_eq!(unknown_tool(&ev)[0].status, Status::Warn, "a SHOULD");
        ev.tools.unknown_tool = Observed::Seen(reply(500, json!({})));
        assert_eq!(unknown_tool(&ev)[0].status, Status::NotTestable);
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
