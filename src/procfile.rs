//! The Procfile's `clock:` entry: adding it without disturbing anything else.
//!
//! The buildpack (through the hidden `clockctl procfile`) and `clockctl init` both make sure
//! an app's Procfile declares the clock process. [`plan`] decides from the Procfile's bytes
//! alone: no Procfile gets one holding the entry; a Procfile without a `clock` process type
//! gets the entry appended with every existing byte kept (a last line without its newline
//! gets one first); a Procfile that declares `clock` itself is left alone, so a rebuild never
//! adds a second entry. [`ensure_clock_entry`] is the thin file-system layer around it. This
//! module does not know what the clock does or where the binaries live: the entry is the
//! one line in `templates/Procfile`.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// The process type the buildpack declares.
pub const PROCESS_TYPE: &str = "clock";

/// The Procfile entry, with its newline: `clock: clock`. The `clock` binary is on PATH
/// through `.profile.d/heroku-clock.sh` and reads `clock.yml` from the app's root (or
/// `$CLOCK_CONFIG`), so the entry needs no path and no flag.
pub const CLOCK_ENTRY: &str = include_str!("../templates/Procfile");

/// What [`plan`] decided for one Procfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// There was no Procfile: write `contents` (the entry alone).
    Create { contents: Vec<u8> },
    /// The Procfile has no `clock` process: write `contents`, the old bytes plus the entry.
    Append { contents: Vec<u8> },
    /// The Procfile declares `clock` itself, at 1-based `line`, running `command`: keep it.
    Keep { line: usize, command: String },
}

/// Why the Procfile could not be read or written.
#[derive(Debug)]
pub enum ProcfileError {
    Read { path: PathBuf, source: io::Error },
    Write { path: PathBuf, source: io::Error },
}

/// Decides how to give a Procfile (`None` when the app has none) a `clock` entry.
pub fn plan(existing: Option<&[u8]>) -> Edit {
    let Some(existing) = existing else {
        return Edit::Create {
            contents: CLOCK_ENTRY.as_bytes().to_vec(),
        };
    };
    if let Some((line, command)) = find_entry(existing, PROCESS_TYPE) {
        return Edit::Keep { line, command };
    }
    // Match the file's own line endings, so a CRLF Procfile stays CRLF throughout.
    let newline: &[u8] = if existing.windows(2).any(|pair| pair == b"\r\n") {
        b"\r\n"
    } else {
        b"\n"
    };
    let mut contents = existing.to_vec();
    if !contents.is_empty() && !contents.ends_with(b"\n") {
        contents.extend_from_slice(newline);
    }
    contents.extend_from_slice(CLOCK_ENTRY.trim_end().as_bytes());
    contents.extend_from_slice(newline);
    Edit::Append { contents }
}

/// Gives the Procfile in `app_dir` a `clock` entry (see [`plan`]) and says what it did.
///
/// # Errors
/// [`ProcfileError::Read`] when an existing Procfile cannot be read (a missing one is not an
/// error), [`ProcfileError::Write`] when the new one cannot be written.
pub fn ensure_clock_entry(app_dir: &Path) -> Result<Edit, ProcfileError> {
    let path = app_dir.join("Procfile");
    let existing = match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(source) => return Err(ProcfileError::Read { path, source }),
    };
    let edit = plan(existing.as_deref());
    if let Edit::Create { contents } | Edit::Append { contents } = &edit {
        std::fs::write(&path, contents).map_err(|source| ProcfileError::Write {
            path: path.clone(),
            source,
        })?;
    }
    Ok(edit)
}

/// The 1-based line and the command of the entry declaring `process_type`, if any.
///
/// Follows Heroku's reading of a Procfile: an entry is a line that starts with the process
/// type, then `:`, then the command; anything else (comments, blank or indented lines) is
/// not an entry.
fn find_entry(procfile: &[u8], process_type: &str) -> Option<(usize, String)> {
    procfile
        .split(|&byte| byte == b'\n')
        .enumerate()
        .find_map(|(index, line)| {
            let rest = line
                .strip_prefix(process_type.as_bytes())?
                .strip_prefix(b":")?;
            let command = String::from_utf8_lossy(rest).trim().to_string();
            Some((index + 1, command))
        })
}

