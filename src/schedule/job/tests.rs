//! `{from, expected}` tables for `next_after` across zones and DST, plus validation,
//! `min_gap`, descriptions and DST traps.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;

use crate::schedule::{
    AtTime, CronExpr, DstNote, DstTrap, DstTrapKind, JobSchedule, Schedule, ScheduleError, WallSpan,
};

fn t(s: &str) -> DateTime<Utc> {
    s.parse()
        .unwrap_or_else(|e| panic!("bad test instant {s}: {e}"))
}

fn wall(s: &str) -> NaiveDateTime {
    s.parse()
        .unwrap_or_else(|e| panic!("bad test wall time {s}: {e}"))
}

fn zone(name: &str) -> Tz {
    name.parse()
        .unwrap_or_else(|e| panic!("bad test zone {name}: {e}"))
}

fn cron(expr: &str, tz: &str) -> JobSchedule {
    let expr = CronExpr::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
    plain(Schedule::Cron(expr), tz)
}

fn plain(schedule: Schedule, tz: &str) -> JobSchedule {
    JobSchedule {
        schedule,
        tz: zone(tz),
        jitter: Duration::ZERO,
        start: None,
        end: None,
    }
}

/// The next `expected.len()` slots after `from`, as RFC 3339 UTC strings.
fn assert_upcoming(s: &JobSchedule, label: &str, from: &str, expected: &[&str]) {
    let got: Vec<String> = s
        .upcoming(t(from), expected.len())
        .iter()
        .map(|f| f.slot.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .collect();
    assert_eq!(got, expected, "{label}, from {from}");
}

/// {expression, zone, from, expected slots}
type Case<'a> = (&'a str, &'a str, &'a str, &'a [&'a str]);

fn run_cases(cases: &[Case]) {
    for &(expr, tz, from, expected) in cases {
        assert_upcoming(
            &cron(expr, tz),
            &format!("`{expr}` in {tz}"),
            from,
            expected,
        );
    }
}

#[test]
fn cron_in_utc() {
    run_cases(&[
        (
            "*/5 * * * *",
            "UTC",
            "2026-01-01T00:00:00Z",
            &["2026-01-01T00:05:00Z", "2026-01-01T00:10:00Z"],
        ),
        (
            "*/5 * * * *",
            "UTC",
            "2026-01-01T00:04:59.999Z",
            &["2026-01-01T00:05:00Z"],
        ),
        (
            "0 17 * * mon-fri",
            "UTC",
            "2026-11-27T18:00:00Z",
            &["2026-11-30T17:00:00Z", "2026-12-01T17:00:00Z"],
        ),
        (
            "0 17 * * MON-FRI",
            "Etc/UTC",
            "2026-11-27T16:59:59Z",
            &["2026-11-27T17:00:00Z"],
        ),
        (
            "0 0 29 2 *",
            "UTC",
            "2026-01-01T00:00:00Z",
            &["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"],
        ),
        (
            "0 0 29 2 *",
            "UTC",
            "2096-03-01T00:00:00Z",
            &["2104-02-29T00:00:00Z"],
        ),
        (
            "59 23 31 12 *",
            "UTC",
            "2026-12-31T23:59:00Z",
            &["2027-12-31T23:59:00Z"],
        ),
        (
            "0 12 * jan,jul *",
            "UTC",
            "2026-02-01T00:00:00Z",
            &["2026-07-01T12:00:00Z"],
        ),
        (
            "0 0 * * 7",
            "UTC",
            "2026-11-30T00:00:00Z",
            &["2026-12-06T00:00:00Z"],
        ),
        (
            "0 0 * * 0",
            "UTC",
            "2026-11-30T00:00:00Z",
            &["2026-12-06T00:00:00Z"],
        ),
        (
            "0 0 * * 5-7",
            "UTC",
            "2026-11-30T00:00:00Z",
            &[
                "2026-12-04T00:00:00Z",
                "2026-12-05T00:00:00Z",
                "2026-12-06T00:00:00Z",
                "2026-12-11T00:00:00Z",
            ],
        ),
        (
            "0 0 ? * ?",
            "UTC",
            "2026-11-30T00:00:00Z",
            &["2026-12-01T00:00:00Z"],
        ),
        (
            "10/20 * * * *",
            "UTC",
            "2026-01-01T00:00:00Z",
            &[
                "2026-01-01T00:10:00Z",
                "2026-01-01T00:30:00Z",
                "2026-01-01T00:50:00Z",
                "2026-01-01T01:10:00Z",
            ],
        ),
        (
            "0-10/5 9 * * *",
            "UTC",
            "2026-01-01T00:00:00Z",
            &[
                "2026-01-01T09:00:00Z",
                "2026-01-01T09:05:00Z",
                "2026-01-01T09:10:00Z",
                "2026-01-02T09:00:00Z",
            ],
        ),
    ]);
}

