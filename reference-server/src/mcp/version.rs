//! The protocol eras this server speaks (MCP 2025-03-26, 2025-06-18, 2025-11-25) and the negotiation of
//! `initialize` (MCP §2.2).

/// Protocol versions this server speaks, newest first.
pub const SUPPORTED_VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26"];
pub const LATEST_VERSION: &str = "2025-11-25";
/// What a request without `MCP-Protocol-Version` (and no session to tell) is taken to speak.
pub const DEFAULT_VERSION: &str = "2025-03-26";

/// The version to answer an `initialize` with (MCP §2.2: echo if supported, else our latest).
pub fn negotiate(requested: Option<&str>) -> &'static str {
    SUPPORTED_VERSIONS
        .iter()
        .copied()
        .find(|v| Some(*v) == requested)
        .unwrap_or(LATEST_VERSION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_versions_get_the_latest() {
        assert_eq!(negotiate(Some("2025-06-18")), "2025-06-18");
        assert_eq!(negotiate(Some("2099-01-01")), LATEST_VERSION);
        assert_eq!(negotiate(None), LATEST_VERSION);
    }
}
