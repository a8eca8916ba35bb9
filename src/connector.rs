//! A connector: an MCP client that authorizes itself the way hosts do. On 401 it discovers, registers,
//! runs the popup and exchanges the code, then retries; on 403 `insufficient_scope` it steps up with the
//! union of granted and challenged scopes, a bounded number of times, and gives up when a step-up
//! cannot help (the challenge asks for nothing new). On an expired token it refreshes first.

use std::time::Duration;

use serde_json::Value;

use crate::oauth::ScopeChoice;
use crate::oauth::{self, Challenge, ClientCredentials, Discovery, RegistrationPlan, Tokens};
use crate::popup::{
    self, Credentials, LoginSelectors, Popup, PopupOutcome, PopupReport, PopupRequest,
};
use crate::wire::{self, McpClient, Opening, Reply, Wire};

/// At most this many step-up re-authorizations per request (MCP §7.8: track attempts, avoid loops).
pub const MAX_STEP_UPS: usize = 2;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Wire(#[from] wire::Error),
    #[error(transparent)]
    OAuth(#[from] oauth::Error),
    #[error("the authorization popup did not complete: {}", .0.describe())]
    Popup(PopupOutcome),
    #[error(transparent)]
    PopupDriver(#[from] popup::Error),
    #[error("{0}")]
    Refused(String),
    /// A 401 that refreshing did not fix, while the connector may not open a popup on its own.
    #[error(
        "the server refused the token and refreshing did not help ({0}); the user must reconnect"
    )]
    Unauthorized(String),
}

#[derive(Debug, Clone)]
pub struct ConnectorConfig {
    pub redirect_uri: String,
    pub registration: RegistrationPlan,
    pub credentials: Option<Credentials>,
    pub popup: Popup,
    pub selectors: LoginSelectors,
    /// Whether the host opens the popup within the user's click (see [`PopupRequest::from_click`]).
    pub popup_from_click: bool,
    pub popup_timeout: Duration,
    /// Open the popup when a request gets 401 and refreshing cannot help. Hosts do this only while the
    /// user is adding or reconnecting; a connector in use turns red instead.
    pub authorize_on_401: bool,
    /// Send no `scope` on the authorization request (ChatGPT's reconnect).
    pub omit_scope: bool,
    /// How `scope` is chosen at /authorize.
    pub scope_choice: ScopeChoice,
    /// Add `offline_access` when the authorization server lists it.
    pub offline_access: bool,
    /// A `prompt` parameter on the authorization request.
    pub prompt: Option<String>,
    /// The user's browser session key (cookies shared between this user's popups), if any.
    pub browser_session: Option<String>,
    /// Send `MCP-Protocol-Version` after initialize (Claude omits it, hosts-observed A25).
    pub protocol_version_header: bool,
    /// Send each tool call that is not task-augmented on a fresh initialize, without the session id
    /// (ChatGPT, hosts-observed C20).
    pub tool_calls_without_session: bool,
    /// How the connection opens: `initialize`, `server/discover`, or discover first with the fallback.
    pub opening: Opening,
    /// On the legacy path, the `MCP-Protocol-Version` value sent instead of the negotiated one.
    pub legacy_version_header_override: Option<String>,
}

impl ConnectorConfig {
    /// A connector that signs in as `credentials` through `popup`, with the usual defaults.
    pub fn new(
        redirect_uri: impl Into<String>,
        registration: RegistrationPlan,
        credentials: Option<Credentials>,
        popup: Popup,
    ) -> Self {
        ConnectorConfig {
            redirect_uri: redirect_uri.into(),
            registration,
            credentials,
            popup,
            selectors: LoginSelectors::default(),
            popup_from_click: true,
            popup_timeout: Duration::from_secs(30),
            authorize_on_401: true,
            omit_scope: false,
            scope_choice: ScopeChoice::ChallengeThenPrm,
            offline_access: false,
            prompt: None,
            browser_session: None,
            protocol_version_header: true,
            tool_calls_without_session: false,
            opening: Opening::Legacy,
            legacy_version_header_override: None,
        }
    }
}

pub struct Connector {
    pub mcp: McpClient,
    pub config: ConnectorConfig,
    pub discovery: Option<Discovery>,
    pub client: Option<ClientCredentials>,
    /// The issuer `client` was registered with: credentials are never reused at another server.
    client_issuer: Option<String>,
    pub tokens: Option<Tokens>,
    /// How many authorization popups this connector opened.
    pub authorizations: usize,
    /// Every popup this connector opened, in order.
    pub popups: Vec<PopupReport>,
    /// Silent refreshes that succeeded.
    pub refreshes: usize,
    /// The refresh token a successful refresh replaced (a rotating server must now refuse it).
    pub replaced_refresh_token: Option<String>,
    /// The access token's lifetime has run out: the next request refreshes first, as hosts do.
    access_expired: bool,
    /// What `initialize` sent, to start over when the server forgets the session (404).
    hello: Option<(Value, Value)>,
}

