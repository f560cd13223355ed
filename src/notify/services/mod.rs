//! The services, each exactly as it documents its protocol: the monitors that pair a
//! run's start with its end (healthchecks.io, Cronitor, Dead Man's Snitch, Sentry Crons)
//! and the channels that carry alerts (Slack, a signed generic webhook).
//!
//! Every function here is pure: a moment of a run in, a [`Request`] out. The same run id
//! (a UUID) is the healthchecks `rid`, the Cronitor `series` and the Sentry `check_in_id`.

pub mod cronitor;
pub mod healthchecks;
pub mod sentry;
pub mod slack;
pub mod snitch;
pub mod webhook;

use std::time::Duration;

use serde_json::Value;

use super::request::Request;
use super::secret::SecretUrl;

/// A monitor, resolved: where its pings go.
#[derive(Debug, Clone)]
pub enum Monitor {
    Healthchecks(SecretUrl),
    Cronitor(SecretUrl),
    Snitch(SecretUrl),
    /// The check-in endpoint, built from the DSN and the slug.
    Sentry(SecretUrl),
}

impl Monitor {
    pub fn kind(&self) -> &'static str {
        match self {
            Monitor::Healthchecks(_) => "healthchecks",
            Monitor::Cronitor(_) => "cronitor",
            Monitor::Snitch(_) => "snitch",
            Monitor::Sentry(_) => "sentry",
        }
    }

    pub fn url(&self) -> &SecretUrl {
        match self {
            Monitor::Healthchecks(url)
            | Monitor::Cronitor(url)
            | Monitor::Snitch(url)
            | Monitor::Sentry(url) => url,
        }
    }
}

/// How a run ended, as monitors are told.
#[derive(Debug, Clone, PartialEq)]
pub struct Ending {
    pub ok: bool,
    /// The exit code reported (`End::exit_code`: 124 for a timeout, 128+N for signal N).
    pub code: i32,
    /// The command exited by itself with `code` (not timed out, stopped or unstarted).
    pub exited: bool,
    pub duration: Duration,
    /// One line: `exit 1 after 3s, attempt 3 of 3`.
    pub summary: String,
    /// The end of the output.
    pub output: String,
}

/// A moment in a run that a monitor hears about.
#[derive(Debug, Clone, PartialEq)]
pub enum Moment {
    /// The first attempt started; Sentry may upsert the monitor with `config`.
    Start { config: Option<Value> },
    /// An attempt ended without being the run's own final word: it failed and another
    /// follows, or the clock itself stopped it (`overlap: replace`, a shutdown, a dyno
    /// left running for the next clock). Only healthchecks records it (`/log`); the
    /// check's state does not change.
    Note { summary: String, output: String },
    /// The run's final outcome.
    End(Ending),
    /// The clock is alive (the heartbeat).
    Alive,
}

impl Monitor {
    /// The request for `moment` of the run `run_id`, or `None` when this service is not
    /// told about it (Dead Man's Snitch hears only the end, for example).
    pub fn request(&self, run_id: &str, dyno: &str, moment: &Moment) -> Option<Request> {
        match self {
            Monitor::Healthchecks(url) => Some(healthchecks::ping(url, run_id, moment)),
            Monitor::Cronitor(url) => cronitor::telemetry(url, run_id, dyno, moment),
            Monitor::Snitch(url) => snitch::check_in(url, moment),
            Monitor::Sentry(url) => sentry::check_in(url, run_id, moment),
        }
    }
}
