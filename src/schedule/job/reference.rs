//! An independent reference for `next_after`, and the tests that compare the two.
//!
//! The reference reads cron text with its own small parser, matches a wall time one field
//! at a time with chrono's calendar, and finds the next run by stepping through real time
//! a minute (or, with seconds, a second) at a time, reading the wall clock with chrono-tz
//! directly. It shares nothing with `cron`, `dst` or `timeline`: it is slow and plain on
//! purpose, so that a bug there shows here as a disagreement. The DST rules it encodes are
//! the documented ones: a fixed-time job runs when the clock first reaches or passes a
//! matching wall time (so a skipped time runs right after the jump, and a repeated one
//! only in its first pass); every other job runs at every instant whose wall time matches.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeDelta, Timelike, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

use crate::schedule::{CronExpr, JobSchedule, Schedule};

/// A day-of-month entry.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Dom {
    Day(u32),
    /// `L-n` (`L` is `L-0`): n days before the last day.
    BeforeLast(u32),
    /// `LW`: the last Monday-to-Friday of the month.
    LastWeekday,
    /// `nW`: the Monday-to-Friday closest to day n inside the month.
    NearestWeekday(u32),
}

/// A day-of-week entry (Sunday = 0).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Dow {
    Weekday(u32),
    /// `5L`: the last such weekday of the month.
    Last(u32),
    /// `5#3`: the k-th such weekday of the month.
    Nth(u32, u32),
}

/// A cron expression as the reference reads it.
#[derive(Debug, Clone)]
struct Reference {
    seconds: Vec<u32>,
    minutes: Vec<u32>,
    hours: Vec<u32>,
    months: Vec<u32>,
    dom: Vec<Dom>,
    dow: Vec<Dow>,
    /// Debian: a day field beginning with `*` (or `?`) is unrestricted, and then a day must
    /// match both fields; otherwise either.
    dom_star: bool,
    dow_star: bool,
    /// Five fields, and neither the minute nor the hour field begins with `*`.
    fixed_time: bool,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// A number, or a name from `names` (the first name stands for `first`).
fn number(text: &str, names: &[&str], first: u32) -> u32 {
    let lower = text.to_ascii_lowercase();
    match names.iter().position(|n| *n == lower) {
        Some(i) => i as u32 + first,
        None => text
            .parse()
            .unwrap_or_else(|_| panic!("reference: bad value {text:?}")),
    }
}

/// The values of a list of `*`, `a`, `a-b`, each with an optional `/step`; `a/step` runs to
/// `high`.
fn values(field: &str, low: u32, high: u32, names: &[&str], first: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (range, Some(number(step, &[], 0))),
            None => (item, None),
        };
        let (a, b) = if range == "*" || range == "?" {
            (low, high)
        } else if let Some((a, b)) = range.split_once('-') {
            (number(a, names, first), number(b, names, first))
        } else {
            let a = number(range, names, first);
            (a, if step.is_some() { high } else { a })
        };
        out.extend((a..=b).step_by(step.unwrap_or(1) as usize));
    }
    out
}

