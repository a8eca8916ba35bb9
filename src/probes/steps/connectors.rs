//! Connector steps: add, list again, reconnect, and the tool-choice review's view of the connectors.

use std::sync::Arc;

use super::{StepError, Trial};
use crate::evidence::step::{ReviewedConnector, StepEvidence};
use crate::host::Login;
use crate::scenario::model::SampleRequest;
use crate::scenario::refs::{EndpointRef, EndpointSlot, LoginRef, Role};

impl Trial<'_> {
    pub(super) async fn add_connector(
        &mut self,
        name: &str,
        endpoint: &EndpointRef,
        login: &LoginRef,
        popup_outside_click: bool,
    ) -> Result<StepEvidence, StepError> {
        let url = self.instance.endpoint(endpoint)?;
        let login = match login {
            LoginRef::MintedKey => self.mint_key().await?,
            other => self.instance.login(other)?,
        };
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

    /// A key minted for this scenario on the project under test, for production, created by the
    /// member (so it carries a member's scopes).
    async fn mint_key(&mut self) -> Result<Login, StepError> {
        let control = self.instance.control.as_ref().ok_or_else(|| {
            StepError::Unavailable(
                "minting an API key needs server control, and the target file names none".into(),
            )
        })?;
        let project = self
            .instance
            .project_id(EndpointSlot::Production)
            .ok_or_else(|| {
                StepError::Unavailable(
                    "the production endpoint's URL does not name its organization and project"
                        .into(),
                )
            })?;
        let creator = self
            .instance
            .credentials(Role::Member)
            .map(|c| c.email.clone());
        let (name, key) = control
            .mint_api_key(&project, creator.as_deref(), &["production"])
            .await?;
        self.host.net.secrets.remember(&key);
        self.minted = Some((project, name));
        Ok(Login::Bearer(key))
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

    /// The named connectors (or every connected one) as the review sees them, with the target's
    /// own sample requests when the step asks for them.
    pub(super) fn review(&self, names: Option<&[String]>, target_requests: bool) -> StepEvidence {
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
                        requests: if target_requests {
                            self.target_requests(&c.tools)
                        } else {
                            Vec::new()
                        },
                    })
                })
                .collect(),
        )
    }

    /// The target file's sample requests for the tools this connector lists, else one per tool made
    /// from its title and the first sentence of its description (what a user would say to get it).
    fn target_requests(&self, tools: &[serde_json::Value]) -> Vec<SampleRequest> {
        let listed = |name: &str| tools.iter().any(|t| t["name"] == name);
        let given: Vec<SampleRequest> = self
            .instance
            .file
            .review
            .requests
            .iter()
            .filter(|r| listed(&r.tool))
            .cloned()
            .collect();
        if !given.is_empty() {
            return given;
        }
        tools
            .iter()
            .filter_map(|t| {
                let name = t["name"].as_str()?;
                let title = t["title"]
                    .as_str()
                    .or(t["annotations"]["title"].as_str())
                    .unwrap_or(name);
                let description = t["description"].as_str().unwrap_or_default();
                let first = description.split(". ").next().unwrap_or_default();
                Some(SampleRequest {
                    ask: format!("{title}: {first}"),
                    tool: name.to_owned(),
                })
            })
            .collect()
    }
}
