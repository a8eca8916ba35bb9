//! What a host shows of a connector, as scenario expectations judge it: its state and the reason
//! shown, the tools it lists, the instructions the model gets, whether the popup asked to sign in.

use super::catalogue::{CheckDef, Judge, Level};
use super::expectations::{contains, with_evidence};
use super::verdict::{truncate, CheckResult};
use crate::evidence::ConnectorView;
use crate::guide::Row;
use crate::scenario::model::{ConnectorExpect, StateExpect};
use crate::scenario::refs::ToolRef;
use crate::wire::Era;

pub static STATE: CheckDef = CheckDef {
    id: "host.connector.state",
    level: Level::Must,
    clause: "connector guide: a connector is added (green) only for users allowed to authorize it, and turns red when its authorization is lost",
    applies: "a scenario expects a connector state",
    row: Some(Row::Add),
    hint: "compare the connector's state and reason with the scenario's rule",
    judge: Judge::Expectation,
};

pub static INSTRUCTIONS: CheckDef = CheckDef {
    id: "host.connector.instructions",
    level: Level::Must,
    clause: "connector guide: the project's instructions reach the model beside the tools, live without a republish",
    applies: "a scenario expects instructions",
    row: Some(Row::Pick),
    hint: "return the project's current instructions in the initialize result",
    judge: Judge::Expectation,
};

pub static TOOLS_LISTED: CheckDef = CheckDef {
    id: "host.tools.listed",
    level: Level::Must,
    clause: "connector guide: production lists the published tools, draft every saved tool",
    applies: "a scenario expects a tool list",
    row: Some(Row::Add),
    hint: "list exactly the tools of the endpoint's environment",
    judge: Judge::Expectation,
};

pub static LOGIN_SESSION: CheckDef = CheckDef {
    id: "host.connector.login-session",
    level: Level::Must,
    clause: "connector guide: removing a connector drops the host's token; adding it again goes straight to consent while the Metabind session lasts",
    applies: "a scenario expects the popup to sign in or not",
    row: Some(Row::Add),
    hint: "keep the authorization server's login session (a secure, HttpOnly cookie) and honour it on later /authorize requests",
    judge: Judge::Expectation,
};

pub static ERA: CheckDef = CheckDef {
    id: "host.connector.era",
    level: Level::Must,
    clause: "MCP 2026-07-28 transports (earlier revisions): a dual-era client opens with server/discover and falls back to initialize only when the answer is not the stateless era's",
    applies: "a scenario expects the era a connection opens in",
    row: Some(Row::Add),
    hint: "a server of 2026-07-28 answers server/discover with its supportedVersions; a 2025 server answers it with an error that is not one of -32020..-32022, so hosts fall back",
    judge: Judge::Expectation,
};

pub static CHECKS: &[&CheckDef] = &[&STATE, &INSTRUCTIONS, &TOOLS_LISTED, &LOGIN_SESSION, &ERA];

/// The era expectation: the era spoken, and the opening request that shows it.
fn era(view: &ConnectorView, expected: Era) -> CheckResult {
    let methods = view.mcp_methods();
    let opening: Vec<&str> = methods
        .iter()
        .map(String::as_str)
        .filter(|m| ["server/discover", "initialize"].contains(m))
        .collect();
    let shape_ok = match expected {
        Era::Modern => {
            opening.first() == Some(&"server/discover") && !opening.contains(&"initialize")
        }
        Era::Legacy => opening.contains(&"initialize"),
    };
    CheckResult::judge(
        &ERA,
        view.era == Some(expected) && shape_ok,
        format!(
            "connector {:?} opened in {}",
            view.name,
            view.era.map_or("no era (never opened)", Era::describe)
        ),
        expected.describe(),
        format!(
            "{} (requests: {})",
            view.era.map_or("not opened", Era::describe),
            if methods.is_empty() {
                "none".to_owned()
            } else {
                methods.join(" → ")
            }
        ),
    )
}

