//! The tool-choice review (troubleshooting "Host doesn't pick the right tool"): what a model meets when
//! it picks a tool is the names, descriptions and instructions, so this judges them the way a model
//! would be misled, deterministically (`crate::lexical`): sample requests must rank their tool first by
//! a clear margin, and, on any target, no two tools may read alike. Every figure it used is in the
//! verdict's evidence. The sweep and the scenarios' `review-tools` step share these functions.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::catalogue::{CheckDef, Judge, Level, Section};
use super::verdict::{seen, CheckResult};
use crate::evidence::SweepEvidence;
use crate::guide::Row;
use crate::lexical::{similarity, words, Ranker, SCHEMA_WORDS};

/// A description needs at least this many words to say what the tool does and when to use it.
pub const MIN_DESCRIPTION_WORDS: usize = 5;
/// A sample request's runner-up must score below this share of the winner's score.
pub const RANK_MARGIN: f64 = 0.8;
/// Two tools whose texts are at least this similar (cosine, 0–1) cannot be told apart.
pub const MAX_SIMILARITY: f64 = 0.5;
/// Instructions whose words are at least this share schema vocabulary only restate the schemas.
pub const MAX_SCHEMA_SHARE: f64 = 0.7;

pub static DESCRIPTION: CheckDef = CheckDef {
    id: "review.tool.description",
    level: Level::Should,
    clause: "connector guide: the model picks tools by their names, descriptions and the instructions; each description says what the tool does and when",
    applies: "the endpoint lists tools",
    row: Some(Row::Pick),
    hint: "write a description of a sentence or two per tool: what it does, what it needs, when to use it",
    judge: Judge::Sweep(Section::Review, descriptions_in_sweep),
};

pub static DISTINGUISHABLE: CheckDef = CheckDef {
    id: "review.tools.distinguishable",
    level: Level::Should,
    clause: "connector guide: descriptions that overlap leave the model unable to tell tools apart",
    applies: "the endpoint lists tools",
    row: Some(Row::Pick),
    hint: "make each description name what sets the tool apart (its object, its input, when to use it instead of the other)",
    judge: Judge::Sweep(Section::Review, read_apart_in_sweep),
};

pub static INSTRUCTIONS: CheckDef = CheckDef {
    id: "review.instructions.guidance",
    level: Level::Should,
    clause: "connector guide: instructions say when to use which tool, not what the schemas already say",
    applies: "the endpoint lists tools",
    row: Some(Row::Pick),
    hint: "rewrite the instructions as guidance: which tool for which request, in which order, what to confirm first",
    judge: Judge::Sweep(Section::Review, instructions_in_sweep),
};

pub static DISTINCT_NAMES: CheckDef = CheckDef {
    id: "review.connectors.distinct-names",
    level: Level::Should,
    clause: "connector guide: draft and production are two connectors; enabled together, their same-named tools confuse the model",
    applies: "a scenario enables several connectors together",
    row: Some(Row::Pick),
    hint: "enable only one of the draft and production connectors in a conversation",
    judge: Judge::Expectation,
};

pub static CHECKS: &[&CheckDef] = &[
    &DESCRIPTION,
    &DISTINGUISHABLE,
    &INSTRUCTIONS,
    &DISTINCT_NAMES,
];

const LABEL: &str = "the endpoint";

fn tools<'a>(def: &CheckDef, ev: &'a SweepEvidence) -> Result<&'a [Value], CheckResult> {
    let listing = seen(def, &ev.tools.listing)?;
    if listing.tools.is_empty() {
        return Err(CheckResult::not_applicable(
            def,
            "the endpoint lists no tools",
        ));
    }
    Ok(&listing.tools)
}

fn descriptions_in_sweep(ev: &SweepEvidence) -> Vec<CheckResult> {
    vec![tools(&DESCRIPTION, ev).map_or_else(|v| v, |t| descriptions(LABEL, t))]
}

fn read_apart_in_sweep(ev: &SweepEvidence) -> Vec<CheckResult> {
    vec![tools(&DISTINGUISHABLE, ev).map_or_else(|v| v, |t| tools_read_apart(LABEL, t))]
}

fn instructions_in_sweep(ev: &SweepEvidence) -> Vec<CheckResult> {
    let tools = match tools(&INSTRUCTIONS, ev) {
        Ok(t) => t,
        Err(v) => return vec![v],
    };
    if let Err(v) = seen(&INSTRUCTIONS, &ev.transport.initialize) {
        return vec![v];
    }
    vec![instructions(LABEL, ev.transport.instructions(), tools)]
}

