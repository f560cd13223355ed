//! The loop: a min-heap of (when, job) entries, one sleep until the earliest, and the
//! rules that apply when an entry comes due (misfire, overlap, retries) or a run ends.
//!
//! One task owns all state; runs report back over a channel, so no state is shared and
//! no lock is taken. With nothing due the loop waits on the channel and the signals only:
//! no timer, no wake-up.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::gate::{Claim, GateEvent, JobMark, RunNote, RunStatus};
use super::report::{self, RunRef, SkipReason, StopReason};
use super::{
    AdoptedRun, AfterEnd, Clock, ClockJob, FireGate, Plan, RunInfo, RunObserver, build_run_spec,
    catch_up,
};
use crate::config::Overlap;
use crate::deadline::sleep_until_some;
use crate::exec::{Control, End, Executor, Outcome, RunControl, RunHandle};
use crate::schedule::{DstNote, Fire};

/// How many missed slots one misfire walks one by one before it leaps ahead.
const MAX_COUNTED_MISSES: u64 = 100_000;

/// How often a run that waits on another clock's run of the same job asks whether that
/// one has ended (only during a deploy's overlap, or while another clock still runs it).
const REMOTE_RECHECK: Duration = Duration::from_secs(1);

/// After the final SIGKILL at shutdown, how long the clock still waits for runs to
/// report before it exits anyway.
const AFTER_KILL_WAIT: Duration = Duration::from_secs(5);

/// What a heap entry brings due.
#[derive(Debug, Clone, Copy)]
enum Due {
    /// The job's next slot (exactly one per job is in the heap while it has one).
    Slot(Fire),
    /// Attempt `attempt` of the run of `slot`.
    Retry { slot: DateTime<Utc>, attempt: u32 },
    /// Ask again whether another clock still runs the job, for the run that waits.
    Recheck,
    /// The observer's heartbeat (the entry's `job` is unused).
    Heartbeat,
}

#[derive(Debug)]
struct Entry {
    at: DateTime<Utc>,
    /// Insertion order, so equal instants come due first-in first-out.
    seq: u64,
    job: usize,
    due: Due,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest entry.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// A run in progress.
struct Active {
    run: u64,
    slot: DateTime<Utc>,
    attempt: u32,
    control: RunControl,
    stop: Option<StopReason>,
    /// The end of its output, for history and the observer.
    output: crate::exec::OutputTail,
}

/// A run that waits for the job's running run(s) to end (`queue` or `replace`).
struct Waiting {
    slot: DateTime<Utc>,
    due: DateTime<Utc>,
    dst: Option<DstNote>,
    /// It waits for a run on another clock, not one of ours.
    remote: bool,
}

struct JobState {
    spec: ClockJob,
    /// The job's next slot, also in the heap; `None` once the schedule has no more runs.
    next: Option<Fire>,
    running: Vec<Active>,
    waiting: Option<Waiting>,
    /// Slots the gate could not claim (the store was away), for the next make-up.
    refused: Vec<DateTime<Utc>>,
}

struct Finished {
    job: usize,
    run: u64,
    outcome: Outcome,
}

pub(super) struct Engine<E, G, C> {
    jobs: Vec<JobState>,
    adopted: Vec<AdoptedRun>,
    disabled: usize,
    shutdown_grace: Duration,
    executor: E,
    gate: G,
    clock: C,
    heap: BinaryHeap<Entry>,
    seq: u64,
    last_run: u64,
    finished_tx: mpsc::UnboundedSender<Finished>,
    finished_rx: mpsc::UnboundedReceiver<Finished>,
    shutting_down: bool,
    /// Job index by name, for what the gate reports by name; built at the first gate
    /// event, so a clock without a store never pays for it.
    by_name: Option<HashMap<String, usize>>,
    observer: Arc<dyn RunObserver>,
}

impl<E: Executor, G: FireGate, C: Clock> Engine<E, G, C> {
    pub(super) fn new(
        plan: Plan,
        executor: E,
        gate: G,
        clock: C,
        observer: Arc<dyn RunObserver>,
    ) -> Self {
        let (finished_tx, finished_rx) = mpsc::unbounded_channel();
        let jobs = plan
            .jobs
            .into_iter()
            .map(|spec| JobState {
                spec,
                next: None,
                running: Vec::new(),
                waiting: None,
                refused: Vec::new(),
            })
            .collect::<Vec<JobState>>();
        Engine {
            jobs,
            adopted: plan.adopted,
            disabled: plan.disabled,
            shutdown_grace: plan.shutdown_grace,
            executor,
            gate,
            clock,
            heap: BinaryHeap::new(),
            seq: 0,
            last_run: 0,
            finished_tx,
            finished_rx,
            shutting_down: false,
            by_name: None,
            observer,
        }
    }

