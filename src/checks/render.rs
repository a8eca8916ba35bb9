//! UI views as a host renders them in a real browser (MCP Apps §8, the Apps SDK): the view loads and
//! shows content, completes its handshake (MCP Apps), and makes no request its CSP blocks.

use super::catalogue::{CheckDef, Judge, Level};
use super::verdict::{truncate, CheckResult, Screenshot};
use crate::guide::Row;
use crate::host::{HostProfile, UiRender, UiRenderOutcome};
use crate::ui::UiPath;

pub static RENDERS: CheckDef = CheckDef {
    id: "host.ui.renders",
    level: Level::Must,
    clause: "MCP Apps §UI resource / Apps SDK: the host renders a text/html;profile=mcp-app (or, on ChatGPT's Apps SDK path, text/html+skybridge) view in a sandboxed frame; it must load, show content and raise no uncaught error",
    applies: "the host renders UI and a tool the run may call offers a UI on one of its paths",
    row: Some(Row::Ui),
    hint: "serve the view with the path's mime type and make it render the tool result without script errors (open the screenshot and the console errors in the evidence)",
    judge: Judge::Expectation,
};

pub static HANDSHAKE: CheckDef = CheckDef {
    id: "host.ui.handshake",
    level: Level::Must,
    clause: "MCP Apps §view-host protocol: the view sends ui/initialize, then ui/notifications/initialized; only then does the host send tool-input and tool-result",
    applies: "a view rendered on the MCP Apps path",
    row: Some(Row::Ui),
    hint: "make the view send `ui/initialize` on load and `ui/notifications/initialized` after the host answers (the ext-apps App class does both)",
    judge: Judge::Expectation,
};

pub static CSP: CheckDef = CheckDef {
    id: "host.ui.csp-respected",
    level: Level::Must,
    clause: "MCP Apps §UI resource: the host builds the view's CSP from _meta.ui.csp and MUST NOT allow undeclared domains (Apps SDK: openai/widgetCSP)",
    applies: "a view rendered",
    row: Some(Row::Ui),
    hint: "declare every origin the view loads from in `_meta.ui.csp` (resourceDomains for scripts, styles, images, fonts; connectDomains for fetch), or stop loading from it",
    judge: Judge::Expectation,
};

pub static CHECKS: &[&CheckDef] = &[&RENDERS, &HANDSHAKE, &CSP];

/// The three render checks, each n/a for the same reason.
pub fn not_applicable(why: &str) -> Vec<CheckResult> {
    CHECKS
        .iter()
        .map(|d| CheckResult::not_applicable(d, why))
        .collect()
}

pub(crate) fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

