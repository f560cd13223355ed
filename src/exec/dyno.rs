//! The one-off dyno executor: a run is `POST /apps/{app}/dynos`, followed to its end
//! through the dyno's log stream.
//!
//! One task per run owns it: it creates the dyno (detached, the run's `CLOCK_*` variables
//! and the job's `env` in its environment, a `time_to_live` covering the timeout, the kill
//! grace and a margin), opens a log session of the dyno's platform lines and reads them
//! until `Process exited with status N` (see [`crate::heroku::dyno_log`]). A stream that
//! drops is reopened with its recent history, after a backoff. A timeout, a replace or a
//! stop request stops the dyno with `actions/stop`; the clock shutting down
//! ([`Control::Release`]) leaves it running, for the next clock to adopt
//! ([`DynoExecutor::adopt`]). Every `check_every` the dyno is looked up: once the API no
//! longer knows it, its exit line is due, and a run whose exit line never comes (or whose
//! end is not learnt within its `time_to_live`) ends as [`End::Lost`].
//!
//! The happy path costs two API calls per run: the create and one log session.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::{Instant, sleep_until};

use super::{Control, DynoNote, End, Executor, Outcome, RunHandle, RunSpec, RunSupervisor};
use crate::heroku::dyno_log::ExitWatch;
use crate::heroku::log_stream::{LogStream, LogStreams};
use crate::heroku::one_off::{DynoCreate, LogSessionCreate, RunMarker, path_of, summary};
use crate::heroku::{ApiError, ApiErrorKind, Client, Dyno};

/// How the executor paces itself. The defaults suit Heroku; tests shorten them through
/// `CLOCK_DYNO_*_MS` variables ([`DynoTimings::from_env`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DynoTimings {
    /// Added to the timeout and kill grace for `time_to_live`: a stop takes the platform
    /// up to 30 seconds, and booting counts too.
    pub ttl_margin: Duration,
    /// How often a running dyno is looked up while its log stream says nothing new.
    pub check_every: Duration,
    /// Once the dyno has ended, how long its exit line may take to arrive.
    pub exit_line_grace: Duration,
    /// The first pause before a dropped stream is reopened; doubles up to a minute.
    pub reopen_base: Duration,
    /// How many past lines a (re)opened stream starts with.
    pub history_lines: u32,
}

impl Default for DynoTimings {
    fn default() -> DynoTimings {
        DynoTimings {
            ttl_margin: Duration::from_secs(120),
            check_every: Duration::from_secs(300),
            exit_line_grace: Duration::from_secs(30),
            reopen_base: Duration::from_secs(1),
            history_lines: 100,
        }
    }
}

/// The longest pause between two attempts to reopen a stream.
const MAX_REOPEN_PAUSE: Duration = Duration::from_secs(60);

/// A 404 for a dyno created less than this long ago may mean "not yet" (the API is known
/// to answer so right after a create), not "gone".
const YOUNG_DYNO: Duration = Duration::from_secs(60);

impl DynoTimings {
    /// The defaults, with `CLOCK_DYNO_CHECK_MS`, `CLOCK_DYNO_EXIT_GRACE_MS`,
    /// `CLOCK_DYNO_REOPEN_MS` and `CLOCK_DYNO_TTL_MARGIN_MS` applied (test settings).
    pub fn from_env() -> DynoTimings {
        let millis = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_millis)
        };
        let mut timings = DynoTimings::default();
        if let Some(every) = millis("CLOCK_DYNO_CHECK_MS") {
            timings.check_every = every.max(Duration::from_millis(10));
        }
        if let Some(grace) = millis("CLOCK_DYNO_EXIT_GRACE_MS") {
            timings.exit_line_grace = grace;
        }
        if let Some(base) = millis("CLOCK_DYNO_REOPEN_MS") {
            timings.reopen_base = base;
        }
        if let Some(margin) = millis("CLOCK_DYNO_TTL_MARGIN_MS") {
            timings.ttl_margin = margin;
        }
        timings
    }
}

