//! Parsing tables: the exact error (span, message, hint) for bad input, the warnings for
//! traps that still parse, and which wall times an expression matches.

use chrono::NaiveDateTime;

use super::{CronError, CronExpr};

/// (start, end, message, hint)
type Expected<'a> = (usize, usize, &'a str, Option<&'a str>);
/// (start, end, message)
type Warned<'a> = (usize, usize, &'a str);

fn err(text: &str) -> CronError {
    match CronExpr::parse(text) {
        Ok(_) => panic!("`{text}` parsed, expected an error"),
        Err(e) => e,
    }
}

#[test]
fn errors_point_at_the_token_and_say_what_is_allowed() {
    // {expression, expected (start, end, message, hint)}
    let cases: &[(&str, Expected)] = &[
        (
            "0 0 * *",
            (
                0,
                7,
                "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds, found 4",
                Some("e.g. \"*/5 * * * *\" runs every 5 minutes"),
            ),
        ),
        // Six fields whose last looks like a year: the seven-field habit without seconds.
        (
            "0 0 1 1 * 2027",
            (
                10,
                14,
                "\"2027\" looks like a year, and a year field is not supported",
                Some(
                    "six fields mean a leading seconds field (second minute hour day-of-month \
                     month day-of-week); remove the year, and use `start:` and `end:` to keep \
                     the runs inside a year, or `at:` for a single run",
                ),
            ),
        ),
        (
            "0 9 31 12 * 2027-2028",
            (
                12,
                21,
                "\"2027-2028\" looks like a year, and a year field is not supported",
                Some(
                    "six fields mean a leading seconds field (second minute hour day-of-month \
                     month day-of-week); remove the year, and use `start:` and `end:` to keep \
                     the runs inside a year, or `at:` for a single run",
                ),
            ),
        ),
        // A day of the week that is merely too large is still just out of range.
        (
            "0 0 1 1 * 8",
            (
                10,
                11,
                "day-of-week 8 is out of range 0-7",
                Some("0 and 7 are both Sunday"),
            ),
        ),
        (
            "0 0 * * * * 2026",
            (
                0,
                16,
                "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds, found 7",
                Some("a seventh (year) field is not supported; remove it"),
            ),
        ),
        (
            "",
            (
                0,
                0,
                "the cron expression is empty",
                Some("write five fields, e.g. \"0 17 * * mon-fri\""),
            ),
        ),
        ("61 * * * *", (0, 2, "minute 61 is out of range 0-59", None)),
        ("0 24 * * *", (2, 4, "hour 24 is out of range 0-23", None)),
        (
            "0 0 0 * *",
            (4, 5, "day-of-month 0 is out of range 1-31", None),
        ),
        ("0 0 * 13 *", (6, 8, "month 13 is out of range 1-12", None)),
        (
            "0 0 * * 8",
            (
                8,
                9,
                "day-of-week 8 is out of range 0-7",
                Some("0 and 7 are both Sunday"),
            ),
        ),
        (
            "0 0 * * mnd",
            (
                8,
                11,
                "unknown weekday name \"mnd\"",
                Some("did you mean \"mon\"?"),
            ),
        ),
        (
            "0 0 * * monday",
            (
                8,
                14,
                "unknown weekday name \"monday\"",
                Some("use the three-letter name \"mon\""),
            ),
        ),
        (
            "0 0 * jnu *",
            (
                6,
                9,
                "unknown month name \"jnu\"",
                Some("did you mean \"jun\"?"),
            ),
        ),
        (
            "0 0 * * fri-mon",
            (
                8,
                15,
                "day-of-week range fri-mon runs backwards",
                Some("ranges go from low to high; to wrap around, write two: \"fri-6,0-mon\""),
            ),
        ),
        (
            "*/0 * * * *",
            (
                2,
                3,
                "step 0 in minute field: a step must be at least 1",
                None,
            ),
        ),
        (
            "*/x * * * *",
            (
                2,
                3,
                "step \"x\" is not a whole number",
                Some("a step looks like */5 or 10-50/5"),
            ),
        ),
        (
            "0 0,,1 * * *",
            (
                3,
                4,
                "empty entry in the hour list",
                Some("remove the extra comma"),
            ),
        ),
        (
            "a * * * *",
            (
                0,
                1,
                "minute \"a\" is not a number",
                Some("write a number from 0 to 59"),
            ),
        ),
        (
            "L * * * *",
            (
                0,
                1,
                "minute \"L\" is not a number",
                Some(
                    "L and W belong in the day-of-month field (L, L-3, 15W, LW); L and # in day-of-week (5L, 5#3)",
                ),
            ),
        ),
        (
            "0 0 * * 5#6",
            (
                10,
                11,
                "\"#6\": the week number after # must be 1 to 5 (a month has at most five of any weekday)",
                None,
            ),
        ),
        (
            "0 0 * * L",
            (
                8,
                9,
                "a lone L in day-of-week is ambiguous",
                Some("write 6 (or sat) for Saturday, or 5L for the last Friday"),
            ),
        ),
        (
            "0 0 L-31 * *",
            (
                4,
                8,
                "\"L-31\": L-n needs n from 0 to 30 (days before the last)",
                None,
            ),
        ),
        (
            "@reboot",
            (
                0,
                7,
                "unknown macro \"@reboot\" (allowed: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)",
                Some("a clock dyno has no boot of its own to hook; use `at:` for a single run"),
            ),
        ),
        (
            "@dialy",
            (
                0,
                6,
                "unknown macro \"@dialy\" (allowed: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)",
                Some("did you mean \"@daily\"?"),
            ),
        ),
        (
            "@daily 0",
            (
                7,
                8,
                "@daily stands for a whole expression; nothing may follow it",
                Some("write either \"@daily\" or \"0 0 * * *\""),
            ),
        ),
    ];
    for &(text, (start, end, message, hint)) in cases {
        let e = err(text);
        assert_eq!(
            (e.start, e.end, e.message.as_str(), e.hint.as_deref()),
            (start, end, message, hint),
            "`{text}`"
        );
    }
}