#[test]
fn debian_day_rule_ors_restricted_fields_and_ands_star_fields() {
    run_cases(&[
        // Both restricted: the 1st OR any Monday.
        (
            "0 0 1 * mon",
            "UTC",
            "2026-11-30T00:00:01Z",
            &[
                "2026-12-01T00:00:00Z",
                "2026-12-07T00:00:00Z",
                "2026-12-14T00:00:00Z",
            ],
        ),
        // `*/2` counts as a star: odd days AND Mondays.
        (
            "0 0 */2 * mon",
            "UTC",
            "2026-11-30T01:00:00Z",
            &[
                "2026-12-07T00:00:00Z",
                "2026-12-21T00:00:00Z",
                "2027-01-11T00:00:00Z",
            ],
        ),
        // `1-31` is not a star: every day OR Monday = every day.
        (
            "0 0 1-31 * mon",
            "UTC",
            "2026-11-30T01:00:00Z",
            &["2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z"],
        ),
        // A star day-of-week with `*/7` still restricts: Sundays AND days 1-31.
        (
            "0 0 * * */7",
            "UTC",
            "2026-11-30T01:00:00Z",
            &["2026-12-06T00:00:00Z"],
        ),
    ]);
}

#[test]
fn last_nearest_weekday_and_nth_extensions() {
    run_cases(&[
        (
            "0 0 L * *",
            "UTC",
            "2026-02-01T00:00:00Z",
            &["2026-02-28T00:00:00Z", "2026-03-31T00:00:00Z"],
        ),
        (
            "0 0 L * *",
            "UTC",
            "2028-02-01T00:00:00Z",
            &["2028-02-29T00:00:00Z"],
        ),
        (
            "0 0 L-2 * *",
            "UTC",
            "2026-02-01T00:00:00Z",
            &["2026-02-26T00:00:00Z", "2026-03-29T00:00:00Z"],
        ),
        // 2026-02-15 is a Sunday → Monday the 16th; 2026-08-15 a Saturday → Friday the 14th.
        (
            "0 0 15W * *",
            "UTC",
            "2026-02-01T00:00:00Z",
            &["2026-02-16T00:00:00Z", "2026-03-16T00:00:00Z"],
        ),
        (
            "0 0 15W * *",
            "UTC",
            "2026-08-01T00:00:00Z",
            &["2026-08-14T00:00:00Z"],
        ),
        // The 1st is a Saturday: the nearest weekday inside the month is Monday the 3rd.
        (
            "0 0 1W * *",
            "UTC",
            "2026-07-31T00:00:00Z",
            &["2026-08-03T00:00:00Z"],
        ),
        // May 31st 2026 is a Sunday: Friday the 29th, not June 1st.
        (
            "0 0 31W * *",
            "UTC",
            "2026-05-01T00:00:00Z",
            &["2026-05-29T00:00:00Z", "2026-07-31T00:00:00Z"],
        ),
        (
            "0 0 LW * *",
            "UTC",
            "2026-05-01T00:00:00Z",
            &["2026-05-29T00:00:00Z", "2026-06-30T00:00:00Z"],
        ),
        (
            "0 0 LW * *",
            "UTC",
            "2026-01-01T00:00:00Z",
            &["2026-01-30T00:00:00Z"],
        ),
        (
            "0 0 * * 5L",
            "UTC",
            "2026-11-01T00:00:00Z",
            &["2026-11-27T00:00:00Z", "2026-12-25T00:00:00Z"],
        ),
        (
            "0 0 * * friL",
            "UTC",
            "2026-11-01T00:00:00Z",
            &["2026-11-27T00:00:00Z"],
        ),
        (
            "0 0 * * 5#3",
            "UTC",
            "2026-11-01T00:00:00Z",
            &["2026-11-20T00:00:00Z", "2026-12-18T00:00:00Z"],
        ),
        (
            "0 0 * * mon#1",
            "UTC",
            "2026-11-01T00:00:00Z",
            &["2026-11-02T00:00:00Z", "2026-12-07T00:00:00Z"],
        ),
        (
            "0 0 * * 0#5",
            "UTC",
            "2026-11-01T00:00:00Z",
            &["2026-11-29T00:00:00Z", "2027-01-31T00:00:00Z"],
        ),
        (
            "0 0 1,L * *",
            "UTC",
            "2026-11-01T00:00:01Z",
            &["2026-11-30T00:00:00Z", "2026-12-01T00:00:00Z"],
        ),
    ]);
}

