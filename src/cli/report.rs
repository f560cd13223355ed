//! What `clockctl validate` and `clockctl next` share: reading a clock.yml for a
//! subcommand and showing what was found in it.
//!
//! A missing file becomes a usage [`Failure`] that says where it looked; diagnostics are
//! rendered to stderr with a count line; instants are shown in a job's own zone. Both
//! subcommands import this module and neither imports the other. What a subcommand prints
//! on success stays in its own file.

use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;

use super::Failure;
use crate::config::{self, LoadError, Parsed, Severity};

/// Reads and parses `file`; a missing file says where it looked and what to do.
pub(super) fn load(file: &Path, now: DateTime<Utc>) -> Result<(String, Parsed), Failure> {
    config::load(file, now).map_err(|error| match &error {
        LoadError::Io { path, source } if source.kind() == std::io::ErrorKind::NotFound => {
            let shown = std::env::current_dir().map_or_else(|_| path.clone(), |dir| dir.join(path));
            Failure::usage(format!("no clock.yml at {}", shown.display())).with_hint(
                "run `clockctl init` to write a starter clock.yml, or pass the file's path",
            )
        }
        _ => Failure::usage(error.to_string()),
    })
}

/// Every diagnostic on stderr, rendered, with a blank line between them.
pub(super) fn print_diagnostics(file: &str, source: &str, parsed: &Parsed) {
    let rendered: Vec<String> = parsed
        .diagnostics
        .iter()
        .map(|d| d.render(file, source, &parsed.masks))
        .collect();
    eprint!("{}", rendered.join("\n"));
}

/// `clock.yml: 2 errors, 1 warning`.
pub(super) fn counts(file: &str, parsed: &Parsed) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{file}: {}, {}",
        plural(parsed.count(Severity::Error), "error"),
        plural(parsed.count(Severity::Warning), "warning")
    )
}

/// An instant in `tz` as RFC 3339 with the zone's offset: `2026-03-08T03:00:00-04:00`.
pub(super) fn format_instant(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz)
        .fixed_offset()
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn instants_carry_the_zone_offset() {
        let at = Utc.with_ymd_and_hms(2026, 3, 8, 7, 0, 0).unwrap();
        assert_eq!(
            format_instant(at, chrono_tz::America::New_York),
            "2026-03-08T03:00:00-04:00"
        );
        assert_eq!(format_instant(at, Tz::UTC), "2026-03-08T07:00:00+00:00");
    }
}
