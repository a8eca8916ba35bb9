//! Directory readiness per host: the rules each vendor publishes for listing a connector in its
//! directory (or that its model API puts on tool names), judged on the sweep's listing and UI reads
//! (`sweep/hosts`). A broken rule is a warning: the connector still works, it would not be accepted.

use serde_json::Value;

use super::catalogue::{CheckDef, Judge, Level};
use super::verdict::{seen, truncate, CheckResult};
use crate::evidence::SweepEvidence;
use crate::guide::Row;
use crate::host::{DirectoryRule, HostProfile};
use crate::ui::claude_ui_domain;

pub static READY: CheckDef = CheckDef {
    id: "host.directory.ready",
    level: Level::Should,
    clause: "the hosts' directory rules: ChatGPT wants readOnlyHint, openWorldHint and destructiveHint on every tool (hosts-observed C28) and a widget domain (C33); Claude a title and the read-only and destructive hints (A35) and a ui.domain of its hashed form when one is set (A38); both model APIs take tool names of letters, digits, _ and -, at most 64",
    applies: "the host's profile lists directory rules, and the endpoint lists tools",
    row: Some(Row::Pick),
    hint: "declare every hint explicitly, give each tool a title, keep names to [a-zA-Z0-9_-]{1,64}, and set each view's ui.domain as the host asks",
    judge: Judge::PerHost(ready),
};

pub static CHECKS: &[&CheckDef] = &[&READY];

impl DirectoryRule {
    /// What the rule asks, and where it comes from.
    fn describe(self) -> &'static str {
        match self {
            DirectoryRule::AllHints => "readOnlyHint, openWorldHint and destructiveHint declared on every tool (C28: omitted hints get an app rejected)",
            DirectoryRule::TitleAndHints => "a title, and readOnlyHint or destructiveHint, on every tool (A35: Claude's directory review)",
            DirectoryRule::Name64 => "tool names of a-z, A-Z, 0-9, _ and -, at most 64 characters (the hosts' model APIs)",
            DirectoryRule::UiDomainSet => "a widget domain on every view (C33: \"Widget domain is not set\", required for app submission)",
            DirectoryRule::UiDomainHashed => "a ui.domain, when set, of the form sha256(connector URL)[:32].claudemcpcontent.com (A38: otherwise \"Invalid ui.domain format\" and the widget is blocked)",
        }
    }
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn declares(tool: &Value, hint: &str) -> bool {
    tool["annotations"][hint].is_boolean()
}

fn has_title(tool: &Value) -> bool {
    [&tool["title"], &tool["annotations"]["title"]]
        .iter()
        .any(|t| t.as_str().is_some_and(|t| !t.trim().is_empty()))
}

/// Each tool that breaks the rule, with what it lacks (`lacks` gives nothing for a tool that keeps it).
fn breaking(tools: &[Value], lacks: impl Fn(&Value) -> Vec<&'static str>) -> Vec<String> {
    tools
        .iter()
        .filter_map(|t| {
            let missing = lacks(t);
            (!missing.is_empty()).then(|| {
                format!(
                    "{} ({})",
                    t["name"].as_str().unwrap_or("?"),
                    missing.join(", ")
                )
            })
        })
        .collect()
}

/// The views read, each with the domain it declares (`_meta.ui.domain`, or the Apps SDK's
/// `openai/widgetDomain`).
fn view_domains(ev: &SweepEvidence) -> Option<Vec<(String, Option<String>)>> {
    let reads = ev.ui.reads.seen()?;
    Some(
        reads
            .iter()
            .filter_map(|r| {
                let content = r.reply.seen()?.message.as_ref()?["result"]["contents"]
                    .get(0)?
                    .clone();
                let meta = &content["_meta"];
                let domain = meta["ui"]["domain"]
                    .as_str()
                    .or(meta["openai/widgetDomain"].as_str())
                    .map(String::from);
                Some((r.tool.clone(), domain))
            })
            .collect(),
    )
}

