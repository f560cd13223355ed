//! The parsed form of a cron expression: one bit set per field, the day-field extensions
//! (`L`, `W`, `#`) and Debian's star flags, plus a table of matching days for every shape
//! of month. Parsing lives in `parse`, searching in `next`; this module only says which
//! values match.

use super::calendar;

/// Bit sets of the values each field matches, and what the day fields need beyond bits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fields {
    /// Bits 0..=59. Only bit 0 for a five-field expression.
    pub seconds: u64,
    /// Bits 0..=59.
    pub minutes: u64,
    /// Bits 0..=23.
    pub hours: u32,
    /// Bits 1..=12.
    pub months: u32,
    /// The day-of-month and day-of-week fields, as the parser collected them.
    pub days: DayFields,
    /// Written with a leading seconds field.
    pub has_seconds: bool,
    /// Five fields whose minute and hour fields both name fixed values (neither begins
    /// with `*`): such a job keeps wall-clock appointments across DST (see `timeline`).
    pub fixed_time: bool,
    /// `day_table[weekday of the 1st][days in month - 28]`: the matching days (bits 1..=31)
    /// of a month of that shape. Every month has one of 7 × 4 shapes, so the search never
    /// evaluates the day rules per day.
    day_table: [[u32; 4]; 7],
}

impl Fields {
    /// Builds the day table once the field sets are final.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        seconds: u64,
        minutes: u64,
        hours: u32,
        months: u32,
        days: DayFields,
        has_seconds: bool,
        fixed_time: bool,
    ) -> Fields {
        let mut fields = Fields {
            seconds,
            minutes,
            hours,
            months,
            days,
            has_seconds,
            fixed_time,
            day_table: [[0; 4]; 7],
        };
        for first in 0..7u32 {
            for len in 28..=31u32 {
                fields.day_table[first as usize][(len - 28) as usize] =
                    days.compute_day_mask(first, len);
            }
        }
        fields
    }

    /// The matching days (bits 1..=31) of `month` in `year`.
    #[inline]
    pub(crate) fn day_mask(&self, year: i32, month: u32) -> u32 {
        let first = calendar::weekday(year, month, 1);
        let len = calendar::days_in_month(year, month);
        self.day_table[first as usize][(len - 28) as usize]
    }

    /// The matching days of a month shaped `first` (weekday of the 1st), `len` days long.
    pub(crate) fn day_mask_for_shape(&self, first: u32, len: u32) -> u32 {
        self.day_table[first as usize][(len - 28) as usize]
    }

    /// Whether any month this expression names has a matching day in some year. The
    /// Gregorian calendar repeats every 400 years and in that cycle every month starts on
    /// every weekday (February on every weekday in both leap and common years), so checking
    /// the month shapes is exact.
    pub(crate) fn fires_ever(&self) -> bool {
        (1..=12u32).any(|m| self.fires_in_month(m))
    }

    /// Whether month `m` (1-12) is selected and has a matching day in some year.
    pub(crate) fn fires_in_month(&self, m: u32) -> bool {
        if self.months & (1 << m) == 0 {
            return false;
        }
        let lens: &[u32] = match m {
            2 => &[28, 29],
            4 | 6 | 9 | 11 => &[30],
            _ => &[31],
        };
        lens.iter()
            .any(|&len| (0..7).any(|first| self.day_mask_for_shape(first, len) != 0))
    }
}

/// The day-field part of an expression, as the parser collects it: the plain values, the
/// `L`/`W`/`#` extensions and Debian's star flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct DayFields {
    /// Plain day-of-month values, bits 1..=31.
    pub dom: u32,
    /// Bit n set: `L-n` (the day n days before the last; `L` is `L-0`).
    pub dom_last: u32,
    /// Bit n set: `nW`, the weekday nearest to day n inside the month.
    pub dom_nearest_weekday: u32,
    /// `LW`: the last weekday (Monday to Friday) of the month.
    pub dom_last_weekday: bool,
    /// Plain day-of-week values, bits 0..=6 (Sunday = 0).
    pub dow: u32,
    /// Weekday bits with `L`: the last such weekday of the month (`5L`).
    pub dow_last: u32,
    /// Per weekday, bit k (1..=5) set for `#k`: the k-th such weekday of the month.
    pub dow_nth: [u8; 7],
    /// Debian's DOM_STAR: the day-of-month field begins with `*` (or is `?`).
    pub dom_star: bool,
    /// Debian's DOW_STAR: the day-of-week field begins with `*` (or is `?`).
    pub dow_star: bool,
}

