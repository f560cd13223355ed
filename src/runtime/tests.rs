//! The runtime's rules, against tokio's paused time and a fake executor: every test runs
//! hours of schedule instantly, and every instant it asserts is exact.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone as _, Utc};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};

use super::*;
use crate::config::{Job, Overlap};
use crate::exec::{Control, End, Executor, Outcome, RunHandle, RunSpec};
use crate::logging::{self, Capture, Record};
use crate::schedule::{Fire, JobSchedule, Schedule};

/// 2026-01-05T00:00:00Z, a round instant so slots read well in failures.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0)
        .single()
        .expect("valid instant")
}

/// Seconds after t0, as RFC 3339.
fn at(secs: i64) -> String {
    report::rfc3339(t0() + chrono::Duration::seconds(secs))
}

/// Slots every `secs` seconds after t0 (t0 + k·secs), like `every:`.
struct Every(i64);

impl Timetable for Every {
    fn next_after(&self, t: DateTime<Utc>) -> Option<Fire> {
        let since = (t - t0()).num_milliseconds();
        let step = self.0 * 1000;
        let k = since.div_euclid(step) + 1;
        let slot = t0() + chrono::Duration::milliseconds(k * step);
        Some(Fire {
            slot,
            at: slot,
            dst: None,
        })
    }
    fn describe(&self) -> String {
        format!("every {}s", self.0)
    }
}

/// The given slots (seconds after t0), then nothing.
struct Slots(Vec<i64>);

impl Timetable for Slots {
    fn next_after(&self, t: DateTime<Utc>) -> Option<Fire> {
        self.0
            .iter()
            .map(|&s| t0() + chrono::Duration::seconds(s))
            .find(|&slot| slot > t)
            .map(|slot| Fire {
                slot,
                at: slot,
                dst: None,
            })
    }
    fn describe(&self) -> String {
        "fixed slots".into()
    }
}

fn job(name: &str) -> Job {
    Job {
        name: name.into(),
        command: "true".into(),
        schedule: JobSchedule {
            schedule: Schedule::Every(Duration::from_secs(10)),
            tz: chrono_tz::UTC,
            jitter: Duration::ZERO,
            start: None,
            end: None,
        },
        description: None,
        enabled: true,
        timeout: None,
        kill_grace: Duration::from_secs(3),
        overlap: Overlap::Skip,
        retries: 0,
        retry_backoff: Duration::from_secs(5),
        env: BTreeMap::new(),
        misfire_grace: Duration::from_secs(30),
        alert: None,
        monitor: None,
        run: crate::config::RunOn::Local,
        dyno_size: None,
        line: 1,
    }
}

/// How a fake run behaves.
#[derive(Debug, Clone, Copy)]
struct Behavior {
    runs_for: Duration,
    exit: i32,
    ignores_term: bool,
    /// The executor drops the run without reporting how it ended.
    vanishes: bool,
    /// Not even SIGKILL ends it (a process stuck in the kernel, a lost remote run).
    unkillable: bool,
}

fn runs(secs: u64, exit: i32) -> Behavior {
    Behavior {
        runs_for: Duration::from_secs(secs),
        exit,
        ignores_term: false,
        vanishes: false,
        unkillable: false,
    }
}

/// One start the fake executor saw: job, run id, seconds after t0, attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Start {
    job: String,
    secs: u64,
    attempt: String,
}

#[derive(Clone, Default)]
struct FakeExecutor {
    behaviors: Arc<HashMap<String, Behavior>>,
    starts: Arc<Mutex<Vec<Start>>>,
    origin: Arc<Mutex<Option<Instant>>>,
}

impl FakeExecutor {
    fn new(behaviors: &[(&str, Behavior)]) -> FakeExecutor {
        FakeExecutor {
            behaviors: Arc::new(behaviors.iter().map(|(n, b)| (n.to_string(), *b)).collect()),
            starts: Arc::default(),
            origin: Arc::new(Mutex::new(Some(Instant::now()))),
        }
    }

    fn starts(&self) -> Vec<Start> {
        self.starts.lock().expect("starts").clone()
    }
}

