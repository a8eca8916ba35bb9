//! The MCP side of a project endpoint: Streamable HTTP transport, sessions, methods, tools and tasks.
//!
//! Module order (a module imports only from modules above it):
//! 1. `error`, `headers`, `version`, `tools`, `listing_faults`: errors, request headers, protocol eras,
//!    running a tool, the faults that change a tool listing.
//! 2. `auth` (who is calling), `origin` (Host/Origin guard, CORS), `respond` (JSON or SSE answer),
//!    `tasks` (task methods).
//! 3. `methods` (JSON-RPC dispatch), then `session` (version check, session lookup, initialize,
//!    DELETE), then `stream` (the GET stream).
//!    `envelope` (the stateless era's `_meta` and headers), `task_extension` (its tasks), `listen`,
//!    then `modern` (the 2026-07-28 dispatch), which uses `methods` and `session`'s task binding.
//! 4. `transport`: the entry point for every endpoint path, and POST.

pub mod auth;
pub mod envelope;
pub mod error;
pub mod headers;
pub mod listen;
pub mod listing_faults;
pub mod methods;
pub mod modern;
pub mod origin;
pub mod respond;
pub mod session;
pub mod stream;
pub mod task_extension;
pub mod tasks;
pub mod tools;
pub mod transport;
pub mod version;
