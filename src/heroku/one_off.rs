//! One-off dynos through the Platform API: create one detached, look it up, stop it, and
//! open a log session that follows it.
//!
//! A dyno the clock starts carries a marker at the head of its command,
//! `: heroku-clock job=NAME run=ID scheduled_for=T attempt=N; COMMAND`, because the dyno
//! list returns each dyno's command but not its environment: that marker is how the next
//! clock finds the runs it should adopt ([`RunMarker`]). `:` is bash's no-op, so the user's
//! command still runs exactly as written, under bash, in the app's root.
//!
//! Retries are those of [`Client`] (429, 5xx, connection errors), plus the `409` a
//! release the runtime does not know yet gives to a create, which the Heroku CLI retries
//! too. Reading the log stream itself belongs to [`super::log_stream`]; what its lines mean,
//! to [`super::dyno_log`].

use std::collections::BTreeMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::client::{Client, PreparedRequest, Resend, Subject, segment};
use super::error::{ApiError, ApiErrorKind};
use super::resources::Dyno;

/// The longest `time_to_live` the API accepts (24 hours).
pub const MAX_TIME_TO_LIVE: u64 = 86_400;

/// How many `409`s a create meets before it gives up.
const MAX_CONFLICTS: u32 = 3;
/// How many times the app's dynos are looked through for a create that may have been
/// carried out.
const LOOKS: u32 = 3;

/// Whether a failed create may have started its dyno all the same: no answer (a
/// timeout, a connection that broke) or a 5xx. A 4xx, a 429 and a failure to connect
/// never did.
fn may_have_acted(error: &ApiError) -> bool {
    matches!(
        error.kind,
        ApiErrorKind::TimedOut | ApiErrorKind::Unreachable | ApiErrorKind::Unavailable
    )
}

/// The body of `POST /apps/{app}/dynos` (the dyno `Create` link).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DynoCreate {
    /// Always `false`: the output goes to the app's log stream, nobody attaches.
    pub attach: bool,
    pub command: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    #[serde(rename = "type")]
    pub process_type: String,
    /// Seconds; the platform kills the dyno soon after.
    pub time_to_live: u64,
}

impl DynoCreate {
    /// A detached `run` dyno; `time_to_live` is capped at [`MAX_TIME_TO_LIVE`] (and at
    /// least 1).
    pub fn detached(
        command: String,
        env: BTreeMap<String, String>,
        size: Option<String>,
        time_to_live: u64,
    ) -> DynoCreate {
        DynoCreate {
            attach: false,
            command,
            env,
            size,
            process_type: "run".to_owned(),
            time_to_live: time_to_live.clamp(1, MAX_TIME_TO_LIVE),
        }
    }
}

/// The body of `POST /apps/{app}/log-sessions`, for one dyno's Heroku lines.
///
/// `dyno` is what the Heroku CLI sends (the v6 schema also names it `dyno_name`);
/// `source: heroku` keeps the run's own output (`app[run.N]`) out of the clock's stream,
/// since only the platform's lines say how the run ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogSessionCreate {
    pub dyno: String,
    pub source: String,
    pub tail: bool,
    /// How many past lines come first: what a reopened stream missed.
    pub lines: u32,
}

impl LogSessionCreate {
    /// A tailing session of `dyno`'s platform lines, starting with its last `lines`.
    pub fn platform_lines(dyno: &str, lines: u32) -> LogSessionCreate {
        LogSessionCreate {
            dyno: dyno.to_owned(),
            source: "heroku".to_owned(),
            tail: true,
            lines,
        }
    }
}

/// A log session (`#/definitions/log-session`). Its URL carries a credential of its own:
/// it is never printed.
#[derive(Clone, Deserialize)]
pub struct LogSession {
    #[serde(default)]
    pub id: Option<String>,
    pub logplex_url: String,
}