impl Executor for FakeExecutor {
    fn start(&self, spec: RunSpec) -> RunHandle {
        let behavior = self.behaviors.get(&spec.job).copied().unwrap_or(runs(1, 0));
        let origin = self
            .origin
            .lock()
            .expect("origin")
            .unwrap_or_else(Instant::now);
        self.starts.lock().expect("starts").push(Start {
            job: spec.job.clone(),
            secs: Instant::now().duration_since(origin).as_secs(),
            attempt: spec.env.get("CLOCK_ATTEMPT").cloned().unwrap_or_default(),
        });
        let (handle, mut supervisor) = RunHandle::pair(None);
        tokio::spawn(async move {
            let started = Instant::now();
            if behavior.vanishes {
                sleep_until(started + behavior.runs_for).await;
                drop(supervisor);
                return;
            }
            let ends_at = started + behavior.runs_for;
            let timeout_at = spec.timeout.map(|t| started + t);
            let mut kill_at: Option<Instant> = None;
            let end = loop {
                tokio::select! {
                    _ = sleep_until(ends_at) => break End::Exited(behavior.exit),
                    _ = until(timeout_at) => break End::TimedOut,
                    _ = until(kill_at) => break End::Stopped,
                    control = supervisor.controls.recv() => match control {
                        Some(Control::Terminate { kill_after }) => {
                            if !behavior.ignores_term {
                                break End::Stopped;
                            }
                            if !behavior.unkillable {
                                kill_at = kill_after.map(|after| Instant::now() + after);
                            }
                        }
                        Some(Control::Kill) if !behavior.unkillable => break End::Stopped,
                        Some(Control::Kill) => {}
                        Some(Control::Release) if !behavior.ignores_term => break End::Stopped,
                        Some(Control::Release) => {}
                        None => std::future::pending::<()>().await,
                    },
                }
            };
            let _ = supervisor.outcome.send(Outcome {
                end,
                duration: started.elapsed(),
                dyno: None,
            });
        });
        handle
    }
}

