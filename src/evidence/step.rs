//! What a scenario's host-side steps record: the connector as the host shows it, a call with the
//! host's decisions, the UI it would show, the tools each endpoint showed. Expectations
//! (`crate::checks::expect`) judge these; `report.json` keeps the surfaces for `diff`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::host::{ConnectorState, ToolCall};
use crate::popup::PopupReport;
use crate::ui::UiLink;
use crate::wire::Exchange;

/// A connector after a step.
#[derive(Debug, Clone)]
pub struct ConnectorView {
    pub name: String,
    pub state: ConnectorState,
    /// The tools from its last complete `tools/list`.
    pub tools: Vec<Value>,
    pub instructions: Option<String>,
    /// Every popup it opened, in order.
    pub popups: Vec<PopupReport>,
    /// The exchanges this step made (the last few), quoted when a verdict fails.
    pub exchanges: Vec<Exchange>,
    /// The era its connection speaks, once opened.
    pub era: Option<crate::wire::Era>,
}

impl ConnectorView {
    /// The JSON-RPC methods this step POSTed, in order (how the connection was opened shows here).
    pub fn mcp_methods(&self) -> Vec<String> {
        self.exchanges
            .iter()
            .filter(|e| e.method == "POST")
            .filter_map(|e| serde_json::from_str::<Value>(&e.request_body).ok())
            .filter_map(|b| b["method"].as_str().map(String::from))
            .collect()
    }
}

impl ConnectorView {
    pub fn tool_names(&self) -> Vec<String> {
        self.tools
            .iter()
            .filter_map(|t| t["name"].as_str().map(String::from))
            .collect()
    }

    /// `connected`, `warning`, `failed` or `removed`, and the reason shown with it.
    pub fn shown_state(&self) -> (&'static str, &str) {
        match &self.state {
            ConnectorState::Connected { warning: None } => ("connected", ""),
            ConnectorState::Connected { warning: Some(w) } => ("warning", w),
            ConnectorState::Failed { reason } => ("failed", reason),
            ConnectorState::Removed => ("removed", ""),
        }
    }

    /// `failed: reason`, or just the state.
    pub fn describe_state(&self) -> String {
        match self.shown_state() {
            (state, "") => state.to_owned(),
            (state, reason) => format!("{state}: {reason}"),
        }
    }
}

/// A call (or a task request) a step made.
#[derive(Debug, Clone)]
pub struct CallView {
    pub connector: String,
    pub call: ToolCall,
    /// The tool as the connector lists it, if it does.
    pub tool: Option<Value>,
    /// The exchanges this step made (the last few).
    pub exchanges: Vec<Exchange>,
}

impl CallView {
    /// The tool's annotations as listed, for findings about the host's decisions.
    pub fn annotations(&self) -> String {
        self.tool
            .as_ref()
            .map(|t| t["annotations"].to_string())
            .unwrap_or_else(|| "unknown: the tool is not listed".into())
    }
}

/// The UI a host would show for a call's tool, and the resource behind it.
#[derive(Debug, Clone)]
pub struct UiView {
    pub host_name: String,
    /// Every UI the tool declares.
    pub declared: Vec<UiLink>,
    /// The paths this host renders, in its order of preference.
    pub rendered: Vec<crate::ui::UiPath>,
    /// The link the host shows (the first of its paths the tool declares).
    pub shown: Option<UiLink>,
    /// `resources/read` of the shown link: its result, or what went wrong.
    pub read: Option<Result<Value, String>>,
}

/// One connector as the `review-tools` step saw it.
#[derive(Debug, Clone)]
pub struct ReviewedConnector {
    pub name: String,
    pub connected: bool,
    pub tools: Vec<Value>,
    pub instructions: Option<String>,
    /// The target's own sample requests for these tools (`review-tools` with `target_requests`).
    pub requests: Vec<crate::scenario::model::SampleRequest>,
}

/// One view the `render-ui` step tried to render.
#[derive(Debug, Clone)]
pub enum RenderAttempt {
    /// Nothing to render, and why (the host renders no UI, no tool offers one).
    NotApplicable(String),
    /// The render could not be tried (the tool is not listed, its call failed).
    NotTestable(String),
    Rendered(crate::host::UiRender),
}

/// What one step recorded for its expectations.
#[derive(Debug, Clone)]
pub enum StepEvidence {
    /// A step with nothing to judge (server control, remove-connector).
    Nothing,
    Connector(ConnectorView),
    /// A call that ended (or never started a task), and the UI the host would show for it.
    Call {
        view: CallView,
        ui: Option<UiView>,
    },
    /// A call whose task is left running: only the host's decisions are known.
    Started(CallView),
    Review(Vec<ReviewedConnector>),
    RefreshReplay {
        connector: String,
        replay: crate::evidence::sweep::RefreshReplay,
    },
    Renders(Vec<RenderAttempt>),
}

/// The tools one host saw on one endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Surface {
    pub host: String,
    pub endpoint: String,
    pub tools: Vec<ToolSurface>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ToolSurface {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub annotations: Value,
    #[serde(default)]
    pub input_schema: Value,
    #[serde(default)]
    pub execution: Value,
}
