//! The command line: parses arguments, runs, writes reports, and maps every outcome to an exit code
//! in one place: 0 all passed, 1 a check failed (or a regression / stale baseline entry), 2 could not
//! run (bad arguments, unreadable files, unreachable or hung target).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use clap::{Parser, Subcommand};
use metabind_reference_server::Fault;

use std::collections::BTreeSet;

use crate::checks::catalogue::{self, Section};
use crate::host::HostProfile;
use crate::popup::{Credentials, Popup};
use crate::report::{self, model::RunReport};
use crate::run::{self, Event, RunConfig};
use crate::scenario::{self, Scenario};
use crate::target::{Logins, TargetSpec};

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

#[derive(clap::Args, Clone)]
pub struct RunArgs {
    /// The project's MCP endpoint of a deployment (default: an embedded reference server per scenario).
    #[arg(long, value_name = "URL")]
    target: Option<String>,
    /// Hosts to play (repeatable; default: all).
    #[arg(long = "host", value_name = "HOST", value_parser = ["chatgpt", "claude-desktop", "generic"])]
    hosts: Vec<String>,
    /// Only scenarios whose id matches (glob, repeatable), e.g. `connect/*` or `sweep/*`.
    #[arg(long = "scenario", value_name = "GLOB")]
    scenarios: Vec<String>,
    /// Where report.json, junit.xml and report.html go.
    #[arg(long, value_name = "DIR", default_value = "metabind-report")]
    out: PathBuf,
    /// Expected failures (TOML): matching failures do not fail the run; entries that now pass do.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// A bearer token for custom-host scenarios and the sweep (an API key or a minted token).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "METABIND_TOKEN",
        hide_env_values = true
    )]
    token: Option<String>,
    /// The login for the authorization popup; its password comes from METABIND_PASSWORD.
    #[arg(long, value_name = "EMAIL")]
    user: Option<String>,
    /// A second login for sharing scenarios; its password comes from METABIND_SECOND_PASSWORD.
    #[arg(long, value_name = "EMAIL")]
    second_user: Option<String>,
    /// Seconds before any one network call gives up.
    #[arg(long, value_name = "SECS", default_value_t = 20)]
    timeout: u64,
    /// Scenario files (default: the scenarios shipped with this build).
    #[arg(long, value_name = "DIR")]
    scenarios_dir: Option<PathBuf>,
    /// Scenario runs at once.
    #[arg(long, default_value_t = 4)]
    jobs: usize,
    /// Run popups over plain HTTP instead of headless Chromium.
    #[arg(long)]
    http_popups: bool,
    /// Start the embedded server with a named fault (repeatable), to see what a broken server reports.
    #[arg(long = "fault", value_name = "NAME")]
    faults: Vec<String>,
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
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Scenario(#[from] scenario::LoadError),
    #[error("{0}")]
    Target(#[from] crate::target::TargetError),
    #[error("cannot write {path}: {message}")]
    Write { path: PathBuf, message: String },
    #[error("cannot read {path}: {message}")]
    Read { path: PathBuf, message: String },
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
        Command::Run(args) => run_command(*args).await,
        Command::List {
            scenarios,
            scenarios_dir,
            checks,
        } => list(&scenarios, scenarios_dir.as_deref(), checks),
        Command::Diff { old, new } => diff(&old, &new),
        Command::Baseline { report, out } => baseline(&report, out.as_deref()),
        Command::Bench { popups } => match crate::bench::run(popups).await {
            Ok(figures) => {
                print!("{figures}");
                Ok(true)
            }
            Err(e) => Err(CliError::Usage(format!("bench: {e}"))),
        },
        Command::ConformanceClient { url, timeout } => {
            let scenario = std::env::var("MCP_CONFORMANCE_SCENARIO").unwrap_or_default();
            let context = std::env::var("MCP_CONFORMANCE_CONTEXT").ok();
            match crate::conformance_client::run(
                &url,
                context.as_deref(),
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
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// The scenarios and sweep sections `globs` choose (all without globs).
fn load_scenarios(
    dir: Option<&Path>,
    globs: &[String],
) -> Result<(Vec<Scenario>, BTreeSet<Section>), CliError> {
    let dir = dir
        .map(Path::to_path_buf)
        .unwrap_or_else(scenario::default_dir);
    let all = scenario::load_dir(&dir, &run::vocabulary())?;
    if globs.is_empty() {
        return Ok((all, Section::ALL.into_iter().collect()));
    }
    let mut builder = globset::GlobSetBuilder::new();
    for g in globs {
        builder.add(
            globset::Glob::new(g).map_err(|e| CliError::Usage(format!("--scenario {g:?}: {e}")))?,
        );
    }
    let set = builder
        .build()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let chosen: Vec<Scenario> = all.into_iter().filter(|s| set.is_match(&s.id)).collect();
    let sweep: BTreeSet<Section> = Section::ALL
        .into_iter()
        .filter(|s| set.is_match(s.scenario_id()))
        .collect();
    if chosen.is_empty() && sweep.is_empty() {
        return Err(CliError::Usage(format!(
            "no scenario matches {}; `metabind-conformance list` shows them",
            globs.join(", ")
        )));
    }
    Ok((chosen, sweep))
}

fn credentials(
    email: Option<&String>,
    variable: &str,
    flag: &str,
) -> Result<Option<Credentials>, CliError> {
    let Some(email) = email else { return Ok(None) };
    let password = std::env::var(variable).map_err(|_| {
        CliError::Usage(format!(
            "{flag} {email} needs the password in the environment variable {variable} (never on the command line)"
        ))
    })?;
    Ok(Some(Credentials {
        email: email.clone(),
        password,
    }))
}

/// Builds the run configuration from the arguments (no network).
pub async fn configure(args: &RunArgs) -> Result<RunConfig, CliError> {
    let (scenarios, sweep) = load_scenarios(args.scenarios_dir.as_deref(), &args.scenarios)?;
    let mut faults = Vec::new();
    for name in &args.faults {
        faults.push(
            name.parse::<Fault>()
                .map_err(|e| CliError::Usage(e.to_string()))?,
        );
    }
    let target = match &args.target {
        None => TargetSpec::Embedded { faults },
        Some(url) => {
            if !faults.is_empty() {
                return Err(CliError::Usage(
                    "--fault applies only to the embedded server, not to --target".into(),
                ));
            }
            let parsed = url::Url::parse(url)
                .map_err(|e| CliError::Usage(format!("--target {url:?} is not a URL: {e}")))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(CliError::Usage(format!(
                    "--target {url:?} must be an http(s) URL"
                )));
            }
            TargetSpec::Remote { url: url.clone() }
        }
    };
    let logins = Logins {
        user: credentials(args.user.as_ref(), "METABIND_PASSWORD", "--user")?,
        second: credentials(
            args.second_user.as_ref(),
            "METABIND_SECOND_PASSWORD",
            "--second-user",
        )?,
        token: args.token.clone(),
    };
    let hosts = if args.hosts.is_empty() {
        HostProfile::builtin_ids().map(String::from).collect()
    } else {
        let mut hosts = Vec::new();
        for h in HostProfile::builtin_ids() {
            if args.hosts.iter().any(|a| a == h) {
                hosts.push(h.to_owned());
            }
        }
        hosts
    };
    let popup = if args.http_popups {
        Popup::http_with_popup_blocker(true)
    } else {
        let (popup, notice) = Popup::detect(true).await;
        if let Some(notice) = notice {
            eprintln!("{notice}");
        }
        popup
    };
    Ok(RunConfig {
        target,
        logins,
        hosts,
        scenarios,
        sweep,
        popup,
        concurrency: args.jobs.max(1),
        request_timeout: Duration::from_secs(args.timeout.max(1)),
    })
}

async fn run_command(args: RunArgs) -> Result<bool, CliError> {
    let baseline = match &args.baseline {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| CliError::Read {
                path: path.clone(),
                message: e.to_string(),
            })?;
            Some(
                report::baseline::parse(&text)
                    .map_err(|e| CliError::Usage(format!("baseline {}: {e}", path.display())))?,
            )
        }
    };
    let config = configure(&args).await?;
    match &config.target {
        TargetSpec::Embedded { .. } => eprintln!(
            "running against the embedded reference server (a fresh one per scenario, default fixture), popups: {}",
            config.popup.driver_name()
        ),
        TargetSpec::Remote { url } => eprintln!("running against {url}, popups: {}", config.popup.driver_name()),
    }
    let terminal = std::io::stderr().is_terminal();
    let done = AtomicUsize::new(0);
    let total = AtomicUsize::new(0);
    let progress = |event: Event<'_>| match event {
        Event::RunStarted { trials } => total.store(trials, Ordering::Relaxed),
        Event::ScenarioFinished { result } if terminal => {
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            eprintln!(
                "[{n}/{}] {:<5} {} on {}",
                total.load(Ordering::Relaxed),
                result.status.as_str(),
                result.scenario,
                result.host
            );
        }
        _ => {}
    };
    let mut report = run::run(&config, &progress).await?;
    if let Some(baseline) = &baseline {
        report::baseline::apply(&mut report, baseline);
    }
    write_reports(&args.out, &report)?;
    print!("{}", report::text::render(&report));
    println!(
        "reports: {}, {}, {}",
        args.out.join("report.json").display(),
        args.out.join("junit.xml").display(),
        args.out.join("report.html").display()
    );
    Ok(report.passed())
}

