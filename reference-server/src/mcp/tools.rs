//! Running a tool: validate the arguments against its inputSchema (JSON Schema 2020-12), then play its
//! fixture-defined behaviour and build the `CallToolResult`. Deterministic, so checks can predict it.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::domain::world::Tool;
use crate::fault::{Fault, FaultSet};
use crate::fixture::BehaviourKind;

/// Everything a call needs, copied out of the world so no lock is held while the tool "runs".
#[derive(Debug, Clone)]
pub struct Invocation {
    pub tool: Tool,
    pub arguments: Map<String, Value>,
    pub data: BTreeMap<String, Vec<Value>>,
    pub protocol_version: String,
    pub faults: FaultSet,
}

/// Runs the tool to completion (including its simulated duration) and returns the `CallToolResult`.
pub async fn run(invocation: Invocation) -> Value {
    if let Err(message) = validate_arguments(&invocation) {
        // MCP 2025-11-25 (SEP-1303): input validation failures are tool-execution errors.
        return error_result(&message);
    }
    let behaviour = &invocation.tool.behaviour;
    if behaviour.duration_ms > 0 {
        tokio::time::sleep(Duration::from_millis(behaviour.duration_ms)).await;
    }
    if behaviour.fail {
        let text = behaviour
            .error_text
            .clone()
            .unwrap_or_else(|| format!("{} failed", invocation.tool.name));
        return error_result(&text);
    }
    match outcome(&invocation) {
        Ok((text, structured)) => match check_output(&invocation, structured.as_ref()) {
            Ok(()) => success_result(&invocation, text, structured),
            Err(message) => error_result(&message),
        },
        Err(message) => error_result(&message),
    }
}

/// MCP §4.2: with an outputSchema the server MUST return conforming structuredContent.
fn check_output(invocation: &Invocation, structured: Option<&Value>) -> Result<(), String> {
    let Some(schema) = &invocation.tool.output_schema else {
        return Ok(());
    };
    let name = &invocation.tool.name;
    let structured = structured.ok_or_else(|| {
        format!("{name} declares an outputSchema but produced no structured content")
    })?;
    let validator = jsonschema::validator_for(schema)
        .map_err(|e| format!("the outputSchema of {name} is not a valid JSON Schema: {e}"))?;
    let first = validator
        .iter_errors(structured)
        .next()
        .map(|e| e.to_string());
    match first {
        None => Ok(()),
        Some(e) => Err(format!(
            "{name} produced output that does not match its outputSchema: {e}"
        )),
    }
}

fn validate_arguments(invocation: &Invocation) -> Result<(), String> {
    if invocation.faults.has(Fault::InputNotValidated) {
        return Ok(());
    }
    let schema = &invocation.tool.input_schema;
    let validator = jsonschema::validator_for(schema).map_err(|e| {
        format!(
            "the inputSchema of {} is not a valid JSON Schema: {e}",
            invocation.tool.name
        )
    })?;
    let instance = Value::Object(invocation.arguments.clone());
    let problems: Vec<String> = validator
        .iter_errors(&instance)
        .take(5)
        .map(|e| {
            let path = e.instance_path().to_string();
            if path.is_empty() {
                e.to_string()
            } else {
                format!("{path}: {e}")
            }
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "Invalid arguments for tool {}: {}",
            invocation.tool.name,
            problems.join("; ")
        ))
    }
}

