//! Probes drive the target and record evidence; they judge nothing. The protocol sweep's sections
//! ([`sweep`]) and a scenario's steps ([`steps`]) are both probes.

pub mod steps;
pub mod sweep;