    /// Runs until the first signal arrives on `signals`, then shuts down.
    pub(super) async fn run(mut self, mut signals: mpsc::UnboundedReceiver<&'static str>) {
        self.schedule_first();
        let signal = loop {
            let wake = self.heap.peek().map(|entry| self.deadline(entry.at));
            tokio::select! {
                signal = next_signal(&mut signals) => break signal,
                Some(finished) = self.finished_rx.recv() => self.on_finished(finished),
                event = self.gate.next_event() => self.on_gate_event(event).await,
                _ = sleep_until_some(wake) => self.fire_due().await,
            }
        };
        self.shut_down(signal, &mut signals).await;
    }

    /// The first slot of every job comes after start-up: a clock that starts late does
    /// not fire anything for the time it was not running.
    fn schedule_first(&mut self) {
        // One line per job: written in a few large writes rather than one per line.
        crate::logging::batched(|| self.schedule_each_first());
    }

    fn schedule_each_first(&mut self) {
        let now = self.clock.now();
        for index in 0..self.jobs.len() {
            let state = &mut self.jobs[index];
            state.next = state.spec.timetable().next_after(now);
            report::job_scheduled(
                &state.spec.job.name,
                &state.spec.timetable().describe(),
                state.next.map(|fire| fire.at),
            );
            if let Some(fire) = state.next {
                self.push(fire.at, index, Due::Slot(fire));
            }
        }
        for adopted in std::mem::take(&mut self.adopted) {
            self.adopt(adopted);
        }
        report::running(self.jobs.len(), self.disabled);
        if let Some(every) = self.observer.heartbeat_every() {
            self.push(saturating_after(now, every), 0, Due::Heartbeat);
        }
    }

    /// Takes over a run an earlier clock started: it runs as if started here.
    fn adopt(&mut self, adopted: AdoptedRun) {
        let Some(index) = self
            .jobs
            .iter()
            .position(|state| state.spec.job.name == adopted.job)
        else {
            return;
        };
        self.last_run += 1;
        let run = self.last_run;
        let state = &mut self.jobs[index];
        let spec = build_run_spec(&state.spec.job, run, adopted.slot, adopted.attempt);
        let handle = (adopted.follow)(spec);
        let reference = RunRef {
            job: &state.spec.job.name,
            run,
            slot: adopted.slot,
            attempt: adopted.attempt,
        };
        report::adopted(reference, &adopted.dyno);
        self.track(index, run, adopted.slot, adopted.attempt, handle);
    }

    /// Holds a started run until it reports its end.
    fn track(
        &mut self,
        index: usize,
        run: u64,
        slot: DateTime<Utc>,
        attempt: u32,
        handle: RunHandle,
    ) {
        self.jobs[index].running.push(Active {
            run,
            slot,
            attempt,
            control: handle.control(),
            stop: None,
            output: handle.output.clone(),
        });
        let finished_tx = self.finished_tx.clone();
        tokio::spawn(async move {
            let outcome = handle.wait().await;
            let _ = finished_tx.send(Finished {
                job: index,
                run,
                outcome,
            });
        });
    }

