//! `metabind-conformance`: with no arguments, runs the main job against the embedded reference server
//! and prints a summary. Exit codes: 0 all endpoints answered, 1 an endpoint failed, 2 could not run.

use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
#[command(
    version,
    about = "Proves whether an MCP server behaves the way real AI hosts need it to"
)]
struct Cli {}

#[tokio::main]
async fn main() -> ExitCode {
    let _cli = Cli::parse();
    eprintln!("starting the embedded Metabind reference server on loopback…");
    match metabind_conformance::run::run_embedded().await {
        Ok(summaries) => {
            print!("{}", metabind_conformance::run::render_table(&summaries));
            let failed = summaries.iter().filter(|s| s.error.is_some()).count();
            println!(
                "\n{} endpoints probed, {} ok, {} failed",
                summaries.len(),
                summaries.len() - failed,
                failed
            );
            if failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
