//! The raw wire: every HTTP exchange the harness makes (MCP and OAuth alike) goes through [`Wire`], which
//! records it in a [`Transcript`] with credentials redacted. It records; it does not judge: a 500 or a
//! malformed body is an `Ok(Exchange)`. [`Error`] means no exchange happened (refused, timed out).
//!
//! [`McpClient`] speaks JSON-RPC over Streamable HTTP on top of it: JSON and SSE responses, the session
//! and protocol-version headers, notifications, DELETE on close.

mod exchange;
mod mcp;
pub mod modern;
mod net;
mod redact;
mod stream;

use std::sync::Arc;
use std::time::{Duration, Instant};

pub use exchange::{response_ids, Exchange, Transcript};
pub use mcp::{messages, McpClient, Reply, LATEST_PROTOCOL_VERSION};
pub use modern::{Era, EraMemory, Opening, MODERN_PROTOCOL_VERSION};
pub use net::{Limits, Net, Refusal, Secrets, UrlPolicy};
pub use redact::{redact_body, redact_url};
pub use stream::ServerStream;

use redact::redact_headers;

/// No exchange happened.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "{method} {url}: no complete answer within {timeout:?} (none came, or it never finished)"
    )]
    Timeout {
        method: String,
        url: String,
        timeout: Duration,
    },
    #[error("{method} {url} failed: {message}")]
    Transport {
        method: String,
        url: String,
        message: String,
        /// No connection could be made (refused, no route, DNS).
        connect: bool,
    },
    /// The URL policy kept the harness from reaching it.
    #[error("{0}")]
    Refused(#[from] Refusal),
    /// The answer passed `--max-response-bytes`: it is recorded cut (for
    /// transport.response.within-limit) but never parsed, since half a document cannot be judged.
    #[error("{method} {url}: the answer passed the run's limit of {limit} bytes (--max-response-bytes) and was cut there, so it cannot be judged")]
    TooLarge {
        method: String,
        url: String,
        limit: usize,
    },
}

/// An HTTP client that records every exchange, within the run's limits and URL policy.
#[derive(Debug, Clone)]
pub struct Wire {
    http: reqwest::Client,
    pub transcript: Transcript,
    pub net: Arc<Net>,
    /// The protocol era each origin was found to speak (shared with wires that share the transcript).
    pub eras: EraMemory,
}

