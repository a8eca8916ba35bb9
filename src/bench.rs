//! `metabind-conformance bench`: wall-clock figures for the costly phases of a run — server start,
//! browser launch, the authorization popup (open → signed in → consent → code captured) and a whole
//! connector add — so they can be tracked. Figures are printed, never asserted.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use metabind_reference_server::{spawn, ServerOptions};

use crate::browser;
use crate::host::{HostProfile, Login, MockHost};
use crate::popup::{Credentials, Popup};

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("cannot start the embedded server: {0}")]
    Server(String),
    #[error("{0}")]
    Popup(String),
}

/// Median, 90th percentile, min and max of durations, in milliseconds.
pub fn summary(mut samples: Vec<Duration>) -> String {
    if samples.is_empty() {
        return "no samples".into();
    }
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    format!(
        "median {:.0} ms, p90 {:.0} ms, min {:.0} ms, max {:.0} ms (n={})",
        ms(at(0.5)),
        ms(at(0.9)),
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
        samples.len()
    )
}

/// Adds `n` connectors as mia@acme.test to acme/storefront with the ChatGPT profile through `popup`,
/// returning (popup durations, whole-add durations).
async fn connectors(
    popup: Popup,
    url: &str,
    n: usize,
) -> Result<(Vec<Duration>, Vec<Duration>), BenchError> {
    let host = MockHost::new(
        HostProfile::builtin("chatgpt").expect("built-in profile"),
        popup,
        crate::wire::Net::open(Duration::from_secs(20)),
    );
    let (mut popups, mut adds) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let started = Instant::now();
        let login = Login::User(Credentials {
            email: "mia@acme.test".into(),
            password: "mia-pass".into(),
        });
        let c = host
            .add_connector(url, login)
            .await
            .map_err(|e| BenchError::Popup(e.to_string()))?;
        if !c.state.is_connected() {
            return Err(BenchError::Popup(format!("{:?}", c.state)));
        }
        adds.push(started.elapsed());
        popups.extend(c.connector.popups.iter().map(|p| p.elapsed));
    }
    Ok((popups, adds))
}

/// The whole suite against the embedded server, as `metabind-conformance run` does it.
async fn full_run(popup: Popup, out: &mut String) -> Result<(), BenchError> {
    let scenarios =
        crate::scenario::load_dir(&crate::scenario::default_dir(), &crate::run::vocabulary())
            .map_err(|e| BenchError::Server(e.to_string()))?;
    let config = crate::run::RunConfig {
        target: crate::target::TargetSpec::Embedded {
            world: crate::target::World::Default,
            faults: Vec::new(),
        },
        hosts: HostProfile::builtin_ids().map(String::from).collect(),
        scenarios,
        sweep: crate::checks::Section::ALL.into_iter().collect(),
        popup,
        concurrency: 4,
        net: crate::wire::Net::open(Duration::from_secs(20)),
        stop: crate::stop::Stop::never(),
        exclusive: Default::default(),
    };
    let browsers_before = crate::cpu::tree_seconds(&config.popup.browser_pids());
    let (own_before, machine_before) = (crate::cpu::own_seconds(), crate::cpu::machine_seconds());
    let started = Instant::now();
    let report = crate::run::run(&config, &|_| {}).await;
    let wall = started.elapsed().as_secs_f64();
    let machine = crate::cpu::machine_seconds() - machine_before;
    let own = crate::cpu::own_seconds() - own_before;
    let browsers = crate::cpu::tree_seconds(&config.popup.browser_pids()) - browsers_before;
    let checks: usize = report.results.iter().map(|r| r.checks.len()).sum();
    let p = &report.phases;
    let _ = writeln!(
        out,
        "full run ({} popups): {:.2} s wall, {} scenario runs, {checks} checks, {}",
        config.popup.driver_name(),
        wall,
        report.results.len(),
        if report.passed() { "passed" } else { "FAILED" }
    );
    let _ = writeln!(
        out,
        "  phases (summed over concurrent runs): server start {} ms over {} servers, popups {} ms over {}, MCP/OAuth exchanges {} ms over {}",
        p.server_start_ms, p.servers_started, p.popup_ms, p.popups, p.exchange_ms, p.exchanges
    );
    let _ = writeln!(
        out,
        "  CPU: {machine:.1} s for all processes (machine-wide, {:.0} % of {} cores), harness and its servers {own:.1} s, Chromium {browsers:.1} s, other {:.1} s",
        100.0 * machine / wall / cores() as f64,
        cores(),
        (machine - own - browsers).max(0.0)
    );
    let _ = writeln!(
        out,
        "  popups under the run's concurrency ({} at once): {}",
        config.concurrency,
        summary(
            p.popup_durations_ms
                .iter()
                .map(|ms| Duration::from_millis(*ms))
                .collect()
        )
    );
    let mut slowest: Vec<_> = report.results.iter().collect();
    slowest.sort_by_key(|r| std::cmp::Reverse(r.duration_ms));
    for r in slowest.iter().take(3) {
        let _ = writeln!(
            out,
            "  slowest: {} on {}: {} ms",
            r.scenario, r.host, r.duration_ms
        );
    }
    Ok(())
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Runs the bench and returns the printed figures.
pub async fn run(popups: usize) -> Result<String, BenchError> {
    let mut out = String::new();
    let started = Instant::now();
    let server = spawn(
        ServerOptions::with_default_fixture().map_err(|e| BenchError::Server(e.to_string()))?,
    )
    .await
    .map_err(|e| BenchError::Server(e.to_string()))?;
    let _ = writeln!(
        out,
        "server start:        {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    let url = server.url("/acme/storefront");
    let (popup, notice) = Popup::detect(true).await;
    match popup.chromium() {
        Some(chromium) => {
            let _ = writeln!(
                out,
                "browser launch:      {:.0} ms ({})",
                chromium.launch_time.as_secs_f64() * 1000.0,
                chromium.path.display()
            );
            full_run(popup.clone(), &mut out).await?;
            let (popup_times, adds) = connectors(popup, &url, popups).await?;
            let _ = writeln!(out, "browser popup:       {}", summary(popup_times));
            let _ = writeln!(out, "connector add (browser): {}", summary(adds));
        }
        None => {
            let _ = writeln!(
                out,
                "browser: {}",
                notice.unwrap_or_else(|| format!("no Chromium found ({})", browser::SEARCHED))
            );
            full_run(Popup::http(), &mut out).await?;
        }
    }
    let (popup_times, adds) = connectors(Popup::http(), &url, popups).await?;
    let _ = writeln!(out, "http popup:          {}", summary(popup_times));
    let _ = writeln!(out, "connector add (http):    {}", summary(adds));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_pick_order_statistics() {
        let samples = (1..=10).map(Duration::from_millis).collect();
        assert_eq!(
            summary(samples),
            "median 6 ms, p90 9 ms, min 1 ms, max 10 ms (n=10)"
        );
        assert_eq!(summary(Vec::new()), "no samples");
    }
}
