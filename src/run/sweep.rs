//! The protocol sweep as a trial: one target instance, the sweep's probes, then every catalogue check
//! of the chosen sections judged on what they recorded (the hosts section once per host).

use std::time::Instant;

use super::{Event, Shared, TrialOutput};
use crate::checks::catalogue::{self, Judge, Section};
use crate::checks::{CheckResult, Status};
use crate::evidence::SweepEvidence;
use crate::host::HostProfile;
use crate::probes;
use crate::report::model::{ScenarioResult, SourceInfo, SWEEP_HOST};
use crate::target::Instance;

fn sweep_result(scenario: String, title: &str, reference: &str, host: &str) -> ScenarioResult {
    ScenarioResult::new(
        scenario,
        title.to_owned(),
        host.to_owned(),
        SourceInfo {
            kind: "sweep".into(),
            reference: reference.to_owned(),
            troubleshooting: None,
        },
    )
}

/// Every check a section judges, on the evidence; a judge that recorded nothing is not testable.
fn judge_section(
    section: Section,
    ev: &SweepEvidence,
    host: Option<&HostProfile>,
) -> Vec<CheckResult> {
    let mut checks = Vec::new();
    for def in catalogue::in_section(section) {
        let verdicts = match (def.judge, host) {
            (Judge::Sweep(_, judge), None) => judge(ev),
            (Judge::PerHost(judge), Some(profile)) => judge(ev, profile),
            _ => continue,
        };
        if verdicts.is_empty() {
            checks.push(CheckResult::not_testable(
                def,
                "the probes recorded nothing for it",
            ));
        }
        checks.extend(verdicts);
    }
    checks
}

pub(super) async fn run_sweep(shared: &Shared<'_>) -> TrialOutput {
    let config = shared.config;
    (shared.on_event)(Event::ScenarioStarted {
        scenario: "sweep",
        host: SWEEP_HOST,
    });
    let started = Instant::now();
    let mut output = TrialOutput::default();
    let mut results = Vec::new();
    let mut cleanup = Vec::new();
    let instance = match Instance::start(&config.target, &config.net).await {
        Err(e) => Err(e.to_string()),
        Ok(instance) => {
            if config.target.is_embedded() {
                output.phases.servers_started = 1;
                output.phases.server_start_ms = instance.server_start.as_millis() as u64;
            }
            let swept = probes::sweep::run(
                &instance,
                &config.popup,
                &config.net,
                &config.sweep,
                &config.stop,
            )
            .await
            .map_err(|e| e.to_string());
            cleanup = instance.close().await;
            swept
        }
    };
    for section in config.sweep.iter().copied() {
        let hosts: Vec<Option<HostProfile>> = if section == Section::Hosts {
            config
                .hosts
                .iter()
                .map(|h| HostProfile::builtin(h))
                .collect()
        } else {
            vec![None]
        };
        for profile in hosts {
            let host = profile.as_ref().map_or(SWEEP_HOST, |p| p.id.as_str());
            let mut result = sweep_result(
                section.scenario_id(),
                section.title(),
                section.reference(),
                host,
            );
            match &instance {
                Err(why) => {
                    result.error = Some(why.clone());
                    result.duration_ms = started.elapsed().as_millis() as u64;
                }
                Ok((ev, cost)) => {
                    result.checks = judge_section(section, ev, profile.as_ref());
                    if let Some(why) = &ev.stopped {
                        for check in &mut result.checks {
                            if check.status == Status::NotTestable
                                && check.message.ends_with(crate::evidence::NOT_PROBED)
                            {
                                check.message = format!(
                                    "not testable: the run stopped ({why}) before this was probed"
                                );
                            }
                        }
                    }
                    result.duration_ms = cost.section_ms.get(&section).copied().unwrap_or(0);
                }
            }
            if result.error.is_none() && !cleanup.is_empty() {
                result.error = Some(cleanup.join("; "));
            }
            result.settle();
            results.push(result);
        }
    }
    if let Ok((_, cost)) = &instance {
        output.phases.exchanges = cost.exchanges as u64;
        output.phases.exchange_ms = cost.exchange_ms;
        for ms in &cost.popup_durations_ms {
            output.phases.add_popup(*ms);
        }
    }
    for result in &results {
        for check in &result.checks {
            (shared.on_event)(Event::CheckRecorded {
                scenario: &result.scenario,
                host: &result.host,
                check,
            });
        }
        (shared.on_event)(Event::ScenarioFinished { result });
    }
    output.results = results;
    output
}