#[test]
fn macros_and_seconds() {
    run_cases(&[
        (
            "@hourly",
            "UTC",
            "2026-01-01T10:30:00Z",
            &["2026-01-01T11:00:00Z"],
        ),
        (
            "@daily",
            "UTC",
            "2026-01-01T10:30:00Z",
            &["2026-01-02T00:00:00Z"],
        ),
        (
            "@midnight",
            "UTC",
            "2026-01-01T10:30:00Z",
            &["2026-01-02T00:00:00Z"],
        ),
        (
            "@weekly",
            "UTC",
            "2026-12-02T00:00:00Z",
            &["2026-12-06T00:00:00Z"],
        ),
        (
            "@MONTHLY",
            "UTC",
            "2026-12-02T00:00:00Z",
            &["2027-01-01T00:00:00Z"],
        ),
        (
            "@yearly",
            "UTC",
            "2026-12-02T00:00:00Z",
            &["2027-01-01T00:00:00Z"],
        ),
        (
            "@annually",
            "UTC",
            "2026-12-02T00:00:00Z",
            &["2027-01-01T00:00:00Z"],
        ),
        (
            "*/15 * * * * *",
            "UTC",
            "2026-01-01T00:00:00Z",
            &["2026-01-01T00:00:15Z", "2026-01-01T00:00:30Z"],
        ),
        (
            "30 0 9 * * *",
            "UTC",
            "2026-01-01T00:00:00Z",
            &["2026-01-01T09:00:30Z", "2026-01-02T09:00:30Z"],
        ),
        (
            "* * * * * *",
            "UTC",
            "2026-01-01T00:00:00.5Z",
            &["2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z"],
        ),
    ]);
}

#[test]
fn new_york_spring_forward() {
    // 2026-03-08: 02:00 EST (07:00Z) jumps to 03:00 EDT.
    run_cases(&[
        // Fixed-time: the skipped 02:30 runs once, at the jump.
        (
            "30 2 * * *",
            "America/New_York",
            "2026-03-07T12:00:00Z",
            &["2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"],
        ),
        // Several skipped times and a time at the jump are one run.
        (
            "0,30 2,3 * * *",
            "America/New_York",
            "2026-03-08T06:00:00Z",
            &[
                "2026-03-08T07:00:00Z",
                "2026-03-08T07:30:00Z",
                "2026-03-09T06:00:00Z",
            ],
        ),
        (
            "0 17 * * mon-fri",
            "America/New_York",
            "2026-03-06T23:00:00Z",
            &["2026-03-09T21:00:00Z"],
        ),
        // Elapsed: nothing is caught up.
        (
            "*/30 * * * *",
            "America/New_York",
            "2026-03-08T06:00:00Z",
            &[
                "2026-03-08T06:30:00Z",
                "2026-03-08T07:00:00Z",
                "2026-03-08T07:30:00Z",
            ],
        ),
        (
            "30 * * * *",
            "America/New_York",
            "2026-03-08T06:00:00Z",
            &["2026-03-08T06:30:00Z", "2026-03-08T07:30:00Z"],
        ),
        (
            "* 2 * * *",
            "America/New_York",
            "2026-03-08T06:58:00Z",
            &["2026-03-09T06:00:00Z"],
        ),
        (
            "0 30 2 * * *",
            "America/New_York",
            "2026-03-08T06:00:00Z",
            &["2026-03-09T06:30:00Z"],
        ),
    ]);
}

#[test]
fn new_york_fall_back() {
    // 2026-11-01: 02:00 EDT (06:00Z) falls back to 01:00 EST; 01:00-01:59 happens twice.
    run_cases(&[
        // Fixed-time: once, in the first pass.
        (
            "30 1 * * *",
            "America/New_York",
            "2026-10-31T12:00:00Z",
            &["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"],
        ),
        // Asked from inside the second pass: the first pass is gone, no repeat.
        (
            "30 1 * * *",
            "America/New_York",
            "2026-11-01T06:15:00Z",
            &["2026-11-02T06:30:00Z"],
        ),
        (
            "45 1 * * *",
            "America/New_York",
            "2026-11-01T05:50:00Z",
            &["2026-11-02T06:45:00Z"],
        ),
        // Elapsed: both passes.
        (
            "*/30 * * * *",
            "America/New_York",
            "2026-11-01T05:00:00Z",
            &[
                "2026-11-01T05:30:00Z",
                "2026-11-01T06:00:00Z",
                "2026-11-01T06:30:00Z",
                "2026-11-01T07:00:00Z",
            ],
        ),
        (
            "0 * * * *",
            "America/New_York",
            "2026-11-01T05:30:00Z",
            &["2026-11-01T06:00:00Z", "2026-11-01T07:00:00Z"],
        ),
        // From inside the first pass, the second pass's 01:10 (earlier wall time) still comes.
        (
            "10 * * * *",
            "America/New_York",
            "2026-11-01T05:20:00Z",
            &["2026-11-01T06:10:00Z", "2026-11-01T07:10:00Z"],
        ),
        (
            "0 30 1 * * *",
            "America/New_York",
            "2026-11-01T04:00:00Z",
            &[
                "2026-11-01T05:30:00Z",
                "2026-11-01T06:30:00Z",
                "2026-11-02T06:30:00Z",
            ],
        ),
        // From inside the first pass, after its 01:30: the second pass's 01:30 is next.
        (
            "0 30 1 * * *",
            "America/New_York",
            "2026-11-01T05:45:00Z",
            &["2026-11-01T06:30:00Z"],
        ),
        // A day ahead of the change, the repeat is still seen.
        (
            "0 30 1 * * *",
            "America/New_York",
            "2026-10-31T06:00:00Z",
            &["2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z"],
        ),
        // Seconds straight through the change.
        (
            "*/10 * * * * *",
            "America/New_York",
            "2026-11-01T05:59:45Z",
            &[
                "2026-11-01T05:59:50Z",
                "2026-11-01T06:00:00Z",
                "2026-11-01T06:00:10Z",
            ],
        ),
    ]);
}