pub fn judge_render(profile: &HostProfile, scenario: &str, render: &UiRender) -> Vec<CheckResult> {
    let host = &profile.name;
    let tool = &render.tool;
    let path = render.path.describe();
    let default_note = if render.preferred && profile.ui.paths.len() > 1 {
        format!(" (the path {host} shows by default)")
    } else {
        String::new()
    };
    let mut checks = Vec::new();
    match &render.outcome {
        UiRenderOutcome::Unavailable {
            reason,
            browser_failed,
        } => {
            for def in CHECKS {
                checks.push(if *browser_failed {
                    CheckResult::error(def, reason.clone())
                } else {
                    CheckResult::skip(def, reason.clone())
                });
            }
        }
        UiRenderOutcome::Refused { uri, reason } => {
            checks.push(CheckResult::fail(
                &RENDERS,
                format!("{host} does not render {tool} through {path}{default_note}: {reason}"),
                format!("{uri} served as {}", render.path.mime_type()),
                reason.clone(),
            ));
            for def in [&HANDSHAKE, &CSP] {
                if def.id == HANDSHAKE.id && render.path != UiPath::McpApps {
                    continue;
                }
                checks.push(CheckResult::not_testable(
                    def,
                    format!("{host} did not render {tool} through {path}"),
                ));
            }
        }
        UiRenderOutcome::Rendered(record) => {
            let mut problems = Vec::new();
            if !record.loaded {
                problems.push("the view never finished loading in its frame".to_owned());
            }
            if record.text.is_empty() {
                problems.push("the view showed no text".to_owned());
            }
            for e in &record.uncaught_errors {
                problems.push(format!("uncaught error: {e}"));
            }
            let mut evidence = vec![format!(
                "{} ({}), rendered in {} ms{}; visible text: {}",
                record.uri,
                record.mime_type,
                record.elapsed_ms,
                if record.timed_out {
                    ", still changing at the deadline"
                } else {
                    ""
                },
                if record.text.is_empty() {
                    "(none)".to_owned()
                } else {
                    format!("{:?}", truncate(&record.text, 300))
                }
            )];
            evidence.extend(
                record
                    .uncaught_errors
                    .iter()
                    .map(|e| format!("uncaught error: {e}")),
            );
            evidence.extend(
                record
                    .console_errors
                    .iter()
                    .map(|e| format!("console.error: {e}")),
            );
            evidence.extend(
                record
                    .csp_violations
                    .iter()
                    .map(|v| format!("CSP blocked {} ({})", v.blocked_uri, v.directive)),
            );
            let mut renders = CheckResult::judge(
                &RENDERS,
                problems.is_empty(),
                format!("{host} renders {tool} through {path}{default_note}"),
                "the view loads in its sandboxed frame, shows content and raises no uncaught error",
                if problems.is_empty() {
                    format!(
                        "loaded and showed \"{}\"",
                        truncate(&record.text.replace('\n', " / "), 120)
                    )
                } else {
                    problems.join("; ")
                },
            );
            renders.evidence = evidence;
            if !record.png.is_empty() {
                renders.screenshot = Some(Screenshot {
                    file: format!(
                        "screenshots/{}-{}-{}-{}.png",
                        slug(&profile.id),
                        slug(scenario),
                        slug(tool),
                        render.path.as_str()
                    ),
                    caption: format!("{host} · {tool} · {path}"),
                    png: record.png.clone(),
                });
            }
            checks.push(renders);
            if let Some(h) = &record.handshake {
                let mark = |b: bool| if b { "yes" } else { "no" };
                let mut check = CheckResult::judge(
                    &HANDSHAKE,
                    h.initialize && h.initialized && h.delivered,
                    format!("the {tool} view's handshake with {host} ({path})"),
                    "ui/initialize answered, then ui/notifications/initialized, then tool-input and tool-result sent",
                    format!(
                        "ui/initialize: {}, initialized: {}, input and result sent: {}{}",
                        mark(h.initialize),
                        mark(h.initialized),
                        mark(h.delivered),
                        if record.loaded { "" } else { " (the view never loaded)" }
                    ),
                );
                check.evidence.push(if h.methods.is_empty() {
                    "the view sent the host no message".to_owned()
                } else {
                    format!("the view sent: {}", h.methods.join(", "))
                });
                checks.push(check);
            }
            let mut csp = CheckResult::judge(
                &CSP,
                record.csp_violations.is_empty(),
                format!(
                    "the {tool} view on {host} ({path}) made {} request(s) its CSP blocks",
                    record.csp_violations.len()
                ),
                "no request outside the declared domains",
                if record.csp_violations.is_empty() {
                    "none blocked".to_owned()
                } else {
                    record
                        .csp_violations
                        .iter()
                        .map(|v| format!("{} ({})", v.blocked_uri, v.directive))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            );
            csp.evidence = record
                .csp_violations
                .iter()
                .map(|v| format!("CSP blocked {} ({})", v.blocked_uri, v.directive))
                .collect();
            csp.evidence.push(format!("policy: {}", record.csp));
            if !record.csp_rejected.is_empty() {
                csp.evidence.push(format!(
                    "declared entries that are not CSP sources, left out: {}",
                    record.csp_rejected.join(", ")
                ));
            }
            checks.push(csp);
        }
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use crate::render::{CspViolation, Handshake, RenderRecord};

    fn claude() -> HostProfile {
        HostProfile::builtin("claude-desktop").unwrap()
    }

    fn rendered(record: RenderRecord) -> UiRender {
        UiRender {
            tool: "product_card".into(),
            path: UiPath::McpApps,
            preferred: true,
            outcome: UiRenderOutcome::Rendered(Box::new(record)),
        }
    }

    fn good() -> RenderRecord {
        RenderRecord {
            uri: "ui://card".into(),
            mime_type: "text/html;profile=mcp-app".into(),
            csp: "default-src 'none'".into(),
            loaded: true,
            handshake: Some(Handshake {
                initialize: true,
                initialized: true,
                delivered: true,
                methods: vec!["ui/initialize".into()],
            }),
            text: "Green tea, 4.50".into(),
            png: vec![1, 2, 3],
            ..Default::default()
        }
    }

    fn status(checks: &[CheckResult], def: &CheckDef) -> Status {
        checks.iter().find(|c| c.id == def.id).unwrap().status
    }

    #[test]
    fn a_view_that_loads_shakes_hands_and_stays_in_its_csp_passes_with_a_screenshot() {
        let checks = judge_render(&claude(), "ui/x", &rendered(good()));
        assert!(
            checks.iter().all(|c| c.status == Status::Pass),
            "{checks:?}"
        );
        let shot = checks[0].screenshot.as_ref().unwrap();
        assert_eq!(
            shot.file,
            "screenshots/claude-desktop-ui-x-product_card-mcp-apps.png"
        );
    }

    #[test]
    fn script_errors_silence_and_blocked_requests_each_fail_their_check() {
        let mut broken = good();
        broken
            .uncaught_errors
            .push("TypeError: x is undefined".into());
        broken.handshake.as_mut().unwrap().initialized = false;
        broken.csp_violations.push(CspViolation {
            blocked_uri: "https://cdn.example/a.png".into(),
            directive: "img-src".into(),
        });
        let checks = judge_render(&claude(), "ui/x", &rendered(broken));
        assert_eq!(status(&checks, &RENDERS), Status::Fail);
        assert_eq!(status(&checks, &HANDSHAKE), Status::Fail);
        assert_eq!(status(&checks, &CSP), Status::Fail);
    }

    #[test]
    fn a_refused_resource_fails_rendering_and_a_browser_failure_is_an_error() {
        let refused = UiRender {
            outcome: UiRenderOutcome::Refused {
                uri: "ui://card".into(),
                reason: "served as text/html".into(),
            },
            ..rendered(good())
        };
        let checks = judge_render(&claude(), "ui/x", &refused);
        assert_eq!(status(&checks, &RENDERS), Status::Fail);
        assert_eq!(status(&checks, &CSP), Status::NotTestable);
        let gone = UiRender {
            outcome: UiRenderOutcome::Unavailable {
                reason: "the browser failed".into(),
                browser_failed: true,
            },
            ..rendered(good())
        };
        let checks = judge_render(&claude(), "ui/x", &gone);
        assert!(checks.iter().all(|c| c.status == Status::Error));
        assert_eq!(not_applicable("no UI")[0].status, Status::NotApplicable);
    }
}