impl std::fmt::Debug for LogSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogSession")
            .field("id", &self.id)
            .field("logplex_url", &"***")
            .finish()
    }
}

/// What identifies a run of the clock in a dyno's command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunMarker {
    pub job: String,
    /// Unique across clocks: the run id of the clock that started it.
    pub run_id: String,
    /// RFC 3339, UTC.
    pub scheduled_for: String,
    pub attempt: u32,
}

const MARKER_HEAD: &str = ": heroku-clock ";

impl RunMarker {
    /// `: heroku-clock job=… run=… scheduled_for=… attempt=…; COMMAND`.
    pub fn wrap(&self, command: &str) -> String {
        format!(
            "{MARKER_HEAD}job={} run={} scheduled_for={} attempt={}; {command}",
            self.job, self.run_id, self.scheduled_for, self.attempt
        )
    }

    /// The marker at the head of `command`, when the clock started that dyno.
    pub fn read(command: &str) -> Option<RunMarker> {
        let rest = command.strip_prefix(MARKER_HEAD)?;
        let (fields, _) = rest.split_once(';')?;
        let mut job = None;
        let mut run_id = None;
        let mut scheduled_for = None;
        let mut attempt = None;
        for field in fields.split(' ') {
            match field.split_once('=') {
                Some(("job", value)) => job = Some(value.to_owned()),
                Some(("run", value)) => run_id = Some(value.to_owned()),
                Some(("scheduled_for", value)) => scheduled_for = Some(value.to_owned()),
                Some(("attempt", value)) => attempt = value.parse().ok(),
                _ => return None,
            }
        }
        Some(RunMarker {
            job: job.filter(|job| !job.is_empty())?,
            run_id: run_id?,
            scheduled_for: scheduled_for?,
            attempt: attempt?,
        })
    }
}

impl Client {
    /// `POST /apps/{app}/dynos` with `body`.
    pub fn dyno_create_request(&self, app: &str, body: &DynoCreate) -> PreparedRequest {
        let path = format!("/apps/{}/dynos", segment(app));
        self.prepare(reqwest::Method::POST, &path, Some(to_json(body)))
    }

    /// `GET /apps/{app}/dynos/{dyno}`.
    pub fn dyno_info_request(&self, app: &str, dyno: &str) -> PreparedRequest {
        let path = format!("/apps/{}/dynos/{}", segment(app), segment(dyno));
        self.prepare(reqwest::Method::GET, &path, None)
    }

    /// `POST /apps/{app}/dynos/{dyno}/actions/stop` (never `DELETE`, which restarts
    /// instead of stopping a dyno of a custom type).
    pub fn dyno_stop_request(&self, app: &str, dyno: &str) -> PreparedRequest {
        let path = format!(
            "/apps/{}/dynos/{}/actions/stop",
            segment(app),
            segment(dyno)
        );
        self.prepare(reqwest::Method::POST, &path, None)
    }

    /// `POST /apps/{app}/log-sessions` with `body`.
    pub fn log_session_request(&self, app: &str, body: &LogSessionCreate) -> PreparedRequest {
        let path = format!("/apps/{}/log-sessions", segment(app));
        self.prepare(reqwest::Method::POST, &path, Some(to_json(body)))
    }

