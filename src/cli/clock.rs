//! The `clock` binary: check `clock.yml` exactly as `clockctl validate` does, then run its
//! schedule until SIGTERM or SIGINT.
//!
//! Exit codes: 0 after a clean shutdown, 1 when the clock.yml is invalid (nothing
//! started), 2 when the file cannot be read or the process cannot set up. Findings go to
//! stderr as `FILE:LINE:COL: error: ...`; everything the running clock says is a log line
//! on stdout.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use super::Failure;
use super::async_runtime::tokio_runtime;
use super::checked_config::load_checked;
use super::signals::forward_signals;
use crate::config::Config;
use crate::exec::LocalExecutor;
use crate::logging::{self, LogSettings};
use crate::notify::{Notifier, deliver};
use crate::runtime::{self, LocalGate, NoObserver, Plan, RunObserver, SystemClock};
use clap::Parser;

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
    let _log = logging::init(&LogSettings::from_env(args.timestamps));
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
