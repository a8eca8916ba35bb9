//! The conformance catalogue as this crate's own tests: one trial per scenario × host against the
//! deployment a target file describes (`metabind-conformance init --target URL` writes one).
//!
//!     METABIND_TARGET_FILE=conformance-target.toml cargo test -p deployment-tests -- --list
//!     METABIND_TARGET_FILE=conformance-target.toml cargo test -p deployment-tests -- connect/
//!
//! The passwords and tokens the file names come from the environment. Without METABIND_TARGET_FILE
//! there is nothing to test: the binary says so and runs no trial.

use libtest_mimic::Arguments;
use metabind_conformance::suite::Suite;

fn main() {
    let args = Arguments::from_args();
    let Some(path) = std::env::var_os("METABIND_TARGET_FILE") else {
        eprintln!(
            "METABIND_TARGET_FILE is not set: no deployment to test (see this file's comment)"
        );
        libtest_mimic::run(&args, Vec::new()).exit();
    };
    let suite = Suite::from_target_file(path.as_ref()).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    libtest_mimic::run(&args, suite.trials()).exit();
}
