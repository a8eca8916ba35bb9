//! The server's tables: the world (organizations, users, projects), MCP sessions, MCP tasks and
//! everything the authorization server remembers. Each is a plain in-memory store behind std locks that
//! are never held across an `.await`.
//!
//! Depends only on `domain` and `fixture`, and no store imports another: the stores hold records and
//! apply the rules they are given; the handlers decide (and consult the faults).

pub mod oauth;
pub mod sessions;
pub mod tasks;
pub mod world;
