//! What the wire records: each exchange (credentials redacted) and the transcript of a run.

use std::sync::{Arc, Mutex};

use serde::Serialize;

/// One HTTP request and its response, as sent and received (credentials redacted).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    pub request_body: String,
    pub status: u16,
    pub response_headers: Vec<(String, String)>,
    pub response_body: String,
    pub elapsed_ms: u64,
    /// The body was longer than the run reads: it was cut after this many bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cut_at: Option<u64>,
    /// The ids of the JSON-RPC responses (a `result` or an `error`) in the whole body, read before
    /// the recorded body is shortened, so checks over the transcript judge large replies too.
    #[serde(skip)]
    pub response_ids: Vec<serde_json::Value>,
    /// The recorded body is shorter than the one received (past the recorded-body limit): it
    /// cannot be parsed as a whole.
    #[serde(skip)]
    pub body_shortened: bool,
}

/// `text` cut to `max` characters, saying how long it was.
pub(super) fn keep(text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &text[..end], text.len())
}

/// The ids of the JSON-RPC responses in a body (JSON or SSE).
pub fn response_ids(content_type: Option<&str>, body: &[u8]) -> Vec<serde_json::Value> {
    super::messages(content_type, body)
        .into_iter()
        .filter(|m| m.get("result").is_some() || m.get("error").is_some())
        .filter_map(|m| m.get("id").cloned())
        .collect()
}

impl Exchange {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.response_headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Every exchange of a run, in order, bodies kept until the run's limit.
#[derive(Debug, Clone, Default)]
pub struct Transcript(Arc<Mutex<Recorded>>);

#[derive(Debug, Default)]
struct Recorded {
    exchanges: Vec<Exchange>,
    body_bytes: usize,
}

impl Transcript {
    pub fn push(&self, mut exchange: Exchange, limits: &super::Limits) -> usize {
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let size = exchange.request_body.len() + exchange.response_body.len();
        if all.body_bytes + size > limits.max_transcript_bytes {
            let note = "(not kept: the transcript reached its limit)".to_owned();
            exchange.request_body = note.clone();
            exchange.response_body = note;
        } else {
            all.body_bytes += size;
        }
        all.exchanges.push(exchange);
        all.exchanges.len() - 1
    }

    pub fn snapshot(&self) -> Vec<Exchange> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .exchanges
            .clone()
    }

    /// How many exchanges it holds.
    pub fn len(&self) -> usize {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .exchanges
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The exchanges from index `start` on.
    pub fn since(&self, start: usize) -> Vec<Exchange> {
        let all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        all.exchanges
            .get(start..)
            .map(<[Exchange]>::to_vec)
            .unwrap_or_default()
    }
}
