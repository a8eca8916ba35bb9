//! The command line: parses arguments, runs, writes reports, and maps every outcome to an exit code
//! in one place: 0 all passed, 1 a check failed (or a regression / stale baseline entry), 2 could not
//! run (bad arguments, unreadable files, an unreachable or hung target, a run stopped by its deadline
//! or a signal).

/// `print!` for the CLI's output: a reader that went away (`| head`) is not an error worth a panic;
/// the rest of the output is dropped and the command's exit code stays what the work decided.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!($($arg)*))
    };
}

/// `println!` for the CLI's output (see [`out!`]).
macro_rules! outln {
    () => {
        $crate::cli::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Writes to stdout, ignoring failures: output that cannot be delivered changes no verdict.
pub(crate) fn write_stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let _ = std::io::stdout().lock().write_fmt(args);
}

mod commands;
pub mod init;
mod run;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

pub use run::{configure, write_reports, RunArgs};

#[derive(Parser)]
#[command(
    name = "metabind-conformance",
    version,
    about = "Proves whether an MCP server behaves the way ChatGPT, Claude Desktop and custom hosts need it to",
    after_help = "With no command, runs the whole suite against the embedded reference server."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the suite and write report.json, junit.xml and report.html.
    Run(Box<RunArgs>),
    /// List the scenarios (with their hosts, needs and source) and the check catalogue.
    List {
        #[arg(long = "scenario", value_name = "GLOB")]
        scenarios: Vec<String>,
        #[arg(long, value_name = "DIR")]
        scenarios_dir: Option<PathBuf>,
        /// List the checks instead.
        #[arg(long)]
        checks: bool,
        /// List each host's behaviours instead, with the evidence each one rests on.
        #[arg(long, conflicts_with = "checks")]
        hosts: bool,
    },
    /// Look at a deployment's endpoint and write a commented target file to fill in.
    Init {
        /// The project's MCP endpoint (production).
        #[arg(long, value_name = "URL")]
        target: String,
        /// A project API key, to list the tools of a private project.
        #[arg(
            long,
            value_name = "TOKEN",
            env = "METABIND_TOKEN",
            hide_env_values = true
        )]
        token: Option<String>,
        /// Where to write it (default: standard output); an existing file is never overwritten.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Seconds before any one network call gives up.
        #[arg(long, default_value_t = 20)]
        timeout: u64,
    },
    /// Compare two report.json files: regressions and fixes per host, tool surface changes.
    Diff { old: PathBuf, new: PathBuf },
    /// Write a baseline (for `run --baseline`) that expects every failure of a report.json.
    Baseline {
        report: PathBuf,
        /// Where to write it (default: standard output).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Wall-clock figures: a full run and its phases, then popups and connector adds per driver.
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

/// Why the command could not run (exit 2).
/// Why the command could not run (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Scenario(#[from] crate::scenario::LoadError),
    #[error("{0}")]
    Target(#[from] crate::target::TargetError),
    #[error("cannot write {path}: {message}")]
    Write { path: PathBuf, message: String },
    #[error("cannot read {path}: {message}")]
    Read { path: PathBuf, message: String },
    /// The run stopped before it finished; the reports hold what it had.
    #[error("the run stopped before it finished: {0}")]
    Stopped(String),
}

pub async fn main() -> ExitCode {
    // No command means `run` with its defaults, as clap itself fills them in (and the environment).
    let command = match Cli::parse().command {
        Some(command) => command,
        None => Cli::parse_from(["metabind-conformance", "run"])
            .command
            .expect("`run` parses"),
    };
    let outcome = match command {
        Command::Run(args) => run::run_command(*args).await,
        Command::List {
            scenarios,
            scenarios_dir,
            checks,
            hosts,
        } if hosts => {
            let _ = (scenarios, scenarios_dir, checks);
            commands::list_hosts()
        }
        Command::List {
            scenarios,
            scenarios_dir,
            checks,
            ..
        } => commands::list(&scenarios, scenarios_dir.as_deref(), checks),
        Command::Init {
            target,
            token,
            out,
            timeout,
        } => {
            init::init(
                &target,
                token.as_deref(),
                out.as_deref(),
                Duration::from_secs(timeout.max(1)),
            )
            .await
        }
        Command::Diff { old, new } => commands::diff(&old, &new),
        Command::Baseline { report, out } => commands::baseline(&report, out.as_deref()),
        Command::Bench { popups } => match crate::bench::run(popups).await {
            Ok(figures) => {
                out!("{figures}");
                Ok(true)
            }
            Err(e) => Err(CliError::Usage(format!("bench: {e}"))),
        },
        Command::ConformanceClient { url, timeout } => {
            let scenario = std::env::var("MCP_CONFORMANCE_SCENARIO").unwrap_or_default();
            let context = std::env::var("MCP_CONFORMANCE_CONTEXT").ok();
            let version = std::env::var("MCP_CONFORMANCE_PROTOCOL_VERSION").ok();
            match crate::conformance_client::run(
                &url,
                &crate::conformance_client::Suite {
                    scenario: &scenario,
                    context: context.as_deref(),
                    protocol_version: version.as_deref(),
                },
                Duration::from_secs(timeout),
            )
            .await
            {
                Ok(()) => {
                    eprintln!("conformance client: {scenario} done");
                    Ok(true)
                }
                Err(e) => {
                    eprintln!("conformance client: {scenario}: {e}");
                    Ok(false)
                }
            }
        }
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!(
                "error: {}",
                crate::report::text::for_terminal(&e.to_string())
            );
            ExitCode::from(2)
        }
    }
}
