//! Server control behind one interface, with an adapter per kind of access a target offers:
//!
//! - the reference server's admin API (`/_admin`, the embedded worlds): every operation;
//! - Metabind's documented REST API with an admin token (spec/metabind.md §2.1-2.2): API keys the run
//!   mints (and revokes when it is done), and, when the target file allows it, the visibility switch
//!   (put back after each scenario);
//! - nothing (the default for a deployment): what any host can do itself (revoking its own grant
//!   through RFC 7009, expiring its own tokens) lives with the host connector, not here.
//!
//! An operation an adapter cannot do is `ControlError::Unsupported`, which skips the rest of the
//! scenario with the reason; a failed one is a harness error.

use std::sync::Mutex;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

/// Why a control operation did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// This target's control cannot do it.
    #[error("{0}")]
    Unsupported(String),
    /// It was tried and failed.
    #[error("{0}")]
    Failed(String),
}

/// A project as server control names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectId {
    pub org: String,
    pub project: String,
}

impl std::fmt::Display for ProjectId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.org, self.project)
    }
}

#[derive(Debug)]
pub enum Control {
    Admin(Api),
    Rest {
        api: Api,
        visibility: bool,
        /// Keys this run minted, revoked when the instance closes.
        minted: Mutex<Vec<(ProjectId, String)>>,
        /// Visibility to put back when the instance closes (the first value seen per project).
        restore: Mutex<Vec<(ProjectId, String)>>,
    },
}

/// JSON over HTTP with a bearer credential; anything but a 2xx is an error with the server's words.
#[derive(Debug)]
pub struct Api {
    http: reqwest::Client,
    base_url: String,
    credential: String,
}

