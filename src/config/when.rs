//! Date-times as `at:`, `start:` and `end:` write them.
//!
//! Two meanings, told apart by the text: a wall time in the job's zone
//! (`2026-12-31T23:30:00`, seconds optional, a space allowed for the `T`, or a bare date
//! for midnight) or an exact instant with its offset (`2026-12-31T23:30:00-05:00`, `...Z`).
//! This module reads the text; what a wall time means in a zone (and DST) is decided by
//! [`crate::schedule`] for `at:`, and by [`to_instant`] for a window's edges.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::schedule::AtTime;

/// Reads a date-time; `None` when the text is neither form.
pub fn parse(text: &str) -> Option<AtTime> {
    let text = text.trim();
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return Some(AtTime::Instant(instant.with_timezone(&Utc)));
    }
    const LOCAL_FORMATS: [&str; 4] = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ];
    for format in LOCAL_FORMATS {
        if let Ok(local) = NaiveDateTime::parse_from_str(text, format) {
            return Some(AtTime::Local(local));
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(AtTime::Local)
}

/// The instant a window edge names in `tz`. A wall time that happens twice (DST ends)
/// means its first pass.
///
/// # Errors
/// `Err(())` when the wall time does not exist in `tz` (skipped when DST starts).
pub(super) fn to_instant(at: AtTime, tz: Tz) -> Result<DateTime<Utc>, ()> {
    match at {
        AtTime::Instant(instant) => Ok(instant),
        AtTime::Local(local) => match tz.from_local_datetime(&local) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Ok(t.with_timezone(&Utc)),
            LocalResult::None => Err(()),
        },
    }
}

/// The text for messages and JSON: the wall time as ISO 8601, or the instant in RFC 3339.
pub fn format(at: AtTime) -> String {
    match at {
        AtTime::Local(local) => local.format("%Y-%m-%dT%H:%M:%S").to_string(),
        AtTime::Instant(instant) => instant.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(text: &str) -> AtTime {
        AtTime::Local(NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap())
    }

    fn instant(text: &str) -> AtTime {
        AtTime::Instant(
            DateTime::parse_from_rfc3339(text)
                .unwrap()
                .with_timezone(&Utc),
        )
    }

    #[test]
    fn reads_both_forms() {
        let table: &[(&str, Option<AtTime>)] = &[
            ("2026-12-31T23:30:00", Some(local("2026-12-31 23:30:00"))),
            ("2026-12-31 23:30:00", Some(local("2026-12-31 23:30:00"))),
            ("2026-12-31T23:30", Some(local("2026-12-31 23:30:00"))),
            ("2026-12-31", Some(local("2026-12-31 00:00:00"))),
            (
                "2026-12-31T23:30:00Z",
                Some(instant("2026-12-31T23:30:00Z")),
            ),
            (
                "2026-12-31T23:30:00-05:00",
                Some(instant("2027-01-01T04:30:00Z")),
            ),
            ("2026-02-30T00:00:00", None),
            ("2026-12-31T25:00:00", None),
            ("tomorrow", None),
            ("", None),
        ];
        for (from, expected) in table {
            assert_eq!(parse(from), *expected, "{from}");
        }
    }

    #[test]
    fn window_edges_resolve_in_the_zone() {
        let ny = chrono_tz::America::New_York;
        let table: &[(AtTime, Result<&str, ()>)] = &[
            (local("2026-07-01 12:00:00"), Ok("2026-07-01T16:00:00Z")),
            // Fall back: the first 01:30 is EDT.
            (local("2026-11-01 01:30:00"), Ok("2026-11-01T05:30:00Z")),
            // Spring forward: 02:30 does not exist.
            (local("2026-03-08 02:30:00"), Err(())),
            (instant("2026-07-01T12:00:00Z"), Ok("2026-07-01T12:00:00Z")),
        ];
        for (from, expected) in table {
            let expected =
                expected.map(|t| DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc));
            assert_eq!(to_instant(*from, ny), expected, "{from:?}");
        }
    }

    #[test]
    fn formats_for_people() {
        assert_eq!(format(local("2026-12-31 23:30:00")), "2026-12-31T23:30:00");
        assert_eq!(
            format(instant("2026-12-31T23:30:00-05:00")),
            "2027-01-01T04:30:00Z"
        );
    }
}
