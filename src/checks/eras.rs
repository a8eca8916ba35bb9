//! Per host: whether the two eras of a dual-era server agree on what the host sees (the tools, their
//! annotations, the instructions), judged for hosts that open with `server/discover` and so see the
//! 2026-07-28 side (MCP 2026-07-28 versioning: dual-era servers).

use serde_json::Value;

use super::catalogue::{CheckDef, Judge, Level};
use super::modern::LEGACY_ONLY;
use super::verdict::CheckResult;
use crate::evidence::{RpcExchange, SweepEvidence};
use crate::host::HostProfile;
use crate::wire::Opening;

pub static SAME_TOOLS: CheckDef = CheckDef {
    id: "host.eras.same-tools",
    level: Level::Should,
    clause: "MCP 2026-07-28 versioning (dual-era servers): each era serves the same server; a host sees the tools and annotations of the era it chooses",
    applies: "the server speaks both eras and the host opens with server/discover",
    row: None,
    hint: "serve one tool list (names and annotations) in both eras",
    judge: Judge::PerHost(same_tools),
};

pub static SAME_INSTRUCTIONS: CheckDef = CheckDef {
    id: "host.eras.same-instructions",
    level: Level::Should,
    clause: "MCP 2026-07-28 server/discover: instructions guide the model as InitializeResult.instructions did; a dual-era server gives the same in both",
    applies: "the server speaks both eras and the host opens with server/discover",
    row: None,
    hint: "return the project's instructions in server/discover as in initialize",
    judge: Judge::PerHost(same_instructions),
};

pub static CHECKS: &[&CheckDef] = &[&SAME_TOOLS, &SAME_INSTRUCTIONS];

/// Whether the per-host comparison applies: the server speaks both eras and the host probes first.
fn dual(def: &CheckDef, ev: &SweepEvidence, profile: &HostProfile) -> Result<(), Vec<CheckResult>> {
    if profile.protocol.opening == Opening::Legacy {
        return Err(vec![CheckResult::not_applicable(
            def,
            format!(
                "{} opens with initialize: it sees the 2025 era only",
                profile.name
            ),
        )]);
    }
    if !ev.modern.speaks_modern() {
        return Err(vec![CheckResult::not_applicable(def, LEGACY_ONLY)]);
    }
    if ev
        .transport
        .initialize
        .seen()
        .and_then(RpcExchange::result)
        .is_none()
    {
        return Err(vec![CheckResult::not_applicable(
            def,
            "the endpoint does not speak the 2025 era (initialize gave no result)",
        )]);
    }
    Ok(())
}

/// name → annotations of a tool list.
fn shape(tools: &[Value]) -> std::collections::BTreeMap<String, Value> {
    tools
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap_or_default().to_owned(),
                t["annotations"].clone(),
            )
        })
        .collect()
}

fn same_tools(ev: &SweepEvidence, profile: &HostProfile) -> Vec<CheckResult> {
    let def = &SAME_TOOLS;
    if let Err(v) = dual(def, ev, profile) {
        return v;
    }
    let (Some(legacy), Some(pages)) = (ev.listed_tools(), ev.modern.tools_pages.seen()) else {
        return vec![CheckResult::not_testable(
            def,
            "a listing of one era failed",
        )];
    };
    let modern: Vec<Value> = pages
        .iter()
        .filter_map(|p| p.result())
        .flat_map(|r| r["tools"].as_array().cloned().unwrap_or_default())
        .collect();
    let (old, new) = (shape(legacy), shape(&modern));
    let mut differences = Vec::new();
    for (name, annotations) in &old {
        match new.get(name) {
            None => differences.push(format!("{name} is missing")),
            Some(a) if a != annotations => differences.push(format!(
                "{name}'s annotations differ ({a} instead of {annotations})"
            )),
            Some(_) => {}
        }
    }
    differences.extend(
        new.keys()
            .filter(|n| !old.contains_key(*n))
            .map(|n| format!("{n} is listed only there")),
    );
    vec![CheckResult::judge(
        def,
        differences.is_empty(),
        format!(
            "the tools {} sees in 2026-07-28 against the 2025 era's",
            profile.name
        ),
        format!("the same {} tools with the same annotations", old.len()),
        if differences.is_empty() {
            "the same".to_owned()
        } else {
            format!("in 2026-07-28: {}", differences.join("; "))
        },
    )]
}

fn same_instructions(ev: &SweepEvidence, profile: &HostProfile) -> Vec<CheckResult> {
    let def = &SAME_INSTRUCTIONS;
    if let Err(v) = dual(def, ev, profile) {
        return v;
    }
    let legacy = ev
        .transport
        .initialize
        .seen()
        .and_then(RpcExchange::result)
        .map(|r| r["instructions"].clone())
        .unwrap_or_default();
    let modern = ev
        .modern
        .discover
        .seen()
        .and_then(RpcExchange::result)
        .map(|r| r["instructions"].clone())
        .unwrap_or_default();
    let describe = |v: &Value| {
        v.as_str().map_or("none".to_owned(), |s| {
            format!("{:?}", super::verdict::truncate(s, 80))
        })
    };
    vec![CheckResult::judge(
        def,
        legacy == modern,
        format!(
            "the instructions {} gets from server/discover against initialize's",
            profile.name
        ),
        describe(&legacy),
        describe(&modern),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::reply;
    use crate::checks::Status;
    use crate::evidence::Observed;
    use serde_json::json;

    #[test]
    fn the_eras_are_compared_for_hosts_that_probe() {
        let mut ev = crate::checks::testing::listed(vec![
            json!({"name": "a"}),
            json!({"name": "b", "annotations": {"readOnlyHint": true}}),
        ]);
        ev.modern.discover = Observed::Seen(reply(
            200,
            json!({"jsonrpc": "2.0", "id": 1, "result": {"supportedVersions": ["2026-07-28"], "capabilities": {}, "instructions": "Use search."}}),
        ));
        ev.modern.tools_pages = Observed::Seen(vec![reply(
            200,
            json!({"jsonrpc": "2.0", "id": 2, "result": {"tools": [{"name": "a"}, {"name": "b"}]}}),
        )]);
        ev.transport.initialize = Observed::Seen(reply(
            200,
            json!({"jsonrpc": "2.0", "id": 1, "result": {"instructions": "Use search."}}),
        ));
        let chatgpt = HostProfile::builtin("chatgpt").unwrap();
        let generic = HostProfile::builtin("generic").unwrap();
        let differs = same_tools(&ev, &chatgpt);
        assert_eq!(differs[0].status, Status::Warn, "{differs:?}");
        assert!(differs[0]
            .actual
            .as_deref()
            .unwrap()
            .contains("b's annotations differ"));
        assert_eq!(same_tools(&ev, &generic)[0].status, Status::NotApplicable);
        assert_eq!(same_instructions(&ev, &chatgpt)[0].status, Status::Pass);
    }
}
