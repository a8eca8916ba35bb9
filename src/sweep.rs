//! The generic sweep: protocol rules any MCP server must keep, probed on the raw wire against the
//! target's endpoint whatever host is used. Sections: discovery (no credentials), transport and
//! session, tools, tasks, UI resources, and the authorization server's hygiene as a client can see it
//! (PKCE, redirect URI, `state`, `iss`, refresh rotation, revocation, audience). Against a deployment
//! only read-only tools are ever called.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::checks::verdict::truncate;
use crate::checks::{CheckResult, Status};
use crate::oauth::{self, ClientCredentials, Discovery, RegistrationPlan};
use crate::popup::{Credentials, LoginSelectors, Popup, PopupOutcome, PopupRequest};
use crate::report::model::{ScenarioResult, SourceInfo, SWEEP_HOST};
use crate::target::Instance;
use crate::wire::{Exchange, McpClient, Reply, Request, Wire};

/// The sweep's results and what it cost.
pub struct SweepOutput {
    pub results: Vec<ScenarioResult>,
    pub exchanges: usize,
    pub exchange_ms: u64,
    pub popups: usize,
    pub popup_ms: u64,
}

/// Where the sweep sends the authorization popup back to (never fetched: the popup stops there).
const REDIRECT_URI: &str = "http://127.0.0.1:9/metabind-conformance/callback";
const UNREGISTERED_REDIRECT: &str = "http://127.0.0.1:9/metabind-conformance/not-registered";
const POPUP_TIMEOUT: Duration = Duration::from_secs(20);

fn client_info() -> Value {
    json!({"name": "metabind-conformance-sweep", "version": env!("CARGO_PKG_VERSION")})
}

struct Section {
    id: &'static str,
    title: &'static str,
    reference: &'static str,
    checks: Vec<CheckResult>,
    started: Instant,
}

impl Section {
    fn new(id: &'static str, title: &'static str, reference: &'static str) -> Section {
        Section {
            id,
            title,
            reference,
            checks: Vec::new(),
            started: Instant::now(),
        }
    }

    fn into_result(self) -> ScenarioResult {
        let status = crate::checks::verdict::worst(&self.checks).unwrap_or(Status::Skip);
        ScenarioResult {
            scenario: format!("sweep/{}", self.id),
            title: self.title.to_owned(),
            host: SWEEP_HOST.to_owned(),
            source: SourceInfo {
                kind: "spec".into(),
                reference: self.reference.to_owned(),
                troubleshooting: None,
            },
            file: None,
            status,
            reason: None,
            duration_ms: self.started.elapsed().as_millis() as u64,
            checks: self.checks,
        }
    }
}

struct Sweep<'a> {
    instance: &'a Instance,
    popup: &'a Popup,
    wire: Wire,
    popups: usize,
    popup_ms: u64,
}

/// What the first sign-in left for the grant-ending probes.
type SignedIn = (Discovery, ClientCredentials, Credentials, oauth::Tokens);

/// A credential the MCP sections use, and where it came from.
struct Credential {
    bearer: Option<String>,
    /// A second, different credential (another user or an API key), for binding checks.
    second: Option<String>,
}

pub async fn run(instance: &Instance, popup: &Popup, timeout: Duration) -> SweepOutput {
    let wire = match Wire::new(timeout) {
        Ok(w) => w,
        Err(e) => {
            let mut s = Section::new("discovery", "Discovery", "");
            s.checks.push(CheckResult::error(
                "auth.challenge.www-authenticate",
                format!("cannot build an HTTP client: {e}"),
            ));
            return SweepOutput {
                results: vec![s.into_result()],
                exchanges: 0,
                exchange_ms: 0,
                popups: 0,
                popup_ms: 0,
            };
        }
    };
    let mut sweep = Sweep {
        instance,
        popup,
        wire,
        popups: 0,
        popup_ms: 0,
    };
    let mut results = Vec::new();
    let (discovery_section, discovery) = sweep.discovery().await;
    results.push(discovery_section.into_result());
    let (mut as_section, credential, signed_in) =
        sweep.authorization_server(discovery.as_ref()).await;
    let mut transport = Section::new(
        "transport",
        "Streamable HTTP transport, sessions and lifecycle",
        "MCP 2025-11-25 basic/transports, basic/lifecycle",
    );
    sweep.transport(&credential, &mut transport).await;
    results.push(transport.into_result());
    let mut tools = Section::new(
        "tools",
        "Tools",
        "MCP 2025-11-25 server/tools, utilities/pagination",
    );
    let listed = sweep.tools(&credential, &mut tools).await;
    results.push(tools.into_result());
    let mut tasks = Section::new("tasks", "Tasks", "MCP 2025-11-25 basic/utilities/tasks");
    sweep
        .tasks(&credential, listed.as_deref(), &mut tasks)
        .await;
    results.push(tasks.into_result());
    let mut ui = Section::new(
        "ui",
        "UI resources",
        "MCP Apps (SEP-1865), Apps SDK output templates",
    );
    sweep.ui(&credential, listed.as_deref(), &mut ui).await;
    results.push(ui.into_result());
    let mut review = Section::new(
        "review",
        "Tool choice: descriptions, overlap, instructions",
        "connector guide: troubleshooting \"Host doesn't pick the right tool\"",
    );
    sweep
        .review(&credential, listed.as_deref(), &mut review)
        .await;
    results.push(review.into_result());
    sweep.grant_ending_probes(&mut as_section, signed_in).await;
    results.push(as_section.into_result());
    let exchanges = sweep.wire.transcript.snapshot();
    SweepOutput {
        results,
        exchanges: exchanges.len(),
        exchange_ms: exchanges.iter().map(|e| e.elapsed_ms).sum(),
        popups: sweep.popups,
        popup_ms: sweep.popup_ms,
    }
}

fn jsonrpc_error_code(body: &str) -> Option<i64> {
    let value: Value = serde_json::from_str(body).ok().or_else(|| {
        crate::wire::messages(Some("text/event-stream"), body.as_bytes())
            .into_iter()
            .next()
    })?;
    value["error"]["code"].as_i64()
}

