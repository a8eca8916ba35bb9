//! The main job's probe finds every endpoint of the default fixture and what it serves.

use metabind_conformance::run::{render_table, run_embedded};

#[tokio::test]
async fn the_embedded_probe_reaches_every_endpoint_of_the_default_fixture() {
    let summaries = run_embedded().await.expect("probe runs");
    assert_eq!(summaries.len(), 8, "4 projects x production and draft");
    for s in &summaries {
        assert!(s.error.is_none(), "{}: {:?}", s.path, s.error);
        assert_eq!(s.protocol_version.as_deref(), Some("2025-11-25"));
        assert!(s.has_instructions, "{}", s.path);
    }
    let tools = |path: &str| {
        summaries
            .iter()
            .find(|s| s.path == path)
            .unwrap()
            .tools
            .len()
    };
    assert_eq!(tools("/acme/storefront"), 6);
    assert_eq!(tools("/acme/storefront/draft"), 7);
    assert_eq!(tools("/acme/launchpad"), 0);
    assert_eq!(tools("/acme/launchpad/draft"), 1);
    assert!(render_table(&summaries).contains("/acme/storefront/draft"));
}