/// A request, before it is sent.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: reqwest::Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl Request {
    pub fn get(url: impl Into<String>) -> Self {
        Request {
            method: reqwest::Method::GET,
            url: url.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn post(url: impl Into<String>, content_type: &str, body: Vec<u8>) -> Self {
        Request {
            method: reqwest::Method::POST,
            url: url.into(),
            headers: vec![("content-type".into(), content_type.into())],
            body: Some(body),
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

/// Where a wire keeps cookies.
enum Cookies {
    None,
    /// Its own jar.
    Own,
    /// A jar shared with other wires (one browser session).
    Jar(std::sync::Arc<reqwest::cookie::Jar>),
}

/// The full exchange plus the unredacted response body (the caller needs the real tokens).
#[derive(Debug, Clone)]
pub struct Received {
    pub exchange: Exchange,
    pub index: usize,
    pub body: Vec<u8>,
    pub headers: reqwest::header::HeaderMap,
}

impl Wire {
    pub fn new(net: &Arc<Net>) -> Result<Wire, Error> {
        Wire::build(net, Cookies::None)
    }

    /// A wire that keeps cookies (a browser stand-in).
    pub fn with_cookies(net: &Arc<Net>) -> Result<Wire, Error> {
        Wire::build(net, Cookies::Own)
    }

    /// The limit on every exchange.
    pub fn timeout(&self) -> Duration {
        self.net.timeout
    }

    fn build(net: &Arc<Net>, cookies: Cookies) -> Result<Wire, Error> {
        let builder = reqwest::Client::builder()
            .timeout(net.timeout)
            .connect_timeout(net.timeout)
            .redirect(reqwest::redirect::Policy::none())
            // What a name resolves to passes the URL policy's address rules too.
            .dns_resolver(Arc::new(net::Resolver(Arc::clone(net))));
        let builder = match cookies {
            Cookies::None => builder,
            Cookies::Own => builder.cookie_store(true),
            Cookies::Jar(jar) => builder.cookie_provider(jar),
        };
        let http = builder.build().map_err(|e| Error::Transport {
            method: "-".into(),
            url: "-".into(),
            message: e.to_string(),
            connect: false,
        })?;
        Ok(Wire {
            http,
            transcript: Transcript::default(),
            net: Arc::clone(net),
            eras: EraMemory::default(),
        })
    }

    /// A wire sharing this one's transcript whose cookies live in `jar` (a browser profile that
    /// outlives one popup).
    pub fn sharing_transcript_with_jar(
        &self,
        jar: std::sync::Arc<reqwest::cookie::Jar>,
    ) -> Result<Wire, Error> {
        let mut wire = Wire::build(&self.net, Cookies::Jar(jar))?;
        wire.transcript = self.transcript.clone();
        wire.eras = self.eras.clone();
        Ok(wire)
    }

    /// A wire sharing this one's transcript but with its own connection settings.
    pub fn sharing_transcript(&self, cookies: bool) -> Result<Wire, Error> {
        let mut wire = Wire::build(
            &self.net,
            if cookies { Cookies::Own } else { Cookies::None },
        )?;
        wire.transcript = self.transcript.clone();
        wire.eras = self.eras.clone();
        Ok(wire)
    }

    pub async fn send(&self, request: Request) -> Result<Received, Error> {
        self.exchange(request, false)
            .await
            .map(|(received, _)| received)
    }

    /// Sends `request` and keeps its response open as an event stream (no overall time limit; reads
    /// are bounded by the caller). The recorded exchange has the status and headers, and no body.
    pub async fn open_stream(
        &self,
        request: Request,
    ) -> Result<(Received, Option<reqwest::Response>), Error> {
        self.exchange(request, true).await
    }

    async fn exchange(
        &self,
        request: Request,
        stream: bool,
    ) -> Result<(Received, Option<reqwest::Response>), Error> {
        let method = request.method.to_string();
        // What records and errors show of the URL: secret query values and userinfo redacted.
        let shown_url = redact_url(&request.url);
        self.net.policy.check(&request.url).map_err(|r| Refusal {
            url: shown_url.clone(),
            why: r.why,
        })?;
        let mut builder = self.http.request(request.method.clone(), &request.url);
        for (k, v) in &request.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let request_body = request
            .body
            .as_ref()
            .map(|b| redact_body(&String::from_utf8_lossy(b)))
            .unwrap_or_default();
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        if stream {
            // A standalone stream stays open for as long as the session lives.
            builder = builder.timeout(Duration::from_secs(24 * 3600));
        }
        let built = builder.build().map_err(|e| Error::Transport {
            method: method.clone(),
            url: shown_url.clone(),
            message: e.to_string(),
            connect: false,
        })?;
        let request_headers = redact_headers(built.headers());
        let started = Instant::now();
        let fail = |e: reqwest::Error| {
            if e.is_timeout() {
                Error::Timeout {
                    method: method.clone(),
                    url: shown_url.clone(),
                    timeout: self.net.timeout,
                }
            } else {
                Error::Transport {
                    method: method.clone(),
                    url: shown_url.clone(),
                    message: error_chain(&e),
                    connect: e.is_connect(),
                }
            }
        };
        let mut response = self.http.execute(built).await.map_err(fail)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let streaming = stream && status == 200;
        let limits = self.net.limits;
        let mut body = Vec::new();
        let mut cut_at = None;
        let open = if streaming {
            Some(response)
        } else {
            // Bounded: a body past the limit is cut there and marked, never read whole.
            while let Some(chunk) = response.chunk().await.map_err(fail)? {
                let room = limits.max_response_bytes - body.len();
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    cut_at = Some(body.len() as u64);
                    break;
                }
                body.extend_from_slice(&chunk);
            }
            None
        };
        let response_ids = if open.is_none() && cut_at.is_none() {
            let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
            exchange::response_ids(content_type, &body)
        } else {
            Vec::new()
        };
        let exchange = Exchange {
            method: method.clone(),
            url: shown_url.clone(),
            request_headers,
            request_body: exchange::keep(request_body, limits.max_recorded_body),
            status,
            response_headers: redact_headers(&headers),
            body_shortened: body.len() > limits.max_recorded_body,
            response_body: exchange::keep(
                redact_body(&String::from_utf8_lossy(&body)),
                limits.max_recorded_body,
            ),
            elapsed_ms: started.elapsed().as_millis() as u64,
            cut_at,
            response_ids,
        };
        let index = self.transcript.push(exchange.clone(), &limits);
        if cut_at.is_some() {
            return Err(Error::TooLarge {
                method,
                url: shown_url,
                limit: limits.max_response_bytes,
            });
        }
        Ok((
            Received {
                exchange,
                index,
                body,
                headers,
            },
            open,
        ))
    }
}

pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}