impl Reference {
    fn parse(text: &str) -> Reference {
        let text = match text.to_ascii_lowercase().as_str() {
            "@yearly" | "@annually" => "0 0 1 1 *".to_string(),
            "@monthly" => "0 0 1 * *".to_string(),
            "@weekly" => "0 0 * * 0".to_string(),
            "@daily" | "@midnight" => "0 0 * * *".to_string(),
            "@hourly" => "0 * * * *".to_string(),
            _ => text.to_string(),
        };
        let fields: Vec<&str> = text.split_whitespace().collect();
        let (second, rest) = match fields.len() {
            5 => ("0", &fields[..]),
            6 => (fields[0], &fields[1..]),
            n => panic!("reference: {n} fields in {text:?}"),
        };
        let [minute, hour, dom, month, dow] = rest else {
            unreachable!("five fields")
        };
        let dom_items = dom
            .split(',')
            .flat_map(|item| {
                let upper = item.to_ascii_uppercase();
                if upper == "L" {
                    vec![Dom::BeforeLast(0)]
                } else if upper == "LW" {
                    vec![Dom::LastWeekday]
                } else if let Some(n) = upper.strip_prefix("L-") {
                    vec![Dom::BeforeLast(number(n, &[], 0))]
                } else if let Some(n) = upper.strip_suffix('W') {
                    vec![Dom::NearestWeekday(number(n, &[], 0))]
                } else {
                    values(item, 1, 31, &[], 0)
                        .into_iter()
                        .map(Dom::Day)
                        .collect()
                }
            })
            .collect();
        let dow_items = dow
            .split(',')
            .flat_map(|item| {
                let weekday = |t: &str| number(t, &WEEKDAYS, 0) % 7;
                if let Some((w, k)) = item.split_once('#') {
                    vec![Dow::Nth(weekday(w), number(k, &[], 0))]
                } else if item.len() > 1 && item.to_ascii_uppercase().ends_with('L') {
                    vec![Dow::Last(weekday(&item[..item.len() - 1]))]
                } else {
                    values(item, 0, 6, &WEEKDAYS, 0)
                        .into_iter()
                        .map(|w| Dow::Weekday(w % 7))
                        .collect()
                }
            })
            .collect();
        let star = |field: &str| field.starts_with('*') || field.starts_with('?');
        Reference {
            seconds: values(second, 0, 59, &[], 0),
            minutes: values(minute, 0, 59, &[], 0),
            hours: values(hour, 0, 23, &[], 0),
            months: values(month, 1, 12, &MONTHS, 1),
            dom: dom_items,
            dow: dow_items,
            dom_star: star(dom),
            dow_star: star(dow),
            fixed_time: fields.len() == 5 && !star(minute) && !star(hour),
        }
    }

    fn day_matches(&self, date: NaiveDate) -> bool {
        let (year, month, day) = (date.year(), date.month(), date.day());
        let len = (28..=31)
            .rev()
            .find(|&d| NaiveDate::from_ymd_opt(year, month, d).is_some())
            .expect("a month has at least 28 days");
        let weekday_of = |d: u32| {
            NaiveDate::from_ymd_opt(year, month, d)
                .expect("a day of the month")
                .weekday()
                .num_days_from_sunday()
        };
        let workday = |d: &u32| (1..=5).contains(&weekday_of(*d));
        let dom = self.dom.iter().any(|item| match *item {
            Dom::Day(d) => d == day,
            Dom::BeforeLast(n) => n < len && len - n == day,
            Dom::LastWeekday => (1..=len).rev().find(workday) == Some(day),
            Dom::NearestWeekday(n) => {
                // The closest workday to n, the earlier one on a tie.
                n <= len
                    && (1..=len)
                        .filter(workday)
                        .min_by_key(|d| (d.abs_diff(n), *d))
                        == Some(day)
            }
        });
        let weekday = weekday_of(day);
        let dow = self.dow.iter().any(|item| match *item {
            Dow::Weekday(w) => w == weekday,
            Dow::Last(w) => w == weekday && day + 7 > len,
            Dow::Nth(w, k) => w == weekday && (day - 1) / 7 + 1 == k,
        });
        if self.dom_star || self.dow_star {
            dom && dow
        } else {
            dom || dow
        }
    }

    /// Whether any time of `date` can match.
    fn date_matches(&self, date: NaiveDate) -> bool {
        self.months.contains(&date.month()) && self.day_matches(date)
    }

    fn matches(&self, wall: NaiveDateTime) -> bool {
        self.seconds.contains(&wall.second())
            && self.minutes.contains(&wall.minute())
            && self.hours.contains(&wall.hour())
            && self.months.contains(&wall.month())
            && self.day_matches(wall.date())
    }

