//! The loop against a scripted gate, on tokio's paused time: what a store-backed gate
//! relies on (standby starts nothing, make-ups after a takeover, overlap with another
//! clock's run, retries of lost runs, notes for history, the lead given up at shutdown).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone as _, Utc};
use tokio::sync::mpsc;

use super::*;
use crate::config::{Job, Overlap};
use crate::exec::{End, Executor, Outcome, RunHandle, RunSpec};
use crate::logging::{self, Capture};
use crate::schedule::{Fire, JobSchedule, Schedule};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0)
        .single()
        .expect("valid")
}

fn t(secs: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::seconds(secs)
}

/// Slots every 10 s after t0.
struct Every10;

impl Timetable for Every10 {
    fn next_after(&self, after: DateTime<Utc>) -> Option<Fire> {
        let k = (after - t0()).num_milliseconds().div_euclid(10_000) + 1;
        let slot = t0() + chrono::Duration::milliseconds(k * 10_000);
        Some(Fire {
            slot,
            at: slot,
            dst: None,
        })
    }
    fn describe(&self) -> String {
        "every 10s".into()
    }
}

fn job(name: &str, overlap: Overlap, retries: u32) -> Job {
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
        overlap,
        retries,
        retry_backoff: Duration::from_secs(5),
        env: BTreeMap::new(),
        misfire_grace: Duration::from_secs(30),
        line: 1,
        alert: None,
        monitor: None,
        run: crate::config::RunOn::Local,
        dyno_size: None,
    }
}

/// Every run takes 2 s and succeeds; records (job, slot, attempt) of each start.
#[derive(Clone, Default)]
struct QuickExecutor {
    starts: Arc<Mutex<Vec<(String, String, String)>>>,
}

impl Executor for QuickExecutor {
    fn start(&self, spec: RunSpec) -> RunHandle {
        self.starts.lock().expect("starts").push((
            spec.job.clone(),
            spec.env
                .get("CLOCK_SCHEDULED_FOR")
                .cloned()
                .unwrap_or_default(),
            spec.env.get("CLOCK_ATTEMPT").cloned().unwrap_or_default(),
        ));
        let (handle, supervisor) = RunHandle::pair(None);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let _ = supervisor.outcome.send(Outcome {
                end: End::Exited(0),
                duration: Duration::from_secs(2),
                dyno: None,
            });
        });
        handle
    }
}

/// A gate whose answers the test sets, and which keeps what the loop told it.
#[derive(Clone)]
struct ScriptedGate {
    answer: Arc<Mutex<Claim>>,
    busy: Arc<AtomicBool>,
    notes: Arc<Mutex<Vec<RunNote>>>,
    claims: Arc<Mutex<Vec<DateTime<Utc>>>>,
    stopped: Arc<AtomicBool>,
    events: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<GateEvent>>>,
}

impl FireGate for ScriptedGate {
    async fn claim(&self, _job: &str, slot: DateTime<Utc>) -> Claim {
        self.claims.lock().expect("claims").push(slot);
        *self.answer.lock().expect("answer")
    }
    fn note(&self, note: RunNote) {
        self.notes.lock().expect("notes").push(note);
    }
    async fn busy_elsewhere(&self, _job: &str) -> bool {
        self.busy.load(Ordering::SeqCst)
    }
    async fn next_event(&self) -> GateEvent {
        match self.events.lock().await.recv().await {
            Some(event) => event,
            None => std::future::pending().await,
        }
    }
    fn stop_leading(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }
}

struct Setup {
    gate: ScriptedGate,
    events: mpsc::UnboundedSender<GateEvent>,
    executor: QuickExecutor,
    signals: mpsc::UnboundedSender<&'static str>,
    capture: Capture,
    _guard: tracing::subscriber::DefaultGuard,
}

impl Setup {
    fn start(jobs: Vec<Job>, answer: Claim) -> Setup {
        let (subscriber, capture) = logging::capture();
        let guard = tracing::subscriber::set_default(subscriber);
        let (events, events_rx) = mpsc::unbounded_channel();
        let gate = ScriptedGate {
            answer: Arc::new(Mutex::new(answer)),
            busy: Arc::default(),
            notes: Arc::default(),
            claims: Arc::default(),
            stopped: Arc::default(),
            events: Arc::new(tokio::sync::Mutex::new(events_rx)),
        };
        let executor = QuickExecutor::default();
        let (signals, signals_rx) = mpsc::unbounded_channel();
        let plan = Plan {
            jobs: jobs
                .into_iter()
                .map(|job| ClockJob::with_timetable(job, Box::new(Every10)))
                .collect(),
            disabled: 0,
            shutdown_grace: Duration::from_secs(5),
            adopted: Vec::new(),
        };
        tokio::spawn(run(
            plan,
            executor.clone(),
            gate.clone(),
            TokioClock::starting_at(t0()),
            signals_rx,
        ));
        Setup {
            gate,
            events,
            executor,
            signals,
            capture,
            _guard: guard,
        }
    }

    fn answer(&self, claim: Claim) {
        *self.gate.answer.lock().expect("answer") = claim;
    }

    /// (slot, attempt) of every start, slots in seconds after t0.
    fn starts(&self) -> Vec<(String, String)> {
        self.executor
            .starts
            .lock()
            .expect("starts")
            .iter()
            .map(|(_, slot, attempt)| (slot.clone(), attempt.clone()))
            .collect()
    }

