//! Reports: pure functions of the result model (`model::RunReport`). They do no I/O and read no clock;
//! the command line writes the files.

pub mod baseline;
pub mod diff;
pub mod html;
pub mod json;
pub mod junit;
pub mod model;
pub mod text;
