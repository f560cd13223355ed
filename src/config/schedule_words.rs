//! A [`ScheduleError`] in words: the one place that says what a schedule the engine
//! refused means and what to do.
//!
//! The schedule engine reports *what* is wrong as data; the checker places that in the
//! file (which value to underline) and `clockctl next --cron/--every` prints it for one
//! expression. Both take their message and hint from [`describe`], so the same mistake
//! reads the same wherever it is found.

use super::duration;
use crate::schedule::{MAX_EVERY, MIN_EVERY, ScheduleError};

/// What the words may mention beyond the error itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScheduleContext<'a> {
    /// The job has `start:` or `end:`, so "never fires" may be the window's doing.
    pub windowed: bool,
    /// Said after the jitter when it came from `defaults:`: ` (from defaults, in job "x")`.
    pub jitter_origin: &'a str,
}

/// The message and the hint for `error`.
pub fn describe(error: &ScheduleError, context: ScheduleContext<'_>) -> (String, Option<String>) {
    match error {
        ScheduleError::NeverFires => (
            "this schedule never fires".to_owned(),
            Some(if context.windowed {
                "no run falls between start and end".to_owned()
            } else {
                "check the day of month against the months (February has no 30th)".to_owned()
            }),
        ),
        ScheduleError::IntervalOutOfRange { interval } => (
            format!("every: {} is out of range", duration::format(*interval)),
            Some(format!(
                "every is from {} to {}",
                duration::format(MIN_EVERY),
                duration::format(MAX_EVERY)
            )),
        ),
        ScheduleError::JitterTooLong { jitter, min_gap } => (
            format!(
                "jitter {}{} is not shorter than the shortest gap between runs ({})",
                duration::format(*jitter),
                context.jitter_origin,
                duration::format(*min_gap)
            ),
            Some("a run delayed that much could pass the next one; use a smaller jitter".into()),
        ),
        ScheduleError::EmptyWindow => ("end must be after start".to_owned(), None),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn each_error_has_its_words() {
        let table: &[(ScheduleError, ScheduleContext<'_>, &str, Option<&str>)] = &[
            (
                ScheduleError::NeverFires,
                ScheduleContext::default(),
                "this schedule never fires",
                Some("check the day of month against the months (February has no 30th)"),
            ),
            (
                ScheduleError::NeverFires,
                ScheduleContext {
                    windowed: true,
                    ..ScheduleContext::default()
                },
                "this schedule never fires",
                Some("no run falls between start and end"),
            ),
            (
                ScheduleError::IntervalOutOfRange {
                    interval: Duration::from_secs(40 * 86_400),
                },
                ScheduleContext::default(),
                "every: 40d is out of range",
                Some("every is from 1s to 31d"),
            ),
            (
                ScheduleError::JitterTooLong {
                    jitter: Duration::from_secs(120),
                    min_gap: Duration::from_secs(60),
                },
                ScheduleContext {
                    jitter_origin: " (from defaults, in job \"a\")",
                    ..ScheduleContext::default()
                },
                "jitter 2m (from defaults, in job \"a\") is not shorter than the shortest gap between runs (1m)",
                Some("a run delayed that much could pass the next one; use a smaller jitter"),
            ),
            (
                ScheduleError::EmptyWindow,
                ScheduleContext::default(),
                "end must be after start",
                None,
            ),
        ];
        for (error, context, message, hint) in table {
            let (m, h) = describe(error, *context);
            assert_eq!((m.as_str(), h.as_deref()), (*message, *hint), "{error:?}");
        }
    }
}