    fn push(&mut self, at: DateTime<Utc>, job: usize, due: Due) {
        self.seq += 1;
        self.heap.push(Entry {
            at,
            seq: self.seq,
            job,
            due,
        });
    }

    /// The tokio instant at which the clock will read `at`.
    fn deadline(&self, at: DateTime<Utc>) -> Instant {
        let wait = (at - self.clock.now()).to_std().unwrap_or(Duration::ZERO);
        Instant::now() + wait
    }

    /// Everything due by now, in order. The slots among them are claimed together (one
    /// round trip for all with a store, however many jobs share the instant), then each
    /// entry is handled in turn.
    async fn fire_due(&mut self) {
        let now = self.clock.now();
        let mut entries = Vec::new();
        while self.heap.peek().is_some_and(|entry| entry.at <= now) {
            let Some(entry) = self.heap.pop() else { break };
            entries.push(entry);
        }
        let mut due_slots: Vec<Option<Fire>> = Vec::with_capacity(entries.len());
        let mut asks = Vec::new();
        // Only the clock that schedules tells the observer of slots it reached too late:
        // a standby's late wake-up is no missed run.
        let leads = if entries
            .iter()
            .any(|entry| matches!(entry.due, Due::Slot(_)))
        {
            self.gate.leads().await
        } else {
            false
        };
        for entry in &entries {
            let due = match entry.due {
                Due::Slot(fire) => self.on_slot(entry.job, fire, now, leads),
                _ => None,
            };
            if let Some(fire) = due {
                asks.push((self.jobs[entry.job].spec.job.name.clone(), fire.slot));
            }
            due_slots.push(due);
        }
        let mut claims = if asks.is_empty() {
            Vec::new().into_iter()
        } else {
            self.gate.claim_all(asks).await.into_iter()
        };
        for (entry, due) in entries.into_iter().zip(due_slots) {
            match entry.due {
                Due::Slot(_) => {
                    if let Some(fire) = due {
                        let claim = claims.next().unwrap_or(Claim::Unavailable);
                        self.on_claim(entry.job, fire, claim, now);
                    }
                }
                Due::Retry { slot, attempt } => {
                    self.on_retry(entry.job, slot, attempt, entry.at, now)
                }
                Due::Recheck => self.on_recheck(entry.job, now).await,
                Due::Heartbeat => self.on_heartbeat(now).await,
            }
        }
    }

    /// The heartbeat came due: tell the observer when this clock leads, and come back
    /// after `every`. Chained from now, not from the due time: a stalled loop must not
    /// catch up with a burst of pings.
    async fn on_heartbeat(&mut self, now: DateTime<Utc>) {
        let Some(every) = self.observer.heartbeat_every() else {
            return;
        };
        if self.gate.leads().await {
            self.observer.heartbeat(now);
        }
        self.push(saturating_after(now, every), 0, Due::Heartbeat);
    }

