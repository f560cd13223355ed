//! Loading a clock.yml for something that will act on it (the clock, `clockctl run`,
//! `notify test`, `history`): checked exactly as `clockctl validate` checks it, every
//! finding printed on stderr (credentials hidden), and nothing done with a file that has
//! errors. Each command says in its own words how it takes the file and what it did not
//! do.

use std::path::Path;

use super::Failure;
use crate::config::{self, Config, Severity};

/// What a command that loads a clock.yml says about it.
pub struct Purpose {
    /// How the command is given the file, for when it cannot be read: `pass the file
    /// with --config FILE, or set CLOCK_CONFIG`.
    pub how_to_pass: String,
    /// What did not happen because the file has errors: `nothing was started`.
    pub not_done: &'static str,
}

impl Purpose {
    /// A command that takes the file as `--config FILE` (or `CLOCK_CONFIG`).
    pub fn with_config_flag(not_done: &'static str) -> Purpose {
        Purpose {
            how_to_pass: "pass the file with --config FILE, or set CLOCK_CONFIG".into(),
            not_done,
        }
    }
}

/// Loads and checks `path` as `clockctl validate` does. Every finding (warnings too) is
/// printed on stderr; a file with errors is a [`Failure`] with exit code 1.
///
/// # Errors
/// A usage [`Failure`] (exit code 2) when the file cannot be read, saying how to pass
/// it; a [`Failure`] when it has errors, saying what was not done.
pub fn load_checked(path: &Path, purpose: &Purpose) -> Result<Config, Failure> {
    let (source, parsed) = config::load(path, chrono::Utc::now()).map_err(|error| {
        Failure::usage(error.to_string()).with_hint(purpose.how_to_pass.clone())
    })?;
    let file = path.display().to_string();
    for diagnostic in &parsed.diagnostics {
        eprint!("{}", diagnostic.render(&file, &source, &parsed.masks));
    }
    match parsed.config {
        Some(config) if parsed.count(Severity::Error) == 0 => Ok(config),
        _ => {
            let errors = parsed.count(Severity::Error);
            let noun = if errors == 1 { "error" } else { "errors" };
            Err(
                Failure::new(format!("{file} has {errors} {noun}; {}", purpose.not_done))
                    .with_hint(format!(
                        "fix it, then check it with `clockctl validate {file}`"
                    )),
            )
        }
    }
}