/// The expectations of a connector step, with those for `host` only.
pub fn connector(view: &ConnectorView, expect: &ConnectorExpect, host: &str) -> Vec<CheckResult> {
    let mut checks = connector_only(view, expect);
    if let Some(extra) = expect.host.get(host) {
        checks.extend(connector_only(view, extra));
    }
    let popups: Vec<String> = view
        .popups
        .last()
        .map(|p| format!("popup ({}): {}", p.driver, p.outcome.describe()))
        .into_iter()
        .collect();
    with_evidence(checks, &view.exchanges, &popups)
}

fn connector_only(view: &ConnectorView, expect: &ConnectorExpect) -> Vec<CheckResult> {
    let name = &view.name;
    let (actual_state, reason) = view.shown_state();
    let mut checks = Vec::new();
    if let Some(expected) = expect.state {
        let expected_name = match expected {
            StateExpect::Connected => "connected",
            StateExpect::Warning => "warning",
            StateExpect::Failed => "failed",
            StateExpect::Removed => "removed",
        };
        checks.push(CheckResult::judge(
            &STATE,
            expected_name == actual_state,
            format!("connector {name:?} is {actual_state}"),
            expected_name,
            view.describe_state(),
        ));
    }
    if let Some(words) = &expect.reason_contains {
        checks.push(CheckResult::judge(
            &STATE,
            contains(reason, words),
            format!("the reason the host shows for connector {name:?}"),
            format!("a reason mentioning {words:?}"),
            view.describe_state(),
        ));
    }
    let tools_judged = expect.tools.is_some()
        || !expect.tools_include.is_empty()
        || !expect.tools_exclude.is_empty();
    if tools_judged {
        checks.push(tools_listed(view, expect));
    }
    if let Some(expected) = expect.signed_in {
        let last = view.popups.last();
        let signed_in = last.is_some_and(|p| p.signed_in);
        checks.push(CheckResult::judge(
            &LOGIN_SESSION,
            signed_in == expected,
            format!(
                "the popup for connector {name:?} {}",
                if signed_in {
                    "showed the sign-in page"
                } else {
                    "did not ask the user to sign in"
                }
            ),
            if expected {
                "the sign-in page"
            } else {
                "straight to consent (the login session is still valid)"
            },
            match last {
                None => "no popup opened".to_owned(),
                Some(p) => format!(
                    "{} ({})",
                    if p.signed_in {
                        "signed in again"
                    } else {
                        "no sign-in"
                    },
                    p.outcome.describe()
                ),
            },
        ));
    }
    if let Some(expected) = expect.era {
        checks.push(era(view, expected));
    }
    if let Some(words) = &expect.instructions_contain {
        let instructions = view.instructions.clone().unwrap_or_default();
        checks.push(CheckResult::judge(
            &INSTRUCTIONS,
            !instructions.trim().is_empty() && contains(&instructions, words),
            format!("instructions connector {name:?} received"),
            if words.is_empty() {
                "non-empty instructions".to_owned()
            } else {
                format!("instructions mentioning {words:?}")
            },
            if instructions.is_empty() {
                "no instructions".to_owned()
            } else {
                truncate(&instructions, 200)
            },
        ));
    }
    checks
}

