//! Scenarios as data: the file model and its loader. Nothing here talks to a server.

pub mod load;
pub mod model;

pub use load::{closest, default_dir, load_dir, parse, LoadError, Scenario};
pub use model::{Need, ScenarioFile, Source, SourceKind, Step};