    /// A slot came due. Every slot due by now is looked at (a stalled clock can find
    /// several); only the latest can run, and only within `misfire_grace`. The rest are
    /// logged as missed in one line, never replayed; the observer hears of them when
    /// this clock `leads`. Returns the slot to claim, if any.
    fn on_slot(
        &mut self,
        index: usize,
        fire: Fire,
        now: DateTime<Utc>,
        leads: bool,
    ) -> Option<Fire> {
        let state = &mut self.jobs[index];
        let mut due = fire;
        let mut passed: u64 = 0;
        let mut last_passed = None;
        let mut passed_slots = Vec::new();
        let mut uncounted = false;
        let mut next = state.spec.timetable().next_after(due.at);
        while let Some(later) = next.filter(|later| later.at <= now) {
            passed += 1;
            last_passed = Some(due.slot);
            if passed_slots.len() < catch_up::MAX_RECORDED {
                passed_slots.push(due.slot);
            }
            due = later;
            next = if passed == MAX_COUNTED_MISSES {
                // A wall clock that jumped by years: leap to the grace window instead of
                // walking every slot in between (the count becomes a lower bound).
                uncounted = true;
                let grace = chrono::Duration::from_std(state.spec.job.misfire_grace)
                    .unwrap_or(chrono::TimeDelta::MAX);
                let resume = (now - grace).max(later.at);
                state.spec.timetable().next_after(resume)
            } else {
                state.spec.timetable().next_after(later.at)
            };
        }
        state.next = next;
        if let Some(fire) = next {
            self.push(fire.at, index, Due::Slot(fire));
        }

        let state = &self.jobs[index];
        let late = now - due.at;
        let in_grace = late
            .to_std()
            .map_or(true, |late| late <= state.spec.job.misfire_grace);
        let missed = passed + u64::from(!in_grace);
        if !in_grace && passed_slots.len() < catch_up::MAX_RECORDED {
            passed_slots.push(due.slot);
        }
        if missed > 0 {
            self.gate.note(RunNote::Missed {
                job: state.spec.job.name.clone(),
                slots: passed_slots,
            });
            let last = if in_grace {
                last_passed.unwrap_or(fire.slot)
            } else {
                due.slot
            };
            report::missed(
                &state.spec.job.name,
                fire.slot,
                last,
                missed,
                uncounted,
                report::late_ms(due.at, now),
            );
            if leads {
                self.observer.skipped(
                    &state.spec.job,
                    fire.slot,
                    SkipReason::Misfire,
                    None,
                    missed,
                );
            }
        }
        in_grace.then_some(due)
    }

    /// What the gate said about a due slot.
    fn on_claim(&mut self, index: usize, fire: Fire, claim: Claim, now: DateTime<Utc>) {
        let job = &self.jobs[index].spec.job;
        match claim {
            Claim::Ours { busy_elsewhere } => self.on_claimed(index, fire, busy_elsewhere, now),
            Claim::Taken => {
                report::skipped(&job.name, fire.slot, SkipReason::Claimed, None);
                self.observer
                    .skipped(job, fire.slot, SkipReason::Claimed, None, 0);
            }
            Claim::Standby => {}
            Claim::Unavailable => {
                report::skipped(&job.name, fire.slot, SkipReason::StoreError, None);
                self.observer
                    .skipped(job, fire.slot, SkipReason::StoreError, None, 0);
                let refused = &mut self.jobs[index].refused;
                if refused.len() < catch_up::MAX_RECORDED {
                    refused.push(fire.slot);
                }
            }
        }
    }

    /// Logs a skip and tells the gate and the observer, for a slot (or a retry) this
    /// clock had claimed.
    fn skip(&self, index: usize, slot: DateTime<Utc>, reason: SkipReason, attempt: Option<u32>) {
        let job = &self.jobs[index].spec.job;
        let name = &job.name;
        report::skipped(name, slot, reason, attempt);
        self.observer.skipped(job, slot, reason, attempt, 0);
        self.gate.note(RunNote::Skipped {
            job: name.clone(),
            slot,
            attempt: attempt.unwrap_or(1),
            reason,
        });
    }

