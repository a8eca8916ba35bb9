//! Scenarios as data: the file model and its loader. Nothing here talks to a server.

pub mod eras;
pub mod load;
pub mod model;
pub mod refs;
pub mod tools;

pub use load::{default_dir, load_dir, parse, LoadError, Scenario, Vocabulary};
pub use model::{Need, ScenarioFile, Source, SourceKind, Step};
