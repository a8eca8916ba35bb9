//! The runner, the only module that sees everything: for every scenario × host it starts a target
//! instance (a fresh embedded server, or the remote target), drives a mock host through the steps,
//! judges each expectation into a verdict, and runs the host-independent protocol sweep. It reports
//! through events (`Event`) and returns the `RunReport` every report renders. Independent trials run
//! concurrently; nothing waits on a fixed sleep.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};

use crate::checks::verdict::truncate;
use crate::checks::{CheckResult, Status};
use crate::host::{
    CallOutcome, ClientMetadataSite, ConnectorState, HostConnector, HostProfile, MockHost,
    PendingCall, ToolCall,
};
use crate::popup::Popup;
use crate::report::model::{
    Phases, RunReport, ScenarioResult, SourceInfo, Surface, TargetInfo, ToolSurface,
    SCHEMA_VERSION, SWEEP_HOST,
};
use crate::scenario::model::{CallExpect, ConnectorExpect, OutcomeExpect, StateExpect, Visibility};
use crate::scenario::{Need, Scenario, Step};
use crate::target::{preflight, Instance, Logins, TargetError, TargetSpec};

/// Everything a run needs.
#[derive(Clone)]
pub struct RunConfig {
    pub target: TargetSpec,
    pub logins: Logins,
    /// Host ids, in report order.
    pub hosts: Vec<String>,
    pub scenarios: Vec<Scenario>,
    /// Run the host-independent protocol sweep.
    pub sweep: bool,
    pub popup: Popup,
    /// Trials run at once.
    pub concurrency: usize,
    /// The limit on every HTTP exchange.
    pub request_timeout: Duration,
}

/// What the runner tells its consumers (progress display, test trials, report builder).
#[derive(Debug)]
pub enum Event<'a> {
    RunStarted {
        trials: usize,
    },
    ScenarioStarted {
        scenario: &'a str,
        host: &'a str,
    },
    CheckRecorded {
        scenario: &'a str,
        host: &'a str,
        check: &'a CheckResult,
    },
    ScenarioFinished {
        result: &'a ScenarioResult,
    },
}

/// One scenario on one host, or the sweep.
#[derive(Clone)]
enum TrialKind {
    Scenario(usize, String),
    Sweep,
}

struct TrialOutput {
    results: Vec<ScenarioResult>,
    surfaces: Vec<Surface>,
    phases: Phases,
}

