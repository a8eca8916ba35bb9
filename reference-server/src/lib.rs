//! A faithful local Metabind: per-project MCP endpoints (production and draft, both URL shapes), the
//! discovery documents, and an admin API that plays MCP App Studio, all built from a fixture.
//!
//! Tests and the harness start it in-process with [`spawn`] on an ephemeral loopback port and talk to it
//! over HTTP only. This crate never depends on the harness.
//!
//! # Module order
//!
//! A module imports only from modules above it in this list, so there are no import circles (the same
//! holds inside each folder; its `mod.rs` gives the order there):
//!
//! 1. `fault`, `fixture`: the named bugs and the seed file format. They import nothing of this crate.
//! 2. `domain`: the vocabulary and the records (endpoint identity, scopes, ids, timestamps, the
//!    poisoned-lock helper; world, session, task and OAuth records). Imports only `fixture`.
//! 3. `store`: the tables (world, MCP sessions, MCP tasks, OAuth). Imports only `domain` and `fixture`.
//! 4. `state`: [`state::AppState`], the fixed settings (faults included) and the stores composed.
//! 5. `access`: decisions the surfaces share (public flag, a user's current allowance, revocation).
//! 6. The surfaces, which never import each other: `wellknown` (protected resource metadata), `mcp`
//!    (project endpoints), `oauth` (authorization server), `admin` (admin API), `rest` (Metabind's
//!    REST API for API keys and visibility). Each has its routes and its own error type.
//! 7. This file: [`app`] (the router, apart from serving) and [`spawn`].

pub mod access;
pub mod admin;
pub mod domain;
pub mod fault;
pub mod fixture;
pub mod mcp;
pub mod oauth;
pub mod rest;
pub mod state;
pub mod store;
pub mod wellknown;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use axum::Router;
use tokio::sync::watch;

pub use fault::{Fault, FaultSet};
pub use fixture::{default_fixture_path, second_world_fixture_path, Eras, Fixture, FixtureError};
use state::{AppState, ServerConfig};
use store::world::World;

/// The router of a server built from `state`.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(wellknown::routes())
        .merge(oauth::routes())
        .merge(admin::routes())
        .merge(rest::routes())
        .fallback(endpoint_paths)
        .with_state(state)
}

/// Every other path: the authorization server metadata appended to a project path, else an MCP
/// endpoint (which answers 404 to paths that name none).
async fn endpoint_paths(
    State(state): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Some(metadata) = oauth::metadata::at_project_path(&state, &method, uri.path()) {
        return metadata;
    }
    mcp::transport::handle(State(state), method, OriginalUri(uri), headers, body).await
}

/// How to start a server.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    pub fixture: Fixture,
    pub faults: Vec<Fault>,
    /// Answer clients that accept both with SSE instead of JSON.
    pub prefer_sse: bool,
    /// The base URL the server names itself by; defaults to `http://<bound address>`.
    pub public_url: Option<String>,
    pub max_body_bytes: usize,
    /// Test switch: accept `http://` loopback Client ID Metadata Document URLs (never in production).
    pub allow_loopback_cimd: bool,
    /// The protocol eras every project speaks, instead of each project's own `eras`.
    pub eras: Option<fixture::Eras>,
}

impl ServerOptions {
    /// Loopback, ephemeral port, the given fixture, no faults.
    pub fn new(fixture: Fixture) -> Self {
        ServerOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            fixture,
            faults: Vec::new(),
            prefer_sse: false,
            public_url: None,
            max_body_bytes: 1024 * 1024,
            allow_loopback_cimd: false,
            eras: None,
        }
    }

    /// The default fixture (`fixtures/default.toml`).
    pub fn with_default_fixture() -> Result<Self, FixtureError> {
        Ok(ServerOptions::new(Fixture::load(&default_fixture_path())?))
    }

    /// The second world (`fixtures/second-world.toml`), which shares no name with the default one.
    pub fn with_second_world_fixture() -> Result<Self, FixtureError> {
        Ok(ServerOptions::new(Fixture::load(
            &second_world_fixture_path(),
        )?))
    }

    pub fn fault(mut self, fault: Fault) -> Self {
        self.faults.push(fault);
        self
    }
}

/// A server running on a tokio task. Dropping it stops the server.
pub struct RunningServer {
    /// e.g. `http://127.0.0.1:41234`
    pub base_url: String,
    pub addr: SocketAddr,
    /// Bearer key of the admin API (`{base_url}/_admin/...`).
    pub admin_key: String,
    shutdown: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl RunningServer {
    /// The URL of a project endpoint, e.g. `url("/acme/storefront")`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// Stops accepting, ends open streams and waits for the server task.
    pub async fn stop(mut self) -> std::io::Result<()> {
        let _ = self.shutdown.send(true);
        match self.task.take() {
            Some(task) => task.await.unwrap_or(Ok(())),
            None => Ok(()),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// An error starting the server.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Fixture(#[from] FixtureError),
}

/// Binds, builds the state and serves on a background task.
pub async fn spawn(options: ServerOptions) -> Result<RunningServer, StartError> {
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|source| StartError::Bind {
            addr: options.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: options.listen,
        source,
    })?;
    let base_url = options
        .public_url
        .clone()
        .map(|u| u.trim_end_matches('/').to_owned())
        .unwrap_or_else(|| format!("http://{addr}"));
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let admin_key = options.fixture.server.admin_key.clone();
    let config = ServerConfig {
        settings: options.fixture.server.clone(),
        scopes: domain::scope::Scopes::from_def(&options.fixture.scopes),
        base_url: base_url.clone(),
        prefer_sse: options.prefer_sse,
        max_body_bytes: options.max_body_bytes,
        faults: FaultSet::new(options.faults.iter().copied()),
        allow_loopback_cimd: options.allow_loopback_cimd,
        eras: options.eras,
    };
    let state = AppState::new(
        config,
        World::from_fixture(&options.fixture),
        &options.fixture.oauth,
        shutdown_rx.clone(),
    );
    let router = app(state);
    let mut stop = shutdown_rx;
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|stopped| *stopped).await;
            })
            .await
    });
    Ok(RunningServer {
        base_url,
        addr,
        admin_key,
        shutdown: shutdown_tx,
        task: Some(task),
    })
}
