//! Durations as clock.yml writes them: `90s`, `5m`, `1h30m`, `2d`.
//!
//! Units are `d`, `h`, `m` and `s`, largest first, each at most once, in whole seconds:
//! nothing a clock dyno schedules needs less than a second, and one spelling per
//! duration keeps files easy to read. A bare number is an error rather than a guess at
//! its unit. This module owns the syntax and the canonical spelling ([`format`]); which
//! keys accept zero is the checker's business.

use std::fmt;
use std::time::Duration;

use crate::visible::visible;

/// The longest duration we accept (ten years), so arithmetic on instants cannot overflow.
pub(super) const MAX_DURATION: Duration = Duration::from_secs(3650 * 86_400);

/// Why a duration does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DurationError {
    Empty,
    /// Digits without a unit: `90`.
    BareNumber,
    /// A unit we do not know (`min`, `ms`, `w`), at a byte offset in the text.
    UnknownUnit {
        unit: String,
        at: usize,
    },
    /// A unit without digits before it, or a character that is neither (`-5m`, `1.5h`).
    Unexpected {
        found: char,
        at: usize,
    },
    /// Units out of order or repeated: `30m1h`, `5m5m`.
    Order {
        at: usize,
    },
    TooLong,
}

impl DurationError {
    /// The byte range inside the text that the error is about (the whole text when `None`).
    pub fn range(&self, text: &str) -> Option<std::ops::Range<usize>> {
        match self {
            DurationError::UnknownUnit { unit, at } => Some(*at..at + unit.len()),
            DurationError::Unexpected { found, at } => Some(*at..at + found.len_utf8()),
            DurationError::Order { at } => {
                let len = text[*at..]
                    .find(|c: char| c.is_ascii_alphabetic())
                    .map_or(1, |i| i + 1);
                Some(*at..at + len)
            }
            DurationError::Empty | DurationError::BareNumber | DurationError::TooLong => None,
        }
    }

    pub fn hint(&self) -> String {
        match self {
            DurationError::UnknownUnit { unit, .. } if unit == "ms" => {
                "durations are whole seconds: write 1s or more".to_owned()
            }
            DurationError::UnknownUnit { .. } | DurationError::Unexpected { .. } => {
                "units are d, h, m and s: write 90s, 5m or 1h30m".to_owned()
            }
            DurationError::Order { .. } => {
                "write units from largest to smallest, each once: 1h30m".to_owned()
            }
            DurationError::TooLong => "durations are at most 3650d".to_owned(),
            DurationError::Empty | DurationError::BareNumber => "write 90s, 5m or 1h30m".to_owned(),
        }
    }
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DurationError::Empty => f.write_str("empty duration"),
            DurationError::BareNumber => f.write_str("a duration needs a unit"),
            DurationError::UnknownUnit { unit, .. } => {
                write!(f, "unknown duration unit \"{}\"", visible(unit))
            }
            DurationError::Unexpected { found, .. } => {
                write!(
                    f,
                    "unexpected \"{}\" in a duration",
                    visible(found.encode_utf8(&mut [0; 4]))
                )
            }
            DurationError::Order { .. } => f.write_str("duration units out of order"),
            DurationError::TooLong => f.write_str("duration too long"),
        }
    }
}

