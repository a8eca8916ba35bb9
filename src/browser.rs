//! The run's headless Chromium (the system's, never a download), driven over the DevTools protocol with
//! chromiumoxide. Both the authorization popups (`popup::chromium`) and the UI renderer (`render`) use
//! one [`Chromium`]; this module only launches it, hands out its connection, disposes contexts and
//! cleans up its profile directory. It knows nothing of popups or views.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::browser::BrowserContextId;
use chromiumoxide::cdp::browser_protocol::target::TargetId;
use chromiumoxide::cdp::js_protocol::runtime::EventBindingCalled;
use chromiumoxide::Page;
use futures_util::StreamExt;
use tokio::task::JoinHandle;

/// The browser failed (it could not start, or a DevTools command failed).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BrowserError(pub String);

pub(crate) fn browser_error(what: &str, e: impl std::fmt::Display) -> BrowserError {
    BrowserError(format!("{what}: {e}"))
}

/// Where Chromium is looked for, in order (the first variable overrides).
pub const SEARCHED: &str =
    "$METABIND_CHROMIUM, /usr/lib/chromium/chromium, /usr/bin/chromium, /usr/bin/chromium-browser, /usr/bin/google-chrome";

/// Chromium's usual automation switches (chromiumoxide adds the `--`), minus `disable-popup-blocking`: Chromium's own popup blocker
/// stays on unless the run switches it off.
const CHROMIUM_ARGS: &[&str] = &[
    "no-first-run",
    "no-default-browser-check",
    "disable-background-networking",
    "disable-sync",
    "disable-default-apps",
    "disable-breakpad",
    "disable-dev-shm-usage",
    "disable-features=Translate,HttpsUpgrades,HttpsFirstBalancedModeAutoEnable",
    "password-store=basic",
    "use-mock-keychain",
    "enable-automation",
    "lang=en-US",
];

/// Chromium's headless shell (Debian's chromium-headless-shell), used beside the full browser when
/// `$METABIND_CHROMIUM` does not name one browser for everything.
pub fn find_headless_shell() -> Option<PathBuf> {
    if std::env::var_os("METABIND_CHROMIUM").is_some() {
        return None;
    }
    [
        "/usr/lib/chromium/chromium-headless-shell",
        "/usr/bin/chromium-headless-shell",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

pub fn find_chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("METABIND_CHROMIUM") {
        return Some(PathBuf::from(path)).filter(|p| p.exists());
    }
    // Debian's /usr/bin wrappers are shell scripts that do not exec: killing one at the end of a run
    // would leave the browser behind, so the binary they start comes first.
    [
        "/usr/lib/chromium/chromium",
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// A profile directory per browser, named after this process; directories left by processes that are
/// gone are removed on the way.
fn unique_profile_dir() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let parent = std::env::temp_dir().join("metabind-chromium");
    if let Ok(entries) = std::fs::read_dir(&parent) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let pid = name.split('-').next().unwrap_or_default();
            if !pid.is_empty() && !Path::new("/proc").join(pid).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    parent.join(format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// A running headless Chromium.
pub struct Chromium {
    browser: Browser,
    handler: JoinHandle<()>,
    profile_dir: PathBuf,
    /// Time to launch Chromium and connect to it.
    pub launch_time: Duration,
    /// Chromium's popup blocker is on (the browsers' default).
    pub popup_blocker: bool,
    /// The executable launched.
    pub path: PathBuf,
    /// The browser process (its helpers are its descendants), for CPU accounting.
    pub pid: Option<u32>,
    /// Kills the browser when this process ends without dropping it (a static in a test binary, a
    /// crash): a shell blocked reading a pipe only this process holds open.
    watchdog: Option<std::process::Child>,
}

impl Drop for Chromium {
    fn drop(&mut self) {
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
        if let Some(child) = self.browser.get_mut_child() {
            let _ = child.as_mut_inner().start_kill();
        }
        self.handler.abort();
        // Wait (briefly) for the browser to exit so its profile is no longer being written.
        for _ in 0..100 {
            if !matches!(self.browser.try_wait(), Ok(None)) {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // Its helpers may still be closing files: try again once; what is left, the next launch sweeps.
        if std::fs::remove_dir_all(&self.profile_dir).is_err() {
            std::thread::sleep(Duration::from_millis(100));
            let _ = std::fs::remove_dir_all(&self.profile_dir);
        }
    }
}

impl Chromium {
    /// Starts Chromium. `popup_blocker: false` launches it with `--disable-popup-blocking`.
    pub async fn launch(chromium: &Path, popup_blocker: bool) -> Result<Chromium, BrowserError> {
        let started = Instant::now();
        let profile_dir = unique_profile_dir();
        std::fs::create_dir_all(&profile_dir)
            .map_err(|e| browser_error("cannot create a profile directory", e))?;
        let config = BrowserConfig::builder()
            .chrome_executable(chromium)
            .no_sandbox()
            .new_headless_mode()
            .disable_default_args()
            .args(CHROMIUM_ARGS.iter().copied())
            .args((!popup_blocker).then_some("disable-popup-blocking"))
            .user_data_dir(&profile_dir)
            .launch_timeout(Duration::from_secs(20))
            .request_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| browser_error("bad browser configuration", e))?;
        let (mut browser, mut handler) = match Browser::launch(config).await {
            Ok(b) => b,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&profile_dir);
                return Err(browser_error("cannot launch Chromium", e));
            }
        };
        let pid = browser.get_mut_child().and_then(|c| c.as_mut_inner().id());
        let watchdog = pid.and_then(|pid| {
            std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("read _; kill -9 {pid} 2>/dev/null"))
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .ok()
        });
        let handler = tokio::spawn(async move {
            // Drives the DevTools connection; it ends when the browser goes away.
            while handler.next().await.is_some() {}
        });
        Ok(Chromium {
            browser,
            handler,
            profile_dir,
            launch_time: started.elapsed(),
            popup_blocker,
            path: chromium.to_owned(),
            pid,
            watchdog,
        })
    }

    pub(crate) fn browser(&self) -> &Browser {
        &self.browser
    }

    /// Closes a context and its windows in the background: the next user need not wait.
    pub(crate) fn dispose(self: &Arc<Self>, context: BrowserContextId) {
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let _ = this.browser.dispose_browser_context(context).await;
        });
    }

    /// The page handle of a new target, once the handler has attached to it.
    pub(crate) async fn page(&self, id: TargetId) -> Result<Page, BrowserError> {
        loop {
            match self.browser.get_page(id.clone()).await {
                Ok(page) => return Ok(page),
                // Attaching takes a few DevTools round trips; the caller's timeout bounds this.
                Err(_) => tokio::time::sleep(Duration::from_millis(2)).await,
            }
        }
    }
}

/// The next call of the page binding `name` (other bindings' calls are skipped).
pub(crate) async fn next_binding_call(
    reports: &mut chromiumoxide::listeners::EventStream<EventBindingCalled>,
    name: &str,
) -> Option<Arc<EventBindingCalled>> {
    while let Some(event) = reports.next().await {
        if event.name == name {
            return Some(event);
        }
    }
    None
}
