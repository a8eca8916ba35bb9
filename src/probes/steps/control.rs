//! Server-control steps, through the target's control adapter (`crate::target::control`). Where a
//! deployment offers no control, what any host can do itself stands in, and says so in the step's
//! definition: revoking a grant is the host revoking its own through the authorization server's
//! RFC 7009 endpoint (what "Authorized apps" revocation looks like from the host's side); expiring
//! tokens is the host's access token running out (the next request refreshes first), and with the
//! refresh token gone too, the host's own grant revoked.

use serde_json::{json, Value};

use super::{StepError, Trial};
use crate::scenario::model::Visibility;
use crate::scenario::refs::{EndpointSlot, UserRef};
use crate::scenario::Step;
use crate::target::Control;

impl Trial<'_> {
    fn control_adapter(&self, what: &str) -> Result<&Control, StepError> {
        self.instance.control.as_ref().ok_or_else(|| {
            StepError::Unavailable(format!(
                "{what} needs server control, and the target file names none"
            ))
        })
    }

    /// Does a server-control step.
    pub(super) async fn control(&mut self, step: &Step) -> Result<(), StepError> {
        match step {
            Step::RevokeGrant { connector } => self.revoke_grant(connector).await?,
            Step::RevokeApiKey {} => {
                let (project, name) = self.minted.clone().ok_or_else(|| {
                    StepError::Harness(
                        "revoke-api-key revokes the key minted for the scenario: add a connector as api-key:minted first".into(),
                    )
                })?;
                self.control_adapter("revoking an API key")?
                    .revoke_api_key(&project, &name)
                    .await?;
            }
            Step::RemoveMember { user } => {
                let control = self.control_adapter("removing a member")?;
                let email = self.instance.user_email(user)?;
                let org = self.org()?;
                control.remove_member(&org, &email).await?;
            }
            Step::SetRole { user, role } => {
                let control = self.control_adapter("changing a role")?;
                let email = self.instance.user_email(user)?;
                let org = self.org()?;
                let name = self.instance.org_role(*role)?;
                control.set_role(&org, &email, name).await?;
            }
            Step::SetVisibility {
                project,
                visibility,
            } => {
                let project = self.instance.project(project)?;
                let visibility = match visibility {
                    Visibility::Public => "public",
                    Visibility::Private => "private",
                };
                self.control_adapter("changing the visibility")?
                    .set_visibility(&project, visibility)
                    .await?;
            }
            Step::Publish { project } => {
                let project = self.instance.project(project)?;
                self.control_adapter("publishing")?
                    .publish(&project)
                    .await?;
            }
            Step::SetInstructions {
                project,
                instructions,
            } => {
                let project = self.instance.project(project)?;
                self.control_adapter("editing the instructions")?
                    .set_instructions(&project, instructions.as_deref())
                    .await?;
            }
            Step::EditTool {
                project,
                tool,
                description,
                annotations,
            } => {
                let project = self.instance.project(project)?;
                let mut edit = json!({});
                if let Some(d) = description {
                    edit["description"] = json!(d);
                }
                if let Some(a) = annotations {
                    edit["annotations"] = serde_json::to_value(a).unwrap_or(Value::Null);
                }
                self.control_adapter("editing a tool")?
                    .edit_tool(&project, &super::tools::named(tool), edit)
                    .await?;
            }
            Step::ExpireTokens {
                user,
                refresh_tokens,
            } => self.expire_tokens(user.as_ref(), *refresh_tokens).await?,
            Step::ExpireTasks { project } => {
                let project = self.instance.project(project)?;
                self.control_adapter("expiring tasks")?
                    .expire_tasks(&project)
                    .await?;
            }
            Step::SetToolBehaviour {
                project,
                tool,
                duration_ms,
                fail,
            } => {
                let project = self.instance.project(project)?;
                let mut behaviour = json!({});
                if let Some(d) = duration_ms {
                    behaviour["duration_ms"] = json!(d);
                }
                if let Some(f) = fail {
                    behaviour["fail"] = json!(f);
                }
                self.control_adapter("making a tool slow or failing")?
                    .set_tool_behaviour(&project, &super::tools::named(tool), behaviour)
                    .await?;
            }
            other => return Err(format!("{other:?} is not a server-control step").into()),
        }
        Ok(())
    }

    /// The organization of the project under test.
    fn org(&self) -> Result<String, StepError> {
        self.instance
            .project_id(EndpointSlot::Production)
            .map(|p| p.org)
            .ok_or_else(|| {
                StepError::Unavailable(
                    "the production endpoint's URL does not have Metabind's /<org>/<project> shape, so its organization is unknown".into(),
                )
            })
    }

    /// Revokes only the connector user's grant: in "Authorized apps" through the admin API, else the
    /// host revokes its own through RFC 7009.
    async fn revoke_grant(&mut self, connector: &str) -> Result<(), StepError> {
        let admin = matches!(self.instance.control, Some(Control::Admin(_)));
        let c = self.connector(connector)?;
        if !admin {
            return c.connector.revoke_own_grant().await.map_err(|e| {
                StepError::Harness(format!("revoking the connector's own grant: {e}"))
            });
        }
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
        let org = crate::target::project_of(&url)
            .map(|p| p.org)
            .ok_or("the connector's URL names no organization")?;
        self.control_adapter("revoking a grant")?
            .revoke_grant(&org, &client_id, &url, email.as_deref())
            .await?;
        Ok(())
    }

    /// Server-side expiry through the admin API; otherwise the host's own tokens run out (one
    /// user's connectors, or all of the trial's).
    async fn expire_tokens(
        &mut self,
        user: Option<&UserRef>,
        refresh_tokens: bool,
    ) -> Result<(), StepError> {
        let email = match user {
            Some(u) => Some(self.instance.user_email(u)?),
            None => None,
        };
        if let Some(Control::Admin(_)) = &self.instance.control {
            self.control_adapter("expiring tokens")?
                .expire_tokens(email.as_deref(), refresh_tokens)
                .await?;
            return Ok(());
        }
        for c in self.connectors.values_mut() {
            let theirs = c
                .connector
                .config
                .credentials
                .as_ref()
                .map(|c| c.email.clone());
            if email.is_some() && theirs != email {
                continue;
            }
            if refresh_tokens {
                c.connector.revoke_own_grant().await.map_err(|e| {
                    StepError::Harness(format!("ending the connector's session: {e}"))
                })?;
            } else {
                c.connector.expire_access_token();
            }
        }
        Ok(())
    }
}
