//! The authorization popup a host opens when a connector is added: sign in, consent, and the
//! navigation back to the host's redirect URI, which carries the code. Two drivers: a real headless
//! Chromium ([`chromium`]) and plain HTTP ([`http`]) for machines without a browser and for
//! authorization servers that approve automatically. Both report what the user would have seen.

pub mod chromium;
pub mod http;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::wire::{self, Wire};

pub use chromium::BrowserPopups;

use crate::browser::{self, Chromium};

/// Who signs in.
#[derive(Clone)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("email", &self.email)
            .field("password", &"[redacted]")
            .finish()
    }
}

/// CSS selectors for sign-in pages the heuristics do not recognise (all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct LoginSelectors {
    pub username: Option<String>,
    pub password: Option<String>,
    pub submit: Option<String>,
    pub consent: Option<String>,
}

/// How a popup ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PopupOutcome {
    /// The popup navigated to the host's redirect URI (this full URL).
    Callback(String),
    /// The browser's popup blocker stopped `window.open`: no window appeared.
    Blocked,
    /// The sign-in page came back with an error.
    LoginFailed(String),
    /// A page the user cannot get past (not a member, error page…), with its visible text and, when it
    /// offers one, the link back to the host.
    Stopped {
        status: u16,
        text: String,
        return_link: Option<String>,
    },
    /// A login page appeared but no credentials were given.
    NeedsCredentials,
    /// Nothing conclusive happened before the popup's time limit: the URL it was opened on and what
    /// the driver was waiting for then.
    TimedOut { url: String, waiting_for: String },
    /// The popup was sent to a URL the run's URL policy does not reach (why, with the URL).
    UrlRefused(String),
}

impl PopupOutcome {
    /// One line saying what the user saw.
    pub fn describe(&self) -> String {
        match self {
            PopupOutcome::Callback(url) if url.contains("error=") => {
                format!("the popup returned to the host with an error: {url}")
            }
            PopupOutcome::Callback(_) => "the popup returned to the host with a code".into(),
            PopupOutcome::Blocked => {
                "the popup was blocked (window.open without a user gesture)".into()
            }
            PopupOutcome::LoginFailed(text) => format!("sign-in failed: {text}"),
            PopupOutcome::Stopped { status, text, .. } => {
                format!("the popup stopped on a page (HTTP {status}): {text}")
            }
            PopupOutcome::NeedsCredentials => {
                "a sign-in page appeared but no credentials were given".into()
            }
            PopupOutcome::TimedOut { url, waiting_for } => {
                format!("the popup timed out on {url} (waiting for {waiting_for})")
            }
            PopupOutcome::UrlRefused(why) => {
                format!("the popup was sent where the run does not go: {why}")
            }
        }
    }
}

/// One authorization popup to drive.
#[derive(Debug, Clone)]
pub struct PopupRequest<'a> {
    pub authorization_url: &'a str,
    pub redirect_uri: &'a str,
    pub credentials: Option<&'a Credentials>,
    pub selectors: &'a LoginSelectors,
    /// Whether the host opens the popup straight from the user's click (a user gesture). A host that
    /// first awaits something loses the gesture, and a popup blocker then stops the window.
    pub from_click: bool,
    pub timeout: Duration,
    /// The user's browser session: popups with the same key share cookies (the authorization
    /// server's login session), as one person's browser does. `None`: a fresh private window.
    pub session: Option<&'a str>,
}

/// What a popup did, for the report.
#[derive(Debug, Clone)]
pub struct PopupReport {
    /// The authorization URL the popup was opened on.
    pub authorization_url: String,
    pub outcome: PopupOutcome,
    pub driver: &'static str,
    /// From `window.open` (or the first request) to the outcome.
    pub elapsed: Duration,
    /// The popup showed a sign-in page and filled it in.
    pub signed_in: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Wire(#[from] wire::Error),
    #[error("the browser failed: {0}")]
    Browser(String),
}

#[derive(Clone)]
enum Driver {
    /// `popup_blocker`: apply the browsers' rule (no window without a user gesture).
    Http {
        popup_blocker: bool,
        /// Cookie jars of browser sessions, by key.
        sessions:
            Arc<std::sync::Mutex<std::collections::HashMap<String, Arc<reqwest::cookie::Jar>>>>,
    },
    Browser(Arc<BrowserPopups>),
}

/// The popup driver a run uses.
#[derive(Clone)]
pub struct Popup {
    driver: Driver,
    /// The full Chromium for the popups that test the popup blocker, when the main browser is the
    /// headless shell (which has none): started on first use.
    blocker: Option<Arc<BlockerBrowser>>,
}

/// A second browser, started when first needed.
struct BlockerBrowser {
    path: std::path::PathBuf,
    popups: tokio::sync::OnceCell<Arc<BrowserPopups>>,
}

impl BlockerBrowser {
    async fn open(&self, request: &PopupRequest<'_>) -> Result<PopupReport, Error> {
        let popups = self
            .popups
            .get_or_try_init(|| async {
                let chromium = Chromium::launch(&self.path, true)
                    .await
                    .map_err(|e| Error::Browser(e.0))?;
                Ok::<_, Error>(Arc::new(BrowserPopups::start(Arc::new(chromium)).await?))
            })
            .await?;
        popups.open(request).await
    }
}

impl std::fmt::Debug for Popup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Popup")
            .field("driver", &self.driver_name())
            .field("popup_blocker", &self.popup_blocker())
            .finish()
    }
}

impl Popup {
    /// The HTTP driver with the browsers' popup-blocker rule.
    pub fn http() -> Popup {
        Popup::http_with_popup_blocker(true)
    }

