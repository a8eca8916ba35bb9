//! Evidence: what probes recorded, for checks to judge. Probes (the sweep's sections, a scenario's
//! steps) drive the target and fill these records; checks are pure functions over them. A piece of
//! evidence that could not be had says why ([`Gap`]), so the check it feeds reports n/a, skip, not
//! testable or a harness error instead of vanishing.

pub mod step;
pub mod sweep;

use serde_json::Value;

use crate::wire::{Exchange, Reply};

pub use step::{CallView, ConnectorView};
pub use sweep::SweepEvidence;

/// Why a piece of evidence is missing; it decides the verdict of every check that needed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gap {
    /// The rule does not apply here (the endpoint asks for no credentials, no tool needs a task…).
    NotApplicable(String),
    /// The run lacks a prerequisite (a login, a second credential, server control).
    Skipped(String),
    /// The rule applies but an earlier exchange failed (no answer, a 5xx, a sign-in that failed).
    NotTestable(String),
    /// The harness failed (the browser crashed).
    HarnessError(String),
}

/// A probe's record, or why there is none.
#[derive(Debug, Clone)]
pub enum Observed<T> {
    Seen(T),
    Missing(Gap),
}

impl<T> Observed<T> {
    pub fn not_applicable(why: impl Into<String>) -> Self {
        Observed::Missing(Gap::NotApplicable(why.into()))
    }

    pub fn skipped(why: impl Into<String>) -> Self {
        Observed::Missing(Gap::Skipped(why.into()))
    }

    pub fn not_testable(why: impl Into<String>) -> Self {
        Observed::Missing(Gap::NotTestable(why.into()))
    }

    pub fn harness_error(why: impl Into<String>) -> Self {
        Observed::Missing(Gap::HarnessError(why.into()))
    }

    pub fn seen(&self) -> Option<&T> {
        match self {
            Observed::Seen(x) => Some(x),
            Observed::Missing(_) => None,
        }
    }

    pub fn gap(&self) -> Option<&Gap> {
        match self {
            Observed::Seen(_) => None,
            Observed::Missing(g) => Some(g),
        }
    }
}

/// Why a probe that never ran left no evidence.
pub const NOT_PROBED: &str = "the probe did not run";

impl<T> Default for Observed<T> {
    /// A probe that never ran (its section was not chosen, an earlier one stopped it, or the run).
    fn default() -> Self {
        Observed::not_testable(NOT_PROBED)
    }
}

impl<T, E: std::fmt::Display> From<Result<T, E>> for Observed<T> {
    /// No answer at all (refused, timed out) leaves the rule untested.
    fn from(r: Result<T, E>) -> Self {
        match r {
            Ok(x) => Observed::Seen(x),
            Err(e) => Observed::not_testable(e.to_string()),
        }
    }
}

/// One JSON-RPC request's exchange and the response carrying its id, if one came.
#[derive(Debug, Clone)]
pub struct RpcExchange {
    pub exchange: Exchange,
    pub message: Option<Value>,
}

impl RpcExchange {
    pub fn status(&self) -> u16 {
        self.exchange.status
    }

    pub fn result(&self) -> Option<&Value> {
        self.message.as_ref()?.get("result")
    }

    pub fn error(&self) -> Option<&Value> {
        self.message.as_ref()?.get("error")
    }

    /// The JSON-RPC error code, from the response or (for a refusal without one) the body.
    pub fn error_code(&self) -> Option<i64> {
        self.error()
            .and_then(|e| e["code"].as_i64())
            .or_else(|| error_code(&self.exchange))
    }

    /// What came back, in a few words: `error -32602`, `a result`, `HTTP 500`.
    pub fn describe(&self) -> String {
        match (self.error_code(), self.result()) {
            (Some(code), _) => format!("error {code} (HTTP {})", self.status()),
            (None, Some(_)) => "a result".to_owned(),
            (None, None) => format!("HTTP {} without a JSON-RPC response", self.status()),
        }
    }
}

impl From<Reply> for RpcExchange {
    fn from(reply: Reply) -> Self {
        RpcExchange {
            exchange: reply.received.exchange,
            message: reply.message,
        }
    }
}

/// The JSON-RPC error code in an exchange's body (JSON, or the first SSE event).
pub fn error_code(exchange: &Exchange) -> Option<i64> {
    let content_type = exchange.header("content-type");
    crate::wire::messages(content_type, exchange.response_body.as_bytes())
        .into_iter()
        .find_map(|m| m["error"]["code"].as_i64())
}
