//! A scenario's steps on one host: each drives the mock host or the target's server control and
//! returns what it recorded ([`StepEvidence`]) with the step as judged (tools chosen by what they
//! declare resolved to names). A step that cannot be done says why: the harness failed, the target
//! lacks what the step needs (the rest is n/a), or the step is beyond what this target allows (server
//! control, a tool the run may not call: the rest is skipped, the verdicts before kept).

mod calls;
mod connectors;
mod control;
mod render;
mod tools;

use std::collections::{BTreeMap, HashMap};

use crate::evidence::step::{StepEvidence, Surface, ToolSurface};
use crate::evidence::{CallView, ConnectorView};
use crate::host::{HostConnector, MockHost, PendingCall, ToolCall};
use crate::scenario::refs::ToolSelector;
use crate::scenario::{Scenario, Step};
use crate::target::{ControlError, Instance, ProjectId, Unresolved};

/// Why a step was not done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepError {
    /// The harness could not do its part.
    Harness(String),
    /// The target lacks what the step needs (no such tool, role or endpoint).
    NotApplicable(String),
    /// The step is beyond what this target allows.
    Unavailable(String),
}

impl From<String> for StepError {
    fn from(why: String) -> Self {
        StepError::Harness(why)
    }
}

impl From<&str> for StepError {
    fn from(why: &str) -> Self {
        StepError::Harness(why.to_owned())
    }
}

impl From<Unresolved> for StepError {
    fn from(u: Unresolved) -> Self {
        match u {
            Unresolved::NotApplicable(why) => StepError::NotApplicable(why),
            Unresolved::Skipped(why) => StepError::Unavailable(why),
        }
    }
}

impl From<ControlError> for StepError {
    fn from(e: ControlError) -> Self {
        match e {
            ControlError::Unsupported(why) => StepError::Unavailable(why),
            ControlError::Failed(why) => StepError::Harness(why),
        }
    }
}

/// One scenario on one host: its connectors, the calls left running, what each endpoint showed.
pub struct Trial<'a> {
    pub scenario: &'a Scenario,
    pub instance: &'a Instance,
    pub host: MockHost,
    pub connectors: BTreeMap<String, HostConnector>,
    pending: BTreeMap<String, PendingCall>,
    /// The tool surface each endpoint showed before any server-control step changed it.
    pub surfaces: Vec<Surface>,
    /// A server-control step ran: later tool lists no longer describe the target as deployed.
    state_changed: bool,
    /// Tools chosen by what they declare, once per trial (a later edit does not move the choice).
    chosen: HashMap<ToolSelector, String>,
    /// The API key minted for this scenario (`as = "api-key:minted"`).
    minted: Option<(ProjectId, String)>,
}