/// `review.tool.description`: every tool says in words what it does.
pub fn descriptions(label: &str, tools: &[Value]) -> CheckResult {
    let mut problems = Vec::new();
    for tool in tools {
        let name = tool["name"].as_str().unwrap_or_default();
        let description = tool["description"].as_str().unwrap_or_default();
        let own: BTreeSet<String> = words(&format!(
            "{name} {}",
            tool["title"]
                .as_str()
                .or(tool["annotations"]["title"].as_str())
                .unwrap_or_default()
        ))
        .into_iter()
        .collect();
        let described = words(description);
        if description.trim().is_empty() {
            problems.push(format!("{name} has no description"));
        } else if description.split_whitespace().count() < MIN_DESCRIPTION_WORDS {
            problems.push(format!(
                "{name}'s description {description:?} has fewer than {MIN_DESCRIPTION_WORDS} words"
            ));
        } else if described.iter().all(|w| own.contains(w)) {
            problems.push(format!(
                "{name}'s description {description:?} only repeats its name"
            ));
        }
    }
    CheckResult::judge(
        &DESCRIPTION,
        problems.is_empty(),
        if problems.is_empty() {
            format!("every tool of {label} says what it does")
        } else {
            format!("{label}: {}", problems.join("; "))
        },
        format!("a description of {MIN_DESCRIPTION_WORDS}+ words per tool, beyond its name"),
        format!(
            "{} tools, {} without a usable description",
            tools.len(),
            problems.len()
        ),
    )
}

/// `review.tools.distinguishable` with sample requests: each ranks its tool first by a margin.
pub fn requests_pick_their_tool(
    label: &str,
    tools: &[Value],
    requests: &[(String, String)],
) -> CheckResult {
    let ranker = Ranker::new(tools);
    let mut problems = Vec::new();
    let mut evidence = Vec::new();
    for (ask, expected) in requests {
        let ranking = ranker.rank(ask);
        let shown: Vec<String> = ranking
            .iter()
            .take(3)
            .map(|(n, s)| format!("{n} {s:.2}"))
            .collect();
        evidence.push(format!("{ask:?} → {}", shown.join(", ")));
        let (best, best_score) = ranking.first().cloned().unwrap_or_default();
        let second = ranking.get(1).cloned().unwrap_or_default();
        if !ranking.iter().any(|(n, _)| n == expected) {
            problems.push(format!("{ask:?}: {expected} is not listed"));
        } else if best_score <= 0.0 {
            problems.push(format!("{ask:?}: no tool shares a word with it"));
        } else if &best != expected {
            problems.push(format!(
                "{ask:?} picks {best} ({best_score:.2}) instead of {expected}"
            ));
        } else if second.1 >= RANK_MARGIN * best_score {
            problems.push(format!(
                "{ask:?}: {expected} ({best_score:.2}) barely beats {} ({:.2})",
                second.0, second.1
            ));
        }
    }
    let mut check = CheckResult::judge(
        &DISTINGUISHABLE,
        problems.is_empty(),
        if problems.is_empty() {
            format!(
                "each of {} sample requests picks its tool on {label}",
                requests.len()
            )
        } else {
            format!("{label}: {}", problems.join("; "))
        },
        format!(
            "each request's tool ranks first, the runner-up below {:.0}% of its score",
            RANK_MARGIN * 100.0
        ),
        format!(
            "{} of {} requests ambiguous",
            problems.len(),
            requests.len()
        ),
    );
    check.evidence = evidence;
    check
}

/// `review.tools.distinguishable` on any target: no two tools read alike.
pub fn tools_read_apart(label: &str, tools: &[Value]) -> CheckResult {
    let s = similarity(tools, MAX_SIMILARITY);
    let named: Vec<String> = s
        .close
        .iter()
        .map(|(a, b, x)| format!("{a} and {b} ({x:.2})"))
        .collect();
    let more = s.close_count.saturating_sub(named.len());
    let mut check = CheckResult::judge(
        &DISTINGUISHABLE,
        s.close_count == 0,
        if s.close_count == 0 {
            format!("no two tools of {label} read alike")
        } else {
            format!(
                "{label}: tools whose name and description read alike, a model cannot tell them apart: {}{}",
                named.join(", "),
                if more > 0 { format!(" and {more} more pairs") } else { String::new() }
            )
        },
        format!("every pair below {MAX_SIMILARITY:.2} similarity (TF-IDF cosine)"),
        s.top
            .first()
            .map(|(a, b, x)| format!("most similar: {a} and {b} ({x:.2})"))
            .unwrap_or_else(|| "fewer than two tools".into()),
    );
    check.evidence = s
        .top
        .iter()
        .map(|(a, b, x)| format!("{a} ~ {b}: {x:.2}"))
        .collect();
    if s.compared < s.listed {
        check.evidence.push(format!(
            "compared the first {} of {} tools (the review's limit)",
            s.compared, s.listed
        ));
    }
    check
}

