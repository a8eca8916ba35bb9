//! metabind-conformance: drives MCP servers the way ChatGPT, Claude Desktop and custom hosts do.
//!
//! This is the harness crate. Today it holds the embedded-target probe (`run`); the wire client, OAuth
//! popup, host profiles, scenario engine, checks and reports arrive as their own modules
//! (see `../shared/DESIGN.md`). It talks to every server, the embedded one included, over HTTP only.

pub mod conformance_client;
pub mod connector;
pub mod oauth;
pub mod popup;
pub mod run;
pub mod wire;