#[test]
fn other_zones() {
    run_cases(&[
        // Berlin: 2026-03-29 02:00 CET → 03:00 CEST at 01:00Z; 2026-10-25 03:00 CEST → 02:00 CET at 01:00Z.
        (
            "30 2 * * *",
            "Europe/Berlin",
            "2026-03-28T12:00:00Z",
            &["2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"],
        ),
        (
            "30 2 * * *",
            "Europe/Berlin",
            "2026-10-24T12:00:00Z",
            &["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"],
        ),
        (
            "*/20 * * * *",
            "Europe/Berlin",
            "2026-10-25T00:30:00Z",
            &[
                "2026-10-25T00:40:00Z",
                "2026-10-25T01:00:00Z",
                "2026-10-25T01:20:00Z",
            ],
        ),
        // Lord Howe: 30-minute DST. 2026-10-04 02:00 → 02:30 (+10:30 → +11) at 2026-10-03T15:30Z.
        (
            "15 2 * * *",
            "Australia/Lord_Howe",
            "2026-10-03T12:00:00Z",
            &["2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z"],
        ),
        (
            "*/15 * * * *",
            "Australia/Lord_Howe",
            "2026-10-03T15:20:00Z",
            &["2026-10-03T15:30:00Z", "2026-10-03T15:45:00Z"],
        ),
        // 2026-04-05 02:00 → 01:30 (+11 → +10:30) at 2026-04-04T15:00Z.
        (
            "45 1 * * *",
            "Australia/Lord_Howe",
            "2026-04-04T12:00:00Z",
            &["2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z"],
        ),
        (
            "*/15 * * * *",
            "Australia/Lord_Howe",
            "2026-04-04T14:40:00Z",
            &[
                "2026-04-04T14:45:00Z",
                "2026-04-04T15:00:00Z",
                "2026-04-04T15:15:00Z",
                "2026-04-04T15:30:00Z",
            ],
        ),
        // Sydney (southern hemisphere): 2026-04-05 03:00 AEDT → 02:00 AEST at 2026-04-04T16:00Z,
        // 2026-10-04 02:00 AEST → 03:00 AEDT at 2026-10-03T16:00Z.
        (
            "30 2 * * *",
            "Australia/Sydney",
            "2026-04-04T12:00:00Z",
            &["2026-04-04T15:30:00Z", "2026-04-05T16:30:00Z"],
        ),
        (
            "30 2 * * *",
            "Australia/Sydney",
            "2026-10-03T12:00:00Z",
            &["2026-10-03T16:00:00Z", "2026-10-04T15:30:00Z"],
        ),
        // A zone without DST, at a half-hour offset.
        (
            "0 9 * * *",
            "Asia/Kolkata",
            "2026-01-01T00:00:00Z",
            &["2026-01-01T03:30:00Z"],
        ),
    ]);
}

#[test]
fn dst_notes_say_what_happened() {
    let ny = "America/New_York";
    // {expression, from, expected note}
    let cases: [(&str, &str, Option<DstNote>); 5] = [
        (
            "30 2 * * *",
            "2026-03-07T12:00:00Z",
            Some(DstNote::MovedFromGap {
                wall: wall("2026-03-08T02:30:00"),
            }),
        ),
        (
            "30 1 * * *",
            "2026-10-31T12:00:00Z",
            Some(DstNote::FirstOfRepeat {
                wall: wall("2026-11-01T01:30:00"),
            }),
        ),
        (
            "30 * * * *",
            "2026-11-01T05:00:00Z",
            Some(DstNote::FirstOfRepeat {
                wall: wall("2026-11-01T01:30:00"),
            }),
        ),
        (
            "30 * * * *",
            "2026-11-01T05:30:00Z",
            Some(DstNote::SecondOfRepeat {
                wall: wall("2026-11-01T01:30:00"),
            }),
        ),
        ("30 2 * * *", "2026-03-09T00:00:00Z", None),
    ];
    for (expr, from, expected) in cases {
        let fire = cron(expr, ny).next_after(t(from));
        assert_eq!(fire.map(|f| f.dst), Some(expected), "`{expr}` from {from}");
    }
}

