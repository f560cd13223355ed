//! What the leader keeps in order besides the lease: job first-seen rows, runs lost with
//! a dead clock, and pruning old history; plus the reads `clockctl status` shows.
//!
//! All of it runs on the lease's connection, between ticks, never in a claim's path.
//! Pruning deletes in small batches with a pause between them, and never a row younger
//! than the longest `misfire_grace`: a claim row is what keeps a slot from running twice.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_postgres::Client;

use super::error::StoreError;
use crate::runtime::JobMark;

/// Rows one pruning batch deletes.
pub const PRUNE_BATCH: i64 = 500;

/// Adds a first-seen row for every job that has none (at `started`, when the clock that
/// brought it started: a slot after that is one this clock was meant to run), and returns each job's make-up mark: the later of its last recorded slot and when it
/// first appeared.
///
/// # Errors
/// The failed statement.
pub async fn register_jobs(
    client: &Client,
    jobs: &[String],
    started: DateTime<Utc>,
) -> Result<Vec<JobMark>, StoreError> {
    let fail = |error| StoreError::query("registering jobs", &error);
    client
        .execute(
            "INSERT INTO heroku_clock.jobs (job, first_seen) \
             SELECT unnest($1::text[]), least($2::timestamptz, now()) ON CONFLICT DO NOTHING",
            &[&jobs, &started],
        )
        .await
        .map_err(fail)?;
    let rows = client
        .query(
            "SELECT job, greatest(first_seen, coalesce(last_slot, first_seen)) \
               FROM heroku_clock.jobs WHERE job = ANY($1::text[])",
            &[&jobs],
        )
        .await
        .map_err(fail)?;
    rows.iter()
        .map(|row| {
            Ok(JobMark {
                job: row.try_get(0).map_err(fail)?,
                after: row.try_get(1).map_err(fail)?,
            })
        })
        .collect()
}

/// A run that was open on a clock that is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LostRun {
    pub job: String,
    pub slot: DateTime<Utc>,
    pub attempt: u32,
    pub dyno: Option<String>,
}

/// Marks `lost` every open run whose clock's heartbeat expired, and returns them. Only
/// one leader gets each row back (the update locks it), so only one retries it.
///
/// # Errors
/// The failed statement.
pub async fn mark_lost(client: &Client, instance: &str) -> Result<Vec<LostRun>, StoreError> {
    let fail = |error| StoreError::query("looking for lost runs", &error);
    let rows = client
        .query(
            "UPDATE heroku_clock.runs r \
                SET status = 'lost', reason = 'clock_gone', finished_at = now() \
              WHERE r.status IN ('claimed', 'running') AND r.instance <> $1 \
                AND NOT EXISTS (SELECT 1 FROM heroku_clock.clocks c \
                                 WHERE c.instance = r.instance AND c.expires_at > now()) \
             RETURNING r.job, r.slot, r.attempt, r.dyno",
            &[&instance],
        )
        .await
        .map_err(fail)?;
    rows.iter()
        .map(|row| {
            let attempt: i32 = row.try_get(2).map_err(fail)?;
            Ok(LostRun {
                job: row.try_get(0).map_err(fail)?,
                slot: row.try_get(1).map_err(fail)?,
                attempt: u32::try_from(attempt).unwrap_or(1),
                dyno: row.try_get(3).map_err(fail)?,
            })
        })
        .collect()
}

/// Deletes up to [`PRUNE_BATCH`] finished rows whose slot is older than `keep`; returns
/// how many went. Also forgets clocks dead for longer than `keep`.
///
/// # Errors
/// The failed statement.
pub async fn prune_batch(client: &Client, keep: Duration) -> Result<u64, StoreError> {
    let fail = |error| StoreError::query("pruning run history", &error);
    let keep_secs = keep.as_secs_f64();
    let deleted = client
        .execute(
            "DELETE FROM heroku_clock.runs WHERE ctid IN ( \
                 SELECT ctid FROM heroku_clock.runs \
                  WHERE slot < now() - $1::float8 * interval '1 second' \
                    AND status NOT IN ('claimed', 'running') \
                  LIMIT $2)",
            &[&keep_secs, &PRUNE_BATCH],
        )
        .await
        .map_err(fail)?;
    client
        .execute(
            "DELETE FROM heroku_clock.clocks WHERE expires_at < now() - $1::float8 * interval '1 second'",
            &[&keep_secs],
        )
        .await
        .map_err(fail)?;
    Ok(deleted)
}

/// A clock whose heartbeat is current.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliveClock {
    pub instance: String,
    pub dyno: Option<String>,
    pub leader: bool,
    pub last_seen: DateTime<Utc>,
}

/// Every live clock, the leader first.
///
/// # Errors
/// The failed statement.
pub async fn alive_clocks(client: &Client) -> Result<Vec<AliveClock>, StoreError> {
    let fail = |error| StoreError::query("reading the live clocks", &error);
    let rows = client
        .query(
            "SELECT c.instance, c.dyno, coalesce(l.holder = c.instance AND l.expires_at > now(), false), \
                    c.last_seen \
               FROM heroku_clock.clocks c \
               LEFT JOIN heroku_clock.lease l ON l.name = 'scheduler' \
              WHERE c.expires_at > now() \
              ORDER BY 3 DESC, c.started_at",
            &[],
        )
        .await
        .map_err(fail)?;
    rows.iter()
        .map(|row| {
            Ok(AliveClock {
                instance: row.try_get(0).map_err(fail)?,
                dyno: row.try_get(1).map_err(fail)?,
                leader: row.try_get(2).map_err(fail)?,
                last_seen: row.try_get(3).map_err(fail)?,
            })
        })
        .collect()
}

/// A job's latest run that did start (skips left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastRun {
    pub job: String,
    pub slot: DateTime<Utc>,
    pub status: String,
    pub duration_ms: Option<i64>,
}

/// The latest started run of each of `jobs`.
///
/// # Errors
/// The failed statement.
pub async fn last_runs(client: &Client, jobs: &[String]) -> Result<Vec<LastRun>, StoreError> {
    let fail = |error| StoreError::query("reading the last runs", &error);
    let rows = client
        .query(
            "SELECT DISTINCT ON (job) job, slot, status, duration_ms FROM heroku_clock.runs \
              WHERE job = ANY($1::text[]) AND status <> 'skipped' \
              ORDER BY job, slot DESC, attempt DESC",
            &[&jobs],
        )
        .await
        .map_err(fail)?;
    rows.iter()
        .map(|row| {
            Ok(LastRun {
                job: row.try_get(0).map_err(fail)?,
                slot: row.try_get(1).map_err(fail)?,
                status: row.try_get(2).map_err(fail)?,
                duration_ms: row.try_get(3).map_err(fail)?,
            })
        })
        .collect()
}
