//! Knowing when a job fails: alerts to named channels, monitor pings per job, and a
//! heartbeat for the clock itself.
//!
//! [`Notifier`] is a [`RunObserver`]: the engine tells it about every run where it logs
//! one, and it turns that into requests queued per channel ([`deliver`]), so no alert or
//! ping ever delays a job's start, its timeout or the clock's timers. It owns what to
//! send and when ([`policy`], [`message`], [`services`]); the runtime knows nothing of
//! channels. Credentials come from `${VAR}` templates resolved once, at start
//! ([`secret`]): a channel whose variable is unset is disabled with an `at=error` line and
//! everything else runs. Failure streaks live in memory, so a restart resets them,
//! unless the clock has a store: then they live in it ([`streaks`]), survive restarts
//! and are shared by every clock.

pub mod deliver;
mod log;
pub mod message;
pub mod policy;
pub mod request;
pub mod secret;
pub mod services;
pub mod streaks;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::config::{self, Alert, AlertOn, ChannelTarget, Config, Job, Template};
use crate::credential::SigningKey;
use crate::exec::{End, Outcome};
use crate::runtime::report::{SkipReason, StopReason};
use crate::runtime::{AfterEnd, RunInfo, RunObserver};
use deliver::{Dispatcher, Outbox};
use message::{Kind, Report};
use request::Request;
use secret::{SecretUrl, new_uuid};
use services::{Ending, Moment, Monitor};
use streaks::{Ask, Counted, Ledger, StreakBook, Waiting};

/// Where a channel's alerts go, resolved.
#[derive(Debug, Clone)]
pub enum Destination {
    Slack(SecretUrl),
    Webhook {
        url: SecretUrl,
        key: Option<SigningKey>,
    },
}

impl Destination {
    pub fn service(&self) -> &'static str {
        match self {
            Destination::Slack(_) => "slack",
            Destination::Webhook { .. } => "webhook",
        }
    }

    pub fn url(&self) -> &SecretUrl {
        match self {
            Destination::Slack(url) | Destination::Webhook { url, .. } => url,
        }
    }

    /// The request that carries `report` here.
    pub fn request(&self, report: &Report) -> Request {
        match self {
            Destination::Slack(url) => services::slack::message(url, report),
            Destination::Webhook { url, key } => {
                services::webhook::message(url, key.as_ref(), report)
            }
        }
    }
}

/// Why a template could not become a usable value (never quoting the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveError {
    /// The unset variable, when that is the cause.
    pub variable: Option<String>,
    pub message: String,
}