/// `time_to_live` in seconds: the timeout, the kill grace and the margin, rounded up, at
/// most a day (also the most without a timeout).
pub fn time_to_live(timeout: Option<Duration>, kill_grace: Duration, margin: Duration) -> u64 {
    let max = crate::heroku::one_off::MAX_TIME_TO_LIVE;
    match timeout {
        None => max,
        Some(timeout) => {
            let total = timeout.saturating_add(kill_grace).saturating_add(margin);
            let secs = total.as_secs() + u64::from(total.subsec_nanos() > 0);
            secs.clamp(1, max)
        }
    }
}

/// Runs jobs in one-off dynos of one app.
#[derive(Debug, Clone)]
pub struct DynoExecutor {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    client: Client,
    streams: LogStreams,
    app: String,
    /// The jobs that run here, and the size each asks for.
    sizes: HashMap<String, Option<String>>,
    /// Makes run ids unique across clocks: a random tag of this process.
    instance: String,
    timings: DynoTimings,
}

/// A dyno of an earlier clock that this one follows to its end.
#[derive(Debug, Clone)]
pub struct Adoption {
    pub dyno: Dyno,
    pub marker: RunMarker,
}

impl DynoExecutor {
    /// An executor for `app`; `sizes` names the jobs that run in dynos (and their sizes).
    pub fn new(
        client: Client,
        streams: LogStreams,
        app: String,
        sizes: HashMap<String, Option<String>>,
        timings: DynoTimings,
    ) -> DynoExecutor {
        let instance = crate::heroku::request_id::new_request_id()[..8].to_owned();
        DynoExecutor {
            shared: Arc::new(Shared {
                client,
                streams,
                app,
                sizes,
                instance,
                timings,
            }),
        }
    }

    /// Whether `job` runs in a dyno.
    pub fn runs(&self, job: &str) -> bool {
        self.shared.sizes.contains_key(job)
    }

    /// The app the dynos run in.
    pub fn app(&self) -> &str {
        &self.shared.app
    }

    /// The one-off dynos an earlier clock started for this clock's jobs, still running:
    /// the `run` dynos whose command carries the clock's marker with a job of this file.
    ///
    /// # Errors
    /// [`ApiError`] when the dyno list cannot be read.
    pub async fn find_adoptable(&self) -> Result<Vec<Adoption>, ApiError> {
        let dynos = self.shared.client.dyno_list(&self.shared.app).await?;
        Ok(dynos
            .into_iter()
            .filter(|dyno| dyno.process_type == "run")
            .filter_map(|dyno| {
                let marker = RunMarker::read(dyno.command.as_deref()?)?;
                self.runs(&marker.job).then_some(Adoption { dyno, marker })
            })
            .collect())
    }

    /// Follows an adopted dyno to its end, with `spec`'s timeout counted from the dyno's
    /// creation.
    pub fn adopt(&self, adoption: Adoption, spec: RunSpec) -> RunHandle {
        let (handle, supervisor) = RunHandle::pair(None);
        let created = parse_time(adoption.dyno.created_at.as_deref());
        let age = created
            .and_then(|at| (Utc::now() - at).to_std().ok())
            .unwrap_or(Duration::ZERO);
        let started = Instant::now().checked_sub(age).unwrap_or_else(Instant::now);
        let shared = Arc::clone(&self.shared);
        tokio::spawn(async move {
            let mut run = Run::new(shared, spec, supervisor, started);
            let dyno = adoption.dyno;
            let outcome = run.follow(dyno.name, created, None).await;
            run.finish(outcome);
        });
        handle
    }
}

impl Executor for DynoExecutor {
    fn start(&self, spec: RunSpec) -> RunHandle {
        let (handle, supervisor) = RunHandle::pair(None);
        let shared = Arc::clone(&self.shared);
        tokio::spawn(async move {
            let run = Run::new(shared, spec, supervisor, Instant::now());
            run.create_and_follow().await;
        });
        handle
    }
}

