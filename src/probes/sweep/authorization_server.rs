//! The authorization server as a client sees it, through the popup: a normal sign-in (its raw callback
//! is kept for `state` and `iss`), the same request without PKCE, one with an unregistered redirect
//! URI, the token on the draft endpoint beside this one; then, last, the probes that may end grants:
//! a used refresh token presented again, and a revoked access token.

use std::time::Duration;

use serde_json::json;

use super::{client_info, Credential, Sweep};
use crate::evidence::sweep::{AuthorizationServer, RefreshReplay, Revocation, SignIn};
use crate::evidence::{Observed, RpcExchange};
use crate::oauth::{self, ClientCredentials, Discovery, RegistrationPlan, Tokens};
use crate::popup::{Credentials, LoginSelectors, PopupOutcome, PopupRequest};
use crate::scenario::refs::{EndpointRef, EndpointSlot, Role};
use crate::wire::{McpClient, Request};

/// Where the sweep sends the authorization popup back to (never fetched: the popup stops there).
const REDIRECT_URI: &str = "http://127.0.0.1:9/metabind-conformance/callback";
const UNREGISTERED_REDIRECT: &str = "http://127.0.0.1:9/metabind-conformance/not-registered";
const POPUP_TIMEOUT: Duration = Duration::from_secs(20);

/// What the first sign-in left for the grant-ending probes.
pub(super) type SignedIn = Option<(Discovery, ClientCredentials, Credentials, Tokens)>;

impl Sweep<'_> {
    /// One popup; a browser failure is a harness error, never an outcome.
    async fn open_popup(
        &mut self,
        url: &str,
        redirect: &str,
        creds: &Credentials,
    ) -> Observed<PopupOutcome> {
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
                self.popup_durations_ms
                    .push(report.elapsed.as_millis() as u64);
                Observed::Seen(report.outcome)
            }
            Err(e) => Observed::harness_error(format!("the popup could not run: {e}")),
        }
    }

    /// The authorization code flow with `creds`: the tokens, or why not.
    async fn sign_in(
        &mut self,
        discovery: &Discovery,
        client: &ClientCredentials,
        creds: &Credentials,
    ) -> Result<Tokens, String> {
        let scope = oauth::select_scope(None, discovery);
        let request = oauth::authorization_request(discovery, client, REDIRECT_URI, scope, None)
            .map_err(|e| e.to_string())?;
        let url = request.url.clone();
        match self.open_popup(&url, REDIRECT_URI, creds).await {
            Observed::Seen(PopupOutcome::Callback(callback)) => {
                let code = oauth::verify_callback(&request, discovery, &callback)
                    .map_err(|e| e.to_string())?;
                oauth::exchange_code(&self.wire, discovery, client, request, code)
                    .await
                    .map_err(|e| e.to_string())
            }
            Observed::Seen(other) => Err(other.describe()),
            Observed::Missing(gap) => Err(format!("{gap:?}")),
        }
    }
}