    /// The overlap rules, for a claimed slot. `busy_elsewhere`: another clock still runs
    /// the job, which counts as running for `skip` and `queue` (and `replace`, which
    /// cannot reach another dyno's process, queues behind it).
    fn on_claimed(&mut self, index: usize, fire: Fire, busy_elsewhere: bool, now: DateTime<Utc>) {
        let (slot, due, dst) = (fire.slot, fire.at, fire.dst);
        let state = &mut self.jobs[index];
        let overlap = state.spec.job.overlap;
        let idle = state.running.is_empty() && state.waiting.is_none();
        if idle && (!busy_elsewhere || overlap == Overlap::Allow) {
            self.start(index, slot, due, 1, dst, now);
            return;
        }
        let name = state.spec.job.name.as_str();
        let remote = state.running.is_empty();
        match overlap {
            Overlap::Allow => self.start(index, slot, due, 1, dst, now),
            Overlap::Skip => self.skip(index, slot, SkipReason::Overlap, None),
            Overlap::Queue | Overlap::Replace if remote => {
                if state.waiting.is_some() {
                    self.skip(index, slot, SkipReason::QueueFull, None);
                } else {
                    report::queued(name, slot, 0);
                    state.waiting = Some(Waiting {
                        slot,
                        due,
                        dst,
                        remote: true,
                    });
                    let at = now + chrono::Duration::from_std(REMOTE_RECHECK).unwrap_or_default();
                    self.push(at, index, Due::Recheck);
                }
            }
            Overlap::Queue => {
                if state.waiting.is_some() {
                    self.skip(index, slot, SkipReason::QueueFull, None);
                } else {
                    let waiting_for = state.running.first().map_or(0, |active| active.run);
                    report::queued(name, slot, waiting_for);
                    state.waiting = Some(Waiting {
                        slot,
                        due,
                        dst,
                        remote: false,
                    });
                }
            }
            Overlap::Replace => {
                let kill_after = Some(state.spec.job.kill_grace);
                for active in state
                    .running
                    .iter_mut()
                    .filter(|active| active.stop.is_none())
                {
                    report::replacing(name, slot, active.run);
                    active.stop = Some(StopReason::Replaced);
                    active.control.send(Control::Terminate { kill_after });
                }
                let newer = Waiting {
                    slot,
                    due,
                    dst,
                    remote: false,
                };
                if let Some(older) = state.waiting.replace(newer) {
                    self.skip(index, older.slot, SkipReason::Superseded, None);
                }
            }
        }
    }

    /// A retry came due. It runs unless the job (without `overlap: allow`) is busy.
    fn on_retry(
        &mut self,
        index: usize,
        slot: DateTime<Utc>,
        attempt: u32,
        due: DateTime<Utc>,
        now: DateTime<Utc>,
    ) {
        let state = &self.jobs[index];
        let busy = !state.running.is_empty() || state.waiting.is_some();
        if busy && state.spec.job.overlap != Overlap::Allow {
            self.skip(index, slot, SkipReason::Overlap, Some(attempt));
            return;
        }
        self.start(index, slot, due, attempt, None, now);
    }

    /// A run waits for another clock's run of the same job: start it once that ended.
    async fn on_recheck(&mut self, index: usize, now: DateTime<Utc>) {
        let state = &self.jobs[index];
        if !state.waiting.as_ref().is_some_and(|waiting| waiting.remote) {
            return;
        }
        if self.gate.busy_elsewhere(&state.spec.job.name).await {
            let at = now + chrono::Duration::from_std(REMOTE_RECHECK).unwrap_or_default();
            self.push(at, index, Due::Recheck);
            return;
        }
        let state = &mut self.jobs[index];
        if state.running.is_empty() {
            if let Some(waiting) = state.waiting.take() {
                self.start(index, waiting.slot, waiting.due, 1, waiting.dst, now);
            }
        }
    }

    /// The index of the job named `name`.
    fn index_of(&mut self, name: &str) -> Option<usize> {
        let jobs = &self.jobs;
        self.by_name
            .get_or_insert_with(|| {
                jobs.iter()
                    .enumerate()
                    .map(|(index, state)| (state.spec.job.name.clone(), index))
                    .collect()
            })
            .get(name)
            .copied()
    }

