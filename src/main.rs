//! `metabind-conformance`: with no arguments, runs the whole suite against the embedded reference
//! server and prints a summary. Exit codes: 0 success, 1 a check failed, 2 could not run.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    metabind_conformance::cli::main().await
}
