//! The lexical model the tool-choice review uses in place of a model: tools' names, titles and
//! descriptions as words, a BM25 ranker for sample requests, and TF-IDF similarity between tools.
//! Deterministic, so every figure can be quoted as evidence. It judges nothing itself.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

const STOPWORDS: &[&str] = &[
    "a", "about", "after", "all", "an", "and", "any", "are", "as", "at", "be", "before", "by",
    "can", "do", "does", "for", "from", "given", "has", "have", "i", "if", "in", "into", "is",
    "it", "its", "me", "my", "of", "on", "one", "only", "or", "our", "please", "so", "some",
    "than", "that", "the", "their", "them", "then", "there", "these", "this", "to", "up", "us",
    "was", "we", "what", "when", "whenever", "which", "who", "will", "with", "you", "your",
];

/// Words that describe a schema rather than say when to use a tool.
pub const SCHEMA_WORDS: &[&str] = &[
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
        assert!(ranking[1].1 < 0.8 * ranking[0].1);
    }
}
