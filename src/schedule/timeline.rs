//! Cron wall times onto a zone's timeline: the DST rules.
//!
//! A *fixed-time* expression (five fields, minute and hour both fixed: `30 2 * * *`) keeps
//! wall-clock appointments: a time skipped by spring-forward runs once at the first instant
//! after the jump, a repeated time runs once, in its first pass. Every other expression
//! follows elapsed time: it fires at every instant whose wall time matches, so nothing is
//! caught up in a skipped hour and a repeated hour runs twice. The wall-time search itself
//! is the expression's ([`CronExpr::next_wall_after`]).

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use super::DstNote;
use super::cron::CronExpr;
use super::dst::{self, Resolved};

/// How far ahead the elapsed rule looks for a fall-back that could put a wall time *behind*
/// `after` back in the future: longer than any repeat in the tz database (a day, when a
/// zone moved across the date line).
const REPEAT_LOOKAHEAD: TimeDelta = TimeDelta::hours(26);

/// The first instant strictly after `after` at which `expr` fires in `tz`, with a note when
/// DST moved or doubled it.
pub(crate) fn next_cron(
    expr: &CronExpr,
    tz: Tz,
    after: DateTime<Utc>,
) -> Option<(DateTime<Utc>, Option<DstNote>)> {
    if dst::is_utc(tz) {
        let wall = expr.next_wall_after(after.naive_utc())?;
        return Some((wall.and_utc(), None));
    }
    if expr.is_fixed_time() {
        next_fixed_time(expr, tz, after)
    } else {
        next_elapsed(expr, tz, after)
    }
}

/// Fixed-time rule. Mapping each wall time to its instant (the earliest; the jump instant
/// for a skipped one) never goes backwards as the wall time grows, so the answer is the
/// first matching wall time whose instant is after `after`. Only when `after` lies in the
/// second pass of a repeat are there a few earlier-mapping wall times to pass over.
fn next_fixed_time(
    expr: &CronExpr,
    tz: Tz,
    after: DateTime<Utc>,
) -> Option<(DateTime<Utc>, Option<DstNote>)> {
    let mut cursor = dst::wall_at(tz, after);
    loop {
        let wall = expr.next_wall_after(cursor)?;
        let (instant, note) = match dst::resolve(tz, wall) {
            Resolved::Single(t) => (t, None),
            Resolved::Repeat { first, .. } => (first, Some(DstNote::FirstOfRepeat { wall })),
            Resolved::Gap { transition, .. } => (transition, Some(DstNote::MovedFromGap { wall })),
        };
        if instant > after {
            return Some((instant, note));
        }
        cursor = wall;
    }
}

/// Elapsed rule: every instant whose wall time matches. Scans wall times upward from the
/// wall time of `after` and keeps the smallest instant after `after`; in the usual case (no
/// offset change ahead) the first match settles it. When the clocks fall back soon, the
/// repeated wall times at or before the current one get a second pass after `after`, so
/// the scan starts at the repeat's first wall time instead.
fn next_elapsed(
    expr: &CronExpr,
    tz: Tz,
    after: DateTime<Utc>,
) -> Option<(DateTime<Utc>, Option<DstNote>)> {
    let here = dst::offset_at(tz, after);
    let now_wall = dst::wall_at(tz, after);
    let ahead = after.checked_add_signed(REPEAT_LOOKAHEAD).unwrap_or(after);
    let soon = dst::offset_at(tz, ahead);
    let mut cursor = now_wall;
    if soon < here {
        // The repeated wall times run from the change's wall time (new offset) up to
        // here-and-now only if the change comes within `here - soon` of `after`.
        let reach = TimeDelta::seconds(i64::from(here - soon));
        let edge = after.checked_add_signed(reach).unwrap_or(after);
        if let Some(change) = dst::first_change(tz, after, edge) {
            let repeat_start = dst::wall_at(tz, change);
            if repeat_start <= now_wall {
                cursor = repeat_start.checked_sub_signed(TimeDelta::seconds(1))?;
            }
        }
    }
    // No instant before `ahead` has a larger offset, so a wall time W names no instant
    // before W - high; past `ahead`, the earliest instants only grow with W.
    let high = here.max(soon);
    let mut best: Option<(DateTime<Utc>, Option<DstNote>)> = None;
    let keep = |best: &mut Option<(DateTime<Utc>, Option<DstNote>)>, t, note| {
        if best.is_none_or(|(b, _)| t < b) {
            *best = Some((t, note));
        }
    };
    loop {
        let Some(wall) = expr.next_wall_after(cursor) else {
            return best;
        };
        if let Some((b, _)) = best {
            let earliest = wall
                .and_utc()
                .checked_sub_signed(TimeDelta::seconds(i64::from(high)));
            if earliest.is_some_and(|e| e > b) {
                return best;
            }
        }
        match dst::resolve(tz, wall) {
            Resolved::Single(t) if t > after => {
                // The earliest instant of this wall time; no later wall time maps earlier.
                keep(&mut best, t, None);
                return best;
            }
            Resolved::Single(_) => {}
            Resolved::Repeat { first, second } => {
                if first > after {
                    keep(&mut best, first, Some(DstNote::FirstOfRepeat { wall }));
                    return best;
                }
                if second > after {
                    keep(&mut best, second, Some(DstNote::SecondOfRepeat { wall }));
                    // Later repeated wall times up to now only have later second passes.
                    cursor = wall.max(now_wall);
                    continue;
                }
            }
            Resolved::Gap { transition, .. } => {
                // Skip the whole gap at once: none of its wall times exist.
                let resume = dst::wall_at(tz, transition).checked_sub_signed(TimeDelta::seconds(1));
                cursor = resume.map_or(wall, |r| r.max(wall));
                continue;
            }
        }
        cursor = wall;
    }
}
