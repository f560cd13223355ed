//! `JobSchedule`'s behaviour: validation, `next_after`, previews, DST traps. The cron
//! search, the DST rules and the words live in their own modules; this one applies the
//! job-wide parts (the `start`/`end` window and the jitter) on top of them.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::dst;
use super::{
    AtTime, DstNote, DstTrap, DstTrapKind, Fire, JobSchedule, MAX_EVERY, MIN_EVERY, Schedule,
    ScheduleError, WallSpan, at, describe, every, timeline,
};

impl JobSchedule {
    /// Checks the schedule as a whole: the window is not empty, an `every` interval is in
    /// range, the schedule fires at least once (inside its window), and the resolved
    /// `jitter` is shorter than [`JobSchedule::min_gap`]. Cheap: no scan over runs.
    ///
    /// Config should also call [`JobSchedule::validate_jitter`] with the *configured*
    /// maximum (`jitter: 5m`), since the resolved offset stored here may be far below it.
    ///
    /// # Errors
    /// The first [`ScheduleError`] found.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        if let (Some(start), Some(end)) = (self.start, self.end)
            && end <= start
        {
            return Err(ScheduleError::EmptyWindow);
        }
        match &self.schedule {
            Schedule::Every(interval) if !(MIN_EVERY..=MAX_EVERY).contains(interval) => {
                return Err(ScheduleError::IntervalOutOfRange {
                    interval: *interval,
                });
            }
            Schedule::Cron(expr) if !expr.fires_ever() => return Err(ScheduleError::NeverFires),
            _ => {}
        }
        let fires_in_window = match (&self.schedule, self.start, self.end) {
            // A repeating schedule always has runs before an `end` (in the endless past
            // when there is no `start`) and after a `start` (when there is no `end`).
            (Schedule::Cron(_) | Schedule::Every(_), None, _)
            | (Schedule::Cron(_) | Schedule::Every(_), _, None) => true,
            (_, start, _) => {
                let before = start.map_or(DateTime::<Utc>::MIN_UTC, just_before);
                self.next_slot(before).is_some()
            }
        };
        if !fires_in_window {
            return Err(ScheduleError::NeverFires);
        }
        self.validate_jitter(self.jitter)
    }

    /// Checks a jitter of up to `max` against the shortest gap between two runs.
    ///
    /// # Errors
    /// [`ScheduleError::JitterTooLong`] when `max` is not shorter than [`JobSchedule::min_gap`].
    pub fn validate_jitter(&self, max: Duration) -> Result<(), ScheduleError> {
        if max.is_zero() {
            return Ok(());
        }
        match self.min_gap() {
            Some(min_gap) if max >= min_gap => Err(ScheduleError::JitterTooLong {
                jitter: max,
                min_gap,
            }),
            _ => Ok(()),
        }
    }

    /// The first run whose `at` (slot + jitter) is strictly after `t`, or `None` when the
    /// schedule has no more runs (a past `at`, or past `end`). Pure: depends only on
    /// `self` and `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<Fire> {
        let jitter = TimeDelta::from_std(self.jitter).ok()?;
        let (slot, dst) = self.next_slot(t.checked_sub_signed(jitter)?)?;
        Some(Fire {
            slot,
            at: slot.checked_add_signed(jitter)?,
            dst,
        })
    }

    /// The first slot strictly after `after` inside the window.
    fn next_slot(&self, after: DateTime<Utc>) -> Option<(DateTime<Utc>, Option<DstNote>)> {
        let after = match self.start {
            Some(start) => after.max(just_before(start)),
            None => after,
        };
        let (slot, note) = match &self.schedule {
            Schedule::Cron(expr) => timeline::next_cron(expr, self.tz, after)?,
            Schedule::Every(interval) => {
                let origin = self.start.unwrap_or(DateTime::UNIX_EPOCH);
                (every::next_slot_after(origin, *interval, after)?, None)
            }
            Schedule::At(when) => {
                let (t, note) = at::resolve(*when, self.tz)?;
                if t <= after {
                    return None;
                }
                (t, note)
            }
        };
        if self.end.is_some_and(|end| slot > end) {
            return None;
        }
        Some((slot, note))
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

    /// The shortest time between two consecutive runs (`None` for a one-shot, or a cron
    /// expression that never fires). For cron it is measured on the wall clock: a DST
    /// change can shorten one gap a year by up to the size of the shift.
    pub fn min_gap(&self) -> Option<Duration> {
        match &self.schedule {
            Schedule::Cron(expr) => expr.min_gap_seconds().map(Duration::from_secs),
            Schedule::Every(interval) => Some(*interval),
            Schedule::At(_) => None,
        }
    }

    /// The schedule in plain words: "at 17:00, Monday through Friday, America/New_York".
    pub fn describe(&self) -> String {
        describe::describe(self)
    }

    /// Wall times this schedule names that a DST transition of its zone skips or repeats
    /// between `from` and `from + horizon` (only for schedules that name fixed wall times:
    /// fixed-time cron expressions and `at` wall times), leaving out changes outside the
    /// job's `start`/`end` window. At most 100 traps.
    pub fn dst_traps(&self, from: DateTime<Utc>, horizon: Duration) -> Vec<DstTrap> {
        const MAX_TRAPS: usize = 100;
        let mut out = Vec::new();
        let fixed_cron = matches!(&self.schedule, Schedule::Cron(e) if e.is_fixed_time());
        let local_at = matches!(self.schedule, Schedule::At(AtTime::Local(_)));
        if !(fixed_cron || local_at) {
            return out;
        }
        let Some(to) = TimeDelta::from_std(horizon)
            .ok()
            .and_then(|h| from.checked_add_signed(h))
        else {
            return out;
        };
        let in_window =
            |t: DateTime<Utc>| self.start.is_none_or(|s| t >= s) && self.end.is_none_or(|e| t <= e);
        // A trap outside the job's window never touches a run (the runs it would move sit
        // right at the change).
        for tr in dst::transitions(self.tz, from, to)
            .into_iter()
            .filter(|tr| in_window(tr.at))
        {
            let (kind, low, high) = if tr.after > tr.before {
                (DstTrapKind::Gap, tr.before, tr.after)
            } else {
                (DstTrapKind::Repeat, tr.after, tr.before)
            };
            // The wall times [at + low, at + high) are the skipped or the repeated ones.
            let shifted = |secs: i32| {
                tr.at
                    .naive_utc()
                    .checked_add_signed(TimeDelta::seconds(i64::from(secs)))
            };
            let (Some(start), Some(end)) = (shifted(low), shifted(high)) else {
                continue;
            };
            let span = WallSpan { start, end };
            match &self.schedule {
                Schedule::Cron(expr) => {
                    let mut cursor = start
                        .checked_sub_signed(TimeDelta::seconds(1))
                        .unwrap_or(start);
                    while let Some(wall) = expr.next_wall_after(cursor) {
                        if wall >= end || out.len() >= MAX_TRAPS {
                            break;
                        }
                        out.push(DstTrap { wall, kind, span });
                        cursor = wall;
                    }
                }
                Schedule::At(AtTime::Local(wall)) if (start..end).contains(wall) => {
                    out.push(DstTrap {
                        wall: *wall,
                        kind,
                        span,
                    });
                }
                _ => {}
            }
        }
        out
    }
}

/// The last representable instant before `t` (so "after it" includes `t`).
fn just_before(t: DateTime<Utc>) -> DateTime<Utc> {
    t.checked_sub_signed(TimeDelta::nanoseconds(1)).unwrap_or(t)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod props;

#[cfg(test)]
mod reference;
