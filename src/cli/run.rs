//! `clockctl run JOB [FILE]`: run one job now, in the foreground, exactly as the clock
//! would (same executor, environment, timeout and log lines), and exit with its code.
//! With `--dyno`, or for a job with `run: dyno`, the run is a one-off dyno: its name is
//! printed, it is followed to its end, and Ctrl-C stops it.
//!
//! Exit codes: the job's own exit code; 124 when it timed out (as GNU `timeout`); 128+N
//! when a signal N ended it; 143 when Ctrl-C or SIGTERM stopped it; 127 when `bash` could
//! not start (or a dyno could not be created); 125 when the run was lost track of (a
//! dyno's end could not be learnt); 1 for an invalid clock.yml; 2 for an unknown job, an unreadable file, or a dyno run
//! without a token or an app name.
//! Retries are not attempted: one run, one answer.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{SubsecRound as _, Utc};

use super::Failure;
use super::async_runtime::tokio_runtime;
use super::checked_config::{Purpose, load_checked};
use super::signals::forward_signals;
use crate::exec::{Control, Executor as _, JobExecutor};
use crate::logging::{self, LogSettings};
use crate::runtime::{
    self,
    report::{self, RunRef},
};
use crate::visible::visible;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The job to run (its key under `jobs:`).
    job: String,
    /// The clock.yml that defines it.
    #[arg(env = "CLOCK_CONFIG", default_value = "clock.yml")]
    file: PathBuf,
    /// Begin every log line with `time=` (RFC 3339, UTC).
    #[arg(long)]
    timestamps: bool,
    /// Run it in a one-off dyno, as the clock runs a job with `run: dyno` (needs
    /// HEROKU_API_KEY or `heroku login`, and HEROKU_APP_NAME or `app:`).
    #[arg(long)]
    dyno: bool,
}

pub fn run(args: Args) -> Result<ExitCode, Failure> {
    let purpose = Purpose {
        how_to_pass: format!(
            "pass the clock.yml after the job's name: `clockctl run {} FILE`, or set CLOCK_CONFIG",
            visible(&args.job)
        ),
        not_done: "nothing was started",
    };
    let config = load_checked(&args.file, &purpose)?;
    let Some(job) = config.job(&args.job) else {
        let names: Vec<&str> = config.jobs.iter().map(|job| job.name.as_str()).collect();
        let known = if names.is_empty() {
            "the file has no jobs".to_string()
        } else {
            format!("jobs in {}: {}", args.file.display(), names.join(", "))
        };
        return Err(Failure::usage(format!("no job named \"{}\"", args.job)).with_hint(known));
    };
    let in_dyno = args.dyno || job.run == crate::config::RunOn::Dyno;
    let executor = if in_dyno {
        let mut config = config.clone();
        if let Some(own) = config.jobs.iter_mut().find(|own| own.name == job.name) {
            own.run = crate::config::RunOn::Dyno;
        }
        let dynos = super::dynos::executor(
            &config,
            &[job.name.as_str()],
            super::dynos::TokenFrom::EnvOrNetrc,
        )?;
        JobExecutor::with_dynos(dynos)
    } else {
        JobExecutor::local()
    };
    let _log = logging::init(&LogSettings::from_env(args.timestamps));
    let runtime = tokio_runtime()?;
    let code = runtime.block_on(async {
        let mut signals = forward_signals()?;
        // A run started by hand is scheduled for the second it starts.
        let slot = Utc::now().trunc_subsecs(0);
        let spec = runtime::build_run_spec(job, 1, slot, 1);
        let handle = executor.start(spec);
        let reference = RunRef {
            job: &job.name,
            run: 1,
            slot,
            attempt: 1,
        };
        report::started(reference, 0, None, handle.pid);
        let control = handle.control();
        let wait = handle.wait();
        tokio::pin!(wait);
        let mut stopping = false;
        let outcome = loop {
            tokio::select! {
                outcome = &mut wait => break outcome,
                Some(_) = signals.recv() => {
                    // First signal: SIGTERM to the job, SIGKILL after its kill_grace;
                    // a second one: SIGKILL now.
                    let request = if stopping {
                        Control::Kill
                    } else {
                        Control::Terminate { kill_after: Some(job.kill_grace) }
                    };
                    stopping = true;
                    control.send(request);
                }
            }
        };
        report::ended(reference, &outcome, None);
        Ok::<i32, Failure>(outcome.end.exit_code())
    })?;
    // An exit code outside 0..=255 cannot be passed on as is; it still is a failure.
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}
