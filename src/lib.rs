//! metabind-conformance: drives MCP servers the way ChatGPT, Claude Desktop and custom hosts do, and
//! judges what they answer.
//!
//! Data flows left to right, and a module imports only from those before it:
//! `wire` (raw JSON-RPC over HTTP, recorded) → `oauth` (the host side of MCP authorization) →
//! `browser` → `popup` (the authorization popup) and `render` (UI views) → `connector` (a
//! self-authorizing MCP client) → `mcp_ops` (operations the sweep and the hosts share) → `host` (mock
//! hosts from `fixtures/hosts/`) → `scenario` (files and their loader) → `target` (the embedded
//! server or a deployment) → `evidence` (what probes record) → `checks` (the catalogue and the pure
//! functions that judge evidence) → `probes` (the sweep's sections and the scenarios' steps, which
//! drive and record) → `run` (orchestrates, emits events) → `report` (pure renderings of the run's
//! result) → `cli`. Leaf modules: `ui`, `guide`, `suggest`, `lexical`, `stop`. It talks to every server, the embedded one
//! included, over HTTP only.

pub mod bench;
pub mod browser;
pub mod checks;
pub mod cli;
pub mod conformance_client;
pub mod connector;
pub mod cpu;
pub mod evidence;
pub mod guide;
pub mod host;
pub mod lexical;
pub mod mcp_ops;
pub mod oauth;
pub mod popup;
pub mod probes;
pub mod render;
pub mod report;
pub mod run;
pub mod scenario;
pub mod stop;
pub mod suggest;
pub mod suite;
pub mod target;
pub mod ui;
pub mod wire;
