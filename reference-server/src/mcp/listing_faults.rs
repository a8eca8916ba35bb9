//! The faults that change how tools are listed. Each picks its tool by what the tool declares (its
//! annotations, task support, schemas, `_meta`), never by its name, so it acts in any world; in the
//! default world every one acts on the tool it always did.
//!
//! Input: the tools an endpoint lists now, in order, and the server's faults. Output: the same tools
//! with the active faults' bugs applied. The targets are chosen before anything is changed, so one
//! fault's change never moves another's target.

use serde_json::{json, Value};

use crate::domain::world::Tool;
use crate::fault::{Fault, FaultSet};
use crate::fixture::TaskSupport;

/// Whether `annotations.<hint>` is `true`.
fn declares(tool: &Tool, hint: &str) -> bool {
    tool.annotations
        .as_ref()
        .is_some_and(|a| a[hint] == Value::Bool(true))
}

/// The first argument the tool requires whose schema type is `string`.
pub fn first_required_string_argument(tool: &Tool) -> Option<String> {
    let schema = &tool.input_schema;
    schema["required"]
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .find(|name| schema["properties"][*name]["type"] == "string")
        .map(String::from)
}

/// Whether the tool points at an MCP Apps UI (`_meta.ui.resourceUri`).
pub fn has_mcp_apps_ui(tool: &Tool) -> bool {
    tool.meta
        .as_ref()
        .is_some_and(|m| m["ui"]["resourceUri"].is_string())
}

/// Whether the tool looks like a search: read-only, with an outputSchema and a required string argument.
fn is_search_like(tool: &Tool) -> bool {
    declares(tool, "readOnlyHint")
        && tool.output_schema.is_some()
        && first_required_string_argument(tool).is_some()
}

/// The tools each fault acts on, as indexes into the listing.
#[derive(Debug, Default)]
struct Targets {
    /// The first tool declaring `destructiveHint: true`.
    destructive: Option<usize>,
    /// The first tool declaring `openWorldHint: true`.
    open_world: Option<usize>,
    /// The first tool with `taskSupport: "optional"`.
    task_optional: Option<usize>,
    /// The first read-only tool with an outputSchema and a required string argument (not the UI tool).
    search_like: Option<usize>,
    /// The first tool with `_meta.ui.resourceUri`.
    ui: Option<usize>,
}

impl Targets {
    fn of(tools: &[Tool]) -> Targets {
        let first = |pick: &dyn Fn(&Tool) -> bool| tools.iter().position(pick);
        let ui = first(&has_mcp_apps_ui);
        Targets {
            destructive: first(&|t| declares(t, "destructiveHint")),
            open_world: first(&|t| declares(t, "openWorldHint")),
            task_optional: first(&|t| t.task_support == Some(TaskSupport::Optional)),
            search_like: tools
                .iter()
                .enumerate()
                .position(|(i, t)| Some(i) != ui && is_search_like(t)),
            ui,
        }
    }
}

/// A description that nearly repeats `other`: its words without the brackets, plus three more.
pub fn overlapping_description(other: &str) -> String {
    let words = other.replace(['(', ')'], "");
    format!("{} Shown in a view.", words.trim())
}

/// A one-word description: the last word of the tool's name, capitalised (`check_shipping` → "Shipping.").
fn one_word_description(name: &str) -> String {
    let last = name
        .rsplit(['_', '-', ' '])
        .find(|w| !w.is_empty())
        .unwrap_or(name);
    let mut chars = last.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => ".".to_owned(),
    }
}

/// A name with a space and a slash (`export_catalog` → `export catalog/all`): not a valid tool name.
fn invalid_name(name: &str) -> String {
    format!("{}/all", name.replace('_', " "))
}

/// Applies the active listing faults to `tools` (one endpoint's listing, in order).
pub fn apply(faults: &FaultSet, tools: &mut [Tool]) {
    let targets = Targets::of(tools);
    let search_description = targets
        .search_like
        .and_then(|i| tools[i].description.clone());
    if let Some(tool) = targets.destructive.map(|i| &mut tools[i]) {
        if faults.has(Fault::WrongAnnotations) {
            let annotations = tool.annotations.get_or_insert_with(|| json!({}));
            annotations["readOnlyHint"] = json!(true);
            annotations["destructiveHint"] = json!(false);
        }
    }
    for tool in tools.iter_mut() {
        if faults.has(Fault::AbsentHintsDefaulted) {
            // A "helpful" default: MCP's default for an absent readOnlyHint is false, not true.
            let annotations = tool.annotations.get_or_insert_with(|| json!({}));
            if let Some(a) = annotations.as_object_mut() {
                a.entry("readOnlyHint").or_insert(json!(true));
            }
        }
        if faults.has(Fault::UiSkybridgeOnly) {
            let meta = tool.meta.as_mut().and_then(Value::as_object_mut);
            if let Some(meta) = meta.filter(|m| m.contains_key("openai/outputTemplate")) {
                meta.remove("ui");
                meta.remove("ui/resourceUri");
            }
        }
    }
    if let (Some(tool), Some(other)) = (targets.ui.map(|i| &mut tools[i]), search_description) {
        if faults.has(Fault::DescriptionsOverlap) {
            tool.description = Some(overlapping_description(&other));
        }
    }
    if let Some(tool) = targets.open_world.map(|i| &mut tools[i]) {
        if faults.has(Fault::DescriptionTooShort) {
            tool.description = Some(one_word_description(&tool.name));
        } else if faults.has(Fault::OpenWorldHintWrong) {
            tool.annotations.get_or_insert_with(|| json!({}))["openWorldHint"] = json!(false);
        }
    }
    if let Some(tool) = targets.task_optional.map(|i| &mut tools[i]) {
        if faults.has(Fault::ContradictoryAnnotations) {
            let annotations = tool.annotations.get_or_insert_with(|| json!({}));
            annotations["readOnlyHint"] = json!(true);
            annotations["destructiveHint"] = json!(true);
        } else if faults.has(Fault::ToolNameInvalid) {
            tool.name = invalid_name(&tool.name);
        }
    }
    if let Some(tool) = targets.search_like.map(|i| &mut tools[i]) {
        if faults.has(Fault::InputSchemaNotObject) {
            if let Some(schema) = tool.input_schema.as_object_mut() {
                schema.remove("type");
            }
        } else if faults.has(Fault::SchemaInvalid) {
            if let Some(argument) = first_required_string_argument(tool) {
                tool.input_schema["properties"][argument.as_str()]["type"] = json!("strng");
            }
        } else if faults.has(Fault::HugeResponse) {
            tool.description = Some("x".repeat(5 << 20));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_derived_texts_keep_the_default_worlds_wording() {
        assert_eq!(one_word_description("check_shipping"), "Shipping.");
        assert_eq!(invalid_name("export_catalog"), "export catalog/all");
        assert_eq!(
            overlapping_description("Find books (by title) and return them."),
            "Find books by title and return them. Shown in a view."
        );
    }
}
