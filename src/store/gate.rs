//! [`StoreGate`]: the store as the runtime's [`FireGate`], and the two tasks behind it.
//!
//! - The *keeper* owns the lease connection: it migrates the schema, ticks the lease
//!   (renew or acquire, plus this clock's heartbeat), logs `event=leader`/`standby`,
//!   registers jobs, asks the loop for a make-up when it takes over or the database is
//!   back, marks runs of dead clocks lost, and prunes history, in that order of
//!   importance. It gives the lease up at once when the clock starts shutting down.
//! - The *writer* owns history writes: notes queue in memory and are written in order;
//!   while the database is away they wait and are retried with backoff, so a run that
//!   ends during an outage is recorded when the database is back.
//!
//! Claims go on the writer's connection too (two connections per clock in all). Failure
//! streaks ([`StoreGate::streak_book`]) go on the keeper's, whose few statements a second
//! can wait a millisecond, so that they never queue in front of a claim. A claim
//! is attempted only while the lease is held by this clock's reckoning, and the
//! database checks the lease again inside the claim.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, mpsc};
use tokio::time::{Instant, sleep, sleep_until};

use super::claim::{self, Verdict};
use super::error::StoreError;
use super::history::{self, Writer};
use super::lease::{self, Change, Lease};
use super::link::Link;
use super::schema;
use super::streaks;
use super::tls::TlsError;
use super::upkeep;
use super::url::DatabaseUrl;
use crate::config::Alert;
use crate::notify::policy::Streak;
use crate::notify::streaks::{Counted, Decision, StreakBook};
use crate::runtime::report;
use crate::runtime::{Claim, FireGate, GateEvent, RunNote};

/// How often the leader prunes history.
const PRUNE_EVERY: Duration = Duration::from_secs(600);
/// The pause between two pruning batches, so pruning never hogs the database.
const PRUNE_PAUSE: Duration = Duration::from_millis(200);
/// The most pruning batches per round (the rest waits for the next round).
const PRUNE_ROUND: u32 = 20;
/// At most one `store_error` line per kind this often; the others are counted.
const ERROR_EVERY: Duration = Duration::from_secs(10);
/// Reconnection backoff bounds.
const BACKOFF_MIN: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// What the store needs to run.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    pub url: DatabaseUrl,
    /// How long history is kept.
    pub keep: Duration,
    /// The lease term.
    pub term: Duration,
    /// The deadline of every database operation.
    pub timeout: Duration,
    /// Every enabled job's name.
    pub jobs: Vec<String>,
    /// The longest `misfire_grace` of any job: no claim row younger is ever pruned.
    pub longest_grace: Duration,
    /// `DYNO`, when set.
    pub dyno: Option<String>,
    /// When this clock started: a job it brings first is taken to appear then.
    pub started: DateTime<Utc>,
}

/// The store as the runtime's gate. Cheap to clone: clones share everything.
#[derive(Clone)]
pub struct StoreGate {
    shared: Arc<Shared>,
}

struct Shared {
    writer: Writer,
    claims: Link,
    /// The keeper's connection, shared with the streak book.
    control: Arc<Link>,
    lease: Mutex<Lease>,
    /// Set when a slot could not be claimed because of the database: the keeper then
    /// asks the loop for a make-up once it is back.
    wants_catch_up: AtomicBool,
    stopping: AtomicBool,
    stop: Notify,
    /// This clock led when it began shutting down; `release_written`: the database knows.
    released: AtomicBool,
    release_written: AtomicBool,
    events_tx: mpsc::UnboundedSender<GateEvent>,
    events_rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<GateEvent>>,
    notes_tx: mpsc::UnboundedSender<Note>,
    errors: Mutex<ErrorLog>,
}