enum Operation<'a> {
    Initialize {
        client_info: &'a Value,
        capabilities: &'a Value,
    },
    Call {
        method: &'a str,
        params: &'a Value,
    },
}

impl Connector {
    pub fn new(wire: Wire, url: &str, config: ConnectorConfig) -> Self {
        let mut mcp = McpClient::new(wire, url);
        mcp.send_version_header = config.protocol_version_header;
        mcp.legacy_version_header_override = config.legacy_version_header_override.clone();
        Connector {
            mcp,
            config,
            discovery: None,
            client: None,
            client_issuer: None,
            tokens: None,
            authorizations: 0,
            popups: Vec::new(),
            refreshes: 0,
            replaced_refresh_token: None,
            access_expired: false,
            hello: None,
        }
    }

    /// Opens the connection (`initialize`, `server/discover`, or both, as the config's opening says),
    /// authorizing first when the server asks.
    pub async fn initialize(
        &mut self,
        client_info: &Value,
        capabilities: &Value,
    ) -> Result<Reply, Error> {
        self.hello = Some((client_info.clone(), capabilities.clone()));
        self.run(Operation::Initialize {
            client_info,
            capabilities,
        })
        .await
    }

    pub async fn call(&mut self, method: &str, params: &Value) -> Result<Reply, Error> {
        self.run(Operation::Call { method, params }).await
    }

    async fn run(&mut self, op: Operation<'_>) -> Result<Reply, Error> {
        let mut step_ups = 0;
        let mut authorized_for_this_request = false;
        let mut refreshed_for_this_request = false;
        let mut reinitialized = false;
        if std::mem::take(&mut self.access_expired) {
            refreshed_for_this_request = true;
            // A failed refresh leaves no token: the request below then gets its 401.
            let _ = self.try_refresh().await;
        }
        loop {
            let reply = match &op {
                Operation::Initialize {
                    client_info,
                    capabilities,
                } => {
                    self.mcp
                        .connect(
                            (*client_info).clone(),
                            (*capabilities).clone(),
                            self.config.opening,
                        )
                        .await?
                }
                Operation::Call { method, params } if self.sessionless(method, params) => {
                    self.call_on_fresh_initialize(method, params).await?
                }
                Operation::Call { method, params } => {
                    self.mcp.call(method, (*params).clone()).await?
                }
            };
            let challenge = reply.www_authenticate().and_then(Challenge::parse);
            match reply.status() {
                401 => {
                    // A refused token may mean the resource moved to another authorization server:
                    // read its metadata again before authorizing (MCP 2026-07-28, SEP-2352).
                    let token_refused = self.mcp.bearer.is_some();
                    // An expired token with a refresh token: refresh silently before a new popup.
                    let can_refresh = self
                        .tokens
                        .as_ref()
                        .is_some_and(|t| t.refresh_token.is_some());
                    if can_refresh && !refreshed_for_this_request {
                        refreshed_for_this_request = true;
                        if self.try_refresh().await.is_ok() {
                            continue;
                        }
                    }
                    if !self.config.authorize_on_401 {
                        return Err(Error::Unauthorized(
                            reply
                                .www_authenticate()
                                .unwrap_or("no challenge")
                                .to_owned(),
                        ));
                    }
                    if authorized_for_this_request {
                        return Err(Error::Refused(format!(
                            "the server still answers 401 after authorizing: {}",
                            reply.www_authenticate().unwrap_or("no challenge")
                        )));
                    }
                    if token_refused {
                        self.discovery = None;
                    }
                    self.authorize(challenge.as_ref(), None).await?;
                    authorized_for_this_request = true;
                }
                403 if challenge.as_ref().and_then(|c| c.error.as_deref())
                    == Some("insufficient_scope") =>
                {
                    let granted = self.tokens.as_ref().and_then(|t| t.scope.clone());
                    let asked = challenge.as_ref().and_then(|c| c.scope.clone());
                    let nothing_new = match (&asked, &granted) {
                        (Some(a), Some(g)) => a
                            .split_whitespace()
                            .all(|s| g.split_whitespace().any(|x| x == s)),
                        (None, _) => true,
                        _ => false,
                    };
                    if step_ups >= MAX_STEP_UPS || nothing_new {
                        return Ok(reply);
                    }
                    step_ups += 1;
                    let scope = oauth::scope_union(granted.as_deref(), asked.as_deref());
                    self.authorize(challenge.as_ref(), scope).await?;
                    // The user's role caps the grant: when the step-up did not obtain what the server
                    // asked for, asking again cannot help either.
                    let now = self
                        .tokens
                        .as_ref()
                        .and_then(|t| t.scope.clone())
                        .unwrap_or_default();
                    let obtained = asked
                        .as_deref()
                        .unwrap_or_default()
                        .split_whitespace()
                        .all(|s| now.split_whitespace().any(|x| x == s));
                    if !obtained && !now.is_empty() {
                        return Ok(reply);
                    }
                }
                // MCP §1.5.4: a 404 on a request with a session id means start over with initialize.
                404 if matches!(op, Operation::Call { .. })
                    && self.mcp.session_id.is_some()
                    && !reinitialized =>
                {
                    reinitialized = true;
                    if let Some((info, capabilities)) = self.hello.clone() {
                        let again = self.mcp.initialize(info, capabilities).await?;
                        if again.result().is_none() {
                            return Ok(reply);
                        }
                    }
                }
                _ => return Ok(reply),
            }
        }
    }

