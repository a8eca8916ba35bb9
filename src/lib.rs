//! metabind-conformance: drives MCP servers the way ChatGPT, Claude Desktop and custom hosts do.
//!
//! `wire` speaks JSON-RPC over Streamable HTTP and records every exchange; `oauth` is the host side of
//! MCP authorization; `popup` runs the authorization popup in headless Chromium or over HTTP;
//! `connector` ties them into a self-authorizing MCP client; `host` drives connectors as ChatGPT, Claude
//! Desktop or a custom host would, from the profiles in `fixtures/hosts/`. It talks to every server, the
//! embedded one included, over HTTP only.

pub mod bench;
pub mod checks;
pub mod cli;
pub mod conformance_client;
pub mod connector;
pub mod host;
pub mod oauth;
pub mod popup;
pub mod render;
pub mod report;
pub mod review;
pub mod run;
pub mod scenario;
pub mod sweep;
pub mod target;
pub mod wire;
