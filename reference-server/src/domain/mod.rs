//! The server's vocabulary: endpoint identity, scopes, the records every store keeps (world, sessions,
//! tasks, OAuth clients, codes, grants and tokens), unguessable ids, timestamps and the poisoned-lock
//! helper.
//!
//! A leaf: it depends only on `fixture` (the seed format whose enums it reuses). It holds no state of its
//! own and never imports stores, the server state or any handler. Inside it, `session`, `task` and
//! `oauth` use `endpoint`, `scope`, `time` and `world`; `world` uses `secret` and `time`; the others
//! import no sibling.

pub mod endpoint;
pub mod lock;
pub mod oauth;
pub mod scope;
pub mod secret;
pub mod session;
pub mod task;
pub mod time;
pub mod world;
