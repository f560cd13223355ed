//! The wall-clock search: the first local date-time at or after a given one that matches
//! every field. Knows nothing of zones or DST (`timeline` maps wall times to instants).
//!
//! The search walks month → day → hour → minute → second, jumping with bit scans and
//! resetting the smaller units whenever a larger one moves, so one call costs a handful of
//! bit operations however far away the match is. It gives up after [`SEARCH_YEARS`]: the
//! calendar repeats every 400 years, so an expression with no match by then has none.

use chrono::{NaiveDate, NaiveDateTime, Timelike};

use super::fields::{Fields, next_bit};

/// How far the search looks before deciding there is no match.
pub(crate) const SEARCH_YEARS: i32 = 401;

impl Fields {
    /// The first wall time strictly after `after` that matches, or `None` when nothing
    /// matches within [`SEARCH_YEARS`] (or the calendar runs out).
    #[inline]
    pub(crate) fn next_wall_after(&self, after: NaiveDateTime) -> Option<NaiveDateTime> {
        // Whole seconds only: a match is always on a second, and the second of `after`
        // itself is excluded whatever its fraction.
        let from = after
            .with_nanosecond(0)?
            .checked_add_signed(chrono::TimeDelta::seconds(1))?;
        self.next_wall_from(from)
    }

    /// The first wall time at or after `from` (taken to the whole second) that matches.
    pub(crate) fn next_wall_from(&self, from: NaiveDateTime) -> Option<NaiveDateTime> {
        use chrono::Datelike;
        let limit = from.year().checked_add(SEARCH_YEARS)?;
        let (mut year, mut month, mut day) = (from.year(), from.month(), from.day());
        let (mut hour, mut minute, mut second) = (from.hour(), from.minute(), from.second());
        loop {
            if year > limit {
                return None;
            }
            match next_bit(u64::from(self.months), month) {
                Some(m) if m == month => {}
                Some(m) => {
                    (month, day, hour, minute, second) = (m, 1, 0, 0, 0);
                }
                None => {
                    (year, month, day, hour, minute, second) = (year + 1, 1, 1, 0, 0, 0);
                    continue;
                }
            }
            match next_bit(u64::from(self.day_mask(year, month)), day) {
                Some(d) if d == day => {}
                Some(d) => {
                    (day, hour, minute, second) = (d, 0, 0, 0);
                }
                None => {
                    (month, day, hour, minute, second) = (month + 1, 1, 0, 0, 0);
                    continue;
                }
            }
            match next_bit(u64::from(self.hours), hour) {
                Some(h) if h == hour => {}
                Some(h) => {
                    (hour, minute, second) = (h, 0, 0);
                }
                None => {
                    (day, hour, minute, second) = (day + 1, 0, 0, 0);
                    continue;
                }
            }
            match next_bit(self.minutes, minute) {
                Some(m) if m == minute => {}
                Some(m) => {
                    (minute, second) = (m, 0);
                }
                None => {
                    (hour, minute, second) = (hour + 1, 0, 0);
                    continue;
                }
            }
            match next_bit(self.seconds, second) {
                Some(s) => second = s,
                None => {
                    (minute, second) = (minute + 1, 0);
                    continue;
                }
            }
            return NaiveDate::from_ymd_opt(year, month, day)?.and_hms_opt(hour, minute, second);
        }
    }
}