    /// What the gate asks for: a make-up after a takeover, or the retry of a lost run.
    async fn on_gate_event(&mut self, event: GateEvent) {
        match event {
            GateEvent::CatchUp(marks) => self.catch_up(marks).await,
            GateEvent::Lost { job, slot, attempt } => {
                let Some(index) = self.index_of(&job) else {
                    return;
                };
                let spec = &self.jobs[index].spec.job;
                if self.shutting_down || attempt > spec.retries {
                    return;
                }
                let delay = retry_delay(spec.retry_backoff, attempt);
                let at = self.clock.now()
                    + chrono::Duration::from_std(delay).unwrap_or(chrono::TimeDelta::MAX);
                let next = attempt + 1;
                report::retrying_lost(&job, slot, next, delay);
                self.push(
                    at,
                    index,
                    Due::Retry {
                        slot,
                        attempt: next,
                    },
                );
            }
        }
    }

    /// Slots that fell due while no clock scheduled: the latest within the grace runs
    /// (`event=caught_up`), the others are recorded as misfires.
    async fn catch_up(&mut self, marks: Vec<JobMark>) {
        for mark in marks {
            let Some(index) = self.index_of(&mark.job) else {
                continue;
            };
            let now = self.clock.now();
            let refused = std::mem::take(&mut self.jobs[index].refused);
            let state = &self.jobs[index];
            let makeup = catch_up::plan(
                state.spec.timetable(),
                mark.after,
                &refused,
                state.next.map(|fire| fire.at),
                now,
                state.spec.job.misfire_grace,
            );
            let name = state.spec.job.name.clone();
            if !makeup.missed.is_empty() {
                let first = makeup.missed[0];
                let last = makeup.missed[makeup.missed.len() - 1];
                let count = makeup.missed.len() as u64 + makeup.unrecorded;
                report::missed(&name, first, last, count, false, report::late_ms(last, now));
                self.observer
                    .skipped(&state.spec.job, first, SkipReason::Misfire, None, count);
                self.gate.note(RunNote::Missed {
                    job: name.clone(),
                    slots: makeup.missed,
                });
            }
            if let Some(fire) = makeup.run {
                let claim = self.gate.claim(&name, fire.slot).await;
                if matches!(claim, Claim::Ours { .. }) {
                    report::caught_up(&name, fire.slot, report::late_ms(fire.at, now));
                }
                self.on_claim(index, fire, claim, now);
            }
        }
    }

    fn start(
        &mut self,
        index: usize,
        slot: DateTime<Utc>,
        due: DateTime<Utc>,
        attempt: u32,
        dst: Option<DstNote>,
        now: DateTime<Utc>,
    ) {
        self.last_run += 1;
        let run = self.last_run;
        let state = &mut self.jobs[index];
        let job = &state.spec.job;
        let spec = build_run_spec(job, run, slot, attempt);
        let handle = self.executor.start(spec);
        let reference = RunRef {
            job: &job.name,
            run,
            slot,
            attempt,
        };
        report::started(reference, report::late_ms(due, now), dst, handle.pid);
        self.observer.started(RunInfo {
            job,
            run,
            slot,
            attempt,
        });
        self.gate.note(RunNote::Started {
            job: job.name.clone(),
            slot,
            attempt,
            at: now,
        });
        self.track(index, run, slot, attempt, handle);
    }