    /// The first instant after `t` at which the job runs in `tz`, looking no further than
    /// `limit` ahead.
    fn next_after(&self, tz: Tz, t: DateTime<Utc>, limit: TimeDelta) -> Option<DateTime<Utc>> {
        let wall = |u: DateTime<Utc>| u.with_timezone(&tz).naive_local();
        // Whole minutes suffice when the seconds field is only 0 (always, with five fields).
        let step = if self.seconds == [0] { 60 } else { 1 };
        let end = t + limit;
        let mut u = DateTime::from_timestamp((t.timestamp().div_euclid(step) + 1) * step, 0)?;
        let step = TimeDelta::seconds(step);
        // The last day asked about, remembered: the scan asks once per step.
        let last_day = std::cell::Cell::new(None::<(NaiveDate, bool)>);
        let date_matches = |date: NaiveDate| match last_day.get() {
            Some((day, matches)) if day == date => matches,
            _ => {
                let matches = self.date_matches(date);
                last_day.set(Some((date, matches)));
                matches
            }
        };
        // On a day that cannot match, jump to an hour before the wall clock's midnight: no
        // change in these tests moves the clock by more than an hour or back onto an
        // earlier date (`changes` checks), so every instant jumped over shows a wall time of
        // that day. Only to keep the scan short.
        let skip_day = |u: DateTime<Utc>, now: NaiveDateTime| {
            let midnight = now.date().succ_opt()?.and_hms_opt(0, 0, 0)?;
            let jump = midnight - now - TimeDelta::hours(1);
            let whole =
                TimeDelta::seconds(jump.num_seconds() / step.num_seconds() * step.num_seconds());
            (whole > step && !date_matches(now.date())).then(|| u + whole)
        };
        // With seconds: in a wall minute that cannot match, go on to the next minute (offsets
        // are whole minutes, `changes` checks, so a UTC minute is one wall minute).
        let skip_minute = |u: DateTime<Utc>, now: NaiveDateTime| {
            let minute = self.minutes.contains(&now.minute())
                && self.hours.contains(&now.hour())
                && date_matches(now.date());
            (step.num_seconds() == 1 && !minute)
                .then(|| u + TimeDelta::seconds(60 - i64::from(u.second())))
        };
        if !self.fixed_time {
            while u <= end {
                let now = wall(u);
                if self.matches(now) {
                    return Some(u);
                }
                u = skip_day(u, now)
                    .or_else(|| skip_minute(u, now))
                    .unwrap_or(u + step);
            }
            return None;
        }
        // The latest wall time the clock has shown by `t`: a fall-back within the last hour
        // can have shown a later one than it shows at `t` (no change in these tests moves
        // the clock by more than an hour, `changes` checks).
        let mut reached = (0..=61)
            .map(|k| wall(t - TimeDelta::minutes(k)))
            .max()
            .expect("at least one wall time");
        while u <= end {
            let now = wall(u);
            // Every whole wall minute the clock reaches for the first time at `u`.
            let mut w = reached.with_second(0)?.with_nanosecond(0)? + TimeDelta::minutes(1);
            while w <= now {
                if self.matches(w) {
                    return Some(u);
                }
                w += TimeDelta::minutes(1);
            }
            reached = reached.max(now);
            u = match skip_day(u, now) {
                Some(later) => {
                    // The wall times jumped over are all on this day, which cannot match.
                    reached = reached.max(wall(later) - step);
                    later
                }
                None => u + step,
            };
        }
        None
    }
}

fn utc(text: &str) -> DateTime<Utc> {
    text.parse()
        .unwrap_or_else(|e| panic!("bad test instant {text}: {e}"))
}

fn zone(name: &str) -> Tz {
    name.parse()
        .unwrap_or_else(|e| panic!("bad test zone {name}: {e}"))
}

