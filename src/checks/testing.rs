//! Hand-built evidence for the checks' unit tests.

use crate::evidence::{Observed, RpcExchange, SweepEvidence};
use crate::mcp_ops::{ListingEnd, ToolListing};
use crate::wire::Exchange;

/// An exchange with a JSON content type.
pub(crate) fn exchange(method: &str, url: &str, status: u16, body: &str) -> Exchange {
    Exchange {
        method: method.into(),
        url: url.into(),
        request_headers: Vec::new(),
        request_body: String::new(),
        status,
        response_headers: vec![("content-type".into(), "application/json".into())],
        response_body: body.into(),
        elapsed_ms: 1,
        cut_at: None,
        body_shortened: false,
        response_ids: crate::wire::response_ids(Some("application/json"), body.as_bytes()),
    }
}

/// The exchange as a JSON-RPC reply (its body parsed as the response).
pub(crate) fn rpc(exchange: Exchange) -> RpcExchange {
    let message = serde_json::from_str(&exchange.response_body).ok();
    RpcExchange { exchange, message }
}

/// A JSON-RPC reply with `body` as the response message.
pub(crate) fn reply(status: u16, body: serde_json::Value) -> RpcExchange {
    rpc(exchange(
        "POST",
        "http://127.0.0.1:1/mcp",
        status,
        &body.to_string(),
    ))
}

/// Sweep evidence whose `tools/list` returned `tools` on one complete page.
pub(crate) fn listed(tools: Vec<serde_json::Value>) -> SweepEvidence {
    let mut ev = SweepEvidence::default();
    ev.tools.listing = Observed::Seen(ToolListing {
        tools,
        pages: 1,
        repeated: Vec::new(),
        repeats: 0,
        not_kept: 0,
        end: ListingEnd::Complete,
    });
    ev
}