impl Sweep<'_> {
    fn url(&self) -> &str {
        &self.instance.endpoint_url
    }

    fn mcp(&self, bearer: Option<&str>) -> McpClient {
        let mut client = McpClient::new(self.wire.clone(), self.url());
        client.bearer = bearer.map(String::from);
        client
    }

    async fn raw(&self, request: Request) -> Result<Exchange, String> {
        self.wire
            .send(request)
            .await
            .map(|r| r.exchange)
            .map_err(|e| e.to_string())
    }

    // ---------------------------------------------------------------- discovery (no credentials)

    async fn discovery(&mut self) -> (Section, Option<Discovery>) {
        let mut s = Section::new(
            "discovery",
            "Authorization discovery without credentials",
            "MCP 2025-11-25 authorization §2.3, RFC 9728, RFC 8414, RFC 6750",
        );
        let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": crate::wire::LATEST_PROTOCOL_VERSION, "capabilities": {}, "clientInfo": client_info()}});
        let anonymous = self.mcp(None).request(&init);
        let mut challenge = None;
        match self.raw(anonymous).await {
            Err(e) => s.checks.push(CheckResult::not_testable(
                "auth.challenge.www-authenticate",
                format!("the endpoint did not answer: {e}"),
            )),
            Ok(x) if (200..300).contains(&x.status) => s.checks.push(CheckResult::not_applicable(
                "auth.challenge.www-authenticate",
                "the endpoint answers without credentials (a public project)",
            )),
            Ok(x) => {
                let header = x.header("www-authenticate").map(String::from);
                challenge = header.as_deref().and_then(oauth::Challenge::parse);
                let ok = x.status == 401
                    && header
                        .as_deref()
                        .is_some_and(|h| h.trim_start().to_ascii_lowercase().starts_with("bearer"))
                    && challenge
                        .as_ref()
                        .is_some_and(|c| c.resource_metadata.is_some());
                s.checks.push(
                    CheckResult::judge(
                        "auth.challenge.www-authenticate",
                        ok,
                        "an unauthenticated initialize",
                        "401 with WWW-Authenticate: Bearer resource_metadata=\"…\"",
                        format!(
                            "{} with {}",
                            x.status,
                            header.as_deref().unwrap_or("no WWW-Authenticate")
                        ),
                    )
                    .with_evidence([&x]),
                );
            }
        }
        let invalid = self
            .mcp(Some("metabind-conformance-invalid-token"))
            .request(&init);
        match self.raw(invalid).await {
            Err(e) => s.checks.push(CheckResult::not_testable(
                "auth.token.invalid-rejected",
                format!("the endpoint did not answer: {e}"),
            )),
            Ok(x) => {
                let header = x.header("www-authenticate").unwrap_or_default().to_owned();
                s.checks.push(
                    CheckResult::judge(
                        "auth.token.invalid-rejected",
                        x.status == 401 && header.contains("invalid_token"),
                        "initialize with a made-up bearer token",
                        "401 with error=\"invalid_token\"",
                        format!(
                            "{} with {}",
                            x.status,
                            if header.is_empty() {
                                "no WWW-Authenticate"
                            } else {
                                &header
                            }
                        ),
                    )
                    .with_evidence([&x]),
                );
            }
        }
        // RFC 9728: the challenge's metadata URL, else the path-inserted well-known URL.
        let prm_url = challenge
            .as_ref()
            .and_then(|c| c.resource_metadata.clone())
            .or_else(|| {
                let u = url::Url::parse(self.url()).ok()?;
                Some(format!(
                    "{}/.well-known/oauth-protected-resource{}",
                    u.origin().ascii_serialization(),
                    u.path().trim_end_matches('/')
                ))
            });
        let mut metadata = None;
        if let Some(prm_url) = prm_url {
            match self
                .raw(Request::get(&prm_url).header("accept", "application/json"))
                .await
            {
                Ok(x) if x.status == 200 => {
                    let prm: Value = serde_json::from_str(&x.response_body).unwrap_or(Value::Null);
                    let resource = prm["resource"].as_str().unwrap_or_default();
                    s.checks.push(
                        CheckResult::judge(
                            "auth.prm.resource-matches",
                            // RFC 9728 §3.3: identical, not merely equivalent (a trailing slash differs).
                            resource == self.url(),
                            "the protected resource metadata's resource",
                            self.url(),
                            if resource.is_empty() {
                                "no resource"
                            } else {
                                resource
                            },
                        )
                        .with_evidence([&x]),
                    );
                    if let Some(issuer) = prm["authorization_servers"][0].as_str() {
                        metadata = self.as_metadata(issuer).await;
                    }
                }
                Ok(x) => s.checks.push(
                    CheckResult::not_testable(
                        "auth.prm.resource-matches",
                        format!("{prm_url} answered {}", x.status),
                    )
                    .with_evidence([&x]),
                ),
                Err(e) => s
                    .checks
                    .push(CheckResult::not_testable("auth.prm.resource-matches", e)),
            }
        }
        if !s.checks.iter().any(|c| c.id == "auth.prm.resource-matches") {
            s.checks.push(CheckResult::not_applicable(
                "auth.prm.resource-matches",
                "no protected resource metadata is advertised",
            ));
        }
        match &metadata {
            Some((x, m)) => {
                let methods = m["code_challenge_methods_supported"].clone();
                let ok = methods
                    .as_array()
                    .is_some_and(|a| a.iter().any(|v| v == "S256"));
                s.checks.push(
                    CheckResult::judge(
                        "auth.as.s256-advertised",
                        ok,
                        "the authorization server metadata's code_challenge_methods_supported",
                        "includes S256",
                        methods.to_string(),
                    )
                    .with_evidence([x]),
                );
            }
            None => s.checks.push(CheckResult::not_applicable(
                "auth.as.s256-advertised",
                "no authorization server metadata was found",
            )),
        }
        let discovery = oauth::discover(&self.wire, self.url(), challenge.as_ref())
            .await
            .ok();
        (s, discovery)
    }

    async fn as_metadata(&self, issuer: &str) -> Option<(Exchange, Value)> {
        let u = url::Url::parse(issuer).ok()?;
        let origin = u.origin().ascii_serialization();
        let path = u.path().trim_end_matches('/');
        for candidate in [
            format!("{origin}/.well-known/oauth-authorization-server{path}"),
            format!("{origin}/.well-known/openid-configuration{path}"),
            format!("{issuer}/.well-known/openid-configuration"),
        ] {
            if let Ok(x) = self
                .raw(Request::get(&candidate).header("accept", "application/json"))
                .await
            {
                if x.status == 200 {
                    if let Ok(v) = serde_json::from_str::<Value>(&x.response_body) {
                        return Some((x, v));
                    }
                }
            }
        }
        None
    }

    // ---------------------------------------------------------------- authorization server hygiene

    async fn open_popup(&mut self, url: &str, redirect: &str, creds: &Credentials) -> PopupOutcome {
        let selectors = LoginSelectors::default();
        let request = PopupRequest {
            authorization_url: url,
            redirect_uri: redirect,
            credentials: Some(creds),
            selectors: &selectors,
            from_click: true,
            timeout: POPUP_TIMEOUT,
            session: None,
        };
        match self.popup.open(&self.wire, &request).await {
            Ok(report) => {
                self.popups += 1;
                self.popup_ms += report.elapsed.as_millis() as u64;
                report.outcome
            }
            Err(e) => PopupOutcome::TimedOut {
                url: format!("{url} (popup error: {e})"),
            },
        }
    }

    /// Authorization code flow with `creds`: the tokens, or why not.
    async fn sign_in(
        &mut self,
        discovery: &Discovery,
        client: &ClientCredentials,
        creds: &Credentials,
    ) -> Result<oauth::Tokens, String> {
        let scope = oauth::select_scope(None, discovery);
        let request = oauth::authorization_request(discovery, client, REDIRECT_URI, scope)
            .map_err(|e| e.to_string())?;
        let url = request.url.clone();
        match self.open_popup(&url, REDIRECT_URI, creds).await {
            PopupOutcome::Callback(callback) => {
                let code = oauth::verify_callback(&request, discovery, &callback)
                    .map_err(|e| e.to_string())?;
                oauth::exchange_code(&self.wire, discovery, client, request, code)
                    .await
                    .map_err(|e| e.to_string())
            }
            other => Err(other.describe()),
        }
    }

    async fn authorization_server(
        &mut self,
        discovery: Option<&Discovery>,
    ) -> (Section, Credential, Option<SignedIn>) {
        let mut s = Section::new(
            "authorization-server",
            "Authorization server hygiene, as a client sees it",
            "OAuth 2.1, RFC 7009, RFC 8707, RFC 9207, MCP 2025-11-25 authorization",
        );
        const IDS: [&str; 7] = [
            "auth.as.state-returned",
            "auth.as.iss-returned",
            "auth.as.pkce-enforced",
            "auth.as.redirect-uri-checked",
            "auth.as.refresh-rotated",
            "auth.as.revocation-honoured",
            "auth.token.audience-bound",
        ];
        let token = self.instance.logins.token.clone();
        let mut credential = Credential {
            bearer: token.clone(),
            second: None,
        };
        let skip_all = |s: &mut Section, why: &str, not_testable: bool| {
            for id in IDS {
                s.checks.push(if not_testable {
                    CheckResult::not_testable(id, why)
                } else {
                    CheckResult::skip(id, why)
                });
            }
        };
        let Some(discovery) = discovery else {
            skip_all(
                &mut s,
                "the endpoint advertises no authorization server (OAuth discovery found none)",
                false,
            );
            return (s, credential, None);
        };
        let Some(user) = self.instance.logins.user.clone() else {
            skip_all(
                &mut s,
                "needs a login (--user EMAIL with METABIND_PASSWORD)",
                false,
            );
            return (s, credential, None);
        };
        let plan = RegistrationPlan {
            client_name: "metabind-conformance sweep".into(),
            ..Default::default()
        };
        let client = match oauth::register(&self.wire, discovery, &plan, REDIRECT_URI).await {
            Ok(c) => c,
            Err(e) => {
                skip_all(
                    &mut s,
                    &format!("dynamic client registration failed: {e}"),
                    true,
                );
                return (s, credential, None);
            }
        };
        // 1. A normal sign-in: judge state and iss on the raw callback.
        let scope = oauth::select_scope(None, discovery);
        let tokens = match oauth::authorization_request(discovery, &client, REDIRECT_URI, scope) {
            Err(e) => Err(e.to_string()),
            Ok(request) => {
                let url = request.url.clone();
                match self.open_popup(&url, REDIRECT_URI, &user).await {
                    PopupOutcome::Callback(callback) => {
                        let parsed = url::Url::parse(&callback).ok();
                        let param = |name: &str| {
                            parsed.as_ref().and_then(|u| {
                                u.query_pairs()
                                    .find(|(k, _)| k == name)
                                    .map(|(_, v)| v.into_owned())
                            })
                        };
                        let state = param("state");
                        s.checks.push(CheckResult::judge(
                            "auth.as.state-returned",
                            state.as_deref() == Some(request.state.as_str()),
                            "the authorization response's state",
                            "the state the client sent",
                            match state {
                                Some(s) if s == request.state => "the same state",
                                Some(_) => "a different state",
                                None => "no state",
                            },
                        ));
                        let advertised = discovery.metadata
                            ["authorization_response_iss_parameter_supported"]
                            == json!(true);
                        let iss = param("iss");
                        s.checks.push(if advertised {
                            CheckResult::judge(
                                "auth.as.iss-returned",
                                iss.as_deref().map(|i| i.trim_end_matches('/'))
                                    == Some(discovery.issuer.trim_end_matches('/')),
                                "the authorization response's iss (RFC 9207 is advertised)",
                                discovery.issuer.clone(),
                                iss.unwrap_or_else(|| "no iss".into()),
                            )
                        } else {
                            CheckResult::not_applicable(
                                "auth.as.iss-returned",
                                "the metadata does not advertise authorization_response_iss_parameter_supported",
                            )
                        });
                        match param("code") {
                            Some(code) => {
                                oauth::exchange_code(&self.wire, discovery, &client, request, code)
                                    .await
                                    .map_err(|e| e.to_string())
                            }
                            None => Err(format!("the callback carries no code: {callback}")),
                        }
                    }
                    other => Err(other.describe()),
                }
            }
        };
        let tokens = match tokens {
            Ok(t) => t,
            Err(why) => {
                let why = format!("signing in as {} failed: {why}", user.email);
                for id in IDS {
                    if !s.checks.iter().any(|c| c.id == id) {
                        s.checks.push(CheckResult::not_testable(id, &why));
                    }
                }
                return (s, credential, None);
            }
        };
        credential.bearer = Some(tokens.access_token.clone());
        credential.second = token;
        if let Some(second) = self.instance.logins.second.clone() {
            if credential.second.is_none() {
                credential.second = self
                    .sign_in(discovery, &client, &second)
                    .await
                    .ok()
                    .map(|t| t.access_token);
            }
        }
        // 2. PKCE: the same request without code_challenge must not yield a code.
        if let Ok(request) = oauth::authorization_request(
            discovery,
            &client,
            REDIRECT_URI,
            oauth::select_scope(None, discovery),
        ) {
            let mut url = url::Url::parse(&request.url).expect("built by oauth2");
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .filter(|(k, _)| !k.starts_with("code_challenge"))
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            url.query_pairs_mut().clear().extend_pairs(pairs);
            let outcome = self.open_popup(url.as_str(), REDIRECT_URI, &user).await;
            let code_issued = matches!(&outcome, PopupOutcome::Callback(c) if c.contains("code="));
            s.checks.push(CheckResult::judge(
                "auth.as.pkce-enforced",
                !code_issued,
                "an authorization request without code_challenge",
                "refused (an error page or an error redirect)",
                outcome.describe(),
            ));
        }
        // 3. An unregistered redirect URI must not be redirected to.
        if let Ok(request) = oauth::authorization_request(
            discovery,
            &client,
            UNREGISTERED_REDIRECT,
            oauth::select_scope(None, discovery),
        ) {
            let outcome = self
                .open_popup(&request.url, UNREGISTERED_REDIRECT, &user)
                .await;
            let redirected = matches!(outcome, PopupOutcome::Callback(_));
            s.checks.push(CheckResult::judge(
                "auth.as.redirect-uri-checked",
                !redirected,
                "an authorization request with a redirect_uri the client never registered",
                "an error page, no redirect",
                outcome.describe(),
            ));
        }
        // 4. Audience: this endpoint's token on the draft endpoint beside it.
        match self.instance.endpoint("target/draft") {
            Ok(draft) => {
                let mut client_b = McpClient::new(self.wire.clone(), draft);
                client_b.bearer = Some(tokens.access_token.clone());
                let start = self.wire.transcript.snapshot().len();
                let reply = client_b.initialize(client_info(), json!({})).await;
                let exchanges = self.wire.transcript.snapshot();
                let status = reply.as_ref().map(|r| r.status()).unwrap_or(0);
                s.checks.push(
                    CheckResult::judge(
                        "auth.token.audience-bound",
                        status == 401,
                        "a production token presented to the draft endpoint",
                        "401 (the token's audience is another resource)",
                        match status {
                            403 => "403: the token was accepted as valid there, only its scope fell short".to_owned(),
                            0 => "no answer".to_owned(),
                            s => format!("{s}"),
                        },
                    )
                    .with_evidence(exchanges[start..].iter().take(1)),
                );
            }
            Err(why) => s.checks.push(CheckResult::skip(
                "auth.token.audience-bound",
                format!("needs a second resource to present the token to: {why}"),
            )),
        }
        (
            s,
            credential,
            Some((discovery.clone(), client, user, tokens)),
        )
    }

    /// The probes that may end grants (refresh reuse detection, revocation): run after every other
    /// section, because an authorization server may end all of a client's grants for the user.
    async fn grant_ending_probes(&mut self, s: &mut Section, signed_in: Option<SignedIn>) {
        let Some((discovery, client, user, tokens)) = signed_in else {
            return;
        };
        let discovery = &discovery;
        // 5. Refresh rotation: refresh once, then the old refresh token must be refused.
        match &tokens.refresh_token {
            None => s.checks.push(CheckResult::not_applicable(
                "auth.as.refresh-rotated",
                "no refresh token was issued",
            )),
            Some(old) => {
                // A separate grant, so that reuse detection cannot revoke the one the other sections use.
                match self.sign_in(discovery, &client, &user).await {
                    Err(e) => s.checks.push(CheckResult::not_testable(
                        "auth.as.refresh-rotated",
                        format!("a second sign-in failed: {e}"),
                    )),
                    Ok(fresh) => {
                        let old = fresh.refresh_token.clone().unwrap_or_else(|| old.clone());
                        let first =
                            oauth::refresh(&self.wire, discovery, &client, REDIRECT_URI, &old)
                                .await;
                        match first {
                            Err(e) => s.checks.push(CheckResult::not_testable(
                                "auth.as.refresh-rotated",
                                format!("the first refresh failed: {e}"),
                            )),
                            Ok(_) => {
                                let again = oauth::refresh(
                                    &self.wire,
                                    discovery,
                                    &client,
                                    REDIRECT_URI,
                                    &old,
                                )
                                .await;
                                s.checks.push(CheckResult::judge(
                                    "auth.as.refresh-rotated",
                                    again.is_err(),
                                    "the used refresh token, presented again",
                                    "invalid_grant",
                                    match again {
                                        Ok(_) => "new tokens were issued".to_owned(),
                                        Err(e) => e.to_string(),
                                    },
                                ));
                            }
                        }
                    }
                }
            }
        }
        // 6. Revocation (RFC 7009): a revoked access token fails on the next request.
        match discovery.metadata["revocation_endpoint"].as_str() {
            None => s.checks.push(CheckResult::not_applicable(
                "auth.as.revocation-honoured",
                "the authorization server has no revocation_endpoint",
            )),
            Some(endpoint) => match self.sign_in(discovery, &client, &user).await {
                Err(e) => s.checks.push(CheckResult::not_testable(
                    "auth.as.revocation-honoured",
                    format!("a sign-in for the revocation probe failed: {e}"),
                )),
                Ok(victim) => {
                    let mut form = url::form_urlencoded::Serializer::new(String::new());
                    form.append_pair("token", &victim.access_token)
                        .append_pair("token_type_hint", "access_token")
                        .append_pair("client_id", &client.client_id);
                    if let Some(secret) = &client.client_secret {
                        form.append_pair("client_secret", secret);
                    }
                    let revoke = Request::post(
                        endpoint,
                        "application/x-www-form-urlencoded",
                        form.finish().into_bytes(),
                    );
                    let revoked = self.raw(revoke).await;
                    let mut after = self.mcp(Some(&victim.access_token));
                    let reply = after.initialize(client_info(), json!({})).await;
                    let status = reply.as_ref().map(|r| r.status()).unwrap_or(0);
                    let mut check = CheckResult::judge(
                        "auth.as.revocation-honoured",
                        status == 401,
                        "initialize with an access token revoked through the revocation endpoint",
                        "401",
                        format!(
                            "revocation answered {}, then initialize answered {status}",
                            revoked.as_ref().map(|x| x.status).unwrap_or(0)
                        ),
                    );
                    if let Ok(x) = &revoked {
                        check = check.with_evidence([x]);
                    }
                    s.checks.push(check);
                }
            },
        }
    }

    // ---------------------------------------------------------------- transport and session

    async fn initialized(&self, bearer: Option<&str>) -> Result<(McpClient, Reply), String> {
        let mut client = self.mcp(bearer);
        let reply = client
            .initialize(client_info(), json!({}))
            .await
            .map_err(|e| e.to_string())?;
        if reply.result().is_none() {
            return Err(format!(
                "initialize answered {}: {}",
                reply.status(),
                reply
                    .received
                    .exchange
                    .response_body
                    .chars()
                    .take(200)
                    .collect::<String>()
            ));
        }
        Ok((client, reply))
    }

    async fn transport(&self, credential: &Credential, s: &mut Section) {
        const IDS: [&str; 9] = [
            "transport.notification.accepted",
            "transport.session.required",
            "transport.session.bound",
            "transport.session.delete-ends",
            "transport.json.parse-error",
            "transport.batch.refused",
            "transport.protocol-version.checked",
            "transport.origin.checked",
            "lifecycle.instructions.present",
        ];
        let bearer = credential.bearer.as_deref();
        let (client, reply) = match self.initialized(bearer).await {
            Ok(x) => x,
            Err(why) => {
                for id in IDS {
                    s.checks.push(CheckResult::not_testable(
                        id,
                        format!("initialize failed: {why}"),
                    ));
                }
                return;
            }
        };
        let instructions = reply
            .result()
            .and_then(|r| r["instructions"].as_str())
            .unwrap_or("");
        s.checks.push(CheckResult::judge(
            "lifecycle.instructions.present",
            !instructions.trim().is_empty(),
            "the initialize result's instructions",
            "instructions that say when to call which tool",
            if instructions.is_empty() {
                "none".to_owned()
            } else {
                instructions.chars().take(120).collect()
            },
        ));
        // notifications/initialized was the last exchange of initialize().
        let exchanges = self.wire.transcript.snapshot();
        if let Some(x) = exchanges
            .iter()
            .rev()
            .find(|x| x.request_body.contains("notifications/initialized"))
        {
            s.checks.push(
                CheckResult::judge(
                    "transport.notification.accepted",
                    x.status == 202 && x.response_body.trim().is_empty(),
                    "notifications/initialized",
                    "202 Accepted with no body",
                    format!("{} with {} bytes", x.status, x.response_body.len()),
                )
                .with_evidence([x]),
            );
        }
        let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}});
        let stateful = client.session_id.is_some();
        // Without the session id.
        if stateful {
            let mut request = client.request(&list);
            request.headers.retain(|(k, _)| k != "mcp-session-id");
            self.judge_status(
                s,
                "transport.session.required",
                "tools/list without Mcp-Session-Id",
                request,
                |st, _| st == 400,
                "400",
            )
            .await;
        } else {
            s.checks.push(CheckResult::not_applicable(
                "transport.session.required",
                "the server issues no session id (stateless)",
            ));
        }
        // Another credential on this session.
        match (&credential.second, stateful) {
            (_, false) => s.checks.push(CheckResult::not_applicable(
                "transport.session.bound",
                "the server issues no session id (stateless)",
            )),
            (None, _) => s.checks.push(CheckResult::skip(
                "transport.session.bound",
                "needs a second credential (--second-user, or --token beside --user)",
            )),
            (Some(other), true) => {
                let mut request = client.request(&list);
                request.headers.retain(|(k, _)| k != "authorization");
                let request = request.header("authorization", format!("Bearer {other}"));
                self.judge_status(
                    s,
                    "transport.session.bound",
                    "this session's id presented with another credential",
                    request,
                    |st, body| !(200..300).contains(&st) || jsonrpc_error_code(body).is_some(),
                    "refused (404)",
                )
                .await;
            }
        }
        // Unsupported protocol version header.
        let mut request = client.request(&list);
        request.headers.retain(|(k, _)| k != "mcp-protocol-version");
        let request = request.header("mcp-protocol-version", "1999-01-01");
        self.judge_status(
            s,
            "transport.protocol-version.checked",
            "tools/list with MCP-Protocol-Version: 1999-01-01",
            request,
            |st, _| st == 400,
            "400",
        )
        .await;
        // Foreign Origin (DNS rebinding).
        let request = client
            .request(&list)
            .header("origin", "http://rebinding.attacker.example");
        self.judge_status(
            s,
            "transport.origin.checked",
            "tools/list with Origin: http://rebinding.attacker.example",
            request,
            |st, _| st == 403,
            "403",
        )
        .await;
        // Malformed JSON.
        let mut request = client.request(&list);
        request.body = Some(b"{\"jsonrpc\": \"2.0\", \"id\": 3, \"method\": ".to_vec());
        self.judge_status(
            s,
            "transport.json.parse-error",
            "a body that is not JSON",
            request,
            |st, body| st == 400 && jsonrpc_error_code(body) == Some(-32700),
            "400 with a -32700 error",
        )
        .await;
        // A batch.
        let mut request = client.request(&list);
        request.body = Some(
            json!([list, {"jsonrpc": "2.0", "id": 4, "method": "ping"}])
                .to_string()
                .into_bytes(),
        );
        self.judge_status(
            s,
            "transport.batch.refused",
            "a JSON-RPC batch (array)",
            request,
            |st, body| {
                let answered = serde_json::from_str::<Value>(body)
                    .map(|v| v.is_array())
                    .unwrap_or(false);
                !answered && (st >= 400 || jsonrpc_error_code(body).is_some())
            },
            "refused (4xx or -32600), not processed",
        )
        .await;
        // DELETE ends the session.
        if stateful {
            let session = client.session_id.clone().unwrap_or_default();
            let mut delete = Request {
                method: reqwest::Method::DELETE,
                url: self.url().to_owned(),
                headers: vec![("mcp-session-id".into(), session)],
                body: None,
            };
            if let Some(b) = bearer {
                delete = delete.header("authorization", format!("Bearer {b}"));
            }
            match self.raw(delete).await {
                Ok(x) if x.status == 405 => s.checks.push(
                    CheckResult::not_applicable(
                        "transport.session.delete-ends",
                        "the server does not let clients end sessions (405)",
                    )
                    .with_evidence([&x]),
                ),
                Ok(_) => {
                    self.judge_status(
                        s,
                        "transport.session.delete-ends",
                        "tools/list on a session after DELETE",
                        client.request(&list),
                        |st, _| st == 404,
                        "404",
                    )
                    .await;
                }
                Err(e) => s.checks.push(CheckResult::not_testable(
                    "transport.session.delete-ends",
                    e,
                )),
            }
        } else {
            s.checks.push(CheckResult::not_applicable(
                "transport.session.delete-ends",
                "the server issues no session id (stateless)",
            ));
        }
    }

    async fn judge_status(
        &self,
        s: &mut Section,
        id: &str,
        what: &str,
        request: Request,
        ok: impl Fn(u16, &str) -> bool,
        expected: &str,
    ) {
        match self.raw(request).await {
            Ok(x) => {
                let code = jsonrpc_error_code(&x.response_body)
                    .map(|c| format!(" (JSON-RPC {c})"))
                    .unwrap_or_default();
                s.checks.push(
                    CheckResult::judge(
                        id,
                        ok(x.status, &x.response_body),
                        what,
                        expected,
                        format!("{}{code}", x.status),
                    )
                    .with_evidence([&x]),
                );
            }
            Err(e) => s.checks.push(CheckResult::not_testable(id, e)),
        }
    }

    // ---------------------------------------------------------------- tools

    /// Tools a check may call: on a deployment only read-only ones (the sweep must not change data).
    fn callable<'t>(&self, tools: &'t [Value]) -> impl Iterator<Item = &'t Value> {
        let sandbox = self.instance.control.is_some();
        tools
            .iter()
            .filter(move |t| sandbox || t["annotations"]["readOnlyHint"] == true)
    }

    async fn tools(&self, credential: &Credential, s: &mut Section) -> Option<Vec<Value>> {
        const IDS: [&str; 8] = [
            "tools.list.pagination",
            "tools.list.cursor-validated",
            "tools.list.input-schema-object",
            "tools.annotations.consistent",
            "tools.call.unknown-tool",
            "tools.call.input-validated",
            "tools.call.text-mirror",
            "tools.call.output-schema",
        ];
        let (mut client, _) = match self.initialized(credential.bearer.as_deref()).await {
            Ok(x) => x,
            Err(why) => {
                for id in IDS {
                    s.checks.push(CheckResult::not_testable(
                        id,
                        format!("initialize failed: {why}"),
                    ));
                }
                return None;
            }
        };
        // Every page, watching for cursors or tools that come back.
        let mut tools: Vec<Value> = Vec::new();
        let mut cursors: Vec<String> = Vec::new();
        let mut problem = None;
        let mut cursor: Option<String> = None;
        for _ in 0..50 {
            let params = cursor
                .as_ref()
                .map(|c| json!({"cursor": c}))
                .unwrap_or_else(|| json!({}));
            let reply = match client.call("tools/list", params).await {
                Ok(r) => r,
                Err(e) => {
                    problem = Some(format!("tools/list failed: {e}"));
                    break;
                }
            };
            let Some(result) = reply.result() else {
                problem = Some(format!("tools/list answered {}", reply.status()));
                break;
            };
            for t in result["tools"].as_array().cloned().unwrap_or_default() {
                if tools.iter().any(|k| k["name"] == t["name"]) {
                    problem.get_or_insert(format!("tool {} is listed twice", t["name"]));
                } else {
                    tools.push(t);
                }
            }
            match result["nextCursor"].as_str() {
                None => break,
                Some(next) if cursors.iter().any(|c| c == next) => {
                    problem.get_or_insert(format!("cursor {next:?} came back: the pages loop"));
                    break;
                }
                Some(next) => {
                    cursors.push(next.to_owned());
                    cursor = Some(next.to_owned());
                }
            }
        }
        s.checks.push(CheckResult::judge(
            "tools.list.pagination",
            problem.is_none(),
            format!("tools/list over {} page(s)", cursors.len() + 1),
            "each tool once, cursors that lead forward and end",
            problem
                .clone()
                .unwrap_or_else(|| format!("{} tools", tools.len())),
        ));
        // A made-up cursor.
        let bogus = client
            .call(
                "tools/list",
                json!({"cursor": "metabind-conformance-not-a-cursor"}),
            )
            .await;
        s.checks.push(expects_rpc_error(
            "tools.list.cursor-validated",
            &bogus,
            "tools/list with a cursor the server never issued",
            "a -32602 error",
            "a page of tools",
        ));
        if tools.is_empty() {
            for id in &IDS[2..] {
                s.checks
                    .push(CheckResult::skip(id, "the endpoint lists no tools"));
            }
            return Some(tools);
        }
        let bad: Vec<String> = tools
            .iter()
            .filter(|t| t["inputSchema"]["type"] != "object")
            .map(|t| {
                format!(
                    "{} ({})",
                    t["name"].as_str().unwrap_or("?"),
                    t["inputSchema"]["type"]
                )
            })
            .collect();
        s.checks.push(CheckResult::judge(
            "tools.list.input-schema-object",
            bad.is_empty(),
            format!("inputSchema of {} tools", tools.len()),
            "type \"object\" on every tool",
            if bad.is_empty() {
                "all objects".to_owned()
            } else {
                format!("not an object: {}", bad.join(", "))
            },
        ));
        s.checks
            .push(crate::review::annotations("the endpoint", &tools));
        // An unknown tool.
        let unknown = client
            .call(
                "tools/call",
                json!({"name": "metabind-conformance-no-such-tool", "arguments": {}}),
            )
            .await;
        s.checks.push(expects_rpc_error(
            "tools.call.unknown-tool",
            &unknown,
            "tools/call of a tool that does not exist",
            "a JSON-RPC error (-32602)",
            "a tool result",
        ));
        // Invalid input: a callable, non-task tool with required arguments, called with none.
        let direct = |t: &&Value| t["execution"]["taskSupport"] != "required";
        match self.callable(&tools).filter(direct).find(|t| {
            t["inputSchema"]["required"]
                .as_array()
                .is_some_and(|r| !r.is_empty())
        }) {
            None => s.checks.push(CheckResult::not_applicable(
                "tools.call.input-validated",
                "no callable tool has required arguments",
            )),
            Some(t) => {
                let name = t["name"].as_str().unwrap_or_default();
                match client
                    .call("tools/call", json!({"name": name, "arguments": {}}))
                    .await
                {
                    Ok(r) => {
                        let refused =
                            r.error().is_some() || r.result().is_some_and(|x| x["isError"] == true);
                        s.checks.push(
                            CheckResult::judge(
                                "tools.call.input-validated",
                                refused,
                                format!("{name} called without its required arguments"),
                                "an isError result or a -32602 error",
                                if refused {
                                    "refused".to_owned()
                                } else {
                                    "the tool ran and returned a normal result".to_owned()
                                },
                            )
                            .with_evidence([&r.received.exchange]),
                        );
                    }
                    Err(e) => s.checks.push(CheckResult::not_testable(
                        "tools.call.input-validated",
                        e.to_string(),
                    )),
                }
            }
        }
        // Structured content: text mirror and output schema, on a callable tool with an outputSchema.
        let generated = self
            .callable(&tools)
            .filter(direct)
            .filter(|t| t["outputSchema"].is_object())
            .find_map(|t| sample_arguments(&t["inputSchema"]).map(|a| (t.clone(), a)));
        match generated {
            None => {
                for id in ["tools.call.text-mirror", "tools.call.output-schema"] {
                    s.checks.push(CheckResult::not_applicable(
                        id,
                        "no callable tool with an outputSchema and arguments the sweep can make up",
                    ));
                }
            }
            Some((tool, arguments)) => {
                let name = tool["name"].as_str().unwrap_or_default().to_owned();
                match client
                    .call("tools/call", json!({"name": name, "arguments": arguments}))
                    .await
                {
                    Ok(r) => match r.result().filter(|x| x["isError"] != true) {
                        None => {
                            for id in ["tools.call.text-mirror", "tools.call.output-schema"] {
                                s.checks.push(
                                    CheckResult::not_testable(
                                        id,
                                        format!("{name} with {arguments} did not return a result"),
                                    )
                                    .with_evidence([&r.received.exchange]),
                                );
                            }
                        }
                        Some(result) => {
                            let structured = &result["structuredContent"];
                            let mirrored =
                                result["content"].as_array().into_iter().flatten().any(|c| {
                                    c["type"] == "text"
                                        && c["text"]
                                            .as_str()
                                            .and_then(|t| serde_json::from_str::<Value>(t).ok())
                                            .as_ref()
                                            == Some(structured)
                                });
                            s.checks.push(
                                CheckResult::judge(
                                    "tools.call.text-mirror",
                                    mirrored,
                                    format!("{name}'s result content"),
                                    "a text block with the serialized structuredContent",
                                    if mirrored {
                                        "present".to_owned()
                                    } else {
                                        format!(
                                            "content {}",
                                            truncate(&result["content"].to_string(), 200)
                                        )
                                    },
                                )
                                .with_evidence([&r.received.exchange]),
                            );
                            let verdict = match jsonschema::validator_for(&tool["outputSchema"]) {
                                Err(e) => Err(format!("the outputSchema itself is invalid: {e}")),
                                Ok(v) => {
                                    let errors: Vec<String> = v
                                        .iter_errors(structured)
                                        .map(|e| e.to_string())
                                        .take(3)
                                        .collect();
                                    if errors.is_empty() {
                                        Ok(())
                                    } else {
                                        Err(errors.join("; "))
                                    }
                                }
                            };
                            s.checks.push(
                                CheckResult::judge(
                                    "tools.call.output-schema",
                                    verdict.is_ok(),
                                    format!("{name}'s structuredContent against its outputSchema"),
                                    "valid",
                                    verdict.err().unwrap_or_else(|| "valid".into()),
                                )
                                .with_evidence([&r.received.exchange]),
                            );
                        }
                    },
                    Err(e) => {
                        for id in ["tools.call.text-mirror", "tools.call.output-schema"] {
                            s.checks.push(CheckResult::not_testable(id, e.to_string()));
                        }
                    }
                }
            }
        }
        Some(tools)
    }

    // ---------------------------------------------------------------- tasks

    async fn tasks(&self, credential: &Credential, tools: Option<&[Value]>, s: &mut Section) {
        const IDS: [&str; 6] = [
            "tasks.required.enforced",
            "tasks.lifecycle.completes",
            "tasks.result.waits",
            "tasks.result.related-meta",
            "tasks.cancel.terminal-rejected",
            "tasks.access.bound-to-requester",
        ];
        let Some(tools) = tools else {
            for id in IDS {
                s.checks
                    .push(CheckResult::not_testable(id, "tools/list failed"));
            }
            return;
        };
        let candidate = self
            .callable(tools)
            .filter(|t| t["execution"]["taskSupport"] == "required")
            .find_map(|t| sample_arguments(&t["inputSchema"]).map(|a| (t.clone(), a)));
        let Some((tool, arguments)) = candidate else {
            for id in IDS {
                s.checks.push(CheckResult::not_applicable(
                    id,
                    "no callable tool requires a task",
                ));
            }
            return;
        };
        let name = tool["name"].as_str().unwrap_or_default().to_owned();
        let (mut client, _) = match self.initialized(credential.bearer.as_deref()).await {
            Ok(x) => x,
            Err(why) => {
                for id in IDS {
                    s.checks.push(CheckResult::not_testable(
                        id,
                        format!("initialize failed: {why}"),
                    ));
                }
                return;
            }
        };
        let call = json!({"name": name, "arguments": arguments});
        s.checks.push(expects_rpc_error(
            "tasks.required.enforced",
            &client.call("tools/call", call.clone()).await,
            format!("{name} (taskSupport required) called without a task"),
            "a JSON-RPC error (-32601)",
            "the tool ran without a task",
        ));
        let mut with_task = call.clone();
        with_task["task"] = json!({"ttl": 60000});
        // Task A: poll to the end, then its result, then cancel it.
        let created = client.call("tools/call", with_task.clone()).await;
        let task_id = created
            .as_ref()
            .ok()
            .and_then(|r| r.result())
            .and_then(|r| r["task"]["taskId"].as_str())
            .map(String::from);
        let Some(task_id) = task_id else {
            let why = match &created {
                Ok(r) => format!(
                    "tools/call with a task answered {}: {}",
                    r.status(),
                    truncate(&r.received.exchange.response_body, 200)
                ),
                Err(e) => e.to_string(),
            };
            for id in &IDS[1..] {
                s.checks.push(CheckResult::not_testable(id, &why));
            }
            return;
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut statuses = Vec::new();
        let mut terminal = false;
        while Instant::now() < deadline {
            let Ok(reply) = client.call("tasks/get", json!({"taskId": task_id})).await else {
                break;
            };
            let Some(task) = reply.result() else { break };
            let status = task["status"].as_str().unwrap_or_default().to_owned();
            if statuses.last() != Some(&status) {
                statuses.push(status.clone());
            }
            if matches!(status.as_str(), "completed" | "failed" | "cancelled") {
                terminal = true;
                break;
            }
            // The server's pollInterval paces polling, as the protocol asks.
            let interval = task["pollInterval"].as_u64().unwrap_or(200).clamp(10, 2000);
            tokio::time::sleep(Duration::from_millis(interval)).await;
        }
        s.checks.push(CheckResult::judge(
            "tasks.lifecycle.completes",
            terminal,
            format!("the task of {name}, polled for up to 15 s"),
            "a terminal status (completed or failed)",
            if statuses.is_empty() {
                "tasks/get failed".to_owned()
            } else {
                statuses.join(" → ")
            },
        ));
        if terminal {
            match client
                .call("tasks/result", json!({"taskId": task_id}))
                .await
            {
                Ok(r) => {
                    let related = r.result().map(|x| {
                        x["_meta"]["io.modelcontextprotocol/related-task"]["taskId"].clone()
                    });
                    s.checks.push(
                        CheckResult::judge(
                            "tasks.result.related-meta",
                            related.as_ref() == Some(&json!(task_id)),
                            "tasks/result's _meta",
                            format!("io.modelcontextprotocol/related-task with taskId {task_id}"),
                            match related {
                                Some(Value::Null) => "no related-task _meta".to_owned(),
                                Some(v) => v.to_string(),
                                None => format!("HTTP {}", r.status()),
                            },
                        )
                        .with_evidence([&r.received.exchange]),
                    );
                }
                Err(e) => s.checks.push(CheckResult::not_testable(
                    "tasks.result.related-meta",
                    e.to_string(),
                )),
            }
            s.checks.push(expects_rpc_error(
                "tasks.cancel.terminal-rejected",
                &client
                    .call("tasks/cancel", json!({"taskId": task_id}))
                    .await,
                "tasks/cancel of a finished task",
                "a -32602 error",
                "accepted",
            ));
        } else {
            for id in [
                "tasks.result.related-meta",
                "tasks.cancel.terminal-rejected",
            ] {
                s.checks.push(CheckResult::not_testable(
                    id,
                    "the task never reached a terminal status",
                ));
            }
        }
        // Task B: tasks/result right away must wait for the end.
        if terminal {
            let created = client.call("tools/call", with_task).await;
            match created.ok().and_then(|r| {
                r.result()
                    .and_then(|x| x["task"]["taskId"].as_str().map(String::from))
            }) {
                None => s.checks.push(CheckResult::not_testable(
                    "tasks.result.waits",
                    "a second task could not be created",
                )),
                Some(b) => {
                    let result = client.call("tasks/result", json!({"taskId": b})).await;
                    let after = client.call("tasks/get", json!({"taskId": b})).await;
                    let status = after
                        .ok()
                        .and_then(|r| {
                            r.result()
                                .and_then(|x| x["status"].as_str().map(String::from))
                        })
                        .unwrap_or_default();
                    let mut check = CheckResult::judge(
                        "tasks.result.waits",
                        matches!(status.as_str(), "completed" | "failed" | "cancelled"),
                        "the task's status right after tasks/result answered",
                        "terminal (tasks/result blocks until the end)",
                        status.clone(),
                    );
                    if let Ok(r) = &result {
                        check = check.with_evidence([&r.received.exchange]);
                    }
                    s.checks.push(check);
                }
            }
        } else {
            s.checks.push(CheckResult::not_testable(
                "tasks.result.waits",
                "the task never reached a terminal status",
            ));
        }
        // Another credential must not see the task.
        match &credential.second {
            None => s.checks.push(CheckResult::skip(
                "tasks.access.bound-to-requester",
                "needs a second credential (--second-user, or --token beside --user)",
            )),
            Some(other) => match self.initialized(Some(other)).await {
                Err(why) => s.checks.push(CheckResult::not_testable(
                    "tasks.access.bound-to-requester",
                    format!("the second credential cannot initialize: {why}"),
                )),
                Ok((mut intruder, _)) => {
                    match intruder.call("tasks/get", json!({"taskId": task_id})).await {
                        Ok(r) => s.checks.push(
                            CheckResult::judge(
                                "tasks.access.bound-to-requester",
                                r.result().is_none(),
                                "tasks/get of the task by another credential",
                                "not found (-32602)",
                                if r.result().is_some() {
                                    "the task was shown".to_owned()
                                } else {
                                    "refused".to_owned()
                                },
                            )
                            .with_evidence([&r.received.exchange]),
                        ),
                        Err(e) => s.checks.push(CheckResult::not_testable(
                            "tasks.access.bound-to-requester",
                            e.to_string(),
                        )),
                    }
                }
            },
        }
    }

    // ---------------------------------------------------------------- UI resources

    /// The tool-choice review of the target's tools and instructions (`crate::review`).
    async fn review(&self, credential: &Credential, tools: Option<&[Value]>, s: &mut Section) {
        const IDS: [&str; 3] = [
            "review.tool.description",
            "review.tools.distinguishable",
            "review.instructions.guidance",
        ];
        let Some(tools) = tools else {
            for id in IDS {
                s.checks
                    .push(CheckResult::not_testable(id, "tools/list failed"));
            }
            return;
        };
        let label = "the endpoint";
        s.checks.push(crate::review::descriptions(label, tools));
        s.checks.push(crate::review::tools_read_apart(label, tools));
        s.checks
            .push(match self.initialized(credential.bearer.as_deref()).await {
                Ok((mut client, reply)) => {
                    let _ = client.close().await;
                    let instructions = reply.result().and_then(|r| r["instructions"].as_str());
                    crate::review::instructions(label, instructions, tools)
                }
                Err(why) => CheckResult::not_testable(
                    "review.instructions.guidance",
                    format!("initialize failed: {why}"),
                ),
            });
    }

    async fn ui(&self, credential: &Credential, tools: Option<&[Value]>, s: &mut Section) {
        let Some(tools) = tools else {
            for id in ["ui.resource.resolves", "ui.resource.mime-type"] {
                s.checks
                    .push(CheckResult::not_testable(id, "tools/list failed"));
            }
            return;
        };
        let wanted: Vec<(&str, crate::host::UiLink)> = tools
            .iter()
            .flat_map(|t| {
                let name = t["name"].as_str().unwrap_or_default();
                crate::host::ui_links(t).into_iter().map(move |l| (name, l))
            })
            .collect();
        if wanted.is_empty() {
            for id in ["ui.resource.resolves", "ui.resource.mime-type"] {
                s.checks.push(CheckResult::not_applicable(
                    id,
                    "no tool points at a UI resource",
                ));
            }
            return;
        }
        let (mut client, _) = match self.initialized(credential.bearer.as_deref()).await {
            Ok(x) => x,
            Err(why) => {
                for id in ["ui.resource.resolves", "ui.resource.mime-type"] {
                    s.checks.push(CheckResult::not_testable(
                        id,
                        format!("initialize failed: {why}"),
                    ));
                }
                return;
            }
        };
        for (tool, link) in wanted {
            match client
                .call("resources/read", json!({"uri": link.uri}))
                .await
            {
                Err(e) => s.checks.push(CheckResult::not_testable(
                    "ui.resource.resolves",
                    e.to_string(),
                )),
                Ok(r) => {
                    let answer = match (r.result(), r.error()) {
                        (Some(result), _) => Ok(result),
                        (None, Some(e)) => Err(format!("error {}: {}", e["code"], e["message"])),
                        (None, None) => Err(format!("HTTP {}", r.status())),
                    };
                    let mut checks = crate::checks::ui::resource_read(
                        &link.uri,
                        &format!("the UI of {tool}"),
                        link.mime_type(),
                        answer,
                    );
                    checks[0]
                        .evidence
                        .push(crate::checks::verdict::excerpt(&r.received.exchange));
                    s.checks.extend(checks);
                }
            }
        }
    }
}

