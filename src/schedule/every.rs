//! `every:` schedules: a fixed interval in elapsed time, aligned to an origin (the Unix
//! epoch, or the job's `start`), so the runs are `origin + k × interval` whatever moment
//! the clock process started, and DST never touches them.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// The first `origin + k × interval` (any whole k) strictly after `after`. The grid runs
/// both ways from the origin; keeping runs at or after a `start` is the window's job.
pub(crate) fn next_slot_after(
    origin: DateTime<Utc>,
    interval: Duration,
    after: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let step = i128::try_from(interval.as_nanos()).ok()?;
    if step == 0 {
        return None;
    }
    let o = nanos(origin);
    let x = nanos(after);
    let k = (x - o).div_euclid(step) + 1;
    let slot = o + k * step;
    from_nanos(slot)
}

fn nanos(t: DateTime<Utc>) -> i128 {
    i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos())
}

fn from_nanos(n: i128) -> Option<DateTime<Utc>> {
    let secs = i64::try_from(n.div_euclid(1_000_000_000)).ok()?;
    let sub = u32::try_from(n.rem_euclid(1_000_000_000)).ok()?;
    DateTime::from_timestamp(secs, sub)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().expect("test instant")
    }

    #[test]
    fn slots_are_aligned_to_the_origin() {
        // {origin, interval seconds, after, expected}
        let cases = [
            (
                "1970-01-01T00:00:00Z",
                37 * 60,
                "2026-01-01T00:00:00Z",
                "2026-01-01T00:16:00Z",
            ),
            (
                "1970-01-01T00:00:00Z",
                60,
                "2026-01-01T00:00:00Z",
                "2026-01-01T00:01:00Z",
            ),
            (
                "1970-01-01T00:00:00Z",
                60,
                "2026-01-01T00:00:30Z",
                "2026-01-01T00:01:00Z",
            ),
            (
                "2026-03-01T10:07:00Z",
                3600,
                "2026-01-01T00:00:00Z",
                "2026-01-01T00:07:00Z",
            ),
            (
                "2026-03-01T10:07:00Z",
                3600,
                "2026-03-01T10:07:00Z",
                "2026-03-01T11:07:00Z",
            ),
            (
                "2026-03-01T10:07:00Z",
                3600,
                "2026-03-05T00:00:00Z",
                "2026-03-05T00:07:00Z",
            ),
            (
                "1970-01-01T00:00:00Z",
                31 * 86_400,
                "1970-01-01T00:00:00Z",
                "1970-02-01T00:00:00Z",
            ),
        ];
        for (origin, secs, after, expected) in cases {
            assert_eq!(
                next_slot_after(t(origin), Duration::from_secs(secs), t(after)),
                Some(t(expected)),
                "origin {origin}, every {secs}s, after {after}"
            );
        }
    }
}