/// Signs in (the sections' credential) and, with `hygiene`, probes the AS. Without an authorization
/// server or a login, the evidence says why.
pub(super) async fn probe(
    sweep: &mut Sweep<'_>,
    discovery: Result<&Discovery, &str>,
    hygiene: bool,
    open: bool,
    ev: &mut AuthorizationServer,
) -> (Credential, SignedIn) {
    let token = sweep.instance.secrets.token.clone();
    let mut credential = Credential {
        bearer: token.clone(),
        second: None,
    };
    let gap = |ev: &mut AuthorizationServer, missing: Observed<()>| {
        let copy = |o: &Observed<()>| match o {
            Observed::Missing(g) => g.clone(),
            Observed::Seen(()) => unreachable!("only gaps are copied"),
        };
        let g = copy(&missing);
        ev.sign_in = Observed::Missing(g.clone());
        ev.without_pkce = Observed::Missing(g.clone());
        ev.unregistered_redirect = Observed::Missing(g.clone());
        ev.audience = Observed::Missing(g.clone());
        ev.refresh_replay = Observed::Missing(g.clone());
        ev.revocation = Observed::Missing(g);
    };
    let discovery = match discovery {
        Ok(d) => d,
        Err(why) => {
            gap(
                ev,
                if open {
                    Observed::not_applicable(
                        "the endpoint asks for no credentials and names no authorization server",
                    )
                } else {
                    Observed::not_testable(format!("OAuth discovery failed: {why}"))
                },
            );
            return (credential, None);
        }
    };
    let Some(user) = sweep.instance.credentials(Role::Member).cloned() else {
        gap(
            ev,
            Observed::skipped("needs a login (--user EMAIL with METABIND_PASSWORD)"),
        );
        return (credential, None);
    };
    // Registered the way both hosts register (hosts-observed A1, C2): client_secret_post where the
    // authorization server lists it, so the sweep reaches every server a host reaches.
    let lists_post = discovery.metadata["token_endpoint_auth_methods_supported"]
        .as_array()
        .is_some_and(|m| m.iter().any(|m| m == "client_secret_post"));
    let plan = RegistrationPlan {
        client_name: "metabind-conformance sweep".into(),
        dcr_method: lists_post.then(|| "client_secret_post".to_owned()),
        ..Default::default()
    };
    let client = match oauth::register(&sweep.wire, discovery, &plan, REDIRECT_URI).await {
        Ok(c) => c,
        Err(e) => {
            gap(
                ev,
                Observed::not_testable(format!("client registration failed: {e}")),
            );
            return (credential, None);
        }
    };
    // 1. A normal sign-in; its raw callback is the evidence for state and iss.
    let scope = oauth::select_scope(None, discovery);
    let request = match oauth::authorization_request(discovery, &client, REDIRECT_URI, scope, None)
    {
        Ok(r) => r,
        Err(e) => {
            gap(
                ev,
                Observed::not_testable(format!("no authorization request: {e}")),
            );
            return (credential, None);
        }
    };
    let url = request.url.clone();
    let sent_state = request.state.clone();
    let tokens = match sweep.open_popup(&url, REDIRECT_URI, &user).await {
        Observed::Seen(PopupOutcome::Callback(callback)) => {
            ev.sign_in = Observed::Seen(SignIn {
                sent_state,
                callback: callback.clone(),
                iss_advertised: discovery.metadata
                    ["authorization_response_iss_parameter_supported"]
                    == json!(true),
                issuer: discovery.issuer.clone(),
            });
            let code = url::Url::parse(&callback).ok().and_then(|u| {
                u.query_pairs()
                    .find(|(k, _)| k == "code")
                    .map(|(_, v)| v.into_owned())
            });
            match code {
                Some(code) => oauth::exchange_code(&sweep.wire, discovery, &client, request, code)
                    .await
                    .map_err(|e| {
                        Observed::<()>::not_testable(format!("the code exchange failed: {e}"))
                    }),
                None => Err(Observed::not_testable(format!(
                    "the callback carries no code: {callback}"
                ))),
            }
        }
        Observed::Seen(other) => Err(Observed::not_testable(format!(
            "signing in as {} failed: {}",
            user.email,
            other.describe()
        ))),
        Observed::Missing(g) => Err(Observed::Missing(g)),
    };
    let tokens = match tokens {
        Ok(t) => t,
        Err(missing) => {
            let sign_in = std::mem::take(&mut ev.sign_in);
            gap(ev, missing);
            if sign_in.seen().is_some() {
                ev.sign_in = sign_in;
            }
            return (credential, None);
        }
    };
    credential.bearer = Some(tokens.access_token.clone());
    credential.second = token;
    if let (None, Some(second)) = (
        &credential.second,
        sweep.instance.credentials(Role::SecondMember).cloned(),
    ) {
        credential.second = sweep
            .sign_in(discovery, &client, &second)
            .await
            .ok()
            .map(|t| t.access_token);
    }
    if !hygiene {
        return (credential, None);
    }
    // 2. PKCE: the same request without code_challenge must not yield a code.
    ev.without_pkce = match oauth::authorization_request(
        discovery,
        &client,
        REDIRECT_URI,
        oauth::select_scope(None, discovery),
        None,
    ) {
        Err(e) => Observed::harness_error(format!("no authorization request: {e}")),
        Ok(request) => match url::Url::parse(&request.url) {
            Err(e) => Observed::harness_error(format!("the authorization URL is not a URL: {e}")),
            Ok(mut url) => {
                let pairs: Vec<(String, String)> = url
                    .query_pairs()
                    .filter(|(k, _)| !k.starts_with("code_challenge"))
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                url.query_pairs_mut().clear().extend_pairs(pairs);
                sweep.open_popup(url.as_str(), REDIRECT_URI, &user).await
            }
        },
    };
    // 3. An unregistered redirect URI must not be redirected to.
    ev.unregistered_redirect = match oauth::authorization_request(
        discovery,
        &client,
        UNREGISTERED_REDIRECT,
        oauth::select_scope(None, discovery),
        None,
    ) {
        Err(e) => Observed::harness_error(format!("no authorization request: {e}")),
        Ok(request) => {
            sweep
                .open_popup(&request.url, UNREGISTERED_REDIRECT, &user)
                .await
        }
    };
    // 4. Audience: this endpoint's token on the draft endpoint beside it.
    ev.audience = match sweep
        .instance
        .endpoint(&EndpointRef::Slot(EndpointSlot::Draft))
    {
        Err(why) => Observed::skipped(format!(
            "needs a second resource to present the token to: {}",
            why.reason()
        )),
        Ok(draft) => {
            let mut other = McpClient::new(sweep.wire.clone(), draft);
            other.bearer = Some(tokens.access_token.clone());
            other
                .call(
                    "initialize",
                    json!({"protocolVersion": other.offered_version, "capabilities": {}, "clientInfo": client_info()}),
                )
                .await
                .map(RpcExchange::from)
                .into()
        }
    };
    (credential, Some((discovery.clone(), client, user, tokens)))
}

