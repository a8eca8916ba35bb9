//! The MCP side of a project endpoint: Streamable HTTP transport, sessions, methods, tools and tasks.

pub mod auth;
pub mod error;
pub mod methods;
pub mod tasks;
pub mod tools;
pub mod transport;
