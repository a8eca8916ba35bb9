//! Checks: the catalogue of rules and the pure functions that judge recorded evidence, one file per
//! area with its rows beside its functions. Checks never drive hosts or servers.

pub mod auth;
pub mod catalogue;
pub mod expect;
pub mod host;
pub mod render;
pub mod review;
pub mod tasks;
#[cfg(test)]
mod testing;
pub mod tools;
pub mod transport;
pub mod ui;
pub mod verdict;

pub use catalogue::{CheckDef, Judge, Level, Section};
pub use verdict::{CheckResult, Status};