    fn events(&self, event: &str) -> Vec<crate::logging::Record> {
        self.capture
            .records()
            .into_iter()
            .filter(|record| record.get("event").as_deref() == Some(event))
            .collect()
    }

    fn notes(&self) -> Vec<RunNote> {
        self.gate.notes.lock().expect("notes").clone()
    }
}

async fn pass(secs: u64) {
    tokio::time::sleep(Duration::from_secs(secs)).await;
    tokio::task::yield_now().await;
}

fn slot(secs: i64) -> String {
    report::rfc3339(t(secs))
}

#[tokio::test(start_paused = true)]
async fn a_standby_starts_nothing_and_says_nothing_per_slot() {
    let setup = Setup::start(vec![job("a", Overlap::Skip, 0)], Claim::Standby);
    pass(35).await;
    assert_eq!(setup.gate.claims.lock().expect("claims").len(), 3);
    assert!(setup.starts().is_empty());
    assert!(
        setup.events("skipped").is_empty(),
        "no line per slot on a standby"
    );
    // Unavailable is different: nothing starts, and each refused slot is a warning.
    setup.answer(Claim::Unavailable);
    pass(10).await;
    assert!(setup.starts().is_empty());
    let skipped = setup.events("skipped");
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].get("reason").as_deref(), Some("store_error"));
}

#[tokio::test(start_paused = true)]
async fn a_takeover_makes_up_the_latest_missed_slot_and_records_the_others() {
    let setup = Setup::start(vec![job("a", Overlap::Skip, 0)], Claim::Standby);
    pass(45).await;
    // The old leader's last slot was 0; this clock leads from 45 s.
    setup.answer(Claim::Ours {
        busy_elsewhere: false,
    });
    setup
        .events
        .send(GateEvent::CatchUp(vec![JobMark {
            job: "a".into(),
            after: t(0),
        }]))
        .expect("send");
    pass(1).await;
    assert_eq!(setup.starts(), vec![(slot(40), "1".into())]);
    let caught = setup.events("caught_up");
    assert_eq!(caught.len(), 1);
    assert_eq!(caught[0].get("late_ms").as_deref(), Some("5000"));
    let missed = setup.notes().into_iter().find_map(|note| match note {
        RunNote::Missed { slots, .. } => Some(slots),
        _ => None,
    });
    assert_eq!(missed, Some(vec![t(10), t(20), t(30)]));
    // From then on the loop runs the slots itself.
    pass(10).await;
    assert_eq!(setup.starts().last(), Some(&(slot(50), "1".into())));
}

#[tokio::test(start_paused = true)]
async fn another_clocks_run_counts_for_skip_and_queue_waits_for_it() {
    let busy = Claim::Ours {
        busy_elsewhere: true,
    };
    let setup = Setup::start(
        vec![
            job("skip", Overlap::Skip, 0),
            job("queue", Overlap::Queue, 0),
        ],
        busy,
    );
    setup.gate.busy.store(true, Ordering::SeqCst);
    pass(12).await;
    assert!(
        setup.starts().is_empty(),
        "both wait or skip: {:?}",
        setup.starts()
    );
    let reasons: Vec<String> = setup
        .events("skipped")
        .iter()
        .filter_map(|record| record.get("reason"))
        .collect();
    assert_eq!(reasons, vec!["overlap".to_string()]);
    assert_eq!(setup.events("queued").len(), 1);
    // The other clock's run ends at 13.5 s: the queued run starts at the next recheck.
    pass(1).await;
    setup.gate.busy.store(false, Ordering::SeqCst);
    pass(2).await;
    assert_eq!(setup.starts(), vec![(slot(10), "1".into())]);
    let skipped_note = setup.notes().into_iter().any(|note| {
        matches!(note, RunNote::Skipped { ref job, reason: report::SkipReason::Overlap, .. } if job == "skip")
    });
    assert!(skipped_note, "the skip is recorded for history");
}

#[tokio::test(start_paused = true)]
async fn a_lost_run_is_retried_only_when_retries_remain() {
    let setup = Setup::start(
        vec![
            job("none", Overlap::Skip, 0),
            job("twice", Overlap::Skip, 2),
        ],
        Claim::Standby,
    );
    pass(1).await;
    for name in ["none", "twice"] {
        setup
            .events
            .send(GateEvent::Lost {
                job: name.into(),
                slot: t(-10),
                attempt: 1,
            })
            .expect("send");
    }
    pass(6).await;
    let starts = setup.executor.starts.lock().expect("starts").clone();
    assert_eq!(starts, vec![("twice".into(), slot(-10), "2".into())]);
}

#[tokio::test(start_paused = true)]
async fn every_run_is_noted_and_shutdown_hands_the_lead_over() {
    let setup = Setup::start(
        vec![job("a", Overlap::Skip, 0)],
        Claim::Ours {
            busy_elsewhere: false,
        },
    );
    pass(13).await;
    let notes = setup.notes();
    assert!(matches!(&notes[0], RunNote::Started { slot, attempt: 1, .. } if *slot == t(10)));
    assert!(matches!(
        &notes[1],
        RunNote::Ended {
            status: RunStatus::Succeeded,
            exit_code: Some(0),
            ..
        }
    ));
    assert!(!setup.gate.stopped.load(Ordering::SeqCst));
    setup.signals.send("SIGTERM").expect("signal");
    pass(1).await;
    assert!(setup.gate.stopped.load(Ordering::SeqCst));
}