/// The reference itself against answers worked out by hand (from the calendar and the
/// zones' published rules), so it cannot agree with the matcher by being vacuous.
#[test]
fn the_reference_gets_hand_worked_answers() {
    // {expression, zone, after, the next run}
    let table = [
        // New York springs forward 2026-03-08 02:00 EST (07:00Z) to 03:00 EDT.
        (
            "30 2 * * *",
            "America/New_York",
            "2026-03-07T12:00:00Z",
            "2026-03-08T07:00:00Z",
        ),
        (
            "*/30 * * * *",
            "America/New_York",
            "2026-03-08T06:30:00Z",
            "2026-03-08T07:00:00Z",
        ),
        (
            "* 2 * * *",
            "America/New_York",
            "2026-03-08T06:00:00Z",
            "2026-03-09T06:00:00Z",
        ),
        // New York falls back 2026-11-01 02:00 EDT (06:00Z) to 01:00 EST.
        (
            "30 1 * * *",
            "America/New_York",
            "2026-11-01T05:30:00Z",
            "2026-11-02T06:30:00Z",
        ),
        (
            "0 30 1 * * *",
            "America/New_York",
            "2026-11-01T05:30:00Z",
            "2026-11-01T06:30:00Z",
        ),
        // Santiago springs forward 2026-09-06 00:00 -04 (04:00Z) to 01:00 -03.
        (
            "30 0 * * *",
            "America/Santiago",
            "2026-09-05T12:00:00Z",
            "2026-09-06T04:00:00Z",
        ),
        // Lord Howe: 2026-10-04 02:00 +10:30 (2026-10-03T15:30Z) to 02:30 +11.
        (
            "15 2 * * *",
            "Australia/Lord_Howe",
            "2026-10-03T00:00:00Z",
            "2026-10-03T15:30:00Z",
        ),
        // The last Friday of January 2026 is the 30th; its last weekday too.
        (
            "0 18 * * 5L",
            "UTC",
            "2026-01-01T00:00:00Z",
            "2026-01-30T18:00:00Z",
        ),
        (
            "0 18 LW * *",
            "UTC",
            "2026-01-01T00:00:00Z",
            "2026-01-30T18:00:00Z",
        ),
        // 2026-02-28 is a Saturday: L-1 is the 27th, 15W of February 2026 (a Sunday) the 16th.
        (
            "0 0 L-1 2 *",
            "UTC",
            "2026-01-01T00:00:00Z",
            "2026-02-27T00:00:00Z",
        ),
        (
            "0 0 15W 2 *",
            "UTC",
            "2026-01-01T00:00:00Z",
            "2026-02-16T00:00:00Z",
        ),
        // 2026-08-01 is a Saturday: 1W is Monday the 3rd.
        (
            "0 0 1W 8 *",
            "UTC",
            "2026-07-01T00:00:00Z",
            "2026-08-03T00:00:00Z",
        ),
        // The second Sunday of March 2026 is the 8th.
        (
            "0 12 * 3 0#2",
            "UTC",
            "2026-01-01T00:00:00Z",
            "2026-03-08T12:00:00Z",
        ),
        // Either day field (2026-01-05 is a Monday) ...
        (
            "0 0 15 * mon",
            "UTC",
            "2026-01-01T00:00:00Z",
            "2026-01-05T00:00:00Z",
        ),
        // ... or both, when one begins with `*`: Mondays on odd days (the 12th is even).
        (
            "0 0 */2 * mon",
            "UTC",
            "2026-01-06T00:00:00Z",
            "2026-01-19T00:00:00Z",
        ),
        (
            "@weekly",
            "UTC",
            "2026-01-01T00:00:00Z",
            "2026-01-04T00:00:00Z",
        ),
    ];
    for (text, tz, after, expected) in table {
        let got = Reference::parse(text).next_after(zone(tz), utc(after), TimeDelta::days(400));
        assert_eq!(
            got,
            Some(utc(expected)),
            "reference: `{text}` in {tz} after {after}"
        );
    }
}

