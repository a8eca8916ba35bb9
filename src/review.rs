//! The tool-choice review (troubleshooting "Host doesn't pick the right tool"): what a model meets when
//! it picks a tool is the names, descriptions and instructions, so this judges them the way a model
//! would be misled, deterministically. A small lexical ranker (BM25 over each tool's name, title and
//! description) stands in for the model: sample requests must rank their tool first by a clear margin,
//! and, on any target, no two tools may read alike (TF-IDF cosine of their texts). Every figure it
//! used is in the verdict's evidence.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::checks::CheckResult;

/// A description needs at least this many words to say what the tool does and when to use it.
pub const MIN_DESCRIPTION_WORDS: usize = 5;
/// A sample request's runner-up must score below this share of the winner's score.
pub const RANK_MARGIN: f64 = 0.8;
/// Two tools whose texts are at least this similar (cosine, 0–1) cannot be told apart.
pub const MAX_SIMILARITY: f64 = 0.5;
/// Instructions whose words are at least this share schema vocabulary only restate the schemas.
pub const MAX_SCHEMA_SHARE: f64 = 0.7;

const STOPWORDS: &[&str] = &[
    "a", "about", "after", "all", "an", "and", "any", "are", "as", "at", "be", "before", "by",
    "can", "do", "does", "for", "from", "given", "has", "have", "i", "if", "in", "into", "is",
    "it", "its", "me", "my", "of", "on", "one", "only", "or", "our", "please", "so", "some",
    "than", "that", "the", "their", "them", "then", "there", "these", "this", "to", "up", "us",
    "was", "we", "what", "when", "whenever", "which", "who", "will", "with", "you", "your",
];

/// Words that describe a schema rather than say when to use a tool.
const SCHEMA_WORDS: &[&str] = &[
    "string",
    "integer",
    "number",
    "boolean",
    "object",
    "array",
    "required",
    "optional",
    "type",
    "param",
    "parameter",
    "argument",
    "default",
    "enum",
    "null",
    "field",
    "property",
    "input",
    "output",
    "schema",
    "min",
    "max",
    "minimum",
    "maximum",
];

/// Lowercased content words, snake_case and camelCase split, crude plurals folded.
pub fn words(text: &str) -> Vec<String> {
    let mut spaced = String::with_capacity(text.len());
    let mut previous_lower = false;
    for c in text.chars() {
        if c.is_uppercase() && previous_lower {
            spaced.push(' ');
        }
        previous_lower = c.is_lowercase();
        spaced.push(c);
    }
    spaced
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !STOPWORDS.contains(w))
        .map(stem)
        .collect()
}

fn stem(word: &str) -> String {
    if word.len() > 4 && word.ends_with("ies") {
        return format!("{}y", &word[..word.len() - 3]);
    }
    for suffix in ["sses", "shes", "ches", "xes"] {
        if word.len() > suffix.len() + 1 && word.ends_with(suffix) {
            return word[..word.len() - 2].to_owned();
        }
    }
    if word.len() > 3 && word.ends_with('s') && !word.ends_with("ss") {
        return word[..word.len() - 1].to_owned();
    }
    word.to_owned()
}

/// What the model reads of a tool: its name, title and description.
pub fn tool_text(tool: &Value) -> String {
    format!(
        "{} {} {}",
        tool["name"].as_str().unwrap_or_default(),
        tool["title"]
            .as_str()
            .or(tool["annotations"]["title"].as_str())
            .unwrap_or_default(),
        tool["description"].as_str().unwrap_or_default()
    )
}

/// BM25 over the tools' texts.
pub struct Ranker {
    names: Vec<String>,
    docs: Vec<Vec<String>>,
    idf: BTreeMap<String, f64>,
    average_length: f64,
}

impl Ranker {
    pub fn new(tools: &[Value]) -> Ranker {
        let names: Vec<String> = tools
            .iter()
            .map(|t| t["name"].as_str().unwrap_or_default().to_owned())
            .collect();
        let docs: Vec<Vec<String>> = tools.iter().map(|t| words(&tool_text(t))).collect();
        let n = docs.len() as f64;
        let mut df: BTreeMap<String, usize> = BTreeMap::new();
        for doc in &docs {
            for w in doc.iter().collect::<BTreeSet<_>>() {
                *df.entry(w.clone()).or_default() += 1;
            }
        }
        let idf = df
            .into_iter()
            .map(|(w, d)| (w, ((n - d as f64 + 0.5) / (d as f64 + 0.5) + 1.0).ln()))
            .collect();
        let average_length =
            docs.iter().map(Vec::len).sum::<usize>() as f64 / docs.len().max(1) as f64;
        Ranker {
            names,
            docs,
            idf,
            average_length,
        }
    }

    /// Every tool with its score for `query`, best first (ties by name, so the order is stable).
    pub fn rank(&self, query: &str) -> Vec<(String, f64)> {
        const K1: f64 = 1.2;
        const B: f64 = 0.75;
        let query = words(query);
        let mut scored: Vec<(String, f64)> = self
            .docs
            .iter()
            .zip(&self.names)
            .map(|(doc, name)| {
                let length = doc.len() as f64;
                let score = query
                    .iter()
                    .map(|q| {
                        let tf = doc.iter().filter(|w| *w == q).count() as f64;
                        let idf = self.idf.get(q).copied().unwrap_or(0.0);
                        idf * tf * (K1 + 1.0)
                            / (tf + K1 * (1.0 - B + B * length / self.average_length.max(1.0)))
                    })
                    .sum();
                (name.clone(), score)
            })
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored
    }
}

