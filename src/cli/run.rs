//! `metabind-conformance run`: the configuration from the arguments (the target answered before any
//! browser starts), the run within its deadline (SIGINT and SIGTERM stop it the same way), and the
//! reports, scrubbed of every secret the run saw.

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use metabind_reference_server::Fault;

use super::CliError;
use crate::checks::catalogue::Section;
use crate::host::HostProfile;
use crate::popup::{Credentials, Popup};
use crate::report::model::{Phases, RunReport, ScenarioResult};
use crate::report::{self, text::for_terminal};
use crate::run::{self, Event, RunConfig};
use crate::scenario::refs::Role;
use crate::scenario::{self, Scenario};
use crate::target::{preflight, TargetFile, TargetSpec, World};
use crate::wire::{Limits, Net};

#[derive(clap::Args, Clone)]
pub struct RunArgs {
    /// The project's MCP endpoint of a deployment (default: an embedded reference server per scenario).
    #[arg(long, value_name = "URL", conflicts_with = "target_file")]
    target: Option<String>,
    /// The embedded reference server's world: its default fixture, or a second one that shares no
    /// name with it.
    #[arg(long, value_name = "WORLD", default_value = "default", value_parser = ["default", "second"])]
    world: String,
    /// A target file describing the deployment: endpoints, logins by role, what may be called,
    /// server control (`metabind-conformance init` writes one).
    #[arg(long, value_name = "FILE")]
    target_file: Option<PathBuf>,

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
    /// A bearer token for custom-host scenarios and the sweep (an API key or a minted token), with
    /// --target.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "METABIND_TOKEN",
        hide_env_values = true
    )]
    token: Option<String>,
    /// With --target: the member login for the authorization popup; its password comes from
    /// METABIND_PASSWORD. (A target file names a login per role.)
    #[arg(long, value_name = "EMAIL", conflicts_with = "target_file")]
    user: Option<String>,
    /// With --target: a second member for sharing scenarios; its password comes from
    /// METABIND_SECOND_PASSWORD.
    #[arg(long, value_name = "EMAIL", conflicts_with = "target_file")]
    second_user: Option<String>,
    /// Seconds before any one network call gives up (at least 1).
    #[arg(long, value_name = "SECS", default_value_t = 20)]
    timeout: u64,
    /// Seconds the whole run may take; then it stops, writes what it has and exits 2.
    #[arg(long, value_name = "SECS", default_value_t = 900)]
    deadline: u64,
    /// The most of one response body the harness reads; a longer one is cut and reported.
    #[arg(long, value_name = "BYTES", default_value_t = 4 << 20)]
    max_response_bytes: usize,
    /// An origin the run may reach besides the target's and the authorization servers its
    /// metadata names (repeatable), e.g. an identity provider the sign-in page redirects to.
    #[arg(long = "allow-origin", value_name = "URL")]
    allow_origins: Vec<String>,
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

/// The scenarios and sweep sections `globs` choose (all without globs).
pub(super) fn load_scenarios(
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

/// Builds the run configuration from the arguments. A remote target must answer first: no browser
/// starts for a target that is unreachable or hung.
pub async fn configure(args: &RunArgs) -> Result<RunConfig, CliError> {
    let (scenarios, sweep) = load_scenarios(args.scenarios_dir.as_deref(), &args.scenarios)?;
    if args.timeout == 0 {
        return Err(CliError::Usage(
            "--timeout must be at least 1 second".into(),
        ));
    }
    if args.deadline == 0 {
        return Err(CliError::Usage(
            "--deadline must be at least 1 second".into(),
        ));
    }
    if args.max_response_bytes < 1024 {
        return Err(CliError::Usage(
            "--max-response-bytes must be at least 1024".into(),
        ));
    }
    let timeout = Duration::from_secs(args.timeout);
    let limits = Limits {
        max_response_bytes: args.max_response_bytes,
        ..Limits::default()
    };
    let mut faults = Vec::new();
    for name in &args.faults {
        faults.push(
            name.parse::<Fault>()
                .map_err(|e| CliError::Usage(e.to_string()))?,
        );
    }
    let remote = match (&args.target_file, &args.target) {
        (Some(path), _) => Some(TargetFile::load(path)?),
        (None, Some(url)) => {
            let parsed = url::Url::parse(url)
                .map_err(|e| CliError::Usage(format!("--target is not a URL: {e}")))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(CliError::Usage("--target must be an http(s) URL".into()));
            }
            Some(TargetFile::for_url(url))
        }
        (None, None) => None,
    };
    let (target, net) = match remote {
        None => {
            if !args.allow_origins.is_empty() {
                return Err(CliError::Usage(
                    "--allow-origin applies only to a deployment (--target or --target-file)"
                        .into(),
                ));
            }
            let world = if args.world == "second" {
                World::Second
            } else {
                World::Default
            };
            // The embedded servers are ours, on loopback ports that change per scenario.
            let mut net = Net::open(timeout);
            Arc::get_mut(&mut net).expect("not shared yet").limits = limits;
            (TargetSpec::Embedded { world, faults }, net)
        }
        Some(file) => {
            if !faults.is_empty() {
                return Err(CliError::Usage(
                    "--fault applies only to the embedded server, not to a deployment".into(),
                ));
            }
            let mut secrets = file.secrets().map_err(CliError::Usage)?;
            if args.target.is_some() {
                if let Some(c) = credentials(args.user.as_ref(), "METABIND_PASSWORD", "--user")? {
                    secrets.logins.insert(Role::Member, c);
                }
                if let Some(c) = credentials(
                    args.second_user.as_ref(),
                    "METABIND_SECOND_PASSWORD",
                    "--second-user",
                )? {
                    secrets.logins.insert(Role::SecondMember, c);
                }
                secrets.token = args.token.clone();
            }
            let mut file = file;
            // What --user and --second-user give is what the target file would say.
            for (role, c) in &secrets.logins {
                file.logins
                    .entry(*role)
                    .or_insert_with(|| crate::target::file::LoginSpec {
                        email: c.email.clone(),
                        password_env: Some("given on the command line".into()),
                        password: None,
                    });
            }
            // The origins the user named: every endpoint of the file, its control API, and
            // --allow-origin.
            let mut origins = args.allow_origins.clone();
            origins.extend(file.named_origins());
            let net = Net::for_target(&file.endpoints.production, &origins, timeout, limits)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            for secret in secrets.values() {
                net.secrets.remember(secret);
            }
            (
                TargetSpec::Remote {
                    file: Box::new(file),
                    secrets,
                },
                net,
            )
        }
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
    if let TargetSpec::Remote { file, .. } = &target {
        preflight(&file.endpoints.production, &net).await?;
    }
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
        hosts,
        scenarios,
        sweep,
        popup,
        concurrency: args.jobs.max(1),
        net,
        // Replaced by the command's own once the run starts.
        stop: crate::stop::Stop::never(),
        exclusive: Default::default(),
    })
}

