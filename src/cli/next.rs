//! `clockctl next`: when the jobs of a clock.yml, or one expression, run next.
//!
//! With a file, it prints a timeline of the next runs of every enabled job (or of
//! `--job NAME`), one line per run with the local time and its offset, noting runs that
//! DST moved or doubled. With `--cron` or `--every` it previews one expression and prints
//! exactly `--count` RFC 3339 instants, one per line and nothing else, so scripts can
//! read it. Exit codes: 0, 1 for an invalid file or expression, 2 for bad flags.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};

use super::Failure;
use super::report::{counts, format_instant, load, print_diagnostics};
use crate::config::{self, Config};
use crate::schedule::{CronExpr, DstNote, Fire, JobSchedule, Schedule};
use crate::visible::{push_visible, visible};

/// More runs than anyone reads; keeps a typo like `--count 1000000000` from hanging.
const MAX_COUNT: usize = 10_000;

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("expression").args(["cron", "every"])))]
pub struct Args {
    /// The clock.yml whose jobs to preview.
    #[arg(default_value = "clock.yml", conflicts_with_all = ["cron", "every"])]
    file: PathBuf,
    /// Only this job.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["cron", "every"])]
    job: Option<String>,
    /// How many runs to show (per job).
    #[arg(long, short = 'n', default_value_t = 5)]
    count: usize,
    /// Preview a cron expression instead of a file.
    #[arg(long, value_name = "EXPR", conflicts_with = "every")]
    cron: Option<String>,
    /// Preview an interval (`37m`, `1h30m`) instead of a file.
    #[arg(long, value_name = "DURATION")]
    every: Option<String>,
    /// The zone of `--cron` or `--every` (IANA name). A file's jobs use their own zones.
    #[arg(
        long,
        value_name = "ZONE",
        default_value = "UTC",
        requires = "expression"
    )]
    tz: String,
    /// Show runs strictly after this instant (RFC 3339) instead of now.
    #[arg(long, value_name = "RFC3339")]
    after: Option<String>,
}

pub fn run(args: Args) -> Result<ExitCode, Failure> {
    if args.count > MAX_COUNT {
        return Err(Failure::usage(format!("--count is at most {MAX_COUNT}")));
    }
    let after = match &args.after {
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                Failure::usage(format!(
                    "--after: \"{}\" is not an RFC 3339 instant",
                    visible(text)
                ))
                .with_hint(
                    "write it with an offset: 2026-03-07T00:00:00Z or 2026-03-07T00:00:00-05:00",
                )
            })?,
        None => Utc::now(),
    };
    match (&args.cron, &args.every) {
        (Some(text), _) => preview_expression(&args, Expression::Cron(text), after),
        (None, Some(text)) => preview_expression(&args, Expression::Every(text), after),
        (None, None) => preview_file(&args, after),
    }
}