/// TF-IDF cosine similarity of every pair of tools, most similar first.
pub fn similar_pairs(tools: &[Value]) -> Vec<(String, String, f64)> {
    let docs: Vec<Vec<String>> = tools.iter().map(|t| words(&tool_text(t))).collect();
    let n = docs.len() as f64;
    let mut df: BTreeMap<&str, usize> = BTreeMap::new();
    for doc in &docs {
        for w in doc.iter().map(String::as_str).collect::<BTreeSet<_>>() {
            *df.entry(w).or_default() += 1;
        }
    }
    let vectors: Vec<BTreeMap<&str, f64>> = docs
        .iter()
        .map(|doc| {
            let mut v: BTreeMap<&str, f64> = BTreeMap::new();
            for w in doc {
                *v.entry(w.as_str()).or_default() += 1.0;
            }
            for (w, x) in v.iter_mut() {
                *x *= (1.0 + n / df[w] as f64).ln();
            }
            v
        })
        .collect();
    let norm = |v: &BTreeMap<&str, f64>| v.values().map(|x| x * x).sum::<f64>().sqrt();
    let mut pairs = Vec::new();
    for i in 0..tools.len() {
        for j in i + 1..tools.len() {
            let dot: f64 = vectors[i]
                .iter()
                .filter_map(|(w, x)| vectors[j].get(w).map(|y| x * y))
                .sum();
            let denominator = norm(&vectors[i]) * norm(&vectors[j]);
            let similarity = if denominator == 0.0 {
                0.0
            } else {
                dot / denominator
            };
            pairs.push((
                tools[i]["name"].as_str().unwrap_or_default().to_owned(),
                tools[j]["name"].as_str().unwrap_or_default().to_owned(),
                similarity,
            ));
        }
    }
    pairs.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
    pairs
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
        "review.tool.description",
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
        "review.tools.distinguishable",
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
    let pairs = similar_pairs(tools);
    let close: Vec<String> = pairs
        .iter()
        .filter(|(_, _, s)| *s >= MAX_SIMILARITY)
        .map(|(a, b, s)| format!("{a} and {b} ({s:.2})"))
        .collect();
    let mut check = CheckResult::judge(
        "review.tools.distinguishable",
        close.is_empty(),
        if close.is_empty() {
            format!("no two tools of {label} read alike")
        } else {
            format!(
                "{label}: tools whose name and description read alike, a model cannot tell them apart: {}",
                close.join(", ")
            )
        },
        format!("every pair below {MAX_SIMILARITY:.2} similarity (TF-IDF cosine)"),
        pairs
            .first()
            .map(|(a, b, s)| format!("most similar: {a} and {b} ({s:.2})"))
            .unwrap_or_else(|| "fewer than two tools".into()),
    );
    check.evidence = pairs
        .iter()
        .take(3)
        .map(|(a, b, s)| format!("{a} ~ {b}: {s:.2}"))
        .collect();
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
        "review.instructions.guidance",
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

/// `tools.annotations.consistent` as the host reads the list it got.
pub fn annotations(label: &str, tools: &[Value]) -> CheckResult {
    let contradictory: Vec<&str> = tools
        .iter()
        .filter(|t| {
            t["annotations"]["readOnlyHint"] == true && t["annotations"]["destructiveHint"] == true
        })
        .filter_map(|t| t["name"].as_str())
        .collect();
    CheckResult::judge(
        "tools.annotations.consistent",
        contradictory.is_empty(),
        if contradictory.is_empty() {
            format!("no tool of {label} is both read-only and destructive")
        } else {
            format!(
                "{label}: {} declared both read-only and destructive; the host asks before calling",
                contradictory.join(", ")
            )
        },
        "readOnlyHint and destructiveHint not both true",
        format!("contradictory: [{}]", contradictory.join(", ")),
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
        "review.connectors.distinct-names",
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tool(name: &str, description: &str) -> Value {
        json!({ "name": name, "description": description, "inputSchema": {"type": "object"} })
    }

    #[test]
    fn words_split_names_and_fold_plurals() {
        assert_eq!(
            words("search_products for the Best teaCups"),
            vec!["search", "product", "best", "tea", "cup"]
        );
    }

    #[test]
    fn the_ranker_picks_the_tool_sharing_the_rare_words() {
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
        let ranking = Ranker::new(&tools).rank("how long does delivery to 94110 take");
        assert_eq!(ranking[0].0, "check_shipping");
        assert!(ranking[1].1 < RANK_MARGIN * ranking[0].1);
        let ok = requests_pick_their_tool(
            "x",
            &tools,
            &[("find green tea".into(), "search_products".into())],
        );
        assert_eq!(
            ok.status,
            crate::checks::Status::Fail,
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
            crate::checks::Status::Fail,
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
}