pub fn write_reports(dir: &Path, report: &RunReport) -> Result<(), CliError> {
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| CliError::Write {
            path,
            message: e.to_string(),
        })
    };
    std::fs::create_dir_all(dir).map_err(|e| CliError::Write {
        path: dir.to_owned(),
        message: e.to_string(),
    })?;
    write("report.json", report::json::render(report))?;
    let junit = report::junit::render(report)
        .to_string()
        .map_err(|e| CliError::Write {
            path: dir.join("junit.xml"),
            message: e.to_string(),
        })?;
    write("junit.xml", junit)?;
    write("report.html", report::html::render(report))?;
    // Screenshots of rendered views, next to the reports (report.html embeds them as well). Those of an
    // earlier run into the same folder go first, so the folder shows this report's views only.
    if let Ok(entries) = std::fs::read_dir(dir.join("screenshots")) {
        for entry in entries.flatten() {
            if entry.path().extension().is_some_and(|e| e == "png") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    for shot in report
        .results
        .iter()
        .flat_map(|r| &r.checks)
        .filter_map(|c| c.screenshot.as_ref())
        .filter(|s| !s.png.is_empty())
    {
        let path = dir.join(&shot.file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| CliError::Write {
                path: parent.to_owned(),
                message: e.to_string(),
            })?;
        }
        std::fs::write(&path, &shot.png).map_err(|e| CliError::Write {
            path,
            message: e.to_string(),
        })?;
    }
    Ok(())
}