impl Api {
    pub fn new(base_url: &str, credential: &str, timeout: Duration) -> Result<Api, String> {
        Ok(Api {
            http: reqwest::Client::builder()
                .timeout(timeout)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| e.to_string())?,
            base_url: base_url.trim_end_matches('/').to_owned(),
            credential: credential.to_owned(),
        })
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, ControlError> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base_url))
            .bearer_auth(&self.credential);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let failed = |m: String| ControlError::Failed(format!("{method} {path}: {m}"));
        let response = request.send().await.map_err(|e| failed(e.to_string()))?;
        let status = response.status();
        // Control answers are small JSON documents; a larger one is not an answer we use.
        let bytes = response.bytes().await.map_err(|e| failed(e.to_string()))?;
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(64 << 10)]).into_owned();
        if !status.is_success() {
            return Err(failed(format!("answered {status}: {text}")));
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

fn unsupported(what: &str) -> ControlError {
    ControlError::Unsupported(format!(
        "{what} needs server control this target does not offer (the embedded reference server's admin API; a deployment's target file can give Metabind's REST API for API keys and visibility)"
    ))
}

impl Control {
    fn admin(&self, what: &str) -> Result<&Api, ControlError> {
        match self {
            Control::Admin(api) => Ok(api),
            Control::Rest { .. } => Err(unsupported(what)),
        }
    }

    /// What this control can do, for `list` and the report.
    pub fn describe(&self) -> &'static str {
        match self {
            Control::Admin(_) => "the reference server's admin API (every step)",
            Control::Rest {
                visibility: true, ..
            } => "Metabind's REST API (API keys, visibility)",
            Control::Rest { .. } => "Metabind's REST API (API keys)",
        }
    }

    /// Mints an API key on `project` for this run; returns (name, key).
    pub async fn mint_api_key(
        &self,
        project: &ProjectId,
        created_by: Option<&str>,
        environments: &[&str],
    ) -> Result<(String, String), ControlError> {
        static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let name = format!(
            "metabind-conformance-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let answer = match self {
            Control::Admin(api) => {
                let mut body = json!({"name": name, "environments": environments});
                if let Some(email) = created_by {
                    body["created_by"] = json!(email);
                }
                api.call(
                    Method::POST,
                    &format!(
                        "/_admin/orgs/{}/projects/{}/api-keys",
                        project.org, project.project
                    ),
                    Some(body),
                )
                .await?
            }
            Control::Rest { api, minted, .. } => {
                let answer = api
                    .call(
                        Method::POST,
                        &format!(
                            "/api/v1/organizations/{}/projects/{}/api-keys",
                            project.org, project.project
                        ),
                        Some(json!({"name": name, "environments": environments})),
                    )
                    .await?;
                minted
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((project.clone(), name.clone()));
                answer
            }
        };
        let key = answer["key"].as_str().ok_or_else(|| {
            ControlError::Failed(format!("the minted key {name} came back without its value"))
        })?;
        Ok((name, key.to_owned()))
    }

    pub async fn revoke_api_key(
        &self,
        project: &ProjectId,
        name: &str,
    ) -> Result<(), ControlError> {
        match self {
            Control::Admin(api) => {
                api.call(
                    Method::DELETE,
                    &format!(
                        "/_admin/orgs/{}/projects/{}/api-keys/{name}",
                        project.org, project.project
                    ),
                    None,
                )
                .await?;
            }
            Control::Rest { api, minted, .. } => {
                api.call(
                    Method::POST,
                    &format!(
                        "/api/v1/organizations/{}/projects/{}/api-keys/{name}/revoke",
                        project.org, project.project
                    ),
                    None,
                )
                .await?;
                minted
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .retain(|(p, n)| !(p == project && n == name));
            }
        }
        Ok(())
    }

    pub async fn set_visibility(
        &self,
        project: &ProjectId,
        visibility: &str,
    ) -> Result<(), ControlError> {
        match self {
            Control::Admin(api) => {
                api.call(
                    Method::PUT,
                    &format!(
                        "/_admin/orgs/{}/projects/{}/visibility",
                        project.org, project.project
                    ),
                    Some(json!({ "visibility": visibility })),
                )
                .await?;
            }
            Control::Rest {
                api,
                visibility: allowed,
                restore,
                ..
            } => {
                if !allowed {
                    return Err(ControlError::Unsupported(
                        "changing the project's visibility: the target file does not allow it (control.visibility = true)".into(),
                    ));
                }
                let path = format!(
                    "/api/v1/organizations/{}/projects/{}/settings/mcp/visibility",
                    project.org, project.project
                );
                let before = visibility_opposite(visibility);
                let answer = api
                    .call(
                        Method::PUT,
                        &path,
                        Some(json!({ "visibility": visibility })),
                    )
                    .await?;
                let mut restore = restore.lock().unwrap_or_else(|e| e.into_inner());
                if !restore.iter().any(|(p, _)| p == project) {
                    // Put back what it was before the first change this run made.
                    let now = answer["settings"]["mcp"]["visibility"]
                        .as_str()
                        .unwrap_or(visibility);
                    let was = if now == visibility { before } else { now };
                    restore.push((project.clone(), was.to_owned()));
                }
            }
        }
        Ok(())
    }

    pub async fn remove_member(&self, org: &str, email: &str) -> Result<(), ControlError> {
        self.admin("removing a member")?
            .call(
                Method::DELETE,
                &format!("/_admin/orgs/{org}/members/{email}"),
                None,
            )
            .await
            .map(drop)
    }

    pub async fn set_role(&self, org: &str, email: &str, role: &str) -> Result<(), ControlError> {
        self.admin("changing a member's role")?
            .call(
                Method::PUT,
                &format!("/_admin/orgs/{org}/members/{email}"),
                Some(json!({ "role": role })),
            )
            .await
            .map(drop)
    }

    pub async fn publish(&self, project: &ProjectId) -> Result<(), ControlError> {
        self.admin("publishing the draft")?
            .call(
                Method::POST,
                &format!(
                    "/_admin/orgs/{}/projects/{}/publish",
                    project.org, project.project
                ),
                None,
            )
            .await
            .map(drop)
    }

    pub async fn set_instructions(
        &self,
        project: &ProjectId,
        instructions: Option<&str>,
    ) -> Result<(), ControlError> {
        self.admin("editing the instructions")?
            .call(
                Method::PUT,
                &format!(
                    "/_admin/orgs/{}/projects/{}/instructions",
                    project.org, project.project
                ),
                Some(json!({ "instructions": instructions })),
            )
            .await
            .map(drop)
    }

    pub async fn edit_tool(
        &self,
        project: &ProjectId,
        tool: &str,
        edit: Value,
    ) -> Result<(), ControlError> {
        self.admin("editing a tool")?
            .call(
                Method::PATCH,
                &format!(
                    "/_admin/orgs/{}/projects/{}/tools/{tool}",
                    project.org, project.project
                ),
                Some(edit),
            )
            .await
            .map(drop)
    }

    pub async fn set_tool_behaviour(
        &self,
        project: &ProjectId,
        tool: &str,
        behaviour: Value,
    ) -> Result<(), ControlError> {
        self.admin("making a tool slow or failing")?
            .call(
                Method::PATCH,
                &format!(
                    "/_admin/orgs/{}/projects/{}/tools/{tool}/behaviour",
                    project.org, project.project
                ),
                Some(behaviour),
            )
            .await
            .map(drop)
    }

    pub async fn expire_tasks(&self, project: &ProjectId) -> Result<(), ControlError> {
        self.admin("expiring tasks")?
            .call(
                Method::POST,
                &format!(
                    "/_admin/orgs/{}/projects/{}/tasks/expire",
                    project.org, project.project
                ),
                None,
            )
            .await
            .map(drop)
    }

    /// Ends access tokens now on the server (one user's, or all), with `refresh_tokens` their
    /// grants' refresh tokens too.
    pub async fn expire_tokens(
        &self,
        user: Option<&str>,
        refresh_tokens: bool,
    ) -> Result<(), ControlError> {
        let mut body = match user {
            Some(email) => json!({ "user": email }),
            None => json!({}),
        };
        if refresh_tokens {
            body["refresh_tokens"] = json!(true);
        }
        self.admin("expiring tokens on the server")?
            .call(
                Method::POST,
                "/_admin/oauth/expire-access-tokens",
                Some(body),
            )
            .await
            .map(drop)
    }

    /// Revokes a user's grant of a client on an endpoint in "Authorized apps".
    pub async fn revoke_grant(
        &self,
        org: &str,
        client_id: &str,
        resource: &str,
        email: Option<&str>,
    ) -> Result<(), ControlError> {
        let api = self.admin("revoking a grant in Authorized apps")?;
        let grants = api
            .call(
                Method::GET,
                &format!("/_admin/orgs/{org}/authorized-apps"),
                None,
            )
            .await?;
        let ids: Vec<String> = grants["grants"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|g| {
                g["client_id"] == client_id
                    && g["resource"] == resource
                    && email.is_none_or(|e| g["email"] == e)
            })
            .filter_map(|g| g["id"].as_str().map(String::from))
            .collect();
        if ids.is_empty() {
            return Err(ControlError::Failed(format!(
                "Authorized apps of {org} lists no grant for the connector's client {client_id}"
            )));
        }
        for id in ids {
            api.call(
                Method::DELETE,
                &format!("/_admin/orgs/{org}/authorized-apps/{id}"),
                None,
            )
            .await?;
        }
        Ok(())
    }

    /// Undoes what this run changed on a deployment: revokes the keys it minted and puts back the
    /// visibility it switched. Errors are returned for the report, never left silent.
    pub async fn close(&self) -> Vec<String> {
        let Control::Rest {
            api,
            minted,
            restore,
            ..
        } = self
        else {
            return Vec::new();
        };
        let mut problems = Vec::new();
        let keys = std::mem::take(&mut *minted.lock().unwrap_or_else(|e| e.into_inner()));
        for (project, name) in keys {
            let path = format!(
                "/api/v1/organizations/{}/projects/{}/api-keys/{name}/revoke",
                project.org, project.project
            );
            if let Err(e) = api.call(Method::POST, &path, None).await {
                problems.push(format!(
                    "could not revoke the key {name} this run minted on {project}: {e}"
                ));
            }
        }
        let back = std::mem::take(&mut *restore.lock().unwrap_or_else(|e| e.into_inner()));
        for (project, visibility) in back {
            let path = format!(
                "/api/v1/organizations/{}/projects/{}/settings/mcp/visibility",
                project.org, project.project
            );
            if let Err(e) = api
                .call(
                    Method::PUT,
                    &path,
                    Some(json!({ "visibility": visibility })),
                )
                .await
            {
                problems.push(format!("could not put {project} back to {visibility}: {e}"));
            }
        }
        problems
    }
}

fn visibility_opposite(v: &str) -> &'static str {
    if v == "private" {
        "public"
    } else {
        "private"
    }
}