    fn on_finished(&mut self, finished: Finished) {
        let now = self.clock.now();
        let state = &mut self.jobs[finished.job];
        let Some(position) = state
            .running
            .iter()
            .position(|active| active.run == finished.run)
        else {
            return;
        };
        let active = state.running.remove(position);
        let job = &state.spec.job;
        let reference = RunRef {
            job: &job.name,
            run: active.run,
            slot: active.slot,
            attempt: active.attempt,
        };
        let failed = report::ended(reference, &finished.outcome, active.stop);
        self.gate
            .note(ended_note(&job.name, &active, &finished.outcome, now));
        let info = RunInfo {
            job,
            run: active.run,
            slot: active.slot,
            attempt: active.attempt,
        };
        // A detached run goes on in its dyno; the clock that adopts it reports its end.
        let observed = !matches!(finished.outcome.end, End::Detached);
        let output = (observed && self.observer.wants_output(job)).then(|| {
            (
                active.output.text().unwrap_or_default(),
                active.output.cut(),
            )
        });
        let mut after = AfterEnd::Final;
        if self.shutting_down {
            if observed {
                self.observer
                    .ended(info, &finished.outcome, active.stop, after, output);
            }
            return;
        }
        let mut superseded_retry = None;
        let mut retry_at = None;
        if failed && active.attempt <= job.retries {
            let attempt = active.attempt + 1;
            let delay = retry_delay(job.retry_backoff, active.attempt);
            let at = saturating_after(now, delay);
            // Unless runs may overlap, a retry must start before the job's next run is
            // due, and not while a run already waits: the next run supersedes it.
            let superseded = job.overlap != Overlap::Allow
                && (state.waiting.is_some() || state.next.is_some_and(|next| at >= next.at));
            if superseded {
                superseded_retry = Some(attempt);
            } else {
                report::retrying(reference, attempt, delay);
                after = AfterEnd::Retry { attempt, delay };
                retry_at = Some(at);
            }
        }
        if observed {
            self.observer
                .ended(info, &finished.outcome, active.stop, after, output);
        }
        if let Some(attempt) = superseded_retry {
            self.skip(
                finished.job,
                active.slot,
                SkipReason::RetrySuperseded,
                Some(attempt),
            );
        }
        if let (AfterEnd::Retry { attempt, .. }, Some(at)) = (after, retry_at) {
            let slot = active.slot;
            self.push(at, finished.job, Due::Retry { slot, attempt });
        }
        let state = &mut self.jobs[finished.job];
        if state.running.is_empty() {
            if let Some(waiting) = state.waiting.take() {
                self.start(finished.job, waiting.slot, waiting.due, 1, waiting.dst, now);
            }
        }
    }

    /// Starts nothing new, asks every run to end, and kills what is left after the grace
    /// (or at a second signal). Every announced run gets a closing line; runs that still
    /// have not reported after the final wait are counted in `event=stopped`.
    async fn shut_down(
        &mut self,
        signal: &'static str,
        signals: &mut mpsc::UnboundedReceiver<&'static str>,
    ) {
        self.shutting_down = true;
        self.gate.stop_leading();
        report::shutting_down(signal, self.running_count(), self.shutdown_grace);
        self.observer.stopping(self.shutdown_grace);
        self.drop_announced_retries();
        for state in &mut self.jobs {
            if let Some(waiting) = state.waiting.take() {
                report::skipped(
                    &state.spec.job.name,
                    waiting.slot,
                    SkipReason::Shutdown,
                    None,
                );
                self.observer
                    .skipped(&state.spec.job, waiting.slot, SkipReason::Shutdown, None, 0);
                self.gate.note(RunNote::Skipped {
                    job: state.spec.job.name.clone(),
                    slot: waiting.slot,
                    attempt: 1,
                    reason: SkipReason::Shutdown,
                });
            }
            for active in &mut state.running {
                active.stop = Some(StopReason::Interrupted);
                active.control.send(Control::Release);
            }
        }
        let grace_end = Instant::now() + self.shutdown_grace;
        let mut killed_at: Option<Instant> = None;
        while self.running_count() > 0 {
            tokio::select! {
                Some(finished) = self.finished_rx.recv() => self.on_finished(finished),
                _ = sleep_until(grace_end), if killed_at.is_none() => {
                    report::grace_over(self.running_count());
                    killed_at = Some(self.kill_all());
                }
                signal = next_signal(signals), if killed_at.is_none() => {
                    report::signal_again(signal, self.running_count());
                    killed_at = Some(self.kill_all());
                }
                _ = sleep_until_some(killed_at.map(|at| at + AFTER_KILL_WAIT)) => break,
            }
        }
        self.observer.drain().await;
        report::stopped(self.running_count());
    }

