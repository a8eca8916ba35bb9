//! The verdicts on a UI resource as read through `resources/read`, shared by the protocol sweep and the
//! scenarios' `ui` expectation so both judge "resolves" and "mime type" the same way.

use serde_json::Value;

use super::CheckResult;

/// `ui.resource.resolves` for the answer to `resources/read {uri}` (`Err`: why there is no result),
/// then `ui.resource.mime-type` against `expected_mime` when there was HTML to judge.
pub fn resource_read(
    uri: &str,
    what: &str,
    expected_mime: &str,
    answer: Result<&Value, String>,
) -> Vec<CheckResult> {
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
        "ui.resource.resolves",
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
        // Media types compare case-insensitively, and parameters may carry spaces.
        let normalized = actual.replace(' ', "").to_ascii_lowercase();
        checks.push(CheckResult::judge(
            "ui.resource.mime-type",
            normalized == expected_mime,
            format!("the mime type of {uri}"),
            expected_mime,
            actual,
        ));
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;
    use serde_json::json;

    #[test]
    fn html_with_the_right_type_passes_and_the_rest_fails() {
        let read = json!({"contents": [{"uri": "ui://x", "mimeType": "text/html; profile=mcp-app", "text": "<p>"}]});
        let ok = resource_read("ui://x", "t", "text/html;profile=mcp-app", Ok(&read));
        assert!(ok.iter().all(|c| c.status == Status::Pass), "{ok:?}");
        let plain =
            json!({"contents": [{"uri": "ui://x", "mimeType": "text/html", "text": "<p>"}]});
        let wrong = resource_read("ui://x", "t", "text/html;profile=mcp-app", Ok(&plain));
        assert_eq!(wrong[1].status, Status::Fail);
        let missing = resource_read(
            "ui://x",
            "t",
            "text/html;profile=mcp-app",
            Err("-32002".into()),
        );
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].status, Status::Fail);
        assert_eq!(missing[0].actual.as_deref(), Some("-32002"));
    }
}
