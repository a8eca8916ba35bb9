//! The MCP side of a project endpoint: Streamable HTTP transport, sessions, methods, tools and tasks.

pub mod auth;
pub mod error;
pub mod headers;
pub mod methods;
pub mod origin;
pub mod respond;
pub mod session;
pub mod stream;
pub mod tasks;
pub mod tools;
pub mod transport;
pub mod version;
