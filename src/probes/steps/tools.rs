//! Tools chosen by what they declare (`tool = { task = "required" }`), resolved against the tools the
//! trial's connectors listed: the first listed tool that matches, once per trial, so an edit that
//! changes a tool's hints later does not move the choice. A target without such a tool makes the
//! rest of the scenario n/a, with the selector in words.

use serde_json::Value;

use super::{StepError, Trial};
use crate::scenario::model::ConnectorExpect;
use crate::scenario::refs::{EndpointSlot, ToolRef, ToolSelector};
use crate::scenario::Step;

/// The name of a resolved tool reference.
pub(super) fn named(tool: &ToolRef) -> String {
    match tool {
        ToolRef::Named(name) => name.clone(),
        // `resolve_for_action` names every tool before a step runs.
        ToolRef::Select(selector) => format!("<unresolved: {selector}>"),
    }
}

impl Trial<'_> {
    /// The step with the tools it acts on named (chosen from `connector`'s listing, or the first
    /// connector's for server-control steps).
    pub(super) fn resolve_for_action(&mut self, step: &Step) -> Result<Step, StepError> {
        let mut step = step.clone();
        match &mut step {
            Step::CallTool {
                connector, tool, ..
            } => {
                let c = connector.clone();
                self.resolve(tool, Some(&c))?;
            }
            Step::RenderUi {
                connector,
                tool: Some(tool),
                ..
            } => {
                let c = connector.clone();
                self.resolve(tool, Some(&c))?;
            }
            Step::EditTool { tool, .. } | Step::SetToolBehaviour { tool, .. } => {
                self.resolve(tool, None)?;
            }
            _ => {}
        }
        Ok(step)
    }

    /// The step with the tools its expectations name resolved (after it ran, so an `add-connector`
    /// can name tools of its own listing).
    pub(super) fn resolve_for_judging(&mut self, step: &Step) -> Result<Step, StepError> {
        let mut step = step.clone();
        let connector = match &step {
            Step::AddConnector { connector, .. }
            | Step::ListTools { connector, .. }
            | Step::ExpectConnector { connector, .. }
            | Step::Reconnect { connector, .. } => Some(connector.clone()),
            _ => None,
        };
        if let Some(connector) = connector {
            if let Step::AddConnector { expect, .. }
            | Step::ListTools { expect, .. }
            | Step::ExpectConnector { expect, .. }
            | Step::Reconnect { expect, .. } = &mut step
            {
                self.resolve_expect(expect, &connector)?;
            }
        }
        Ok(step)
    }

    fn resolve_expect(
        &mut self,
        expect: &mut ConnectorExpect,
        connector: &str,
    ) -> Result<(), StepError> {
        // A connector that lists nothing (it failed to add) leaves the tools unchosen: the tools
        // expectation then fails beside the state one, instead of the scenario turning n/a.
        let listed = self
            .connectors
            .get(connector)
            .is_some_and(|c| !c.tools.is_empty());
        for tool in expect
            .tools_include
            .iter_mut()
            .chain(expect.tools_exclude.iter_mut())
        {
            match self.resolve(tool, Some(connector)) {
                Err(StepError::NotApplicable(_)) if !listed => {}
                other => other?,
            }
        }
        for per_host in expect.host.values_mut() {
            self.resolve_expect(per_host, connector)?;
        }
        Ok(())
    }

    /// Names `tool` in place.
    fn resolve(&mut self, tool: &mut ToolRef, connector: Option<&str>) -> Result<(), StepError> {
        let ToolRef::Select(selector) = tool else {
            return Ok(());
        };
        if let Some(name) = self.chosen.get(selector) {
            *tool = ToolRef::Named(name.clone());
            return Ok(());
        }
        // What the target file states is about the project under test: its production and draft.
        let ours = |url: &str| {
            [EndpointSlot::Production, EndpointSlot::Draft]
                .into_iter()
                .any(|slot| self.instance.file.endpoints.get(slot) == Some(url))
        };
        let on_target = match connector {
            Some(name) => self.connectors.get(name).is_some_and(|c| ours(&c.url)),
            None => true,
        };
        let empty = std::collections::BTreeMap::new();
        let stated = if on_target {
            &self.instance.file.tools
        } else {
            &empty
        };
        let name = if selector.draft_only.is_some() {
            // The target file's word first: which tool is only on the draft.
            match stated
                .iter()
                .find(|(_, declares)| selector.stated_by(declares))
            {
                Some((name, _)) => Some(name.clone()),
                None => self
                    .candidates(selector, connector)?
                    .iter()
                    .find(|t| selector.matches(t))
                    .and_then(|t| t["name"].as_str())
                    .map(String::from),
            }
        } else {
            // In listing order; what the target file states of a tool overrides what the server
            // declares, so wrong hints are caught instead of followed.
            let listed = self.candidates(selector, connector)?;
            listed
                .iter()
                .find(|t| {
                    let stated = t["name"].as_str().and_then(|n| stated.get(n));
                    selector.matches_stated(t, stated)
                })
                .and_then(|t| t["name"].as_str())
                .map(String::from)
                // A stated tool the connector does not list: its expectation fails, as it should.
                .or_else(|| {
                    stated
                        .iter()
                        .find(|(_, declares)| selector.stated_by(declares))
                        .map(|(name, _)| name.clone())
                })
        };
        let name = name.ok_or_else(|| {
            StepError::NotApplicable(format!("the target lists no tool {}", selector.predicate()))
        })?;
        self.chosen.insert(selector.clone(), name.clone());
        *tool = ToolRef::Named(name);
        Ok(())
    }

    /// The listed tools a selector chooses from.
    fn candidates(
        &self,
        selector: &ToolSelector,
        connector: Option<&str>,
    ) -> Result<Vec<Value>, StepError> {
        let on = |slot: EndpointSlot| -> Vec<&Value> {
            let url = self.instance.file.endpoints.get(slot);
            self.connectors
                .values()
                .filter(|c| Some(c.url.as_str()) == url)
                .flat_map(|c| c.tools.iter())
                .collect()
        };
        if let Some(draft_only) = selector.draft_only {
            let draft = on(EndpointSlot::Draft);
            let production = on(EndpointSlot::Production);
            if draft.is_empty() || production.is_empty() {
                return Err(StepError::Harness(
                    "`draft_only` chooses among tools listed on the draft and on production: add a connector to each first".into(),
                ));
            }
            let on_production = |t: &Value| production.iter().any(|p| p["name"] == t["name"]);
            return Ok(draft
                .into_iter()
                .filter(|t| on_production(t) != draft_only)
                .cloned()
                .collect());
        }
        let listed = match connector {
            Some(name) => self.connectors.get(name).map(|c| c.tools.clone()),
            // Server-control steps choose from the main connector, else the first one added.
            None => self
                .connectors
                .get("main")
                .or_else(|| self.connectors.values().next())
                .map(|c| c.tools.clone()),
        };
        listed.ok_or_else(|| {
            StepError::Harness(
                "a tool is chosen by what it declares from a connector's tools/list: add a connector first".into(),
            )
        })
    }
}