/// Parses `90s`, `5m`, `1h30m`, `2d12h`.
///
/// # Errors
/// A [`DurationError`] saying what is wrong and where.
pub fn parse(text: &str) -> Result<Duration, DurationError> {
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DurationError::BareNumber);
    }
    let mut total: u64 = 0;
    // Index into UNITS of the smallest unit seen so far; the next must be smaller still.
    let mut next_unit = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let at = text.len() - rest.len();
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            let found = rest.chars().next().unwrap_or(' ');
            return Err(DurationError::Unexpected { found, at });
        }
        let unit_len = rest[digits..]
            .bytes()
            .take_while(u8::is_ascii_alphabetic)
            .count();
        let unit = &rest[digits..digits + unit_len];
        if unit_len == 0 {
            let found = rest[digits..].chars().next().unwrap_or(' ');
            return Err(DurationError::Unexpected {
                found,
                at: at + digits,
            });
        }
        let Some(index) = UNITS.iter().position(|(name, _)| *name == unit) else {
            return Err(DurationError::UnknownUnit {
                unit: unit.to_owned(),
                at: at + digits,
            });
        };
        if index < next_unit {
            return Err(DurationError::Order { at });
        }
        next_unit = index + 1;
        let amount: u64 = rest[..digits].parse().map_err(|_| DurationError::TooLong)?;
        total = amount
            .checked_mul(UNITS[index].1)
            .and_then(|seconds| total.checked_add(seconds))
            .ok_or(DurationError::TooLong)?;
        rest = &rest[digits + unit_len..];
    }
    let duration = Duration::from_secs(total);
    if duration > MAX_DURATION {
        return Err(DurationError::TooLong);
    }
    Ok(duration)
}

const UNITS: [(&str, u64); 4] = [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)];

/// The canonical spelling: `1h30m`, `2d`, `0s`. Sub-second parts are dropped.
pub fn format(duration: Duration) -> String {
    let mut seconds = duration.as_secs();
    if seconds == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (name, size) in UNITS {
        if seconds >= size {
            out.push_str(&format!("{}{name}", seconds / size));
            seconds %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        let table: &[(&str, u64)] = &[
            ("90s", 90),
            ("5m", 300),
            ("1h30m", 5_400),
            ("2d", 172_800),
            ("1d2h3m4s", 93_784),
            ("0s", 0),
            ("3650d", 3650 * 86_400),
        ];
        for (from, expected) in table {
            assert_eq!(parse(from), Ok(Duration::from_secs(*expected)), "{from}");
        }
    }

    #[test]
    fn rejects_with_a_located_reason() {
        let unknown = |unit: &str, at| DurationError::UnknownUnit {
            unit: unit.into(),
            at,
        };
        let table: &[(&str, DurationError)] = &[
            ("", DurationError::Empty),
            ("90", DurationError::BareNumber),
            ("500ms", unknown("ms", 3)),
            ("5min", unknown("min", 1)),
            ("1w", unknown("w", 1)),
            ("30m1h", DurationError::Order { at: 3 }),
            ("5m5m", DurationError::Order { at: 2 }),
            ("-5m", DurationError::Unexpected { found: '-', at: 0 }),
            ("1.5h", DurationError::Unexpected { found: '.', at: 1 }),
            ("5m ", DurationError::Unexpected { found: ' ', at: 2 }),
            ("h", DurationError::Unexpected { found: 'h', at: 0 }),
            ("3651d", DurationError::TooLong),
            ("99999999999999999999999s", DurationError::TooLong),
            ("999999999999999999d", DurationError::TooLong),
        ];
        for (from, expected) in table {
            assert_eq!(parse(from).as_ref(), Err(expected), "{from}");
        }
    }

    #[test]
    fn bare_numbers_get_the_spelling_hint() {
        assert_eq!(DurationError::BareNumber.hint(), "write 90s, 5m or 1h30m");
    }

    #[test]
    fn error_ranges_point_inside_the_text() {
        let table: &[(&str, std::ops::Range<usize>)] =
            &[("500ms", 3..5), ("30m1h", 3..5), ("1.5h", 1..2)];
        for (from, expected) in table {
            let error = parse(from).expect_err(from);
            assert_eq!(error.range(from), Some(expected.clone()), "{from}");
        }
    }

    #[test]
    fn formats_canonically_and_round_trips() {
        let table: &[(u64, &str)] = &[(0, "0s"), (90, "1m30s"), (5_400, "1h30m"), (172_800, "2d")];
        for (from, expected) in table {
            let formatted = format(Duration::from_secs(*from));
            assert_eq!(formatted, *expected);
            assert_eq!(parse(&formatted), Ok(Duration::from_secs(*from)));
        }
    }
}
