//! The validated configuration model: what a `clock.yml` means once every check has passed.
//!
//! Nothing here parses text or reports errors; [`super::parse`] builds these values only
//! from a file that validated. Durations are `std::time::Duration`, instants are UTC, and
//! every job carries its own fully resolved [`JobSchedule`] (zone, jitter and window
//! included), so the runtime never looks back at the file.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono_tz::Tz;

use crate::schedule::JobSchedule;

/// Default grace between SIGTERM and SIGKILL when a run times out.
pub const DEFAULT_KILL_GRACE: Duration = Duration::from_secs(10);
/// Default time the clock waits for running jobs after SIGTERM before it SIGKILLs them.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(20);
/// Heroku sends SIGKILL this long after SIGTERM; the shutdown grace must stay below it.
pub const HEROKU_SIGTERM_WINDOW: Duration = Duration::from_secs(30);
/// Default first delay between retries of a failed run; doubles on every retry.
pub const DEFAULT_RETRY_BACKOFF: Duration = Duration::from_secs(30);
/// Default lateness past which a due run is skipped instead of started.
pub const DEFAULT_MISFIRE_GRACE: Duration = Duration::from_secs(60);
/// The largest `retries` a job may ask for.
pub const MAX_RETRIES: u32 = 10;

/// A whole, valid `clock.yml`.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file-wide zone (`timezone:`, default UTC); each job's schedule holds its own.
    pub timezone: Tz,
    /// How long the clock waits for running jobs after SIGTERM (`shutdown_grace:`).
    pub shutdown_grace: Duration,
    /// The Heroku app one-off dynos run in (`app:`); `HEROKU_APP_NAME` wins over it.
    pub app: Option<String>,
    /// Every job, in the order the file lists them (disabled ones included).
    pub jobs: Vec<Job>,
    /// The channels under `notify:`, in file order.
    pub notify: Vec<Channel>,
    pub heartbeat: Option<Heartbeat>,
    /// The `store:` block; `None` keeps everything in memory, one clock.
    pub store: Option<StoreConfig>,
}

/// The `store:` block: where run state is shared between clocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// The environment variable that holds the PostgreSQL URL (`DATABASE_URL`).
    pub postgres_var: String,
    /// How long run history is kept (`keep:`, default 14d, at least 1d).
    pub keep: Duration,
}

/// One entry of `jobs:`, with `defaults:` already applied.
#[derive(Debug, Clone)]
pub struct Job {
    /// The map key: `[a-z0-9][a-z0-9_-]{0,62}`.
    pub name: String,
    /// Run with `bash -c`.
    pub command: String,
    /// When it runs: the schedule, its zone, jitter and `start`/`end` window.
    pub schedule: JobSchedule,
    pub description: Option<String>,
    /// `enabled: false` keeps the job in the file and out of the clock.
    pub enabled: bool,
    /// Past this, the run's process group gets SIGTERM, then SIGKILL after `kill_grace`.
    pub timeout: Option<Duration>,
    /// Between SIGTERM and SIGKILL when a run times out or is replaced.
    pub kill_grace: Duration,
    pub overlap: Overlap,
    /// Extra attempts after a failed run (0 to [`MAX_RETRIES`]).
    pub retries: u32,
    /// The first retry's delay; each later retry doubles it.
    pub retry_backoff: Duration,
    /// Added to the clock's own environment for every run of this job.
    pub env: BTreeMap<String, String>,
    /// A run the clock reaches later than this after its due instant is skipped.
    pub misfire_grace: Duration,
    /// Who hears about its runs, and when (`alert:` over `defaults.alert`).
    pub alert: Option<Alert>,
    /// The ping service told about each run's start and final outcome.
    pub monitor: Option<Monitor>,
    /// Where each run goes: a local process, or a one-off dyno.
    pub run: RunOn,
    /// The one-off dyno's size as the Heroku CLI spells it (only with `run: dyno`); the
    /// app's default size when absent.
    pub dyno_size: Option<String>,
    /// 1-based line of the job's key in the file, for messages that point back at it.
    pub line: u32,
}

/// Where a job's runs go (`run:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RunOn {
    /// A child process of the clock, on the clock's dyno.
    #[default]
    Local,
    /// A one-off dyno of its own, started through the Platform API.
    Dyno,
}

impl RunOn {
    /// The spelling used in `clock.yml`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunOn::Local => "local",
            RunOn::Dyno => "dyno",
        }
    }
}

/// What happens when a run comes due while the previous run of the same job still runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overlap {
    /// The new run is skipped and logged.
    #[default]
    Skip,
    /// The new run waits for the running one to end; at most one waits.
    Queue,
    /// The running one is terminated, then the new one starts.
    Replace,
    /// Both run side by side.
    Allow,
}

impl Overlap {
    /// The spelling used in `clock.yml` and in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Overlap::Skip => "skip",
            Overlap::Queue => "queue",
            Overlap::Replace => "replace",
            Overlap::Allow => "allow",
        }
    }
}

impl Config {
    /// Whether any enabled job runs in a one-off dyno.
    pub fn uses_dynos(&self) -> bool {
        self.jobs
            .iter()
            .any(|job| job.enabled && job.run == RunOn::Dyno)
    }

    /// The job named `name`, if the file has one.
    pub fn job(&self, name: &str) -> Option<&Job> {
        self.jobs.iter().find(|job| job.name == name)
    }

    /// The channel named `name` under `notify:`.
    pub fn channel(&self, name: &str) -> Option<&Channel> {
        self.notify.iter().find(|channel| channel.name == name)
    }