    /// Starts a one-off dyno. A `409` (a release the runtime does not know yet) is tried
    /// again, at most [`MAX_CONFLICTS`] times, within the retry budget.
    ///
    /// A create is never sent twice blindly: when an attempt timed out, broke off or got
    /// a 5xx, the platform may have started the dyno all the same, so the app's dynos are
    /// looked through first (up to [`LOOKS`] times, as a new dyno can take a moment to be
    /// listed) for one whose command carries this run's marker. That dyno is the run;
    /// only when none shows up is the create sent again (within the retry budget).
    ///
    /// # Errors
    /// [`ApiError`]: `Invalid` for a refused size or a concurrency limit, `Unauthorized` or
    /// `Forbidden` for the token, the retry kinds once the budget is spent.
    pub async fn dyno_create(&self, app: &str, body: &DynoCreate) -> Result<Dyno, ApiError> {
        let request = self.dyno_create_request(app, body);
        let subject = Subject {
            app,
            process_type: None,
        };
        let marker = RunMarker::read(&body.command);
        let started = Instant::now();
        let mut conflicts = 0;
        let mut unsure = 0;
        loop {
            match self.send_with(&request, &subject, Resend::OnlyUnsent).await {
                Err(error) if error.status == Some(409) && conflicts < MAX_CONFLICTS => {
                    conflicts += 1;
                    let delay = self.policy().backoff(conflicts);
                    if started.elapsed() + delay > self.policy().budget {
                        return Err(error);
                    }
                    tracing::debug!("409 on a dyno create; trying again in {delay:?}");
                    tokio::time::sleep(delay).await;
                }
                Err(error) if may_have_acted(&error) => {
                    let Some(marker) = &marker else {
                        return Err(error);
                    };
                    tracing::debug!(
                        "a dyno create may have been carried out ({:?}): looking for it",
                        error.kind
                    );
                    if let Some(dyno) = self.find_marked(app, marker).await? {
                        return Ok(dyno);
                    }
                    unsure += 1;
                    let delay = self.policy().backoff(unsure);
                    if !self.policy().allows_retry(unsure, started.elapsed(), delay) {
                        return Err(error);
                    }
                    tokio::time::sleep(delay).await;
                }
                other => return other,
            }
        }
    }

    /// The app's dyno whose command carries `marker`, looked for [`LOOKS`] times.
    ///
    /// # Errors
    /// The list's [`ApiError`]: then nobody can tell whether the dyno started, and the
    /// create is not sent again.
    async fn find_marked(&self, app: &str, marker: &RunMarker) -> Result<Option<Dyno>, ApiError> {
        for look in 1..=LOOKS {
            let dynos = self.dyno_list(app).await?;
            let found = dynos.into_iter().find(|dyno| {
                dyno.command.as_deref().and_then(RunMarker::read).as_ref() == Some(marker)
            });
            if found.is_some() {
                return Ok(found);
            }
            if look < LOOKS {
                tokio::time::sleep(self.policy().backoff(look)).await;
            }
        }
        Ok(None)
    }