impl<'a> Trial<'a> {
    pub fn new(scenario: &'a Scenario, instance: &'a Instance, host: MockHost) -> Trial<'a> {
        Trial {
            scenario,
            instance,
            host,
            connectors: BTreeMap::new(),
            pending: BTreeMap::new(),
            surfaces: Vec::new(),
            state_changed: false,
            chosen: HashMap::new(),
            minted: None,
        }
    }

    /// Does `step` and returns what it recorded, with the step as its expectations are judged (every
    /// tool named).
    pub async fn perform(&mut self, step: &Step) -> Result<(StepEvidence, Step), StepError> {
        let step = self.resolve_for_action(step)?;
        let evidence = match &step {
            Step::AddConnector {
                connector,
                endpoint,
                login,
                popup_outside_click,
                ..
            } => {
                self.add_connector(connector, endpoint, login, *popup_outside_click)
                    .await?
            }
            Step::ListTools { connector, .. } => self.list_tools(connector).await?,
            Step::ExpectConnector { connector, .. } => {
                let start = self.transcript_len(connector)?;
                StepEvidence::Connector(self.connector_view(connector, start)?)
            }
            Step::RemoveConnector { connector } => {
                self.connector(connector)?.remove().await;
                StepEvidence::Nothing
            }
            Step::Reconnect { connector, .. } => self.reconnect(connector).await?,
            Step::ReviewTools {
                connectors,
                target_requests,
                ..
            } => self.review(connectors.as_deref(), *target_requests),
            Step::CallTool {
                connector,
                tool,
                arguments,
                wait,
                task,
                token_from,
                expect,
            } => {
                let wants_ui = expect.ui.is_some()
                    || expect
                        .host
                        .get(&self.host.profile.id)
                        .is_some_and(|e| e.ui.is_some());
                self.call_tool(
                    connector,
                    &tools::named(tool),
                    arguments.as_ref(),
                    *wait,
                    *task,
                    token_from.as_deref(),
                    wants_ui,
                )
                .await?
            }
            Step::WaitTask { connector, .. } => self.wait_task(connector).await?,
            Step::CancelTask { connector, .. } => self.cancel_task(connector).await?,
            Step::ReadTask {
                connector, task_of, ..
            } => self.read_task(connector, task_of).await?,
            Step::ReplayRefresh { connector, .. } => self.replay_refresh(connector).await?,
            Step::RenderUi {
                connector,
                tool,
                arguments,
            } => {
                let tool = tool.as_ref().map(tools::named);
                self.render_ui(connector, tool.as_deref(), arguments.as_ref())
                    .await?
            }
            control => {
                self.control(control).await?;
                self.state_changed = true;
                StepEvidence::Nothing
            }
        };
        let judged = self.resolve_for_judging(&step)?;
        Ok((evidence, judged))
    }

    fn connector(&mut self, name: &str) -> Result<&mut HostConnector, String> {
        self.connectors
            .get_mut(name)
            .ok_or_else(|| format!("connector {name:?} was not added"))
    }

    /// How many exchanges the connector has made (a step's own start in its transcript).
    fn transcript_len(&self, name: &str) -> Result<usize, String> {
        self.connectors
            .get(name)
            .map(|c| c.connector.mcp.wire.transcript.len())
            .ok_or_else(|| format!("connector {name:?} was not added"))
    }

    /// The connector as the host shows it, with the exchanges made since `start`.
    fn connector_view(&self, name: &str, start: usize) -> Result<ConnectorView, String> {
        let c = self
            .connectors
            .get(name)
            .ok_or_else(|| format!("connector {name:?} was not added"))?;
        Ok(ConnectorView {
            name: name.to_owned(),
            state: c.state.clone(),
            tools: c.tools.clone(),
            instructions: c.instructions.clone(),
            popups: c.connector.popups.clone(),
            exchanges: c.connector.mcp.wire.transcript.since(start),
            era: c
                .connector
                .mcp
                .protocol_version
                .is_some()
                .then_some(c.connector.mcp.era),
        })
    }

    /// A call's view: the tool as listed and the exchanges made since `start`.
    fn call_view(&self, name: &str, call: ToolCall, start: usize) -> CallView {
        let c = self.connectors.get(name);
        CallView {
            connector: name.to_owned(),
            tool: c.and_then(|c| c.tool(&call.tool).cloned()),
            exchanges: c
                .map(|c| c.connector.mcp.wire.transcript.since(start))
                .unwrap_or_default(),
            call,
        }
    }

    /// Keeps what `endpoint` showed on this host, for `diff` (before any server-control step).
    fn record_surface(&mut self, endpoint: &str, connector: &str) {
        if self.state_changed {
            return;
        }
        let Some(c) = self.connectors.get(connector) else {
            return;
        };
        let host = self.host.profile.id.clone();
        if !c.state.is_connected()
            || self
                .surfaces
                .iter()
                .any(|s| s.host == host && s.endpoint == endpoint)
        {
            return;
        }
        self.surfaces.push(Surface {
            host,
            endpoint: endpoint.to_owned(),
            tools: c
                .tools
                .iter()
                .map(|t| ToolSurface {
                    name: t["name"].as_str().unwrap_or_default().to_owned(),
                    description: t["description"].as_str().map(String::from),
                    annotations: t["annotations"].clone(),
                    input_schema: t["inputSchema"].clone(),
                    execution: t["execution"].clone(),
                })
                .collect(),
        });
    }
}
