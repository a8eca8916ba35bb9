//! Tools a scenario names: by name, or by what they declare (`{ task = "required" }`), chosen per
//! target from its live `tools/list` (the target file's `[tools]` can state what a tool must declare).

use serde::Deserialize;
use serde_json::Value;

/// A tool's execution.taskSupport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskSupport {
    Required,
    Optional,
    Forbidden,
}

/// A tool chosen by what it declares, from the target's live `tools/list`: the first listed tool
/// that matches every field given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolSelector {
    /// Declares `readOnlyHint: true` (or, with false, does not).
    pub read_only: Option<bool>,
    /// Declares `destructiveHint: true` (or, with false, does not).
    pub destructive: Option<bool>,
    /// Declares `openWorldHint: true` (or, with false, does not).
    pub open_world: Option<bool>,
    /// Its `execution.taskSupport` (absent counts as forbidden).
    pub task: Option<TaskSupport>,
    /// Has a UI (`_meta.ui.resourceUri` or `openai/outputTemplate`), or has none.
    pub ui: Option<bool>,
    /// Listed on the draft endpoint and not on production.
    pub draft_only: Option<bool>,
}

impl ToolSelector {
    /// Whether a listed tool matches what the selector says of its declarations (`draft_only` is
    /// for the resolver, which sees both environments).
    pub fn matches(&self, tool: &Value) -> bool {
        self.matches_stated(tool, None)
    }

    /// The same, where `stated` (a target file's `[tools]` entry for this tool) overrides what the
    /// server declares, field by field.
    pub fn matches_stated(&self, tool: &Value, stated: Option<&ToolSelector>) -> bool {
        let hint = |name: &str| tool["annotations"][name].as_bool() == Some(true);
        let over = |field: fn(&ToolSelector) -> Option<bool>, live: bool| {
            stated.and_then(field).unwrap_or(live)
        };
        let declared = |want: Option<bool>, have: bool| want.is_none_or(|w| w == have);
        let live_task = match tool["execution"]["taskSupport"].as_str() {
            Some("required") => TaskSupport::Required,
            Some("optional") => TaskSupport::Optional,
            _ => TaskSupport::Forbidden,
        };
        let task = stated.and_then(|s| s.task).unwrap_or(live_task);
        let has_ui = over(|s| s.ui, !crate::ui::ui_links(tool).is_empty());
        declared(self.read_only, over(|s| s.read_only, hint("readOnlyHint")))
            && declared(
                self.destructive,
                over(|s| s.destructive, hint("destructiveHint")),
            )
            && declared(
                self.open_world,
                over(|s| s.open_world, hint("openWorldHint")),
            )
            && self.task.is_none_or(|t| t == task)
            && self.ui.is_none_or(|u| u == has_ui)
    }
}

impl ToolSelector {
    /// Whether a tool stated to declare `stated` (a target file's `[tools]` entry) is what this
    /// selector asks for: every field the selector gives is stated, with the same value.
    pub fn stated_by(&self, stated: &ToolSelector) -> bool {
        fn same<T: PartialEq>(want: &Option<T>, have: &Option<T>) -> bool {
            want.is_none() || (have.is_some() && want == have)
        }
        same(&self.read_only, &stated.read_only)
            && same(&self.destructive, &stated.destructive)
            && same(&self.open_world, &stated.open_world)
            && same(&self.task, &stated.task)
            && same(&self.ui, &stated.ui)
            && same(&self.draft_only, &stated.draft_only)
    }

    /// What the selector asks, as a relative clause ("that has a UI and …"), empty for any tool.
    pub fn predicate(&self) -> String {
        let mut parts = Vec::new();
        let mut flag = |v: Option<bool>, yes: &str, no: &str| {
            if let Some(v) = v {
                parts.push(if v { yes.to_owned() } else { no.to_owned() });
            }
        };
        flag(
            self.read_only,
            "declares readOnlyHint: true",
            "is not read-only",
        );
        flag(
            self.destructive,
            "declares destructiveHint: true",
            "is not destructive",
        );
        flag(
            self.open_world,
            "declares openWorldHint: true",
            "is not open-world",
        );
        flag(self.ui, "has a UI", "has no UI");
        flag(
            self.draft_only,
            "is only on the draft",
            "is also on production",
        );
        if let Some(t) = self.task {
            parts.push(format!("has taskSupport {t:?}").to_lowercase());
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("that {}", parts.join(" and "))
        }
    }
}

impl std::fmt::Display for ToolSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.predicate().as_str() {
            "" => f.write_str("any tool"),
            p => write!(f, "a tool {p}"),
        }
    }
}

/// A tool a step names: by name (the default fixture's, or any name), or by what it declares.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ToolRef {
    Named(String),
    Select(ToolSelector),
}

impl<'de> Deserialize<'de> for ToolRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ToolRef;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a tool name or a table such as { read_only = true }")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ToolRef, E> {
                Ok(ToolRef::Named(v.to_owned()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<ToolRef, A::Error> {
                ToolSelector::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(ToolRef::Select)
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl std::fmt::Display for ToolRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ToolRef::Named(name) => f.write_str(name),
            ToolRef::Select(s) => write!(f, "{s}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selectors_match_what_tools_declare() {
        let search =
            json!({"name": "s", "annotations": {"readOnlyHint": true, "openWorldHint": false}});
        let order =
            json!({"name": "o", "annotations": {"readOnlyHint": false, "destructiveHint": true}});
        let report = json!({"name": "r", "execution": {"taskSupport": "required"}});
        let card = json!({"name": "c", "_meta": {"ui": {"resourceUri": "ui://x"}}});
        let read_only = ToolSelector {
            read_only: Some(true),
            ..Default::default()
        };
        assert!(read_only.matches(&search) && !read_only.matches(&order));
        let destructive = ToolSelector {
            destructive: Some(true),
            ..Default::default()
        };
        assert!(destructive.matches(&order) && !destructive.matches(&search));
        let required = ToolSelector {
            task: Some(TaskSupport::Required),
            ..Default::default()
        };
        assert!(required.matches(&report) && !required.matches(&search));
        let forbidden = ToolSelector {
            task: Some(TaskSupport::Forbidden),
            ..Default::default()
        };
        assert!(
            forbidden.matches(&search),
            "absent taskSupport is forbidden"
        );
        let ui = ToolSelector {
            ui: Some(true),
            ..Default::default()
        };
        assert!(ui.matches(&card) && !ui.matches(&search));
        assert_eq!(
            ui.to_string(),
            "a tool that has a UI",
            "selectors describe themselves in n/a reasons"
        );
    }

    #[test]
    fn a_tool_is_a_name_or_a_strict_table() {
        #[derive(Deserialize)]
        struct T {
            tool: ToolRef,
        }
        let named: T = toml::from_str("tool = \"x\"").unwrap();
        assert_eq!(named.tool, ToolRef::Named("x".into()));
        let chosen: T = toml::from_str("tool = { task = \"optional\" }").unwrap();
        assert_eq!(
            chosen.tool,
            ToolRef::Select(ToolSelector {
                task: Some(TaskSupport::Optional),
                ..Default::default()
            })
        );
        let e = toml::from_str::<T>("tool = { readonly = true }")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("unknown field `readonly`"), "{e}");
    }
}
