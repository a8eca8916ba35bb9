//! The scenario file format (TOML, strict keys). A scenario names its rule's source, the hosts it
//! applies to, what it needs from the target, and its steps with their expectations. Endpoints and
//! logins are references the runner resolves per target:
//!
//! - endpoints: `target` (the project under test), `target/draft`, `public`, `public/draft`,
//!   `unpublished`, `foreign` (as the target file names them), or `org/project[/draft]` of the
//!   default fixture (fixture-bound scenarios only);
//! - logins (`as`): a role (`member`, `draft_member`, `viewer`, `non_member`, `second_member`),
//!   `token`, `anonymous`, `api-key:foreign`, `api-key:minted` (a key minted for the scenario), or a
//!   default-fixture email;
//! - tools: a name, or what the tool declares (`{ read_only = true }`, `{ task = "required" }`,
//!   `{ ui = true }`, `{ destructive = true }`, `{ open_world = true }`, `{ draft_only = true }`),
//!   chosen from the target's live `tools/list`.
//!
//! They are parsed when the file is loaded (`super::refs`).

use serde::Deserialize;
use toml::Spanned;

use super::refs::{EndpointRef, LoginRef, ProjectRef, Role, ToolRef, UserRef};
use crate::mcp_ops::TaskStatus;

/// One `scenarios/<area>/<name>.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub title: String,
    pub source: Source,
    /// The troubleshooting row of the connector guide this scenario exercises, if any.
    #[serde(default)]
    pub troubleshooting: Option<Spanned<String>>,
    /// Host ids; all hosts when absent.
    #[serde(default)]
    pub hosts: Option<Vec<Spanned<String>>>,
    /// What the target must offer, besides what the steps imply.
    #[serde(default)]
    pub needs: Vec<Need>,
    /// Host timeouts are multiplied by this (tests scale minutes down instead of waiting them out).
    #[serde(default)]
    pub time_factor: Option<f64>,
    /// The protocol eras it runs in. Absent: the host's own opening only (a dual-era host speaks
    /// 2026-07-28 to a server that does). `["legacy"]` pins the 2025 handshake era, for behaviour
    /// that exists only there; `["own", "legacy"]` runs both, the second reported as `<id>@legacy`.
    #[serde(default)]
    pub eras: Option<Vec<ScenarioEra>>,
    #[serde(rename = "step")]
    pub steps: Vec<Spanned<Step>>,
}

/// An era a scenario runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScenarioEra {
    /// As the host opens by itself.
    Own,
    /// The 2025 handshake era (`initialize`), whatever the host would choose.
    Legacy,
}

/// Where the rule comes from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub kind: SourceKind,
    /// The clause, statement or row, in words.
    #[serde(rename = "ref")]
    pub reference: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// A row of the connector guide's troubleshooting table.
    Troubleshooting,
    /// A statement of the connector guide.
    Guide,
    /// A clause of the MCP specification or an RFC it cites.
    Spec,
    /// Metabind's documented or observed behaviour (spec/metabind.md).
    Metabind,
}

/// A prerequisite a scenario declares besides what its steps imply.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Need {
    /// The default fixture's seed data (its names and values): the embedded default world only.
    Fixture,
    /// The project under test is private (its rules about who may connect do not apply otherwise).
    PrivateTarget,
}

impl Need {
    pub fn describe(self) -> &'static str {
        match self {
            Need::Fixture => "the default fixture's seed data (the embedded default world)",
            Need::PrivateTarget => "a private project (this one is public)",
        }
    }
}

fn main_connector() -> String {
    "main".to_owned()
}

fn yes() -> bool {
    true
}