/// `review.instructions.guidance`: instructions exist and say more than the schemas.
pub fn instructions(label: &str, instructions: Option<&str>, tools: &[Value]) -> CheckResult {
    let text = instructions.unwrap_or_default().trim();
    let mut vocabulary: BTreeSet<String> = SCHEMA_WORDS.iter().map(|w| w.to_string()).collect();
    for tool in tools {
        vocabulary.extend(words(tool["name"].as_str().unwrap_or_default()));
        if let Some(properties) = tool["inputSchema"]["properties"].as_object() {
            for name in properties.keys() {
                vocabulary.extend(words(name));
            }
        }
    }
    let said = words(text);
    let schema_share = if said.is_empty() {
        1.0
    } else {
        said.iter().filter(|w| vocabulary.contains(*w)).count() as f64 / said.len() as f64
    };
    let (ok, message) = if text.is_empty() {
        (
            false,
            format!("{label} sends no instructions: the model has only the tool schemas"),
        )
    } else if schema_share >= MAX_SCHEMA_SHARE {
        (
            false,
            format!(
                "{label}'s instructions only restate the schemas ({:.0}% tool, parameter and type names)",
                schema_share * 100.0
            ),
        )
    } else {
        (true, format!("{label}'s instructions give guidance"))
    };
    CheckResult::judge(
        &INSTRUCTIONS,
        ok,
        message,
        format!(
            "instructions saying when to use which tool (under {:.0}% schema words)",
            MAX_SCHEMA_SHARE * 100.0
        ),
        if text.is_empty() {
            "no instructions".to_owned()
        } else {
            format!(
                "{:.0}% schema words: {}",
                schema_share * 100.0,
                text.chars().take(160).collect::<String>()
            )
        },
    )
}

/// `review.connectors.distinct-names`: connectors enabled together must not share tool names.
pub fn shared_names(connectors: &[(String, Vec<Value>)]) -> CheckResult {
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (label, tools) in connectors {
        for tool in tools {
            if let Some(name) = tool["name"].as_str() {
                seen.entry(name.to_owned()).or_default().push(label.clone());
            }
        }
    }
    let shared: Vec<String> = seen
        .iter()
        .filter(|(_, labels)| labels.len() > 1)
        .map(|(name, labels)| format!("{name} ({})", labels.join(", ")))
        .collect();
    let labels: Vec<&str> = connectors.iter().map(|(l, _)| l.as_str()).collect();
    CheckResult::judge(
        &DISTINCT_NAMES,
        shared.is_empty(),
        if shared.is_empty() {
            format!("connectors {} share no tool name", labels.join(", "))
        } else {
            format!(
                "connectors enabled together expose the same tool names, the model cannot tell which to call: {}",
                shared.join(", ")
            )
        },
        "distinct tool names across enabled connectors (enable draft or production, not both)",
        format!("{} shared names", shared.len()),
    )
}

/// One connector as the `review-tools` step sees it.
pub struct Reviewed<'a> {
    pub name: &'a str,
    pub connected: bool,
    pub tools: &'a [Value],
    pub instructions: Option<&'a str>,
    /// Sample requests (`(ask, tool)`) for this connector's tools.
    pub requests: Vec<(String, String)>,
}

