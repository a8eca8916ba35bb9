//! Mock hosts: a host profile driving connectors the way that host does. A connector is added
//! (discover → register → popup → token → initialize → `tools/list`), is then connected (green) or
//! failed (red, with the reason), calls tools with the host's confirmation, badge and task-polling
//! decisions recorded, notices a server-side revocation on its next request, and can be removed
//! locally and reconnected.

mod calls;
pub mod client_metadata;
mod connector;
pub mod profile;
mod ui;

use std::sync::Arc;
use std::time::Duration;

use crate::connector::{Connector, ConnectorConfig};
use crate::oauth::RegistrationPlan;
use crate::popup::{Credentials, Popup};
use crate::render::Renderer;
use crate::wire::{self, Net, Wire};

pub use calls::{decide, CallDecision, CallOutcome, PendingCall, ToolCall};
pub use client_metadata::ClientMetadataSite;
pub use connector::HostConnector;
pub use profile::{AuthKind, DirectoryRule, HostProfile, Registration, TaskUse};
pub use ui::{UiRender, UiRenderOutcome};

/// How the user signs in to the connector.
#[derive(Debug, Clone)]
pub enum Login {
    /// Through the OAuth popup with these credentials.
    User(Credentials),
    /// A bearer token the host sends on every request (custom hosts).
    Bearer(String),
    /// No credentials: anonymous, or a popup that will ask for them.
    Anonymous,
}

/// A host: its profile and how it runs popups and renders views.
#[derive(Clone)]
pub struct MockHost {
    pub profile: Arc<HostProfile>,
    pub popup: Popup,
    /// Renders UI views in the run's browser (`None` without one: render checks are skipped).
    pub renderer: Option<Arc<Renderer>>,
    /// Host timeouts are multiplied by this, so tests scale minutes down instead of waiting them out.
    pub time_factor: f64,
    /// Serves this host's Client ID Metadata Document on loopback, when the target may fetch it.
    pub metadata_site: Option<Arc<ClientMetadataSite>>,
    /// The run's network context: time limit, read limits, URL policy, secrets.
    pub net: Arc<Net>,
    /// Keys this host's users' browser sessions (`<key>:<email>`): a user's popups then share the
    /// authorization server's login cookie, as one person's browser does. `None`: every popup is a
    /// fresh private window.
    pub browser_session: Option<String>,
}

/// The connector's status, as the host shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectorState {
    /// Green: added and usable, with the warning the host shows, if any.
    Connected { warning: Option<String> },
    /// Red: not usable, and why.
    Failed { reason: String },
    /// Removed on the host side: the local token is gone.
    Removed,
}

impl ConnectorState {
    pub fn is_connected(&self) -> bool {
        matches!(self, ConnectorState::Connected { .. })
    }
}

impl MockHost {
    pub fn new(profile: HostProfile, popup: Popup, net: Arc<Net>) -> MockHost {
        MockHost {
            profile: Arc::new(profile),
            popup,
            renderer: None,
            time_factor: 1.0,
            metadata_site: None,
            net,
            browser_session: None,
        }
    }

    /// The host's tool timeout, scaled.
    pub fn tool_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.profile.tasks.tool_timeout_seconds as f64 * self.time_factor)
    }

    fn registration_plan(&self) -> RegistrationPlan {
        let auth = &self.profile.auth;
        let mut plan = RegistrationPlan {
            client_name: auth
                .client_name
                .clone()
                .unwrap_or_else(|| self.profile.name.clone()),
            dcr_method: auth.dcr_auth_method.clone(),
            refuse_other_method: auth.dcr_returned_method == profile::ReturnedMethod::RefuseOther,
            cimd_needs_none: auth.cimd_needs_none,
            ..Default::default()
        };
        if auth.registration.contains(&Registration::Cimd) {
            plan.metadata_document_url = self
                .metadata_site
                .as_ref()
                .map(|site| site.document_url(&self.profile.id));
        }
        plan
    }

    /// The user adds `url` as a custom connector. Only an HTTP client that cannot be built is an
    /// error; everything the server does shows in the connector's state.
    pub async fn add_connector(
        &self,
        url: &str,
        login: Login,
    ) -> Result<HostConnector, wire::Error> {
        let wire = Wire::new(&self.net)?;
        let session = match (&login, &self.browser_session) {
            (Login::User(c), Some(key)) => Some(format!("{key}:{}", c.email)),
            _ => None,
        };
        let (credentials, bearer) = match login {
            Login::User(c) => (Some(c), None),
            Login::Bearer(token) => (None, Some(token)),
            Login::Anonymous => (None, None),
        };
        let oauth = self.profile.auth.kind == AuthKind::Oauth;
        let mut config = ConnectorConfig::new(
            self.profile.auth.redirect_uri.clone().unwrap_or_default(),
            self.registration_plan(),
            credentials,
            self.popup.clone(),
        );
        config.popup_from_click = self.profile.auth.popup_from_click;
        config.scope_choice = self.profile.auth.scope;
        config.offline_access = self.profile.auth.offline_access;
        config.prompt = self.profile.auth.prompt.clone();
        config.protocol_version_header = self.profile.protocol.protocol_version_header;
        config.tool_calls_without_session = self.profile.protocol.tool_calls_without_session;
        config.opening = self.profile.protocol.opening;
        config.legacy_version_header_override = self
            .profile
            .protocol
            .modern_version_header_after_legacy
            .then(|| crate::wire::MODERN_PROTOCOL_VERSION.to_owned());
        config.browser_session = session;
        config.authorize_on_401 = oauth;
        let mut connector = Connector::new(wire, url, config);
        connector.mcp.bearer = bearer;
        let mut host_connector = HostConnector::new(self.clone(), url, connector);
        host_connector.connect().await;
        Ok(host_connector)
    }
}
