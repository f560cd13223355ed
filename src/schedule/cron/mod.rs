//! The cron dialect: parsing an expression into field sets and matching wall times.
//!
//! Debian cron's rules (five fields, names, `*/n`, Sunday as 0 or 7, the either/or rule
//! when both day fields are restricted) plus a leading seconds field, `?`, `L`, `W`, `#`
//! and the `@` macros. An expression here only knows wall-clock times; which instants
//! those are in a zone, DST included, is [`super::timeline`]'s job.

mod calendar;
mod fields;
mod gap;
mod next;
mod parse;

use std::fmt;
use std::sync::OnceLock;

use chrono::NaiveDateTime;

pub(crate) use fields::{DayFields, Fields};

/// A parsed cron expression (5 fields, 6 with seconds, or a `@macro`).
#[derive(Debug, Clone)]
pub struct CronExpr {
    source: String,
    /// Boxed: the day table makes it large, and `Schedule` holds a `CronExpr` inline.
    fields: Box<Fields>,
    warnings: Vec<CronWarning>,
    /// `min_gap_seconds`, worked out on first use (validation asks twice per job).
    min_gap: OnceLock<Option<u64>>,
}

impl PartialEq for CronExpr {
    fn eq(&self, other: &Self) -> bool {
        // The cache is not part of the value.
        self.source == other.source && self.fields == other.fields
    }
}

impl Eq for CronExpr {}

/// Why an expression does not parse: the byte range of the offending token inside the
/// expression text, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronError {
    /// Byte offset of the offending token in the expression.
    pub start: usize,
    /// Byte offset just past the offending token.
    pub end: usize,
    pub message: String,
    pub hint: Option<String>,
}

/// A trap in an expression that still parses (a validation warning), with its byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronWarning {
    pub start: usize,
    pub end: usize,
    pub message: String,
    pub hint: Option<String>,
}

impl CronExpr {
    /// Parses `text`.
    ///
    /// # Errors
    /// A [`CronError`] that points at the offending token (`minute 61 is out of range
    /// 0-59`, `unknown weekday name "mnd"`, a wrong field count, …).
    pub fn parse(text: &str) -> Result<CronExpr, CronError> {
        let (fields, warnings) = parse::parse(text)?;
        Ok(CronExpr {
            source: text.to_string(),
            fields: Box::new(fields),
            warnings,
            min_gap: OnceLock::new(),
        })
    }

    /// Warnings for traps, e.g. a step that does not divide its range (`*/45`), or both
    /// day fields restricted (cron then runs on days matching either).
    pub fn warnings(&self) -> Vec<CronWarning> {
        self.warnings.clone()
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the expression names fixed wall-clock times (five fields, and neither the
    /// minute nor the hour field begins with `*`). Such jobs keep their appointment across
    /// DST: a run in a skipped hour happens right after the jump, a repeated hour runs once.
    /// All others follow elapsed time.
    pub fn is_fixed_time(&self) -> bool {
        self.fields.fixed_time
    }

    /// Whether the expression has a leading seconds field.
    pub fn has_seconds(&self) -> bool {
        self.fields.has_seconds
    }

    /// Whether some day ever matches (in the 400-year Gregorian cycle).
    pub fn fires_ever(&self) -> bool {
        self.fields.fires_ever()
    }

    /// Whether the wall time `wall` matches every field.
    pub fn matches(&self, wall: NaiveDateTime) -> bool {
        use chrono::{Datelike, Timelike};
        let f = &self.fields;
        let bit = |mask: u64, v: u32| mask & (1u64 << v) != 0;
        bit(f.seconds, wall.second())
            && bit(f.minutes, wall.minute())
            && bit(u64::from(f.hours), wall.hour())
            && bit(u64::from(f.months), wall.month())
            && bit(u64::from(f.day_mask(wall.year(), wall.month())), wall.day())
    }

    /// The first wall time strictly after `after` that matches, within 400 years.
    pub fn next_wall_after(&self, after: NaiveDateTime) -> Option<NaiveDateTime> {
        self.fields.next_wall_after(after)
    }

    /// Seconds between the two closest consecutive matches on the wall clock (`None` when
    /// it never fires).
    pub(crate) fn min_gap_seconds(&self) -> Option<u64> {
        *self.min_gap.get_or_init(|| self.fields.min_gap_seconds())
    }

    pub(crate) fn fields(&self) -> &Fields {
        &self.fields
    }
}

impl fmt::Display for CronError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for CronWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CronError {}

#[cfg(test)]
mod tests;