fn resolve(
    template: &Template,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, ResolveError> {
    template.resolve(lookup).map_err(|name| ResolveError {
        message: format!("${{{name}}} is not set"),
        variable: Some(name),
    })
}

fn resolve_url(
    template: &Template,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<SecretUrl, ResolveError> {
    let text = resolve(template, lookup)?;
    SecretUrl::parse(&text).map_err(|error| ResolveError {
        variable: template.vars().first().map(|v| (*v).to_owned()),
        message: error.to_string(),
    })
}

/// A channel's destination from its config and the environment.
///
/// # Errors
/// [`ResolveError`] when a variable is unset or the value is unusable.
pub fn resolve_channel(
    target: &ChannelTarget,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Destination, ResolveError> {
    match target {
        ChannelTarget::Slack { url } => Ok(Destination::Slack(resolve_url(url, lookup)?)),
        ChannelTarget::Webhook { url, secret } => {
            let url = resolve_url(url, lookup)?;
            let key = match secret {
                Some(secret) => {
                    let text = resolve(secret, lookup)?;
                    Some(SigningKey::parse(&text).map_err(|error| ResolveError {
                        variable: secret.vars().first().map(|v| (*v).to_owned()),
                        message: error.to_string(),
                    })?)
                }
                None => None,
            };
            Ok(Destination::Webhook { url, key })
        }
    }
}

/// A monitor's endpoint from its config and the environment.
///
/// # Errors
/// [`ResolveError`] when a variable is unset or the value is unusable.
pub fn resolve_monitor(
    monitor: &config::Monitor,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Monitor, ResolveError> {
    Ok(match monitor {
        config::Monitor::Healthchecks(url) => Monitor::Healthchecks(resolve_url(url, lookup)?),
        config::Monitor::Cronitor(url) => Monitor::Cronitor(resolve_url(url, lookup)?),
        config::Monitor::Snitch(url) => Monitor::Snitch(resolve_url(url, lookup)?),
        config::Monitor::Sentry { dsn, slug } => {
            let text = resolve(dsn, lookup)?;
            Monitor::Sentry(services::sentry::endpoint(&text, slug).map_err(|error| {
                ResolveError {
                    variable: dsn.vars().first().map(|v| (*v).to_owned()),
                    message: error.to_string(),
                }
            })?)
        }
    })
}

/// What the notifier holds for one job.
struct Watch {
    alert: Option<Alert>,
    monitor: Option<(Monitor, Arc<Outbox>)>,
    /// Sentry's `monitor_config`, sent with the first check-in after start.
    sentry_config: Option<serde_json::Value>,
    attempts: u32,
    schedule: String,
}

#[derive(Default)]
struct State {
    /// The UUID of each run in progress, by job and slot (retries keep it).
    runs: HashMap<(String, DateTime<Utc>), String>,
    /// Jobs whose Sentry monitor got its config since the clock started.
    configured: HashSet<String>,
}

/// Every channel that could be resolved, by name.
type Channels = HashMap<String, (Destination, Arc<Outbox>)>;

/// How long [`Notifier::drain`] waits for outcomes still on their way to the store's
/// book, out of [`deliver::FLUSH_BUDGET`].
const BOOK_FLUSH: Duration = Duration::from_secs(1);

/// Sends alerts, monitor pings and the heartbeat.
pub struct Notifier {
    dispatcher: Dispatcher,
    channels: Arc<Channels>,
    /// This clock's copy of every failure streak (the only one without a store).
    ledger: Arc<Ledger>,
    /// With a store: the queue of the task that asks its book ([`streaks::keep`]).
    book: Option<mpsc::Sender<Ask>>,
    watches: HashMap<String, Watch>,
    heartbeat: Option<(Duration, Monitor, Arc<Outbox>)>,
    state: Mutex<State>,
    dyno: String,
}

/// The dyno's name (`clock.1`), or `local` off Heroku.
pub fn dyno_name() -> String {
    std::env::var("DYNO").unwrap_or_else(|_| "local".to_owned())
}

impl Notifier {
    /// Resolves every channel, monitor and the heartbeat of `config` from `lookup` and
    /// starts their workers (on the current tokio runtime). A channel that cannot be
    /// resolved is logged (`event=notify_disabled`, at=error) and left out. `None` when
    /// the file asks for nothing. With `book` (the store's), failure streaks are kept
    /// there rather than in this clock's memory.
    pub fn start(
        config: &Config,
        lookup: &dyn Fn(&str) -> Option<String>,
        http: reqwest::Client,
        book: Option<Arc<dyn StreakBook>>,
    ) -> Option<Arc<Notifier>> {
        let wanted = !config.notify.is_empty()
            || config.heartbeat.is_some()
            || config
                .jobs
                .iter()
                .any(|job| job.monitor.is_some() || job.alert.is_some());
        if !wanted {
            return None;
        }
        let dispatcher = Dispatcher::new(http);
        let mut channels = HashMap::new();
        for channel in &config.notify {
            let service = match channel.target {
                ChannelTarget::Slack { .. } => "slack",
                ChannelTarget::Webhook { .. } => "webhook",
            };
            match resolve_channel(&channel.target, lookup) {
                Ok(destination) => {
                    let outbox =
                        dispatcher.outbox(channel.name.clone(), service, destination.url().host());
                    channels.insert(channel.name.clone(), (destination, outbox));
                }
                Err(error) => log::notify_disabled(
                    &channel.name,
                    service,
                    error.variable.as_deref(),
                    &error.message,
                ),
            }
        }
        let mut watches = HashMap::new();
        for job in config.jobs.iter().filter(|job| job.enabled) {
            let monitor = job.monitor.as_ref().and_then(|monitor| {
                let name = format!("monitor.{}", job.name);
                match resolve_monitor(monitor, lookup) {
                    Ok(resolved) => {
                        let outbox =
                            dispatcher.outbox(name, resolved.kind(), resolved.url().host());
                        Some((resolved, outbox))
                    }
                    Err(error) => {
                        log::notify_disabled(
                            &name,
                            monitor.kind(),
                            error.variable.as_deref(),
                            &error.message,
                        );
                        None
                    }
                }
            });
            if monitor.is_none() && job.alert.is_none() {
                continue;
            }
            let sentry_config = match monitor {
                Some((Monitor::Sentry(_), _)) => services::sentry::monitor_config(job),
                _ => None,
            };
            watches.insert(
                job.name.clone(),
                Watch {
                    alert: job.alert.clone(),
                    monitor,
                    sentry_config,
                    attempts: job.retries + 1,
                    schedule: job.schedule.describe(),
                },
            );
        }
        let heartbeat = config.heartbeat.as_ref().and_then(|heartbeat| {
            match resolve_monitor(&heartbeat.monitor, lookup) {
                Ok(monitor) => {
                    let outbox =
                        dispatcher.outbox("heartbeat".into(), monitor.kind(), monitor.url().host());
                    Some((heartbeat.every, monitor, outbox))
                }
                Err(error) => {
                    log::notify_disabled(
                        "heartbeat",
                        heartbeat.monitor.kind(),
                        error.variable.as_deref(),
                        &error.message,
                    );
                    None
                }
            }
        });
        let channels = Arc::new(channels);
        let ledger = Arc::new(Ledger::default());
        let book = book.map(|book| {
            let (tx, rx) = mpsc::channel(streaks::MAX_WAITING);
            let to = channels.clone();
            let deliver: streaks::Deliver =
                Arc::new(move |alert, report, send| deliver_alert(&to, alert, report, send));
            tokio::spawn(streaks::keep(book, ledger.clone(), rx, deliver));
            tx
        });
        Some(Arc::new(Notifier {
            dispatcher,
            channels,
            ledger,
            book,
            watches,
            heartbeat,
            state: Mutex::new(State::default()),
            dyno: dyno_name(),
        }))
    }

    fn report(&self, kind: Kind, job: &Job, watch: &Watch) -> Report {
        Report {
            kind,
            reminder: false,
            job: job.name.clone(),
            schedule: watch.schedule.clone(),
            scheduled_for: None,
            attempt: None,
            attempts: watch.attempts,
            exit_code: None,
            signal: None,
            duration: None,
            dyno: self.dyno.clone(),
            run_id: None,
            reason: None,
            missed: 0,
            streak: 0,
            output: String::new(),
            output_truncated: false,
            at: Utc::now(),
        }
    }

    /// Applies the job's policy to `counted` and queues what it says to send: at once
    /// from memory, or through the store's book (off this path, in order).
    fn alert(&self, watch: &Watch, counted: Counted, mut report: Report) {
        let Some(alert) = &watch.alert else {
            return;
        };
        let counted = match &self.book {
            None => counted,
            Some(book) => {
                let waiting = Box::new(Waiting {
                    alert: alert.clone(),
                    counted,
                    report,
                });
                match book.try_send(Ask::Decide(waiting)) {
                    Ok(()) => return,
                    // The book lags far behind (or is gone): decide here, from memory.
                    Err(
                        mpsc::error::TrySendError::Full(Ask::Decide(waiting))
                        | mpsc::error::TrySendError::Closed(Ask::Decide(waiting)),
                    ) => {
                        report = waiting.report;
                        waiting.counted
                    }
                    Err(_) => return,
                }
            }
        };
        let decision = self
            .ledger
            .decide(alert, &counted, Utc::now(), self.book.is_some());
        report.streak = decision.streak.failures;
        deliver_alert(&self.channels, alert, report, decision.send);
    }

    fn ping(&self, watch: &Watch, job: &str, run_id: &str, moment: &Moment) {
        if let Some((monitor, outbox)) = &watch.monitor {
            if let Some(request) = monitor.request(run_id, &self.dyno, moment) {
                outbox.push(request.for_job(job));
            }
        }
    }
}

/// Queues `report` on the alert's channels as `send` says (nothing for `None`).
fn deliver_alert(
    channels: &Channels,
    alert: &Alert,
    mut report: Report,
    send: Option<policy::Send>,
) {
    match send {
        None => return,
        Some(policy::Send::Alert) => {}
        Some(policy::Send::Reminder) => report.reminder = true,
        Some(policy::Send::Recovery) => report.kind = Kind::Recovered,
    }
    for name in &alert.to {
        if let Some((destination, outbox)) = channels.get(name) {
            outbox.push(destination.request(&report));
        }
    }
}

/// What a run's end means for alerts: the outcome `on` names, or `None` for an end the
/// clock caused (replaced, interrupted by shutdown).
fn classify(outcome: &Outcome, stop: Option<StopReason>) -> Option<(AlertOn, Kind)> {
    if stop.is_some() {
        return None;
    }
    Some(match &outcome.end {
        End::Exited(0) => (AlertOn::Succeeded, Kind::Succeeded),
        End::Exited(_) | End::Signaled(_) => (AlertOn::Failed, Kind::Failed),
        End::TimedOut => (AlertOn::TimedOut, Kind::TimedOut),
        End::Lost(_) => (AlertOn::Lost, Kind::Lost),
        End::SpawnFailed(_) => (AlertOn::Failed, Kind::Failed),
        End::Stopped | End::Detached => return None,
    })
}

/// `exit 1 after 3s, attempt 2 of 3`.
fn summary(outcome: &Outcome, stop: Option<StopReason>, attempt: u32, attempts: u32) -> String {
    let took = config::format_duration(Duration::from_secs(outcome.duration.as_secs()));
    let what = match (stop, &outcome.end) {
        (Some(StopReason::Replaced), _) => "stopped: replaced by a newer run".to_owned(),
        (Some(StopReason::Interrupted), _) => "interrupted: the clock shut down".to_owned(),
        (None, End::Exited(code)) => format!("exit {code}"),
        (None, End::Signaled(signal)) => format!("killed by signal {signal}"),
        (None, End::TimedOut) => "timed out".to_owned(),
        (None, End::Stopped) => "stopped by the clock".to_owned(),
        (None, End::SpawnFailed(error)) => format!("did not start: {error}"),
        (None, End::Lost(error)) => format!("lost: {error}"),
        (None, End::Detached) => "left running in its dyno".to_owned(),
    };
    format!("heroku-clock: {what} after {took}, attempt {attempt} of {attempts}")
}

impl RunObserver for Notifier {
    fn wants_output(&self, job: &Job) -> bool {
        self.watches.contains_key(&job.name)
    }

    fn started(&self, run: RunInfo<'_>) {
        let Some(watch) = self.watches.get(&run.job.name) else {
            return;
        };
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let key = (run.job.name.clone(), run.slot);
        if run.attempt > 1 && state.runs.contains_key(&key) {
            return;
        }
        let run_id = new_uuid();
        state.runs.insert(key, run_id.clone());
        let config = match &watch.sentry_config {
            Some(config) if state.configured.insert(run.job.name.clone()) => Some(config.clone()),
            _ => None,
        };
        drop(state);
        self.ping(watch, &run.job.name, &run_id, &Moment::Start { config });
    }

    fn ended(
        &self,
        run: RunInfo<'_>,
        outcome: &Outcome,
        stop: Option<StopReason>,
        after: AfterEnd,
        output: Option<(String, bool)>,
    ) {
        let Some(watch) = self.watches.get(&run.job.name) else {
            return;
        };
        let key = (run.job.name.clone(), run.slot);
        let run_id = {
            let Ok(mut state) = self.state.lock() else {
                return;
            };
            match after {
                AfterEnd::Final => state.runs.remove(&key),
                AfterEnd::Retry { .. } => state.runs.get(&key).cloned(),
            }
        }
        .unwrap_or_else(new_uuid);
        let (output, truncated) = output.unwrap_or_default();
        let summary = summary(outcome, stop, run.attempt, watch.attempts);
        let classified = classify(outcome, stop);
        // A run the clock itself ended has no outcome of its own to report: a monitor
        // hears of it as a note, never as a failure.
        let moment = match (after, classified) {
            (AfterEnd::Retry { .. }, _) | (AfterEnd::Final, None) => Moment::Note {
                summary,
                output: output.clone(),
            },
            (AfterEnd::Final, Some(_)) => Moment::End(Ending {
                ok: classified.is_some_and(|(on, _)| on == AlertOn::Succeeded),
                code: outcome.end.exit_code(),
                exited: matches!(outcome.end, End::Exited(_)) && stop.is_none(),
                duration: outcome.duration,
                summary,
                output: output.clone(),
            }),
        };
        self.ping(watch, &run.job.name, &run_id, &moment);

        let Some((on, kind)) = classified else {
            return;
        };
        let (on, kind) = match after {
            AfterEnd::Retry { .. } => (AlertOn::Retrying, Kind::Retrying),
            AfterEnd::Final => (on, kind),
        };
        let mut report = self.report(kind, run.job, watch);
        report.scheduled_for = Some(run.slot);
        report.attempt = Some(run.attempt);
        report.exit_code = Some(outcome.end.exit_code());
        report.signal = match outcome.end {
            End::Signaled(signal) => Some(signal),
            _ => None,
        };
        report.duration = Some(outcome.duration);
        report.run_id = Some(run_id);
        report.reason = match &outcome.end {
            End::SpawnFailed(error) | End::Lost(error) => Some(error.clone()),
            _ => None,
        };
        report.output = output;
        report.output_truncated = truncated;
        if let Some(note) = &outcome.dyno {
            // A `run: dyno` job: the one-off dyno is where to look (`heroku logs -d run.N`).
            report.dyno = note.name.clone();
            if note.memory_exceeded && report.reason.is_none() {
                report.reason = Some("the dyno ran out of memory (R15)".to_owned());
            }
        }
        let counted = Counted {
            job: run.job.name.clone(),
            slot: run.slot,
            attempt: Some(run.attempt),
            on,
        };
        self.alert(watch, counted, report);
    }

    fn skipped(
        &self,
        job: &Job,
        slot: DateTime<Utc>,
        reason: SkipReason,
        attempt: Option<u32>,
        missed: u64,
    ) {
        if reason == SkipReason::Claimed {
            return;
        }
        let Some(watch) = self.watches.get(&job.name) else {
            return;
        };
        let (on, kind) = if reason == SkipReason::Misfire {
            (AlertOn::Missed, Kind::Missed)
        } else {
            (AlertOn::Skipped, Kind::Skipped)
        };
        let mut report = self.report(kind, job, watch);
        report.scheduled_for = Some(slot);
        report.attempt = attempt;
        report.missed = missed;
        report.reason = Some(format!("reason: {}", reason.as_str()));
        let counted = Counted {
            job: job.name.clone(),
            slot,
            attempt,
            on,
        };
        self.alert(watch, counted, report);
    }

    fn heartbeat_every(&self) -> Option<Duration> {
        self.heartbeat.as_ref().map(|(every, _, _)| *every)
    }

    fn heartbeat(&self, _now: DateTime<Utc>) {
        if let Some((_, monitor, outbox)) = &self.heartbeat {
            if let Some(request) = monitor.request("", &self.dyno, &Moment::Alive) {
                outbox.push(request);
            }
        }
    }

    fn stopping(&self, grace: Duration) {
        self.dispatcher.close_by(Instant::now() + grace);
    }

    fn drain(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            let began = Instant::now();
            if let Some(book) = &self.book {
                let (done, decided) = oneshot::channel();
                if book.try_send(Ask::Flush(done)).is_ok() {
                    let _ = tokio::time::timeout(BOOK_FLUSH, decided).await;
                }
            }
            self.dispatcher
                .flush(deliver::FLUSH_BUDGET.saturating_sub(began.elapsed()))
                .await;
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpListener;
    use tokio::sync::mpsc;

    use super::*;

    /// A loopback endpoint answering 202 to everything; each request's body arrives on
    /// the channel (after its request line, with [`endpoint_with_paths`]).
    async fn endpoint() -> (u16, mpsc::UnboundedReceiver<String>) {
        let (port, mut requests) = endpoint_with_paths().await;
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some((_, body)) = requests.recv().await {
                let _ = tx.send(body);
            }
        });
        (port, rx)
    }

    /// [`endpoint`], with each request's method and path (`POST /hc/log?rid=…`).
    async fn endpoint_with_paths() -> (u16, mpsc::UnboundedReceiver<(String, String)>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let tx = tx.clone();
                tokio::spawn(async move {
                    let mut data = Vec::new();
                    let mut buffer = [0_u8; 4096];
                    loop {
                        let n = stream.read(&mut buffer).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        data.extend_from_slice(&buffer[..n]);
                        let text = String::from_utf8_lossy(&data).into_owned();
                        let Some((head, body)) = text.split_once("\r\n\r\n") else {
                            continue;
                        };
                        let length: usize = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if body.len() >= length {
                            let line = head.lines().next().unwrap_or_default();
                            let target = line.rsplit_once(' ').map_or(line, |(t, _)| t);
                            let _ = tx.send((target.to_owned(), body.to_owned()));
                            let _ = stream
                                .write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                                .await;
                            return;
                        }
                    }
                });
            }
        });
        (port, rx)
    }

    /// The notifier of clock.yml `source`, whose one variable `var` is `value`.
    fn notifier_of(source: &str, var: &str, value: String) -> (Config, Arc<Notifier>) {
        let config = config::parse(source, Utc::now()).config.expect("valid");
        let notifier = Notifier::start(
            &config,
            &|name| (name == var).then(|| value.clone()),
            deliver::http_client().unwrap(),
            None,
        )
        .expect("a notifier");
        (config, notifier)
    }

    /// The first attempt of `job`'s 06:00 run on 2026-01-05.
    fn first_attempt(job: &Job) -> RunInfo<'_> {
        RunInfo {
            job,
            run: 1,
            slot: Utc.with_ymd_and_hms(2026, 1, 5, 6, 0, 0).unwrap(),
            attempt: 1,
        }
    }

    #[tokio::test]
    async fn only_the_first_sentry_check_in_after_start_carries_the_monitor_config() {
        let (port, mut bodies) = endpoint().await;
        let source = "jobs:\n  backup:\n    cron: \"0 3 * * *\"\n    timeout: 90m\n    command: bin/backup\n    monitor:\n      sentry: { dsn: \"${DSN}\" }\n";
        let (config, notifier) =
            notifier_of(source, "DSN", format!("http://key@127.0.0.1:{port}/1"));
        let job = &config.jobs[0];
        for day in [5, 6] {
            notifier.started(RunInfo {
                job,
                run: day,
                slot: Utc.with_ymd_and_hms(2026, 1, day as u32, 3, 0, 0).unwrap(),
                attempt: 1,
            });
        }
        let first: serde_json::Value = serde_json::from_str(&bodies.recv().await.unwrap()).unwrap();
        let second: serde_json::Value =
            serde_json::from_str(&bodies.recv().await.unwrap()).unwrap();
        assert_eq!(
            first["monitor_config"],
            serde_json::json!({
                "schedule": {"type": "crontab", "value": "0 3 * * *"},
                "timezone": "UTC",
                "checkin_margin": 1,
                "max_runtime": 90
            })
        );
        assert!(second.get("monitor_config").is_none(), "{second}");
        assert_ne!(
            first["check_in_id"], second["check_in_id"],
            "one id per run"
        );
    }

    #[tokio::test]
    async fn an_alert_about_a_run_in_a_one_off_dyno_names_that_dyno() {
        let (port, mut bodies) = endpoint().await;
        let source = "notify:\n  pager:\n    webhook: \"${HOOK}\"\ndefaults:\n  alert:\n    to: [pager]\njobs:\n  report:\n    every: 1h\n    command: bin/report\n";
        let (config, notifier) =
            notifier_of(source, "HOOK", format!("http://127.0.0.1:{port}/hook"));
        let run = first_attempt(&config.jobs[0]);
        let outcome = Outcome {
            end: End::Signaled(9),
            duration: Duration::from_secs(40),
            dyno: Some(crate::exec::DynoNote {
                name: "run.4711".into(),
                memory_exceeded: true,
            }),
        };
        notifier.ended(run, &outcome, None, AfterEnd::Final, None);
        let body: serde_json::Value = serde_json::from_str(&bodies.recv().await.unwrap()).unwrap();
        assert_eq!(body["data"]["dyno"], "run.4711", "{body}");
        assert_eq!(body["data"]["reason"], "the dyno ran out of memory (R15)");
    }

    #[tokio::test]
    async fn a_run_the_clock_stopped_is_a_note_to_healthchecks_not_a_failure() {
        let (port, mut requests) = endpoint_with_paths().await;
        let source = "jobs:\n  backup:\n    every: 1h\n    command: bin/backup\n    monitor:\n      healthchecks: \"${HC}\"\n";
        let (config, notifier) = notifier_of(source, "HC", format!("http://127.0.0.1:{port}/hc"));
        let run = first_attempt(&config.jobs[0]);
        notifier.started(run);
        let outcome = Outcome {
            end: End::Signaled(15),
            duration: Duration::from_secs(3),
            dyno: None,
        };
        notifier.ended(
            run,
            &outcome,
            Some(StopReason::Interrupted),
            AfterEnd::Final,
            None,
        );
        let (start, _) = requests.recv().await.unwrap();
        let (end, body) = requests.recv().await.unwrap();
        let rid = start.split_once("rid=").expect("a rid").1.to_owned();
        assert!(start.starts_with("POST /hc/start?rid="), "{start}");
        assert_eq!(end, format!("POST /hc/log?rid={rid}"));
        assert!(body.contains("interrupted: the clock shut down"), "{body}");
    }

    #[tokio::test]
    async fn the_heartbeat_pings_its_service_each_time_the_loop_calls() {
        let (port, mut bodies) = endpoint().await;
        let source = "heartbeat:\n  every: 5m\n  sentry: { dsn: \"${DSN}\" }\njobs:\n  a:\n    every: 1h\n    command: x\n";
        let (_config, notifier) =
            notifier_of(source, "DSN", format!("http://key@127.0.0.1:{port}/1"));
        assert_eq!(notifier.heartbeat_every(), Some(Duration::from_secs(300)));
        notifier.heartbeat(Utc::now());
        notifier.heartbeat(Utc::now());
        for _ in 0..2 {
            let body: serde_json::Value =
                serde_json::from_str(&bodies.recv().await.unwrap()).unwrap();
            assert_eq!(body, serde_json::json!({"status": "ok"}));
        }
    }
}