fn judge_rule(rule: DirectoryRule, tools: &[Value], ev: &SweepEvidence, host: &str) -> CheckResult {
    let def = &READY;
    let message = format!("{host}: {}", rule.describe());
    let listing_rule = |bad: Vec<String>, what: &str| {
        CheckResult::judge(
            def,
            bad.is_empty(),
            message.clone(),
            "every tool",
            if bad.is_empty() {
                "every tool".to_owned()
            } else {
                truncate(&format!("{what}: {}", bad.join(", ")), 300)
            },
        )
    };
    match rule {
        DirectoryRule::AllHints => listing_rule(
            breaking(tools, |t| {
                ["readOnlyHint", "openWorldHint", "destructiveHint"]
                    .into_iter()
                    .filter(|h| !declares(t, h))
                    .collect()
            }),
            "hints left to their defaults",
        ),
        DirectoryRule::TitleAndHints => listing_rule(
            breaking(tools, |t| {
                let mut missing = Vec::new();
                if !has_title(t) {
                    missing.push("title");
                }
                if !declares(t, "readOnlyHint") && !declares(t, "destructiveHint") {
                    missing.push("readOnlyHint or destructiveHint");
                }
                missing
            }),
            "what is missing",
        ),
        DirectoryRule::Name64 => listing_rule(
            breaking(tools, |t| {
                if t["name"].as_str().is_some_and(valid_name) {
                    Vec::new()
                } else {
                    vec!["name"]
                }
            }),
            "names outside [a-zA-Z0-9_-]{1,64}",
        ),
        DirectoryRule::UiDomainSet | DirectoryRule::UiDomainHashed => {
            let Some(views) = view_domains(ev) else {
                return CheckResult::not_applicable(def, format!("{message}: no view was read"));
            };
            if views.is_empty() {
                return CheckResult::not_applicable(
                    def,
                    format!("{message}: no tool offers a view"),
                );
            }
            let expected = claude_ui_domain(&ev.endpoint);
            let mut bad: Vec<String> = views
                .iter()
                .filter(|(_, domain)| match rule {
                    DirectoryRule::UiDomainSet => domain.is_none(),
                    _ => domain.as_ref().is_some_and(|d| *d != expected),
                })
                .map(|(tool, domain)| match domain {
                    Some(d) => format!("{tool}'s view declares {d}"),
                    None => format!("{tool}'s view declares none"),
                })
                .collect();
            // A tool offering its view on two paths reads the same view twice.
            bad.dedup();
            CheckResult::judge(
                def,
                bad.is_empty(),
                message,
                match rule {
                    DirectoryRule::UiDomainSet => "a domain on every view".to_owned(),
                    _ => format!("none, or {expected}"),
                },
                if bad.is_empty() {
                    "as asked".to_owned()
                } else {
                    bad.join("; ")
                },
            )
        }
    }
}

