//! Server-control steps, through the embedded server's admin API (`crate::target::Control`): revoke a
//! grant or an API key, change members and roles, visibility, publish, edit instructions and tools,
//! expire tokens and tasks, make a tool slow or failing.

use reqwest::Method;
use serde_json::{json, Value};

use super::Trial;
use crate::scenario::model::Visibility;
use crate::scenario::Step;

impl Trial<'_> {
    async fn admin(
        &self,
        method: Method,
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

    /// Does a server-control step.
    pub(super) async fn control(&mut self, step: &Step) -> Result<(), String> {
        let project = |p| self.instance.project_ref(p);
        match step {
            Step::RevokeGrant { connector } => self.revoke_grant(connector).await?,
            Step::RevokeApiKey { project: p, name } => {
                let (org, project) = project(p)?;
                self.admin(
                    Method::DELETE,
                    format!("/_admin/orgs/{org}/projects/{project}/api-keys/{name}"),
                    None,
                )
                .await?;
            }
            Step::RemoveMember { org, user } => {
                let email = self.instance.user_email(user)?;
                self.admin(
                    Method::DELETE,
                    format!("/_admin/orgs/{org}/members/{email}"),
                    None,
                )
                .await?;
            }
            Step::SetRole { org, user, role } => {
                let email = self.instance.user_email(user)?;
                self.admin(
                    Method::PUT,
                    format!("/_admin/orgs/{org}/members/{email}"),
                    Some(json!({ "role": role })),
                )
                .await?;
            }
            Step::SetVisibility {
                project: p,
                visibility,
            } => {
                let (org, project) = project(p)?;
                let visibility = match visibility {
                    Visibility::Public => "public",
                    Visibility::Private => "private",
                };
                self.admin(
                    Method::PUT,
                    format!("/_admin/orgs/{org}/projects/{project}/visibility"),
                    Some(json!({ "visibility": visibility })),
                )
                .await?;
            }
            Step::Publish { project: p } => {
                let (org, project) = project(p)?;
                self.admin(
                    Method::POST,
                    format!("/_admin/orgs/{org}/projects/{project}/publish"),
                    None,
                )
                .await?;
            }
            Step::SetInstructions {
                project: p,
                instructions,
            } => {
                let (org, project) = project(p)?;
                self.admin(
                    Method::PUT,
                    format!("/_admin/orgs/{org}/projects/{project}/instructions"),
                    Some(json!({ "instructions": instructions })),
                )
                .await?;
            }
            Step::EditTool {
                project: p,
                tool,
                description,
                annotations,
            } => {
                let (org, project) = project(p)?;
                let mut body = json!({});
                if let Some(d) = description {
                    body["description"] = json!(d);
                }
                if let Some(a) = annotations {
                    body["annotations"] = serde_json::to_value(a).unwrap_or(Value::Null);
                }
                self.admin(
                    Method::PATCH,
                    format!("/_admin/orgs/{org}/projects/{project}/tools/{tool}"),
                    Some(body),
                )
                .await?;
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
                self.admin(
                    Method::POST,
                    "/_admin/oauth/expire-access-tokens".to_owned(),
                    Some(body),
                )
                .await?;
            }
            Step::ExpireTasks { project: p } => {
                let (org, project) = project(p)?;
                self.admin(
                    Method::POST,
                    format!("/_admin/orgs/{org}/projects/{project}/tasks/expire"),
                    None,
                )
                .await?;
            }
            Step::SetToolBehaviour {
                project: p,
                tool,
                duration_ms,
                fail,
            } => {
                let (org, project) = project(p)?;
                let mut body = json!({});
                if let Some(d) = duration_ms {
                    body["duration_ms"] = json!(d);
                }
                if let Some(f) = fail {
                    body["fail"] = json!(f);
                }
                self.admin(
                    Method::PATCH,
                    format!("/_admin/orgs/{org}/projects/{project}/tools/{tool}/behaviour"),
                    Some(body),
                )
                .await?;
            }
            other => return Err(format!("{other:?} is not a server-control step")),
        }
        Ok(())
    }

    /// Revokes only the connector user's grant of the connector's client, in "Authorized apps".
    async fn revoke_grant(&mut self, connector: &str) -> Result<(), String> {
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
            .admin(
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
            self.admin(
                Method::DELETE,
                format!("/_admin/orgs/{org}/authorized-apps/{id}"),
                None,
            )
            .await?;
        }
        Ok(())
    }
}
