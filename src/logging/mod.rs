//! Heroku-style log lines: one event per line on stdout, logfmt by default
//! (`at=info event=started job=sync run=3 ...`), JSON lines with `CLOCK_LOG_FORMAT=json`.
//!
//! The runtime and the executor log through `tracing` macros with plain fields; this module
//! owns how those events become bytes ([`format`]), the `tracing` layer that collects them
//! ([`layer`]), the queue and thread that write them without ever blocking the runtime
//! ([`writer`]), and the settings read from the environment. Which events exist and what
//! their keys mean is documented in docs/logs.md; the events themselves are
//! emitted from `runtime::report` and `exec`.

pub mod format;
pub mod layer;
pub mod writer;

pub use format::LogFormat;
pub use layer::{Capture, LineLayer, Record, Sink, StdoutSink, batched};

use std::sync::OnceLock;
use std::time::Duration;

use writer::LogQueue;

use tracing::level_filters::LevelFilter;
use tracing_subscriber::layer::SubscriberExt as _;

/// How the process logs, read from `CLOCK_LOG_FORMAT`, `CLOCK_LOG_LEVEL` and `--timestamps`.
#[derive(Debug, Clone, PartialEq)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: LevelFilter,
    pub timestamps: bool,
    /// Settings that were set to something unknown and fell back to the default; logged
    /// as warnings once logging is up.
    pub rejected: Vec<RejectedSetting>,
}

/// An environment variable whose value was not understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedSetting {
    pub variable: &'static str,
    pub value: String,
    pub used: &'static str,
}

impl LogSettings {
    /// Reads the settings from the two variables' values (`None` when unset).
    pub fn from_values(format: Option<&str>, level: Option<&str>, timestamps: bool) -> Self {
        let mut rejected = Vec::new();
        let format = match format.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") | Some("logfmt") => LogFormat::Logfmt,
            Some("json") => LogFormat::Json,
            Some(_) => {
                rejected.push(RejectedSetting {
                    variable: "CLOCK_LOG_FORMAT",
                    value: format.unwrap_or_default().to_string(),
                    used: "logfmt",
                });
                LogFormat::Logfmt
            }
        };
        let level = match level.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") | Some("info") => LevelFilter::INFO,
            Some("error") => LevelFilter::ERROR,
            Some("warn") | Some("warning") => LevelFilter::WARN,
            Some("debug") => LevelFilter::DEBUG,
            Some("trace") => LevelFilter::TRACE,
            Some(_) => {
                rejected.push(RejectedSetting {
                    variable: "CLOCK_LOG_LEVEL",
                    value: level.unwrap_or_default().to_string(),
                    used: "info",
                });
                LevelFilter::INFO
            }
        };
        LogSettings {
            format,
            level,
            timestamps,
            rejected,
        }
    }

    /// Reads `CLOCK_LOG_FORMAT` and `CLOCK_LOG_LEVEL` from the process environment.
    pub fn from_env(timestamps: bool) -> Self {
        let format = std::env::var("CLOCK_LOG_FORMAT").ok();
        let level = std::env::var("CLOCK_LOG_LEVEL").ok();
        LogSettings::from_values(format.as_deref(), level.as_deref(), timestamps)
    }
}

/// At exit, how long the clock waits for its last lines to be written. A reader that
/// never reads again must not keep the process from exiting.
const FLUSH_BOUND: Duration = Duration::from_secs(10);

/// The queue of the process's stdout logger, once [`init`] has installed it.
static QUEUE: OnceLock<LogQueue> = OnceLock::new();

fn global_queue() -> Option<&'static LogQueue> {
    QUEUE.get()
}

/// Installs the stdout logger for the whole process, then logs any rejected setting.
/// Calling it twice keeps the first logger (the second install is ignored). Keep the
/// guard until the process is done logging: dropping it waits until every line queued
/// so far is written (up to 10 s).
pub fn init(settings: &LogSettings) -> LogGuard {
    let sink = StdoutSink::start(settings.format, settings.timestamps);
    let queue = sink.queue();
    let subscriber = tracing_subscriber::registry()
        .with(settings.level)
        .with(LineLayer::new(sink));
    if tracing::subscriber::set_global_default(subscriber).is_ok() {
        if let Some(queue) = queue {
            let _ = QUEUE.set(queue);
        }
    }
    for rejected in &settings.rejected {
        tracing::warn!(
            event = "setting_ignored",
            variable = rejected.variable,
            value = rejected.value.as_str(),
            using = rejected.used,
        );
    }
    LogGuard
}

/// Writes out what the logger still holds when dropped; see [`init`].
#[must_use = "dropping the guard at once flushes at once; keep it until the process is done"]
pub struct LogGuard;

impl Drop for LogGuard {
    fn drop(&mut self) {
        flush();
    }
}

/// Waits until every line logged so far has been written to stdout (up to 10 s).
pub fn flush() {
    if let Some(queue) = global_queue() {
        queue.flush(FLUSH_BOUND);
    }
}

/// A subscriber that captures every event (all levels) as data, for tests:
/// `let _guard = tracing::subscriber::set_default(subscriber)`.
pub fn capture() -> (impl tracing::Subscriber + Send + Sync, Capture) {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry()
        .with(LevelFilter::TRACE)
        .with(LineLayer::new(capture.clone()));
    (subscriber, capture)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_from_environment_values() {
        type Case = (
            Option<&'static str>,
            Option<&'static str>,
            LogFormat,
            LevelFilter,
            usize,
        );
        let cases: &[Case] = &[
            (None, None, LogFormat::Logfmt, LevelFilter::INFO, 0),
            (
                Some("json"),
                Some("debug"),
                LogFormat::Json,
                LevelFilter::DEBUG,
                0,
            ),
            (
                Some("JSON"),
                Some("WARN"),
                LogFormat::Json,
                LevelFilter::WARN,
                0,
            ),
            (
                Some("xml"),
                Some("error"),
                LogFormat::Logfmt,
                LevelFilter::ERROR,
                1,
            ),
            (None, Some("loud"), LogFormat::Logfmt, LevelFilter::INFO, 1),
        ];
        for (format, level, want_format, want_level, rejected) in cases {
            let settings = LogSettings::from_values(*format, *level, false);
            assert_eq!(settings.format, *want_format, "{format:?}");
            assert_eq!(settings.level, *want_level, "{level:?}");
            assert_eq!(settings.rejected.len(), *rejected, "{format:?} {level:?}");
        }
    }

    #[test]
    fn events_become_ordered_fields() {
        let (subscriber, capture) = capture();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(
                event = "started",
                job = "sync",
                run = 3_u64,
                late_ms = 0_u64
            );
            tracing::warn!(event = "skipped", reason = "overlap");
        });
        let records = capture.records();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].level, "info");
        let keys: Vec<&str> = records[0].fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["event", "job", "run", "late_ms"]);
        assert_eq!(records[1].level, "warn");
        assert_eq!(records[1].get("reason").as_deref(), Some("overlap"));
    }
}
