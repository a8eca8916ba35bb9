//! Checks: the catalogue of rules and the pure functions that judge recorded evidence, one file per
//! area with its rows beside its functions. Checks never drive hosts or servers.

// A missing piece of evidence short-circuits a check with its verdict (`Err(CheckResult)`); verdicts
// are made once per check, so their size does not matter.
#![expect(
    clippy::result_large_err,
    reason = "verdicts short-circuit by value, once per check"
)]

pub mod authorization_server;
pub mod bearer;
pub mod calls;
pub mod catalogue;
pub mod connector;
pub mod directory;
pub mod discovery;
pub mod eras;
pub mod expect;
mod expectations;
pub mod host;
pub mod lifecycle;
pub mod messages;
pub mod modern;
pub mod render;
pub mod review;
pub mod tasks;
#[cfg(test)]
mod testing;
pub mod tool_calls;
pub mod tools;
pub mod transport;
pub mod ui;
pub mod verdict;

pub use catalogue::{CheckDef, Judge, Level, Section};
pub use verdict::{CheckResult, Status};
