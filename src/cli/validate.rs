//! `clockctl validate [FILE]`: check a clock.yml and show what each job will do.
//!
//! Every error and warning is printed in one run, each located in the file with the
//! line and a caret under the exact token; a valid file gets a summary of its jobs in
//! plain words with their next run. `--format json` prints the same as one JSON document
//! (shape documented in docs/commands.md, "JSON output"). Exit codes: 0 valid, 1 invalid
//! (or warnings under `--strict`), 2 usage or I/O error. Loading the file and printing its
//! diagnostics live in [`super::report`], shared with `clockctl next`.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Failure;
use super::report::{counts, format_instant, load, print_diagnostics};
use crate::config::{self, Config, Diagnostic, Job, Parsed, Severity};
use crate::schedule::Schedule;
use crate::visible::visible;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The clock.yml to check.
    #[arg(default_value = "clock.yml")]
    file: PathBuf,
    /// Treat warnings as errors (exit 1 when there are any).
    #[arg(long)]
    strict: bool,
    /// `text` for people, `json` for scripts.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Also check that every `${VAR}` the file names is set in DIR (the buildpack's
    /// ENV_DIR: one file per config var). Values are never printed.
    #[arg(long, value_name = "DIR")]
    env_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

pub fn run(args: Args) -> Result<ExitCode, Failure> {
    let now = Utc::now();
    let (source, mut parsed) = load(&args.file, now)?;
    if let (Some(dir), Some(config)) = (&args.env_dir, &parsed.config) {
        if !dir.is_dir() {
            return Err(Failure::usage(format!(
                "--env-dir {}: not a directory",
                dir.display()
            )));
        }
        let missing = super::env_dir::check(config, dir);
        parsed.diagnostics.extend(missing);
        parsed.diagnostics.sort_by_key(|d| (d.line, d.column));
    }
    if args.strict {
        for diagnostic in &mut parsed.diagnostics {
            diagnostic.severity = Severity::Error;
        }
    }
    let valid = parsed.config.is_some() && parsed.count(Severity::Error) == 0;
    let file = args.file.display().to_string();
    match args.format {
        Format::Json => {
            let report = Report::new(&file, &parsed, valid, now);
            let json = serde_json::to_string_pretty(&report)
                .map_err(|e| Failure::new(format!("cannot write JSON: {e}")))?;
            println!("{json}");
        }
        Format::Text => {
            print_diagnostics(&file, &source, &parsed);
            match (&parsed.config, valid) {
                (Some(config), true) => print!("{}", summary(&file, config, &parsed, now)),
                _ => eprintln!("\n{}", counts(&file, &parsed)),
            }
        }
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn summary(file: &str, config: &Config, parsed: &Parsed, now: DateTime<Utc>) -> String {
    let jobs = config.jobs.len();
    let warnings = parsed.count(Severity::Warning);
    let mut out = format!(
        "{file} is valid: {jobs} job{}{}\n",
        if jobs == 1 { "" } else { "s" },
        match warnings {
            0 => String::new(),
            1 => ", 1 warning".to_owned(),
            n => format!(", {n} warnings"),
        }
    );
    for job in &config.jobs {
        out.push('\n');
        out.push_str(&job.name);
        if !job.enabled {
            out.push_str(" (disabled)");
        }
        out.push('\n');
        out.push_str(&format!("  schedule: {}\n", job.schedule.describe()));
        let next = if job.enabled {
            next_run(job, now).unwrap_or_else(|| "none (no more runs)".to_owned())
        } else {
            "none (disabled)".to_owned()
        };
        out.push_str(&format!("  next run: {next}\n"));
        out.push_str(&format!("  command:  {}\n", visible(&job.command)));
    }
    out
}

/// The next run, in the job's zone with its offset.
fn next_run(job: &Job, now: DateTime<Utc>) -> Option<String> {
    job.schedule
        .next_after(now)
        .map(|fire| format_instant(fire.at, job.schedule.tz))
}

/// The `--format json` document. Field names and meanings are a documented interface.
#[derive(Serialize)]
struct Report<'a> {
    file: &'a str,
    valid: bool,
    errors: usize,
    warnings: usize,
    diagnostics: Vec<DiagnosticJson<'a>>,
    jobs: Vec<JobJson>,
}

#[derive(Serialize)]
struct DiagnosticJson<'a> {
    severity: &'static str,
    line: u32,
    column: u32,
    length: u32,
    message: &'a str,
    hint: Option<&'a str>,
}

#[derive(Serialize)]
struct JobJson {
    name: String,
    line: u32,
    enabled: bool,
    description: Option<String>,
    command: String,
    schedule: ScheduleJson,
    timeout_seconds: Option<u64>,
    overlap: &'static str,
    retries: u32,
    next_run: Option<String>,
    /// The monitor's service (`healthchecks`, ...); never its URL.
    monitor: Option<&'static str>,
    /// The channels its alerts go to.
    alert_to: Option<Vec<String>>,
}

#[derive(Serialize)]
struct ScheduleJson {
    kind: &'static str,
    expression: String,
    timezone: &'static str,
    description: String,
    jitter_ms: u64,
}

impl<'a> Report<'a> {
    fn new(file: &'a str, parsed: &'a Parsed, valid: bool, now: DateTime<Utc>) -> Report<'a> {
        let jobs = match (&parsed.config, valid) {
            (Some(config), true) => config.jobs.iter().map(|job| job_json(job, now)).collect(),
            _ => Vec::new(),
        };
        Report {
            file,
            valid,
            errors: parsed.count(Severity::Error),
            warnings: parsed.count(Severity::Warning),
            diagnostics: parsed.diagnostics.iter().map(diagnostic_json).collect(),
            jobs,
        }
    }
}

fn diagnostic_json(d: &Diagnostic) -> DiagnosticJson<'_> {
    DiagnosticJson {
        severity: d.severity.as_str(),
        line: d.line,
        column: d.column,
        length: d.len,
        message: &d.message,
        hint: d.hint.as_deref(),
    }
}

fn job_json(job: &Job, now: DateTime<Utc>) -> JobJson {
    let (kind, expression) = match &job.schedule.schedule {
        Schedule::Cron(expr) => ("cron", expr.as_str().to_owned()),
        Schedule::Every(interval) => ("every", config::format_duration(*interval)),
        Schedule::At(at) => ("at", config::format_at(*at)),
    };
    JobJson {
        name: job.name.clone(),
        line: job.line,
        enabled: job.enabled,
        description: job.description.clone(),
        command: job.command.clone(),
        schedule: ScheduleJson {
            kind,
            expression,
            timezone: job.schedule.tz.name(),
            description: job.schedule.describe(),
            jitter_ms: u64::try_from(job.schedule.jitter.as_millis()).unwrap_or(u64::MAX),
        },
        timeout_seconds: job.timeout.map(|t| t.as_secs()),
        overlap: job.overlap.as_str(),
        retries: job.retries,
        next_run: if job.enabled {
            next_run(job, now)
        } else {
            None
        },
        monitor: job.monitor.as_ref().map(config::Monitor::kind),
        alert_to: job.alert.as_ref().map(|alert| alert.to.clone()),
    }
}