/// One step. `do` names the action.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "do", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Step {
    /// The user adds `endpoint` as a custom connector, signing in as `as`.
    AddConnector {
        #[serde(default = "main_connector")]
        connector: String,
        endpoint: EndpointRef,
        #[serde(rename = "as")]
        login: LoginRef,
        /// The host opens its popup outside the click (a popup blocker stops it).
        #[serde(default)]
        popup_outside_click: bool,
        #[serde(default)]
        expect: ConnectorExpect,
    },
    /// The host lists the tools again (after a publish or `list_changed`).
    ListTools {
        #[serde(default = "main_connector")]
        connector: String,
        #[serde(default)]
        expect: ConnectorExpect,
    },
    /// The model calls a tool; the user approves when the host asks.
    CallTool {
        #[serde(default = "main_connector")]
        connector: String,
        tool: ToolRef,
        /// Otherwise the target file's arguments for the tool, or ones made up from its inputSchema.
        #[serde(default)]
        arguments: Option<toml::Table>,
        /// Wait for a task to finish (polling); `false` leaves it running for `wait-task`.
        #[serde(default = "yes")]
        wait: bool,
        /// Force task augmentation on or off, as a client that ignores `execution.taskSupport` would.
        #[serde(default)]
        task: Option<bool>,
        /// Send this other connector's access token instead (a leaked or confused token), on a new
        /// session and without refreshing: the server alone decides.
        #[serde(default)]
        token_from: Option<String>,
        #[serde(default)]
        expect: CallExpect,
    },
    /// Wait for the task the last `call-tool` with `wait = false` started.
    WaitTask {
        #[serde(default = "main_connector")]
        connector: String,
        #[serde(default)]
        expect: CallExpect,
    },
    /// `tasks/cancel` on the connector's last task (running or finished).
    CancelTask {
        #[serde(default = "main_connector")]
        connector: String,
        #[serde(default)]
        expect: CallExpect,
    },
    /// `tasks/get` from `connector` on the last task `task_of` started (another user's task).
    ReadTask {
        #[serde(default = "main_connector")]
        connector: String,
        task_of: String,
        #[serde(default)]
        expect: CallExpect,
    },
    /// Review the tool surface of every connected connector (or those named) the way a model meets
    /// it: descriptions, how well `requests` pick their tool, instructions, annotations, and tool
    /// names shared between connectors.
    ReviewTools {
        #[serde(default)]
        connectors: Option<Vec<String>>,
        #[serde(default)]
        requests: Vec<SampleRequest>,
        /// Also the target's own sample requests: the target file's, or one per listed tool made
        /// from its title and description.
        #[serde(default)]
        target_requests: bool,
        #[serde(default)]
        expect: ReviewExpect,
    },
    /// Present the refresh token the connector's last silent refresh replaced.
    ReplayRefresh {
        #[serde(default = "main_connector")]
        connector: String,
        /// The server must refuse it (rotation with reuse detection).
        refused: bool,
    },
    /// Only judge the connector's current state.
    ExpectConnector {
        #[serde(default = "main_connector")]
        connector: String,
        expect: ConnectorExpect,
    },
    /// Host side: the user removes the connector (its local token is dropped).
    RemoveConnector {
        #[serde(default = "main_connector")]
        connector: String,
    },
    /// The user clicks Reconnect (the popup may open again).
    Reconnect {
        #[serde(default = "main_connector")]
        connector: String,
        #[serde(default)]
        expect: ConnectorExpect,
    },
    /// Server side: revoke the connector's grant in "Authorized apps".
    RevokeGrant {
        #[serde(default = "main_connector")]
        connector: String,
    },
    /// Server side: revoke the API key minted for this scenario (`as = "api-key:minted"`).
    RevokeApiKey {},
    /// Server side: remove a member from the project's organization.
    RemoveMember { user: UserRef },
    /// Server side: change a member's role to the organization's name for `role` (the target
    /// file's `org_roles`).
    SetRole { user: UserRef, role: Role },
    /// Server side: make a project public or private.
    SetVisibility {
        #[serde(default)]
        project: ProjectRef,
        visibility: Visibility,
    },
    /// Server side: publish the project's draft to production.
    Publish {
        #[serde(default)]
        project: ProjectRef,
    },
    /// Server side: edit the project's instructions (live without a publish).
    SetInstructions {
        #[serde(default)]
        project: ProjectRef,
        instructions: Option<String>,
    },
    /// Server side: edit a tool's description or annotations in the studio (live without a publish).
    EditTool {
        #[serde(default)]
        project: ProjectRef,
        tool: ToolRef,
        #[serde(default)]
        description: Option<String>,
        #[serde(default)]
        annotations: Option<toml::Table>,
    },
    /// Server side: end the life of access tokens now (all, or one user's), and with
    /// `refresh_tokens` of their refresh tokens too (the session expired).
    ExpireTokens {
        #[serde(default)]
        user: Option<UserRef>,
        #[serde(default)]
        refresh_tokens: bool,
    },
    /// Server side: age the project's tasks past their `ttl`.
    ExpireTasks {
        #[serde(default)]
        project: ProjectRef,
    },
    /// Server side (simulation): make a tool slow or failing from now on.
    SetToolBehaviour {
        #[serde(default)]
        project: ProjectRef,
        tool: ToolRef,
        #[serde(default)]
        duration_ms: Option<u64>,
        #[serde(default)]
        fail: Option<bool>,
    },
    /// The model calls a tool that has a UI and the host renders the result on every UI path its
    /// profile renders (`host.ui.*` checks, with a screenshot each). Without `tool`: every listed
    /// read-only tool with a UI, with arguments made up from its inputSchema (`examples` first).
    RenderUi {
        #[serde(default = "main_connector")]
        connector: String,
        #[serde(default)]
        tool: Option<ToolRef>,
        #[serde(default)]
        arguments: Option<toml::Table>,
    },
}

