//! Call steps: call a tool (to its end, or leaving its task running), wait for, cancel or read a task,
//! call with another connector's token, and present a replaced refresh token again.

use serde_json::{json, Value};

use super::{StepError, Trial};
use crate::evidence::step::{StepEvidence, UiView};
use crate::evidence::sweep::RefreshReplay;
use crate::host::ToolCall;
use crate::ui::ui_links;

impl Trial<'_> {
    #[allow(clippy::too_many_arguments, reason = "the call-tool step's own fields")]
    pub(super) async fn call_tool(
        &mut self,
        name: &str,
        tool: &str,
        arguments: Option<&toml::Table>,
        wait: bool,
        task: Option<bool>,
        token_from: Option<&str>,
        wants_ui: bool,
    ) -> Result<StepEvidence, StepError> {
        let listed = self
            .connectors
            .get(name)
            .and_then(|c| c.tool(tool).cloned())
            .unwrap_or_else(|| json!({ "name": tool }));
        // Never a call the target file does not allow (destructive or unmarked tools on a deployment).
        if !self.instance.may_call(&listed) {
            return Err(StepError::Unavailable(self.instance.call_refusal(&listed)));
        }
        let arguments = match arguments {
            Some(t) => serde_json::to_value(t).unwrap_or(Value::Null),
            None => self.instance.arguments(&listed).ok_or_else(|| {
                StepError::Unavailable(format!(
                    "no arguments for {tool}: its inputSchema asks for values the run cannot make up; give them in the target file's [arguments.{tool}]"
                ))
            })?,
        };
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
        let start = self.transcript_len(name)?;
        let c = self.connector(name)?;
        if let Some(bearer) = foreign {
            let call = c.call_with_bearer(tool, arguments, &bearer).await;
            return Ok(self.finished(name, call, start, false).await);
        }
        match c.start_call(tool, arguments, task).await {
            Ok(pending) if wait => {
                let call = c.finish_call(pending).await;
                Ok(self.finished(name, call, start, wants_ui).await)
            }
            Ok(pending) => {
                let call = pending.call.clone();
                self.pending.insert(name.to_owned(), pending);
                Ok(StepEvidence::Started(self.call_view(name, call, start)))
            }
            Err(call) => Ok(self.finished(name, call, start, wants_ui).await),
        }
    }

    /// A finished call's evidence, with the UI the host would show when the step judges it.
    async fn finished(
        &mut self,
        name: &str,
        call: ToolCall,
        start: usize,
        wants_ui: bool,
    ) -> StepEvidence {
        let ui = if wants_ui {
            self.ui_view(name, &call.tool).await
        } else {
            None
        };
        StepEvidence::Call {
            view: self.call_view(name, call, start),
            ui,
        }
    }

    /// The UI this host would show for `tool`, and `resources/read` of it.
    async fn ui_view(&mut self, name: &str, tool: &str) -> Option<UiView> {
        let c = self.connectors.get_mut(name)?;
        let listed = c.tool(tool).cloned();
        let shown = listed.as_ref().and_then(|t| c.ui_link(t));
        let read = match &shown {
            None => None,
            Some(link) => Some(c.read_resource(&link.uri).await.map_err(|outcome| {
                let (what, text) = crate::checks::calls::describe_outcome(&outcome);
                format!("{what}: {}", crate::checks::verdict::truncate(&text, 200))
            })),
        };
        Some(UiView {
            host_name: c.host.profile.name.clone(),
            declared: listed.as_ref().map(ui_links).unwrap_or_default(),
            rendered: c.host.profile.ui.paths.clone(),
            shown,
            read,
        })
    }

    pub(super) async fn wait_task(&mut self, name: &str) -> Result<StepEvidence, String> {
        let pending = self.pending.remove(name).ok_or_else(|| {
            format!("no task is running on connector {name:?} (call-tool with wait = false first)")
        })?;
        let start = self.transcript_len(name)?;
        let call = self.connector(name)?.finish_call(pending).await;
        Ok(self.finished(name, call, start, false).await)
    }

    pub(super) async fn cancel_task(&mut self, name: &str) -> Result<StepEvidence, String> {
        let c = self.connector(name)?;
        let task_id = c
            .last_task
            .clone()
            .ok_or_else(|| format!("connector {name:?} has started no task to cancel"))?;
        let start = self.transcript_len(name)?;
        let call = self.connector(name)?.cancel_task(&task_id).await;
        Ok(self.finished(name, call, start, false).await)
    }

    pub(super) async fn read_task(
        &mut self,
        name: &str,
        task_of: &str,
    ) -> Result<StepEvidence, String> {
        let task_id = self
            .connector(task_of)?
            .last_task
            .clone()
            .ok_or_else(|| format!("connector {task_of:?} has started no task"))?;
        let start = self.transcript_len(name)?;
        let call = self.connector(name)?.read_task(&task_id).await;
        Ok(self.finished(name, call, start, false).await)
    }

    pub(super) async fn replay_refresh(&mut self, name: &str) -> Result<StepEvidence, String> {
        let c = self.connector(name)?;
        let old = c.connector.replaced_refresh_token.clone().ok_or_else(|| {
            format!(
                "connector {name:?} has not refreshed its token: no old refresh token to present"
            )
        })?;
        let replayed = c
            .connector
            .present_refresh_token(&old)
            .await
            .map_err(|e| e.to_string());
        Ok(StepEvidence::RefreshReplay {
            connector: name.to_owned(),
            replay: RefreshReplay { replayed },
        })
    }
}