/// A verdict that passes when `reply` is a JSON-RPC error, quoting its exchange; no reply at all makes
/// the check not testable.
fn expects_rpc_error(
    id: &str,
    reply: &Result<Reply, crate::wire::Error>,
    what: impl Into<String>,
    expected: &str,
    answered_with_result: &str,
) -> CheckResult {
    match reply {
        Err(e) => CheckResult::not_testable(id, e.to_string()),
        Ok(r) => CheckResult::judge(
            id,
            r.error().is_some(),
            what,
            expected,
            match (r.error(), r.result()) {
                (Some(e), _) => format!("error {}", e["code"]),
                (None, Some(_)) => answered_with_result.to_owned(),
                _ => format!("HTTP {}", r.status()),
            },
        )
        .with_evidence([&r.received.exchange]),
    }
}

/// Arguments that satisfy a simple inputSchema: required properties only, from `enum`, `default`,
/// `examples` or the type. `None` when a required property cannot be made up (a pattern, a nested
/// object): the sweep then leaves that tool alone rather than send nonsense.
pub fn sample_arguments(schema: &Value) -> Option<Value> {
    let mut arguments = serde_json::Map::new();
    for name in schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let property = &schema["properties"][name];
        let value = if let Some(first) = property["enum"].as_array().and_then(|e| e.first()) {
            first.clone()
        } else if !property["default"].is_null() {
            property["default"].clone()
        } else if let Some(first) = property["examples"].as_array().and_then(|e| e.first()) {
            first.clone()
        } else {
            match property["type"].as_str() {
                Some("string")
                    if property.get("pattern").is_none() && property.get("format").is_none() =>
                {
                    json!("tea")
                }
                Some("integer") => json!(property["minimum"].as_i64().unwrap_or(1)),
                Some("number") => json!(property["minimum"].as_f64().unwrap_or(1.0)),
                Some("boolean") => json!(false),
                _ => return None,
            }
        };
        arguments.insert(name.to_owned(), value);
    }
    Some(Value::Object(arguments))
}
