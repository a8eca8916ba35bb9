//! The lifecycle (MCP basic/lifecycle): what `initialize` answers, and the instructions it carries.

use serde_json::Value;

use super::catalogue::{CheckDef, Judge, Level, Section};
use super::verdict::{seen, truncate, CheckResult};
use crate::evidence::SweepEvidence;
use crate::guide::Row;

pub static INITIALIZE_RESULT: CheckDef = CheckDef {
    id: "lifecycle.initialize.result-shape",
    level: Level::Must,
    clause: "MCP basic/lifecycle §initialization: the initialize result carries the server's protocolVersion, its capabilities and serverInfo (name, version)",
    applies: "always",
    row: Some(Row::Add),
    hint: "answer initialize with `protocolVersion`, `capabilities` (an object) and `serverInfo` with `name` and `version`",
    judge: Judge::Sweep(Section::Transport, initialize_result),
};

pub static INSTRUCTIONS: CheckDef = CheckDef {
    id: "lifecycle.instructions.present",
    level: Level::May,
    clause: "MCP lifecycle: initialize MAY carry instructions; the connector guide: instructions say when to call which tool",
    applies: "always",
    row: Some(Row::Pick),
    hint: "set the project's instructions: say when to call which tool, not what the schemas already say",
    judge: Judge::Sweep(Section::Transport, instructions_present),
};

pub static CHECKS: &[&CheckDef] = &[&INITIALIZE_RESULT, &INSTRUCTIONS];

fn initialize_result(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &INITIALIZE_RESULT;
    let x = match seen(def, &ev.transport.initialize) {
        Ok(x) => x,
        Err(v) => return vec![v],
    };
    let result = x.result().cloned().unwrap_or(Value::Null);
    let mut missing = Vec::new();
    if !result["protocolVersion"].is_string() {
        missing.push("protocolVersion");
    }
    if !result["capabilities"].is_object() {
        missing.push("capabilities");
    }
    if !result["serverInfo"]["name"].is_string() {
        missing.push("serverInfo.name");
    }
    if !result["serverInfo"]["version"].is_string() {
        missing.push("serverInfo.version");
    }
    vec![CheckResult::judge(
        def,
        missing.is_empty(),
        "the initialize result",
        "protocolVersion, capabilities, serverInfo.name and serverInfo.version",
        if missing.is_empty() {
            format!(
                "protocolVersion {}, serverInfo {}",
                result["protocolVersion"], result["serverInfo"]["name"]
            )
        } else {
            format!("missing {}", missing.join(", "))
        },
    )
    .with_evidence([&x.exchange])]
}

fn instructions_present(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &INSTRUCTIONS;
    if let Err(v) = seen(def, &ev.transport.initialize) {
        return vec![v];
    }
    let instructions = ev.transport.instructions().unwrap_or_default();
    vec![CheckResult::judge(
        def,
        !instructions.trim().is_empty(),
        "the initialize result's instructions",
        "instructions that say when to call which tool",
        if instructions.is_empty() {
            "none".to_owned()
        } else {
            truncate(instructions, 120)
        },
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::reply;
    use crate::checks::Status;
    use crate::evidence::Observed;
    use serde_json::json;

    fn stateful() -> SweepEvidence {
        let mut ev = SweepEvidence::default();
        ev.transport.initialize = Observed::Seen(reply(
            200,
            json!({"jsonrpc": "2.0", "id": 1, "result": {"protocolVersion": "2025-11-25", "capabilities": {}, "serverInfo": {"name": "s", "version": "1"}, "instructions": "Use search first."}}),
        ));
        ev
    }

    #[test]
    fn the_initialize_result_names_version_capabilities_and_server() {
        let mut ev = stateful();
        assert_eq!(initialize_result(&ev)[0].status, Status::Pass);
        ev.transport.initialize = Observed::Seen(reply(
            200,
            json!({"jsonrpc": "2.0", "id": 1, "result": {"protocolVersion": "2025-11-25"}}),
        ));
        let v = &initialize_result(&ev)[0];
        assert_eq!(v.status, Status::Fail);
        assert!(v.actual.as_deref().unwrap().contains("serverInfo.name"));
    }

    #[test]
    fn missing_instructions_are_information_only() {
        let mut ev = stateful();
        assert_eq!(instructions_present(&ev)[0].status, Status::Pass);
        ev.transport.initialize =
            Observed::Seen(reply(200, json!({"jsonrpc": "2.0", "id": 1, "result": {}})));
        assert_eq!(instructions_present(&ev)[0].status, Status::Info);
    }
}
