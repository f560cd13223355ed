//! `at:` schedules: the one instant a job runs. An exact instant is used as is; a wall
//! time is read in the job's zone the way java.time's "compatible" resolver does: a time
//! skipped by a DST jump moves forward by the length of the gap (02:30 in a 02:00→03:00
//! gap runs at 03:30), and a repeated time takes its first pass.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use super::dst::{self, Resolved};
use super::{AtTime, DstNote};

/// The instant of `at` in `tz`, with a note when DST moved or doubled the wall time.
pub(crate) fn resolve(at: AtTime, tz: Tz) -> Option<(DateTime<Utc>, Option<DstNote>)> {
    match at {
        AtTime::Instant(t) => Some((t, None)),
        AtTime::Local(wall) => match dst::resolve(tz, wall) {
            Resolved::Single(t) => Some((t, None)),
            Resolved::Repeat { first, .. } => Some((first, Some(DstNote::FirstOfRepeat { wall }))),
            Resolved::Gap { offset_before, .. } => {
                // The wall time read with the offset in force before the jump.
                let t = wall
                    .and_utc()
                    .checked_sub_signed(TimeDelta::seconds(i64::from(offset_before)))?;
                Some((t, Some(DstNote::MovedFromGap { wall })))
            }
        },
    }
}