enum Note {
    Run(RunNote),
    /// Everything before it is written (or given up): wake the waiter.
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// The keeper's and writer's tasks, for [`StoreGate::finish`].
pub struct StoreTasks {
    keeper: tokio::task::JoinHandle<()>,
    writer: tokio::task::JoinHandle<()>,
    control: Arc<Link>,
}

impl StoreGate {
    /// Starts the keeper and the writer (on the current tokio runtime) and returns the
    /// gate. No connection is opened before the tasks run.
    ///
    /// # Errors
    /// A [`TlsError`] when the URL's TLS settings cannot be set up.
    pub fn start(settings: StoreSettings) -> Result<(StoreGate, StoreTasks), TlsError> {
        let instance = instance_id(settings.dyno.as_deref());
        let app = format!("heroku-clock {instance}");
        let control = Arc::new(Link::new(&settings.url, &app, settings.timeout)?);
        let claims = Link::new(&settings.url, &app, settings.timeout)?;
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (notes_tx, notes_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            writer: Writer {
                instance,
                dyno: settings.dyno.clone(),
            },
            claims,
            control: control.clone(),
            lease: Mutex::new(Lease::new(settings.term)),
            wants_catch_up: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
            stop: Notify::new(),
            released: AtomicBool::new(false),
            release_written: AtomicBool::new(false),
            events_tx,
            events_rx: tokio::sync::Mutex::new(events_rx),
            notes_tx,
            errors: Mutex::new(ErrorLog::default()),
        });
        let keeper = tokio::spawn(keep(shared.clone(), control.clone(), settings));
        let writer = tokio::spawn(write_notes(shared.clone(), notes_rx));
        Ok((
            StoreGate { shared },
            StoreTasks {
                keeper,
                writer,
                control,
            },
        ))
    }

    /// This clock's instance id, as history and `pg_stat_activity` show it.
    pub fn instance(&self) -> &str {
        &self.shared.writer.instance
    }

    /// After the loop returned: writes what history is still queued (for at most
    /// `wait`), then removes this clock's heartbeat and closes both connections.
    pub async fn finish(self, tasks: StoreTasks, wait: Duration) {
        self.stop_leading();
        let (tx, rx) = tokio::sync::oneshot::channel();
        if self.shared.notes_tx.send(Note::Flush(tx)).is_ok() {
            let _ = tokio::time::timeout(wait, rx).await;
        }
        tasks.keeper.abort();
        tasks.writer.abort();
        // The keeper may have been stopped in the middle of it: releasing twice is harmless.
        release(&self.shared, &tasks.control).await;
        let instance = self.shared.writer.instance.clone();
        let _ = tasks
            .control
            .run("retiring this clock", |client| async move {
                client
                    .execute(lease::RETIRE, &[&instance])
                    .await
                    .map_err(|error| StoreError::query("retiring this clock", &error))
            })
            .await;
        tasks.control.close().await;
        self.shared.claims.close().await;
    }

    /// Failure streaks for alerts, kept in this store (`heroku_clock.streaks`).
    pub fn streak_book(&self) -> Arc<dyn StreakBook> {
        Arc::new(StoreBook {
            shared: self.shared.clone(),
        })
    }

    fn holds_lease(&self) -> bool {
        lock(&self.shared.lease).leads(Instant::now())
    }

    /// What a claim's verdict means for the loop (and for this clock's lease).
    fn on_verdict(&self, verdict: Verdict, slot: DateTime<Utc>) -> Claim {
        match verdict {
            Verdict::Won { busy_elsewhere } => Claim::Ours { busy_elsewhere },
            Verdict::Taken => Claim::Taken,
            Verdict::NotLeading => {
                if lock(&self.shared.lease).release() == Change::Released {
                    report::leader(
                        "lost",
                        self.shared.writer.dyno.as_deref(),
                        &self.shared.writer.instance,
                        Some("not_holder"),
                    );
                }
                Claim::Standby
            }
            Verdict::Early => {
                self.shared.log_error(&StoreError::Query {
                    what: "claiming a run",
                    code: None,
                    detail: format!(
                        "the database's clock says {} is not due yet: this dyno's clock is \
                         more than {}s ahead",
                        report::rfc3339(slot),
                        claim::EARLY_TOLERANCE_SECS
                    ),
                });
                self.shared.wants_catch_up.store(true, Ordering::SeqCst);
                Claim::Unavailable
            }
        }
    }
}

/// The store's [`StreakBook`], on the keeper's connection; its errors are `store_error`
/// lines like every other.
struct StoreBook {
    shared: Arc<Shared>,
}

impl StreakBook for StoreBook {
    fn apply<'a>(
        &'a self,
        alert: &'a Alert,
        counted: &'a Counted,
        newer: Option<&'a Streak>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<Decision>> + Send + 'a>> {
        Box::pin(async move {
            let answer = self
                .shared
                .control
                .run("keeping a failure streak", |client| async move {
                    streaks::apply(&client, alert, counted, newer).await
                })
                .await;
            match answer {
                Ok(decision) => Some(decision),
                Err(error) => {
                    self.shared.log_error(&error);
                    None
                }
            }
        })
    }
}