/// A request a user might make, and the tool that should answer it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleRequest {
    pub ask: String,
    pub tool: String,
}

/// What a review must find. Every finding is reported; those named here are expected, and one that
/// does not appear fails.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewExpect {
    /// Check ids the review must flag (e.g. `review.connectors.distinct-names`).
    #[serde(default)]
    pub findings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Visibility {
    Public,
    Private,
}

/// The connector's state as the host shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StateExpect {
    /// Green, no warning.
    Connected,
    /// Green, with a warning.
    Warning,
    /// Red.
    Failed,
    Removed,
}

/// What a connector step must show. Every field is optional; each one given becomes a verdict.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectorExpect {
    pub state: Option<StateExpect>,
    /// Words the failure reason or warning must contain (case-insensitive).
    pub reason_contains: Option<String>,
    /// Exactly this many tools.
    pub tools: Option<usize>,
    #[serde(default)]
    pub tools_include: Vec<ToolRef>,
    #[serde(default)]
    pub tools_exclude: Vec<ToolRef>,
    /// Words the instructions must contain; `""` means "any non-empty instructions".
    pub instructions_contain: Option<String>,
    /// Whether the popup showed the sign-in page (`false`: the login session took the user straight
    /// to consent).
    pub signed_in: Option<bool>,
    /// The protocol era the connection opened in (`modern`: `server/discover` first; `legacy`:
    /// `initialize`, after the probe when the host probes).
    pub era: Option<crate::wire::Era>,
    /// Further expectations for one host only, where hosts differ (`[step.expect.host.chatgpt]`).
    #[serde(default)]
    pub host: std::collections::BTreeMap<String, ConnectorExpect>,
}

/// How a call ends, as the host sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutcomeExpect {
    /// A tool result without `isError`.
    Result,
    /// A tool result, with `isError` or not: the tool ran (what rules about access care for).
    Answered,
    /// A tool result with `isError: true`.
    ErrorResult,
    /// A JSON-RPC error.
    ProtocolError,
    /// Refused over HTTP (e.g. 403 insufficient_scope after step-up).
    Refused,
    /// The authorization is gone: the connector turned red.
    Disconnected,
    /// The host stopped waiting at its tool timeout.
    GaveUp,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallExpect {
    pub confirmation: Option<bool>,
    pub badge: Option<bool>,
    /// Called as a task.
    pub as_task: Option<bool>,
    /// The last task status polled.
    pub task_status: Option<TaskStatus>,
    pub outcome: Option<OutcomeExpect>,
    /// Words the refusal reason, error or result text must contain (case-insensitive).
    pub reason_contains: Option<String>,
    /// The server set a `pollInterval` and the host polled at it.
    pub poll_interval: Option<bool>,
    /// `tasks/result` carried the related-task `_meta` naming the task.
    pub related_task: Option<bool>,
    /// The host shows the tool's UI: it has one on a path this host renders, the resource resolves
    /// with that path's mime type, and the result still has meaningful `content` for the model.
    pub ui: Option<bool>,
    /// The access token expired and the host refreshed it without the user noticing.
    pub refreshed: Option<bool>,
    /// Further expectations for one host only, where hosts differ (`[step.expect.host.chatgpt]`).
    #[serde(default)]
    pub host: std::collections::BTreeMap<String, CallExpect>,
}
