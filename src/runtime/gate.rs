//! The one place where "this slot fires now" is decided.
//!
//! Every run the schedule brings due passes through [`FireGate::claim`] exactly once,
//! keyed on the job and the slot (the schedule's own instant, stable across restarts).
//! With one clock dyno the answer is always yes ([`LocalGate`]); with two dynos sharing
//! Postgres the gate becomes a unique insert on `(job, slot)`, and only the dyno whose
//! insert wins runs it. Retries of a claimed slot are not claimed again. The same gate
//! answers whether this process leads ([`FireGate::leads`]), which the heartbeat asks.

use std::future::Future;

use chrono::{DateTime, Utc};

/// Decides whether this process runs a due slot.
pub trait FireGate: Send + Sync + 'static {
    /// `true` when this process owns the run of `job` at `slot` and should start it.
    fn claim(&self, job: &str, slot: DateTime<Utc>) -> impl Future<Output = bool> + Send;

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
    async fn claim(&self, _job: &str, _slot: DateTime<Utc>) -> bool {
        true
    }
}
