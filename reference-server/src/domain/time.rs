//! Timestamps as the wire shows them (RFC 3339 with milliseconds) and lifetime checks.

use std::time::{Duration, SystemTime};

pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

pub fn now_rfc3339() -> String {
    rfc3339(SystemTime::now())
}

/// Whether something created at `since` has outlived `ttl`.
pub fn expired(since: SystemTime, ttl: Duration) -> bool {
    SystemTime::now().duration_since(since).unwrap_or_default() > ttl
}