fn ready(ev: &SweepEvidence, profile: &HostProfile) -> Vec<CheckResult> {
    let def = &READY;
    if profile.directory.rules.is_empty() {
        return vec![CheckResult::not_applicable(
            def,
            format!("{} has no directory rules", profile.name),
        )];
    }
    let listing = match seen(def, &ev.tools.listing) {
        Ok(l) => l,
        Err(v) => return vec![v],
    };
    if listing.tools.is_empty() {
        return vec![CheckResult::not_applicable(
            def,
            "the endpoint lists no tools",
        )];
    }
    profile
        .directory
        .rules
        .iter()
        .map(|rule| judge_rule(*rule, &listing.tools, ev, &profile.name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::reply;
    use crate::checks::Status;
    use crate::evidence::sweep::UiRead;
    use crate::evidence::Observed;
    use serde_json::json;

    fn listed(tools: Vec<Value>) -> SweepEvidence {
        SweepEvidence {
            endpoint: "https://mcp.example.com/acme/storefront".into(),
            ..crate::checks::testing::listed(tools)
        }
    }

    fn statuses(ev: &SweepEvidence, host: &str) -> Vec<Status> {
        ready(ev, &HostProfile::builtin(host).unwrap())
            .into_iter()
            .map(|r| r.status)
            .collect()
    }

    #[test]
    fn the_hashed_domain_is_the_first_32_hex_digits_of_the_urls_sha256() {
        let d = claude_ui_domain("https://mcp.example.com/acme/storefront");
        assert_eq!(d.len(), 32 + ".claudemcpcontent.com".len());
        assert!(d[..32].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(
            d,
            claude_ui_domain("https://mcp.example.com/acme/storefront/draft")
        );
    }

    #[test]
    fn each_hosts_rules_warn_on_what_its_directory_would_refuse() {
        let ready_tool = json!({"name": "search", "title": "Search", "annotations":
            {"readOnlyHint": true, "destructiveHint": false, "openWorldHint": false}});
        let ev = listed(vec![ready_tool.clone()]);
        assert!(statuses(&ev, "chatgpt")
            .iter()
            .all(|s| matches!(s, Status::Pass | Status::NotApplicable)));
        assert!(statuses(&ev, "claude-desktop")
            .iter()
            .all(|s| matches!(s, Status::Pass | Status::NotApplicable)));
        assert_eq!(statuses(&ev, "generic"), vec![Status::NotApplicable]);

        // Claude does not ask for openWorldHint; ChatGPT does not ask for a title.
        let no_open_world = json!({"name": "a", "title": "A", "annotations": {"readOnlyHint": true, "destructiveHint": false}});
        let ev = listed(vec![no_open_world]);
        assert!(statuses(&ev, "chatgpt").contains(&Status::Warn));
        assert!(!statuses(&ev, "claude-desktop").contains(&Status::Warn));
        let read_only_only =
            json!({"name": "a", "title": "A", "annotations": {"readOnlyHint": true}});
        assert!(!statuses(&listed(vec![read_only_only]), "claude-desktop").contains(&Status::Warn));
        let untitled = json!({"name": "a", "annotations": {"readOnlyHint": true, "destructiveHint": false, "openWorldHint": true}});
        let ev = listed(vec![untitled]);
        assert!(!statuses(&ev, "chatgpt").contains(&Status::Warn));
        assert!(statuses(&ev, "claude-desktop").contains(&Status::Warn));
        let long = json!({"name": "x".repeat(65), "title": "X", "annotations": {"readOnlyHint": true, "destructiveHint": false, "openWorldHint": true}});
        let ev = listed(vec![long]);
        assert!(statuses(&ev, "chatgpt").contains(&Status::Warn));
        assert!(statuses(&ev, "claude-desktop").contains(&Status::Warn));
    }

    #[test]
    fn a_views_domain_follows_each_hosts_rule() {
        let tool = json!({"name": "card", "title": "Card", "annotations":
            {"readOnlyHint": true, "destructiveHint": false, "openWorldHint": false}});
        let mut ev = listed(vec![tool]);
        let read = |domain: Option<&str>| {
            let meta = match domain {
                Some(d) => json!({"ui": {"domain": d}}),
                None => json!({}),
            };
            Observed::Seen(vec![UiRead {
                tool: "card".into(),
                link: crate::ui::ui_links(&json!({"_meta": {"ui": {"resourceUri": "ui://card"}}}))
                    .into_iter()
                    .next()
                    .unwrap(),
                reply: Observed::Seen(reply(
                    200,
                    json!({"jsonrpc": "2.0", "id": 1, "result":
                    {"contents": [{"uri": "ui://card", "_meta": meta}]}}),
                )),
            }])
        };
        ev.ui.reads = read(None);
        assert!(
            statuses(&ev, "chatgpt").contains(&Status::Warn),
            "ChatGPT wants a domain"
        );
        assert!(
            !statuses(&ev, "claude-desktop").contains(&Status::Warn),
            "Claude: none is fine"
        );
        ev.ui.reads = read(Some("https://cards.example.com"));
        assert!(!statuses(&ev, "chatgpt").contains(&Status::Warn));
        assert!(
            statuses(&ev, "claude-desktop").contains(&Status::Warn),
            "not Claude's hashed form"
        );
        let hashed = claude_ui_domain(&ev.endpoint);
        ev.ui.reads = read(Some(&hashed));
        assert!(!statuses(&ev, "claude-desktop").contains(&Status::Warn));
    }
}
