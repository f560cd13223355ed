//! Every log event the runtime writes, in one file, so the shapes documented in
//! docs/logs.md can be checked against one place, and [`EVENTS`], the list of every
//! event name anything in heroku-clock can log.
//!
//! Levels: `info` for the normal life of a run, `warn` for a run that did not happen or
//! was cut short by the clock, `error` for a run that failed by itself.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::exec::{End, Outcome};
use crate::schedule::DstNote;

/// Every `event=` name a `tracing` call anywhere in `src/` can log, here or elsewhere
/// (`exec` logs `output`, `leftover`, `logging` logs `setting_ignored`, and its writer
/// `output_dropped` through `logging::format::event_field`).
///
/// This is the one list the docs are checked against: `tests/docs.rs` fails when
/// docs/logs.md has no row for one of these or a row for any other name, and the unit
/// tests in `report/event_list_tests.rs` fail when a `tracing` call in `src/` uses a name
/// missing here, or when a name here is logged nowhere. To add an event: log it with `event = "name"` (a string
/// literal), add its name here, and add its row to docs/logs.md.
pub const EVENTS: &[&str] = &[
    // Start-up.
    "scheduled",
    "running",
    "setting_ignored",
    // A run's life.
    "started",
    "output",
    "succeeded",
    "failed",
    "timed_out",
    "killed",
    "interrupted",
    "retrying",
    "queued",
    "replacing",
    "leftover",
    "lost",
    "output_dropped",
    // A run in a one-off dyno.
    "launched",
    "adopted",
    "adoption_failed",
    "stop_failed",
    "detached",
    // Runs that did not happen.
    "skipped",
    // Shutdown.
    "shutdown",
    "signal",
    "grace_over",
    "stopped",
    // Alerts, monitor pings and the heartbeat (`notify` logs these).
    "notified",
    "notify_failed",
    "notify_dropped",
    "notify_disabled",
    // With a store (several clocks on one database).
    "store",
    "leader",
    "standby",
    "caught_up",
    "store_error",
];

/// RFC 3339 in UTC (`2026-01-05T09:00:00Z`), with a fraction only when there is one.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// How long after `due` it is at `now`, in milliseconds (0 when early).
pub fn late_ms(due: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    (now - due).to_std().map(ms).unwrap_or(0)
}

pub fn job_scheduled(job: &str, schedule: &str, next: Option<DateTime<Utc>>) {
    let next_run = next.map_or_else(|| "none".to_string(), rfc3339);
    tracing::info!(
        event = "scheduled",
        job,
        schedule,
        next_run = next_run.as_str()
    );
}

pub fn running(jobs: usize, disabled: usize) {
    tracing::info!(event = "running", jobs, disabled);
}

/// Identifies one run in every event about it.
#[derive(Debug, Clone, Copy)]
pub struct RunRef<'a> {
    pub job: &'a str,
    pub run: u64,
    pub slot: DateTime<Utc>,
    pub attempt: u32,
}

/// `dst` is set when a DST transition moved or doubled this slot.
pub fn started(run: RunRef<'_>, late_ms: u64, dst: Option<DstNote>, pid: Option<u32>) {
    let (dst, wall) = match dst {
        Some(DstNote::MovedFromGap { wall }) => (Some("moved_from_gap"), Some(wall)),
        Some(DstNote::FirstOfRepeat { wall }) => (Some("first_of_repeat"), Some(wall)),
        Some(DstNote::SecondOfRepeat { wall }) => (Some("second_of_repeat"), Some(wall)),
        None => (None, None),
    };
    let wall = wall.map(|wall| wall.format("%Y-%m-%dT%H:%M:%S").to_string());
    tracing::info!(
        event = "started",
        job = run.job,
        run = run.run,
        scheduled_for = rfc3339(run.slot).as_str(),
        late_ms,
        attempt = run.attempt,
        dst,
        dst_wall = wall.as_deref(),
        pid,
    );
}

/// Why the clock ended a run early, when it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// `overlap: replace`: a newer run of the same job took its place.
    Replaced,
    /// The clock is shutting down.
    Interrupted,
}

/// What a failed line says of a dyno the platform killed for memory.
const MEMORY_EXCEEDED: &str = "the platform killed the dyno for memory (R15, Memory quota vastly exceeded): give the job a larger dyno_size";

