//! The OAuth 2.1 authorization server: metadata, client registration (pre-registered, Client ID Metadata
//! Documents, Dynamic Client Registration), the popup (authorize → sign in → consent → redirect with
//! `code`, `state`, `iss`), tokens with refresh rotation, and revocation.
//!
//! Errors that cannot safely go back to the client (unknown client, unregistered redirect URI) are HTML
//! pages that never redirect; everything after that is reported at the redirect URI (RFC 6749 §4.1.2.1).
//!
//! Module order (a module imports only from modules above it):
//! 1. `error`, `pages`, `metadata`, `token_response`: error and success bodies, HTML, AS metadata.
//! 2. `params` (parameters, redirect URI rule), `browser` (cookies, pending request, redirects).
//! 3. `cimd` (Client ID Metadata Documents), then `client` (resolve and authenticate a client).
//! 4. The endpoints: `authorize`, `login`, `consent` (the popup); `token` with `code_grant` and
//!    `refresh_grant`; `revoke`; `register`.
//! 5. `router`: the routes.

pub mod authorize;
pub mod browser;
pub mod cimd;
pub mod client;
pub mod code_grant;
pub mod consent;
pub mod error;
pub mod login;
pub mod metadata;
pub mod pages;
pub mod params;
pub mod refresh_grant;
pub mod register;
pub mod revoke;
pub mod router;
pub mod token;
pub mod token_response;

pub use router::routes;
