//! The one place where "this slot fires now" is decided, and what the gate learns back.
//!
//! Every slot the schedule brings due passes through [`FireGate::claim`] exactly once,
//! keyed on the job and the slot (the schedule's own instant, stable across restarts).
//! With one clock the answer is always yes ([`LocalGate`]); with a store the gate is a
//! unique insert on `(job, slot)` in Postgres, and only the clock whose insert wins runs
//! the slot (see [`crate::store`]). Retries of a claimed slot are not claimed again.
//!
//! The rest of the contract lets a store keep history and lead without the loop knowing
//! any SQL: the loop tells the gate how each run went ([`FireGate::note`], which must not
//! block), asks whether another clock still runs a job ([`FireGate::busy_elsewhere`]),
//! listens for what the gate needs from it ([`FireGate::next_event`]: make up missed
//! slots after a takeover, retry a run a dead clock lost) and tells it when to stop
//! leading ([`FireGate::stop_leading`], at the first signal).

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::report::SkipReason;

/// What the gate decided for a due slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This clock owns the run. `busy_elsewhere`: another live clock still runs the job
    /// (it counts as running for `overlap`).
    Ours { busy_elsewhere: bool },
    /// Another clock claimed the slot (a debug line at most).
    Taken,
    /// This clock does not schedule now: another one leads.
    Standby,
    /// The store could not answer; nothing starts. The gate asks for a catch-up once it
    /// is back ([`GateEvent::CatchUp`]).
    Unavailable,
}

/// How a run ended, for history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Succeeded,
    Failed,
    TimedOut,
    /// Stopped by the clock: shut down, replaced, or stopped through its handle.
    Interrupted,
    /// The clock lost track of it (`End::Lost`): how it ended is unknown.
    Lost,
    /// Left running in its one-off dyno when the clock shut down (`End::Detached`).
    Detached,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::TimedOut => "timed_out",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Lost => "lost",
            RunStatus::Detached => "detached",
        }
    }
}

/// Something that happened to a run, for history. Times are this clock's, taken when
/// it happened (a store may write them much later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunNote {
    Started {
        job: String,
        slot: DateTime<Utc>,
        attempt: u32,
        at: DateTime<Utc>,
    },
    Ended {
        job: String,
        slot: DateTime<Utc>,
        attempt: u32,
        at: DateTime<Utc>,
        status: RunStatus,
        /// Why, for an interrupted run (`replaced`, `shutdown`, `stopped`).
        reason: Option<&'static str>,
        exit_code: Option<i32>,
        duration: Duration,
        /// The last few KiB of the run's output, when the executor kept them.
        output: Option<String>,
    },
    /// A claimed slot (or a retry) that did not run.
    Skipped {
        job: String,
        slot: DateTime<Utc>,
        attempt: u32,
        reason: SkipReason,
    },
    /// Slots passed as misfires, never claimed.
    Missed {
        job: String,
        slots: Vec<DateTime<Utc>>,
    },
}

/// Where a job's make-up starts: slots after `after` may be missed ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobMark {
    pub job: String,
    /// The later of the job's last recorded slot and when it first appeared.
    pub after: DateTime<Utc>,
}

/// What the gate asks of the loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateEvent {
    /// This clock took the lead (or the store is back): slots after each mark that fell
    /// due while no clock scheduled are made up (the latest within `misfire_grace`) or
    /// recorded as misfires.
    CatchUp(Vec<JobMark>),
    /// Attempt `attempt` of `job` at `slot` was lost with its clock: retry it when the
    /// job has retries left.
    Lost {
        job: String,
        slot: DateTime<Utc>,
        attempt: u32,
    },
}

/// Decides whether this process runs a due slot, and hears how runs went.
pub trait FireGate: Send + Sync + 'static {
    /// Whether this process owns the run of `job` at `slot`; only [`Claim::Ours`] starts it.
    fn claim(&self, job: &str, slot: DateTime<Utc>) -> impl Future<Output = Claim> + Send;

    /// [`FireGate::claim`] for several slots that came due together, answers in order.
    /// A store claims them concurrently; the default asks one after the other.
    fn claim_all(
        &self,
        slots: Vec<(String, DateTime<Utc>)>,
    ) -> impl Future<Output = Vec<Claim>> + Send {
        async move {
            let mut claims = Vec::with_capacity(slots.len());
            for (job, slot) in &slots {
                claims.push(self.claim(job, *slot).await);
            }
            claims
        }
    }

    /// Records what happened to a run. Never blocks the loop.
    fn note(&self, _note: RunNote) {}

    /// Whether another clock still runs `job` (for a run that waits on `overlap`).
    fn busy_elsewhere(&self, _job: &str) -> impl Future<Output = bool> + Send {
        std::future::ready(false)
    }

    /// The next thing the gate needs the loop to do; never ready when there is none.
    fn next_event(&self) -> impl Future<Output = GateEvent> + Send {
        std::future::pending()
    }

    /// The clock is shutting down: start nothing new and hand the lead over now.
    fn stop_leading(&self) {}

    /// `true` when this process is the one scheduling, so its heartbeat speaks for the
    /// clock. Alone it always is; with several clocks sharing a store, only the leader.
    fn leads(&self) -> impl Future<Output = bool> + Send {
        std::future::ready(true)
    }
}

/// One clock, no competition: every slot is ours.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalGate;

impl FireGate for LocalGate {
    async fn claim(&self, _job: &str, _slot: DateTime<Utc>) -> Claim {
        Claim::Ours {
            busy_elsewhere: false,
        }
    }
}