impl FireGate for StoreGate {
    async fn claim(&self, job: &str, slot: DateTime<Utc>) -> Claim {
        if self.shared.stopping.load(Ordering::SeqCst) || !self.holds_lease() {
            return Claim::Standby;
        }
        let instance = self.shared.writer.instance.clone();
        let dyno = self.shared.writer.dyno.clone();
        let job_name = job.to_string();
        let answer = self
            .shared
            .claims
            .run("claiming a run", |client| async move {
                let row = client
                    .query_one(
                        claim::CLAIM,
                        &[
                            &job_name,
                            &slot,
                            &instance,
                            &dyno,
                            &claim::EARLY_TOLERANCE_SECS,
                        ],
                    )
                    .await
                    .map_err(|error| StoreError::query("claiming a run", &error))?;
                claim::read_answer(&row)
            })
            .await;
        match answer.map(claim::decide) {
            Ok(verdict) => self.on_verdict(verdict, slot),
            Err(error) => {
                self.shared.log_error(&error);
                self.shared.wants_catch_up.store(true, Ordering::SeqCst);
                Claim::Unavailable
            }
        }
    }

    async fn claim_all(&self, slots: Vec<(String, DateTime<Utc>)>) -> Vec<Claim> {
        if slots.len() == 1 || self.shared.stopping.load(Ordering::SeqCst) || !self.holds_lease() {
            let mut claims = Vec::with_capacity(slots.len());
            for (job, slot) in &slots {
                claims.push(self.claim(job, *slot).await);
            }
            return claims;
        }
        // Twenty jobs due at the same second: one statement claims them all.
        let jobs: Vec<String> = slots.iter().map(|(job, _)| job.clone()).collect();
        let instants: Vec<DateTime<Utc>> = slots.iter().map(|(_, slot)| *slot).collect();
        let instance = self.shared.writer.instance.clone();
        let dyno = self.shared.writer.dyno.clone();
        let answers = self
            .shared
            .claims
            .run("claiming runs", |client| async move {
                let rows = client
                    .query(
                        claim::CLAIM_MANY,
                        &[
                            &jobs,
                            &instants,
                            &instance,
                            &dyno,
                            &claim::EARLY_TOLERANCE_SECS,
                        ],
                    )
                    .await
                    .map_err(|error| StoreError::query("claiming runs", &error))?;
                let mut answers = std::collections::HashMap::with_capacity(rows.len());
                for row in &rows {
                    let job: String = row
                        .try_get(0)
                        .map_err(|error| StoreError::query("claiming runs", &error))?;
                    let slot: DateTime<Utc> = row
                        .try_get(1)
                        .map_err(|error| StoreError::query("claiming runs", &error))?;
                    answers.insert((job, slot), claim::read_answer_at(row, 2)?);
                }
                Ok(answers)
            })
            .await;
        match answers {
            Ok(answers) => slots
                .iter()
                .map(|key| match answers.get(key).copied().map(claim::decide) {
                    Some(verdict) => self.on_verdict(verdict, key.1),
                    None => Claim::Unavailable,
                })
                .collect(),
            Err(error) => {
                self.shared.log_error(&error);
                self.shared.wants_catch_up.store(true, Ordering::SeqCst);
                vec![Claim::Unavailable; slots.len()]
            }
        }
    }

    fn note(&self, note: RunNote) {
        let _ = self.shared.notes_tx.send(Note::Run(note));
    }

    async fn busy_elsewhere(&self, job: &str) -> bool {
        let instance = self.shared.writer.instance.clone();
        let job = job.to_string();
        let busy = self
            .shared
            .claims
            .run("checking runs on other clocks", |client| async move {
                let row = client
                    .query_one(claim::BUSY_ELSEWHERE, &[&job, &instance])
                    .await
                    .map_err(|error| StoreError::query("checking runs on other clocks", &error))?;
                row.try_get::<_, bool>(0)
                    .map_err(|error| StoreError::query("checking runs on other clocks", &error))
            })
            .await;
        // Unknown counts as busy: waiting longer is safe, running twice is not.
        busy.unwrap_or_else(|error| {
            self.shared.log_error(&error);
            true
        })
    }

