//! The standalone SSE stream a server offers on GET, read event by event.

use std::time::Duration;

use serde_json::Value;

use super::{error_chain, messages, Error};

/// The standalone SSE stream a server offers on GET (MCP §1.3), read event by event.
pub struct ServerStream {
    response: reqwest::Response,
    buffer: String,
    pending: std::collections::VecDeque<Value>,
    /// An event longer than this ends the stream with an error instead of growing the buffer.
    max_event_bytes: usize,
}

impl ServerStream {
    pub(super) fn new(response: reqwest::Response, max_event_bytes: usize) -> ServerStream {
        ServerStream {
            response,
            buffer: String::new(),
            pending: Default::default(),
            max_event_bytes,
        }
    }

    /// The next JSON-RPC message the server pushes: `Ok(None)` when the stream ended, an error when
    /// nothing came within `timeout`.
    pub async fn next_message(&mut self, timeout: Duration) -> Result<Option<Value>, Error> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(message) = self.pending.pop_front() {
                return Ok(Some(message));
            }
            let url = self.response.url().to_string();
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .map_err(|_| Error::Timeout {
                    method: "GET".into(),
                    url: url.clone(),
                    timeout,
                })?
                .map_err(|e| Error::Transport {
                    method: "GET".into(),
                    url,
                    message: error_chain(&e),
                    connect: e.is_connect(),
                })?;
            let Some(chunk) = chunk else {
                return Ok(None);
            };
            self.buffer
                .push_str(&String::from_utf8_lossy(&chunk).replace("\r\n", "\n"));
            // Complete events end with a blank line; keep the unfinished tail for the next chunk.
            if let Some(end) = self.buffer.rfind("\n\n") {
                let complete: String = self.buffer.drain(..end + 2).collect();
                self.pending
                    .extend(messages(Some("text/event-stream"), complete.as_bytes()));
            }
            if self.buffer.len() > self.max_event_bytes {
                return Err(Error::Transport {
                    method: "GET".into(),
                    url: self.response.url().to_string(),
                    message: format!(
                        "an event of the stream passed {} bytes without ending",
                        self.max_event_bytes
                    ),
                    connect: false,
                });
            }
        }
    }
}
