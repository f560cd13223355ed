//! `clock.yml`: from text to a validated [`Config`], with every problem located.
//!
//! `parse` takes the file's text and reports every error and warning in one pass, each
//! with a line, a column and a hint; `load` is the thin layer that reads a file first.
//! This module owns the file format (keys, defaults, durations, names) and maps schedule
//! errors to positions; what a schedule *means* belongs to [`crate::schedule`].
//! (Interface fixed by the skeleton; the config work fills in the bodies.)

mod model;

pub use model::*;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// One finding in a `clock.yml`, located at a 1-based line and column (in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub line: u32,
    pub column: u32,
    /// How many characters the caret underlines (at least 1).
    pub len: u32,
    pub message: String,
    pub hint: Option<String>,
}

/// The outcome of parsing: the config when there is no error, and every finding.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub config: Option<Config>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Why a config file could not be read at all.
#[derive(Debug)]
pub enum LoadError {
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Parses and checks `source`; `now` decides what counts as "in the past".
pub fn parse(source: &str, now: DateTime<Utc>) -> Parsed {
    let _ = (source, now);
    todo!()
}

/// Reads `path` and parses it. Returns the text too, for rendering diagnostics.
///
/// # Errors
/// [`LoadError::Io`] when the file cannot be read.
pub fn load(path: &Path, now: DateTime<Utc>) -> Result<(String, Parsed), LoadError> {
    let _ = (path, now);
    todo!()
}

impl Diagnostic {
    /// `FILE:LINE:COL: error: MESSAGE`, the source line, a caret line and the hint.
    pub fn render(&self, file: &str, source: &str) -> String {
        let _ = (file, source);
        todo!()
    }
}
