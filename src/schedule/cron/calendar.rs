//! The proleptic Gregorian calendar as plain integer arithmetic: day numbers, weekdays and
//! month lengths. The cron search calls these in its inner loop, so they avoid building
//! `chrono` dates (which validate every component) and never fail.

/// Days since 1970-01-01 of a civil date (Howard Hinnant's `days_from_civil`).
pub(crate) fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The weekday of a civil date, 0 = Sunday … 6 = Saturday (cron's numbering).
pub(crate) fn weekday(year: i32, month: u32, day: u32) -> u32 {
    // 1970-01-01 was a Thursday (4).
    (days_from_civil(year, month, day) + 4).rem_euclid(7) as u32
}

pub(crate) fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// 28 to 31.
pub(crate) fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekdays_match_known_dates() {
        // {date, expected weekday}
        let cases = [
            ((1970, 1, 1), 4),
            ((2000, 2, 29), 2),
            ((2026, 11, 30), 1),
            ((1900, 3, 1), 4),
            ((2100, 3, 1), 1),
            ((1969, 12, 31), 3),
        ];
        for ((y, m, d), expected) in cases {
            assert_eq!(weekday(y, m, d), expected, "{y}-{m}-{d}");
        }
    }

    #[test]
    fn month_lengths_follow_the_leap_rules() {
        let cases = [
            ((2024, 2), 29),
            ((2023, 2), 28),
            ((1900, 2), 28),
            ((2000, 2), 29),
            ((2026, 4), 30),
            ((2026, 12), 31),
        ];
        for ((y, m), expected) in cases {
            assert_eq!(days_in_month(y, m), expected, "{y}-{m}");
        }
    }
}
