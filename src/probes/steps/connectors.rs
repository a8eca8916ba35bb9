//! Connector steps: add, list again, reconnect, and the tool-choice review's view of the connectors.

use std::sync::Arc;

use super::Trial;
use crate::evidence::step::{ReviewedConnector, StepEvidence};
use crate::scenario::refs::{EndpointRef, LoginRef};

impl Trial<'_> {
    pub(super) async fn add_connector(
        &mut self,
        name: &str,
        endpoint: &EndpointRef,
        login: &LoginRef,
        popup_outside_click: bool,
    ) -> Result<StepEvidence, String> {
        let url = self.instance.endpoint(endpoint)?;
        let login = self.instance.login(login).await?;
        let mut host = self.host.clone();
        if popup_outside_click {
            let mut profile = (*host.profile).clone();
            profile.auth.popup_from_click = false;
            host.profile = Arc::new(profile);
        }
        let c = host
            .add_connector(&url, login)
            .await
            .map_err(|e| e.to_string())?;
        self.connectors.insert(name.to_owned(), c);
        self.record_surface(&endpoint.to_string(), name);
        Ok(StepEvidence::Connector(self.connector_view(name, 0)?))
    }

    pub(super) async fn list_tools(&mut self, name: &str) -> Result<StepEvidence, String> {
        let start = self.transcript_len(name)?;
        // A failure shows in the connector's state, which the expectations judge.
        let _ = self.connector(name)?.refresh_tools().await;
        Ok(StepEvidence::Connector(self.connector_view(name, start)?))
    }

    pub(super) async fn reconnect(&mut self, name: &str) -> Result<StepEvidence, String> {
        let start = self.transcript_len(name)?;
        self.connector(name)?.reconnect().await;
        Ok(StepEvidence::Connector(self.connector_view(name, start)?))
    }

    /// The named connectors (or every connected one) as the review sees them.
    pub(super) fn review(&self, names: Option<&[String]>) -> StepEvidence {
        let chosen: Vec<&String> = match names {
            Some(names) => names.iter().collect(),
            None => self
                .connectors
                .iter()
                .filter(|(_, c)| c.state.is_connected())
                .map(|(n, _)| n)
                .collect(),
        };
        StepEvidence::Review(
            chosen
                .into_iter()
                .filter_map(|name| {
                    self.connectors.get(name).map(|c| ReviewedConnector {
                        name: name.clone(),
                        connected: c.state.is_connected(),
                        tools: c.tools.clone(),
                        instructions: c.instructions.clone(),
                    })
                })
                .collect(),
        )
    }
}
