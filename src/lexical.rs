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

/// At most this many tools are compared pairwise (the first ones listed): the comparison grows with
/// the square of their number, and a server's size must not decide how long the run takes.
pub const MAX_COMPARED: usize = 1000;
/// At most this many close pairs are named.
const MAX_NAMED: usize = 50;

/// How alike the tools read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Similarity {
    /// Tools compared (at most [`MAX_COMPARED`]) and tools listed.
    pub compared: usize,
    pub listed: usize,
    /// The most similar pairs, most similar first (at most three).
    pub top: Vec<(String, String, f64)>,
    /// Pairs at or above the threshold, most similar first (at most fifty named)…
    pub close: Vec<(String, String, f64)>,
    /// …of this many.
    pub close_count: usize,
}

/// TF-IDF cosine similarity between the tools, pairs at or above `threshold` and the closest three.
pub fn similarity(tools: &[Value], threshold: f64) -> Similarity {
    let compared = &tools[..tools.len().min(MAX_COMPARED)];
    let docs: Vec<Vec<String>> = compared.iter().map(|t| words(&tool_text(t))).collect();
    let n = docs.len() as f64;
    let mut df: BTreeMap<&str, usize> = BTreeMap::new();
    for doc in &docs {
        for w in doc.iter().map(String::as_str).collect::<BTreeSet<_>>() {
            *df.entry(w).or_default() += 1;
        }
    }
    // Sparse vectors, sorted by term, normalised once: a dot product is then one merge.
    let vectors: Vec<Vec<(&str, f64)>> = docs
        .iter()
        .map(|doc| {
            let mut v: BTreeMap<&str, f64> = BTreeMap::new();
            for w in doc {
                *v.entry(w.as_str()).or_default() += 1.0;
            }
            let mut v: Vec<(&str, f64)> = v
                .into_iter()
                .map(|(w, x)| (w, x * (1.0 + n / df[w] as f64).ln()))
                .collect();
            let norm = v.iter().map(|(_, x)| x * x).sum::<f64>().sqrt();
            if norm > 0.0 {
                v.iter_mut().for_each(|(_, x)| *x /= norm);
            }
            v
        })
        .collect();
    let name = |i: usize| compared[i]["name"].as_str().unwrap_or_default().to_owned();
    let mut result = Similarity {
        compared: compared.len(),
        listed: tools.len(),
        ..Default::default()
    };
    let mut top: Vec<(usize, usize, f64)> = Vec::new();
    let mut close: Vec<(usize, usize, f64)> = Vec::new();
    for i in 0..vectors.len() {
        for j in i + 1..vectors.len() {
            let similarity = dot(&vectors[i], &vectors[j]);
            if similarity >= threshold {
                result.close_count += 1;
                close.push((i, j, similarity));
                if close.len() > 2 * MAX_NAMED {
                    close.sort_by(|a, b| b.2.total_cmp(&a.2));
                    close.truncate(MAX_NAMED);
                }
            }
            if top.len() < 3 || similarity > top[top.len() - 1].2 {
                top.push((i, j, similarity));
                top.sort_by(|a, b| b.2.total_cmp(&a.2));
                top.truncate(3);
            }
        }
    }
    let named = |pairs: Vec<(usize, usize, f64)>| -> Vec<(String, String, f64)> {
        let mut named: Vec<(String, String, f64)> = pairs
            .into_iter()
            .map(|(i, j, s)| (name(i), name(j), s))
            .collect();
        named.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
        named
    };
    result.top = named(top);
    let mut close = named(close);
    close.truncate(MAX_NAMED);
    result.close = close;
    result
}

/// The dot product of two sparse vectors sorted by term.
fn dot(a: &[(&str, f64)], b: &[(&str, f64)]) -> f64 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    sum
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

    #[test]
    fn similarity_names_the_close_pairs_and_compares_a_bounded_number_of_tools() {
        let tools = vec![
            tool(
                "search_products",
                "Search the catalogue by free text and return products.",
            ),
            tool(
                "find_products",
                "Search the catalogue by free text and return products.",
            ),
            tool("place_order", "Charge the card on file for an order."),
        ];
        let s = similarity(&tools, 0.5);
        assert_eq!(s.close_count, 1);
        assert_eq!(
            (s.close[0].0.as_str(), s.close[0].1.as_str()),
            ("search_products", "find_products")
        );
        assert!(s.top[0].2 >= 0.5 && s.top.len() == 3);
        let many: Vec<Value> = (0..MAX_COMPARED + 10)
            .map(|i| {
                tool(
                    &format!("t{i}"),
                    &format!("Does thing number {i} for the user."),
                )
            })
            .collect();
        let s = similarity(&many, 0.5);
        assert_eq!((s.compared, s.listed), (MAX_COMPARED, MAX_COMPARED + 10));
        assert!(s.close.len() <= 50);
    }
}
