//! Helpers the scenario expectations share.

use super::verdict::{excerpt, CheckResult, Status};
use crate::wire::Exchange;

pub(super) fn contains(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

/// Non-passing verdicts get the exchanges (and, for connector checks, the popups) they came from.
pub(super) fn with_evidence(
    mut checks: Vec<CheckResult>,
    view_exchanges: &[Exchange],
    popups: &[String],
) -> Vec<CheckResult> {
    for check in checks
        .iter_mut()
        .filter(|c| c.status != Status::Pass && c.evidence.is_empty())
    {
        check.evidence.extend(popups.iter().cloned());
        let from = view_exchanges.len().saturating_sub(4);
        check
            .evidence
            .extend(view_exchanges[from..].iter().map(excerpt));
    }
    checks
}