#[test]
fn every_is_aligned_and_ignores_dst() {
    let every = |secs: u64, tz: &str, start: Option<&str>| JobSchedule {
        start: start.map(t),
        ..plain(Schedule::Every(Duration::from_secs(secs)), tz)
    };
    // {schedule, from, expected}
    let cases = [
        (
            every(37 * 60, "UTC", None),
            "2026-01-01T00:00:00Z",
            vec!["2026-01-01T00:16:00Z", "2026-01-01T00:53:00Z"],
        ),
        (
            every(37 * 60, "America/New_York", None),
            "2026-01-01T00:00:00Z",
            vec!["2026-01-01T00:16:00Z"],
        ),
        (
            every(3600, "America/New_York", None),
            "2026-03-08T06:30:00Z",
            vec!["2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"],
        ),
        (
            every(3600, "UTC", Some("2026-05-01T10:07:00Z")),
            "2026-01-01T00:00:00Z",
            vec!["2026-05-01T10:07:00Z", "2026-05-01T11:07:00Z"],
        ),
        (
            every(3600, "UTC", Some("2026-05-01T10:07:00Z")),
            "2026-05-03T00:00:00Z",
            vec!["2026-05-03T00:07:00Z"],
        ),
    ];
    for (s, from, expected) in cases {
        let expected: Vec<&str> = expected.to_vec();
        assert_upcoming(&s, &format!("{:?}", s.schedule), from, &expected);
    }
}

#[test]
fn at_runs_once_and_resolves_dst() {
    let at_local = |w: &str| plain(Schedule::At(AtTime::Local(wall(w))), "America/New_York");
    // {schedule, from, expected slot, expected note}
    let cases = [
        (
            at_local("2026-12-31T23:30:00"),
            "2026-01-01T00:00:00Z",
            Some("2027-01-01T04:30:00Z"),
            None,
        ),
        // In the gap: moved forward by the gap's length (02:30 EST → 03:30 EDT).
        (
            at_local("2026-03-08T02:30:00"),
            "2026-01-01T00:00:00Z",
            Some("2026-03-08T07:30:00Z"),
            Some(DstNote::MovedFromGap {
                wall: wall("2026-03-08T02:30:00"),
            }),
        ),
        // Repeated: the first pass.
        (
            at_local("2026-11-01T01:30:00"),
            "2026-01-01T00:00:00Z",
            Some("2026-11-01T05:30:00Z"),
            Some(DstNote::FirstOfRepeat {
                wall: wall("2026-11-01T01:30:00"),
            }),
        ),
        (
            at_local("2026-12-31T23:30:00"),
            "2027-01-01T04:30:00Z",
            None,
            None,
        ),
        (
            plain(
                Schedule::At(AtTime::Instant(t("2026-12-31T23:30:00Z"))),
                "Asia/Tokyo",
            ),
            "2026-01-01T00:00:00Z",
            Some("2026-12-31T23:30:00Z"),
            None,
        ),
    ];
    for (s, from, slot, note) in cases {
        let fire = s.next_after(t(from));
        assert_eq!(
            fire.map(|f| f.slot),
            slot.map(t),
            "{:?} from {from}",
            s.schedule
        );
        assert_eq!(
            fire.and_then(|f| f.dst),
            note,
            "{:?} from {from}",
            s.schedule
        );
        if let Some(f) = fire {
            assert_eq!(s.next_after(f.at), None, "an at schedule runs once");
        }
    }
}

#[test]
fn start_and_end_are_inclusive() {
    let windowed = |start: Option<&str>, end: Option<&str>| JobSchedule {
        start: start.map(t),
        end: end.map(t),
        ..cron("0 * * * *", "UTC")
    };
    // {schedule, from, expected}
    let cases = [
        (
            windowed(Some("2026-01-01T00:30:00Z"), None),
            "2025-06-01T00:00:00Z",
            vec!["2026-01-01T01:00:00Z"],
        ),
        (
            windowed(Some("2026-01-01T01:00:00Z"), None),
            "2025-06-01T00:00:00Z",
            vec!["2026-01-01T01:00:00Z"],
        ),
        (
            windowed(None, Some("2026-01-01T03:00:00Z")),
            "2026-01-01T01:30:00Z",
            vec!["2026-01-01T02:00:00Z", "2026-01-01T03:00:00Z"],
        ),
        (
            windowed(None, Some("2026-01-01T03:00:00Z")),
            "2026-01-01T03:00:00Z",
            vec![],
        ),
    ];
    for (s, from, expected) in cases {
        assert_upcoming(&s, &format!("{:?}..{:?}", s.start, s.end), from, &expected);
    }
    let ended = windowed(None, Some("2026-01-01T03:00:00Z"));
    assert_eq!(ended.upcoming(t("2026-01-01T01:30:00Z"), 5).len(), 2);
}