#[test]
fn warnings_name_uneven_steps_and_either_or_days() {
    // {expression, expected (start, end, message)}
    let cases: &[(&str, &[Warned])] = &[
        (
            "*/45 * * * *",
            &[(
                0,
                4,
                "`*/45` runs at :00 and :45 of every hour, not every 45 minutes: the step starts again each hour, so the last gap is 15 minutes",
            )],
        ),
        (
            "0 */5 * * *",
            &[(
                2,
                5,
                "`*/5` runs at 00:00, 05:00, 10:00, 15:00 and 20:00 of every day, not every 5 hours: the step starts again each day, so the last gap is 4 hours",
            )],
        ),
        (
            "*/7 * * * * *",
            &[(
                0,
                3,
                "`*/7` runs at :00, :07, … :56 of every minute, not every 7 seconds: the step starts again each minute, so the last gap is 4 seconds",
            )],
        ),
        (
            "0 0 1-7 * mon",
            &[(
                4,
                13,
                "both day-of-month (1-7) and day-of-week (mon) are restricted, so a day matches when EITHER matches (cron's rule), not when both do",
            )],
        ),
        ("*/15 */6 * * *", &[]),
        ("5/20 * * * *", &[]),
        ("*/60 * * * *", &[]),
        ("0 0 * * mon#1", &[]),
        ("@hourly", &[]),
    ];
    for &(text, expected) in cases {
        let expr = CronExpr::parse(text).unwrap_or_else(|e| panic!("`{text}`: {e}"));
        let got: Vec<(usize, usize, &str)> = expr
            .warnings
            .iter()
            .map(|w| (w.start, w.end, w.message.as_str()))
            .collect();
        assert_eq!(got, expected, "`{text}`");
    }
    let hint = CronExpr::parse("*/45 * * * *")
        .ok()
        .and_then(|e| e.warnings()[0].hint.clone());
    assert_eq!(
        hint.as_deref(),
        Some("for a run every 45 minutes around the clock, use `every: 45m`")
    );
}

