//! Schedules: a validated model of *when* a job runs, and the pure `next_after(t)`.
//!
//! This module owns the cron dialect (Debian cron's rules plus `L`, `W`, `#` and seconds),
//! `every` intervals aligned to a fixed origin, one-shot `at` runs, the per-job stable
//! jitter, DST handling and the plain-words description. Every instant is computed from the
//! schedule and the instant asked about, never from the wall clock, so the same question
//! always gets the same answer and runs are the same instants across restarts. It does not
//! read files, know about YAML positions, or sleep: `config` maps errors to lines and
//! `runtime` decides when to wake.

mod at;
pub mod cron;
mod describe;
mod dst;
mod every;
mod jitter;
mod job;
mod timeline;

pub use cron::{CronError, CronExpr, CronWarning};
pub use dst::{Resolved, resolve as resolve_wall};
pub use jitter::stable_jitter;

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;

/// The shortest `every` interval.
pub const MIN_EVERY: Duration = Duration::from_secs(1);
/// The longest `every` interval (31 days).
pub const MAX_EVERY: Duration = Duration::from_secs(31 * 86_400);

/// What kind of schedule a job has, before zone, jitter and window are applied.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// A cron expression, read in the job's zone.
    Cron(CronExpr),
    /// A fixed interval in elapsed time, aligned to the Unix epoch or the job's `start`.
    Every(Duration),
    /// One run.
    At(AtTime),
}

/// The instant of an `at:` schedule as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtTime {
    /// `2026-12-31T23:30:00`: a wall time in the job's zone.
    Local(NaiveDateTime),
    /// `2026-12-31T23:30:00-05:00` or `...Z`: an exact instant.
    Instant(DateTime<Utc>),
}

/// Everything that decides the instants a job runs at.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSchedule {
    pub schedule: Schedule,
    pub tz: Tz,
    /// The stable delay added to every slot; `Duration::ZERO` without `jitter:`. This is
    /// the *resolved* offset, `stable_jitter(job_name, configured_max)`, not the maximum;
    /// check the maximum with [`JobSchedule::validate_jitter`].
    pub jitter: Duration,
    /// No run before this instant (inclusive); also the origin of an `every` schedule.
    pub start: Option<DateTime<Utc>>,
    /// No run after this instant (inclusive).
    pub end: Option<DateTime<Utc>>,
}

/// One run of a job: the slot the schedule names, and when it actually fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fire {
    /// The schedule's own instant for this run: the identity of the run (a future
    /// exactly-once claim is keyed on job and slot).
    pub slot: DateTime<Utc>,
    /// `slot` plus the job's jitter: when the run starts.
    pub at: DateTime<Utc>,
    /// Set when DST moved or doubled this run.
    pub dst: Option<DstNote>,
}

/// How a DST transition touched one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DstNote {
    /// The wall time named by the schedule was skipped by a spring-forward jump. A cron
    /// run fires at the first instant after the jump instead; an `at` run fires later by
    /// the length of the jump (02:30 in a 02:00→03:00 gap runs at 03:30).
    MovedFromGap { wall: NaiveDateTime },
    /// The wall time happens twice (fall back) and this run is its first pass.
    FirstOfRepeat { wall: NaiveDateTime },
    /// The wall time happens twice and this run is its second pass (elapsed-time schedules).
    SecondOfRepeat { wall: NaiveDateTime },
}

/// Why a schedule cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleError {
    /// No instant ever matches (`0 0 30 2 *`).
    NeverFires,
    /// `every` outside [`MIN_EVERY`]..=[`MAX_EVERY`].
    IntervalOutOfRange { interval: Duration },
    /// `jitter` must be shorter than the shortest gap between two runs
    /// ([`JobSchedule::min_gap`]); `jitter` here is the value checked (the configured
    /// maximum when it comes from [`JobSchedule::validate_jitter`]).
    JitterTooLong { jitter: Duration, min_gap: Duration },
    /// `end` is not after `start`.
    EmptyWindow,
}

/// A wall-clock trap that a fixed-time job falls into (a validation warning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DstTrap {
    /// The wall time named by the schedule that is skipped or repeated.
    pub wall: NaiveDateTime,
    pub kind: DstTrapKind,
    /// Every wall time that change skips or repeats, `wall` among them.
    pub span: WallSpan,
}

/// The wall times one DST change skips or repeats: from `start` up to, not including,
/// `end`. New York's spring-forward skips 02:00 to 03:00; America/Santiago's skips 00:00
/// to 01:00, and its fall-back repeats 23:00 to 24:00 (`end` is the next midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WallSpan {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DstTrapKind {
    /// Spring forward: the wall time does not exist that day.
    Gap,
    /// Fall back: the wall time happens twice that day.
    Repeat,
}