/// Expressions covering every part of the dialect: plain fields, steps, names, `L`, `L-n`,
/// `W`, `LW`, `#`, `5L`, seconds, the macros, and both Debian day-field rules.
const EXPRESSIONS: [&str; 46] = [
    // Plain, steps, ranges, lists, names.
    "*/5 * * * *",
    "30 2 * * *",
    "0,30 2,3 * * *",
    "* 2 * * *",
    "*/45 1-3 * * *",
    "15 */2 * * *",
    "5/20 0-4 * * *",
    "0 8 * jan-mar mon-fri",
    "30 0 1 */3 *",
    // L and L-n.
    "0 0 L * *",
    "30 1 L * *",
    "0 12 L-1 * *",
    "15 2 L-3 * *",
    // W and LW.
    "0 9 15W * *",
    "0 9 1W * *",
    "0 9 31W * *",
    "0 18 LW * *",
    // # and 5L.
    "30 2 * * 0#2",
    "30 0 * * sun#1",
    "15 2 * * 0#1",
    "0 18 * * 5L",
    "30 1 * * sunL",
    "0 */6 * * 6#5",
    // Seconds.
    "*/10 * * * * *",
    "30 15 2 * * *",
    "0 30 1 * * *",
    "*/20 */7 0-3 * * *",
    "0 0 0 L * *",
    "45 */30 * * * 0",
    // Macros.
    "@yearly",
    "@annually",
    "@monthly",
    "@weekly",
    "@daily",
    "@midnight",
    "@hourly",
    // Debian: both day fields restricted, either matches.
    "0 0 1,15 * mon",
    "0 12 L * 5",
    "30 1 1-7 * sun",
    "0 2 15W * 5L",
    // Debian: a day field beginning with `*` (or `?`), both must match.
    "0 0 */2 * mon",
    "0 3 * * 1-5",
    "0 1 ? * 0",
    "30 2 */3 * sun",
    "0 0 1-7 * *",
    "45 1 */2 * 0#1",
];

const ZONES: [&str; 7] = [
    "UTC",
    "America/New_York",
    "Europe/London",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Australia/Sydney",
    "Asia/Kolkata",
];

/// 2026-01-01T00:00:00Z and one year after it: the span the starts are sampled from.
const YEAR_FROM: i64 = 1_767_225_600;
const YEAR: i64 = 365 * 86_400;

/// The instants of the two years from [`YEAR_FROM`] at which the zone changes its offset,
/// to the minute (found by reading the offset every hour with chrono-tz, then every minute
/// of that hour), worked out once per zone.
fn changes(tz_name: &str) -> &'static [DateTime<Utc>] {
    static CHANGES: std::sync::OnceLock<Vec<Vec<DateTime<Utc>>>> = std::sync::OnceLock::new();
    let all = CHANGES.get_or_init(|| ZONES.iter().map(|name| find_changes(zone(name))).collect());
    let index = ZONES
        .iter()
        .position(|name| *name == tz_name)
        .unwrap_or_else(|| panic!("{tz_name} is not in ZONES"));
    &all[index]
}