fn tools_listed(view: &ConnectorView, expect: &ConnectorExpect) -> CheckResult {
    let name = &view.name;
    if !view.state.is_connected() {
        return CheckResult::not_testable(
            &TOOLS_LISTED,
            format!("connector {name:?} is {}", view.describe_state()),
        );
    }
    let tools = view.tool_names();
    let mut problems = Vec::new();
    let mut expected = Vec::new();
    if let Some(n) = expect.tools {
        expected.push(format!("{n} tools"));
        if tools.len() != n {
            problems.push(format!("{} tools instead of {n}", tools.len()));
        }
    }
    // The runner names every tool before judging (`ToolRef::Named`).
    let names = |list: &[ToolRef]| list.iter().map(ToString::to_string).collect::<Vec<_>>();
    let include = names(&expect.tools_include);
    let exclude = names(&expect.tools_exclude);
    if !include.is_empty() {
        expected.push(format!("including {}", include.join(", ")));
    }
    for t in &include {
        if !tools.contains(t) {
            problems.push(format!("{t} is missing"));
        }
    }
    if !exclude.is_empty() {
        expected.push(format!("without {}", exclude.join(", ")));
    }
    for t in &exclude {
        if tools.contains(t) {
            problems.push(format!("{t} is listed but must not be"));
        }
    }
    CheckResult::judge(
        &TOOLS_LISTED,
        problems.is_empty(),
        if problems.is_empty() {
            format!("connector {name:?} lists the expected tools")
        } else {
            format!("connector {name:?}: {}", problems.join("; "))
        },
        expected.join(", "),
        format!("[{}]", tools.join(", ")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use crate::host::ConnectorState;
    use serde_json::json;

    fn view(state: ConnectorState, tools: &[&str]) -> ConnectorView {
        ConnectorView {
            name: "main".into(),
            state,
            tools: tools.iter().map(|t| json!({"name": t})).collect(),
            instructions: Some("Use search first.".into()),
            popups: Vec::new(),
            exchanges: Vec::new(),
            era: None,
        }
    }

    fn posted(methods: &[&str]) -> Vec<crate::wire::Exchange> {
        methods
            .iter()
            .map(|m| crate::wire::Exchange {
                method: "POST".into(),
                request_body: json!({"jsonrpc": "2.0", "id": 1, "method": m}).to_string(),
                ..Default::default()
            })
            .collect()
    }

    #[test]
    fn the_era_is_judged_on_what_the_connection_speaks_and_how_it_opened() {
        let mut v = view(ConnectorState::Connected { warning: None }, &["a"]);
        v.era = Some(Era::Modern);
        v.exchanges = posted(&["server/discover", "tools/list"]);
        assert_eq!(era(&v, Era::Modern).status, Status::Pass);
        assert_eq!(era(&v, Era::Legacy).status, Status::Fail);
        v.era = Some(Era::Legacy);
        v.exchanges = posted(&[
            "server/discover",
            "initialize",
            "notifications/initialized",
            "tools/list",
        ]);
        let fallback = era(&v, Era::Legacy);
        assert_eq!(fallback.status, Status::Pass);
        assert!(format!("{fallback:?}").contains("server/discover → initialize"));
        // Speaking the stateless era after an initialize is not "discover first".
        v.era = Some(Era::Modern);
        assert_eq!(era(&v, Era::Modern).status, Status::Fail);
        v.era = None;
        v.exchanges = Vec::new();
        assert_eq!(era(&v, Era::Legacy).status, Status::Fail);
    }

    fn expect(text: &str) -> ConnectorExpect {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn a_connector_is_judged_on_state_reason_tools_and_instructions() {
        let connected = view(ConnectorState::Connected { warning: None }, &["a", "b"]);
        let checks = connector(&connected, &expect("state = \"connected\"\ntools = 2\ntools_include = [\"a\"]\ninstructions_contain = \"search\""), "chatgpt");
        assert!(
            checks.iter().all(|c| c.status == Status::Pass),
            "{checks:?}"
        );
        let failed = view(
            ConnectorState::Failed {
                reason: "not a member".into(),
            },
            &[],
        );
        let checks = connector(
            &failed,
            &expect("state = \"connected\"\ntools = 2"),
            "chatgpt",
        );
        assert_eq!(checks[0].status, Status::Fail);
        assert_eq!(
            checks[1].status,
            Status::NotTestable,
            "no tools to judge on a red connector"
        );
        let checks = connector(
            &failed,
            &expect("state = \"failed\"\nreason_contains = \"MEMBER\""),
            "chatgpt",
        );
        assert!(checks.iter().all(|c| c.status == Status::Pass));
    }

    #[test]
    fn per_host_expectations_apply_to_their_host_only() {
        let connected = view(ConnectorState::Connected { warning: None }, &["a"]);
        let e = expect("[host.claude-desktop]\ntools = 3");
        assert!(connector(&connected, &e, "chatgpt").is_empty());
        assert_eq!(
            connector(&connected, &e, "claude-desktop")[0].status,
            Status::Fail
        );
    }
}
