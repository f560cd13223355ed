//! Facts about a zone's clock: which instants a wall time names (none, one or two),
//! the offset at an instant, and where the offset changes. Nothing here knows about
//! schedules; `timeline`, `at` and the DST-trap report build on it, and config reads
//! `start:`/`end:` wall times and classifies `at:` ones with [`resolve`] (re-exported as
//! `schedule::resolve_wall`), so every wall time in the crate is read by this one resolver.

use chrono::{DateTime, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::{GapInfo, Tz};

use super::WallSpan;

/// The instants a wall time names in a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// An ordinary wall time.
    Single(DateTime<Utc>),
    /// Fall back: the wall time happens twice; `first` < `second`.
    Repeat {
        first: DateTime<Utc>,
        second: DateTime<Utc>,
    },
    /// Spring forward: the wall time is skipped. `transition` is the first instant after
    /// the jump; `offset_before` the offset (seconds east of UTC) just before it; `skipped`
    /// every wall time the jump skips.
    Gap {
        transition: DateTime<Utc>,
        offset_before: i32,
        skipped: WallSpan,
    },
}

/// Whether `tz` is UTC under one of its names (the fast path skips all offset lookups).
pub(crate) fn is_utc(tz: Tz) -> bool {
    matches!(
        tz,
        Tz::UTC
            | Tz::Etc__UTC
            | Tz::Etc__UCT
            | Tz::UCT
            | Tz::Etc__Universal
            | Tz::Universal
            | Tz::Etc__Zulu
            | Tz::Zulu
            | Tz::Etc__GMT
            | Tz::GMT
            | Tz::Etc__GMT0
            | Tz::GMT0
            | Tz::Etc__Greenwich
            | Tz::Greenwich
    )
}

/// Seconds east of UTC in `tz` at `t`.
#[inline]
pub(crate) fn offset_at(tz: Tz, t: DateTime<Utc>) -> i32 {
    tz.offset_from_utc_datetime(&t.naive_utc())
        .fix()
        .local_minus_utc()
}

/// The wall time in `tz` at `t`.
#[inline]
pub(crate) fn wall_at(tz: Tz, t: DateTime<Utc>) -> NaiveDateTime {
    shifted(t, offset_at(tz, t))
}

/// The instants `wall` names in `tz`.
pub fn resolve(tz: Tz, wall: NaiveDateTime) -> Resolved {
    match tz.from_local_datetime(&wall) {
        chrono::LocalResult::Single(t) => Resolved::Single(t.with_timezone(&Utc)),
        chrono::LocalResult::Ambiguous(a, b) => {
            let (a, b) = (a.with_timezone(&Utc), b.with_timezone(&Utc));
            Resolved::Repeat {
                first: a.min(b),
                second: a.max(b),
            }
        }
        chrono::LocalResult::None => {
            let transition = gap_end(tz, wall);
            let just_before = transition
                .checked_sub_signed(TimeDelta::seconds(1))
                .unwrap_or(transition);
            let offset_before = offset_at(tz, just_before);
            let skipped = WallSpan {
                start: shifted(transition, offset_before),
                end: wall_at(tz, transition),
            };
            Resolved::Gap {
                transition,
                offset_before,
                skipped,
            }
        }
    }
}

#[inline]
/// The UTC reading of `t` moved by `offset` seconds (the UTC reading itself at the very
/// ends of chrono's range).
pub(crate) fn shifted(t: DateTime<Utc>, offset: i32) -> NaiveDateTime {
    let utc = t.naive_utc();
    utc.checked_add_signed(TimeDelta::seconds(i64::from(offset)))
        .unwrap_or(utc)
}

/// The first instant after the gap that swallows `wall`.
fn gap_end(tz: Tz, wall: NaiveDateTime) -> DateTime<Utc> {
    if let Some(end) = GapInfo::new(&wall, &tz).and_then(|g| g.end) {
        return end.with_timezone(&Utc);
    }
    // The zone data has no explicit end (cannot happen for a real gap, but never panic):
    // bisect for the first instant whose wall time is past `wall`. Offsets stay within
    // ±18 hours, so the answer lies within 18 hours either side of `wall` read as UTC.
    let mut lo = wall.and_utc().timestamp() - 18 * 3600;
    let mut hi = wall.and_utc().timestamp() + 18 * 3600;
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        let t = DateTime::from_timestamp(mid, 0).unwrap_or_default();
        if wall_at(tz, t) > wall {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    DateTime::from_timestamp(hi, 0).unwrap_or_default()
}

/// The first whole second in `(from, to]` whose offset differs from the offset at `from`,
/// found by bisection; `None` when the offset at `to` is the same (a change and its
/// reversal both inside the span are not looked for).
pub(crate) fn first_change(
    tz: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let base = offset_at(tz, from);
    if offset_at(tz, to) == base {
        return None;
    }
    let (mut lo, mut hi) = (from.timestamp(), to.timestamp());
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        let t = DateTime::from_timestamp(mid, 0)?;
        if offset_at(tz, t) == base {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    DateTime::from_timestamp(hi, 0)
}

/// One change of a zone's offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Transition {
    /// The first instant with the new offset.
    pub at: DateTime<Utc>,
    /// Seconds east of UTC before and after.
    pub before: i32,
    pub after: i32,
}

/// Every offset change of `tz` in `(from, to]`, found by sampling the offset twice a day
/// and bisecting where it changed. (Zones never change offset twice within 12 hours.)
pub(crate) fn transitions(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Transition> {
    let mut out = Vec::new();
    if is_utc(tz) {
        return out;
    }
    let step = TimeDelta::hours(12);
    let mut prev_t = from;
    let mut prev = offset_at(tz, from);
    while prev_t < to {
        let next_t = prev_t.checked_add_signed(step).unwrap_or(to).min(to);
        let next = offset_at(tz, next_t);
        if next != prev
            && let Some(at) = first_change(tz, prev_t, next_t)
        {
            out.push(Transition {
                at,
                before: prev,
                after: next,
            });
        }
        prev_t = next_t;
        prev = next;
    }
    out
}