/// Why the clock ended a run, once it has decided to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    TimedOut,
    Stopped,
}

/// What following a dyno came to.
enum Followed {
    Exited { status: i32, memory_exceeded: bool },
    Lost(String),
    Released,
}

struct Run {
    shared: Arc<Shared>,
    spec: RunSpec,
    supervisor: RunSupervisor,
    started: Instant,
    timeout_at: Option<Instant>,
    ending: Option<Ending>,
    controls_open: bool,
    dyno: Option<String>,
    ttl: u64,
}

impl Run {
    fn new(shared: Arc<Shared>, spec: RunSpec, supervisor: RunSupervisor, started: Instant) -> Run {
        let timeout_at = spec.timeout.map(|timeout| started + timeout);
        let ttl = time_to_live(spec.timeout, spec.kill_grace, shared.timings.ttl_margin);
        Run {
            shared,
            spec,
            supervisor,
            started,
            timeout_at,
            ending: None,
            controls_open: true,
            dyno: None,
            ttl,
        }
    }

    fn create_body(&self) -> DynoCreate {
        let env = &self.spec.env;
        let marker = RunMarker {
            job: self.spec.job.clone(),
            run_id: format!("{}-{}", self.shared.instance, self.spec.run),
            scheduled_for: env.get("CLOCK_SCHEDULED_FOR").cloned().unwrap_or_default(),
            attempt: env
                .get("CLOCK_ATTEMPT")
                .and_then(|a| a.parse().ok())
                .unwrap_or(1),
        };
        let size = self.shared.sizes.get(&self.spec.job).cloned().flatten();
        DynoCreate::detached(marker.wrap(&self.spec.command), env.clone(), size, self.ttl)
    }

    async fn create_and_follow(mut self) {
        let body = self.create_body();
        let shared = Arc::clone(&self.shared);
        let create = shared.client.dyno_create(&shared.app, &body);
        tokio::pin!(create);
        let created = loop {
            tokio::select! {
                result = &mut create => break result,
                _ = until(self.timeout_at), if self.ending.is_none() => {
                    self.ending = Some(Ending::TimedOut);
                }
                control = self.supervisor.controls.recv(), if self.controls_open => match control {
                    // The create may still succeed: that dyno carries the marker, and the
                    // next clock adopts it.
                    Some(Control::Release) => return self.finish(Followed::Released),
                    Some(Control::Terminate { .. } | Control::Kill) => {
                        self.ending.get_or_insert(Ending::Stopped);
                    }
                    None => self.controls_open = false,
                },
            }
        };
        let dyno = match created {
            Ok(dyno) => dyno,
            Err(error) => {
                let words = start_failure(&error, body.size.as_deref());
                let _ = self.supervisor.outcome.send(Outcome {
                    end: End::SpawnFailed(words),
                    duration: self.started.elapsed(),
                    dyno: None,
                });
                return;
            }
        };
        log_launched(
            &self.spec.job,
            self.spec.run,
            &dyno.name,
            dyno.size.as_deref(),
            self.ttl,
        );
        let created_at = parse_time(dyno.created_at.as_deref());
        let pending = self.ending;
        let outcome = self.follow(dyno.name, created_at, pending).await;
        self.finish(outcome);
    }