    /// Empties the heap. A retry in it was announced (`event=retrying`), so it gets its
    /// closing line; a slot in it was never announced and goes quietly.
    fn drop_announced_retries(&mut self) {
        let mut retries: Vec<Entry> = std::mem::take(&mut self.heap)
            .into_iter()
            .filter(|entry| matches!(entry.due, Due::Retry { .. }))
            .collect();
        retries.sort_by_key(|entry| (entry.at, entry.seq));
        for entry in retries {
            if let Due::Retry { slot, attempt } = entry.due {
                let job = &self.jobs[entry.job].spec.job;
                let name = &job.name;
                report::skipped(name, slot, SkipReason::Shutdown, Some(attempt));
                self.observer
                    .skipped(job, slot, SkipReason::Shutdown, Some(attempt), 0);
                self.gate.note(RunNote::Skipped {
                    job: name.clone(),
                    slot,
                    attempt,
                    reason: SkipReason::Shutdown,
                });
            }
        }
    }

    fn kill_all(&mut self) -> Instant {
        for active in self.jobs.iter().flat_map(|state| &state.running) {
            active.control.send(Control::Kill);
        }
        Instant::now()
    }

    fn running_count(&self) -> usize {
        self.jobs.iter().map(|state| state.running.len()).sum()
    }
}

/// `now + delay`, or the end of time when that is past it (a retry that far off never
/// comes due).
fn saturating_after(now: DateTime<Utc>, delay: Duration) -> DateTime<Utc> {
    chrono::TimeDelta::from_std(delay)
        .ok()
        .and_then(|delay| now.checked_add_signed(delay))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// How a run ended, as history keeps it.
fn ended_note(job: &str, active: &Active, outcome: &Outcome, now: DateTime<Utc>) -> RunNote {
    let (status, reason, exit_code) = match (active.stop, &outcome.end) {
        (Some(StopReason::Replaced), _) => (RunStatus::Interrupted, Some("replaced"), None),
        (Some(StopReason::Interrupted), _) => (RunStatus::Interrupted, Some("shutdown"), None),
        (None, End::Exited(0)) => (RunStatus::Succeeded, None, Some(0)),
        (None, End::Exited(code)) => (RunStatus::Failed, None, Some(*code)),
        (None, End::Signaled(_)) => (RunStatus::Failed, None, Some(outcome.end.exit_code())),
        (None, End::TimedOut) => (RunStatus::TimedOut, None, Some(outcome.end.exit_code())),
        (None, End::Stopped) => (RunStatus::Interrupted, Some("stopped"), None),
        (None, End::SpawnFailed(_)) => (RunStatus::Failed, None, Some(outcome.end.exit_code())),
        (None, End::Lost(_)) => (RunStatus::Lost, Some("untracked"), None),
        (None, End::Detached) => (RunStatus::Detached, None, None),
    };
    RunNote::Ended {
        job: job.to_string(),
        slot: active.slot,
        attempt: active.attempt,
        at: now,
        status,
        reason,
        exit_code,
        duration: outcome.duration,
        output: active.output.text(),
    }
}

/// The delay before attempt `failed_attempt + 1`: `backoff`, doubled for each earlier retry.
fn retry_delay(backoff: Duration, failed_attempt: u32) -> Duration {
    let doublings = failed_attempt.saturating_sub(1).min(31);
    backoff.saturating_mul(1_u32 << doublings)
}

/// The next signal; a closed signal channel never delivers one.
async fn next_signal(signals: &mut mpsc::UnboundedReceiver<&'static str>) -> &'static str {
    match signals.recv().await {
        Some(signal) => signal,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_doubles_from_the_backoff() {
        let cases: &[(u64, u32, u64)] = &[(30, 1, 30), (30, 2, 60), (30, 3, 120), (1, 10, 512)];
        for &(backoff, failed, expected) in cases {
            assert_eq!(
                retry_delay(Duration::from_secs(backoff), failed),
                Duration::from_secs(expected),
                "backoff {backoff}s after attempt {failed}"
            );
        }
    }
}