async fn until(at: Option<Instant>) {
    match at {
        Some(at) => sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// A clock on tokio time that a test can push forward without waking anyone, like a
/// wall clock that jumps, or a process that was stopped.
#[derive(Clone)]
struct JumpClock {
    inner: TokioClock,
    offset_ms: Arc<AtomicI64>,
    reads: Arc<AtomicU64>,
}

impl JumpClock {
    fn new() -> JumpClock {
        JumpClock {
            inner: TokioClock::starting_at(t0()),
            offset_ms: Arc::default(),
            reads: Arc::default(),
        }
    }
    fn jump(&self, secs: i64) {
        self.offset_ms.fetch_add(secs * 1000, Ordering::SeqCst);
    }
    fn reads(&self) -> u64 {
        self.reads.load(Ordering::SeqCst)
    }
}

impl Clock for JumpClock {
    fn now(&self) -> DateTime<Utc> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.now() + chrono::Duration::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }
}

/// A gate that refuses every slot, like a second clock that lost every claim.
struct RefuseAll;

impl FireGate for RefuseAll {
    async fn claim(&self, _job: &str, _slot: DateTime<Utc>) -> Claim {
        Claim::Taken
    }
}

/// Another clock leads: every claim is refused and this one does not schedule.
struct Standby;

impl FireGate for Standby {
    async fn claim(&self, _job: &str, _slot: DateTime<Utc>) -> Claim {
        Claim::Standby
    }

    async fn leads(&self) -> bool {
        false
    }
}

struct Harness {
    capture: Capture,
    executor: FakeExecutor,
    clock: JumpClock,
    signals: mpsc::UnboundedSender<&'static str>,
    task: JoinHandle<()>,
    _guard: tracing::subscriber::DefaultGuard,
}

impl Harness {
    fn start(jobs: Vec<(Job, Box<dyn Timetable>)>, behaviors: &[(&str, Behavior)]) -> Harness {
        Harness::start_with(jobs, behaviors, Duration::from_secs(20), LocalGateOr::Local)
    }

    fn start_with(
        jobs: Vec<(Job, Box<dyn Timetable>)>,
        behaviors: &[(&str, Behavior)],
        shutdown_grace: Duration,
        gate: LocalGateOr,
    ) -> Harness {
        let (subscriber, capture) = logging::capture();
        let guard = tracing::subscriber::set_default(subscriber);
        let executor = FakeExecutor::new(behaviors);
        let clock = JumpClock::new();
        let (signals, signals_rx) = mpsc::unbounded_channel();
        let plan = Plan {
            jobs: jobs
                .into_iter()
                .map(|(job, timetable)| ClockJob::with_timetable(job, timetable))
                .collect(),
            adopted: Vec::new(),
            disabled: 1,
            shutdown_grace,
        };
        let task = match gate {
            LocalGateOr::Local => tokio::spawn(run(
                plan,
                executor.clone(),
                LocalGate,
                clock.clone(),
                signals_rx,
            )),
            LocalGateOr::Observed(observer) => tokio::spawn(run_observed(
                plan,
                executor.clone(),
                LocalGate,
                clock.clone(),
                observer,
                signals_rx,
            )),
            LocalGateOr::StandbyObserved(observer) => tokio::spawn(run_observed(
                plan,
                executor.clone(),
                Standby,
                clock.clone(),
                observer,
                signals_rx,
            )),
            LocalGateOr::Refuse => tokio::spawn(run(
                plan,
                executor.clone(),
                RefuseAll,
                clock.clone(),
                signals_rx,
            )),
        };
        Harness {
            capture,
            executor,
            clock,
            signals,
            task,
            _guard: guard,
        }
    }

    /// Lets `secs` of time pass. Paused time jumps from timer to timer and runs every
    /// task woken in between, so each timer fires at its exact instant.
    async fn pass(&self, secs: u64) {
        tokio::time::sleep(Duration::from_secs(secs)).await;
        tokio::task::yield_now().await;
    }

    fn events(&self, event: &str) -> Vec<Record> {
        self.capture
            .records()
            .into_iter()
            .filter(|r| r.get("event").as_deref() == Some(event))
            .collect()
    }

    /// `(scheduled_for, reason)` of every skipped event.
    fn skips(&self) -> Vec<(String, String)> {
        self.events("skipped")
            .iter()
            .map(|r| {
                (
                    r.get("scheduled_for").unwrap_or_default(),
                    r.get("reason").unwrap_or_default(),
                )
            })
            .collect()
    }

    fn start_secs(&self) -> Vec<u64> {
        self.executor.starts().iter().map(|s| s.secs).collect()
    }

    async fn stop(self, signal: &'static str) -> Harness {
        let _ = self.signals.send(signal);
        self
    }
}

enum LocalGateOr {
    Local,
    Refuse,
    /// The local gate, with an observer.
    Observed(Arc<dyn RunObserver>),
    /// A clock on standby, with an observer.
    StandbyObserved(Arc<dyn RunObserver>),
}

/// Writes down every call it gets, as one short line each.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Recorder {
    fn calls(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

impl RunObserver for Recorder {
    fn wants_output(&self, _job: &Job) -> bool {
        true
    }
    fn started(&self, run: RunInfo<'_>) {
        let secs = (run.slot - t0()).num_seconds();
        self.0.lock().unwrap().push(format!(
            "started {} {secs} attempt {}",
            run.job.name, run.attempt
        ));
    }
    fn ended(
        &self,
        run: RunInfo<'_>,
        outcome: &Outcome,
        _stop: Option<report::StopReason>,
        after: AfterEnd,
        output: Option<(String, bool)>,
    ) {
        let after = match after {
            AfterEnd::Retry { attempt, delay } => {
                format!("retry {attempt} in {}s", delay.as_secs())
            }
            AfterEnd::Final => "final".to_owned(),
        };
        let tail = if output.is_some() { "tail" } else { "no tail" };
        self.0.lock().unwrap().push(format!(
            "ended {} attempt {} exit {}, {after}, {tail}",
            run.job.name,
            run.attempt,
            outcome.end.exit_code()
        ));
    }
    fn skipped(
        &self,
        job: &Job,
        slot: DateTime<Utc>,
        reason: report::SkipReason,
        _attempt: Option<u32>,
        missed: u64,
    ) {
        let secs = (slot - t0()).num_seconds();
        self.0.lock().unwrap().push(format!(
            "skipped {} {secs} {} missed {missed}",
            job.name,
            reason.as_str()
        ));
    }
}

#[tokio::test(start_paused = true)]
async fn the_observer_hears_each_attempt_and_which_end_is_final() {
    let mut flaky = job("flaky");
    flaky.retries = 2;
    let recorder = Arc::new(Recorder::default());
    let observer = Arc::clone(&recorder) as Arc<dyn RunObserver>;
    let h = Harness::start_with(
        vec![every(flaky, 100)],
        &[("flaky", runs(1, 1))],
        Duration::from_secs(20),
        LocalGateOr::Observed(observer),
    );
    h.pass(130).await;
    assert_eq!(
        recorder.calls(),
        [
            "started flaky 100 attempt 1",
            "ended flaky attempt 1 exit 1, retry 2 in 5s, tail",
            "started flaky 100 attempt 2",
            "ended flaky attempt 2 exit 1, retry 3 in 10s, tail",
            "started flaky 100 attempt 3",
            "ended flaky attempt 3 exit 1, final, tail",
        ]
    );
}

/// A job every 10 s whose clock jumps 100 s ahead at 5 s, behind `gate` (given the
/// observer); returns the harness and every call the observer heard.
async fn late_wake_up(gate: fn(Arc<dyn RunObserver>) -> LocalGateOr) -> (Harness, Vec<String>) {
    let recorder = Arc::new(Recorder::default());
    let observer = Arc::clone(&recorder) as Arc<dyn RunObserver>;
    let h = Harness::start_with(
        vec![every(job("tick"), 10)],
        &[],
        Duration::from_secs(20),
        gate(observer),
    );
    h.pass(5).await;
    h.clock.jump(100);
    h.pass(5).await;
    let calls = recorder.calls();
    (h, calls)
}

#[tokio::test(start_paused = true)]
async fn the_observer_hears_a_misfire_with_how_many_slots_were_missed() {
    let (_h, calls) = late_wake_up(LocalGateOr::Observed).await;
    assert_eq!(calls[0], "skipped tick 10 misfire missed 10", "{calls:?}");
    assert_eq!(calls[1], "started tick 110 attempt 1", "{calls:?}");
}

#[tokio::test(start_paused = true)]
async fn a_standby_that_wakes_late_tells_the_observer_of_no_missed_run() {
    let (h, calls) = late_wake_up(LocalGateOr::StandbyObserved).await;
    assert_eq!(
        h.skips(),
        [("2026-01-05T00:00:10Z".to_owned(), "misfire".to_owned())],
        "the standby still logs what it saw"
    );
    assert!(
        calls.is_empty(),
        "the leader runs the slots, so no alert: {calls:?}"
    );
}

fn every(job_: Job, secs: i64) -> (Job, Box<dyn Timetable>) {
    (job_, Box::new(Every(secs)))
}

#[tokio::test(start_paused = true)]
async fn fires_at_each_slot_on_time() {
    let h = Harness::start(vec![every(job("sync"), 10)], &[]);
    h.pass(35).await;
    assert_eq!(
        h.start_secs(),
        [10, 20, 30],
        "a run at every slot, none early or late"
    );
    let started = h.events("started");
    let slots: Vec<String> = started
        .iter()
        .filter_map(|r| r.get("scheduled_for"))
        .collect();
    assert_eq!(slots, [at(10), at(20), at(30)]);
    assert!(
        started
            .iter()
            .all(|r| r.get("late_ms").as_deref() == Some("0"))
    );
    let runs: Vec<String> = started.iter().filter_map(|r| r.get("run")).collect();
    assert_eq!(runs, ["1", "2", "3"], "run ids count up");
    assert_eq!(h.events("succeeded").len(), 3);
}

#[tokio::test(start_paused = true)]
async fn announces_each_job_then_running() {
    let h = Harness::start(
        vec![every(job("a"), 10), (job("b"), Box::new(Slots(vec![])))],
        &[],
    );
    tokio::task::yield_now().await;
    let records = h.capture.records();
    let events: Vec<String> = records.iter().filter_map(|r| r.get("event")).collect();
    assert_eq!(events, ["scheduled", "scheduled", "running"]);
    assert_eq!(records[0].get("next_run"), Some(at(10)));
    assert_eq!(records[0].get("schedule").as_deref(), Some("every 10s"));
    assert_eq!(records[1].get("next_run").as_deref(), Some("none"));
    assert_eq!(records[2].get("jobs").as_deref(), Some("2"));
    assert_eq!(records[2].get("disabled").as_deref(), Some("1"));
}

#[tokio::test(start_paused = true)]
async fn nothing_due_means_no_wake_ups() {
    let h = Harness::start(vec![(job("once"), Box::new(Slots(vec![10])))], &[]);
    h.pass(20).await;
    assert_eq!(h.start_secs(), [10]);
    let reads = h.clock.reads();
    h.pass(3600).await;
    assert_eq!(h.clock.reads(), reads, "the loop woke up with nothing due");
}

#[tokio::test(start_paused = true)]
async fn sleeps_through_to_a_far_slot() {
    let h = Harness::start(vec![(job("daily"), Box::new(Slots(vec![86_400])))], &[]);
    h.pass(1).await;
    let reads = h.clock.reads();
    h.pass(86_399 - 1).await;
    assert_eq!(h.clock.reads(), reads, "woke up before the slot");
    h.pass(2).await;
    assert_eq!(h.start_secs(), [86_400]);
}

#[tokio::test(start_paused = true)]
async fn overlap_skip_skips_while_running() {
    let h = Harness::start(vec![every(job("slow"), 10)], &[("slow", runs(25, 0))]);
    h.pass(45).await;
    assert_eq!(h.start_secs(), [10, 40]);
    assert_eq!(
        h.skips(),
        [(at(20), "overlap".into()), (at(30), "overlap".into())]
    );
}

#[tokio::test(start_paused = true)]
async fn overlap_queue_keeps_one_waiting() {
    let mut queued = job("slow");
    queued.overlap = Overlap::Queue;
    let h = Harness::start(vec![every(queued, 10)], &[("slow", runs(25, 0))]);
    h.pass(36).await;
    // 10 runs to 35; 20 waits and starts at 35; 30 finds the queue full.
    assert_eq!(h.start_secs(), [10, 35]);
    assert_eq!(h.skips(), [(at(30), "queue_full".into())]);
    assert_eq!(h.events("queued").len(), 1);
    let late = h.events("started")[1].get("late_ms");
    assert_eq!(
        late.as_deref(),
        Some("15000"),
        "the queued run is 15 s after its slot"
    );
    assert_eq!(h.events("started")[1].get("scheduled_for"), Some(at(20)));
}

#[tokio::test(start_paused = true)]
async fn overlap_replace_stops_the_running_one_first() {
    let mut replaced = job("slow");
    replaced.overlap = Overlap::Replace;
    let h = Harness::start(vec![every(replaced, 10)], &[("slow", runs(25, 0))]);
    h.pass(21).await;
    assert_eq!(h.start_secs(), [10, 20]);
    let killed = h.events("killed");
    assert_eq!(killed.len(), 1);
    assert_eq!(killed[0].get("reason").as_deref(), Some("replaced"));
    assert_eq!(killed[0].get("scheduled_for"), Some(at(10)));
}

#[tokio::test(start_paused = true)]
async fn overlap_replace_waits_out_kill_grace_of_a_stubborn_run() {
    let mut replaced = job("stubborn");
    replaced.overlap = Overlap::Replace;
    let stubborn = Behavior {
        ignores_term: true,
        ..runs(100, 0)
    };
    let h = Harness::start(vec![every(replaced, 10)], &[("stubborn", stubborn)]);
    h.pass(24).await;
    // SIGTERM at 20 is ignored; SIGKILL after kill_grace (3 s) ends it; then the new one.
    assert_eq!(h.start_secs(), [10, 23]);
    assert_eq!(h.events("killed").len(), 1);
}

#[tokio::test(start_paused = true)]
async fn overlap_allow_runs_side_by_side() {
    let mut allowed = job("slow");
    allowed.overlap = Overlap::Allow;
    let h = Harness::start(vec![every(allowed, 10)], &[("slow", runs(25, 0))]);
    h.pass(31).await;
    assert_eq!(h.start_secs(), [10, 20, 30]);
    assert!(h.skips().is_empty());
}

#[tokio::test(start_paused = true)]
async fn misfire_within_grace_runs_once_late() {
    let h = Harness::start(vec![every(job("minute"), 60)], &[]);
    h.pass(5).await;
    h.clock.jump(10); // the wall clock is now 10 s ahead of where the loop slept
    h.pass(56).await;
    assert_eq!(h.start_secs(), [60]);
    let started = h.events("started");
    assert_eq!(started[0].get("late_ms").as_deref(), Some("10000"));
    assert_eq!(started[0].get("scheduled_for"), Some(at(60)));
    assert!(h.skips().is_empty());
}

#[tokio::test(start_paused = true)]
async fn misfire_past_grace_is_skipped() {
    let h = Harness::start(vec![every(job("minute"), 60)], &[]);
    h.pass(5).await;
    h.clock.jump(45); // grace is 30 s
    h.pass(56).await;
    assert!(h.start_secs().is_empty(), "a run 45 s late must not start");
    let skipped = h.events("skipped");
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].get("reason").as_deref(), Some("misfire"));
    assert_eq!(skipped[0].get("missed").as_deref(), Some("1"));
    assert_eq!(skipped[0].get("late_ms").as_deref(), Some("45000"));
    // The next slot (120 on the jumped clock = 75 s of tokio time later) runs normally.
    h.pass(30).await;
    assert_eq!(h.events("started")[0].get("scheduled_for"), Some(at(120)));
}