/// Logs how a run ended; returns `true` when the run failed by itself (a non-zero exit,
/// a signal, a timeout, a failed start), which is what retries are for. A lost run is
/// not such a failure: nobody knows how it ended.
pub fn ended(run: RunRef<'_>, outcome: &Outcome, stop: Option<StopReason>) -> bool {
    let duration_ms = ms(outcome.duration);
    let scheduled_for = rfc3339(run.slot);
    let scheduled_for = scheduled_for.as_str();
    let (job, id, attempt) = (run.job, run.run, run.attempt);
    let dyno = outcome.dyno.as_ref().map(|note| note.name.as_str());
    let memory = outcome
        .dyno
        .as_ref()
        .is_some_and(|note| note.memory_exceeded);
    match (stop, &outcome.end) {
        (_, End::Detached) => {
            tracing::warn!(
                event = "detached",
                job,
                run = id,
                scheduled_for,
                attempt,
                dyno,
                duration_ms
            );
            false
        }
        (Some(StopReason::Replaced), _) => {
            tracing::warn!(
                event = "killed",
                job,
                run = id,
                scheduled_for,
                attempt,
                reason = "replaced",
                dyno,
                duration_ms
            );
            false
        }
        (Some(StopReason::Interrupted), _) => {
            tracing::warn!(
                event = "interrupted",
                job,
                run = id,
                scheduled_for,
                attempt,
                dyno,
                duration_ms
            );
            false
        }
        (None, End::Exited(0)) => {
            tracing::info!(
                event = "succeeded",
                job,
                run = id,
                scheduled_for,
                attempt,
                exit_code = 0,
                dyno,
                duration_ms
            );
            false
        }
        (None, End::Exited(code)) => {
            tracing::error!(
                event = "failed",
                job,
                run = id,
                scheduled_for,
                attempt,
                exit_code = code,
                dyno,
                error = memory.then_some(MEMORY_EXCEEDED),
                duration_ms
            );
            true
        }
        (None, End::Signaled(signal)) => {
            let exit_code = outcome.end.exit_code();
            tracing::error!(
                event = "failed",
                job,
                run = id,
                scheduled_for,
                attempt,
                exit_code,
                signal,
                dyno,
                duration_ms
            );
            true
        }
        (None, End::TimedOut) => {
            tracing::error!(
                event = "timed_out",
                job,
                run = id,
                scheduled_for,
                attempt,
                dyno,
                duration_ms
            );
            true
        }
        (None, End::Stopped) => {
            tracing::warn!(
                event = "killed",
                job,
                run = id,
                scheduled_for,
                attempt,
                reason = "stopped",
                dyno,
                duration_ms
            );
            false
        }
        (None, End::SpawnFailed(error)) => {
            tracing::error!(
                event = "failed",
                job,
                run = id,
                scheduled_for,
                attempt,
                exit_code = 127,
                error = error.as_str(),
                dyno,
                duration_ms
            );
            true
        }
        (None, End::Lost(error)) => {
            // Not retried: the run may have done its work, or may still be doing it.
            tracing::error!(
                event = "lost",
                job,
                run = id,
                scheduled_for,
                attempt,
                dyno,
                error = error.as_str(),
                duration_ms
            );
            false
        }
    }
}

/// Why a due run did not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// `overlap: skip` and the previous run still goes (or a retry met a running run).
    Overlap,
    /// `overlap: queue` and one run already waits.
    QueueFull,
    /// The clock reached the slot later than `misfire_grace` (or a later slot was due too).
    Misfire,
    /// A waiting run was superseded by a newer one (`overlap: replace`).
    Superseded,
    /// A retry would start at or after the job's next run.
    RetrySuperseded,
    /// The clock shut down while the run waited.
    Shutdown,
    /// Another clock claimed the slot.
    Claimed,
    /// The store could not be reached to claim it.
    StoreError,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Overlap => "overlap",
            SkipReason::QueueFull => "queue_full",
            SkipReason::Misfire => "misfire",
            SkipReason::Superseded => "superseded",
            SkipReason::RetrySuperseded => "retry_superseded",
            SkipReason::Shutdown => "shutdown",
            SkipReason::Claimed => "claimed",
            SkipReason::StoreError => "store_error",
        }
    }
}

/// A run that did not start. `attempt` is set for a dropped retry.
pub fn skipped(job: &str, slot: DateTime<Utc>, reason: SkipReason, attempt: Option<u32>) {
    let scheduled_for = rfc3339(slot);
    let reason_text = reason.as_str();
    if reason == SkipReason::Claimed {
        tracing::debug!(
            event = "skipped",
            job,
            scheduled_for = scheduled_for.as_str(),
            reason = reason_text
        );
    } else {
        tracing::warn!(
            event = "skipped",
            job,
            scheduled_for = scheduled_for.as_str(),
            reason = reason_text,
            attempt
        );
    }
}

