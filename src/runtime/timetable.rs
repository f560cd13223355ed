//! Where the runtime gets a job's next slot: a one-method view of a schedule.
//!
//! Production jobs use their [`JobSchedule`]; tests plug in simple timetables so the
//! runtime's rules are tested apart from the cron engine.

use chrono::{DateTime, Utc};

use crate::schedule::{Fire, JobSchedule};

/// The runs of one job.
pub trait Timetable: Send + Sync {
    /// The first run whose `at` is strictly after `t` (see [`JobSchedule::next_after`]).
    fn next_after(&self, t: DateTime<Utc>) -> Option<Fire>;
    /// The schedule in words, for the start-up log line.
    fn describe(&self) -> String;
}

impl Timetable for JobSchedule {
    fn next_after(&self, t: DateTime<Utc>) -> Option<Fire> {
        JobSchedule::next_after(self, t)
    }

    fn describe(&self) -> String {
        JobSchedule::describe(self)
    }
}