/// The probes that may end grants (refresh reuse detection, revocation): run after every other
/// section, because an authorization server may end all of a client's grants for the user.
pub(super) async fn grant_ending(
    sweep: &mut Sweep<'_>,
    signed_in: SignedIn,
    ev: &mut AuthorizationServer,
) {
    let Some((discovery, client, user, tokens)) = signed_in else {
        return;
    };
    let discovery = &discovery;
    // 5. Refresh rotation, on a separate grant so reuse detection cannot end the sections' one.
    ev.refresh_replay = match &tokens.refresh_token {
        None => Observed::not_applicable("no refresh token was issued"),
        Some(_) => match sweep.sign_in(discovery, &client, &user).await {
            Err(e) => Observed::not_testable(format!("a second sign-in failed: {e}")),
            Ok(fresh) => match fresh.refresh_token {
                None => Observed::not_applicable("the second sign-in issued no refresh token"),
                Some(old) => {
                    match oauth::refresh(&sweep.wire, discovery, &client, REDIRECT_URI, &old).await
                    {
                        Err(e) => Observed::not_testable(format!("the first refresh failed: {e}")),
                        Ok(_) => {
                            let again =
                                oauth::refresh(&sweep.wire, discovery, &client, REDIRECT_URI, &old)
                                    .await;
                            Observed::Seen(RefreshReplay {
                                replayed: again.map(|_| ()).map_err(|e| e.to_string()),
                            })
                        }
                    }
                }
            },
        },
    };
    // 6. Revocation (RFC 7009): a revoked access token fails on the next request.
    ev.revocation = match discovery.metadata["revocation_endpoint"].as_str() {
        None => Observed::not_applicable("the authorization server has no revocation_endpoint"),
        Some(endpoint) => match sweep.sign_in(discovery, &client, &user).await {
            Err(e) => {
                Observed::not_testable(format!("a sign-in for the revocation probe failed: {e}"))
            }
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
                match sweep.raw(revoke).await {
                    Observed::Missing(g) => Observed::Missing(g),
                    Observed::Seen(revoke) => {
                        let mut after = sweep.mcp(Some(&victim.access_token));
                        match after.initialize(client_info(), json!({})).await {
                            Err(e) => Observed::not_testable(e.to_string()),
                            Ok(reply) => Observed::Seen(Revocation {
                                revoke,
                                after: RpcExchange::from(reply),
                            }),
                        }
                    }
                }
            }
        },
    };
}