impl DayFields {
    /// Bit operations per weekday rather than a loop per day: parsing builds 28 of
    /// these, and config parses thousands of expressions.
    fn compute_day_mask(&self, first: u32, len: u32) -> u32 {
        let valid: u32 = ((1u64 << (len + 1)) - 2) as u32; // bits 1..=len
        let weekday_of = |day: u32| (first + day - 1) % 7;

        let mut dom = self.dom & valid;
        for n in set_bits(self.dom_last) {
            if n < len {
                dom |= 1 << (len - n);
            }
        }
        for n in set_bits(self.dom_nearest_weekday) {
            if n <= len {
                dom |= 1 << nearest_weekday(n, len, weekday_of(n));
            }
        }
        if self.dom_last_weekday {
            // The last day, stepped back off a weekend.
            let last = match weekday_of(len) {
                6 => len - 1,
                0 => len - 2,
                _ => len,
            };
            dom |= 1 << last;
        }

        let mut dow = 0u32;
        for wd in 0..7u32 {
            // The first day of the month falling on `wd`, then every 7 days.
            let first_day = (wd + 7 - first) % 7 + 1;
            let days = (EVERY_SEVENTH_DAY << first_day) & valid;
            if self.dow & (1 << wd) != 0 {
                dow |= days;
            }
            if self.dow_last & (1 << wd) != 0 {
                dow |= 1 << (31 - days.leading_zeros());
            }
            for k in set_bits(u32::from(self.dow_nth[wd as usize])) {
                let day = first_day + 7 * (k - 1);
                if day <= len {
                    dow |= 1 << day;
                }
            }
        }

        // Debian cron: `(dom_star || dow_star) ? (dom && dow) : (dom || dow)`.
        if self.dom_star || self.dow_star {
            dom & dow
        } else {
            dom | dow
        }
    }
}

/// `nW`: the weekday nearest to day `n` without leaving the month (Quartz's rule: a
/// Saturday moves to Friday unless that is in the previous month, then to Monday; a Sunday
/// moves to Monday unless that is in the next month, then to Friday).
fn nearest_weekday(n: u32, len: u32, weekday: u32) -> u32 {
    match weekday {
        6 if n == 1 => 3,
        6 => n - 1,
        0 if n == len => n - 2,
        0 => n + 1,
        _ => n,
    }
}

/// Bits 0, 7, 14, 21 and 28: one weekday's days, shifted to start on its first day.
const EVERY_SEVENTH_DAY: u32 = 1 | 1 << 7 | 1 << 14 | 1 << 21 | 1 << 28;

/// The positions of the set bits of `mask`, lowest first.
fn set_bits(mut mask: u32) -> impl Iterator<Item = u32> {
    std::iter::from_fn(move || {
        (mask != 0).then(|| {
            let bit = mask.trailing_zeros();
            mask &= mask - 1;
            bit
        })
    })
}

/// The lowest set bit of `mask` at or above `from`.
#[inline]
pub(crate) fn next_bit(mask: u64, from: u32) -> Option<u32> {
    if from >= 64 {
        return None;
    }
    let rest = mask & (u64::MAX << from);
    (rest != 0).then(|| rest.trailing_zeros())
}

#[cfg(test)]
mod tests {
    use chrono::{Datelike, NaiveDate};

    use super::super::CronExpr;
    use super::*;

    /// The day rules evaluated one day at a time with chrono's calendar: an independent
    /// oracle for the bit tricks of `compute_day_mask`.
    fn oracle(f: &DayFields, date: NaiveDate) -> bool {
        let len = date.with_day(1).map_or(31, |first| {
            (28..=31)
                .rev()
                .find(|&l| first.with_day(l).is_some())
                .unwrap_or(28)
        });
        let day = date.day();
        let wd = date.weekday().num_days_from_sunday();
        let is_workday = |d: u32| {
            date.with_day(d)
                .is_some_and(|x| (1..=5).contains(&x.weekday().num_days_from_sunday()))
        };
        let mut dom = f.dom & (1 << day) != 0;
        dom |= (0..31).any(|n| f.dom_last & (1 << n) != 0 && n < len && len - n == day);
        dom |= (1..=len).any(|n| {
            if f.dom_nearest_weekday & (1 << n) == 0 {
                return false;
            }
            // The closest weekday to n inside the month, earlier on a tie.
            let target = (1..=len)
                .filter(|&d| is_workday(d))
                .min_by_key(|&d| (d.abs_diff(n), d))
                .unwrap_or(n);
            target == day
        });
        dom |= f.dom_last_weekday && (1..=len).rev().find(|&d| is_workday(d)) == Some(day);
        let dow = f.dow & (1 << wd) != 0
            || (f.dow_last & (1 << wd) != 0 && day + 7 > len)
            || f.dow_nth[wd as usize] & (1 << ((day - 1) / 7 + 1)) != 0;
        if f.dom_star || f.dow_star {
            dom && dow
        } else {
            dom || dow
        }
    }

    #[test]
    fn day_table_agrees_with_a_day_by_day_oracle() {
        let doms = [
            "*", "1", "15", "31", "L", "L-3", "*/2", "1-7", "1W", "15W", "31W", "LW", "?", "2,L",
        ];
        let dows = [
            "*",
            "mon-fri",
            "0",
            "7",
            "5L",
            "sunL",
            "2#2",
            "6#5",
            "sat,sun",
            "?",
            "*/3",
            "1-3,5L,0#1",
        ];
        for dom in doms {
            for dow in dows {
                let text = format!("0 0 {dom} * {dow}");
                let expr = CronExpr::parse(&text).unwrap_or_else(|e| panic!("`{text}`: {e}"));
                let f = expr.fields();
                let mut date = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
                while date.year() < 2029 {
                    let expected = oracle(&f.days, date);
                    let got = f.day_mask(date.year(), date.month()) & (1 << date.day()) != 0;
                    assert_eq!(got, expected, "`{text}` on {date}");
                    date = date.succ_opt().expect("date");
                }
            }
        }
    }
}
