//! `report.json`: the `RunReport` as pretty JSON (shape documented in `docs/report-json.md`).

use super::model::RunReport;

pub fn render(report: &RunReport) -> String {
    serde_json::to_string_pretty(report).expect("the report model always serializes")
}

/// Reads a report written by any run of the same `schema_version`.
pub fn parse(text: &str) -> Result<RunReport, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    match value["schema_version"].as_u64() {
        Some(v) if v == u64::from(super::model::SCHEMA_VERSION) => {}
        Some(v) => {
            return Err(format!(
                "schema_version {v} is not {} (written by another version of metabind-conformance)",
                super::model::SCHEMA_VERSION
            ))
        }
        None => return Err("no schema_version: not a metabind-conformance report".into()),
    }
    serde_json::from_value(value).map_err(|e| format!("not a report: {e}"))
}
