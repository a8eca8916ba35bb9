//! The admin API: JSON over HTTP under `/_admin`, guarded by the fixture's admin key. It plays MCP App
//! Studio for scenarios (publish, edit instructions, descriptions and annotations, visibility, members
//! and roles, API keys). Every change is visible on the next MCP request.
//!
//! Each resource has its module; every handler first checks the admin key and reads its JSON body
//! through `extract`, and answers failures with [`error::AdminError`].
//!
//! Module order (a module imports only from modules above it): `error`, `extract`; the resources
//! `overview`, `members`, `projects`, `grants`, `clients`; then `tools`, `api_keys` and `expiry` (which
//! use the project lookup of `projects`); `router`.

pub mod api_keys;
pub mod clients;
pub mod error;
pub mod expiry;
pub mod extract;
pub mod grants;
pub mod members;
pub mod overview;
pub mod projects;
pub mod router;
pub mod tools;

pub use router::routes;
