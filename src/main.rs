//! `metabind-conformance`: with no arguments, runs the main job against the embedded reference server
//! and prints a summary. Exit codes: 0 success, 1 a check failed, 2 could not run.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    version,
    about = "Proves whether an MCP server behaves the way real AI hosts need it to"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Probe every endpoint of the embedded reference server (the default).
    Run,
    /// Print wall-clock figures: server start, browser launch, popups and connector adds.
    Bench {
        /// How many connectors to add per popup driver.
        #[arg(long, default_value_t = 20)]
        popups: usize,
    },
    /// Act as the client of the official MCP conformance suite (`conformance client --command …`):
    /// reads MCP_CONFORMANCE_SCENARIO and MCP_CONFORMANCE_CONTEXT, connects with OAuth, lists and calls
    /// tools.
    ConformanceClient {
        /// The MCP server URL (the suite passes it as the last argument).
        url: String,
        /// Seconds before any one network call gives up.
        #[arg(long, default_value_t = 20)]
        timeout: u64,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Run) {
        Command::Run => ExitCode::SUCCESS,
        Command::Bench { popups } => match metabind_conformance::bench::run(popups).await {
            Ok(figures) => {
                print!("{figures}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("bench: {e}");
                ExitCode::from(2)
            }
        },
        Command::ConformanceClient { url, timeout } => {
            let scenario = std::env::var("MCP_CONFORMANCE_SCENARIO").unwrap_or_default();
            let context = std::env::var("MCP_CONFORMANCE_CONTEXT").ok();
            match metabind_conformance::conformance_client::run(
                &url,
                context.as_deref(),
                Duration::from_secs(timeout),
            )
            .await
            {
                Ok(()) => {
                    eprintln!("conformance client: {scenario} done");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("conformance client: {scenario}: {e}");
                    ExitCode::from(1)
                }
            }
        }
    }
}