/// The expression given with `--cron` or `--every`.
#[derive(Debug, Clone, Copy)]
enum Expression<'a> {
    Cron(&'a str),
    Every(&'a str),
}

fn preview_expression(
    args: &Args,
    expression: Expression<'_>,
    after: DateTime<Utc>,
) -> Result<ExitCode, Failure> {
    let tz = config::parse_time_zone(&args.tz).map_err(|suggestion| {
        let failure = Failure::usage(format!("--tz: unknown time zone \"{}\"", visible(&args.tz)));
        match suggestion {
            Some(name) => failure.with_hint(format!("did you mean \"{name}\"?")),
            None => failure.with_hint("use an IANA name such as America/New_York or UTC"),
        }
    })?;
    let schedule = match expression {
        Expression::Cron(text) => Schedule::Cron(CronExpr::parse(text).map_err(|error| {
            expression_failure(text, error.start..error.end, &error.message, error.hint)
        })?),
        Expression::Every(text) => {
            let interval = config::parse_duration(text).map_err(|error| {
                let range = error.range(text).unwrap_or(0..text.len());
                expression_failure(text, range, &error.to_string(), Some(error.hint()))
            })?;
            Schedule::Every(interval)
        }
    };
    let schedule = JobSchedule {
        schedule,
        tz,
        jitter: std::time::Duration::ZERO,
        start: None,
        end: None,
    };
    schedule.validate().map_err(|error| {
        let (message, hint) =
            config::describe_schedule_error(&error, config::ScheduleContext::default());
        let failure = Failure::new(message);
        match hint {
            Some(hint) => failure.with_hint(hint),
            None => failure,
        }
    })?;
    for fire in schedule.upcoming(after, args.count) {
        println!("{}", format_instant(fire.at, tz));
    }
    Ok(ExitCode::SUCCESS)
}

/// An error in a `--cron`/`--every` value, with a caret under the offending token.
fn expression_failure(
    text: &str,
    range: std::ops::Range<usize>,
    message: &str,
    hint: Option<String>,
) -> Failure {
    // Columns count the characters as shown: a control character shows as an escape
    // (`\t`, `\e`) several characters wide.
    let shown_width = |part: Option<&str>| {
        part.map_or(0, |s| {
            let mut shown = String::new();
            s.chars().for_each(|c| push_visible(&mut shown, c));
            shown.chars().count()
        })
    };
    let start = shown_width(text.get(..range.start.min(text.len())));
    let len = shown_width(
        text.get(range.start.min(text.len())..range.end.clamp(range.start, text.len())),
    )
    .max(1);
    let message = format!(
        "{message}\n  {}\n  {}{}",
        visible(text),
        " ".repeat(start),
        "^".repeat(len)
    );
    let failure = Failure::new(message);
    match hint {
        Some(hint) => failure.with_hint(hint),
        None => failure,
    }
}

fn preview_file(args: &Args, after: DateTime<Utc>) -> Result<ExitCode, Failure> {
    let (source, parsed) = load(&args.file, after)?;
    let file = args.file.display().to_string();
    let Some(config) = &parsed.config else {
        print_diagnostics(&file, &source, &parsed);
        eprintln!("\n{}", counts(&file, &parsed));
        return Ok(ExitCode::FAILURE);
    };
    let jobs = selected_jobs(config, args.job.as_deref())?;
    let width = jobs.iter().map(|j| j.name.len()).max().unwrap_or(0);
    let mut timeline: Vec<(Fire, &config::Job)> = jobs
        .iter()
        .flat_map(|job| {
            job.schedule
                .upcoming(after, args.count)
                .into_iter()
                .map(move |fire| (fire, *job))
        })
        .collect();
    // One timeline across jobs; ties keep file order.
    timeline.sort_by_key(|(fire, _)| fire.at);
    for (fire, job) in &timeline {
        let tz = job.schedule.tz;
        let note = fire
            .dst
            .map(|note| format!("  ({})", dst_note(note)))
            .unwrap_or_default();
        println!("{:width$}  {}{note}", job.name, format_instant(fire.at, tz));
    }
    for job in &jobs {
        if job.schedule.next_after(after).is_none() {
            eprintln!(
                "{}: no runs after {}",
                job.name,
                format_instant(after, job.schedule.tz)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The jobs to preview: `--job NAME` (disabled or not), else every enabled job.
fn selected_jobs<'a>(
    config: &'a Config,
    name: Option<&str>,
) -> Result<Vec<&'a config::Job>, Failure> {
    match name {
        Some(name) => match config.job(name) {
            Some(job) => Ok(vec![job]),
            None => {
                let names = config.jobs.iter().map(|j| j.name.as_str());
                let failure = Failure::usage(format!("no job named \"{}\"", visible(name)));
                let closest = config::closest_match(name, names.clone());
                Err(match closest {
                    Some(candidate) => failure.with_hint(format!("did you mean \"{candidate}\"?")),
                    None => failure.with_hint(format!(
                        "the jobs are: {}",
                        names.collect::<Vec<_>>().join(", ")
                    )),
                })
            }
        },
        None => Ok(config.jobs.iter().filter(|j| j.enabled).collect()),
    }
}

fn dst_note(note: DstNote) -> String {
    match note {
        DstNote::MovedFromGap { wall } => format!(
            "DST: {} does not exist that day; moved to just after the jump",
            wall.format("%H:%M")
        ),
        DstNote::FirstOfRepeat { wall } => format!(
            "DST: {} happens twice that day; this is the first",
            wall.format("%H:%M")
        ),
        DstNote::SecondOfRepeat { wall } => format!(
            "DST: {} happens twice that day; this is the second",
            wall.format("%H:%M")
        ),
    }
}
