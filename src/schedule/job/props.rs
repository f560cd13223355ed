//! Property tests: for random expressions, zones and instants (half of them within hours of
//! a DST transition), `next_after` moves strictly forward, lands on a matching wall time,
//! and skips no match — checked against a brute-force scan of every minute (or second).

use chrono::{DateTime, TimeDelta, Timelike, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

use crate::schedule::dst::{self, Resolved};
use crate::schedule::{CronExpr, DstNote, JobSchedule, Schedule};

const ZONES: [Tz; 8] = [
    Tz::UTC,
    Tz::America__New_York,
    Tz::Europe__Berlin,
    Tz::Australia__Lord_Howe,
    Tz::Australia__Sydney,
    Tz::America__Santiago,
    Tz::Asia__Kolkata,
    Tz::America__St_Johns,
];

const MINUTES: [&str; 9] = [
    "*", "*/5", "*/7", "0", "15,45", "10-20", "*/45", "5/20", "30",
];
const HOURS: [&str; 7] = ["*", "*/3", "2", "1-3", "*/2", "0,1,2,3", "23"];
const DAYS: [&str; 10] = ["*", "1", "15", "L", "*/2", "1-7", "15W", "LW", "?", "L-1"];
const MONTHS: [&str; 6] = ["*", "*/2", "1-6", "feb", "3,11", "10-12"];
const WEEKDAYS: [&str; 8] = ["*", "mon-fri", "0", "5L", "2#2", "sat,sun", "?", "*/3"];

/// 2026-01-01 .. 2028-01-01 in seconds.
const FROM: i64 = 1_767_225_600;
const SPAN: i64 = 2 * 365 * 86_400;

fn job(expr: &CronExpr, tz: Tz) -> JobSchedule {
    JobSchedule {
        schedule: Schedule::Cron(expr.clone()),
        tz,
        jitter: std::time::Duration::ZERO,
        start: None,
        end: None,
    }
}

/// An instant: uniform over two years, or within three hours of one of the zone's offset
/// changes (where the DST rules matter).
fn instant(tz: Tz, uniform: i64, near: bool, pick: usize, shift: i64) -> DateTime<Utc> {
    let base = DateTime::from_timestamp(FROM + uniform, 0).unwrap_or_default();
    if !near {
        return base;
    }
    let from = DateTime::from_timestamp(FROM, 0).unwrap_or_default();
    let to = DateTime::from_timestamp(FROM + SPAN, 0).unwrap_or_default();
    let transitions = dst::transitions(tz, from, to);
    match transitions.get(pick % transitions.len().max(1)) {
        Some(tr) => tr.at + TimeDelta::seconds(shift),
        None => base,
    }
}

/// Whether a run at `u` (whose wall time matches) is one the rules allow to be skipped:
/// for a fixed-time expression, the second pass of a repeated wall time.
fn may_skip(expr: &CronExpr, tz: Tz, u: DateTime<Utc>) -> bool {
    expr.is_fixed_time()
        && !dst::is_utc(tz)
        && matches!(dst::resolve(tz, dst::wall_at(tz, u)), Resolved::Repeat { second, .. } if second == u)
}

fn check(expr: &CronExpr, tz: Tz, t: DateTime<Utc>, step: TimeDelta, scan: TimeDelta) {
    let text = expr.as_str();
    let s = job(expr, tz);
    let Some(fire) = s.next_after(t) else {
        panic!("`{text}` in {tz}: no run after {t}");
    };
    let n = fire.slot;
    assert!(
        n > t,
        "`{text}` in {tz}: next_after({t}) = {n} is not later"
    );
    // The run's wall time matches, and a DST note says truthfully what happened to it.
    let resolved = |wall| dst::resolve(tz, wall);
    match fire.dst {
        None => {
            let wall = dst::wall_at(tz, n);
            assert!(
                expr.matches(wall),
                "`{text}` in {tz}: {n} (wall {wall}) does not match"
            );
        }
        Some(DstNote::MovedFromGap { wall }) => {
            assert!(
                expr.is_fixed_time() && expr.matches(wall),
                "`{text}` in {tz}: moved {wall}"
            );
            assert!(
                matches!(resolved(wall), Resolved::Gap { transition, .. } if transition == n),
                "`{text}` in {tz}: {wall} moved to {n}, which is not the end of its gap"
            );
        }
        Some(DstNote::FirstOfRepeat { wall }) => {
            assert!(expr.matches(wall), "`{text}` in {tz}: first pass of {wall}");
            assert!(
                matches!(resolved(wall), Resolved::Repeat { first, .. } if first == n),
                "`{text}` in {tz}: {n} is not the first pass of {wall}"
            );
        }
        Some(DstNote::SecondOfRepeat { wall }) => {
            assert!(
                !expr.is_fixed_time() && expr.matches(wall),
                "`{text}` in {tz}: second pass of {wall}"
            );
            assert!(
                matches!(resolved(wall), Resolved::Repeat { second, .. } if second == n),
                "`{text}` in {tz}: {n} is not the second pass of {wall}"
            );
        }
    }
    // A fixed-time job catches up a skipped wall time at the jump: no gap strictly between
    // t and n may hide a matching wall time.
    if expr.is_fixed_time() {
        let gaps = dst::transitions(tz, t, n)
            .into_iter()
            .filter(|tr| tr.after > tr.before && tr.at < n);
        for tr in gaps {
            let gap_start = tr.at.naive_utc() + TimeDelta::seconds(i64::from(tr.before));
            let gap_end = tr.at.naive_utc() + TimeDelta::seconds(i64::from(tr.after));
            let hidden = expr
                .next_wall_after(gap_start - TimeDelta::seconds(1))
                .filter(|w| *w < gap_end);
            assert_eq!(
                hidden, None,
                "`{text}` in {tz}: from {t}, the gap at {} hides a run before {n}",
                tr.at
            );
        }
    }
    if let Some(after) = s.next_after(n) {
        assert!(
            after.slot > n,
            "`{text}` in {tz}: {} follows {n}",
            after.slot
        );
    }
    // Brute force: no matching, non-skippable instant strictly between t and n.
    let limit = n.min(t + scan);
    let secs = step.num_seconds();
    let mut u = DateTime::from_timestamp((t.timestamp().div_euclid(secs) + 1) * secs, 0)
        .unwrap_or_default();
    while u < limit {
        let wall = dst::wall_at(tz, u);
        assert!(
            !expr.matches(wall) || may_skip(expr, tz, u),
            "`{text}` in {tz}: from {t}, next_after gave {n} but {u} (wall {wall}) matches"
        );
        u += step;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn five_field_runs_are_next_and_none_is_skipped(
        m in prop::sample::select(&MINUTES[..]),
        h in prop::sample::select(&HOURS[..]),
        dom in prop::sample::select(&DAYS[..]),
        mon in prop::sample::select(&MONTHS[..]),
        dow in prop::sample::select(&WEEKDAYS[..]),
        tz in prop::sample::select(&ZONES[..]),
        uniform in 0..SPAN,
        near in any::<bool>(),
        pick in 0usize..8,
        shift in -3 * 3600i64..3 * 3600,
    ) {
        let text = format!("{m} {h} {dom} {mon} {dow}");
        let expr = CronExpr::parse(&text).unwrap_or_else(|e| panic!("`{text}`: {e}"));
        prop_assume!(expr.fires_ever());
        let t = instant(tz, uniform, near, pick, shift);
        check(&expr, tz, t, TimeDelta::minutes(1), TimeDelta::days(2));
    }

    #[test]
    fn daily_runs_around_dst_changes(
        m in prop::sample::select(&["0", "15,45", "10-20", "30", "*/20", "*"][..]),
        h in prop::sample::select(&["1", "2", "1-3", "0,1,2,3", "*/2", "*"][..]),
        tz in prop::sample::select(&ZONES[1..6]),
        pick in 0usize..8,
        shift in -4 * 3600i64..4 * 3600,
    ) {
        // Every day matches, so the change day always does: this is where the DST rules
        // (catch up a skipped time, run a repeated one once or twice) are exercised.
        let text = format!("{m} {h} * * *");
        let expr = CronExpr::parse(&text).unwrap_or_else(|e| panic!("`{text}`: {e}"));
        let t = instant(tz, 0, true, pick, shift);
        check(&expr, tz, t, TimeDelta::minutes(1), TimeDelta::days(2));
    }

    #[test]
    fn six_field_runs_are_next_and_none_is_skipped(
        s in prop::sample::select(&["*/10", "0", "*/7", "30-35"][..]),
        m in prop::sample::select(&MINUTES[..]),
        h in prop::sample::select(&HOURS[..]),
        tz in prop::sample::select(&ZONES[..]),
        uniform in 0..SPAN,
        near in any::<bool>(),
        pick in 0usize..8,
        shift in -2 * 3600i64..2 * 3600,
        frac in 0u32..1_000_000_000,
    ) {
        let text = format!("{s} {m} {h} * * *");
        let expr = CronExpr::parse(&text).unwrap_or_else(|e| panic!("`{text}`: {e}"));
        let t = instant(tz, uniform, near, pick, shift);
        let t = t.with_nanosecond(frac).unwrap_or(t);
        check(&expr, tz, t, TimeDelta::seconds(1), TimeDelta::hours(3));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn describe_and_traps_never_panic(
        m in prop::sample::select(&MINUTES[..]),
        h in prop::sample::select(&HOURS[..]),
        dom in prop::sample::select(&DAYS[..]),
        mon in prop::sample::select(&MONTHS[..]),
        dow in prop::sample::select(&WEEKDAYS[..]),
        tz in prop::sample::select(&ZONES[..]),
    ) {
        let text = format!("{m} {h} {dom} {mon} {dow}");
        let expr = CronExpr::parse(&text).unwrap_or_else(|e| panic!("`{text}`: {e}"));
        let s = job(&expr, tz);
        let words = s.describe();
        prop_assert!(words.ends_with(tz.name()), "`{text}`: {words}");
        let from = DateTime::from_timestamp(FROM, 0).unwrap_or_default();
        let traps = s.dst_traps(from, std::time::Duration::from_secs(365 * 86_400));
        prop_assert!(traps.len() <= 100);
        prop_assert!(expr.is_fixed_time() || traps.is_empty());
    }
}
