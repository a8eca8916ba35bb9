//! The traceability table (`docs/coverage.toml`): every MUST and SHOULD a server or its authorization
//! server must meet that a client can observe, each with the check that covers it, or the reason none
//! does. This keeps the table true to the catalogue.

use std::collections::BTreeSet;

use metabind_conformance::checks::catalogue;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    clause: Vec<Clause>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Clause {
    source: String,
    level: String,
    party: String,
    text: String,
    check: Option<String>,
    uncovered: Option<String>,
    excluded: Option<String>,
    how: Option<String>,
}

fn table() -> Table {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/coverage.toml");
    toml::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_clause_has_a_check_or_the_reason_none_does() {
    for c in table().clause {
        let ways = [&c.check, &c.uncovered, &c.excluded]
            .iter()
            .filter(|w| w.is_some())
            .count();
        assert_eq!(ways, 1, "{} ({}): {}", c.source, c.level, c.text);
        assert!(
            ["MUST", "MUST NOT", "SHOULD", "SHOULD NOT"].contains(&c.level.as_str()),
            "{}: level {}",
            c.source,
            c.level
        );
        assert!(
            ["server", "authorization-server", "resource-server"].contains(&c.party.as_str()),
            "{}: party {}",
            c.source,
            c.party
        );
        if c.uncovered.is_some() {
            assert!(
                c.how.is_some(),
                "{}: a gap says how a probe would cover it",
                c.text
            );
        }
    }
}

#[test]
fn every_check_the_table_names_exists() {
    let unknown: Vec<String> = table()
        .clause
        .into_iter()
        .filter_map(|c| c.check)
        .filter(|id| catalogue::get(id).is_none())
        .collect();
    assert!(unknown.is_empty(), "not in the catalogue: {unknown:?}");
}

#[test]
fn every_protocol_check_traces_to_a_clause_or_is_ours() {
    let named: BTreeSet<String> = table().clause.into_iter().filter_map(|c| c.check).collect();
    // Rules of the connector guide and the hosts are not in the specifications this table covers.
    let ours = [
        "host.",
        "review.",
        "ui.",
        "lifecycle.instructions.",
        "tools.annotations.",
        "tasks.lifecycle.",
        "tools.call.content-with-ui",
        "transport.response.within-limit",
    ];
    let untraced: Vec<&str> = catalogue::all()
        .map(|c| c.id)
        .filter(|id| !named.contains(*id) && !ours.iter().any(|p| id.starts_with(p)))
        .collect();
    assert!(
        untraced.is_empty(),
        "checks without a clause in docs/coverage.toml: {untraced:?}"
    );
}