/// Slots the clock reached too late: `missed` of them, the first at `first`, the last
/// at `last`, and how late the clock was for the last.
/// When `uncounted`, `missed` is a lower bound: more slots were passed than counted.
pub fn missed(
    job: &str,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    missed: u64,
    uncounted: bool,
    late_ms: u64,
) {
    tracing::warn!(
        event = "skipped",
        job,
        scheduled_for = rfc3339(first).as_str(),
        reason = "misfire",
        missed,
        missed_at_least = uncounted.then_some(true),
        last_missed = rfc3339(last).as_str(),
        late_ms,
    );
}

pub fn queued(job: &str, slot: DateTime<Utc>, waiting_for: u64) {
    tracing::info!(
        event = "queued",
        job,
        scheduled_for = rfc3339(slot).as_str(),
        waiting_for
    );
}

pub fn replacing(job: &str, slot: DateTime<Utc>, run: u64) {
    tracing::info!(
        event = "replacing",
        job,
        scheduled_for = rfc3339(slot).as_str(),
        run
    );
}

pub fn retrying(run: RunRef<'_>, attempt: u32, delay: Duration) {
    tracing::info!(
        event = "retrying",
        job = run.job,
        run = run.run,
        scheduled_for = rfc3339(run.slot).as_str(),
        attempt,
        delay_ms = ms(delay),
    );
}

pub fn shutting_down(signal: &str, running: usize, grace: Duration) {
    tracing::info!(event = "shutdown", signal, running, grace_ms = ms(grace));
}

pub fn signal_again(signal: &str, running: usize) {
    tracing::info!(event = "signal", signal, running, action = "kill");
}

pub fn grace_over(running: usize) {
    tracing::warn!(event = "grace_over", running, action = "kill");
}

/// The clock is done. `unreported` runs were still unaccounted for after the final
/// SIGKILL wait (they have no closing line of their own); that is a warning.
pub fn stopped(unreported: usize) {
    if unreported == 0 {
        tracing::info!(event = "stopped", unreported);
    } else {
        tracing::warn!(event = "stopped", unreported);
    }
}

/// A one-off dyno was adopted from an earlier clock: this clock follows it to its end.
pub fn adopted(run: RunRef<'_>, dyno: &str) {
    tracing::info!(
        event = "adopted",
        job = run.job,
        run = run.run,
        scheduled_for = rfc3339(run.slot).as_str(),
        attempt = run.attempt,
        dyno
    );
}

/// The dynos of an earlier clock could not be listed: none is adopted.
pub fn adoption_failed(error: &str) {
    tracing::warn!(event = "adoption_failed", error);
}

/// A slot that fell due while no clock scheduled, started now (a restart, a takeover).
pub fn caught_up(job: &str, slot: DateTime<Utc>, late_ms: u64) {
    tracing::info!(
        event = "caught_up",
        job,
        scheduled_for = rfc3339(slot).as_str(),
        late_ms
    );
}

/// A run lost with a dead clock gets attempt `attempt` after `delay`.
pub fn retrying_lost(job: &str, slot: DateTime<Utc>, attempt: u32, delay: Duration) {
    tracing::info!(
        event = "retrying",
        job,
        scheduled_for = rfc3339(slot).as_str(),
        attempt,
        delay_ms = ms(delay),
        reason = "lost",
    );
}

/// Leadership changed: `state` is `acquired`, `released` or `lost`.
pub fn leader(state: &str, dyno: Option<&str>, instance: &str, reason: Option<&str>) {
    match state {
        "lost" => tracing::warn!(event = "leader", state, dyno, instance, reason),
        _ => tracing::info!(event = "leader", state, dyno, instance),
    }
}

/// This clock waits while another one schedules.
pub fn standby(leader_dyno: Option<&str>) {
    tracing::info!(event = "standby", leader_dyno);
}

/// A run that was going on a clock that died (its lease and heartbeat are gone).
pub fn lost(job: &str, slot: DateTime<Utc>, attempt: u32, dyno: Option<&str>) {
    tracing::error!(
        event = "lost",
        job,
        scheduled_for = rfc3339(slot).as_str(),
        attempt,
        dyno
    );
}

/// The store failed; `suppressed` counts the like errors not logged since the last line.
pub fn store_error(kind: &str, error: &str, suppressed: u64) {
    tracing::error!(
        event = "store_error",
        kind,
        error,
        suppressed = (suppressed > 0).then_some(suppressed)
    );
}

/// The store is ready: the schema is current and this clock is registered.
pub fn store_ready(schema: i32, migrated: bool, tls: &str) {
    tracing::info!(event = "store", state = "ready", schema, migrated, tls);
}

#[cfg(test)]
mod event_list_tests;