    /// Reads the dyno's platform lines until its end is known.
    async fn follow(
        &mut self,
        name: String,
        created_at: Option<DateTime<Utc>>,
        stop_now: Option<Ending>,
    ) -> Followed {
        self.dyno = Some(name.clone());
        let timings = self.shared.timings;
        let mut watch = ExitWatch::new(&name, created_at);
        let mut stream: Option<LogStream> = None;
        let mut reopen_at = Some(Instant::now());
        let mut pause = timings.reopen_base;
        let mut check_at = Instant::now() + timings.check_every;
        let lost_at = self.started + Duration::from_secs(self.ttl) + timings.ttl_margin;
        let mut ended_at: Option<Instant> = None;
        let mut reread_at: Option<Instant> = None;
        let mut seen_by_api = false;
        let mut gone_by_api = false;
        if stop_now.is_some() {
            self.stop(&name).await;
        }
        loop {
            if let Some(exit) = watch.exit() {
                return Followed::Exited {
                    status: exit.status,
                    memory_exceeded: exit.memory_exceeded,
                };
            }
            if watch.has_finished_state() && ended_at.is_none() {
                let now = Instant::now();
                ended_at = Some(now);
                reread_at = Some(now + timings.exit_line_grace / 2);
            }
            let give_up_at = ended_at.map(|at| at + timings.exit_line_grace);
            tokio::select! {
                line = next_line(&mut stream) => match line {
                    Ok(Some(line)) => {
                        watch.feed(&line);
                        pause = timings.reopen_base;
                    }
                    Ok(None) | Err(_) => {
                        if let Err(error) = &line {
                            tracing::debug!("dyno {name}: {error}; reopening in {pause:?}");
                        }
                        stream = None;
                        reopen_at = Some(Instant::now() + pause);
                        pause = (pause * 2).min(MAX_REOPEN_PAUSE);
                    }
                },
                _ = until(reopen_at), if stream.is_none() => {
                    reopen_at = None;
                    match self.open_stream(&name).await {
                        Ok(opened) => stream = Some(opened),
                        Err(error) => {
                            tracing::debug!("dyno {name}: {error}; trying again in {pause:?}");
                            reopen_at = Some(Instant::now() + pause);
                            pause = (pause * 2).min(MAX_REOPEN_PAUSE);
                        }
                    }
                }
                _ = until(reread_at) => {
                    // The exit line is late: read the recent history again.
                    reread_at = None;
                    stream = None;
                    reopen_at = Some(Instant::now());
                }
                _ = until(self.timeout_at), if self.ending.is_none() => {
                    self.ending = Some(Ending::TimedOut);
                    self.stop(&name).await;
                }
                control = self.supervisor.controls.recv(), if self.controls_open => match control {
                    Some(Control::Release) => return Followed::Released,
                    Some(Control::Terminate { .. } | Control::Kill) => {
                        if self.ending.is_none() {
                            self.ending = Some(Ending::Stopped);
                            self.stop(&name).await;
                        }
                    }
                    None => self.controls_open = false,
                },
                _ = sleep_until(check_at) => {
                    check_at = Instant::now() + timings.check_every;
                    match self.shared.client.dyno_info(&self.shared.app, &name).await {
                        Ok(Some(_)) => seen_by_api = true,
                        // The API can answer 404 for a dyno just created, even once its
                        // log shows it up: only a dyno the API has shown, or an older
                        // one, is gone when it answers 404.
                        Ok(None) if seen_by_api || self.started.elapsed() >= YOUNG_DYNO => {
                            // Its exit line is in the recent history, or due.
                            if ended_at.is_none() {
                                let now = Instant::now();
                                ended_at = Some(now);
                                gone_by_api = true;
                                reread_at = Some(now + timings.exit_line_grace / 2);
                                stream = None;
                                reopen_at = Some(now);
                            }
                        }
                        Ok(None) => {}
                        Err(error) => tracing::debug!("dyno {name}: {}", summary(&error)),
                    }
                }
                _ = until(give_up_at) => {
                    // A 404 said it was gone; one more look before calling it lost.
                    if gone_by_api && !watch.has_finished_state() {
                        gone_by_api = false;
                        if let Ok(Some(_)) =
                            self.shared.client.dyno_info(&self.shared.app, &name).await
                        {
                            ended_at = None;
                            reread_at = None;
                            continue;
                        }
                    }
                    return Followed::Lost(
                        "the dyno ended, but its exit status never reached the clock's log stream".to_owned(),
                    );
                }
                _ = sleep_until(lost_at) => {
                    return Followed::Lost(format!(
                        "no end was learnt within the dyno's time_to_live ({}s)",
                        self.ttl
                    ));
                }
            }
        }
    }

