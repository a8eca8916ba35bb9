//! The `render-ui` step: the model calls each tool with a UI and the host renders every result on each
//! path its profile renders (`crate::host::ui`), in the run's browser.

use serde_json::{json, Value};

use super::Trial;
use crate::checks::calls::describe_outcome;
use crate::checks::verdict::truncate;
use crate::evidence::step::{RenderAttempt, StepEvidence};
use crate::host::CallOutcome;

impl Trial<'_> {
    pub(super) async fn render_ui(
        &mut self,
        name: &str,
        tool: Option<&str>,
        arguments: Option<&toml::Table>,
    ) -> Result<StepEvidence, String> {
        let instance = self.instance;
        let c = self.connector(name)?;
        let profile = c.host.profile.clone();
        if profile.ui.paths.is_empty() {
            return Ok(StepEvidence::Renders(vec![RenderAttempt::NotApplicable(
                format!(
                    "{} renders no UI (its profile lists no UI path)",
                    profile.name
                ),
            )]));
        }
        let made_up = |t: &Value| instance.arguments(t).unwrap_or_else(|| json!({}));
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
                .filter(|t| {
                    t["annotations"]["readOnlyHint"] == true
                        && instance.may_call(t)
                        && !c.ui_paths(t).is_empty()
                })
                .map(|t| {
                    (
                        t["name"].as_str().unwrap_or_default().to_owned(),
                        made_up(t),
                    )
                })
                .collect(),
        };
        if targets.is_empty() {
            return Ok(StepEvidence::Renders(vec![RenderAttempt::NotApplicable(
                format!("no read-only tool offers a UI {} renders", profile.name),
            )]));
        }
        let mut attempts = Vec::new();
        for (tool, args) in targets {
            let Some(listed) = c.tool(&tool).cloned() else {
                attempts.push(RenderAttempt::NotTestable(format!("{tool} is not listed")));
                continue;
            };
            if c.ui_paths(&listed).is_empty() {
                attempts.push(RenderAttempt::NotApplicable(format!(
                    "{tool} offers no UI path {} renders",
                    profile.name
                )));
                continue;
            }
            let call = c.call_tool(&tool, args.clone()).await;
            let result = match &call.outcome {
                CallOutcome::Result(r) => r.clone(),
                other => {
                    let (actual, text) = describe_outcome(other);
                    attempts.push(RenderAttempt::NotTestable(format!(
                        "calling {tool} ended in {actual}: {}",
                        truncate(&text, 200)
                    )));
                    continue;
                }
            };
            for render in c.render_ui(&tool, &args, &result).await {
                attempts.push(RenderAttempt::Rendered(render));
            }
        }
        Ok(StepEvidence::Renders(attempts))
    }
}
