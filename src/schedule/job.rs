//! `JobSchedule`'s behaviour: validation, `next_after`, previews, descriptions, DST traps.
//! (Interface fixed by the skeleton; the schedule work fills in the bodies.)

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{DstTrap, Fire, JobSchedule, ScheduleError};

impl JobSchedule {
    /// Checks the schedule as a whole: it can fire at least once (inside its window),
    /// an `every` interval is in range, and `jitter` is shorter than `min_gap`.
    ///
    /// # Errors
    /// The first [`ScheduleError`] found.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        todo!()
    }

    /// The first run whose `at` (slot + jitter) is strictly after `t`, or `None` when the
    /// schedule has no more runs (a past `at`, or past `end`). Pure: depends only on
    /// `self` and `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<Fire> {
        let _ = t;
        todo!()
    }

    /// The next `count` runs after `t`, in order.
    pub fn upcoming(&self, t: DateTime<Utc>, count: usize) -> Vec<Fire> {
        let mut out = Vec::with_capacity(count);
        let mut cursor = t;
        while out.len() < count {
            match self.next_after(cursor) {
                Some(fire) => {
                    cursor = fire.at;
                    out.push(fire);
                }
                None => break,
            }
        }
        out
    }

    /// The shortest elapsed time between two consecutive runs (`None` for a one-shot).
    pub fn min_gap(&self) -> Option<Duration> {
        todo!()
    }

    /// The schedule in plain words: "at 17:00, Monday through Friday, America/New_York".
    pub fn describe(&self) -> String {
        todo!()
    }

    /// Wall times this schedule names that a DST transition of its zone skips or repeats
    /// between `from` and `from + horizon` (only for schedules that name fixed wall times).
    pub fn dst_traps(&self, from: DateTime<Utc>, horizon: Duration) -> Vec<DstTrap> {
        let _ = (from, horizon);
        todo!()
    }
}