#[test]
fn matches_follows_the_fields() {
    let w = |s: &str| -> NaiveDateTime { s.parse().expect("test wall time") };
    // {expression, wall time, expected}
    let cases = [
        ("0 17 * * mon-fri", "2026-11-30T17:00:00", true),
        ("0 17 * * mon-fri", "2026-11-29T17:00:00", false),
        ("0 17 * * mon-fri", "2026-11-30T17:00:01", false),
        ("30 0 17 * * *", "2026-11-30T17:00:30", true),
        ("0 0 L * *", "2026-11-30T00:00:00", true),
        ("0 0 L * *", "2026-11-29T00:00:00", false),
        ("0 0 * * 1#5", "2026-11-30T00:00:00", true),
        ("0 0 * DEC,Jan *", "2026-12-01T00:00:00", true),
        ("0 0 * DEC,Jan *", "2026-11-01T00:00:00", false),
    ];
    for (text, wall, expected) in cases {
        let expr = CronExpr::parse(text).unwrap_or_else(|e| panic!("`{text}`: {e}"));
        assert_eq!(expr.matches(w(wall)), expected, "`{text}` at {wall}");
    }
}

#[test]
fn fixed_time_is_five_fields_with_fixed_minute_and_hour() {
    // {expression, expected}
    let cases = [
        ("30 2 * * *", true),
        ("0,30 9-17 * * mon-fri", true),
        ("@daily", true),
        ("@hourly", false),
        ("*/5 * * * *", false),
        ("0 * * * *", false),
        ("* 2 * * *", false),
        ("? 2 * * *", false),
        ("0 30 2 * * *", false),
    ];
    for (text, expected) in cases {
        let expr = CronExpr::parse(text).unwrap_or_else(|e| panic!("`{text}`: {e}"));
        assert_eq!(expr.is_fixed_time(), expected, "`{text}`");
    }
}

#[test]
fn months_without_a_matching_day_are_named() {
    // {expression, expected warning messages}
    let cases: &[(&str, &[&str])] = &[
        (
            "0 0 31 * *",
            &[
                "no day in February, April, June, September and November matches day-of-month `31`, so the job skips those months",
            ],
        ),
        (
            "0 0 30 * *",
            &["no day in February matches day-of-month `30`, so the job skips that month"],
        ),
        (
            "0 0 30 1-3 *",
            &["no day in February matches day-of-month `30`, so the job skips that month"],
        ),
        ("0 0 29 2 *", &[]),
        ("0 0 L * *", &[]),
        ("0 0 31 jan,mar *", &[]),
    ];
    for &(text, expected) in cases {
        let expr = CronExpr::parse(text).unwrap_or_else(|e| panic!("`{text}`: {e}"));
        let got: Vec<&str> = expr.warnings.iter().map(|w| w.message.as_str()).collect();
        assert_eq!(got, expected, "`{text}`");
    }
    let span = CronExpr::parse("0 0 31 * *").map(|e| (e.warnings[0].start, e.warnings[0].end));
    assert_eq!(span, Ok((4, 6)));
}

#[test]
fn missing_parts_point_at_their_separator() {
    // {expression, expected (start, end, message)}
    let cases: &[(&str, Warned)] = &[
        ("0 0 * * 1,", (9, 10, "empty entry in the day-of-week list")),
        (",0 0 * * *", (0, 1, "empty entry in the minute list")),
        ("0 0 * * 1-", (9, 10, "missing day-of-week value")),
        ("0 0 * * #2", (8, 9, "missing day-of-week value")),
    ];
    for &(text, (start, end, message)) in cases {
        let e = err(text);
        assert_eq!(
            (e.start, e.end, e.message.as_str()),
            (start, end, message),
            "`{text}`"
        );
    }
    // A step larger than any range is not an error: it just ends the range.
    let huge = CronExpr::parse("*/4294967295 * * * *").map(|e| e.fields().minutes);
    assert_eq!(huge, Ok(1));
}

mod props {
    use proptest::prelude::*;

    use super::CronExpr;

    proptest! {
        #[test]
        fn parse_never_panics_and_errors_stay_inside_the_text(text in "[0-9a-zA-Z*/,#?@LW -]{0,30}") {
            if let Err(e) = CronExpr::parse(&text) {
                prop_assert!(e.start <= e.end && e.end <= text.len(), "{e:?} for {text:?}");
                prop_assert!(text.is_char_boundary(e.start) && text.is_char_boundary(e.end));
                prop_assert!(e.end > e.start || text.trim().is_empty(), "{e:?} for {text:?}");
            }
        }

        #[test]
        fn parse_never_panics_on_any_text(text in "\\PC{0,40}") {
            if let Err(e) = CronExpr::parse(&text) {
                prop_assert!(e.end <= text.len() && text.is_char_boundary(e.start) && text.is_char_boundary(e.end));
            }
        }
    }
}
