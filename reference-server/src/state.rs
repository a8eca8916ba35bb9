//! The server state every handler gets: the settings fixed at start-up (faults included) and the
//! stores, composed into one cheap-to-clone [`AppState`]. Built once from a fixture.

use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::{broadcast, watch};

use crate::domain::lock;
use crate::domain::scope::Scopes;
use crate::domain::world::WorldEvent;
use crate::fault::FaultSet;
use crate::fixture::{OAuthSettings, ServerSettings};
use crate::store::oauth::OAuthData;
use crate::store::sessions::SessionStore;
use crate::store::tasks::TaskStore;
use crate::store::world::World;

/// Settings that do not change while the server runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub settings: ServerSettings,
    /// The world's scope strings, by purpose (`[scopes]`).
    pub scopes: Scopes,
    /// The public base URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub base_url: String,
    /// Answer requests that accept both JSON and SSE with SSE (true) or JSON (false).
    pub prefer_sse: bool,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    pub faults: FaultSet,
    /// Test switch: accept `http://` loopback Client ID Metadata Document URLs.
    pub allow_loopback_cimd: bool,
    /// The protocol eras every project speaks (`--eras`), instead of each project's own.
    pub eras: Option<crate::fixture::Eras>,
}

/// The state every handler gets: cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<ServerConfig>,
    pub world: Arc<RwLock<World>>,
    pub sessions: Arc<SessionStore>,
    pub tasks: Arc<TaskStore>,
    pub oauth: Arc<Mutex<OAuthData>>,
    pub events: broadcast::Sender<WorldEvent>,
    /// Flips to true when the server shuts down, so long-lived streams end.
    pub shutdown: watch::Receiver<bool>,
}

impl AppState {
    pub fn new(
        config: ServerConfig,
        world: World,
        oauth: &OAuthSettings,
        shutdown: watch::Receiver<bool>,
    ) -> AppState {
        let (events, _) = broadcast::channel(64);
        AppState {
            oauth: Arc::new(Mutex::new(OAuthData::new(oauth))),
            config: Arc::new(config),
            world: Arc::new(RwLock::new(world)),
            sessions: Arc::new(SessionStore::default()),
            tasks: Arc::new(TaskStore::default()),
            events,
            shutdown,
        }
    }

    pub fn faults(&self) -> &FaultSet {
        &self.config.faults
    }

    /// The world's scope strings.
    pub fn scopes(&self) -> &Scopes {
        &self.config.scopes
    }

    /// Reads the world (see [`crate::domain::lock`] for why poisoning is recovered from).
    pub fn read(&self) -> std::sync::RwLockReadGuard<'_, World> {
        lock::read(&self.world)
    }

    pub fn write(&self) -> std::sync::RwLockWriteGuard<'_, World> {
        lock::write(&self.world)
    }

    /// The protocol eras a project's endpoints speak (the `--eras` override first).
    pub fn eras(&self, org: &str, project: &str) -> crate::fixture::Eras {
        self.config.eras.unwrap_or_else(|| {
            self.read()
                .project(org, project)
                .map(|p| p.eras)
                .unwrap_or_default()
        })
    }

    pub fn notify(&self, event: WorldEvent) {
        // No receiver is fine: nobody holds a GET stream.
        let _ = self.events.send(event);
    }
}
