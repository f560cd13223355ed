//! The seam through which the rest of the clock hears about runs: [`RunObserver`].
//!
//! The engine calls an observer where it logs a run's start, its end, a retry, a skipped
//! or missed slot, and on each heartbeat tick. Every method is synchronous and must
//! return at once (hand the work to a task, never wait on the network): the engine calls
//! it from the loop that times every job, so an observer that blocked would delay runs.
//! [`crate::notify`] is the observer that sends alerts and monitor pings; the runtime
//! knows nothing about channels or services.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::report::{SkipReason, StopReason};
use crate::config::Job;
use crate::exec::Outcome;

/// One run, as observers see it.
#[derive(Debug, Clone, Copy)]
pub struct RunInfo<'a> {
    pub job: &'a Job,
    /// The run's number in this process (`run=` in the logs).
    pub run: u64,
    pub slot: DateTime<Utc>,
    pub attempt: u32,
}

/// What follows a run's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterEnd {
    /// Attempt `attempt` starts after `delay`: this end is not the run's final outcome.
    Retry { attempt: u32, delay: Duration },
    /// Nothing: this is the run's final outcome.
    Final,
}

/// Hears about runs. Every method has an empty default.
pub trait RunObserver: Send + Sync + 'static {
    /// Whether runs of `job` should keep the end of their output for [`Self::ended`].
    fn wants_output(&self, _job: &Job) -> bool {
        false
    }

    /// An attempt started.
    fn started(&self, _run: RunInfo<'_>) {}

    /// An attempt ended; `output` is the end of its output when [`Self::wants_output`]
    /// asked for it.
    fn ended(
        &self,
        _run: RunInfo<'_>,
        _outcome: &Outcome,
        _stop: Option<StopReason>,
        _after: AfterEnd,
        _output: Option<(String, bool)>,
    ) {
    }

    /// A slot (or a retry, with `attempt`) did not run. For a misfire, `missed` counts
    /// the slots passed over.
    fn skipped(
        &self,
        _job: &Job,
        _slot: DateTime<Utc>,
        _reason: SkipReason,
        _attempt: Option<u32>,
        _missed: u64,
    ) {
    }

    /// How often [`Self::heartbeat`] should be called, if at all.
    fn heartbeat_every(&self) -> Option<Duration> {
        None
    }

    /// The timer loop is alive and this clock schedules (see [`super::FireGate::leads`]).
    fn heartbeat(&self, _now: DateTime<Utc>) {}

    /// The clock got a signal and will stop within `grace`.
    fn stopping(&self, _grace: Duration) {}

    /// Every run has ended and the clock is about to exit: finish what is pending (the
    /// one call that may wait; the engine logs `stopped` after it).
    fn drain(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(std::future::ready(()))
    }
}

/// Hears nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoObserver;

impl RunObserver for NoObserver {}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    use chrono::TimeZone;
    use tokio::sync::mpsc;

    use super::super::{Claim, FireGate, Plan, TokioClock, run_observed};
    use super::*;
    use crate::exec::{Executor, RunHandle, RunSpec};

    struct NoRuns;
    impl Executor for NoRuns {
        fn start(&self, _spec: RunSpec) -> RunHandle {
            RunHandle::pair(None).0
        }
    }

    /// A gate whose leadership a test can switch.
    #[derive(Clone, Default)]
    struct Leader(Arc<AtomicBool>);
    impl FireGate for Leader {
        async fn claim(&self, _job: &str, _slot: DateTime<Utc>) -> Claim {
            Claim::Ours {
                busy_elsewhere: false,
            }
        }
        async fn leads(&self) -> bool {
            self.0.load(Ordering::SeqCst)
        }
    }

    #[derive(Default)]
    struct Beats(Mutex<Vec<DateTime<Utc>>>);
    impl RunObserver for Beats {
        fn heartbeat_every(&self) -> Option<Duration> {
            Some(Duration::from_secs(300))
        }
        fn heartbeat(&self, now: DateTime<Utc>) {
            self.0.lock().unwrap().push(now);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_heartbeat_ticks_from_the_loop_only_while_this_clock_leads() {
        let start = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
        let beats = Arc::new(Beats::default());
        let leader = Leader::default();
        leader.0.store(true, Ordering::SeqCst);
        let (signals, signals_rx) = mpsc::unbounded_channel();
        let plan = Plan {
            jobs: Vec::new(),
            adopted: Vec::new(),
            disabled: 0,
            shutdown_grace: Duration::from_secs(1),
        };
        let task = tokio::spawn(run_observed(
            plan,
            NoRuns,
            leader.clone(),
            TokioClock::starting_at(start),
            Arc::clone(&beats) as Arc<dyn RunObserver>,
            signals_rx,
        ));
        tokio::time::sleep(Duration::from_secs(16 * 60)).await;
        // Another clock takes the lead: this one stops pinging, and resumes when it leads.
        leader.0.store(false, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(10 * 60)).await;
        leader.0.store(true, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(5 * 60)).await;
        signals.send("SIGTERM").unwrap();
        task.await.unwrap();
        let minutes: Vec<i64> = beats
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|t| (*t - start).num_minutes())
            .collect();
        assert_eq!(
            minutes,
            [5, 10, 15, 30],
            "every 5 minutes, none while not leading"
        );
    }
}
