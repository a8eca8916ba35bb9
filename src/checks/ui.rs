//! UI resources (MCP Apps, the Apps SDK): every UI a tool points at resolves through
//! `resources/read` with its path's mime type, and a tool with a UI still gives the model text. The
//! protocol sweep and the scenarios' `ui` expectation share these verdicts.

use serde_json::Value;

use super::catalogue::{CheckDef, Judge, Level, Section};
use super::verdict::{seen, truncate, CheckResult};
use crate::evidence::{Observed, SweepEvidence};
use crate::guide::Row;
use crate::ui::{normalize_mime, ui_links, UiLink};

pub static RESOLVES: CheckDef = CheckDef {
    id: "ui.resource.resolves",
    level: Level::Must,
    clause: "MCP Apps §UI resources: every `_meta.ui.resourceUri` and `openai/outputTemplate` resolves through resources/read",
    applies: "a listed tool points at a UI resource",
    row: Some(Row::Ui),
    hint: "serve every UI resource the tools point at through resources/read",
    judge: Judge::Sweep(Section::Ui, resolves),
};

pub static MIME_TYPE: CheckDef = CheckDef {
    id: "ui.resource.mime-type",
    level: Level::Must,
    clause: "MCP Apps §UI resources: MCP Apps views are text/html;profile=mcp-app (Apps SDK templates text/html+skybridge); hosts render nothing else",
    applies: "a listed tool points at a UI resource that resolves",
    row: Some(Row::Ui),
    hint: "serve MCP Apps views as `text/html;profile=mcp-app` and Apps SDK templates as `text/html+skybridge`",
    judge: Judge::Sweep(Section::Ui, mime_type),
};

pub static CONTENT_WITH_UI: CheckDef = CheckDef {
    id: "tools.call.content-with-ui",
    level: Level::Must,
    clause: "MCP Apps §8.1: tools MUST return a meaningful content array even when a UI exists",
    applies: "a tool the run may call declares a UI",
    row: Some(Row::Ui),
    hint: "return a text summary in content beside structuredContent; hosts without the UI and the model read only content",
    judge: Judge::Sweep(Section::Ui, content_with_ui_in_sweep),
};

pub static CHECKS: &[&CheckDef] = &[&RESOLVES, &MIME_TYPE, &CONTENT_WITH_UI];

/// `ui.resource.resolves` for the answer to `resources/read {uri}` (`Err`: why there is no result),
/// then `ui.resource.mime-type` when there was HTML to judge.
pub fn resource_read(
    link: &UiLink,
    what: &str,
    answer: Result<&Value, String>,
) -> Vec<CheckResult> {
    let uri = &link.uri;
    let content = answer
        .as_ref()
        .ok()
        .and_then(|r| r["contents"].as_array())
        .and_then(|c| c.first());
    let has_body = content.is_some_and(|c| {
        c["text"].as_str().is_some_and(|t| !t.trim().is_empty())
            || c["blob"].as_str().is_some_and(|b| !b.is_empty())
    });
    let mut checks = vec![CheckResult::judge(
        &RESOLVES,
        has_body,
        format!("resources/read {uri} ({what})"),
        "the view's HTML in contents[0]",
        match (&answer, has_body) {
            (Err(why), _) => why.clone(),
            (Ok(_), true) => "an HTML document".to_owned(),
            (Ok(_), false) => "no contents".to_owned(),
        },
    )];
    if let Some(content) = content.filter(|_| has_body) {
        let actual = content["mimeType"].as_str().unwrap_or("none").to_owned();
        checks.push(CheckResult::judge(
            &MIME_TYPE,
            normalize_mime(&actual) == link.mime_type(),
            format!("the mime type of {uri}"),
            link.mime_type(),
            actual,
        ));
    }
    checks
}

/// The sweep's reads, as verdicts of both checks.
fn reads(ev: &SweepEvidence) -> Result<Vec<CheckResult>, Vec<CheckResult>> {
    let reads = match &ev.ui.reads {
        Observed::Seen(r) => r,
        Observed::Missing(gap) => {
            return Err(vec![
                CheckResult::from_gap(&RESOLVES, gap),
                CheckResult::from_gap(&MIME_TYPE, gap),
            ])
        }
    };
    let mut out = Vec::new();
    for read in reads {
        let what = format!("the UI of {}", read.tool);
        match &read.reply {
            Observed::Missing(gap) => out.push(CheckResult::from_gap(&RESOLVES, gap)),
            Observed::Seen(x) if x.status() >= 500 => out.push(
                CheckResult::not_testable(
                    &RESOLVES,
                    format!("resources/read {} answered {}", read.link.uri, x.status()),
                )
                .with_evidence([&x.exchange]),
            ),
            Observed::Seen(x) => {
                let answer = match (x.result(), x.error()) {
                    (Some(result), _) => Ok(result),
                    (None, Some(e)) => Err(format!("error {}: {}", e["code"], e["message"])),
                    (None, None) => Err(format!("HTTP {}", x.status())),
                };
                let mut checks = resource_read(&read.link, &what, answer);
                checks[0] = checks[0].clone().with_evidence([&x.exchange]);
                out.extend(checks);
            }
        }
    }
    Ok(out)
}

fn resolves(ev: &SweepEvidence) -> Vec<CheckResult> {
    match reads(ev) {
        Ok(all) => {
            let mine: Vec<CheckResult> = all.into_iter().filter(|c| c.id == RESOLVES.id).collect();
            if mine.is_empty() {
                vec![CheckResult::not_applicable(
                    &RESOLVES,
                    "no tool points at a UI resource",
                )]
            } else {
                mine
            }
        }
        Err(gaps) => vec![gaps[0].clone()],
    }
}