/// The `review-tools` step: the review of each connector with its sample requests, tool names shared
/// between connectors enabled together, and the findings the scenario sets out to provoke (reported
/// as expected; one that does not appear fails).
pub fn review_step(connectors: &[Reviewed<'_>], findings: &[String]) -> Vec<CheckResult> {
    let mut checks = Vec::new();
    let mut surfaces = Vec::new();
    for c in connectors {
        let label = format!("connector {:?}", c.name);
        if !c.connected {
            checks.push(CheckResult::not_testable(
                &DESCRIPTION,
                format!("{label} is not connected: nothing to review"),
            ));
            continue;
        }
        checks.push(descriptions(&label, c.tools));
        checks.push(tools_read_apart(&label, c.tools));
        if !c.requests.is_empty() {
            checks.push(requests_pick_their_tool(&label, c.tools, &c.requests));
        }
        checks.push(instructions(&label, c.instructions, c.tools));
        checks.push(super::tools::annotations(&label, c.tools));
        surfaces.push((label, c.tools.to_vec()));
    }
    if surfaces.len() > 1 {
        checks.push(shared_names(&surfaces));
    }
    for check in &mut checks {
        if check.status.is_finding() && findings.contains(&check.id) {
            // A finding the scenario sets out to provoke: reported, not held against the target.
            check.expected_failure = true;
        }
    }
    for id in findings {
        let provoked = checks.iter().any(|c| &c.id == id && c.expected_failure);
        if let (false, Some(def)) = (provoked, super::catalogue::get(id)) {
            let mut missing = CheckResult::fail(
                def,
                format!("the review was expected to flag {id} and did not"),
                format!("a {id} finding"),
                "no such finding",
            );
            // The scenario's own expectation failed, whatever the check's level.
            missing.status = super::Status::Fail;
            checks.push(missing);
        }
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tool(name: &str, description: &str) -> Value {
        json!({ "name": name, "description": description, "inputSchema": {"type": "object"} })
    }

    #[test]
    fn a_request_sharing_no_word_with_its_tool_is_flagged() {
        let tools = vec![
            tool(
                "search_products",
                "Search the catalogue by free text and return products with price and stock.",
            ),
            tool(
                "check_shipping",
                "Ask the carrier for the delivery estimate and cost of shipping to a ZIP code.",
            ),
        ];
        let ok = requests_pick_their_tool(
            "x",
            &tools,
            &[("find green tea".into(), "search_products".into())],
        );
        assert_eq!(
            ok.status,
            crate::checks::Status::Warn,
            "no shared word: {}",
            ok.message
        );
    }

    #[test]
    fn near_duplicate_descriptions_are_flagged_and_distinct_ones_are_not() {
        let distinct = vec![
            tool(
                "search_products",
                "Search the catalogue by free text and return products with price and stock.",
            ),
            tool(
                "place_order",
                "Place a paid order for a product; charges the card on file.",
            ),
        ];
        assert_eq!(
            tools_read_apart("x", &distinct).status,
            crate::checks::Status::Pass
        );
        let twins = vec![
            distinct[0].clone(),
            tool("product_card", "Search the catalogue by product name and return the matching product with price and stock."),
        ];
        let check = tools_read_apart("x", &twins);
        assert_eq!(
            check.status,
            crate::checks::Status::Warn,
            "{}",
            check.message
        );
        assert!(check.message.contains("search_products and product_card"));
    }

    #[test]
    fn short_or_missing_descriptions_and_schema_only_instructions_fail() {
        let tools = vec![
            tool("check_shipping", "Shipping."),
            json!({"name": "place_order", "inputSchema": {"type": "object", "properties": {"sku": {}, "quantity": {}}}}),
        ];
        let check = descriptions("x", &tools);
        assert!(check.message.contains("fewer than"), "{}", check.message);
        assert!(check.message.contains("place_order has no description"));
        let restated = instructions(
            "x",
            Some("place_order: sku (string, required), quantity (integer, required). check_shipping: none."),
            &tools,
        );
        assert_eq!(
            restated.status,
            crate::checks::Status::Warn,
            "{}",
            restated.message
        );
        let guidance = instructions(
            "x",
            Some("Never call place_order before the user confirmed the product, the quantity and the price."),
            &tools,
        );
        assert_eq!(
            guidance.status,
            crate::checks::Status::Pass,
            "{}",
            guidance.message
        );
    }

    #[test]
    fn the_sweep_reviews_the_listing_and_says_when_there_is_nothing_to_review() {
        use crate::evidence::Observed;
        use crate::mcp_ops::{ListingEnd, ToolListing};
        let mut ev = SweepEvidence::default();
        ev.tools.listing = Observed::Seen(ToolListing {
            tools: Vec::new(),
            pages: 1,
            repeated: Vec::new(),
            repeats: 0,
            not_kept: 0,
            end: ListingEnd::Complete,
        });
        assert_eq!(
            descriptions_in_sweep(&ev)[0].status,
            crate::checks::Status::NotApplicable
        );
        ev.tools.listing = Observed::Seen(ToolListing {
            tools: vec![tool("ship", "Ship.")],
            pages: 1,
            repeated: Vec::new(),
            repeats: 0,
            not_kept: 0,
            end: ListingEnd::Complete,
        });
        assert_eq!(
            descriptions_in_sweep(&ev)[0].status,
            crate::checks::Status::Warn
        );
        assert_eq!(
            instructions_in_sweep(&ev)[0].status,
            crate::checks::Status::NotTestable,
            "no initialize was recorded"
        );
    }
}