#[test]
fn jitter_delays_every_run_by_the_same_offset() {
    let s = JobSchedule {
        jitter: Duration::from_secs(90),
        ..cron("0 * * * *", "UTC")
    };
    // {from, expected slot, expected at}
    let cases = [
        (
            "2026-01-01T00:00:30Z",
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:01:30Z",
        ),
        (
            "2026-01-01T00:01:30Z",
            "2026-01-01T01:00:00Z",
            "2026-01-01T01:01:30Z",
        ),
        (
            "2025-12-31T23:59:59Z",
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:01:30Z",
        ),
    ];
    for (from, slot, at) in cases {
        let fire = s.next_after(t(from)).expect("a run");
        assert_eq!((fire.slot, fire.at), (t(slot), t(at)), "from {from}");
    }
}

#[test]
fn validate_reports_schedules_that_cannot_work() {
    let with = |s: JobSchedule, f: &dyn Fn(&mut JobSchedule)| {
        let mut s = s;
        f(&mut s);
        s
    };
    let every = |secs: u64| plain(Schedule::Every(Duration::from_secs(secs)), "UTC");
    // {schedule, expected}
    let cases: Vec<(JobSchedule, Result<(), ScheduleError>)> = vec![
        (cron("0 0 30 2 *", "UTC"), Err(ScheduleError::NeverFires)),
        (cron("0 0 31 4 *", "UTC"), Err(ScheduleError::NeverFires)),
        (
            cron("0 0 31 2,4,6,9,11 *", "UTC"),
            Err(ScheduleError::NeverFires),
        ),
        (cron("0 0 30 2 mon", "UTC"), Ok(())),
        (cron("0 0 29 2 *", "UTC"), Ok(())),
        // A fifth Friday in February needs a leap year starting on a Friday: rare, not never.
        (cron("0 0 * 2 5#5", "UTC"), Ok(())),
        (cron("0 0 30W 2 *", "UTC"), Err(ScheduleError::NeverFires)),
        (
            every(0),
            Err(ScheduleError::IntervalOutOfRange {
                interval: Duration::ZERO,
            }),
        ),
        (
            every(32 * 86_400),
            Err(ScheduleError::IntervalOutOfRange {
                interval: Duration::from_secs(32 * 86_400),
            }),
        ),
        (every(31 * 86_400), Ok(())),
        (every(1), Ok(())),
        (
            with(every(60), &|s| {
                s.start = Some(t("2026-01-02T00:00:00Z"));
                s.end = Some(t("2026-01-01T00:00:00Z"));
            }),
            Err(ScheduleError::EmptyWindow),
        ),
        (
            with(cron("0 0 1 1 *", "UTC"), &|s| {
                s.start = Some(t("2026-01-02T00:00:00Z"));
                s.end = Some(t("2026-12-31T00:00:00Z"));
            }),
            Err(ScheduleError::NeverFires),
        ),
        (
            with(
                plain(
                    Schedule::At(AtTime::Instant(t("2026-01-01T00:00:00Z"))),
                    "UTC",
                ),
                &|s| s.end = Some(t("2025-12-31T00:00:00Z")),
            ),
            Err(ScheduleError::NeverFires),
        ),
        (
            with(every(60), &|s| s.jitter = Duration::from_secs(60)),
            Err(ScheduleError::JitterTooLong {
                jitter: Duration::from_secs(60),
                min_gap: Duration::from_secs(60),
            }),
        ),
        (
            with(every(60), &|s| s.jitter = Duration::from_secs(59)),
            Ok(()),
        ),
    ];
    for (s, expected) in cases {
        assert_eq!(
            s.validate(),
            expected,
            "{:?} {:?}..{:?}",
            s.schedule,
            s.start,
            s.end
        );
    }
    let five = cron("*/5 * * * *", "UTC");
    assert_eq!(five.validate_jitter(Duration::from_secs(299)), Ok(()));
    assert_eq!(
        five.validate_jitter(Duration::from_secs(300)),
        Err(ScheduleError::JitterTooLong {
            jitter: Duration::from_secs(300),
            min_gap: Duration::from_secs(300)
        })
    );
}

#[test]
fn min_gap_is_the_closest_pair_of_runs() {
    let day = 86_400;
    // {expression, expected seconds}
    let cases = [
        ("0 17 * * mon-fri", day),
        ("*/45 * * * *", 15 * 60),
        ("0 9,17 * * *", 8 * 3600),
        ("0 0 1 * *", 28 * day),
        ("@yearly", 365 * day),
        ("0 0 29 2 *", 1461 * day),
        ("59 23 * * *", day),
        ("0 0 1,L * *", day),
        ("*/10 * * * * *", 10),
        ("0,59 * * * *", 60),
        ("0 23 * * sat,sun", 3600 * 24),
        ("30 0,23 * * *", 3600),
    ];
    for (expr, expected) in cases {
        assert_eq!(
            cron(expr, "UTC").min_gap(),
            Some(Duration::from_secs(expected)),
            "`{expr}`"
        );
    }
    assert_eq!(
        plain(Schedule::Every(Duration::from_secs(2220)), "UTC").min_gap(),
        Some(Duration::from_secs(2220))
    );
    assert_eq!(
        plain(
            Schedule::At(AtTime::Local(wall("2026-01-01T00:00:00"))),
            "UTC"
        )
        .min_gap(),
        None
    );
}