fn mime_type(ev: &SweepEvidence) -> Vec<CheckResult> {
    match reads(ev) {
        Ok(all) => {
            let resolved = all.iter().any(|c| c.id == RESOLVES.id);
            let mine: Vec<CheckResult> = all.into_iter().filter(|c| c.id == MIME_TYPE.id).collect();
            match (mine.is_empty(), resolved) {
                (false, _) => mine,
                (true, false) => vec![CheckResult::not_applicable(
                    &MIME_TYPE,
                    "no tool points at a UI resource",
                )],
                (true, true) => vec![CheckResult::not_testable(
                    &MIME_TYPE,
                    "no UI resource resolved",
                )],
            }
        }
        Err(gaps) => vec![gaps[1].clone()],
    }
}

/// `tools.call.content-with-ui` for a result of `tool`.
pub fn content_with_ui(tool: &str, result: &Value) -> CheckResult {
    let texts: Vec<&str> = result["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["text"].as_str())
        .filter(|t| !t.trim().is_empty())
        .collect();
    CheckResult::judge(
        &CONTENT_WITH_UI,
        !texts.is_empty(),
        format!("what the model reads of {tool}'s result"),
        "a text block in content beside the UI's structuredContent",
        if texts.is_empty() {
            format!("content {}", truncate(&result["content"].to_string(), 120))
        } else {
            truncate(texts[0], 120)
        },
    )
}

fn content_with_ui_in_sweep(ev: &SweepEvidence) -> Vec<CheckResult> {
    let def = &CONTENT_WITH_UI;
    let calls = match seen(def, &ev.tools.calls) {
        Ok(c) => c,
        Err(v) => return vec![v],
    };
    let with_ui: Vec<_> = calls
        .iter()
        .filter(|c| !ui_links(&c.tool).is_empty())
        .collect();
    if with_ui.is_empty() {
        return vec![CheckResult::not_applicable(
            def,
            "no tool the run may call declares a UI",
        )];
    }
    let mut out = Vec::new();
    let mut unanswered = Vec::new();
    for call in with_ui {
        match call.reply.seen().and_then(|x| x.result().map(|r| (x, r))) {
            Some((x, result)) if result["isError"] != true => {
                out.push(content_with_ui(call.name(), result).with_evidence([&x.exchange]))
            }
            _ => unanswered.push(call.name().to_owned()),
        }
    }
    if out.is_empty() {
        out.push(CheckResult::not_testable(
            def,
            format!(
                "no call of a tool with a UI returned a result ({})",
                unanswered.join(", ")
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::reply;
    use crate::checks::Status;
    use crate::evidence::sweep::{ToolCallRecord, UiRead};
    use crate::ui::UiPath;
    use serde_json::json;

    fn link() -> UiLink {
        UiLink {
            path: UiPath::McpApps,
            uri: "ui://x".into(),
        }
    }

    #[test]
    fn html_with_the_right_type_passes_and_the_rest_fails() {
        let read = json!({"contents": [{"uri": "ui://x", "mimeType": "text/html; profile=mcp-app", "text": "<p>"}]});
        let ok = resource_read(&link(), "t", Ok(&read));
        assert!(ok.iter().all(|c| c.status == Status::Pass), "{ok:?}");
        let plain =
            json!({"contents": [{"uri": "ui://x", "mimeType": "text/html", "text": "<p>"}]});
        let wrong = resource_read(&link(), "t", Ok(&plain));
        assert_eq!(wrong[1].status, Status::Fail);
        let missing = resource_read(&link(), "t", Err("-32002".into()));
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].status, Status::Fail);
    }

    #[test]
    fn the_sweep_reads_every_link_and_is_not_applicable_without_one() {
        let mut ev = SweepEvidence::default();
        ev.ui.reads = Observed::Seen(Vec::new());
        assert_eq!(resolves(&ev)[0].status, Status::NotApplicable);
        assert_eq!(mime_type(&ev)[0].status, Status::NotApplicable);
        ev.ui.reads = Observed::Seen(vec![UiRead {
            tool: "card".into(),
            link: link(),
            reply: Observed::Seen(reply(500, json!({}))),
        }]);
        assert_eq!(resolves(&ev)[0].status, Status::NotTestable);
        ev.ui.reads = Observed::Seen(vec![UiRead {
            tool: "card".into(),
            link: link(),
            reply: Observed::Seen(reply(
                200,
                json!({"jsonrpc": "2.0", "id": 9, "error": {"code": -32002, "message": "not found"}}),
            )),
        }]);
        assert_eq!(resolves(&ev)[0].status, Status::Fail);
        assert_eq!(mime_type(&ev)[0].status, Status::NotTestable);
    }

    #[test]
    fn a_tool_with_a_ui_still_gives_the_model_text() {
        let tool = json!({"name": "card", "_meta": {"ui": {"resourceUri": "ui://x"}}});
        let record = |content: Value| ToolCallRecord {
            tool: tool.clone(),
            arguments: json!({}),
            reply: Observed::Seen(reply(
                200,
                json!({"jsonrpc": "2.0", "id": 2, "result": {"content": content, "structuredContent": {}}}),
            )),
        };
        let mut ev = SweepEvidence::default();
        ev.tools.calls = Observed::Seen(vec![record(json!([{"type": "text", "text": "A card"}]))]);
        assert_eq!(content_with_ui_in_sweep(&ev)[0].status, Status::Pass);
        ev.tools.calls = Observed::Seen(vec![record(json!([]))]);
        assert_eq!(content_with_ui_in_sweep(&ev)[0].status, Status::Fail);
        ev.tools.calls = Observed::Seen(vec![]);
        assert_eq!(
            content_with_ui_in_sweep(&ev)[0].status,
            Status::NotApplicable
        );
    }
}
