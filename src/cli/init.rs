//! `clockctl init`: the starter `clock.yml` and the Procfile's clock entry, in one step.
//!
//! It writes `templates/clock.yml` (embedded at build time, the same file the README
//! validates first) into the app, refusing to replace a `clock.yml` that is already there
//! unless asked to with `--force`, then gives the Procfile its entry through
//! [`crate::procfile`], exactly as the buildpack does at build time.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use super::{Failure, procfile_cmd};
use crate::procfile;

/// The starter file: Heroku's APScheduler clock-process example as clock.yml.
pub const STARTER_CLOCK_YML: &str = include_str!("../../templates/clock.yml");

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The app's root directory.
    #[arg(long, default_value = ".")]
    dir: PathBuf,
    /// Replace an existing clock.yml with the starter.
    #[arg(long)]
    force: bool,
}

pub fn run(args: Args) -> Result<ExitCode, Failure> {
    let path = args.dir.join("clock.yml");
    write_starter(&path, args.force)?;
    println!(
        "Wrote {} (two example jobs: timed-job and scheduled-job)",
        path.display()
    );

    let edit = procfile::ensure_clock_entry(&args.dir)
        .map_err(|error| Failure::usage(error.to_string()))?;
    println!("{}", procfile_cmd::describe(&edit));
    println!(
        "Next: edit the jobs, check them with `clockctl validate {}`, then commit clock.yml and the Procfile.",
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes the starter to `path`; without `force`, only when no file is there (checked by
/// the open itself, so nothing is ever overwritten by a race).
fn write_starter(path: &std::path::Path, force: bool) -> Result<(), Failure> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = match options.open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
            return Err(Failure::new(format!(
                "{} already exists; not overwriting it",
                path.display()
            ))
            .with_hint(format!(
                "check it with `clockctl validate {}`, or run `clockctl init --force` to replace it with the starter",
                path.display()
            )));
        }
        Err(error) => {
            return Err(Failure::usage(format!(
                "cannot write {}: {error}",
                path.display()
            )));
        }
    };
    file.write_all(STARTER_CLOCK_YML.as_bytes())
        .map_err(|error| Failure::usage(format!("cannot write {}: {error}", path.display())))
}
