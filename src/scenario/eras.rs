//! A scenario in each protocol era its file asks for (`eras`): the host's own opening keeps the id,
//! the run held to the 2025 handshake era is `<id>@legacy` when the scenario runs both ways.

use super::load::Scenario;
use super::model::ScenarioEra;
use crate::wire::Era;

/// One scenario per era its file asks for: the host's own opening keeps the id, the legacy run of a
/// scenario that runs both ways is `<id>@legacy`.
pub fn per_era(scenario: Scenario) -> Vec<Scenario> {
    let eras = scenario
        .file
        .eras
        .clone()
        .unwrap_or_else(|| vec![ScenarioEra::Own]);
    let both = eras.len() > 1;
    eras.into_iter()
        .map(|era| {
            let mut run = scenario.clone();
            if era == ScenarioEra::Legacy {
                run.era = Some(Era::Legacy);
                if both {
                    run.id = format!("{}@legacy", scenario.id);
                }
            }
            run
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;

    fn scenario(eras: &str) -> Scenario {
        let text = format!(
            "title = \"t\"\nsource = {{ kind = \"spec\", ref = \"r\" }}\n{eras}\n[[step]]\ndo = \"add-connector\"\nendpoint = \"target\"\nas = \"member\"\n"
        );
        parse(
            std::path::Path::new("x.toml"),
            "connect/x",
            &text,
            &crate::scenario::Vocabulary::default(),
        )
        .unwrap()
    }

    #[test]
    fn each_era_is_a_run_and_the_second_is_named_at_legacy() {
        let own = per_era(scenario(""));
        assert_eq!(
            (own.len(), own[0].id.as_str(), own[0].era),
            (1, "connect/x", None)
        );
        let pinned = per_era(scenario("eras = [\"legacy\"]"));
        assert_eq!(
            (pinned.len(), pinned[0].id.as_str(), pinned[0].era),
            (1, "connect/x", Some(Era::Legacy))
        );
        let both = per_era(scenario("eras = [\"own\", \"legacy\"]"));
        let ids: Vec<(&str, Option<Era>)> = both.iter().map(|s| (s.id.as_str(), s.era)).collect();
        assert_eq!(
            ids,
            [("connect/x", None), ("connect/x@legacy", Some(Era::Legacy))]
        );
    }
}
