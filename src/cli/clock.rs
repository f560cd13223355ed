//! The `clock` binary: check `clock.yml` exactly as `clockctl validate` does, then run its
//! schedule until SIGTERM or SIGINT.
//!
//! Exit codes: 0 after a clean shutdown, 1 when the clock.yml is invalid (nothing
//! started), 2 when the file cannot be read or the process cannot set up. Findings go to
//! stderr as `FILE:LINE:COL: error: ...`; everything the running clock says is a log line
//! on stdout.

use std::path::PathBuf;
use std::process::ExitCode;

use super::Failure;
use super::async_runtime::tokio_runtime;
use super::checked_config::load_checked;
use super::signals::forward_signals;
use crate::exec::JobExecutor;
use crate::logging::{self, LogSettings};
use crate::runtime::{self, LocalGate, Plan, SystemClock};
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
    let dyno_jobs = super::dynos::dyno_jobs(&config);
    let dynos = if dyno_jobs.is_empty() {
        None
    } else {
        Some(super::dynos::executor(
            &config,
            &dyno_jobs,
            super::dynos::TokenFrom::EnvOnly,
        )?)
    };
    let _log = logging::init(&LogSettings::from_env(args.timestamps));
    let runtime = tokio_runtime()?;
    runtime.block_on(async {
        let signals = forward_signals()?;
        let mut plan = Plan::from_config(config);
        let executor = match dynos {
            Some(dynos) => {
                plan.adopted = super::dynos::adoptions(&dynos).await;
                JobExecutor::with_dynos(dynos)
            }
            None => JobExecutor::local(),
        };
        runtime::run(plan, executor, LocalGate, SystemClock, signals).await;
        Ok::<(), Failure>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