    /// One dyno, or `None` when the API does not know it (yet, or any more: a one-off dyno
    /// that has ended disappears, and one just created can be missing for a moment).
    ///
    /// # Errors
    /// [`ApiError`] for anything but a 404.
    pub async fn dyno_info(&self, app: &str, dyno: &str) -> Result<Option<Dyno>, ApiError> {
        let request = self.dyno_info_request(app, dyno);
        let subject = Subject {
            app,
            process_type: None,
        };
        match self.send(&request, &subject).await {
            Ok(dyno) => Ok(Some(dyno)),
            Err(error) if error.kind == ApiErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Stops a dyno: the platform sends its processes SIGTERM, then SIGKILL 30 seconds
    /// later. `false` when the dyno was already gone.
    ///
    /// # Errors
    /// [`ApiError`] for anything but a 404.
    pub async fn dyno_stop(&self, app: &str, dyno: &str) -> Result<bool, ApiError> {
        let request = self.dyno_stop_request(app, dyno);
        let subject = Subject {
            app,
            process_type: None,
        };
        match self.send::<serde_json::Value>(&request, &subject).await {
            Ok(_) => Ok(true),
            Err(error) if error.kind == ApiErrorKind::NotFound => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Opens a log session.
    ///
    /// # Errors
    /// [`ApiError`].
    pub async fn log_session_create(
        &self,
        app: &str,
        body: &LogSessionCreate,
    ) -> Result<LogSession, ApiError> {
        let request = self.log_session_request(app, body);
        let subject = Subject {
            app,
            process_type: None,
        };
        self.send(&request, &subject).await
    }
}

fn to_json(body: &impl Serialize) -> String {
    // Plain strings, numbers and maps of strings cannot fail to serialize.
    serde_json::to_string(body).unwrap_or_else(|_| "{}".to_owned())
}

/// A failed call on one line, with the path only: `GET /apps/a/dynos failed (503: …)`.
pub fn summary(error: &ApiError) -> String {
    let said = match (error.status, error.message.as_deref()) {
        (Some(status), Some(message)) => format!(" ({status}: {message})"),
        (Some(status), None) => format!(" ({status})"),
        (None, Some(message)) => format!(" ({message})"),
        (None, None) => String::new(),
    };
    format!("{} {} failed{said}", error.method, path_of(&error.url))
}

/// The path of a request URL (`https://user:pw@host/apps/x` → `/apps/x`), for messages
/// that must not carry a host's credentials.
pub fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.find('/').map_or("/", |at| &rest[at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_bodies_are_detached_and_capped() {
        let mut env = BTreeMap::new();
        env.insert("CLOCK_JOB".to_owned(), "report".to_owned());
        let table = [
            (
                DynoCreate::detached("bin/x".into(), env.clone(), Some("standard-2x".into()), 130),
                r#"{"attach":false,"command":"bin/x","env":{"CLOCK_JOB":"report"},"size":"standard-2x","type":"run","time_to_live":130}"#,
            ),
            (
                DynoCreate::detached("bin/x".into(), BTreeMap::new(), None, 100_000),
                r#"{"attach":false,"command":"bin/x","type":"run","time_to_live":86400}"#,
            ),
        ];
        for (from, expected) in table {
            assert_eq!(to_json(&from), expected);
        }
    }

    #[test]
    fn log_session_bodies_ask_for_the_platform_lines_of_one_dyno() {
        assert_eq!(
            to_json(&LogSessionCreate::platform_lines("run.1234", 100)),
            r#"{"dyno":"run.1234","source":"heroku","tail":true,"lines":100}"#
        );
    }

    #[test]
    fn markers_round_trip_and_reject_other_commands() {
        let marker = RunMarker {
            job: "nightly-report".into(),
            run_id: "5f3a9c1e-7".into(),
            scheduled_for: "2026-12-01T06:00:00Z".into(),
            attempt: 2,
        };
        let wrapped = marker.wrap("bin/rails reports:run; echo done");
        assert_eq!(
            wrapped,
            ": heroku-clock job=nightly-report run=5f3a9c1e-7 scheduled_for=2026-12-01T06:00:00Z attempt=2; bin/rails reports:run; echo done"
        );
        assert_eq!(RunMarker::read(&wrapped), Some(marker));
        for other in [
            "bash",
            ": heroku-clock job=x; y",
            ": heroku-clock job= run=1 scheduled_for=t attempt=1; y",
            ": heroku-clock job=x run=1 scheduled_for=t attempt=one; y",
            ": heroku-clock job=x run=1 scheduled_for=t attempt=1 extra; y",
            "echo : heroku-clock job=x run=1 scheduled_for=t attempt=1; y",
        ] {
            assert_eq!(RunMarker::read(other), None, "{other}");
        }
    }

    #[test]
    fn paths_drop_the_host_and_its_credentials() {
        for (from, expected) in [
            ("https://api.heroku.com/apps/a/dynos", "/apps/a/dynos"),
            ("http://user:secret@127.0.0.1:5000/apps/a", "/apps/a"),
            ("https://api.heroku.com", "/"),
        ] {
            assert_eq!(path_of(from), expected);
        }
    }

    #[test]
    fn a_log_session_never_shows_its_url() {
        let session = LogSession {
            id: None,
            logplex_url: "https://logs.heroku.com/stream?token=secret".into(),
        };
        assert!(!format!("{session:?}").contains("secret"));
    }
}