    async fn next_event(&self) -> GateEvent {
        let mut events = self.shared.events_rx.lock().await;
        match events.recv().await {
            Some(event) => event,
            None => std::future::pending().await,
        }
    }

    fn stop_leading(&self) {
        if !self.shared.stopping.swap(true, Ordering::SeqCst) {
            self.shared.stop.notify_one();
        }
    }

    /// Whether this clock holds the lease now (and is not shutting down): only the
    /// leader's heartbeat speaks for the clock.
    async fn leads(&self) -> bool {
        !self.shared.stopping.load(Ordering::SeqCst) && self.holds_lease()
    }
}

impl Shared {
    fn log_error(&self, error: &StoreError) {
        let mut errors = lock(&self.errors);
        if let Some(suppressed) = errors.admit(error.kind(), Instant::now()) {
            report::store_error(error.kind(), &error.to_string(), suppressed);
        }
    }
}

/// Rate-limits `store_error` lines: the first of a kind, then at most one per
/// [`ERROR_EVERY`], each saying how many were left out.
#[derive(Debug, Default)]
struct ErrorLog {
    kinds: Vec<(&'static str, Instant, u64)>,
}

impl ErrorLog {
    /// `Some(suppressed)` when this error should be logged now.
    fn admit(&mut self, kind: &'static str, now: Instant) -> Option<u64> {
        match self.kinds.iter_mut().find(|(known, _, _)| *known == kind) {
            Some((_, last, suppressed)) => {
                if now.duration_since(*last) >= ERROR_EVERY {
                    *last = now;
                    Some(std::mem::take(suppressed))
                } else {
                    *suppressed += 1;
                    None
                }
            }
            None => {
                self.kinds.push((kind, now, 0));
                Some(0)
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The keeper: see the module docs.
async fn keep(shared: Arc<Shared>, control: Arc<Link>, settings: StoreSettings) {
    let instance = shared.writer.instance.clone();
    let dyno = shared.writer.dyno.clone();
    let term_secs = settings.term.as_secs_f64();
    let mut migrated = false;
    // Never wait longer than a third of the lease between tries: a leader must get its
    // renewal in, and a standby must notice a free lease quickly.
    let backoff_max = BACKOFF_MAX.min(settings.term / 3).max(BACKOFF_MIN);
    let mut backoff = BACKOFF_MIN;
    let mut standby_logged = false;
    let mut next = Instant::now();
    let mut next_prune = Instant::now() + PRUNE_EVERY / 10;
    let mut released = false;
    loop {
        tokio::select! {
            () = sleep_until(next) => {}
            () = shared.stop.notified(), if !released => {}
        }
        let stopping = shared.stopping.load(Ordering::SeqCst);
        if stopping && !released {
            released = true;
            release(&shared, &control).await;
        }
        if !migrated {
            let result = control
                .run("migrating the heroku_clock schema", |client| async move {
                    schema::migrate(&client).await
                })
                .await;
            match result {
                Ok(applied) => {
                    migrated = true;
                    report::store_ready(
                        schema::latest(),
                        !applied.is_empty(),
                        settings.url.tls.as_str(),
                    );
                }
                Err(error) => {
                    shared.log_error(&error);
                    next = Instant::now() + backoff;
                    backoff = (backoff * 2).min(backoff_max);
                    continue;
                }
            }
        }
        let now = Instant::now();
        if lock(&shared.lease).expire(now) == Change::Lost {
            report::leader("lost", dyno.as_deref(), &instance, Some("not_renewed"));
            standby_logged = false;
        }
        let limit = match lock(&shared.lease).held_until() {
            Some(until) => control.timeout().min(until.saturating_duration_since(now)),
            None => control.timeout(),
        }
        .max(Duration::from_millis(100));
        let sent = Instant::now();
        let want = !stopping;
        let (id, name) = (instance.clone(), dyno.clone());
        let answer = control
            .run_within("renewing the lease", limit, |client| async move {
                let row = client
                    .query_one(lease::TICK, &[&id, &name, &term_secs, &want])
                    .await
                    .map_err(|error| StoreError::query("renewing the lease", &error))?;
                let held: bool = row
                    .try_get(0)
                    .map_err(|error| StoreError::query("renewing the lease", &error))?;
                let holder: Option<String> = row
                    .try_get(1)
                    .map_err(|error| StoreError::query("renewing the lease", &error))?;
                Ok((held, holder))
            })
            .await;
        let change = match &answer {
            Ok((held, _)) => {
                backoff = BACKOFF_MIN;
                lock(&shared.lease).on_answer(sent, Instant::now(), *held)
            }
            Err(error) => {
                shared.log_error(error);
                lock(&shared.lease).on_failure(Instant::now())
            }
        };
        let holder = answer.as_ref().ok().and_then(|(_, holder)| holder.clone());
        match change {
            Change::Acquired => {
                report::leader("acquired", dyno.as_deref(), &instance, None);
                standby_logged = false;
                shared.wants_catch_up.store(true, Ordering::SeqCst);
            }
            Change::Lost => {
                report::leader("lost", dyno.as_deref(), &instance, Some("taken"));
                standby_logged = false;
            }
            Change::Standby if answer.is_ok() && !standby_logged && !stopping => {
                report::standby(holder.as_deref());
                standby_logged = true;
            }
            _ => {}
        }
        let leads = lock(&shared.lease).leads(Instant::now());
        if leads {
            upkeep_as_leader(&shared, &control, &settings, &mut next_prune).await;
        }
        let now = Instant::now();
        next = match answer {
            Ok(_) => lock(&shared.lease).next_tick(sent, now),
            Err(_) => {
                let wait = backoff;
                backoff = (backoff * 2).min(backoff_max);
                // A leader keeps trying until its term ends; never wait past it.
                match lock(&shared.lease).held_until() {
                    Some(until) => (now + wait).min(until),
                    None => now + wait,
                }
            }
        };
    }
}

/// Gives the lease up in the database, once, and says so when this clock led.
async fn release(shared: &Arc<Shared>, control: &Link) {
    let led = lock(&shared.lease).release() == Change::Released;
    if led {
        shared.released.store(true, Ordering::SeqCst);
    }
    if !shared.released.load(Ordering::SeqCst) || shared.release_written.load(Ordering::SeqCst) {
        return;
    }
    let id = shared.writer.instance.clone();
    let limit = Duration::from_secs(2).min(control.timeout());
    let result = control
        .run_within("releasing the lease", limit, |client| async move {
            client
                .execute(lease::RELEASE, &[&id])
                .await
                .map_err(|error| StoreError::query("releasing the lease", &error))
        })
        .await;
    match result {
        Ok(_) => {
            if !shared.release_written.swap(true, Ordering::SeqCst) {
                report::leader(
                    "released",
                    shared.writer.dyno.as_deref(),
                    &shared.writer.instance,
                    None,
                );
            }
        }
        Err(error) => shared.log_error(&error),
    }
}

/// Make-up, lost runs and pruning, for the clock that holds the lease.
async fn upkeep_as_leader(
    shared: &Arc<Shared>,
    control: &Arc<Link>,
    settings: &StoreSettings,
    next_prune: &mut Instant,
) {
    if shared.wants_catch_up.swap(false, Ordering::SeqCst) {
        let jobs = settings.jobs.clone();
        let started = settings.started;
        let marks = control
            .run("registering jobs", |client| async move {
                upkeep::register_jobs(&client, &jobs, started).await
            })
            .await;
        match marks {
            Ok(marks) => {
                let _ = shared.events_tx.send(GateEvent::CatchUp(marks));
            }
            Err(error) => {
                shared.log_error(&error);
                shared.wants_catch_up.store(true, Ordering::SeqCst);
                return;
            }
        }
    }
    let instance = shared.writer.instance.clone();
    let lost = control
        .run("looking for lost runs", |client| async move {
            upkeep::mark_lost(&client, &instance).await
        })
        .await;
    match lost {
        Ok(lost) => {
            for run in lost {
                report::lost(&run.job, run.slot, run.attempt, run.dyno.as_deref());
                let _ = shared.events_tx.send(GateEvent::Lost {
                    job: run.job,
                    slot: run.slot,
                    attempt: run.attempt,
                });
            }
        }
        Err(error) => shared.log_error(&error),
    }
    if Instant::now() < *next_prune {
        return;
    }
    *next_prune = Instant::now() + PRUNE_EVERY;
    let keep = settings
        .keep
        .max(settings.longest_grace + Duration::from_secs(3600));
    for _ in 0..PRUNE_ROUND {
        let deleted = control
            .run("pruning run history", |client| async move {
                upkeep::prune_batch(&client, keep).await
            })
            .await;
        match deleted {
            Ok(count) if count >= u64::try_from(upkeep::PRUNE_BATCH).unwrap_or(u64::MAX) => {
                sleep(PRUNE_PAUSE).await;
            }
            Ok(_) => break,
            Err(error) => {
                shared.log_error(&error);
                break;
            }
        }
        if !lock(&shared.lease).leads(Instant::now()) {
            break;
        }
    }
}

/// The writer: see the module docs.
async fn write_notes(shared: Arc<Shared>, mut notes: mpsc::UnboundedReceiver<Note>) {
    let mut queue: VecDeque<Note> = VecDeque::new();
    let mut backoff = BACKOFF_MIN;
    loop {
        if queue.is_empty() {
            match notes.recv().await {
                Some(note) => queue.push_back(note),
                None => return,
            }
        }
        while let Ok(note) = notes.try_recv() {
            queue.push_back(note);
        }
        let Some(front) = queue.front() else { continue };
        let run = match front {
            Note::Flush(_) => {
                if let Some(Note::Flush(done)) = queue.pop_front() {
                    let _ = done.send(());
                }
                continue;
            }
            Note::Run(run) => run.clone(),
        };
        let writer = shared.writer.clone();
        let result = shared
            .claims
            .run("writing run history", |client| async move {
                history::write(&client, &writer, &run).await
            })
            .await;
        match result {
            Ok(()) => {
                queue.pop_front();
                backoff = BACKOFF_MIN;
            }
            Err(error) if is_transient(&error) => {
                shared.log_error(&error);
                sleep(backoff).await;
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
            Err(error) => {
                // The database refused this row for good: keep the rest flowing.
                shared.log_error(&error);
                queue.pop_front();
            }
        }
    }
}

/// Whether trying again later can help: no connection, no answer, or the server going
/// away (SQLSTATE classes 08, 57, 53) rather than refusing the row itself.
fn is_transient(error: &StoreError) -> bool {
    match error {
        StoreError::Connect { .. } | StoreError::Timeout { .. } | StoreError::ReadOnly => true,
        StoreError::Query { code: None, .. } => true,
        StoreError::Query {
            code: Some(code), ..
        } => ["08", "57", "53", "40"]
            .iter()
            .any(|class| code.starts_with(class)),
        StoreError::SchemaTooNew { .. } => false,
    }
}

/// A new id per process: the dyno name (or host), the pid and a few random bits, so a
/// restarted dyno with the same name is a different clock.
fn instance_id(dyno: Option<&str>) -> String {
    let base = dyno.map(str::to_string).unwrap_or_else(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|name| name.trim().to_string())
            .unwrap_or_else(|_| "local".to_string())
    });
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| since.subsec_nanos())
        .unwrap_or(0);
    let bits = nanos ^ std::process::id().rotate_left(16);
    format!(
        "{}.{}.{:06x}",
        crate::visible::visible(&base),
        std::process::id(),
        bits & 0xff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_are_rate_limited_per_kind_and_count_what_was_left_out() {
        let start = Instant::now();
        let mut log = ErrorLog::default();
        assert_eq!(log.admit("connect", start), Some(0));
        assert_eq!(log.admit("connect", start + Duration::from_secs(1)), None);
        assert_eq!(log.admit("connect", start + Duration::from_secs(2)), None);
        assert_eq!(
            log.admit("timeout", start + Duration::from_secs(2)),
            Some(0)
        );
        assert_eq!(log.admit("connect", start + ERROR_EVERY), Some(2));
        assert_eq!(log.admit("connect", start + ERROR_EVERY), None);
    }

    #[test]
    fn only_connection_trouble_is_retried() {
        let query = |code: Option<&str>| StoreError::Query {
            what: "x",
            code: code.map(str::to_string),
            detail: String::new(),
        };
        assert!(is_transient(&StoreError::Connect {
            detail: String::new()
        }));
        assert!(is_transient(&query(Some("57P01"))));
        assert!(is_transient(&query(Some("08006"))));
        assert!(is_transient(&query(None)));
        assert!(!is_transient(&query(Some("23505"))));
        assert!(!is_transient(&query(Some("42P01"))));
    }

    #[test]
    fn instance_ids_name_the_dyno_and_differ_per_process_start() {
        let id = instance_id(Some("clock.1"));
        assert!(id.starts_with("clock.1."), "{id}");
        assert!(id.contains(&std::process::id().to_string()), "{id}");
    }
}
