//! What the wire records: each exchange (credentials redacted) and the transcript of a run.

use std::sync::{Arc, Mutex};

use serde::Serialize;

/// One HTTP request and its response, as sent and received (credentials redacted).
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    pub request_body: String,
    pub status: u16,
    pub response_headers: Vec<(String, String)>,
    pub response_body: String,
    pub elapsed_ms: u64,
}

impl Exchange {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.response_headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Every exchange of a run, in order.
#[derive(Debug, Clone, Default)]
pub struct Transcript(Arc<Mutex<Vec<Exchange>>>);

impl Transcript {
    pub fn push(&self, exchange: Exchange) -> usize {
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        all.push(exchange);
        all.len() - 1
    }

    pub fn snapshot(&self) -> Vec<Exchange> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// How many exchanges it holds.
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The exchanges from index `start` on.
    pub fn since(&self, start: usize) -> Vec<Exchange> {
        let all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        all.get(start..)
            .map(<[Exchange]>::to_vec)
            .unwrap_or_default()
    }
}