#[tokio::test(start_paused = true)]
async fn a_long_stall_is_not_replayed_in_a_burst() {
    let h = Harness::start(vec![every(job("tick"), 10)], &[]);
    h.pass(5).await;
    h.clock.jump(100);
    h.pass(5).await;
    // At tokio 10 s the clock reads 110: slots 10..=110 are due; only 110 runs.
    assert_eq!(h.start_secs(), [10]);
    assert_eq!(h.events("started")[0].get("scheduled_for"), Some(at(110)));
    let skipped = h.events("skipped");
    assert_eq!(skipped.len(), 1, "one line for all missed slots");
    assert_eq!(skipped[0].get("missed").as_deref(), Some("10"));
    assert_eq!(skipped[0].get("scheduled_for"), Some(at(10)));
    assert_eq!(skipped[0].get("last_missed"), Some(at(100)));
}

#[tokio::test(start_paused = true)]
async fn retries_back_off_exponentially() {
    let mut flaky = job("flaky");
    flaky.retries = 2;
    let h = Harness::start(vec![every(flaky, 100)], &[("flaky", runs(1, 1))]);
    h.pass(130).await;
    // Fails at 101 → retry after 5 s at 106 → fails at 107 → after 10 s at 117 → fails.
    assert_eq!(h.start_secs(), [100, 106, 117]);
    let attempts: Vec<String> = h
        .executor
        .starts()
        .iter()
        .map(|s| s.attempt.clone())
        .collect();
    assert_eq!(attempts, ["1", "2", "3"]);
    let retrying = h.events("retrying");
    let delays: Vec<String> = retrying.iter().filter_map(|r| r.get("delay_ms")).collect();
    assert_eq!(delays, ["5000", "10000"]);
    assert_eq!(h.events("failed").len(), 3);
    let slots: Vec<String> = h
        .events("started")
        .iter()
        .filter_map(|r| r.get("scheduled_for"))
        .collect();
    assert_eq!(
        slots,
        [at(100), at(100), at(100)],
        "retries keep their slot"
    );
}