    /// Whether this request goes on a fresh initialize without the session id: plain tool calls of a
    /// host that sends them so; a task-augmented call keeps the session its task is polled on.
    fn sessionless(&self, method: &str, params: &Value) -> bool {
        self.config.tool_calls_without_session
            && method == "tools/call"
            && params.get("task").is_none()
            && self.mcp.session_id.is_some()
    }

    /// ChatGPT's tool-call plane (hosts-observed C20): `initialize` again, then the call without the
    /// `Mcp-Session-Id` that initialize issued. An initialize that fails is the reply (its 401 is
    /// handled like any other).
    async fn call_on_fresh_initialize(&self, method: &str, params: &Value) -> Result<Reply, Error> {
        let mut fresh = self.mcp.clone();
        let (info, capabilities) = self.hello.clone().unwrap_or_default();
        let hello = fresh.initialize(info, capabilities).await?;
        if hello.result().is_none() {
            return Ok(hello);
        }
        fresh.session_id = None;
        Ok(fresh.call(method, params.clone()).await?)
    }

    /// The access token's lifetime runs out now (host side: the server is not told).
    pub fn expire_access_token(&mut self) {
        if self.tokens.is_some() {
            self.access_expired = true;
        }
    }

    /// Revokes this connector's own grant through the authorization server's RFC 7009 endpoint:
    /// with its refresh token (the grant), else its access token. What a user's "Authorized apps"
    /// revocation looks like from the host's side; the connector keeps its tokens and finds out on
    /// its next request.
    pub async fn revoke_own_grant(&mut self) -> Result<(), Error> {
        let (Some(discovery), Some(client), Some(tokens)) = (
            self.discovery.as_ref(),
            self.client.as_ref(),
            self.tokens.as_ref(),
        ) else {
            return Err(Error::Refused(
                "the connector holds no OAuth grant to revoke".into(),
            ));
        };
        let endpoint = discovery.metadata["revocation_endpoint"]
            .as_str()
            .ok_or_else(|| {
                Error::Refused(
                    "the authorization server has no revocation_endpoint (RFC 7009), so a host cannot revoke its own grant".into(),
                )
            })?;
        let (token, hint) = match &tokens.refresh_token {
            Some(refresh) => (refresh.as_str(), "refresh_token"),
            None => (tokens.access_token.as_str(), "access_token"),
        };
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("token", token)
            .append_pair("token_type_hint", hint);
        let mut request =
            wire::Request::post(endpoint, "application/x-www-form-urlencoded", Vec::new());
        match (client.auth_method.as_str(), &client.client_secret) {
            ("client_secret_basic", Some(secret)) => {
                use base64::Engine;
                let pair = format!(
                    "{}:{}",
                    url::form_urlencoded::byte_serialize(client.client_id.as_bytes())
                        .collect::<String>(),
                    url::form_urlencoded::byte_serialize(secret.as_bytes()).collect::<String>()
                );
                let basic = base64::engine::general_purpose::STANDARD.encode(pair);
                request = request.header("authorization", format!("Basic {basic}"));
            }
            (_, secret) => {
                form.append_pair("client_id", &client.client_id);
                if let Some(secret) = secret {
                    form.append_pair("client_secret", secret);
                }
            }
        }
        request.body = Some(form.finish().into_bytes());
        let answer = self.mcp.wire.send(request).await?;
        // RFC 7009 §2.2: 200 whether or not the token was valid.
        if answer.exchange.status != 200 {
            return Err(Error::Refused(format!(
                "the revocation endpoint answered {}",
                answer.exchange.status
            )));
        }
        Ok(())
    }

