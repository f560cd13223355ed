//! Date-times as `at:`, `start:` and `end:` write them.
//!
//! Two meanings, told apart by the text: a wall time in the job's zone
//! (`2026-12-31T23:30:00`, seconds optional, a space allowed for the `T`, or a bare date
//! for midnight) or an exact instant with its offset (`2026-12-31T23:30:00-05:00`, `...Z`).
//! This module reads and writes the text; what a wall time means in a zone (and DST) is
//! decided by [`crate::schedule`], for `at:` and for a window's edges ([`to_instant`]).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Timelike, Utc};
use chrono_tz::Tz;

use crate::schedule::{AtTime, Resolved, WallSpan, resolve_wall};

/// A `start:` or `end:` wall time that names no instant: the zone's clocks skip it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkippedTimeError {
    /// The wall time as written.
    pub wall: NaiveDateTime,
    pub tz: Tz,
    /// Every wall time the jump skips, `wall` among them.
    pub skipped: WallSpan,
}

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
/// [`SkippedTimeError`] when the wall time does not exist in `tz` (skipped when DST
/// starts), with the span of wall times the jump skips.
pub(super) fn to_instant(at: AtTime, tz: Tz) -> Result<DateTime<Utc>, SkippedTimeError> {
    match at {
        AtTime::Instant(instant) => Ok(instant),
        AtTime::Local(wall) => match resolve_wall(tz, wall) {
            Resolved::Single(t) | Resolved::Repeat { first: t, .. } => Ok(t),
            Resolved::Gap { skipped, .. } => Err(SkippedTimeError { wall, tz, skipped }),
        },
    }
}

/// The span of wall times a DST change skips or repeats, as a range of clock times:
/// `02:00-03:00`, or `23:00-24:00` for one that ends at the next midnight.
pub fn format_span(span: WallSpan) -> String {
    let end = if span.end.date() > span.start.date() && span.end.num_seconds_from_midnight() == 0 {
        "24:00".to_string()
    } else {
        span.end.format("%H:%M").to_string()
    };
    format!("{}-{end}", span.start.format("%H:%M"))
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

    fn wall(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn window_edges_resolve_in_the_zone() {
        let ny = chrono_tz::America::New_York;
        let santiago = chrono_tz::America::Santiago;
        let skipped = |tz, at: &str, start: &str, end: &str| {
            Err(SkippedTimeError {
                wall: wall(at),
                tz,
                skipped: WallSpan {
                    start: wall(start),
                    end: wall(end),
                },
            })
        };
        let table: Vec<(AtTime, Tz, Result<&str, SkippedTimeError>)> = vec![
            (local("2026-07-01 12:00:00"), ny, Ok("2026-07-01T16:00:00Z")),
            // Fall back: the first 01:30 is EDT.
            (local("2026-11-01 01:30:00"), ny, Ok("2026-11-01T05:30:00Z")),
            // Spring forward: 02:30 does not exist.
            (
                local("2026-03-08 02:30:00"),
                ny,
                skipped(
                    ny,
                    "2026-03-08 02:30:00",
                    "2026-03-08 02:00:00",
                    "2026-03-08 03:00:00",
                ),
            ),
            // Santiago skips the first hour of 2026-09-06.
            (
                local("2026-09-06 00:30:00"),
                santiago,
                skipped(
                    santiago,
                    "2026-09-06 00:30:00",
                    "2026-09-06 00:00:00",
                    "2026-09-06 01:00:00",
                ),
            ),
            (
                instant("2026-07-01T12:00:00Z"),
                ny,
                Ok("2026-07-01T12:00:00Z"),
            ),
        ];
        for (from, tz, expected) in table {
            let expected =
                expected.map(|t| DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc));
            assert_eq!(to_instant(from, tz), expected, "{from:?} in {tz}");
        }
    }

    #[test]
    fn spans_read_as_clock_times() {
        let span = |start: &str, end: &str| WallSpan {
            start: wall(start),
            end: wall(end),
        };
        let table = [
            (
                span("2026-03-08 02:00:00", "2026-03-08 03:00:00"),
                "02:00-03:00",
            ),
            (
                span("2026-10-04 02:00:00", "2026-10-04 02:30:00"),
                "02:00-02:30",
            ),
            (
                span("2026-04-04 23:00:00", "2026-04-05 00:00:00"),
                "23:00-24:00",
            ),
        ];
        for (span, expected) in table {
            assert_eq!(format_span(span), expected, "{span:?}");
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
