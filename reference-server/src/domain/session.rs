//! An MCP session (`MCP-Session-Id`): issued on `initialize`, bound to the endpoint and to the caller's
//! credential subject.

use std::sync::Arc;
use std::time::Instant;

use crate::domain::endpoint::EndpointKey;
use crate::domain::world::Tool;

#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub endpoint: EndpointKey,
    pub subject: String,
    pub protocol_version: String,
    pub get_stream_open: bool,
    /// The tools this session first listed (kept only with `tools-list-cached-per-session`).
    pub listed_tools: Option<Arc<Vec<Tool>>>,
    /// When it was issued: the session table drops the oldest first.
    pub created: Instant,
}