    /// Every `${VAR}` template the file holds, with what it belongs to
    /// (`notify.ops`, `heartbeat`, `jobs.backup.monitor`).
    pub fn templates(&self) -> Vec<(String, &Template)> {
        let mut all = Vec::new();
        for channel in &self.notify {
            let owner = format!("notify.{}", channel.name);
            match &channel.target {
                ChannelTarget::Slack { url } => all.push((owner, url)),
                ChannelTarget::Webhook { url, secret } => {
                    all.push((owner.clone(), url));
                    all.extend(secret.iter().map(|secret| (owner.clone(), secret)));
                }
            }
        }
        if let Some(heartbeat) = &self.heartbeat {
            all.push(("heartbeat".to_owned(), heartbeat.monitor.url()));
        }
        for job in &self.jobs {
            if let Some(monitor) = &job.monitor {
                all.push((format!("jobs.{}.monitor", job.name), monitor.url()));
            }
        }
        all
    }
}

/// A value that may name environment variables, as `${NAME}`: the notification, monitor
/// and heartbeat fields. It is resolved when the clock starts (see [`crate::notify`]);
/// the file's text is kept for messages, never the resolved value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
    /// What its value must be once resolved: checked as the clock reads it.
    pub kind: crate::credential::Kind,
    /// Where the value is written: 1-based line and column, and how many characters.
    pub line: u32,
    pub column: u32,
    pub len: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplatePart {
    Literal(String),
    /// `${NAME}`.
    Var(String),
}

impl Template {
    /// The variables it names, in order, each once.
    pub fn vars(&self) -> Vec<&str> {
        let mut vars: Vec<&str> = Vec::new();
        for part in &self.parts {
            if let TemplatePart::Var(name) = part {
                if !vars.contains(&name.as_str()) {
                    vars.push(name);
                }
            }
        }
        vars
    }

    /// The value with every variable replaced by `lookup`'s answer; the first variable
    /// `lookup` does not know is the error.
    ///
    /// # Errors
    /// The name of the first unset variable.
    pub fn resolve(&self, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                TemplatePart::Literal(text) => out.push_str(text),
                TemplatePart::Var(name) => match lookup(name) {
                    Some(value) => out.push_str(&value),
                    None => return Err(name.clone()),
                },
            }
        }
        Ok(out)
    }
}

/// A named channel under `notify:`, where alerts go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub name: String,
    pub target: ChannelTarget,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelTarget {
    /// A Slack incoming webhook URL.
    Slack { url: Template },
    /// Any URL, sent the documented JSON shape; signed when `secret` is set.
    Webhook {
        url: Template,
        secret: Option<Template>,
    },
}

/// A ping service watching one job (`monitor:`) or the clock itself (`heartbeat:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Monitor {
    Healthchecks(Template),
    Cronitor(Template),
    Snitch(Template),
    Sentry { dsn: Template, slug: String },
}

impl Monitor {
    /// The service's name as written in clock.yml.
    pub fn kind(&self) -> &'static str {
        match self {
            Monitor::Healthchecks(_) => "healthchecks",
            Monitor::Cronitor(_) => "cronitor",
            Monitor::Snitch(_) => "snitch",
            Monitor::Sentry { .. } => "sentry",
        }
    }

    /// The template holding the credential (URL or DSN).
    pub fn url(&self) -> &Template {
        match self {
            Monitor::Healthchecks(url) | Monitor::Cronitor(url) | Monitor::Snitch(url) => url,
            Monitor::Sentry { dsn, .. } => dsn,
        }
    }
}

/// `heartbeat:`: a ping every `every` while the clock schedules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heartbeat {
    pub every: Duration,
    pub monitor: Monitor,
}

/// What a job's `alert.on` may list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AlertOn {
    Failed,
    TimedOut,
    Lost,
    Missed,
    Succeeded,
    Skipped,
    Retrying,
}

impl AlertOn {
    pub const ALL: [AlertOn; 7] = [
        AlertOn::Failed,
        AlertOn::TimedOut,
        AlertOn::Lost,
        AlertOn::Missed,
        AlertOn::Succeeded,
        AlertOn::Skipped,
        AlertOn::Retrying,
    ];
    /// `on:` when the file does not say.
    pub const DEFAULT: [AlertOn; 4] = [
        AlertOn::Failed,
        AlertOn::TimedOut,
        AlertOn::Lost,
        AlertOn::Missed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertOn::Failed => "failed",
            AlertOn::TimedOut => "timed_out",
            AlertOn::Lost => "lost",
            AlertOn::Missed => "missed",
            AlertOn::Succeeded => "succeeded",
            AlertOn::Skipped => "skipped",
            AlertOn::Retrying => "retrying",
        }
    }

    /// Whether this outcome counts toward a failure streak (`after`, `repeat`).
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            AlertOn::Failed | AlertOn::TimedOut | AlertOn::Lost | AlertOn::Missed
        )
    }
}

/// A job's alert policy (`alert:`, merged over `defaults.alert`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// Channel names under `notify:`.
    pub to: Vec<String>,
    pub on: Vec<AlertOn>,
    /// Consecutive failed runs before the first alert (at least 1).
    pub after: u32,
    /// One message when a job that was alerted about succeeds again.
    pub recovery: bool,
    /// Remind while it keeps failing, at most this often.
    pub repeat: Option<Duration>,
}

/// `alert.after` when the file does not say.
pub const DEFAULT_ALERT_AFTER: u32 = 1;