    async fn open_stream(&self, name: &str) -> Result<LogStream, String> {
        let body = LogSessionCreate::platform_lines(name, self.shared.timings.history_lines);
        let session = self
            .shared
            .client
            .log_session_create(&self.shared.app, &body)
            .await
            .map_err(|error| summary(&error))?;
        self.shared
            .streams
            .open(&session.logplex_url)
            .await
            .map_err(|error| error.to_string())
    }

    /// `actions/stop`; a failure is logged and the run waits for its end as before (the
    /// `time_to_live` still bounds it).
    async fn stop(&self, name: &str) {
        match self.shared.client.dyno_stop(&self.shared.app, name).await {
            Ok(_) => tracing::debug!("dyno {name}: stop requested"),
            Err(error) => log_stop_failed(&self.spec.job, self.spec.run, name, &summary(&error)),
        }
    }

    fn finish(self, followed: Followed) {
        let (end, memory_exceeded) = match (followed, self.ending) {
            (Followed::Released, _) => (End::Detached, false),
            (
                Followed::Exited {
                    memory_exceeded, ..
                },
                Some(Ending::TimedOut),
            ) => (End::TimedOut, memory_exceeded),
            (Followed::Lost(_), Some(Ending::TimedOut)) => (End::TimedOut, false),
            (
                Followed::Exited {
                    memory_exceeded, ..
                },
                Some(Ending::Stopped),
            ) => (End::Stopped, memory_exceeded),
            (Followed::Lost(_), Some(Ending::Stopped)) => (End::Stopped, false),
            (
                Followed::Exited {
                    status,
                    memory_exceeded,
                },
                None,
            ) => (End::Exited(status), memory_exceeded),
            (Followed::Lost(why), None) => (End::Lost(why), false),
        };
        let _ = self.supervisor.outcome.send(Outcome {
            end,
            duration: self.started.elapsed(),
            dyno: self.dyno.map(|name| DynoNote {
                name,
                memory_exceeded,
            }),
        });
    }
}

/// The run's one-off dyno was created: `heroku logs --dyno DYNO` shows its output. (Its
/// start and end lines are the runtime's; these two are what only this executor knows.)
fn log_launched(job: &str, run: u64, dyno: &str, size: Option<&str>, time_to_live_s: u64) {
    tracing::info!(event = "launched", job, run, dyno, size, time_to_live_s);
}

/// `actions/stop` failed for a run's dyno; the run's `time_to_live` still ends it.
fn log_stop_failed(job: &str, run: u64, dyno: &str, error: &str) {
    tracing::warn!(event = "stop_failed", job, run, dyno, error);
}

/// A failed create in words: what happened, and what to change.
fn start_failure(error: &ApiError, size: Option<&str>) -> String {
    let said = match (&error.id, &error.message) {
        (Some(id), Some(message)) => format!(" ({id}: {message})"),
        (None, Some(message)) => format!(" ({message})"),
        (Some(id), None) => format!(" ({id})"),
        (None, None) => String::new(),
    };
    let status = error.status.map_or(String::new(), |s| format!("{s} "));
    let request = format!("{status}{} {}", error.method, path_of(&error.url));
    let what = match error.kind {
        ApiErrorKind::Unauthorized => format!(
            "Heroku did not accept HEROKU_API_KEY{said}; make a token with `heroku authorizations:create --description heroku-clock` and set it with `heroku config:set HEROKU_API_KEY=...`"
        ),
        ApiErrorKind::Forbidden | ApiErrorKind::TwoFactor => format!(
            "the account of HEROKU_API_KEY may not start dynos on {}{said}; use a token of an owner or a collaborator with the deploy permission",
            error.app
        ),
        ApiErrorKind::Invalid if error.id.as_deref() == Some("cannot_run_above_limit") => format!(
            "Heroku refused another one-off dyno{said}; fewer runs at once (`overlap: skip`) or a raised limit (a Heroku support request) fixes it"
        ),
        ApiErrorKind::Invalid => match size {
            Some(size) => format!(
                "Heroku refused the dyno{said}; change `dyno_size: {size}` to a size the app's tier allows (`heroku ps:type` shows them), or remove it"
            ),
            None => format!("Heroku refused the dyno{said}"),
        },
        ApiErrorKind::AppNotFound | ApiErrorKind::NotFound => format!(
            "there is no app named `{}` that HEROKU_API_KEY can see{said}; check HEROKU_APP_NAME or `app:` in clock.yml",
            error.app
        ),
        ApiErrorKind::RateLimited => format!(
            "Heroku kept rate-limiting the requests{said}; the account makes too many API calls (`clockctl validate` counts the clock's)"
        ),
        ApiErrorKind::Unavailable | ApiErrorKind::Unreachable | ApiErrorKind::TimedOut => format!(
            "could not reach the Heroku API{said} after {} attempts",
            error.attempts
        ),
        ApiErrorKind::NoProcessType | ApiErrorKind::BadResponse | ApiErrorKind::Other => {
            format!("the dyno could not be started{said}")
        }
    };
    format!("{what} (request: {request})")
}