impl fmt::Display for ProcfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcfileError::Read { path, source } => {
                write!(f, "cannot read {}: {source}", path.display())
            }
            ProcfileError::Write { path, source } => {
                write!(f, "cannot write {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for ProcfileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ProcfileError::Read { source, .. } | ProcfileError::Write { source, .. } => {
                Some(source)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Case {
        name: &'static str,
        from: Option<&'static str>,
        expected: Result<&'static str, (usize, &'static str)>,
    }

    /// `Ok(contents)`: the Procfile written; `Err((line, command))`: kept as it was.
    const CASES: &[Case] = &[
        Case {
            name: "no Procfile",
            from: None,
            expected: Ok("clock: clock\n"),
        },
        Case {
            name: "empty Procfile",
            from: Some(""),
            expected: Ok("clock: clock\n"),
        },
        Case {
            name: "web entry",
            from: Some("web: gunicorn app:app\n"),
            expected: Ok("web: gunicorn app:app\nclock: clock\n"),
        },
        Case {
            name: "last line without newline",
            from: Some("web: gunicorn app:app"),
            expected: Ok("web: gunicorn app:app\nclock: clock\n"),
        },
        Case {
            name: "blank lines and comments kept byte for byte",
            from: Some("# processes\n\nweb: gunicorn app:app\n\n\n"),
            expected: Ok("# processes\n\nweb: gunicorn app:app\n\n\nclock: clock\n"),
        },
        Case {
            name: "CRLF Procfile stays CRLF",
            from: Some("web: gunicorn app:app\r\nworker: rq worker"),
            expected: Ok("web: gunicorn app:app\r\nworker: rq worker\r\nclock: clock\r\n"),
        },
        Case {
            name: "own clock entry",
            from: Some("web: gunicorn app:app\nclock: python clock.py\n"),
            expected: Err((2, "python clock.py")),
        },
        Case {
            name: "our own entry from an earlier build",
            from: Some("web: gunicorn app:app\nclock: clock\n"),
            expected: Err((2, "clock")),
        },
        Case {
            name: "own entry without a space or newline",
            from: Some("clock:bin/clock"),
            expected: Err((1, "bin/clock")),
        },
        Case {
            name: "CRLF own entry",
            from: Some("clock: python clock.py\r\n"),
            expected: Err((1, "python clock.py")),
        },
        Case {
            name: "a commented-out clock is not an entry",
            from: Some("# clock: python clock.py\n"),
            expected: Ok("# clock: python clock.py\nclock: clock\n"),
        },
        Case {
            name: "another process type that starts with clock",
            from: Some("clockwork: clockwork clock.rb\n"),
            expected: Ok("clockwork: clockwork clock.rb\nclock: clock\n"),
        },
    ];

    #[test]
    fn plan_matches_the_table() {
        for case in CASES {
            let got = plan(case.from.map(str::as_bytes));
            let want = match case.expected {
                Ok(contents) if case.from.is_none() => Edit::Create {
                    contents: contents.as_bytes().to_vec(),
                },
                Ok(contents) => Edit::Append {
                    contents: contents.as_bytes().to_vec(),
                },
                Err((line, command)) => Edit::Keep {
                    line,
                    command: command.to_string(),
                },
            };
            assert_eq!(got, want, "case {:?}", case.name);
        }
    }

    #[test]
    fn appending_keeps_every_existing_byte() {
        let original: &[u8] = b"web: gunicorn app:app\n\xff not utf-8 \xfe\nworker: rq";
        let Edit::Append { contents } = plan(Some(original)) else {
            panic!("expected an append for a Procfile without clock");
        };
        assert!(contents.starts_with(original), "old bytes changed");
        assert_eq!(&contents[original.len()..], b"\nclock: clock\n");
    }

    #[test]
    fn planning_again_never_adds_a_second_entry() {
        for case in CASES {
            let first = plan(case.from.map(str::as_bytes));
            let written = match &first {
                Edit::Create { contents } | Edit::Append { contents } => contents.clone(),
                Edit::Keep { .. } => continue,
            };
            assert!(
                matches!(plan(Some(&written)), Edit::Keep { .. }),
                "case {:?}: a second plan did not keep the entry",
                case.name
            );
        }
    }

    #[test]
    fn the_entry_is_the_template_line() {
        assert_eq!(CLOCK_ENTRY, "clock: clock\n");
    }

    #[test]
    fn ensure_writes_once_then_keeps() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("Procfile");
        std::fs::write(&path, "web: gunicorn app:app").expect("write Procfile");

        let first = ensure_clock_entry(dir.path()).expect("first ensure");
        assert!(matches!(first, Edit::Append { .. }), "got {first:?}");
        let second = ensure_clock_entry(dir.path()).expect("second ensure");
        assert_eq!(
            second,
            Edit::Keep {
                line: 2,
                command: "clock".to_string()
            }
        );
        let written = std::fs::read_to_string(&path).expect("read Procfile");
        assert_eq!(written, "web: gunicorn app:app\nclock: clock\n");
    }

    #[test]
    fn ensure_creates_a_missing_procfile() {
        let dir = tempfile::tempdir().expect("temp dir");
        let edit = ensure_clock_entry(dir.path()).expect("ensure");
        assert!(matches!(edit, Edit::Create { .. }), "got {edit:?}");
        let written = std::fs::read_to_string(dir.path().join("Procfile")).expect("read");
        assert_eq!(written, "clock: clock\n");
    }

    #[test]
    fn ensure_reports_an_unreadable_procfile() {
        let dir = tempfile::tempdir().expect("temp dir");
        // A directory named Procfile cannot be read as a file.
        std::fs::create_dir(dir.path().join("Procfile")).expect("mkdir");
        let error = ensure_clock_entry(dir.path()).expect_err("a directory is not a Procfile");
        assert!(matches!(error, ProcfileError::Read { .. }), "got {error:?}");
        assert!(error.to_string().starts_with("cannot read "), "{error}");
    }
}
