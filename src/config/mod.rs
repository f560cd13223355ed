//! `clock.yml`: from text to a validated [`Config`], with every problem located.
//!
//! `parse` takes the file's text and reports every error and warning in one pass, each
//! with a line, a column and a hint; `load` is the thin layer that reads a file first.
//! This module owns the file format (keys, defaults, durations, names) and maps schedule
//! errors to positions; what a schedule *means* belongs to [`crate::schedule`].

mod check;
mod checker;
mod duration;
mod dyno;
mod fields;
mod mask;
mod model;
mod names;
mod notify;
mod render;
mod schedule_words;
mod source;
mod store;
mod template;
mod warnings;
mod when;
mod yaml;
mod zone;

pub use duration::{DurationError, format as format_duration, parse as parse_duration};
pub use dyno::{CALLS_PER_HOUR_BUDGET, calls_per_run, is_app_name};
pub use mask::Masks;
pub use model::*;
pub use names::closest as closest_match;
pub use schedule_words::{ScheduleContext, describe as describe_schedule_error};
pub use store::{DEFAULT_KEEP, MIN_KEEP};
pub use when::format as format_at;
pub use zone::parse as parse_time_zone;

use std::fmt;
use std::io::Read;
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
    /// The credentials written in the file, never to be shown: pass them to
    /// [`Diagnostic::render`].
    pub masks: Masks,
}

/// Why a config file could not be read at all.
#[derive(Debug)]
pub enum LoadError {
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The largest clock.yml `load` reads. Far above any real file (10,000 jobs take about
/// 1 MB) and small enough that a wrong path (a log, a binary) fails fast.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Parses and checks `source`; `now` decides what counts as "in the past" and where the
/// year of DST checks starts. Never panics, whatever the text.
pub fn parse(source: &str, now: DateTime<Utc>) -> Parsed {
    check::check(source, now)
}

/// Reads `path` and parses it. Returns the text too, for rendering diagnostics.
///
/// A file larger than [`MAX_FILE_BYTES`] or not in UTF-8 is a diagnostic in [`Parsed`]
/// (an invalid clock.yml), located at 1:1 or at the first bad byte; the returned text is
/// then the readable part.
///
/// # Errors
/// [`LoadError::Io`] when the file cannot be read.
pub fn load(path: &Path, now: DateTime<Utc>) -> Result<(String, Parsed), LoadError> {
    let io_error = |source| LoadError::Io {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_error)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
        let text = String::from_utf8_lossy(first_line).into_owned();
        let diagnostic = Diagnostic::error_at(
            1,
            1,
            format!(
                "the file is larger than {} MiB; this is not a clock.yml",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
            Some("check the path; a clock.yml with 10,000 jobs is about 1 MB".into()),
        );
        return Ok((text.clone(), Parsed::invalid(diagnostic, &text)));
    }
    match String::from_utf8(bytes) {
        Ok(text) => {
            let parsed = parse(&text, now);
            Ok((text, parsed))
        }
        Err(error) => {
            let bad_at = error.utf8_error().valid_up_to();
            let bytes = error.into_bytes();
            let valid = std::str::from_utf8(&bytes[..bad_at]).unwrap_or_default();
            let line = valid.matches('\n').count() + 1;
            let column = valid
                .rsplit('\n')
                .next()
                .unwrap_or_default()
                .chars()
                .count()
                + 1;
            let diagnostic = Diagnostic::error_at(
                u32::try_from(line).unwrap_or(u32::MAX),
                u32::try_from(column).unwrap_or(u32::MAX),
                format!("the file is not UTF-8: byte 0x{:02x} here", bytes[bad_at]),
                Some("save clock.yml as UTF-8".into()),
            );
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let parsed = Parsed::invalid(diagnostic, &text);
            Ok((text, parsed))
        }
    }
}

impl Parsed {
    /// A file that is not even text: credentials in it are found by their keys.
    fn invalid(diagnostic: Diagnostic, text: &str) -> Parsed {
        Parsed {
            config: None,
            diagnostics: vec![diagnostic],
            masks: mask::guess(text),
        }
    }

    /// How many findings have `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }
}

impl Diagnostic {
    fn error_at(line: u32, column: u32, message: String, hint: Option<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            line,
            column,
            len: 1,
            message,
            hint,
        }
    }

    /// `FILE:LINE:COL: error: MESSAGE`, the source line, a caret line and the hint, each
    /// line ending in a newline. Each range of `masks` (a credential: [`Parsed::masks`]) on
    /// the source line is shown as `***`:
    ///
    /// ```text
    /// clock.yml:4:5: error: unknown key "comand" in job "send-digest"
    ///  4 |     comand: bin/digest
    ///    |     ^^^^^^
    /// hint: did you mean "command"?
    /// ```
    pub fn render(&self, file: &str, source: &str, masks: &Masks) -> String {
        render::render(self, file, source, masks)
    }
}

impl Severity {
    /// `error` or `warning`, as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Io { path, source } => {
                write!(f, "cannot read {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoadError::Io { source, .. } => Some(source),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn load_bytes(bytes: &[u8]) -> (String, Parsed) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("clock.yml");
        std::fs::write(&path, bytes).expect("write");
        load(&path, Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()).expect("load")
    }

    #[test]
    fn non_utf8_is_located_at_the_first_bad_byte() {
        let table: &[(&[u8], (u32, u32))] = &[
            (b"\xff", (1, 1)),
            (b"jobs:\n  caf\xc3\xa9\xe9: x\n", (2, 7)),
            (b"a: 1\nb: 2\n\x80", (3, 1)),
        ];
        for (bytes, (line, column)) in table {
            let (_, parsed) = load_bytes(bytes);
            let d = &parsed.diagnostics[0];
            assert_eq!((d.line, d.column), (*line, *column), "{bytes:?}: {d:?}");
            assert!(d.message.starts_with("the file is not UTF-8"), "{d:?}");
            assert!(parsed.config.is_none());
        }
    }

    #[test]
    fn a_file_over_the_cap_is_one_error_at_the_start() {
        let mut bytes = b"# big\n".to_vec();
        bytes.resize(MAX_FILE_BYTES as usize + 1, b' ');
        let (text, parsed) = load_bytes(&bytes);
        assert_eq!(text, "# big");
        assert_eq!(parsed.diagnostics.len(), 1);
        assert_eq!(
            (parsed.diagnostics[0].line, parsed.diagnostics[0].column),
            (1, 1)
        );
    }

    #[test]
    fn a_missing_file_is_an_io_error() {
        let error = load(Path::new("/nonexistent/clock.yml"), Utc::now()).expect_err("missing");
        assert!(
            error
                .to_string()
                .starts_with("cannot read /nonexistent/clock.yml: "),
            "{error}"
        );
    }
}
