//! The store's part of `clockctl status`: which clocks are alive (leader or standby, last
//! seen) and each job's last run, with how many runs in a row have failed when it is
//! failing, read from the database the `store:` block names.
//!
//! It reads the URL from the same variable the clock uses; locally that is
//! `DATABASE_URL=$(heroku config:get DATABASE_URL) clockctl status`. An unset variable or
//! an unreachable database is shown, not an error: the rest of the status still helps.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::async_runtime::tokio_runtime;
use super::database::read_database_url;
use crate::config::{Config, StoreConfig};
use crate::runtime::report::rfc3339;
use crate::store::{Link, StoreError, streaks, upkeep};
use crate::visible::visible;

/// The store as `status` shows it.
#[derive(Debug, Serialize)]
pub struct StoreReport {
    /// The variable `postgres:` names.
    pub variable: String,
    pub status: StoreStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The live clocks, the leader first.
    pub clocks: Vec<ClockReport>,
}

/// `ok`, `unset` (the variable is not set here) or `unavailable` (no answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreStatus {
    Ok,
    Unset,
    Unavailable,
}

#[derive(Debug, Serialize)]
pub struct ClockReport {
    pub dyno: Option<String>,
    pub instance: String,
    /// `leader` or `standby`.
    pub role: &'static str,
    pub last_seen: String,
}

/// A job's latest run that started.
#[derive(Debug, Clone, Serialize)]
pub struct LastRunReport {
    pub scheduled_for: String,
    pub status: String,
    pub duration_ms: Option<i64>,
    /// Failed runs in a row, as alerts count them (0 when the job is not failing, or has
    /// no `alert:`).
    pub failures_in_a_row: u32,
}

/// Reads the store `block` of `config`; the last run of each enabled job by name.
pub fn read(
    block: &StoreConfig,
    config: &Config,
    path: &Path,
) -> (StoreReport, HashMap<String, LastRunReport>) {
    let mut report = StoreReport {
        variable: block.postgres_var.clone(),
        status: StoreStatus::Ok,
        problem: None,
        clocks: Vec::new(),
    };
    let url = match read_database_url(&block.postgres_var, path) {
        Ok(url) => url,
        Err(failure) => {
            report.status = StoreStatus::Unset;
            report.problem = Some(format!(
                "{}; to read it from here: {}=$(heroku config:get {}) clockctl status",
                failure.message, block.postgres_var, block.postgres_var
            ));
            return (report, HashMap::new());
        }
    };
    let jobs: Vec<String> = config
        .jobs
        .iter()
        .filter(|job| job.enabled)
        .map(|job| job.name.clone())
        .collect();
    let read = tokio_runtime()
        .map_err(|failure| failure.message)
        .and_then(|runtime| {
            runtime.block_on(async {
                let link = Link::new(&url, "heroku-clock status", Duration::from_secs(10))
                    .map_err(|error| error.to_string())?;
                let found = link
                    .run("reading the store", |client| async move {
                        let exists: bool = client
                            .query_one("SELECT to_regclass('heroku_clock.runs') IS NOT NULL", &[])
                            .await
                            .map_err(|error| StoreError::query("reading the store", &error))?
                            .get(0);
                        if !exists {
                            return Ok((Vec::new(), Vec::new(), Vec::new()));
                        }
                        let clocks = upkeep::alive_clocks(&client).await?;
                        let last = upkeep::last_runs(&client, &jobs).await?;
                        let failing = streaks::failing(&client, &jobs).await?;
                        Ok((clocks, last, failing))
                    })
                    .await
                    .map_err(|error| error.to_string());
                link.close().await;
                found
            })
        });
    match read {
        Ok((clocks, last, failing)) => {
            let failing: HashMap<String, u32> = failing.into_iter().collect();
            report.clocks = clocks
                .into_iter()
                .map(|clock| ClockReport {
                    dyno: clock.dyno.map(|dyno| visible(&dyno).into_owned()),
                    instance: visible(&clock.instance).into_owned(),
                    role: if clock.leader { "leader" } else { "standby" },
                    last_seen: rfc3339(clock.last_seen),
                })
                .collect();
            let last = last
                .into_iter()
                .map(|run| {
                    let report = LastRunReport {
                        scheduled_for: rfc3339(run.slot),
                        status: run.status,
                        duration_ms: run.duration_ms,
                        failures_in_a_row: failing.get(&run.job).copied().unwrap_or(0),
                    };
                    (run.job, report)
                })
                .collect();
            (report, last)
        }
        Err(problem) => {
            report.status = StoreStatus::Unavailable;
            report.problem = Some(problem);
            (report, HashMap::new())
        }
    }
}

/// The store's lines of the text status.
pub fn render(report: &StoreReport, now: DateTime<Utc>, out: &mut String) {
    match report.status {
        StoreStatus::Ok => {
            out.push_str(&format!("clocks (store ${}):\n", report.variable));
            if report.clocks.is_empty() {
                out.push_str("  none alive\n");
            }
            for clock in &report.clocks {
                let seen = DateTime::parse_from_rfc3339(&clock.last_seen)
                    .map(|at| (now - at.with_timezone(&Utc)).num_seconds().max(0))
                    .map(|ago| format!("{ago}s ago"))
                    .unwrap_or_else(|_| clock.last_seen.clone());
                out.push_str(&format!(
                    "  {}: {}, last seen {seen}\n",
                    clock.dyno.as_deref().unwrap_or(&clock.instance),
                    clock.role
                ));
            }
        }
        _ => out.push_str(&format!(
            "clocks: store ${} not read: {}\n",
            report.variable,
            report.problem.as_deref().unwrap_or("")
        )),
    }
}

/// ` last: succeeded 2026-01-05T03:00:00Z (1m30s)` for a job's line.
pub fn last_run_words(last: Option<&LastRunReport>) -> String {
    match last {
        None => String::new(),
        Some(run) => {
            let took = run
                .duration_ms
                .map(|ms| {
                    format!(
                        " ({})",
                        crate::config::format_duration(Duration::from_millis(
                            u64::try_from(ms).unwrap_or(0)
                        ))
                    )
                })
                .unwrap_or_default();
            let streak = match run.failures_in_a_row {
                0 | 1 => String::new(),
                n => format!(", {n} failed in a row"),
            };
            format!("  last: {} {}{took}{streak}", run.status, run.scheduled_for)
        }
    }
}
