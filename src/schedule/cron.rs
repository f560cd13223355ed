//! The cron dialect: parsing an expression into field sets and matching wall times.
//! (Interface fixed by the skeleton; the schedule work fills in the bodies.)

use std::fmt;

/// A parsed cron expression (5 fields, 6 with seconds, or a `@macro`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronExpr {
    source: String,
}

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
    /// A [`CronError`] that points at the offending token.
    pub fn parse(text: &str) -> Result<CronExpr, CronError> {
        let _ = text;
        todo!()
    }

    /// Warnings for traps, e.g. a step that does not divide its range (`*/45`).
    pub fn warnings(&self) -> Vec<CronWarning> {
        todo!()
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }
}

impl fmt::Display for CronError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