/// The human text and the structured content of a successful call.
fn outcome(invocation: &Invocation) -> Result<(String, Option<Value>), String> {
    let behaviour = &invocation.tool.behaviour;
    let args = &invocation.arguments;
    let dataset = |name: &Option<String>| -> &[Value] {
        name.as_ref()
            .and_then(|n| invocation.data.get(n))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    };
    match behaviour.kind {
        BehaviourKind::Template => {
            let text = fill_text(behaviour.text.as_deref().unwrap_or(""), args);
            let structured = behaviour.structured.as_ref().map(|s| fill_value(s, args));
            Ok((text, structured))
        }
        BehaviourKind::Search => {
            let query_arg = behaviour.query_arg.as_deref().unwrap_or("query");
            let query = args
                .get(query_arg)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_lowercase();
            let limit = behaviour
                .limit_arg
                .as_ref()
                .and_then(|a| args.get(a))
                .and_then(Value::as_u64)
                .unwrap_or(10) as usize;
            let words: Vec<&str> = query.split_whitespace().collect();
            let results: Vec<Value> = dataset(&behaviour.dataset)
                .iter()
                .filter(|record| {
                    let haystack = behaviour
                        .fields
                        .iter()
                        .filter_map(|f| record.get(f).and_then(Value::as_str))
                        .collect::<Vec<_>>()
                        .join(" ")
                        .to_lowercase();
                    words.iter().any(|w| haystack.contains(w))
                })
                .take(limit)
                .cloned()
                .collect();
            let count = results.len();
            let structured = json!({ "count": count, "results": results });
            // `{count}` is the number of matches, besides the call's arguments.
            let text = match behaviour.text.as_deref() {
                Some(t) => {
                    let mut vars = args.clone();
                    vars.insert("count".into(), json!(count));
                    fill_text(t, &vars)
                }
                None => format!("Found {count} product(s) for {query:?}."),
            };
            Ok((text, Some(structured)))
        }
        BehaviourKind::Lookup => {
            let key_field = behaviour.key_field.as_deref().unwrap_or("id");
            let key_arg = behaviour.key_arg.as_deref().unwrap_or("id");
            let wanted = args.get(key_arg).cloned().unwrap_or(Value::Null);
            let record = dataset(&behaviour.dataset)
                .iter()
                .find(|r| r.get(key_field) == Some(&wanted))
                .ok_or_else(|| format!("No record with {key_field} = {wanted}"))?;
            let mut vars = args.clone();
            if let Some(fields) = record.as_object() {
                vars.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            let text = fill_text(behaviour.text.as_deref().unwrap_or("{name}"), &vars);
            Ok((text, Some(record.clone())))
        }
    }
}

fn success_result(invocation: &Invocation, text: String, structured: Option<Value>) -> Value {
    let mut content = vec![json!({ "type": "text", "text": text })];
    let structured_supported = invocation.protocol_version.as_str() >= "2025-06-18";
    let mut result = Map::new();
    if let Some(mut structured) = structured {
        if invocation.faults.has(Fault::OutputSchemaViolated) {
            if let (Some(obj), Some(required)) = (
                structured.as_object_mut(),
                invocation
                    .tool
                    .output_schema
                    .as_ref()
                    .and_then(|s| s.get("required"))
                    .and_then(Value::as_array),
            ) {
                for field in required.iter().filter_map(Value::as_str) {
                    obj.remove(field);
                }
            }
        }
        // MCP §4.4: a tool returning structuredContent SHOULD also return it serialized as text.
        if !invocation.faults.has(Fault::TextMirrorMissing) || !structured_supported {
            content.push(json!({ "type": "text", "text": structured.to_string() }));
        }
        if structured_supported {
            result.insert("structuredContent".into(), structured);
        }
    }
    if invocation.faults.has(Fault::UiContentEmpty) && has_ui(&invocation.tool) {
        // The fault: "the widget shows it", so the model is given nothing to read.
        content.clear();
    }
    result.insert("content".into(), Value::Array(content));
    result.insert("isError".into(), Value::Bool(false));
    Value::Object(result)
}

/// Whether the tool renders a UI (MCP Apps `_meta.ui.resourceUri` or the Apps SDK's output template).
fn has_ui(tool: &Tool) -> bool {
    tool.meta.as_ref().is_some_and(|m| {
        m["ui"]["resourceUri"].is_string()
            || m["ui/resourceUri"].is_string()
            || m["openai/outputTemplate"].is_string()
    })
}

pub fn error_result(message: &str) -> Value {
    json!({ "content": [{ "type": "text", "text": message }], "isError": true })
}

/// Replaces `{name}` with the argument's value (strings unquoted).
fn fill_text(template: &str, vars: &Map<String, Value>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) if vars.contains_key(&after[..end]) => {
                match &vars[&after[..end]] {
                    Value::String(s) => out.push_str(s),
                    other => out.push_str(&other.to_string()),
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Fills templates inside a JSON value; a string that is exactly `{name}` takes the argument's value and
/// type (so `"{quantity}"` stays a number).
fn fill_value(template: &Value, vars: &Map<String, Value>) -> Value {
    match template {
        Value::String(s) => {
            if let Some(name) = s.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
                if let Some(v) = vars.get(name) {
                    return v.clone();
                }
            }
            Value::String(fill_text(s, vars))
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| fill_value(v, vars)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), fill_value(v, vars)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_keep_argument_types() {
        let vars: Map<String, Value> =
            serde_json::from_value(json!({"sku": "TEA-001", "quantity": 2})).unwrap();
        assert_eq!(
            fill_value(
                &json!({"q": "{quantity}", "id": "ORD-{sku}-{quantity}"}),
                &vars
            ),
            json!({"q": 2, "id": "ORD-TEA-001-2"})
        );
        assert_eq!(fill_text("{missing} {sku}", &vars), "{missing} TEA-001");
    }
}
