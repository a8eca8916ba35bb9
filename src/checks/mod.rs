//! Checks: the catalogue of rules (ids, severities, clauses, hints) and the verdicts recorded against
//! them. Checks judge evidence; they never drive hosts or servers.

pub mod catalogue;
pub mod ui;
pub mod verdict;

pub use catalogue::{CheckDef, Severity, CHECKS};
pub use verdict::{CheckResult, Status};