#[test]
fn describe_in_plain_words() {
    // {schedule, expected}
    let cases = [
        (
            cron("0 17 * * mon-fri", "America/New_York"),
            "at 17:00, Monday through Friday, America/New_York",
        ),
        (cron("*/5 * * * *", "UTC"), "every 5 minutes, UTC"),
        (cron("* * * * *", "UTC"), "every minute, UTC"),
        (cron("0 * * * *", "UTC"), "every hour at :00, UTC"),
        (
            cron("0 9,17 * * *", "Europe/Berlin"),
            "at 09:00 and 17:00, Europe/Berlin",
        ),
        (
            cron("@yearly", "UTC"),
            "at 00:00, on day 1 of the month, in January, UTC",
        ),
        (
            cron("0 0 L * *", "UTC"),
            "at 00:00, on the last day of the month, UTC",
        ),
        (
            cron("0 8 * * 5#3", "UTC"),
            "at 08:00, on the third Friday of the month, UTC",
        ),
        (
            cron("0 0 1 * mon", "UTC"),
            "at 00:00, on day 1 of the month, and also every Monday, UTC",
        ),
        (cron("*/10 * * * * *", "UTC"), "every 10 seconds, UTC"),
        (
            cron("*/45 * * * *", "UTC"),
            "every hour at :00 and :45, UTC",
        ),
        (
            cron("0 9-17 * * *", "UTC"),
            "every hour from 09:00 to 17:00, UTC",
        ),
        (
            cron("23 0-20/2 * * *", "UTC"),
            "every 2 hours from 00:23 to 20:23, UTC",
        ),
        (
            cron("* 2 * * *", "UTC"),
            "every minute from 02:00 to 02:59, UTC",
        ),
        (
            cron("0 0 */2 * mon", "UTC"),
            "at 00:00, on odd days of the month, when that is Monday, UTC",
        ),
        (
            cron("0 0 1-31/3 * *", "UTC"),
            "at 00:00, on days 1, 4, 7, … of the month, UTC",
        ),
        (
            cron("0 0 15W * *", "UTC"),
            "at 00:00, on the weekday nearest day 15 of the month, UTC",
        ),
        (
            cron("0 0 LW * *", "UTC"),
            "at 00:00, on the last weekday of the month, UTC",
        ),
        (
            cron("0 0 L * 5", "UTC"),
            "at 00:00, on the last day of the month, and also every Friday, UTC",
        ),
        (
            cron("0 12 * 3-5 *", "UTC"),
            "at 12:00, in March through May, UTC",
        ),
        (
            cron("0 0 * * 1,3,5", "UTC"),
            "at 00:00, on Monday, Wednesday and Friday, UTC",
        ),
        (cron("30 0 9 * * *", "UTC"), "at 09:00:30, UTC"),
        (
            cron("0-30 * * * *", "UTC"),
            "every hour at minutes 0-30, UTC",
        ),
        (
            cron("*/15 9-17 * * mon-fri", "UTC"),
            "every 15 minutes from 09:00 to 17:59, Monday through Friday, UTC",
        ),
        (
            plain(Schedule::Every(Duration::from_secs(37 * 60)), "UTC"),
            "every 37 minutes (aligned to the Unix epoch), UTC",
        ),
        (
            plain(
                Schedule::At(AtTime::Local(wall("2026-12-31T23:30:00"))),
                "America/New_York",
            ),
            "once, at 2026-12-31 23:30 America/New_York",
        ),
    ];
    for (s, expected) in cases {
        assert_eq!(s.describe(), expected, "{:?}", s.schedule);
    }
}

