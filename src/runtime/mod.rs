//! The loop that decides *when* each job fires: timers, misfire, overlap and retries.
//!
//! The runtime keeps every enabled job's next slot in a priority queue and sleeps until
//! the earliest one (nothing due, no wake-up). Each slot comes from the job's schedule,
//! chained from the previous slot, never from "now", so runs are the same instants across
//! restarts. A due slot passes one gate ([`FireGate::claim`]), then the job's overlap rule,
//! then goes to the [`Executor`], which owns *what* a run does. The runtime never spawns a
//! process itself; it also never sleeps on the wall clock directly ([`Clock`]), so tests
//! drive it with tokio's paused time.
//!
//! Rules, precisely (also in docs/logs.md and docs/schedules.md):
//! - Misfire: when a slot comes due, every slot due by now is considered. Only the latest
//!   runs, and only if the clock is at most `misfire_grace` late for it; every other due
//!   slot is logged once as `event=skipped reason=misfire missed=N`.
//! - Overlap: `skip` logs the new slot as skipped; `queue` keeps at most one waiting run
//!   that starts when the running one ends; `replace` terminates the running run (SIGTERM,
//!   SIGKILL after `kill_grace`) and starts the new one when it has ended; `allow` starts
//!   it alongside.
//! - Retries: a failed run (non-zero exit, signal, timeout, failed start; not a lost one,
//!   which may have done its work) is retried
//!   `retries` times, after `retry_backoff`, then twice that, and so on. Unless the job's
//!   overlap is `allow`, a retry that would start at or after the job's next slot, or while
//!   a run of the job already waits, is dropped (`reason=retry_superseded`); a retry that
//!   comes due while a run of the job still goes is dropped too (`reason=overlap`).
//! - Observers: a [`RunObserver`] hears about every start, end, retry and skip where
//!   the engine logs it, and gets a heartbeat every `heartbeat_every` while this clock
//!   leads ([`FireGate::leads`]); it never runs on a job's path.
//! - Shutdown: at the first signal nothing new starts, every run's process group gets
//!   SIGTERM, and what still runs after `shutdown_grace` (or at a second signal) gets
//!   SIGKILL. Every announced run gets a closing line: a waiting run or an announced retry
//!   is logged as `reason=shutdown`, and `event=stopped unreported=N` counts the runs
//!   that had still not ended 5 s after their SIGKILL.

mod catch_up;
mod clock;
mod engine;
mod gate;
mod observe;
pub mod report;
mod spec;
mod timetable;

#[cfg(test)]
mod gate_tests;
#[cfg(test)]
mod tests;

pub use catch_up::{Makeup, plan as plan_catch_up};
pub use clock::{Clock, SystemClock, TokioClock};
pub use gate::{Claim, FireGate, GateEvent, JobMark, LocalGate, RunNote, RunStatus};
pub use observe::{AfterEnd, NoObserver, RunInfo, RunObserver};
pub use spec::build_run_spec;
pub use timetable::Timetable;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::config::{Config, Job};
use crate::exec::{Executor, RunHandle, RunSpec};
use chrono::{DateTime, Utc};

/// A job as the runtime holds it: its settings and where its slots come from.
pub struct ClockJob {
    pub job: Job,
    /// Replaces the job's own schedule as the source of slots (tests use simple ones).
    custom: Option<Box<dyn Timetable>>,
}

impl ClockJob {
    /// A job timed by its own schedule.
    pub fn new(job: Job) -> ClockJob {
        ClockJob { job, custom: None }
    }

    /// A job timed by `timetable` instead of its schedule.
    pub fn with_timetable(job: Job, timetable: Box<dyn Timetable>) -> ClockJob {
        ClockJob {
            job,
            custom: Some(timetable),
        }
    }

    /// Where this job's slots come from.
    pub fn timetable(&self) -> &dyn Timetable {
        match &self.custom {
            Some(custom) => custom.as_ref(),
            None => &self.job.schedule,
        }
    }
}

/// A run an earlier clock started that this one takes over (a one-off dyno still
/// running): it counts for its job's overlap, and its end is logged as any run's.
pub struct AdoptedRun {
    pub job: String,
    pub slot: DateTime<Utc>,
    pub attempt: u32,
    /// Where it runs, for the `adopted` line (`run.N`).
    pub dyno: String,
    /// Follows it, given the spec the runtime builds for it (its run number, env, timeout).
    pub follow: Box<dyn FnOnce(RunSpec) -> RunHandle + Send>,
}

/// What the runtime runs: the enabled jobs, in file order.
pub struct Plan {
    pub jobs: Vec<ClockJob>,
    /// Runs to take over at start-up.
    pub adopted: Vec<AdoptedRun>,
    /// How many jobs the file has with `enabled: false` (for the start-up line).
    pub disabled: usize,
    pub shutdown_grace: Duration,
}

impl Plan {
    /// The enabled jobs of `config`, each timed by its own schedule. Takes the config
    /// so that 10,000 jobs are held once, not twice.
    pub fn from_config(config: Config) -> Plan {
        let total = config.jobs.len();
        let jobs: Vec<ClockJob> = config
            .jobs
            .into_iter()
            .filter(|job| job.enabled)
            .map(ClockJob::new)
            .collect();
        Plan {
            disabled: total - jobs.len(),
            jobs,
            adopted: Vec::new(),
            shutdown_grace: config.shutdown_grace,
        }
    }
}

/// Runs `plan` until the first signal name arrives on `signals`, then shuts down
/// gracefully (see the module docs) and returns. A closed `signals` channel means no
/// signal will ever come.
pub async fn run<E: Executor, G: FireGate, C: Clock>(
    plan: Plan,
    executor: E,
    gate: G,
    clock: C,
    signals: mpsc::UnboundedReceiver<&'static str>,
) {
    run_observed(plan, executor, gate, clock, Arc::new(NoObserver), signals).await;
}

/// [`run`], telling `observer` about every run (alerts, monitor pings) and calling its
/// heartbeat from the timer loop.
pub async fn run_observed<E: Executor, G: FireGate, C: Clock>(
    plan: Plan,
    executor: E,
    gate: G,
    clock: C,
    observer: Arc<dyn RunObserver>,
    signals: mpsc::UnboundedReceiver<&'static str>,
) {
    engine::Engine::new(plan, executor, gate, clock, observer)
        .run(signals)
        .await;
}
