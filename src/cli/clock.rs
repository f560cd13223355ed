//! The `clock` binary: check `clock.yml` exactly as `clockctl validate` does, then run its
//! schedule until SIGTERM or SIGINT.
//!
//! Exit codes: 0 after a clean shutdown, 1 when the clock.yml is invalid (nothing
//! started), 2 when the file cannot be read or the process cannot set up. Findings go to
//! stderr as `FILE:LINE:COL: error: ...`; everything the running clock says is a log line
//! on stdout.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use super::Failure;
use crate::config::{self, Config, Severity};
use crate::exec::LocalExecutor;
use crate::logging::{self, LogSettings};
use crate::notify::{Notifier, deliver};
use crate::runtime::{self, LocalGate, NoObserver, Plan, RunObserver, SystemClock};

/// Runs the jobs of a clock.yml on schedule until SIGTERM or SIGINT.
#[derive(Debug, Parser)]
#[command(name = "clock", version)]
pub struct ClockArgs {
    /// The schedule to run.
    #[arg(
        long,
        short = 'c',
        value_name = "FILE",
        env = "CLOCK_CONFIG",
        default_value = "clock.yml"
    )]
    config: PathBuf,
    /// Begin every log line with `time=` (RFC 3339, UTC), for running locally; Heroku's
    /// router adds its own timestamps.
    #[arg(long)]
    timestamps: bool,
}

/// The entry point of the `clock` binary.
pub fn clock_main() -> ExitCode {
    let args = ClockArgs::parse();
    match run(args) {
        Ok(code) => code,
        Err(failure) => {
            super::report(&failure);
            ExitCode::from(failure.code)
        }
    }
}

fn run(args: ClockArgs) -> Result<ExitCode, Failure> {
    let config = load_checked(&args.config)?;
    logging::init(&LogSettings::from_env(args.timestamps));
    let runtime = tokio_runtime()?;
    runtime.block_on(async {
        let signals = forward_signals()?;
        let notifier = start_notifier(&config)?;
        let observer: Arc<dyn RunObserver> = match &notifier {
            Some(notifier) => Arc::clone(notifier) as Arc<dyn RunObserver>,
            None => Arc::new(NoObserver),
        };
        runtime::run_observed(
            Plan::from_config(config),
            LocalExecutor,
            LocalGate,
            SystemClock,
            observer,
            signals,
        )
        .await;
        Ok::<(), Failure>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Alerts, monitor pings and the heartbeat, when the file asks for any: credentials
/// are read from the environment now, once.
fn start_notifier(config: &Config) -> Result<Option<Arc<Notifier>>, Failure> {
    let wanted = !config.notify.is_empty()
        || config.heartbeat.is_some()
        || config.jobs.iter().any(|job| job.monitor.is_some());
    if !wanted {
        return Ok(None);
    }
    let http = deliver::http_client()
        .map_err(|error| Failure::usage(format!("cannot set up HTTP for alerts: {error}")))?;
    Ok(Notifier::start(
        config,
        &|name| std::env::var(name).ok(),
        http,
    ))
}

/// The single-threaded tokio runtime the clock and `clockctl run` use: the clock's own
/// work is tiny, and one thread keeps it predictable on a small dyno.
pub(crate) fn tokio_runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| Failure::usage(format!("cannot start the async runtime: {error}")))
}

/// Loads and checks `path` as `clockctl validate` does. Every finding (warnings too) is
/// printed on stderr; a file with errors is a [`Failure`] with exit code 1.
pub(crate) fn load_checked(path: &Path) -> Result<Config, Failure> {
    let (source, parsed) = config::load(path, chrono::Utc::now()).map_err(|error| {
        Failure::usage(error.to_string())
            .with_hint("pass the file with --config FILE, or set CLOCK_CONFIG")
    })?;
    let file = path.display().to_string();
    for diagnostic in &parsed.diagnostics {
        eprint!("{}", diagnostic.render(&file, &source));
    }
    match parsed.config {
        Some(config) if parsed.count(Severity::Error) == 0 => Ok(config),
        _ => {
            let errors = parsed.count(Severity::Error);
            let noun = if errors == 1 { "error" } else { "errors" };
            Err(
                Failure::new(format!("{file} has {errors} {noun}; nothing was started")).with_hint(
                    format!("fix it, then check it with `clockctl validate {file}`"),
                ),
            )
        }
    }
}

/// Turns SIGTERM and SIGINT into names on a channel, for as long as the process runs.
pub(crate) fn forward_signals() -> Result<mpsc::UnboundedReceiver<&'static str>, Failure> {
    let listen = |kind| {
        signal(kind).map_err(|error| Failure::usage(format!("cannot listen for signals: {error}")))
    };
    let mut term = listen(SignalKind::terminate())?;
    let mut int = listen(SignalKind::interrupt())?;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let name = tokio::select! {
                Some(()) = term.recv() => "SIGTERM",
                Some(()) = int.recv() => "SIGINT",
                else => break,
            };
            if tx.send(name).is_err() {
                break;
            }
        }
    });
    Ok(rx)
}