#[test]
fn dst_traps_name_skipped_and_repeated_times() {
    let from = t("2026-01-01T00:00:00Z");
    let year = Duration::from_secs(365 * 86_400);
    let trap = |at: &str, kind, start: &str, end: &str| DstTrap {
        wall: wall(at),
        kind,
        span: WallSpan {
            start: wall(start),
            end: wall(end),
        },
    };
    use DstTrapKind::{Gap, Repeat};
    // {schedule, expected traps}
    let cases = [
        (
            cron("30 2 * * *", "America/New_York"),
            vec![trap(
                "2026-03-08T02:30:00",
                Gap,
                "2026-03-08T02:00:00",
                "2026-03-08T03:00:00",
            )],
        ),
        (
            cron("30 1 * * *", "America/New_York"),
            vec![trap(
                "2026-11-01T01:30:00",
                Repeat,
                "2026-11-01T01:00:00",
                "2026-11-01T02:00:00",
            )],
        ),
        (cron("0 17 * * *", "America/New_York"), vec![]),
        // Elapsed-time schedules have no traps: they simply follow the clock.
        (cron("*/30 * * * *", "America/New_York"), vec![]),
        (cron("30 2 * * *", "UTC"), vec![]),
        // Lord Howe moves by half an hour, at 02:00 both ways.
        (
            cron("15 2 * * *", "Australia/Lord_Howe"),
            vec![trap(
                "2026-10-04T02:15:00",
                Gap,
                "2026-10-04T02:00:00",
                "2026-10-04T02:30:00",
            )],
        ),
        (
            cron("45 1 * * *", "Australia/Lord_Howe"),
            vec![trap(
                "2026-04-05T01:45:00",
                Repeat,
                "2026-04-05T01:30:00",
                "2026-04-05T02:00:00",
            )],
        ),
        // Santiago changes at midnight: it skips 00:00-01:00 in September and repeats
        // 23:00-24:00 (Saturday evening) in April.
        (
            cron("30 0 * * *", "America/Santiago"),
            vec![trap(
                "2026-09-06T00:30:00",
                Gap,
                "2026-09-06T00:00:00",
                "2026-09-06T01:00:00",
            )],
        ),
        (
            cron("30 23 * * *", "America/Santiago"),
            vec![trap(
                "2026-04-04T23:30:00",
                Repeat,
                "2026-04-04T23:00:00",
                "2026-04-05T00:00:00",
            )],
        ),
        // London changes at 01:00 both ways.
        (
            cron("30 1 * * *", "Europe/London"),
            vec![
                trap(
                    "2026-03-29T01:30:00",
                    Gap,
                    "2026-03-29T01:00:00",
                    "2026-03-29T02:00:00",
                ),
                trap(
                    "2026-10-25T01:30:00",
                    Repeat,
                    "2026-10-25T01:00:00",
                    "2026-10-25T02:00:00",
                ),
            ],
        ),
        (
            plain(
                Schedule::At(AtTime::Local(wall("2026-03-08T02:30:00"))),
                "America/New_York",
            ),
            vec![trap(
                "2026-03-08T02:30:00",
                Gap,
                "2026-03-08T02:00:00",
                "2026-03-08T03:00:00",
            )],
        ),
    ];
    for (s, expected) in cases {
        assert_eq!(
            s.dst_traps(from, year),
            expected,
            "{:?} in {}",
            s.schedule,
            s.tz
        );
    }
    let ended = JobSchedule {
        end: Some(t("2026-06-01T00:00:00Z")),
        ..cron("30 1 * * *", "America/New_York")
    };
    assert_eq!(
        ended.dst_traps(from, year),
        vec![],
        "a change after `end` is no trap"
    );
}

#[test]
fn resolve_wall_names_the_instants_and_the_skipped_span() {
    use crate::schedule::{Resolved, resolve_wall};
    let ny = zone("America/New_York");
    // {zone, wall time, expected}
    let cases = [
        (
            ny,
            "2026-07-01T12:00:00",
            Resolved::Single(t("2026-07-01T16:00:00Z")),
        ),
        (
            ny,
            "2026-11-01T01:30:00",
            Resolved::Repeat {
                first: t("2026-11-01T05:30:00Z"),
                second: t("2026-11-01T06:30:00Z"),
            },
        ),
        (
            ny,
            "2026-03-08T02:30:00",
            Resolved::Gap {
                transition: t("2026-03-08T07:00:00Z"),
                offset_before: -5 * 3600,
                skipped: WallSpan {
                    start: wall("2026-03-08T02:00:00"),
                    end: wall("2026-03-08T03:00:00"),
                },
            },
        ),
        (
            zone("America/Santiago"),
            "2026-09-06T00:30:00",
            Resolved::Gap {
                transition: t("2026-09-06T04:00:00Z"),
                offset_before: -4 * 3600,
                skipped: WallSpan {
                    start: wall("2026-09-06T00:00:00"),
                    end: wall("2026-09-06T01:00:00"),
                },
            },
        ),
        (
            zone("Australia/Lord_Howe"),
            "2026-10-04T02:10:00",
            Resolved::Gap {
                transition: t("2026-10-03T15:30:00Z"),
                offset_before: 10 * 3600 + 1800,
                skipped: WallSpan {
                    start: wall("2026-10-04T02:00:00"),
                    end: wall("2026-10-04T02:30:00"),
                },
            },
        ),
    ];
    for (tz, at, expected) in cases {
        assert_eq!(resolve_wall(tz, wall(at)), expected, "{at} in {tz}");
    }
}
