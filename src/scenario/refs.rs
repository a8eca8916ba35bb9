//! References a scenario makes to its target, parsed when the file is loaded so a bad one is an error
//! at its line: endpoints, logins by role, projects, users and tools. Each target resolves them
//! (`crate::target`): a deployment through its target file, the embedded worlds through built-in
//! ones. Only scenarios that test the default fixture's seed data name its projects and emails.

use std::str::FromStr;

use serde::Deserialize;
use serde_json::Value;

use crate::suggest::did_you_mean;

/// A person the scenarios sign in as, by what they may do on the project under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A member who may call production tools.
    Member,
    /// A member who may also use the draft endpoint.
    DraftMember,
    /// A member who may connect and list tools but not call them.
    Viewer,
    /// Someone outside the project's organization (a member of the `foreign` project's, if given).
    NonMember,
    /// Another member like `member`, for sharing and binding rules.
    SecondMember,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Member,
        Role::DraftMember,
        Role::Viewer,
        Role::NonMember,
        Role::SecondMember,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::DraftMember => "draft_member",
            Role::Viewer => "viewer",
            Role::NonMember => "non_member",
            Role::SecondMember => "second_member",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Role::Member => "a member who may call production tools",
            Role::DraftMember => "a member who may use the draft endpoint",
            Role::Viewer => "a member who may list tools but not call them",
            Role::NonMember => "a login outside the project's organization",
            Role::SecondMember => "a second member who may call production tools",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "{s:?} is not a role (member, draft_member, viewer, non_member, second_member){}",
                    did_you_mean(s, Role::ALL.map(Role::as_str))
                )
            })
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The endpoints a target file names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EndpointSlot {
    /// The project under test, production.
    Production,
    /// Its draft.
    Draft,
    /// A public project (anonymous production).
    Public,
    /// That public project's draft (always private).
    PublicDraft,
    /// A project with nothing published.
    Unpublished,
    /// A project of another organization.
    Foreign,
}

impl EndpointSlot {
    pub const ALL: [EndpointSlot; 6] = [
        EndpointSlot::Production,
        EndpointSlot::Draft,
        EndpointSlot::Public,
        EndpointSlot::PublicDraft,
        EndpointSlot::Unpublished,
        EndpointSlot::Foreign,
    ];

    /// Its key in a target file's `[endpoints]`.
    pub fn key(self) -> &'static str {
        match self {
            EndpointSlot::Production => "production",
            EndpointSlot::Draft => "draft",
            EndpointSlot::Public => "public",
            EndpointSlot::PublicDraft => "public_draft",
            EndpointSlot::Unpublished => "unpublished",
            EndpointSlot::Foreign => "foreign",
        }
    }

    /// How a scenario names it (`endpoint = …`).
    pub fn reference(self) -> &'static str {
        match self {
            EndpointSlot::Production => "target",
            EndpointSlot::Draft => "target/draft",
            EndpointSlot::Public => "public",
            EndpointSlot::PublicDraft => "public/draft",
            EndpointSlot::Unpublished => "unpublished",
            EndpointSlot::Foreign => "foreign",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            EndpointSlot::Production => "the project's production endpoint",
            EndpointSlot::Draft => "the project's draft endpoint",
            EndpointSlot::Public => "a public project",
            EndpointSlot::PublicDraft => "a public project's draft endpoint",
            EndpointSlot::Unpublished => "a project with nothing published",
            EndpointSlot::Foreign => "a project of another organization",
        }
    }
}

/// API keys a target file names, for custom-host scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySlot {
    /// A key of the `foreign` project (it must not work on the project under test).
    Foreign,
}

impl KeySlot {
    pub fn as_str(self) -> &'static str {
        match self {
            KeySlot::Foreign => "foreign",
        }
    }
}

/// Where a connector points: an endpoint the target names, or a project of the default fixture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointRef {
    Slot(EndpointSlot),
    Fixture {
        org: String,
        project: String,
        draft: bool,
    },
}

/// A project for server control: the one under test, the public one, or one of the default fixture.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ProjectRef {
    #[default]
    Target,
    Public,
    Fixture {
        org: String,
        project: String,
    },
}

/// Who adds a connector (`as`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginRef {
    /// A login of the target file, by role.
    Role(Role),
    /// The run's bearer token (the target file's `token`, or a key minted for the run).
    Token,
    Anonymous,
    /// An API key the target file names.
    ApiKey(KeySlot),
    /// A key minted for this scenario through server control (`revoke-api-key` revokes it).
    MintedKey,
    /// A user of the default fixture, by email (fixture-bound scenarios only).
    FixtureUser(String),
}

/// A user for server control (`remove-member`, `set-role`, `expire-tokens`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserRef {
    Role(Role),
    /// A user of the default fixture, by email.
    Email(String),
}

