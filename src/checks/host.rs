//! What the server's answers make each host do, judged once per host on the sweep's evidence
//! (`sweep/hosts`): a tool whose hints make a host skip its confirmation.

use super::catalogue::{CheckDef, Judge, Level};
use super::verdict::{seen, CheckResult};
use crate::evidence::SweepEvidence;
use crate::guide::Row;
use crate::host::{decide, HostProfile};

pub static DESTRUCTIVE_CONFIRMED: CheckDef = CheckDef {
    id: "host.tools.destructive-confirmed",
    level: Level::Must,
    clause: "MCP server/tools §tool annotations: destructiveHint true means the tool may destroy data and hosts ask first; a readOnlyHint beside it makes a host that auto-runs read-only tools skip the question",
    applies: "the endpoint lists a tool declaring destructiveHint: true, and the host asks before destructive tools",
    row: Some(Row::Pick),
    hint: "declare readOnlyHint: true only on tools that change nothing; a destructive tool must not claim to be read-only",
    judge: Judge::PerHost(destructive_confirmed),
};

pub static CHECKS: &[&CheckDef] = &[&DESTRUCTIVE_CONFIRMED];

fn destructive_confirmed(ev: &SweepEvidence, profile: &HostProfile) -> Vec<CheckResult> {
    let def = &DESTRUCTIVE_CONFIRMED;
    let listing = match seen(def, &ev.tools.listing) {
        Ok(l) => l,
        Err(v) => return vec![v],
    };
    let destructive: Vec<&serde_json::Value> = listing
        .tools
        .iter()
        .filter(|t| t["annotations"]["destructiveHint"] == true)
        .collect();
    if destructive.is_empty() {
        return vec![CheckResult::not_applicable(
            def,
            "no listed tool declares destructiveHint: true",
        )];
    }
    let plain_destructive =
        serde_json::json!({"annotations": {"readOnlyHint": false, "destructiveHint": true}});
    if !decide(profile, &plain_destructive).confirmation {
        return vec![CheckResult::not_applicable(
            def,
            format!(
                "{} asks before no tool: hints cannot change what it does",
                profile.name
            ),
        )];
    }
    let skipped: Vec<&str> = destructive
        .iter()
        .filter(|t| !decide(profile, t).confirmation)
        .map(|t| t["name"].as_str().unwrap_or("?"))
        .collect();
    vec![CheckResult::judge(
        def,
        skipped.is_empty(),
        format!(
            "{} before the {} tool(s) declaring destructiveHint",
            profile.name,
            destructive.len()
        ),
        format!("{} asks before every destructive tool", profile.name),
        if skipped.is_empty() {
            "asks before each".to_owned()
        } else {
            format!(
                "runs without asking, because they also declare readOnlyHint: true: {}",
                skipped.join(", ")
            )
        },
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use crate::evidence::Observed;
    use crate::mcp_ops::{ListingEnd, ToolListing};
    use serde_json::json;

    fn listed(tools: Vec<serde_json::Value>) -> SweepEvidence {
        let mut ev = SweepEvidence::default();
        ev.tools.listing = Observed::Seen(ToolListing {
            tools,
            pages: 1,
            repeated: Vec::new(),
            repeats: 0,
            not_kept: 0,
            end: ListingEnd::Complete,
        });
        ev
    }

    #[test]
    fn a_destructive_tool_claiming_read_only_fails_for_a_host_that_auto_runs_read_only_tools() {
        let claude = HostProfile::builtin("claude-desktop").unwrap();
        let chatgpt = HostProfile::builtin("chatgpt").unwrap();
        let both = listed(vec![
            json!({"name": "wipe", "annotations": {"readOnlyHint": true, "destructiveHint": true}}),
        ]);
        assert_eq!(
            destructive_confirmed(&both, &claude)[0].status,
            Status::Fail
        );
        assert_eq!(
            destructive_confirmed(&both, &chatgpt)[0].status,
            Status::Pass
        );
        let honest = listed(vec![
            json!({"name": "wipe", "annotations": {"destructiveHint": true}}),
        ]);
        assert_eq!(
            destructive_confirmed(&honest, &claude)[0].status,
            Status::Pass
        );
        let none = listed(vec![
            json!({"name": "read", "annotations": {"readOnlyHint": true}}),
        ]);
        assert_eq!(
            destructive_confirmed(&none, &claude)[0].status,
            Status::NotApplicable
        );
    }
}
