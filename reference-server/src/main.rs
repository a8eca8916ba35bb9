//! `metabind-reference-server`: serves a Metabind world from a fixture until stopped. The first line of
//! stdout is the base URL, so scripts can start it on port 0 and read where it listens.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use metabind_reference_server::{spawn, Fault, Fixture, ServerOptions};

#[derive(Parser)]
#[command(
    version,
    about = "A faithful local Metabind MCP server for conformance testing"
)]
struct Args {
    /// Address to listen on (port 0 picks a free port). Keep it on loopback for tests.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Fixture file with the organizations, users, projects and tools to serve.
    #[arg(long, value_name = "FILE")]
    fixtures: Option<PathBuf>,
    /// Inject a named bug (repeatable); see --list-faults.
    #[arg(long = "fault", value_name = "NAME")]
    faults: Vec<String>,
    /// Print the known faults and exit.
    #[arg(long)]
    list_faults: bool,
    /// Answer with SSE when the client accepts both JSON and SSE.
    #[arg(long)]
    sse: bool,
    /// Test switch: accept http:// loopback URLs as OAuth Client ID Metadata Documents.
    #[arg(long)]
    allow_loopback_cimd: bool,
    /// Base URL to name in metadata and challenges (default: http://<listen address>).
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// Protocol eras every project speaks: both (2025 initialize and stateless 2026-07-28), legacy or
    /// modern. Default: each project's `eras` in the fixture (both unless it says otherwise).
    #[arg(long, value_name = "ERAS")]
    eras: Option<metabind_reference_server::Eras>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if args.list_faults {
        let width = Fault::ALL.iter().map(|f| f.name().len()).max().unwrap_or(0);
        for fault in Fault::ALL {
            println!("{:<width$} {}", fault.name(), fault.description());
        }
        return ExitCode::SUCCESS;
    }
    let mut faults = Vec::new();
    for name in &args.faults {
        match name.parse::<Fault>() {
            Ok(f) => faults.push(f),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let path = args
        .fixtures
        .unwrap_or_else(metabind_reference_server::default_fixture_path);
    let fixture = match Fixture::load(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut options = ServerOptions::new(fixture);
    options.listen = args.listen;
    options.faults = faults;
    options.prefer_sse = args.sse;
    options.public_url = args.public_url;
    options.allow_loopback_cimd = args.allow_loopback_cimd;
    options.eras = args.eras;
    let server = match spawn(options).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    println!("{}", server.base_url);
    let _ = std::io::stdout().flush();
    eprintln!(
        "serving {} (admin API: {}/_admin, Ctrl-C to stop)",
        path.display(),
        server.base_url
    );
    wait_for_signal().await;
    let _ = server.stop().await;
    ExitCode::SUCCESS
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