fn find_changes(tz: Tz) -> Vec<DateTime<Utc>> {
    use chrono::{Offset, TimeZone};
    let offset = |t: i64| {
        let at = DateTime::from_timestamp(t, 0).expect("in range");
        tz.offset_from_utc_datetime(&at.naive_utc())
            .fix()
            .local_minus_utc()
    };
    // What the reference's skips rely on: offsets are whole minutes, and a change moves
    // the wall clock by at most an hour and never back onto an earlier date.
    assert_eq!(
        offset(YEAR_FROM) % 60,
        0,
        "{tz}: offset not in whole minutes"
    );
    (YEAR_FROM..YEAR_FROM + 2 * YEAR)
        .step_by(3600)
        .filter(|&t| offset(t) != offset(t + 3600))
        .filter_map(|t| {
            let minute = (t..=t + 3600)
                .step_by(60)
                .find(|&m| offset(m) != offset(t))?;
            assert_eq!(
                offset(minute - 1),
                offset(t),
                "{tz}: a change inside a minute"
            );
            DateTime::from_timestamp(minute, 0)
        })
        .inspect(|&change| {
            let wall = |t: DateTime<Utc>| t.with_timezone(&tz).naive_local();
            let (before, after) = (wall(change - TimeDelta::minutes(1)), wall(change));
            let shift = after - before - TimeDelta::minutes(1);
            assert!(
                shift.num_seconds() % 60 == 0
                    && shift.abs() <= TimeDelta::hours(1)
                    && after.date() >= before.date(),
                "{tz} at {change}: the clock goes from {before} to {after}"
            );
        })
        .collect()
}

/// How far ahead the reference may look: beyond the longest gap of any expression above
/// (a year, for `@yearly`).
const LIMIT: TimeDelta = TimeDelta::days(367);

/// `next_after` and the reference agree on the next `runs` runs after `t`.
fn compare(text: &str, tz_name: &str, t: DateTime<Utc>, runs: usize) {
    let tz = zone(tz_name);
    let reference = Reference::parse(text);
    let expr = CronExpr::parse(text).unwrap_or_else(|e| panic!("`{text}`: {e}"));
    let job = JobSchedule {
        schedule: Schedule::Cron(expr),
        tz,
        jitter: std::time::Duration::ZERO,
        start: None,
        end: None,
    };
    let mut after = t;
    for run in 0..runs {
        let expected = reference.next_after(tz, after, LIMIT);
        let got = job.next_after(after).map(|fire| fire.slot);
        assert_eq!(
            got, expected,
            "`{text}` in {tz_name}: run {run} after {after} (the walk started at {t}); \
             next_after gave {got:?}, the reference {expected:?}"
        );
        match got {
            Some(next) => after = next,
            None => break,
        }
    }
}

/// Every expression in every zone, starting an hour and a half before, a second before,
/// and half an hour after each of the year's offset changes, for the next two runs.
#[test]
fn next_after_agrees_with_the_reference_across_every_dst_change() {
    for tz_name in ZONES {
        let starts: Vec<DateTime<Utc>> = changes(tz_name)
            .iter()
            .filter(|c| c.timestamp() < YEAR_FROM + YEAR)
            .flat_map(|c| {
                [-90 * 60, -1, 30 * 60 + 17]
                    .map(|s| *c + TimeDelta::seconds(s))
                    .into_iter()
            })
            .collect();
        for text in EXPRESSIONS {
            // A monthly or rarer schedule costs a long scan per start: one start per
            // change is enough for those, all three for the rest.
            let rare = CronExpr::parse(text)
                .ok()
                .and_then(|e| e.min_gap_seconds())
                .is_none_or(|gap| gap > 7 * 86_400);
            for (i, &t) in starts.iter().enumerate() {
                if rare && i % 3 != 1 {
                    continue;
                }
                compare(text, tz_name, t, 2);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random expressions, zones and starting instants over the year (half of them within
    /// hours of an offset change), three runs each.
    #[test]
    fn next_after_agrees_with_the_reference_over_a_year(
        text in prop::sample::select(&EXPRESSIONS[..]),
        tz_name in prop::sample::select(&ZONES[..]),
        uniform in 0..YEAR,
        near in any::<bool>(),
        pick in 0usize..4,
        shift in -3 * 3600i64..3 * 3600,
        frac in 0u32..1_000_000_000,
    ) {
        let base = DateTime::from_timestamp(YEAR_FROM + uniform, frac).expect("in range");
        let t = match (near, changes(tz_name).get(pick)) {
            (true, Some(&change)) => change + TimeDelta::seconds(shift),
            _ => base,
        };
        compare(text, tz_name, t, 3);
    }
}
