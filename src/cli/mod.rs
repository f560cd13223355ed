//! The command line: clap arguments become a validated request, then one subcommand runs.
//!
//! Each subcommand lives in its own file and returns `Result<ExitCode, Failure>`; this file
//! only dispatches and turns a [`Failure`] into words on stderr. Exit codes: 0 success,
//! 1 the thing checked or run failed (an invalid clock.yml, a failed job, an API error),
//! 2 a usage or I/O error.

mod async_runtime;
mod checked_config;
pub mod clock;
mod database;
mod dynos;
mod env_dir;
#[cfg(test)]
mod extreme_values;
mod history;
mod init;
mod next;
mod notify_cmd;
mod platform;
mod procfile_cmd;
mod report;
mod run;
mod scale;
mod signals;
mod status;
mod status_store;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// `clockctl`: check schedules, try jobs and manage the clock dyno.
#[derive(Debug, Parser)]
#[command(name = "clockctl", version, about, propagate_version = true)]
pub struct Clockctl {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a clock.yml and show each job's schedule and next run.
    Validate(validate::Args),
    /// Show the next runs of the jobs in a clock.yml, or of one expression.
    Next(next::Args),
    /// Run one job now, in the foreground, as the clock would.
    Run(run::Args),
    /// Scale the app's clock process through the Heroku Platform API (exactly one).
    Scale(scale::Args),
    /// Show the clock dyno's formation, state and the next runs.
    Status(status::Args),
    /// Send a test message through an alert channel and show what the endpoint answered.
    Notify(notify_cmd::Args),
    /// List the runs the store remembers, newest first (needs a `store:` block).
    History(history::Args),
    /// Write a starter clock.yml and the Procfile's clock entry into this app.
    Init(init::Args),
    /// Give the Procfile a `clock:` entry (used by the buildpack).
    #[command(hide = true)]
    Procfile(procfile_cmd::Args),
}

/// A failure already put into words for the person at the terminal.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub hint: Option<String>,
    pub code: u8,
}

impl Failure {
    /// A failure with exit code 1.
    pub fn new(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            hint: None,
            code: 1,
        }
    }

    /// A usage or I/O failure: exit code 2.
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            hint: None,
            code: 2,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Failure {
        self.hint = Some(hint.into());
        self
    }
}

/// The entry point of the installed binary: `clock` when it is called by that name (the
/// buildpacks install one binary, `clockctl`, and a `clock` link to it, as rustup does for
/// `cargo`, which halves the slug), `clockctl` otherwise.
pub fn main_by_name() -> ExitCode {
    if called_as_clock(std::env::args_os().next().as_deref()) {
        clock::clock_main()
    } else {
        clockctl_main()
    }
}

/// Whether `argv0` names the clock (`clock`, `/app/.heroku-clock/bin/clock`).
fn called_as_clock(argv0: Option<&std::ffi::OsStr>) -> bool {
    argv0
        .map(std::path::Path::new)
        .and_then(std::path::Path::file_name)
        .is_some_and(|name| name == "clock")
}

/// The entry point of the `clockctl` binary.
pub fn clockctl_main() -> ExitCode {
    let cli = Clockctl::parse();
    let result = match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Next(args) => next::run(args),
        Command::Run(args) => run::run(args),
        Command::Scale(args) => scale::run(args),
        Command::Status(args) => status::run(args),
        Command::Notify(args) => notify_cmd::run(args),
        Command::History(args) => history::run(args),
        Command::Init(args) => init::run(args),
        Command::Procfile(args) => procfile_cmd::run(args),
    };
    match result {
        Ok(code) => code,
        Err(failure) => {
            report(&failure);
            ExitCode::from(failure.code)
        }
    }
}

/// Prints a failure on stderr: `error: MESSAGE`, then `hint: HINT`.
pub fn report(failure: &Failure) {
    eprintln!("error: {}", failure.message);
    if let Some(hint) = &failure.hint {
        eprintln!("hint: {hint}");
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::called_as_clock;

    #[test]
    fn the_binary_is_the_clock_only_when_called_clock() {
        for (argv0, clock) in [
            (Some("clock"), true),
            (Some("/app/.heroku-clock/bin/clock"), true),
            (Some("clockctl"), false),
            (Some("/layers/heroku-clock_clock/clock/bin/clockctl"), false),
            (Some("clock.sh"), false),
            (Some("/usr/bin/myclock"), false),
            (None, false),
        ] {
            assert_eq!(called_as_clock(argv0.map(OsStr::new)), clock, "{argv0:?}");
        }
    }
}
