//! `clockctl history [JOB]`: the runs the store remembers, newest first.
//!
//! It reads the database URL from the same variable the clock uses (the `store:`
//! block's `postgres:`), so it works as `heroku run clockctl history` and locally with
//! `DATABASE_URL=$(heroku config:get DATABASE_URL) clockctl history`. `--format json`
//! prints one JSON array (shape in docs/running-two-clocks.md). Exit codes: 0 listed
//! (even none), 1 no store or the database cannot be read, 2 usage or I/O error.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use super::Failure;
use super::async_runtime::tokio_runtime;
use super::checked_config::{Purpose, load_checked};
use super::database::read_database_url;
use crate::config;
use crate::runtime::report::rfc3339;
use crate::store::history::{self, Query, RunRow};
use crate::store::{Link, StoreError};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only the runs of this job.
    job: Option<String>,
    /// The schedule whose store to read.
    #[arg(
        long,
        short = 'c',
        value_name = "FILE",
        env = "CLOCK_CONFIG",
        default_value = "clock.yml"
    )]
    config: PathBuf,
    /// How many runs to show, newest first.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    limit: u32,
    /// Only runs scheduled within this long before now (e.g. 2h, 7d).
    #[arg(long, value_name = "DURATION", value_parser = parse_since)]
    since: Option<Duration>,
    /// `text` for people, `json` for scripts.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

fn parse_since(text: &str) -> Result<Duration, String> {
    config::parse_duration(text).map_err(|error| format!("{error}; e.g. --since 2h or 7d"))
}

pub fn run(args: Args) -> Result<ExitCode, Failure> {
    let config = load_checked(
        &args.config,
        &Purpose::with_config_flag("no history was read"),
    )?;
    let file = args.config.display().to_string();
    let Some(store) = &config.store else {
        return Err(
            Failure::new(format!("{file} has no store: block, so no history is kept")).with_hint(
                "add `store:` with `postgres: $DATABASE_URL` (see docs/running-two-clocks.md)",
            ),
        );
    };
    let url = read_database_url(&store.postgres_var, &args.config)?;
    let since = args.since.map(|since| {
        chrono::Duration::from_std(since)
            .ok()
            .and_then(|since| chrono::Utc::now().checked_sub_signed(since))
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)
    });
    let query = Query {
        job: args.job.clone(),
        since,
        limit: i64::from(args.limit),
    };
    let rows = tokio_runtime()?.block_on(read(&url, query))?;
    match args.format {
        Format::Json => {
            let json = serde_json::to_string_pretty(&rows)
                .map_err(|error| Failure::new(format!("cannot write JSON: {error}")))?;
            println!("{json}");
        }
        Format::Text => print!("{}", table(&rows)),
    }
    Ok(ExitCode::SUCCESS)
}

async fn read(url: &crate::store::DatabaseUrl, query: Query) -> Result<Vec<RunRow>, Failure> {
    let link = Link::new(url, "heroku-clock history", Duration::from_secs(15))
        .map_err(|error| Failure::new(format!("the store cannot be used: {error}")))?;
    let rows = link
        .run("reading run history", |client| async move {
            let exists: bool = client
                .query_one("SELECT to_regclass('heroku_clock.runs') IS NOT NULL", &[])
                .await
                .map_err(|error| StoreError::query("reading run history", &error))?
                .get(0);
            if !exists {
                return Ok(Vec::new());
            }
            history::read(&client, &query).await
        })
        .await
        .map_err(|error| {
            Failure::new(error.to_string())
                .with_hint("check that the database is up and the variable holds its current URL")
        });
    link.close().await;
    rows
}

/// The runs as a table, one line each; `no runs` when there are none.
fn table(rows: &[RunRow]) -> String {
    if rows.is_empty() {
        return "no runs recorded\n".to_string();
    }
    let mut lines = vec![[
        "SCHEDULED_FOR".to_string(),
        "JOB".to_string(),
        "ATTEMPT".to_string(),
        "STATUS".to_string(),
        "EXIT".to_string(),
        "DURATION".to_string(),
        "DYNO".to_string(),
    ]];
    for row in rows {
        let status = match &row.reason {
            Some(reason) => format!("{} ({reason})", row.status),
            None => row.status.clone(),
        };
        let duration = row.duration_ms.map_or_else(
            || "-".to_string(),
            |ms| config::format_duration(Duration::from_millis(u64::try_from(ms).unwrap_or(0))),
        );
        lines.push([
            rfc3339(row.scheduled_for),
            crate::visible::visible(&row.job).into_owned(),
            row.attempt.to_string(),
            status,
            row.exit_code
                .map_or_else(|| "-".to_string(), |code| code.to_string()),
            duration,
            row.dyno.as_deref().map_or_else(
                || "-".to_string(),
                |dyno| crate::visible::visible(dyno).into_owned(),
            ),
        ]);
    }
    let widths: Vec<usize> = (0..7)
        .map(|column| {
            lines
                .iter()
                .map(|line| line[column].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for line in &lines {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn the_table_shows_the_reason_beside_the_status_and_dashes_for_nothing() {
        let slot = chrono::Utc
            .with_ymd_and_hms(2026, 1, 5, 3, 0, 0)
            .single()
            .expect("valid");
        let rows = vec![
            RunRow {
                job: "nightly".into(),
                scheduled_for: slot,
                attempt: 1,
                status: "succeeded".into(),
                reason: None,
                exit_code: Some(0),
                started_at: Some(slot),
                finished_at: Some(slot),
                duration_ms: Some(90_000),
                dyno: Some("clock.1".into()),
                instance: None,
                output: None,
            },
            RunRow {
                job: "nightly".into(),
                scheduled_for: slot - chrono::Duration::days(1),
                attempt: 1,
                status: "skipped".into(),
                reason: Some("misfire".into()),
                exit_code: None,
                started_at: None,
                finished_at: None,
                duration_ms: None,
                dyno: None,
                instance: None,
                output: None,
            },
        ];
        assert_eq!(
            table(&rows),
            "SCHEDULED_FOR         JOB      ATTEMPT  STATUS             EXIT  DURATION  DYNO\n\
             2026-01-05T03:00:00Z  nightly  1        succeeded          0     1m30s     clock.1\n\
             2026-01-04T03:00:00Z  nightly  1        skipped (misfire)  -     -         -\n"
        );
        assert_eq!(table(&[]), "no runs recorded\n");
    }
}