#[tokio::test(start_paused = true)]
async fn a_retry_that_would_meet_the_next_slot_is_dropped() {
    let mut flaky = job("flaky");
    flaky.retries = 3;
    flaky.retry_backoff = Duration::from_secs(30);
    let h = Harness::start(vec![every(flaky, 10)], &[("flaky", runs(1, 1))]);
    h.pass(15).await;
    assert_eq!(h.start_secs(), [10]);
    assert!(h.events("retrying").is_empty());
    let skipped = h.events("skipped");
    assert_eq!(
        skipped[0].get("reason").as_deref(),
        Some("retry_superseded")
    );
    assert_eq!(skipped[0].get("attempt").as_deref(), Some("2"));
}

#[tokio::test(start_paused = true)]
async fn a_refused_claim_starts_nothing() {
    let h = Harness::start_with(
        vec![every(job("sync"), 10)],
        &[],
        Duration::from_secs(20),
        LocalGateOr::Refuse,
    );
    h.pass(25).await;
    assert!(h.start_secs().is_empty());
    assert_eq!(
        h.skips(),
        [(at(10), "claimed".into()), (at(20), "claimed".into())]
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_interrupts_running_jobs_and_returns() {
    let h = Harness::start(vec![every(job("long"), 10)], &[("long", runs(100, 0))]);
    h.pass(15).await;
    let h = h.stop("SIGTERM").await;
    h.pass(1).await;
    assert!(h.task.is_finished(), "run() returned after its jobs ended");
    let interrupted = h.events("interrupted");
    assert_eq!(interrupted.len(), 1);
    assert_eq!(interrupted[0].get("duration_ms").as_deref(), Some("5000"));
    let shutdown = h.events("shutdown");
    assert_eq!(shutdown[0].get("running").as_deref(), Some("1"));
    assert_eq!(h.events("stopped").len(), 1);
    h.pass(30).await;
    assert_eq!(h.start_secs(), [10], "nothing starts after the signal");
}

#[tokio::test(start_paused = true)]
async fn shutdown_kills_what_outlives_the_grace() {
    let stubborn = Behavior {
        ignores_term: true,
        ..runs(1000, 0)
    };
    let h = Harness::start(vec![every(job("stubborn"), 10)], &[("stubborn", stubborn)]);
    h.pass(15).await;
    let h = h.stop("SIGTERM").await;
    h.pass(19).await;
    assert!(!h.task.is_finished(), "gave up before the 20 s grace");
    h.pass(2).await;
    assert!(h.task.is_finished());
    assert_eq!(h.events("grace_over").len(), 1);
    assert_eq!(h.events("interrupted").len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_second_signal_kills_at_once() {
    let stubborn = Behavior {
        ignores_term: true,
        ..runs(1000, 0)
    };
    let h = Harness::start(vec![every(job("stubborn"), 10)], &[("stubborn", stubborn)]);
    h.pass(15).await;
    let h = h.stop("SIGTERM").await;
    h.pass(2).await;
    let h = h.stop("SIGINT").await;
    h.pass(1).await;
    assert!(
        h.task.is_finished(),
        "the second signal did not cut the wait short"
    );
    let signal = h.events("signal");
    assert_eq!(signal[0].get("signal").as_deref(), Some("SIGINT"));
    assert_eq!(h.events("interrupted").len(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_announced_retry_is_closed_at_shutdown() {
    let mut flaky = job("flaky");
    flaky.retries = 2;
    flaky.retry_backoff = Duration::from_secs(30);
    let h = Harness::start(vec![every(flaky, 100)], &[("flaky", runs(1, 1))]);
    h.pass(105).await;
    // Failed at 101; attempt 2 is announced for 131.
    assert_eq!(h.events("retrying")[0].get("attempt").as_deref(), Some("2"));
    let h = h.stop("SIGTERM").await;
    h.pass(1).await;
    assert!(h.task.is_finished());
    let skipped = h.events("skipped");
    assert_eq!(skipped.len(), 1, "one closing line for the announced retry");
    assert_eq!(skipped[0].get("reason").as_deref(), Some("shutdown"));
    assert_eq!(skipped[0].get("attempt").as_deref(), Some("2"));
    assert_eq!(skipped[0].get("scheduled_for"), Some(at(100)));
    let stopped = h.events("stopped");
    assert_eq!(stopped[0].get("unreported").as_deref(), Some("0"));
    assert_eq!(stopped[0].level, "info");
}

#[tokio::test(start_paused = true)]
async fn stopped_counts_the_runs_that_never_reported() {
    let stuck = Behavior {
        ignores_term: true,
        unkillable: true,
        ..runs(100_000, 0)
    };
    let h = Harness::start(
        vec![every(job("stuck"), 10), every(job("quick"), 10)],
        &[("stuck", stuck), ("quick", runs(100, 0))],
    );
    h.pass(15).await;
    let h = h.stop("SIGTERM").await;
    // 20 s of grace, SIGKILL, then 5 s more for the runs to report.
    h.pass(24).await;
    assert!(
        !h.task.is_finished(),
        "gave up before the wait after SIGKILL"
    );
    h.pass(2).await;
    assert!(h.task.is_finished());
    assert_eq!(
        h.events("interrupted").len(),
        1,
        "quick reported, stuck did not"
    );
    let stopped = h.events("stopped");
    assert_eq!(stopped.len(), 1);
    assert_eq!(stopped[0].get("unreported").as_deref(), Some("1"));
    assert_eq!(stopped[0].level, "warn");
}

#[tokio::test(start_paused = true)]
async fn a_timeout_counts_as_a_failure_for_retries() {
    let mut hung = job("hung");
    hung.timeout = Some(Duration::from_secs(2));
    hung.retries = 1;
    let h = Harness::start(vec![every(hung, 100)], &[("hung", runs(50, 0))]);
    h.pass(110).await;
    // Times out at 102, retried 5 s later at 107.
    assert_eq!(h.start_secs(), [100, 107]);
    assert_eq!(h.events("timed_out").len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_lost_run_is_logged_as_lost_and_not_retried() {
    let mut vanishing = job("vanishing");
    vanishing.retries = 2;
    let behavior = Behavior {
        vanishes: true,
        ..runs(1, 0)
    };
    let h = Harness::start(vec![every(vanishing, 100)], &[("vanishing", behavior)]);
    h.pass(130).await;
    assert_eq!(h.start_secs(), [100], "a lost run may have run: no retry");
    let lost = h.events("lost");
    assert_eq!(lost.len(), 1);
    assert_eq!(lost[0].level, "error");
    assert_eq!(
        lost[0].get("error").as_deref(),
        Some("the executor dropped the run")
    );
    assert_eq!(lost[0].get("exit_code"), None, "it did not exit with 127");
    assert!(h.events("failed").is_empty());
    assert!(h.events("retrying").is_empty());
}

#[tokio::test(start_paused = true)]
async fn thousands_of_jobs_fire_only_when_due() {
    let jobs: Vec<(Job, Box<dyn Timetable>)> = (0..5_000)
        .map(|i| {
            (
                job(&format!("job-{i}")),
                Box::new(Slots(vec![3600 + 2 * (i % 60)])) as Box<dyn Timetable>,
            )
        })
        .collect();
    let h = Harness::start(jobs, &[]);
    h.pass(3600 + 30).await;
    // Slots at 3600, 3602, ... 3718: by 3630, the 16 offsets 0..=30 have come due.
    let due = (0..5_000).filter(|i| 2 * (i % 60) <= 30).count();
    assert_eq!(h.start_secs().len(), due);
    assert!(
        h.start_secs()
            .iter()
            .all(|&s| (3600..=3630).contains(&s) && s % 2 == 0)
    );
}

/// One slot that a spring-forward gap moved, as the schedule reports it.
struct MovedSlot;

impl Timetable for MovedSlot {
    fn next_after(&self, t: DateTime<Utc>) -> Option<Fire> {
        let slot = t0() + chrono::Duration::seconds(10);
        let wall = chrono::NaiveDate::from_ymd_opt(2026, 3, 8)
            .and_then(|d| d.and_hms_opt(2, 30, 0))
            .expect("valid wall time");
        (slot > t).then_some(Fire {
            slot,
            at: slot,
            dst: Some(crate::schedule::DstNote::MovedFromGap { wall }),
        })
    }
    fn describe(&self) -> String {
        "moved".into()
    }
}

#[tokio::test(start_paused = true)]
async fn a_slot_moved_by_dst_says_so_when_it_starts() {
    let h = Harness::start(vec![(job("dst"), Box::new(MovedSlot))], &[]);
    h.pass(11).await;
    let started = h.events("started");
    assert_eq!(started[0].get("dst").as_deref(), Some("moved_from_gap"));
    assert_eq!(
        started[0].get("dst_wall").as_deref(),
        Some("2026-03-08T02:30:00")
    );
}

#[tokio::test(start_paused = true)]
async fn a_jump_of_days_leaps_instead_of_walking_every_slot() {
    let h = Harness::start(vec![every(job("tick"), 1)], &[]);
    h.pass(0).await;
    h.clock.jump(10 * 86_400);
    h.pass(1).await;
    // At tokio 1 s the clock reads 10 days and 1 s: that slot runs, once.
    let started = h.events("started");
    assert_eq!(started.len(), 1);
    assert_eq!(started[0].get("scheduled_for"), Some(at(10 * 86_400 + 1)));
    let skipped = h.events("skipped");
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].get("missed_at_least").as_deref(), Some("true"));
    let missed: u64 = skipped[0]
        .get("missed")
        .and_then(|m| m.parse().ok())
        .expect("missed");
    // 100,000 walked, then the 30 s grace window walked again up to the slot that runs.
    assert_eq!(missed, 100_000 + 30);
    assert_eq!(skipped[0].get("last_missed"), Some(at(10 * 86_400)));
}