fn list(globs: &[String], dir: Option<&Path>, checks: bool) -> Result<bool, CliError> {
    if checks {
        println!(
            "{:<38} {:<6} {:<22} troubleshooting row",
            "check", "level", "judged in"
        );
        for c in catalogue::all() {
            let judged = match c.judge.section() {
                Some(section) => section.scenario_id(),
                None => "scenario expectations".to_owned(),
            };
            println!(
                "{:<38} {:<6} {:<22} {}",
                c.id,
                c.level.as_str(),
                judged,
                c.row.map(|r| r.text()).unwrap_or("-")
            );
            println!("{:<47} {}", "", c.clause);
            println!("{:<47} applies when {}", "", c.applies);
        }
        return Ok(true);
    }
    let (scenarios, sweep) = load_scenarios(dir, globs)?;
    println!("{:<44} {:<30} needs", "scenario", "hosts");
    for s in &scenarios {
        let needs: Vec<&str> = s
            .needs()
            .iter()
            .map(|n| match n {
                scenario::Need::ServerControl => "server-control",
                scenario::Need::Fixture => "fixture",
                scenario::Need::Login => "login",
                scenario::Need::SecondUser => "second-user",
                scenario::Need::Token => "token",
            })
            .collect();
        println!("{:<44} {:<30} {}", s.id, s.hosts.join(","), needs.join(","));
        let row = s
            .file
            .troubleshooting
            .as_ref()
            .map(|r| format!(" [{}]", r.get_ref()))
            .unwrap_or_default();
        println!("    {}{row}", s.file.title);
    }
    for section in &sweep {
        println!(
            "{:<44} {:<30} protocol sweep, {} checks",
            section.scenario_id(),
            if *section == Section::Hosts {
                "every host"
            } else {
                "any host"
            },
            catalogue::in_section(*section).count()
        );
        println!("    {}", section.title());
    }
    println!(
        "\n{} scenarios, {} sweep sections; `list --checks` shows the {} checks",
        scenarios.len(),
        sweep.len(),
        catalogue::all().count()
    );
    Ok(true)
}

fn read_report(path: &Path) -> Result<RunReport, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::Read {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    report::json::parse(&text).map_err(|message| CliError::Read {
        path: path.to_owned(),
        message,
    })
}

fn baseline(report: &Path, out: Option<&Path>) -> Result<bool, CliError> {
    let text = report::baseline::from_report(&read_report(report)?, &report.display().to_string());
    match out {
        None => print!("{text}"),
        Some(path) => std::fs::write(path, text).map_err(|e| CliError::Write {
            path: path.to_owned(),
            message: e.to_string(),
        })?,
    }
    Ok(true)
}

fn diff(old: &Path, new: &Path) -> Result<bool, CliError> {
    let d = report::diff::compare(&read_report(old)?, &read_report(new)?);
    print!("{}", report::diff::render(&d));
    Ok(!d.has_regressions())
}