    pub fn http_with_popup_blocker(popup_blocker: bool) -> Popup {
        Popup {
            driver: Driver::Http {
                popup_blocker,
                sessions: Arc::default(),
            },
            blocker: None,
        }
    }

    pub fn browser(browser: Arc<BrowserPopups>) -> Popup {
        Popup {
            driver: Driver::Browser(browser),
            blocker: None,
        }
    }

    pub fn popup_blocker(&self) -> bool {
        match &self.driver {
            Driver::Http { popup_blocker, .. } => *popup_blocker,
            Driver::Browser(b) => b.chromium().popup_blocker,
        }
    }

    /// The browser when Chromium is found and starts, else HTTP with a one-line notice saying why.
    /// Without `$METABIND_CHROMIUM`, Chromium's headless shell runs the popups and views when it is
    /// installed (a quarter of the full browser's cost, same engine), and the full browser only the
    /// popups that test its popup blocker, which the shell lacks.
    pub async fn detect(popup_blocker: bool) -> (Popup, Option<String>) {
        if let (Some(shell), Some(full)) =
            (browser::find_headless_shell(), browser::find_chromium())
        {
            if let Ok(mut popup) = Popup::launch(&shell, popup_blocker).await {
                if popup_blocker {
                    popup.blocker = Some(Arc::new(BlockerBrowser {
                        path: full,
                        popups: tokio::sync::OnceCell::new(),
                    }));
                }
                return (popup, None);
            }
        }
        match browser::find_chromium() {
            None => (
                Popup::http_with_popup_blocker(popup_blocker),
                Some(format!(
                    "notice: no Chromium found ({}); popups run over HTTP without JavaScript",
                    browser::SEARCHED
                )),
            ),
            Some(path) => match Popup::launch(&path, popup_blocker).await {
                Ok(popup) => (popup, None),
                Err(e) => (
                    Popup::http_with_popup_blocker(popup_blocker),
                    Some(format!(
                        "notice: Chromium at {} did not start ({e}); popups run over HTTP",
                        path.display()
                    )),
                ),
            },
        }
    }

    /// Popups in a Chromium started from `path`.
    pub async fn launch(path: &std::path::Path, popup_blocker: bool) -> Result<Popup, Error> {
        let chromium = Chromium::launch(path, popup_blocker)
            .await
            .map_err(|e| Error::Browser(e.0))?;
        let popups = BrowserPopups::start(Arc::new(chromium)).await?;
        Ok(Popup::browser(Arc::new(popups)))
    }

    /// Closes the browser sessions whose keys start with `prefix` (a trial that ended).
    pub fn end_sessions(&self, prefix: &str) {
        match &self.driver {
            Driver::Browser(b) => b.end_sessions(prefix),
            Driver::Http { sessions, .. } => sessions
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|key, _| !key.starts_with(prefix)),
        }
    }

    pub fn driver_name(&self) -> &'static str {
        match self.driver {
            Driver::Http { .. } => "http",
            Driver::Browser(_) => "browser",
        }
    }

    /// The Chromium the popups run in (absent for the HTTP driver); the renderer shares it.
    pub fn chromium(&self) -> Option<Arc<Chromium>> {
        match &self.driver {
            Driver::Browser(b) => Some(Arc::clone(b.chromium())),
            Driver::Http { .. } => None,
        }
    }

    /// The browser processes started so far (the blocker's full Chromium only once used).
    pub fn browser_pids(&self) -> Vec<u32> {
        let main = self.chromium().and_then(|c| c.pid);
        let blocker = self
            .blocker
            .as_ref()
            .and_then(|b| b.popups.get())
            .and_then(|p| p.chromium().pid);
        main.into_iter().chain(blocker).collect()
    }

    /// Drives one popup. `wire` carries the HTTP driver's requests (its transcript is the connector's).
    pub async fn open(
        &self,
        wire: &Wire,
        request: &PopupRequest<'_>,
    ) -> Result<PopupReport, Error> {
        let started = Instant::now();
        // A popup opened outside the click meets the full browser's popup blocker.
        if let Some(blocker) = self.blocker.as_ref().filter(|_| !request.from_click) {
            return blocker.open(request).await;
        }
        match &self.driver {
            Driver::Browser(browser) => browser.open(request).await,
            Driver::Http {
                popup_blocker,
                sessions,
            } => {
                let mut signed_in = false;
                let outcome = if *popup_blocker && !request.from_click {
                    PopupOutcome::Blocked
                } else {
                    let browser = match request.session {
                        Some(key) => {
                            let jar = Arc::clone(
                                sessions
                                    .lock()
                                    .unwrap_or_else(|e| e.into_inner())
                                    .entry(key.to_owned())
                                    .or_default(),
                            );
                            wire.sharing_transcript_with_jar(jar)?
                        }
                        None => wire.sharing_transcript(true)?,
                    };
                    match tokio::time::timeout(
                        request.timeout,
                        http::run_http(&browser, request, &mut signed_in),
                    )
                    .await
                    {
                        Ok(Err(wire::Error::Refused(refusal))) => {
                            PopupOutcome::UrlRefused(refusal.to_string())
                        }
                        Ok(outcome) => outcome?,
                        Err(_) => PopupOutcome::TimedOut {
                            url: request.authorization_url.to_owned(),
                            waiting_for: "the authorization server's pages".into(),
                        },
                    }
                };
                Ok(PopupReport {
                    authorization_url: request.authorization_url.to_owned(),
                    outcome,
                    driver: "http",
                    elapsed: started.elapsed(),
                    signed_in,
                })
            }
        }
    }
}
