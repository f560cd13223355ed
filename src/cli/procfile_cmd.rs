//! `clockctl procfile` (hidden): the buildpack's way into [`crate::procfile`].
//!
//! `bin/compile` runs `clockctl procfile --dir BUILD_DIR` so the Procfile logic lives in
//! tested Rust rather than in shell. It prints one sentence per outcome on stdout, which the
//! buildpack indents under its step header. `clockctl init` reuses [`describe`].

use std::path::PathBuf;
use std::process::ExitCode;

use super::Failure;
use crate::procfile::{self, Edit};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The app's root directory, where the Procfile is (or will be).
    #[arg(long, default_value = ".")]
    dir: PathBuf,
}

pub fn run(args: Args) -> Result<ExitCode, Failure> {
    let edit = procfile::ensure_clock_entry(&args.dir).map_err(|error| {
        Failure::usage(error.to_string()).with_hint("check the app's Procfile and its permissions")
    })?;
    println!("{}", describe(&edit));
    Ok(ExitCode::SUCCESS)
}

/// One sentence saying what happened to the Procfile.
pub(super) fn describe(edit: &Edit) -> String {
    let entry = procfile::CLOCK_ENTRY.trim_end();
    match edit {
        Edit::Create { .. } => format!("Created a Procfile with `{entry}`"),
        Edit::Append { .. } => format!("Added `{entry}` to the Procfile"),
        Edit::Keep { line, command } => format!(
            "The Procfile already declares a clock process (line {line}: `{}: {command}`); left it as it is",
            procfile::PROCESS_TYPE
        ),
    }
}