/// How long a stopped run may take to wrap up what it has.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Resolves when the process gets SIGINT or SIGTERM.
async fn interrupted() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => return "interrupted (SIGINT)",
                _ = term.recv() => return "terminated (SIGTERM)",
            }
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    "interrupted (SIGINT)"
}

pub(super) async fn run_command(args: RunArgs) -> Result<bool, CliError> {
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
    let started_at = SystemTime::now();
    let started = Instant::now();
    let deadline = Duration::from_secs(args.deadline);
    // One listener for the whole command: registered at the first poll, it keeps every signal.
    let stop = interrupted();
    tokio::pin!(stop);
    // The deadline and the signals also bound the preflight and the browser's start.
    let mut config = tokio::select! {
        config = configure(&args) => config?,
        _ = tokio::time::sleep(deadline) => return Err(CliError::Stopped(format!("the run's deadline ({} s) passed before it started", args.deadline))),
        why = &mut stop => return Err(CliError::Stopped(why.into())),
    };
    match &config.target {
        TargetSpec::Embedded { world, .. } => eprintln!(
            "running against the embedded reference server (a fresh one per scenario, {}), popups: {}",
            world.name(),
            config.popup.driver_name()
        ),
        TargetSpec::Remote { file, .. } => eprintln!(
            "running against {}, popups: {}",
            for_terminal(&crate::wire::redact_url(&file.endpoints.production)),
            config.popup.driver_name()
        ),
    }
    let terminal = std::io::stderr().is_terminal();
    let done = AtomicUsize::new(0);
    let total = AtomicUsize::new(0);
    // What finished, for a report of a run that stops early.
    let finished: Mutex<Vec<ScenarioResult>> = Mutex::default();
    let progress = |event: Event<'_>| match event {
        Event::RunStarted { trials } => total.store(trials, Ordering::Relaxed),
        Event::ScenarioFinished { result } => {
            finished
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(result.clone());
            if terminal {
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                eprintln!(
                    "[{n}/{}] {:<5} {} on {}",
                    total.load(Ordering::Relaxed),
                    result.status.as_str(),
                    for_terminal(&result.scenario),
                    result.host
                );
            }
        }
        _ => {}
    };
    let (stopper, run_stop) = crate::stop::channel();
    config.stop = run_stop;
    let remaining = deadline.saturating_sub(started.elapsed());
    let mut running = Box::pin(run::run(&config, &progress));
    let outcome = tokio::select! {
        report = &mut running => Ok(report),
        _ = tokio::time::sleep(remaining) => Err(format!("the run's deadline ({} s) passed", args.deadline)),
        why = &mut stop => Err(why.to_owned()),
    };
    // Asked to stop: the run gets a moment to judge what it recorded (the sweep's sections so
    // far); past that, the report holds the trials that had finished.
    let outcome = match outcome {
        Ok(report) => Ok(report),
        Err(why) => {
            stopper.stop(why.clone());
            tokio::select! {
                report = &mut running => Ok(RunReport { stopped: Some(why), ..report }),
                _ = tokio::time::sleep(STOP_GRACE) => Err(why),
            }
        }
    };
    // Whatever the run still held (its browser pages, its servers) goes now.
    drop(running);
    let mut report = match outcome {
        Ok(report) => report,
        Err(why) => {
            let mut results =
                std::mem::take(&mut *finished.lock().unwrap_or_else(|e| e.into_inner()));
            results.sort_by(|a, b| (&a.host, &a.scenario).cmp(&(&b.host, &b.scenario)));
            let mut report = run::assemble(
                &config,
                results,
                Vec::new(),
                Phases::default(),
                started_at,
                started.elapsed(),
            );
            report.stopped = Some(why);
            report
        }
    };
    if let Some(baseline) = &baseline {
        report::baseline::apply(&mut report, baseline);
    }
    report.scrub(&config.net.secrets);
    // The browser goes with the configuration: Chromium is killed and its profile removed now,
    // whether the run finished or was stopped.
    drop(config);
    write_reports(&args.out, &report)?;
    out!("{}", for_terminal(&report::text::render(&report)));
    outln!(
        "reports: {}, {}, {}",
        args.out.join("report.json").display(),
        args.out.join("junit.xml").display(),
        args.out.join("report.html").display()
    );
    match report.stopped {
        Some(why) => Err(CliError::Stopped(why)),
        None => Ok(report.passed()),
    }
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