fn org_project(s: &str) -> Option<(String, String, bool)> {
    let parts: Vec<&str> = s.split('/').collect();
    match parts.as_slice() {
        [org, project] if !org.is_empty() && !project.is_empty() => {
            Some((org.to_string(), project.to_string(), false))
        }
        [org, project, "draft"] if !org.is_empty() && !project.is_empty() => {
            Some((org.to_string(), project.to_string(), true))
        }
        _ => None,
    }
}

impl FromStr for EndpointRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(slot) = EndpointSlot::ALL.into_iter().find(|e| e.reference() == s) {
            return Ok(EndpointRef::Slot(slot));
        }
        org_project(s)
            .map(|(org, project, draft)| EndpointRef::Fixture {
                org,
                project,
                draft,
            })
            .ok_or_else(|| {
                format!(
                    "`endpoint` {s:?} is not target, target/draft, public, public/draft, unpublished, foreign or org/project[/draft]{}",
                    did_you_mean(s, EndpointSlot::ALL.map(EndpointSlot::reference))
                )
            })
    }
}

impl FromStr for ProjectRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match (s, org_project(s)) {
            ("target", _) => Ok(ProjectRef::Target),
            ("public", _) => Ok(ProjectRef::Public),
            (_, Some((org, project, false))) => Ok(ProjectRef::Fixture { org, project }),
            _ => Err(format!(
                "`project` {s:?} is not target, public or org/project"
            )),
        }
    }
}

const LOGIN_WORDS: [&str; 9] = [
    "member",
    "draft_member",
    "viewer",
    "non_member",
    "second_member",
    "token",
    "anonymous",
    "api-key:foreign",
    "api-key:minted",
];

impl FromStr for LoginRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Ok(role) = s.parse::<Role>() {
            return Ok(LoginRef::Role(role));
        }
        Ok(match s {
            "token" => LoginRef::Token,
            "anonymous" => LoginRef::Anonymous,
            "api-key:foreign" => LoginRef::ApiKey(KeySlot::Foreign),
            "api-key:minted" => LoginRef::MintedKey,
            email if email.contains('@') => LoginRef::FixtureUser(email.to_owned()),
            other => {
                return Err(format!(
                    "`as` {other:?} is not a role (member, draft_member, viewer, non_member, second_member), token, anonymous, api-key:foreign, api-key:minted or an email{}",
                    did_you_mean(other, LOGIN_WORDS)
                ))
            }
        })
    }
}

impl FromStr for UserRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Ok(role) = s.parse::<Role>() {
            return Ok(UserRef::Role(role));
        }
        match s {
            email if email.contains('@') => Ok(UserRef::Email(email.to_owned())),
            other => Err(format!(
                "`user` {other:?} is not a role or an email{}",
                did_you_mean(other, Role::ALL.map(Role::as_str))
            )),
        }
    }
}

macro_rules! deserialize_from_str {
    ($($t:ty),*) => {$(
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}

deserialize_from_str!(EndpointRef, ProjectRef, LoginRef, UserRef);

impl EndpointRef {
    /// The default fixture's names are needed to resolve it.
    pub fn needs_fixture(&self) -> bool {
        matches!(self, EndpointRef::Fixture { .. })
    }
}

impl std::fmt::Display for EndpointRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EndpointRef::Slot(slot) => f.write_str(slot.reference()),
            EndpointRef::Fixture {
                org,
                project,
                draft,
            } => {
                write!(f, "{org}/{project}{}", if *draft { "/draft" } else { "" })
            }
        }
    }
}

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
    fn references_parse_into_what_they_name() {
        assert_eq!(
            "target/draft".parse(),
            Ok(EndpointRef::Slot(EndpointSlot::Draft))
        );
        assert_eq!(
            "public/draft".parse(),
            Ok(EndpointRef::Slot(EndpointSlot::PublicDraft))
        );
        assert_eq!(
            "acme/shop/draft".parse(),
            Ok(EndpointRef::Fixture {
                org: "acme".into(),
                project: "shop".into(),
                draft: true
            })
        );
        assert_eq!("viewer".parse(), Ok(LoginRef::Role(Role::Viewer)));
        assert_eq!(
            "api-key:foreign".parse(),
            Ok(LoginRef::ApiKey(KeySlot::Foreign))
        );
        assert_eq!(
            "vic@acme.test".parse(),
            Ok(UserRef::Email("vic@acme.test".into()))
        );
        assert_eq!("target".parse(), Ok(ProjectRef::Target));
        assert_eq!("public".parse(), Ok(ProjectRef::Public));
    }

    #[test]
    fn bad_references_name_their_key_and_suggest() {
        let e = "membr".parse::<LoginRef>().unwrap_err();
        assert!(
            e.starts_with("`as`") && e.contains("did you mean \"member\""),
            "{e}"
        );
        assert!("a/b/c/d"
            .parse::<EndpointRef>()
            .unwrap_err()
            .starts_with("`endpoint`"));
        assert!("acme/shop/draft".parse::<ProjectRef>().is_err());
    }

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