    /// Presents a refresh token to the token endpoint without keeping what comes back: `Ok` when
    /// the server issued tokens for it, `Err` with the refusal otherwise.
    pub async fn present_refresh_token(&self, refresh_token: &str) -> Result<(), Error> {
        let (Some(discovery), Some(client)) = (self.discovery.clone(), self.client.clone()) else {
            return Err(Error::Refused(
                "the connector never completed OAuth discovery and registration".into(),
            ));
        };
        oauth::refresh(
            &self.mcp.wire,
            &discovery,
            &client,
            &self.config.redirect_uri,
            refresh_token,
        )
        .await
        .map(|_| ())
        .map_err(Error::from)
    }

    async fn try_refresh(&mut self) -> Result<(), Error> {
        let (Some(discovery), Some(client), Some(refresh)) = (
            self.discovery.clone(),
            self.client.clone(),
            self.tokens.as_ref().and_then(|t| t.refresh_token.clone()),
        ) else {
            self.tokens = None;
            return Err(Error::Refused("no refresh token".into()));
        };
        match oauth::refresh(
            &self.mcp.wire,
            &discovery,
            &client,
            &self.config.redirect_uri,
            &refresh,
        )
        .await
        {
            Ok(tokens) => {
                self.mcp.bearer = Some(tokens.access_token.clone());
                self.tokens = Some(tokens);
                self.refreshes += 1;
                self.replaced_refresh_token = Some(refresh);
                Ok(())
            }
            Err(e) => {
                self.tokens = None;
                self.mcp.bearer = None;
                Err(e.into())
            }
        }
    }

    /// Discovery (once), registration (once, again after `invalid_client`), popup, code exchange.
    pub async fn authorize(
        &mut self,
        challenge: Option<&Challenge>,
        scope: Option<String>,
    ) -> Result<(), Error> {
        let wire = self.mcp.wire.clone();
        let discovery = match (
            &self.discovery,
            challenge.and_then(|c| c.resource_metadata.as_ref()),
        ) {
            (Some(d), None) => d.clone(),
            (Some(d), Some(url)) if &d.prm_url == url => d.clone(),
            _ => oauth::discover(&wire, &self.mcp.url, challenge).await?,
        };
        self.discovery = Some(discovery.clone());
        if self.client_issuer.as_deref() != Some(discovery.issuer.as_str()) {
            self.client = None;
        }
        let scope = if self.config.omit_scope {
            None
        } else {
            scope.or_else(|| {
                let chosen = match self.config.scope_choice {
                    ScopeChoice::ChallengeThenPrm => oauth::select_scope(challenge, &discovery),
                    ScopeChoice::PrmScopes => discovery
                        .scopes_supported()
                        .filter(|s| !s.is_empty())
                        .map(|s| s.join(" ")),
                };
                let listed = discovery
                    .metadata
                    .get("scopes_supported")
                    .and_then(serde_json::Value::as_array)
                    .is_some_and(|a| a.iter().any(|s| s == "offline_access"));
                if self.config.offline_access && listed {
                    oauth::scope_union(chosen.as_deref(), Some("offline_access"))
                } else {
                    chosen
                }
            })
        };
        for attempt in 0..2 {
            let client = match &self.client {
                Some(c) => c.clone(),
                None => {
                    let c = oauth::register(
                        &wire,
                        &discovery,
                        &self.config.registration,
                        &self.config.redirect_uri,
                    )
                    .await?;
                    self.client = Some(c.clone());
                    self.client_issuer = Some(discovery.issuer.clone());
                    c
                }
            };
            let request = oauth::authorization_request(
                &discovery,
                &client,
                &self.config.redirect_uri,
                scope.clone(),
                self.config.prompt.as_deref(),
            )?;
            self.authorizations += 1;
            let report = self
                .config
                .popup
                .open(
                    &wire,
                    &PopupRequest {
                        authorization_url: &request.url,
                        redirect_uri: &request.redirect_uri,
                        credentials: self.config.credentials.as_ref(),
                        selectors: &self.config.selectors,
                        from_click: self.config.popup_from_click,
                        timeout: self.config.popup_timeout,
                        session: self.config.browser_session.as_deref(),
                    },
                )
                .await?;
            self.popups.push(report.clone());
            let PopupOutcome::Callback(callback) = report.outcome else {
                return Err(Error::Popup(report.outcome));
            };
            let code = oauth::verify_callback(&request, &discovery, &callback)?;
            match oauth::exchange_code(&wire, &discovery, &client, request, code).await {
                Ok(tokens) => {
                    self.mcp.bearer = Some(tokens.access_token.clone());
                    self.tokens = Some(tokens);
                    return Ok(());
                }
                // A deleted dynamic client: forget it and register again, once (as Claude does).
                Err(e)
                    if attempt == 0
                        && e.message.starts_with("invalid_client")
                        && self.config.registration.pre_registered.is_none() =>
                {
                    self.client = None;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Refused(
            "the authorization server kept refusing the client".into(),
        ))
    }
}
