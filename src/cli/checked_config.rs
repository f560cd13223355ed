//! Loading a clock.yml for something that will run it (the clock, `clockctl run`): checked
//! exactly as `clockctl validate` checks it, every finding printed on stderr, and nothing
//! started from a file with errors.

use std::path::Path;

use super::Failure;
use crate::config::{self, Config, Severity};

/// Loads and checks `path` as `clockctl validate` does. Every finding (warnings too) is
/// printed on stderr; a file with errors is a [`Failure`] with exit code 1.
pub fn load_checked(path: &Path) -> Result<Config, Failure> {
    let (source, parsed) = config::load(path, chrono::Utc::now()).map_err(|error| {
        Failure::usage(error.to_string())
            .with_hint("pass the file with --config FILE, or set CLOCK_CONFIG")
    })?;
    let file = path.display().to_string();
    for diagnostic in &parsed.diagnostics {
        eprint!("{}", diagnostic.render(&file, &source));
    }
    match parsed.config {
        Some(config) if parsed.count(Severity::Error) == 0 => Ok(config),
        _ => {
            let errors = parsed.count(Severity::Error);
            let noun = if errors == 1 { "error" } else { "errors" };
            Err(
                Failure::new(format!("{file} has {errors} {noun}; nothing was started")).with_hint(
                    format!("fix it, then check it with `clockctl validate {file}`"),
                ),
            )
        }
    }
}