fn parse_time(text: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text?).ok().map(|t| t.to_utc())
}

async fn next_line(
    stream: &mut Option<LogStream>,
) -> Result<Option<String>, crate::heroku::log_stream::StreamError> {
    match stream {
        Some(stream) => stream.next_line().await,
        None => std::future::pending().await,
    }
}

async fn until(at: Option<Instant>) {
    match at {
        Some(at) => sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_to_live_covers_the_timeout_grace_and_margin() {
        let s = Duration::from_secs;
        let table = [
            ((Some(s(7200)), s(10), s(120)), 7330),
            ((Some(Duration::from_millis(1500)), s(0), s(0)), 2),
            ((None, s(10), s(120)), 86_400),
            ((Some(s(90_000)), s(10), s(120)), 86_400),
            ((Some(s(0)), s(0), s(0)), 1),
        ];
        for ((timeout, grace, margin), expected) in table {
            assert_eq!(
                time_to_live(timeout, grace, margin),
                expected,
                "{timeout:?} {grace:?} {margin:?}"
            );
        }
    }

    fn api_error(kind: ApiErrorKind, status: u16, id: &str, message: &str) -> ApiError {
        ApiError {
            kind,
            method: "POST",
            url: "http://user:pw@127.0.0.1:5000/apps/demo/dynos".into(),
            app: "demo".into(),
            process_type: None,
            status: Some(status),
            id: Some(id.into()),
            message: Some(message.into()),
            request_id: "r".into(),
            attempts: 1,
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn start_failures_say_what_to_change() {
        let table = [
            (
                api_error(
                    ApiErrorKind::Unauthorized,
                    401,
                    "unauthorized",
                    "Invalid credentials provided.",
                ),
                None,
                "HEROKU_API_KEY",
            ),
            (
                api_error(
                    ApiErrorKind::Forbidden,
                    403,
                    "forbidden",
                    "You do not have access.",
                ),
                None,
                "HEROKU_API_KEY",
            ),
            (
                api_error(
                    ApiErrorKind::Invalid,
                    422,
                    "invalid_params",
                    "No such size as huge-9x.",
                ),
                Some("huge-9x"),
                "change `dyno_size: huge-9x`",
            ),
            (
                api_error(
                    ApiErrorKind::Invalid,
                    422,
                    "cannot_run_above_limit",
                    "Cannot run more than 1 Basic size dynos.",
                ),
                None,
                "fewer runs at once",
            ),
        ];
        for (error, size, wanted) in table {
            let words = start_failure(&error, size);
            assert!(words.contains(wanted), "{words}");
            assert!(words.contains(" POST /apps/demo/dynos)"), "{words}");
            assert!(
                !words.contains("pw@") && !words.contains("127.0.0.1"),
                "{words}"
            );
        }
    }
}
