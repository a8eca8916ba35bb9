//! Metabind's documented REST surface for API keys and the visibility kill switch (spec/metabind.md
//! §2.1, §2.2), on the server's own origin under `/api/v1`: the server control a deployment offers
//! without the `/_admin` API. Each route's doc comment tags what is documented ([DOC]) and what is our
//! choice ([INF]).
//!
//! Callers present a REST API token from the fixture (`[[rest_tokens]]`) and act with the permissions
//! of that user's role in the project's organization (`[role_permissions]`: `api_keys`,
//! `visibility`). Every answer is JSON; failures are `{error, message}` ([`error::RestError`]).
//!
//! Module order (a module imports only from modules above it): `error`, `extract` (token, permission,
//! body), the resources `api_keys` and `visibility`, `router`.

pub mod api_keys;
pub mod error;
pub mod extract;
pub mod router;
pub mod visibility;

pub use router::routes;
