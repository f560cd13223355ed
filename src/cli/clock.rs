//! The `clock` binary: check `clock.yml` exactly as `clockctl validate` does, then run its
//! schedule until SIGTERM or SIGINT.
//!
//! Exit codes: 0 after a clean shutdown, 1 when the clock.yml is invalid or its `store:`
//! cannot be used (the variable is unset, the URL malformed; nothing started), 2 when the
//! file cannot be read or the process cannot set up. With a `store:` the clock shares
//! its schedule with any other clock on the same database (see [`crate::store`]);
//! without one it opens no connection at all. Findings go to
//! stderr as `FILE:LINE:COL: error: ...`; everything the running clock says is a log line
//! on stdout.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use super::Failure;
use super::async_runtime::tokio_runtime;
use super::checked_config::{Purpose, load_checked};
use super::database::read_database_url;
use super::signals::forward_signals;
use crate::config::{self, Config};
use crate::exec::JobExecutor;
use crate::logging::{self, LogSettings};
use crate::notify::streaks::StreakBook;
use crate::notify::{Notifier, deliver};
use crate::runtime::{self, LocalGate, NoObserver, Plan, RunObserver, SystemClock};
use crate::store::{self, StoreGate, StoreSettings};
use clap::Parser;

/// The lease term, for tuning and tests (`CLOCK_LEASE_TERM=5s`); 15 s by default.
const LEASE_TERM_VAR: &str = "CLOCK_LEASE_TERM";

/// How long the clock waits at exit for history still being written.
const FLUSH_WAIT: Duration = Duration::from_secs(5);

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
    let config = load_checked(
        &args.config,
        &Purpose::with_config_flag("nothing was started"),
    )?;
    let settings = match &config.store {
        Some(block) => Some(store_settings(block, &config, &args.config)?),
        None => None,
    };
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
        // Dynos left by the last clock are found before this one may lead.
        let (executor, adopted) = match dynos {
            Some(dynos) => {
                let adopted = super::dynos::adoptions(&dynos).await;
                (JobExecutor::with_dynos(dynos), Some(adopted))
            }
            None => (JobExecutor::local(), None),
        };
        let store = match settings {
            Some(settings) => Some(StoreGate::start(settings).map_err(|error| {
                Failure::new(format!("the store cannot be used: {error}"))
                    .with_hint("fix sslrootcert or sslmode in the database URL")
            })?),
            None => None,
        };
        let book = store.as_ref().map(|(gate, _)| gate.streak_book());
        let notifier = start_notifier(&config, book)?;
        let observer: Arc<dyn RunObserver> = match &notifier {
            Some(notifier) => Arc::clone(notifier) as Arc<dyn RunObserver>,
            None => Arc::new(NoObserver),
        };
        let mut plan = Plan::from_config(config);
        if let Some(adopted) = adopted {
            plan.adopted = adopted;
        }
        match store {
            None => {
                runtime::run_observed(plan, executor, LocalGate, SystemClock, observer, signals)
                    .await
            }
            Some((gate, tasks)) => {
                runtime::run_observed(plan, executor, gate.clone(), SystemClock, observer, signals)
                    .await;
                gate.finish(tasks, FLUSH_WAIT).await;
            }
        }
        Ok::<(), Failure>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Alerts, monitor pings and the heartbeat, when the file asks for any: credentials
/// are read from the environment now, once. With a store, `book` keeps failure streaks.
fn start_notifier(
    config: &Config,
    book: Option<Arc<dyn StreakBook>>,
) -> Result<Option<Arc<Notifier>>, Failure> {
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
        book,
    ))
}

/// What the store needs, from the `store:` block and the environment. The URL is read
/// once, here, and never printed.
fn store_settings(
    block: &config::StoreConfig,
    config: &Config,
    path: &Path,
) -> Result<StoreSettings, Failure> {
    let url = read_database_url(&block.postgres_var, path)?;
    let term = match std::env::var(LEASE_TERM_VAR) {
        Ok(text) => config::parse_duration(&text)
            .ok()
            .filter(|term| *term >= Duration::from_secs(1))
            .ok_or_else(|| {
                Failure::new(format!(
                    "{LEASE_TERM_VAR}={text} is not a duration of 1s or more"
                ))
                .with_hint(format!("unset {LEASE_TERM_VAR} to use the default 15s"))
            })?,
        Err(_) => store::lease::DEFAULT_TERM,
    };
    let enabled = config.jobs.iter().filter(|job| job.enabled);
    Ok(StoreSettings {
        url,
        keep: block.keep,
        timeout: (term / 3).clamp(Duration::from_millis(500), Duration::from_secs(5)),
        term,
        jobs: enabled.clone().map(|job| job.name.clone()).collect(),
        longest_grace: enabled
            .map(|job| job.misfire_grace)
            .max()
            .unwrap_or_default(),
        dyno: std::env::var("DYNO").ok().filter(|dyno| !dyno.is_empty()),
        started: chrono::Utc::now(),
    })
}