/// Runs the whole configuration. Only a target that cannot be reached (or an embedded server that
/// cannot start) is an error: everything else is a verdict in the report.
pub async fn run(
    config: &RunConfig,
    on_event: &(dyn Fn(Event<'_>) + Sync),
) -> Result<RunReport, TargetError> {
    let started_at = SystemTime::now();
    let started = Instant::now();
    if let TargetSpec::Remote { url } = &config.target {
        preflight(url, config.request_timeout).await?;
    }
    // The hosts' CIMD documents, served once for the whole run (the embedded AS may fetch loopback).
    let metadata_site = if config.target.is_embedded() {
        let profiles: Vec<HostProfile> = config
            .hosts
            .iter()
            .filter_map(|h| HostProfile::builtin(h))
            .collect();
        let entries: Vec<(String, String, String)> = profiles
            .iter()
            .map(|p| {
                (
                    p.id.clone(),
                    p.name.clone(),
                    p.auth.redirect_uri.clone().unwrap_or_default(),
                )
            })
            .collect();
        let borrowed: Vec<(&str, &str, &str)> = entries
            .iter()
            .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
            .collect();
        ClientMetadataSite::start(&borrowed)
            .await
            .ok()
            .map(Arc::new)
    } else {
        None
    };
    let mut trials = Vec::new();
    if config.sweep {
        trials.push(TrialKind::Sweep);
    }
    for (index, scenario) in config.scenarios.iter().enumerate() {
        for host in &config.hosts {
            if scenario.applies_to(host) {
                trials.push(TrialKind::Scenario(index, host.clone()));
            }
        }
    }
    on_event(Event::RunStarted {
        trials: trials.len(),
    });
    let site = &metadata_site;
    let mut outputs: Vec<(usize, TrialOutput)> = stream::iter(trials.into_iter().enumerate())
        .map(|(order, trial)| async move {
            let output = match trial {
                TrialKind::Sweep => run_sweep(config, on_event).await,
                TrialKind::Scenario(index, host) => {
                    run_scenario(config, &config.scenarios[index], &host, site, on_event).await
                }
            };
            (order, output)
        })
        .buffer_unordered(config.concurrency.max(1))
        .collect()
        .await;
    outputs.sort_by_key(|(order, _)| *order);
    let mut results = Vec::new();
    let mut surfaces: Vec<Surface> = Vec::new();
    let mut phases = Phases::default();
    for (_, output) in outputs {
        results.extend(output.results);
        for surface in output.surfaces {
            if !surfaces
                .iter()
                .any(|s| s.host == surface.host && s.endpoint == surface.endpoint)
            {
                surfaces.push(surface);
            }
        }
        phases.server_start_ms += output.phases.server_start_ms;
        phases.servers_started += output.phases.servers_started;
        phases.popup_ms += output.phases.popup_ms;
        phases.popups += output.phases.popups;
        phases.exchanges += output.phases.exchanges;
        phases.exchange_ms += output.phases.exchange_ms;
    }
    let (url, faults) = match &config.target {
        TargetSpec::Embedded { faults } => (
            "embedded reference server (default fixture), acme/storefront".to_owned(),
            faults.iter().map(|f| f.name().to_owned()).collect(),
        ),
        TargetSpec::Remote { url } => (url.clone(), Vec::new()),
    };
    let mut hosts = Vec::new();
    if config.sweep {
        hosts.push(SWEEP_HOST.to_owned());
    }
    hosts.extend(config.hosts.iter().cloned());
    Ok(RunReport {
        schema_version: SCHEMA_VERSION,
        tool: format!("metabind-conformance {}", env!("CARGO_PKG_VERSION")),
        target: TargetInfo {
            kind: if config.target.is_embedded() {
                "embedded"
            } else {
                "remote"
            }
            .to_owned(),
            url,
            faults,
        },
        started_at: humantime::format_rfc3339_seconds(started_at).to_string(),
        duration_ms: started.elapsed().as_millis() as u64,
        hosts,
        results,
        surfaces,
        phases,
        stale_baseline: Vec::new(),
    })
}

/// The needs this target and these logins cannot meet.
fn missing_needs(config: &RunConfig, needs: &BTreeSet<Need>) -> Vec<Need> {
    let embedded = config.target.is_embedded();
    needs
        .iter()
        .copied()
        .filter(|need| match need {
            Need::ServerControl | Need::Fixture => !embedded,
            Need::Login => !embedded && config.logins.user.is_none(),
            Need::SecondUser => !embedded && config.logins.second.is_none(),
            Need::Token => !embedded && config.logins.token.is_none(),
        })
        .collect()
}

async fn run_sweep(config: &RunConfig, on_event: &(dyn Fn(Event<'_>) + Sync)) -> TrialOutput {
    on_event(Event::ScenarioStarted {
        scenario: "sweep",
        host: SWEEP_HOST,
    });
    let mut phases = Phases::default();
    let results = match Instance::start(&config.target, &config.logins).await {
        Err(e) => vec![error_result(
            "sweep",
            "protocol sweep",
            SWEEP_HOST,
            e.to_string(),
        )],
        Ok(instance) => {
            if config.target.is_embedded() {
                phases.servers_started = 1;
                phases.server_start_ms = instance.server_start.as_millis() as u64;
            }
            let sweep = crate::sweep::run(&instance, &config.popup, config.request_timeout).await;
            phases.exchanges = sweep.exchanges as u64;
            phases.exchange_ms = sweep.exchange_ms;
            phases.popups = sweep.popups as u64;
            phases.popup_ms = sweep.popup_ms;
            sweep.results
        }
    };
    for result in &results {
        for check in &result.checks {
            on_event(Event::CheckRecorded {
                scenario: &result.scenario,
                host: SWEEP_HOST,
                check,
            });
        }
        on_event(Event::ScenarioFinished { result });
    }
    TrialOutput {
        results,
        surfaces: Vec::new(),
        phases,
    }
}

fn error_result(scenario: &str, title: &str, host: &str, reason: String) -> ScenarioResult {
    ScenarioResult {
        scenario: scenario.to_owned(),
        title: title.to_owned(),
        host: host.to_owned(),
        source: SourceInfo {
            kind: "sweep".into(),
            reference: String::new(),
            troubleshooting: None,
        },
        file: None,
        status: Status::Error,
        reason: Some(reason),
        duration_ms: 0,
        checks: Vec::new(),
    }
}

async fn run_scenario(
    config: &RunConfig,
    scenario: &Scenario,
    host_id: &str,
    metadata_site: &Option<Arc<ClientMetadataSite>>,
    on_event: &(dyn Fn(Event<'_>) + Sync),
) -> TrialOutput {
    on_event(Event::ScenarioStarted {
        scenario: &scenario.id,
        host: host_id,
    });
    let started = Instant::now();
    let mut result = ScenarioResult {
        scenario: scenario.id.clone(),
        title: scenario.file.title.clone(),
        host: host_id.to_owned(),
        source: SourceInfo {
            kind: serde_json::to_value(scenario.file.source.kind)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            reference: scenario.file.source.reference.clone(),
            troubleshooting: scenario
                .file
                .troubleshooting
                .as_ref()
                .map(|r| r.get_ref().clone()),
        },
        file: Some(display_path(&scenario.path)),
        status: Status::Pass,
        reason: None,
        duration_ms: 0,
        checks: Vec::new(),
    };
    let mut output = TrialOutput {
        results: Vec::new(),
        surfaces: Vec::new(),
        phases: Phases::default(),
    };
    let missing = missing_needs(config, &scenario.needs());
    if !missing.is_empty() {
        result.status = Status::Skip;
        result.reason = Some(format!(
            "needs {}",
            missing
                .iter()
                .map(|n| n.describe())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    } else {
        match Instance::start(&config.target, &config.logins).await {
            Err(e) => {
                result.status = Status::Error;
                result.reason = Some(e.to_string());
            }
            Ok(instance) => {
                if config.target.is_embedded() {
                    output.phases.servers_started = 1;
                    output.phases.server_start_ms = instance.server_start.as_millis() as u64;
                }
                let Some(profile) = HostProfile::builtin(host_id) else {
                    result.status = Status::Error;
                    result.reason = Some(format!("unknown host {host_id}"));
                    return finish(result, started, output, on_event);
                };
                let mut host = MockHost::new(profile, config.popup.clone());
                // One browser per user for the trial, like a person's own browser.
                static TRIALS: std::sync::atomic::AtomicUsize =
                    std::sync::atomic::AtomicUsize::new(0);
                let session_key = format!(
                    "trial-{}/",
                    TRIALS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                );
                host.browser_session = Some(session_key.clone());
                host.time_factor = scenario.file.time_factor.unwrap_or(1.0);
                host.request_timeout = config.request_timeout;
                host.metadata_site = metadata_site.clone();
                let mut trial = Trial {
                    scenario,
                    instance: &instance,
                    host,
                    connectors: BTreeMap::new(),
                    pending: BTreeMap::new(),
                    checks: Vec::new(),
                    surfaces: Vec::new(),
                    state_changed: false,
                };
                let error = trial.run(on_event).await;
                config.popup.end_sessions(&session_key);
                for c in trial.connectors.values() {
                    for popup in &c.connector.popups {
                        output.phases.popups += 1;
                        output.phases.popup_ms += popup.elapsed.as_millis() as u64;
                    }
                    let exchanges = c.connector.mcp.wire.transcript.snapshot();
                    output.phases.exchanges += exchanges.len() as u64;
                    output.phases.exchange_ms +=
                        exchanges.iter().map(|e| e.elapsed_ms).sum::<u64>();
                }
                result.checks = std::mem::take(&mut trial.checks);
                output.surfaces = std::mem::take(&mut trial.surfaces);
                result.status =
                    crate::checks::verdict::worst(&result.checks).unwrap_or(Status::Pass);
                if let Some(error) = error {
                    result.status = Status::Error;
                    result.reason = Some(error);
                } else if result.checks.is_empty() {
                    // No vacuous passes: a scenario that judged nothing is not a pass.
                    result.status = Status::Fail;
                    result.reason =
                        Some("the scenario has no expectations: nothing was judged".into());
                }
            }
        }
    }
    finish(result, started, output, on_event)
}

fn finish(
    mut result: ScenarioResult,
    started: Instant,
    mut output: TrialOutput,
    on_event: &(dyn Fn(Event<'_>) + Sync),
) -> TrialOutput {
    result.duration_ms = started.elapsed().as_millis() as u64;
    on_event(Event::ScenarioFinished { result: &result });
    output.results.push(result);
    output
}

fn display_path(path: &std::path::Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(|p| p.to_path_buf()))
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

struct Trial<'a> {
    scenario: &'a Scenario,
    instance: &'a Instance,
    host: MockHost,
    connectors: BTreeMap<String, HostConnector>,
    pending: BTreeMap<String, PendingCall>,
    checks: Vec<CheckResult>,
    surfaces: Vec<Surface>,
    /// A server-control step ran: later tool lists no longer describe the target as deployed.
    state_changed: bool,
}

impl Trial<'_> {
    /// Runs every step; returns the harness error that stopped the scenario, if any.
    async fn run(&mut self, on_event: &(dyn Fn(Event<'_>) + Sync)) -> Option<String> {
        for (index, step) in self.scenario.file.steps.iter().enumerate() {
            let number = index + 1;
            let line = self.scenario.step_lines[index];
            let before = self.checks.len();
            let outcome = self.step(step.get_ref()).await;
            for check in &mut self.checks[before..] {
                check.step = Some(number);
                check.line = Some(line);
            }
            for check in &self.checks[before..] {
                on_event(Event::CheckRecorded {
                    scenario: &self.scenario.id,
                    host: &self.host.profile.id,
                    check,
                });
            }
            if let Err(message) = outcome {
                return Some(format!(
                    "step {number} ({}:{line}): {message}",
                    display_path(&self.scenario.path)
                ));
            }
        }
        None
    }

    fn connector(&mut self, name: &str) -> Result<&mut HostConnector, String> {
        self.connectors
            .get_mut(name)
            .ok_or_else(|| format!("connector {name:?} was not added"))
    }

    async fn control(
        &self,
        method: reqwest::Method,
        path: String,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let control = self
            .instance
            .control
            .as_ref()
            .ok_or("this step needs server control")?;
        control.call(method, &path, body).await
    }

    fn record_surface(&mut self, endpoint: &str, connector: &str) {
        if self.state_changed {
            return;
        }
        let Some(c) = self.connectors.get(connector) else {
            return;
        };
        if !c.state.is_connected() {
            return;
        }
        let host = self.host.profile.id.clone();
        if self
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

    async fn step(&mut self, step: &Step) -> Result<(), String> {
        use reqwest::Method;
        match step {
            Step::AddConnector {
                connector,
                endpoint,
                login,
                popup_outside_click,
                expect,
            } => {
                let url = self.instance.endpoint(endpoint)?;
                let login = self.instance.login(login).await?;
                let mut host = self.host.clone();
                if *popup_outside_click {
                    let mut profile = (*host.profile).clone();
                    profile.auth.popup_from_click = false;
                    host.profile = Arc::new(profile);
                }
                let c = host
                    .add_connector(&url, login)
                    .await
                    .map_err(|e| e.to_string())?;
                self.connectors.insert(connector.clone(), c);
                self.judge_connector(connector, expect, 0);
                self.record_surface(endpoint, connector);
            }
            Step::ListTools { connector, expect } => {
                let c = self.connector(connector)?;
                let start = c.connector.mcp.wire.transcript.snapshot().len();
                let _ = c.refresh_tools().await;
                self.judge_connector(connector, expect, start);
            }
            Step::CallTool {
                connector,
                tool,
                arguments,
                wait,
                task,
                token_from,
                expect,
            } => {
                let arguments = arguments
                    .as_ref()
                    .map(|t| serde_json::to_value(t).unwrap_or(Value::Null))
                    .unwrap_or_else(|| json!({}));
                let foreign = match token_from {
                    None => None,
                    Some(from) => Some(
                        self.connectors
                            .get(from)
                            .and_then(|c| {
                                c.connector
                                    .tokens
                                    .as_ref()
                                    .map(|t| t.access_token.clone())
                                    .or_else(|| c.connector.mcp.bearer.clone())
                            })
                            .ok_or_else(|| format!("connector {from:?} holds no token"))?,
                    ),
                };
                let c = self.connector(connector)?;
                let start = c.connector.mcp.wire.transcript.snapshot().len();
                if let Some(bearer) = foreign {
                    let call = c.call_with_bearer(tool, arguments, &bearer).await;
                    self.judge_call(connector, &call, expect, start);
                } else if *wait {
                    let call = match c.start_call_as(tool, arguments, *task).await {
                        Ok(pending) => c.finish_call(pending).await,
                        Err(call) => call,
                    };
                    self.judge_call(connector, &call, expect, start);
                    self.judge_ui(connector, &call, expect, start).await;
                } else {
                    match c.start_call_as(tool, arguments, *task).await {
                        Ok(pending) => {
                            let call = pending.call.clone();
                            self.pending.insert(connector.clone(), pending);
                            self.judge_call_decision(connector, &call, expect, start);
                            if let Some(extra) = expect.host.get(&self.host.profile.id) {
                                self.judge_call_decision(connector, &call, extra, start);
                            }
                        }
                        Err(call) => self.judge_call(connector, &call, expect, start),
                    }
                }
            }
            Step::WaitTask { connector, expect } => {
                let pending = self.pending.remove(connector).ok_or_else(|| {
                    format!("no task is running on connector {connector:?} (call-tool with wait = false first)")
                })?;
                let c = self.connector(connector)?;
                let start = c.connector.mcp.wire.transcript.snapshot().len();
                let call = c.finish_call(pending).await;
                self.judge_call(connector, &call, expect, start);
            }
            Step::CancelTask { connector, expect } => {
                let c = self.connector(connector)?;
                let task_id = c.last_task.clone().ok_or_else(|| {
                    format!("connector {connector:?} has started no task to cancel")
                })?;
                let start = c.connector.mcp.wire.transcript.snapshot().len();
                let call = c.cancel_task(&task_id).await;
                self.judge_call(connector, &call, expect, start);
            }
            Step::ReadTask {
                connector,
                task_of,
                expect,
            } => {
                let task_id = self
                    .connector(task_of)?
                    .last_task
                    .clone()
                    .ok_or_else(|| format!("connector {task_of:?} has started no task"))?;
                let c = self.connector(connector)?;
                let start = c.connector.mcp.wire.transcript.snapshot().len();
                let call = c.read_task(&task_id).await;
                self.judge_call(connector, &call, expect, start);
            }
            Step::ReviewTools {
                connectors,
                requests,
                expect,
            } => self.review(connectors.as_deref(), requests, expect),
            Step::ReplayRefresh { connector, refused } => {
                let c = self.connector(connector)?;
                let old = c.connector.replaced_refresh_token.clone().ok_or_else(|| {
                    format!("connector {connector:?} has not refreshed its token: no old refresh token to present")
                })?;
                let start = c.connector.mcp.wire.transcript.snapshot().len();
                let answer = c.connector.present_refresh_token(&old).await;
                let check = CheckResult::judge(
                    "auth.as.refresh-rotated",
                    answer.is_err() == *refused,
                    format!(
                        "the refresh token a refresh replaced was {}",
                        if answer.is_err() {
                            "refused"
                        } else {
                            "accepted again"
                        }
                    ),
                    if *refused {
                        "refused (invalid_grant): rotation makes the old one unusable"
                    } else {
                        "accepted"
                    },
                    match &answer {
                        Ok(()) => "new tokens were issued for it".to_owned(),
                        Err(e) => e.to_string(),
                    },
                );
                self.push(check, connector, start);
            }
            Step::ExpireTasks { project } => {
                let (org, project) = self.instance.project_ref(project)?;
                self.control(
                    Method::POST,
                    format!("/_admin/orgs/{org}/projects/{project}/tasks/expire"),
                    None,
                )
                .await?;
                self.state_changed = true;
            }
            Step::SetToolBehaviour {
                project,
                tool,
                duration_ms,
                fail,
            } => {
                let (org, project) = self.instance.project_ref(project)?;
                let mut body = json!({});
                if let Some(d) = duration_ms {
                    body["duration_ms"] = json!(d);
                }
                if let Some(f) = fail {
                    body["fail"] = json!(f);
                }
                self.control(
                    Method::PATCH,
                    format!("/_admin/orgs/{org}/projects/{project}/tools/{tool}/behaviour"),
                    Some(body),
                )
                .await?;
                self.state_changed = true;
            }
            Step::ExpectConnector { connector, expect } => {
                self.connector(connector)?;
                self.judge_connector(connector, expect, usize::MAX);
            }
            Step::RemoveConnector { connector } => {
                self.connector(connector)?.remove().await;
            }
            Step::Reconnect { connector, expect } => {
                let c = self.connector(connector)?;
                let start = c.connector.mcp.wire.transcript.snapshot().len();
                c.reconnect().await;
                self.judge_connector(connector, expect, start);
            }
            Step::RevokeGrant { connector } => {
                let c = self.connector(connector)?;
                let client_id = c
                    .connector
                    .client
                    .as_ref()
                    .map(|c| c.client_id.clone())
                    .ok_or("the connector has no OAuth client: nothing to revoke")?;
                let url = c.url.clone();
                let email = c
                    .connector
                    .config
                    .credentials
                    .as_ref()
                    .map(|c| c.email.clone());
                let org = url::Url::parse(&url)
                    .ok()
                    .and_then(|u| {
                        u.path_segments()
                            .and_then(|mut s| s.next().map(String::from))
                    })
                    .ok_or("the connector's URL names no organization")?;
                let grants = self
                    .control(
                        Method::GET,
                        format!("/_admin/orgs/{org}/authorized-apps"),
                        None,
                    )
                    .await?;
                let ids: Vec<String> = grants["grants"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|g| {
                        g["client_id"] == client_id.as_str()
                            && g["resource"] == url.as_str()
                            && email.as_ref().is_none_or(|e| g["email"] == e.as_str())
                    })
                    .filter_map(|g| g["id"].as_str().map(String::from))
                    .collect();
                if ids.is_empty() {
                    return Err(format!(
                        "Authorized apps of {org} lists no grant for this connector's client {client_id}"
                    ));
                }
                for id in ids {
                    self.control(
                        Method::DELETE,
                        format!("/_admin/orgs/{org}/authorized-apps/{id}"),
                        None,
                    )
                    .await?;
                }
                self.state_changed = true;
            }
            Step::RevokeApiKey { project, name } => {
                let (org, project) = self.instance.project_ref(project)?;
                self.control(
                    Method::DELETE,
                    format!("/_admin/orgs/{org}/projects/{project}/api-keys/{name}"),
                    None,
                )
                .await?;
                self.state_changed = true;
            }
            Step::RemoveMember { org, user } => {
                let email = self.instance.user_email(user)?;
                self.control(
                    Method::DELETE,
                    format!("/_admin/orgs/{org}/members/{email}"),
                    None,
                )
                .await?;
                self.state_changed = true;
            }
            Step::SetRole { org, user, role } => {
                let email = self.instance.user_email(user)?;
                self.control(
                    Method::PUT,
                    format!("/_admin/orgs/{org}/members/{email}"),
                    Some(json!({ "role": role })),
                )
                .await?;
                self.state_changed = true;
            }
            Step::SetVisibility {
                project,
                visibility,
            } => {
                let (org, project) = self.instance.project_ref(project)?;
                let visibility = match visibility {
                    Visibility::Public => "public",
                    Visibility::Private => "private",
                };
                self.control(
                    Method::PUT,
                    format!("/_admin/orgs/{org}/projects/{project}/visibility"),
                    Some(json!({ "visibility": visibility })),
                )
                .await?;
                self.state_changed = true;
            }
            Step::Publish { project } => {
                let (org, project) = self.instance.project_ref(project)?;
                self.control(
                    Method::POST,
                    format!("/_admin/orgs/{org}/projects/{project}/publish"),
                    None,
                )
                .await?;
                self.state_changed = true;
            }
            Step::SetInstructions {
                project,
                instructions,
            } => {
                let (org, project) = self.instance.project_ref(project)?;
                self.control(
                    Method::PUT,
                    format!("/_admin/orgs/{org}/projects/{project}/instructions"),
                    Some(json!({ "instructions": instructions })),
                )
                .await?;
                self.state_changed = true;
            }
            Step::EditTool {
                project,
                tool,
                description,
                annotations,
            } => {
                let (org, project) = self.instance.project_ref(project)?;
                let mut body = json!({});
                if let Some(d) = description {
                    body["description"] = json!(d);
                }
                if let Some(a) = annotations {
                    body["annotations"] = serde_json::to_value(a).unwrap_or(Value::Null);
                }
                self.control(
                    Method::PATCH,
                    format!("/_admin/orgs/{org}/projects/{project}/tools/{tool}"),
                    Some(body),
                )
                .await?;
                self.state_changed = true;
            }
            Step::ExpireTokens {
                user,
                refresh_tokens,
            } => {
                let mut body = match user {
                    Some(u) => json!({ "user": self.instance.user_email(u)? }),
                    None => json!({}),
                };
                if *refresh_tokens {
                    body["refresh_tokens"] = json!(true);
                }
                self.control(
                    Method::POST,
                    "/_admin/oauth/expire-access-tokens".to_owned(),
                    Some(body),
                )
                .await?;
                self.state_changed = true;
            }
            Step::RenderUi {
                connector,
                tool,
                arguments,
            } => {
                self.render_ui(connector, tool.as_deref(), arguments.as_ref())
                    .await?
            }
        }
        Ok(())
    }

    /// The exchanges of `connector` from `start` on (the last few), plus what its popups showed.
    fn evidence(&self, connector: &str, start: usize, popups: bool) -> Vec<String> {
        let Some(c) = self.connectors.get(connector) else {
            return Vec::new();
        };
        let exchanges = c.connector.mcp.wire.transcript.snapshot();
        let from = if start == usize::MAX || start >= exchanges.len() {
            exchanges.len().saturating_sub(2)
        } else {
            start.max(exchanges.len().saturating_sub(4))
        };
        let mut evidence: Vec<String> = c
            .connector
            .popups
            .iter()
            .rev()
            .take(usize::from(popups))
            .map(|p| format!("popup ({}): {}", p.driver, p.outcome.describe()))
            .collect();
        evidence.extend(
            exchanges[from..]
                .iter()
                .map(crate::checks::verdict::excerpt),
        );
        evidence
    }

    fn push(&mut self, mut check: CheckResult, connector: &str, start: usize) {
        if check.status != Status::Pass {
            // What the popup showed matters for the connector's state, not for a call.
            let popups = check.id.starts_with("host.connector") || check.id == "host.tools.listed";
            check.evidence = self.evidence(connector, start, popups);
        }
        self.checks.push(check);
    }

    fn judge_connector(&mut self, name: &str, expect: &ConnectorExpect, start: usize) {
        let Some(c) = self.connectors.get(name) else {
            return;
        };
        let state = c.state.clone();
        let (actual_state, reason) = match &state {
            ConnectorState::Connected { warning: None } => ("connected", String::new()),
            ConnectorState::Connected { warning: Some(w) } => ("warning", w.clone()),
            ConnectorState::Failed { reason } => ("failed", reason.clone()),
            ConnectorState::Removed => ("removed", String::new()),
        };
        let describe = |s: &str, r: &str| {
            if r.is_empty() {
                s.to_owned()
            } else {
                format!("{s}: {r}")
            }
        };
        let mut checks = Vec::new();
        if let Some(expected) = expect.state {
            let expected_name = match expected {
                StateExpect::Connected => "connected",
                StateExpect::Warning => "warning",
                StateExpect::Failed => "failed",
                StateExpect::Removed => "removed",
            };
            checks.push(CheckResult::judge(
                "host.connector.state",
                expected_name == actual_state,
                format!("connector {name:?} is {actual_state}"),
                expected_name,
                describe(actual_state, &reason),
            ));
        }
        if let Some(words) = &expect.reason_contains {
            checks.push(CheckResult::judge(
                "host.connector.state",
                contains(&reason, words),
                format!("the reason the host shows for connector {name:?}"),
                format!("a reason mentioning {words:?}"),
                describe(actual_state, &reason),
            ));
        }
        let tools: Vec<String> = c
            .tools
            .iter()
            .filter_map(|t| t["name"].as_str().map(String::from))
            .collect();
        let tools_judged = expect.tools.is_some()
            || !expect.tools_include.is_empty()
            || !expect.tools_exclude.is_empty();
        if tools_judged && !state.is_connected() {
            checks.push(CheckResult::not_testable(
                "host.tools.listed",
                format!("connector {name:?} is {}", describe(actual_state, &reason)),
            ));
        } else if tools_judged {
            let mut problems = Vec::new();
            if let Some(n) = expect.tools {
                if tools.len() != n {
                    problems.push(format!("{} tools instead of {n}", tools.len()));
                }
            }
            for t in &expect.tools_include {
                if !tools.contains(t) {
                    problems.push(format!("{t} is missing"));
                }
            }
            for t in &expect.tools_exclude {
                if tools.contains(t) {
                    problems.push(format!("{t} is listed but must not be"));
                }
            }
            let mut expected = Vec::new();
            if let Some(n) = expect.tools {
                expected.push(format!("{n} tools"));
            }
            if !expect.tools_include.is_empty() {
                expected.push(format!("including {}", expect.tools_include.join(", ")));
            }
            if !expect.tools_exclude.is_empty() {
                expected.push(format!("without {}", expect.tools_exclude.join(", ")));
            }
            checks.push(CheckResult::judge(
                "host.tools.listed",
                problems.is_empty(),
                if problems.is_empty() {
                    format!("connector {name:?} lists the expected tools")
                } else {
                    format!("connector {name:?}: {}", problems.join("; "))
                },
                expected.join(", "),
                format!("[{}]", tools.join(", ")),
            ));
        }
        if let Some(expected) = expect.signed_in {
            let last = c.connector.popups.last();
            let signed_in = last.is_some_and(|p| p.signed_in);
            checks.push(CheckResult::judge(
                "host.connector.login-session",
                signed_in == expected,
                format!(
                    "the popup for connector {name:?} {}",
                    if signed_in {
                        "showed the sign-in page"
                    } else {
                        "did not ask the user to sign in"
                    }
                ),
                if expected {
                    "the sign-in page"
                } else {
                    "straight to consent (the login session is still valid)"
                },
                match last {
                    None => "no popup opened".to_owned(),
                    Some(p) => format!(
                        "{} ({})",
                        if p.signed_in {
                            "signed in again"
                        } else {
                            "no sign-in"
                        },
                        p.outcome.describe()
                    ),
                },
            ));
        }
        if let Some(words) = &expect.instructions_contain {
            let instructions = c.instructions.clone().unwrap_or_default();
            let ok = !instructions.trim().is_empty() && contains(&instructions, words);
            checks.push(CheckResult::judge(
                "host.connector.instructions",
                ok,
                format!("instructions connector {name:?} received"),
                if words.is_empty() {
                    "non-empty instructions".to_owned()
                } else {
                    format!("instructions mentioning {words:?}")
                },
                if instructions.is_empty() {
                    "no instructions".to_owned()
                } else {
                    instructions.chars().take(200).collect()
                },
            ));
        }
        for check in checks {
            self.push(check, name, start);
        }
        if let Some(extra) = expect.host.get(&self.host.profile.id) {
            self.judge_connector(name, extra, start);
        }
    }

    fn judge_call_decision(
        &mut self,
        name: &str,
        call: &ToolCall,
        expect: &CallExpect,
        start: usize,
    ) {
        let tool = &call.tool;
        let mut checks = Vec::new();
        if let Some(expected) = expect.confirmation {
            checks.push(CheckResult::judge(
                "host.call.confirmation",
                call.decision.confirmation == expected,
                format!(
                    "the host {} before calling {tool}",
                    if call.decision.confirmation {
                        "asks the user"
                    } else {
                        "does not ask"
                    }
                ),
                if expected {
                    "asks for confirmation"
                } else {
                    "calls without asking"
                },
                format!(
                    "{} (annotations {})",
                    if call.decision.confirmation {
                        "asks"
                    } else {
                        "does not ask"
                    },
                    self.annotations(name, tool)
                ),
            ));
        }
        if let Some(expected) = expect.badge {
            checks.push(CheckResult::judge(
                "host.call.badge",
                call.decision.open_world_badge == expected,
                format!(
                    "the host {} the third-party badge on {tool}",
                    if call.decision.open_world_badge {
                        "shows"
                    } else {
                        "does not show"
                    }
                ),
                if expected { "badge shown" } else { "no badge" },
                format!(
                    "{} (annotations {})",
                    if call.decision.open_world_badge {
                        "badge shown"
                    } else {
                        "no badge"
                    },
                    self.annotations(name, tool)
                ),
            ));
        }
        if let Some(expected) = expect.as_task {
            checks.push(CheckResult::judge(
                "host.call.task",
                call.decision.as_task == expected,
                format!(
                    "the host calls {tool} {}",
                    if call.decision.as_task {
                        "as a task"
                    } else {
                        "directly"
                    }
                ),
                if expected {
                    "called as a task"
                } else {
                    "called directly"
                },
                if call.decision.as_task {
                    "called as a task"
                } else {
                    "called directly"
                },
            ));
        }
        for check in checks {
            self.push(check, name, start);
        }
    }

    /// The UI expectations of a finished call: a UI on a path this host renders, the resource behind
    /// it with that path's mime type, and content the model can read.
    async fn judge_ui(&mut self, name: &str, call: &ToolCall, expect: &CallExpect, start: usize) {
        let wanted = expect.ui.or_else(|| {
            expect
                .host
                .get(&self.host.profile.id)
                .and_then(|extra| extra.ui)
        });
        let Some(expected) = wanted else {
            return;
        };
        let host_name = self.host.profile.name.clone();
        let paths = self.host.profile.ui.paths.clone();
        let Some(c) = self.connectors.get_mut(name) else {
            return;
        };
        let tool = &call.tool;
        let declared = c.tool(tool).map(crate::host::ui_links).unwrap_or_default();
        let link = c.tool(tool).and_then(|t| c.ui_link(t));
        let path_name = |p: &crate::host::UiPath| match p {
            crate::host::UiPath::McpApps => "mcp-apps (_meta.ui.resourceUri)",
            crate::host::UiPath::OpenaiSkybridge => "openai-skybridge (openai/outputTemplate)",
        };
        let declared_names: Vec<&str> = declared.iter().map(|l| path_name(&l.path)).collect();
        let rendered: Vec<&str> = paths.iter().map(path_name).collect();
        let mut checks = vec![CheckResult::judge(
            "host.ui.path-supported",
            link.is_some() == expected,
            match (&link, declared.is_empty()) {
                (Some(l), _) => format!("{host_name} shows {tool}'s UI {}", l.uri),
                (None, true) => format!("{tool} declares no UI"),
                (None, false) => format!(
                    "{tool} has UI only on {}, which {host_name} does not render",
                    declared_names.join(", ")
                ),
            },
            if expected {
                format!(
                    "a UI on a path {host_name} renders: {}",
                    rendered.join(", ")
                )
            } else {
                format!("no UI {host_name} would show")
            },
            if declared.is_empty() {
                "no UI declared".to_owned()
            } else {
                format!("UI declared on {}", declared_names.join(", "))
            },
        )];
        if let Some(link) = link {
            let read = c.read_resource(&link.uri).await;
            let answer = read.as_ref().map_err(|outcome| {
                let (what, text) = describe_outcome(outcome);
                format!("{what}: {}", truncate(&text, 200))
            });
            checks.extend(crate::checks::ui::resource_read(
                &link.uri,
                &format!("{host_name} shows it for {tool}"),
                link.mime_type(),
                answer,
            ));
        }
        if let CallOutcome::Result(result) = &call.outcome {
            let texts: Vec<&str> = result["content"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|b| b["text"].as_str())
                .filter(|t| !t.trim().is_empty())
                .collect();
            checks.push(CheckResult::judge(
                "tools.call.content-with-ui",
                !texts.is_empty(),
                format!("what the model reads of {tool}'s result"),
                "a text block in content beside the UI's structuredContent",
                if texts.is_empty() {
                    format!("content {}", truncate(&result["content"].to_string(), 120))
                } else {
                    truncate(texts[0], 120)
                },
            ));
        }
        for check in checks {
            self.push(check, name, start);
        }
    }

    /// The tool-choice review of the named (or every connected) connector.
    fn review(
        &mut self,
        names: Option<&[String]>,
        requests: &[crate::scenario::model::SampleRequest],
        expect: &crate::scenario::model::ReviewExpect,
    ) {
        use crate::review;
        let reviewed: Vec<String> = match names {
            Some(names) => names.to_vec(),
            None => self
                .connectors
                .iter()
                .filter(|(_, c)| c.state.is_connected())
                .map(|(n, _)| n.clone())
                .collect(),
        };
        let mut checks: Vec<(String, CheckResult)> = Vec::new();
        let mut surfaces = Vec::new();
        for name in &reviewed {
            let Some(c) = self.connectors.get(name) else {
                continue;
            };
            let label = format!("connector {name:?}");
            if !c.state.is_connected() {
                checks.push((
                    name.clone(),
                    CheckResult::not_testable(
                        "review.tool.description",
                        format!("{label} is not connected: nothing to review"),
                    ),
                ));
                continue;
            }
            let tools = c.tools.clone();
            checks.push((name.clone(), review::descriptions(&label, &tools)));
            let pairs: Vec<(String, String)> = requests
                .iter()
                .map(|r| (r.ask.clone(), r.tool.clone()))
                .collect();
            checks.push((name.clone(), review::tools_read_apart(&label, &tools)));
            if !pairs.is_empty() {
                checks.push((
                    name.clone(),
                    review::requests_pick_their_tool(&label, &tools, &pairs),
                ));
            }
            checks.push((
                name.clone(),
                review::instructions(&label, c.instructions.as_deref(), &tools),
            ));
            checks.push((name.clone(), review::annotations(&label, &tools)));
            surfaces.push((name.clone(), tools));
        }
        if surfaces.len() > 1 {
            let first = surfaces[0].0.clone();
            checks.push((first, review::shared_names(&surfaces)));
        }
        for (_, check) in &mut checks {
            if matches!(check.status, Status::Fail | Status::Warn)
                && expect.findings.contains(&check.id)
            {
                // A finding the scenario sets out to provoke: reported, not held against the target.
                check.expected_failure = true;
            }
        }
        for id in &expect.findings {
            if !checks
                .iter()
                .any(|(_, c)| &c.id == id && c.expected_failure)
            {
                let connector = reviewed.first().cloned().unwrap_or_default();
                let mut missing = CheckResult::fail(
                    id,
                    format!("the review was expected to flag {id} and did not"),
                    format!("a {id} finding"),
                    "no such finding",
                );
                // The scenario's own expectation failed, whatever the check's usual severity.
                missing.status = Status::Fail;
                checks.push((connector, missing));
            }
        }
        for (connector, check) in checks {
            self.push(check, &connector, usize::MAX);
        }
    }

    fn annotations(&self, connector: &str, tool: &str) -> String {
        self.connectors
            .get(connector)
            .and_then(|c| c.tool(tool))
            .map(|t| t["annotations"].to_string())
            .unwrap_or_else(|| "unknown: the tool is not listed".into())
    }

    fn judge_call(&mut self, name: &str, call: &ToolCall, expect: &CallExpect, start: usize) {
        self.judge_call_only(name, call, expect, start);
        if let Some(extra) = expect.host.get(&self.host.profile.id) {
            self.judge_call_only(name, call, extra, start);
        }
    }

    fn judge_call_only(&mut self, name: &str, call: &ToolCall, expect: &CallExpect, start: usize) {
        self.judge_call_decision(name, call, expect, start);
        let tool = &call.tool;
        let mut checks = Vec::new();
        if let Some(expected) = &expect.task_status {
            let last = call.task_statuses.last().cloned().unwrap_or_default();
            checks.push(CheckResult::judge(
                "host.call.task",
                &last == expected,
                format!("the task of {tool} after {} polls", call.polls),
                format!("status {expected}"),
                if call.task_statuses.is_empty() {
                    "no task was created".to_owned()
                } else {
                    format!("statuses {}", call.task_statuses.join(" → "))
                },
            ));
        }
        let (actual, text) = describe_outcome(&call.outcome);
        if let Some(expected) = expect.outcome {
            let ok = matches!(
                (expected, &call.outcome),
                (OutcomeExpect::Result, CallOutcome::Result(r)) if r["isError"] != true
            ) || matches!(
                (expected, &call.outcome),
                (OutcomeExpect::ErrorResult, CallOutcome::Result(r)) if r["isError"] == true
            ) || matches!(
                (expected, &call.outcome),
                (OutcomeExpect::ProtocolError, CallOutcome::ProtocolError(_))
                    | (OutcomeExpect::Refused, CallOutcome::Refused { .. })
                    | (
                        OutcomeExpect::Disconnected,
                        CallOutcome::Disconnected { .. }
                    )
                    | (OutcomeExpect::GaveUp, CallOutcome::GaveUp { .. })
            );
            let expected_name = match expected {
                OutcomeExpect::Result => "a tool result",
                OutcomeExpect::ErrorResult => "a tool result with isError",
                OutcomeExpect::ProtocolError => "a JSON-RPC error",
                OutcomeExpect::Refused => "refused (HTTP)",
                OutcomeExpect::Disconnected => "disconnected (authorization lost)",
                OutcomeExpect::GaveUp => "the host gives up at its timeout",
            };
            checks.push(CheckResult::judge(
                "host.call.outcome",
                ok,
                format!("calling {tool} ended in {actual}"),
                expected_name,
                format!("{actual}: {}", truncate(&text, 300)),
            ));
        }
        if let Some(expected) = expect.poll_interval {
            checks.push(CheckResult::judge(
                "host.call.task",
                call.poll_interval_ms.is_some() == expected,
                format!("the task of {tool} was polled after {} polls", call.polls),
                "a pollInterval from the server, which the host follows",
                match call.poll_interval_ms {
                    Some(ms) => format!("pollInterval {ms} ms"),
                    None if call.task_id.is_none() => "no task was created".to_owned(),
                    None => "no pollInterval: the host paced itself (1000 ms)".to_owned(),
                },
            ));
        }
        if let Some(expected) = expect.related_task {
            let seen = call.related_task_meta == Some(true);
            checks.push(CheckResult::judge(
                "host.call.task",
                seen == expected,
                format!("the result of {tool}'s task"),
                "tasks/result with _meta io.modelcontextprotocol/related-task naming the task",
                match call.related_task_meta {
                    Some(true) => "the related-task _meta names the task".to_owned(),
                    Some(false) => "no related-task _meta naming the task".to_owned(),
                    None => "no tasks/result was fetched".to_owned(),
                },
            ));
        }
        if let Some(expected) = expect.refreshed {
            checks.push(CheckResult::judge(
                "host.session.refreshed",
                call.refreshed == expected,
                format!(
                    "calling {tool} {} the access token",
                    if call.refreshed {
                        "refreshed"
                    } else {
                        "did not refresh"
                    }
                ),
                if expected {
                    "a silent refresh, then the call"
                } else {
                    "no refresh"
                },
                format!(
                    "{}; the call ended in {actual}",
                    if call.refreshed {
                        "refreshed"
                    } else {
                        "no refresh"
                    }
                ),
            ));
        }
        if let Some(words) = &expect.reason_contains {
            checks.push(CheckResult::judge(
                "host.call.outcome",
                contains(&text, words),
                format!("what the host tells the user about {tool}"),
                format!("mentions {words:?}"),
                truncate(&text, 300),
            ));
        }
        for check in checks {
            self.push(check, name, start);
        }
    }
}

fn describe_outcome(outcome: &CallOutcome) -> (&'static str, String) {
    match outcome {
        CallOutcome::Result(r) if r["isError"] == true => {
            ("a tool result with isError", r.to_string())
        }
        CallOutcome::Result(r) => ("a tool result", r.to_string()),
        CallOutcome::ProtocolError(e) => ("a JSON-RPC error", e.to_string()),
        CallOutcome::Refused { status, reason } => ("refused", format!("HTTP {status}: {reason}")),
        CallOutcome::Disconnected { reason } => ("disconnected", reason.clone()),
        CallOutcome::GaveUp { after } => (
            "the host gave up",
            format!(
                "no result within the host's {} ms tool timeout",
                after.as_millis()
            ),
        ),
    }
}

fn contains(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

// ---------------------------------------------------------------- UI rendering

const UI_CHECKS: [&str; 3] = [
    "host.ui.renders",
    "host.ui.handshake",
    "host.ui.csp-respected",
];

/// A file-name-safe form of `s`.
fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

impl Trial<'_> {
    /// The model calls each tool with a UI; the host renders every result on each path it renders.
    async fn render_ui(
        &mut self,
        name: &str,
        tool: Option<&str>,
        arguments: Option<&toml::Table>,
    ) -> Result<(), String> {
        let scenario = self.scenario.id.clone();
        let c = self.connector(name)?;
        let profile = Arc::clone(&c.host.profile);
        let mut checks = Vec::new();
        if profile.ui.paths.is_empty() {
            for id in UI_CHECKS {
                checks.push(CheckResult::not_applicable(
                    id,
                    format!(
                        "{} renders no UI (its profile lists no UI path)",
                        profile.name
                    ),
                ));
            }
            self.checks.extend(checks);
            return Ok(());
        }
        let made_up = |t: &Value| {
            crate::sweep::sample_arguments(&t["inputSchema"]).unwrap_or_else(|| json!({}))
        };
        let targets: Vec<(String, Value)> = match tool {
            Some(t) => {
                let given = arguments.map(|a| serde_json::to_value(a).unwrap_or(Value::Null));
                let args = given.unwrap_or_else(|| c.tool(t).map(made_up).unwrap_or(json!({})));
                vec![(t.to_owned(), args)]
            }
            // Only tools the host may call without asking: a render must not change anything.
            None => c
                .tools
                .iter()
                .filter(|t| t["annotations"]["readOnlyHint"] == true && !c.ui_paths(t).is_empty())
                .map(|t| {
                    (
                        t["name"].as_str().unwrap_or_default().to_owned(),
                        made_up(t),
                    )
                })
                .collect(),
        };
        if targets.is_empty() {
            for id in UI_CHECKS {
                checks.push(CheckResult::not_applicable(
                    id,
                    format!("no read-only tool offers a UI {} renders", profile.name),
                ));
            }
        }
        for (tool, args) in targets {
            let Some(listed) = c.tool(&tool).cloned() else {
                checks.push(CheckResult::not_testable(
                    "host.ui.renders",
                    format!("{tool} is not listed"),
                ));
                continue;
            };
            if c.ui_paths(&listed).is_empty() {
                for id in UI_CHECKS {
                    checks.push(CheckResult::not_applicable(
                        id,
                        format!("{tool} offers no UI path {} renders", profile.name),
                    ));
                }
                continue;
            }
            let call = c.call_tool(&tool, args.clone()).await;
            let result = match &call.outcome {
                CallOutcome::Result(r) => r.clone(),
                other => {
                    let (actual, text) = describe_outcome(other);
                    checks.push(CheckResult::not_testable(
                        "host.ui.renders",
                        format!("calling {tool} ended in {actual}: {}", truncate(&text, 200)),
                    ));
                    continue;
                }
            };
            for render in c.render_ui(&tool, &args, &result).await {
                checks.extend(judge_render(&profile, &scenario, &render));
            }
        }
        self.checks.extend(checks);
        Ok(())
    }
}

/// The verdicts of one render: it rendered, its handshake (MCP Apps), its CSP.
fn judge_render(
    profile: &HostProfile,
    scenario: &str,
    render: &crate::host::UiRender,
) -> Vec<CheckResult> {
    use crate::host::{UiPath, UiRenderOutcome};
    let host = &profile.name;
    let tool = &render.tool;
    let path = render.path.describe();
    let default_note = if render.preferred && profile.ui.paths.len() > 1 {
        format!(" (the path {host} shows by default)")
    } else {
        String::new()
    };
    let mut checks = Vec::new();
    match &render.outcome {
        UiRenderOutcome::Unavailable {
            reason,
            browser_failed,
        } => {
            for id in UI_CHECKS {
                checks.push(if *browser_failed {
                    CheckResult::error(id, reason.clone())
                } else {
                    CheckResult::skip(id, reason.clone())
                });
            }
        }
        UiRenderOutcome::Refused { uri, reason } => {
            checks.push(CheckResult::fail(
                "host.ui.renders",
                format!("{host} does not render {tool} through {path}{default_note}: {reason}"),
                format!("{uri} served as {}", render.path.mime_type()),
                reason.clone(),
            ));
            for id in &UI_CHECKS[1..] {
                if *id == "host.ui.handshake" && render.path != UiPath::McpApps {
                    continue;
                }
                checks.push(CheckResult::not_testable(
                    id,
                    format!("{host} did not render {tool} through {path}"),
                ));
            }
        }
        UiRenderOutcome::Rendered(record) => {
            let mut problems = Vec::new();
            if !record.loaded {
                problems.push("the view never finished loading in its frame".to_owned());
            }
            if record.text.is_empty() {
                problems.push("the view showed no text".to_owned());
            }
            for e in &record.uncaught_errors {
                problems.push(format!("uncaught error: {e}"));
            }
            let mut evidence = vec![format!(
                "{} ({}), rendered in {} ms{}; visible text: {}",
                record.uri,
                record.mime_type,
                record.elapsed_ms,
                if record.timed_out {
                    ", still changing at the deadline"
                } else {
                    ""
                },
                if record.text.is_empty() {
                    "(none)".to_owned()
                } else {
                    format!("{:?}", truncate(&record.text, 300))
                }
            )];
            evidence.extend(
                record
                    .uncaught_errors
                    .iter()
                    .map(|e| format!("uncaught error: {e}")),
            );
            evidence.extend(
                record
                    .console_errors
                    .iter()
                    .map(|e| format!("console.error: {e}")),
            );
            evidence.extend(
                record
                    .csp_violations
                    .iter()
                    .map(|v| format!("CSP blocked {} ({})", v.blocked_uri, v.directive)),
            );
            let mut renders = CheckResult::judge(
                "host.ui.renders",
                problems.is_empty(),
                format!("{host} renders {tool} through {path}{default_note}"),
                "the view loads in its sandboxed frame, shows content and raises no uncaught error",
                if problems.is_empty() {
                    format!(
                        "loaded and showed \"{}\"",
                        truncate(&record.text.replace('\n', " / "), 120)
                    )
                } else {
                    problems.join("; ")
                },
            );
            renders.evidence = evidence;
            if !record.png.is_empty() {
                renders.screenshot = Some(crate::checks::verdict::Screenshot {
                    file: format!(
                        "screenshots/{}-{}-{}-{}.png",
                        slug(&profile.id),
                        slug(scenario),
                        slug(tool),
                        render.path.as_str()
                    ),
                    caption: format!("{host} · {tool} · {path}"),
                    png: record.png.clone(),
                });
            }
            checks.push(renders);
            if let Some(h) = &record.handshake {
                let mark = |b: bool| if b { "yes" } else { "no" };
                let mut check = CheckResult::judge(
                    "host.ui.handshake",
                    h.initialize && h.initialized && h.delivered,
                    format!("the {tool} view's handshake with {host} ({path})"),
                    "ui/initialize answered, then ui/notifications/initialized, then tool-input and tool-result sent",
                    format!(
                        "ui/initialize: {}, initialized: {}, input and result sent: {}{}",
                        mark(h.initialize),
                        mark(h.initialized),
                        mark(h.delivered),
                        if record.loaded { "" } else { " (the view never loaded)" }
                    ),
                );
                check.evidence.push(if h.methods.is_empty() {
                    "the view sent the host no message".to_owned()
                } else {
                    format!("the view sent: {}", h.methods.join(", "))
                });
                checks.push(check);
            }
            let mut csp = CheckResult::judge(
                "host.ui.csp-respected",
                record.csp_violations.is_empty(),
                format!(
                    "the {tool} view on {host} ({path}) made {} request(s) its CSP blocks",
                    record.csp_violations.len()
                ),
                "no request outside the declared domains",
                if record.csp_violations.is_empty() {
                    "none blocked".to_owned()
                } else {
                    record
                        .csp_violations
                        .iter()
                        .map(|v| format!("{} ({})", v.blocked_uri, v.directive))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            );
            csp.evidence = record
                .csp_violations
                .iter()
                .map(|v| format!("CSP blocked {} ({})", v.blocked_uri, v.directive))
                .collect();
            csp.evidence.push(format!("policy: {}", record.csp));
            if !record.csp_rejected.is_empty() {
                csp.evidence.push(format!(
                    "declared entries that are not CSP sources, left out: {}",
                    record.csp_rejected.join(", ")
                ));
            }
            checks.push(csp);
        }
    }
    checks
}
