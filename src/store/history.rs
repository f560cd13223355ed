//! Run history: writing each [`RunNote`] as a row change, and reading runs back.
//!
//! A run's row is made by its claim (`claimed`), then moves to `running` and to how it
//! ended; a slot that did not run gets a `skipped` row with the reason. Only the clock
//! that owns a row changes it, except that a new leader marks the open rows of a dead
//! clock `lost` (see [`super::upkeep`]); if that clock was only cut off and comes back,
//! its own outcome overwrites `lost`. Times come from the note (when it happened on the
//! dyno), not from when the row is written, which can be much later after an outage.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_postgres::Client;
use tokio_postgres::types::ToSql;

use super::error::StoreError;
use crate::runtime::RunNote;

/// The most output kept per run, in bytes (the tail).
pub const OUTPUT_BYTES: usize = 4096;

/// Who writes: this clock's instance id and dyno name.
#[derive(Debug, Clone)]
pub struct Writer {
    pub instance: String,
    pub dyno: Option<String>,
}

const STARTED: &str = r#"
INSERT INTO heroku_clock.runs AS r (job, slot, attempt, status, started_at, instance, dyno)
VALUES ($1, $2, $3, 'running', $4, $5, $6)
ON CONFLICT (job, slot, attempt) DO UPDATE
   SET status = 'running', started_at = EXCLUDED.started_at, reason = NULL,
       dyno = coalesce(EXCLUDED.dyno, r.dyno)
 WHERE r.instance = EXCLUDED.instance
"#;

const ENDED: &str = r#"
UPDATE heroku_clock.runs
   SET status = $4, reason = $5, exit_code = $6, finished_at = $7, duration_ms = $8,
       output = $9, started_at = coalesce(started_at, $7::timestamptz - $8::bigint * interval '1 millisecond')
 WHERE job = $1 AND slot = $2 AND attempt = $3 AND instance = $10
"#;

const SKIPPED: &str = r#"
INSERT INTO heroku_clock.runs AS r (job, slot, attempt, status, reason, finished_at, instance, dyno)
VALUES ($1, $2, $3, 'skipped', $4, now(), $5, $6)
ON CONFLICT (job, slot, attempt) DO UPDATE
   SET status = 'skipped', reason = EXCLUDED.reason, finished_at = EXCLUDED.finished_at
 WHERE r.instance = EXCLUDED.instance AND r.status = 'claimed'
"#;

const MISSED: &str = r#"
INSERT INTO heroku_clock.runs (job, slot, attempt, status, reason, finished_at, instance, dyno)
SELECT $1, s, 1, 'skipped', 'misfire', now(), $3, $4 FROM unnest($2::timestamptz[]) AS s
ON CONFLICT (job, slot, attempt) DO NOTHING
"#;

/// Writes one note.
///
/// # Errors
/// The failed statement (the caller keeps the note and tries again later).
pub async fn write(client: &Client, writer: &Writer, note: &RunNote) -> Result<(), StoreError> {
    let fail = |error| StoreError::query("writing run history", &error);
    let instance = &writer.instance;
    let dyno = &writer.dyno;
    match note {
        RunNote::Started {
            job,
            slot,
            attempt,
            at,
        } => {
            let attempt = attempt_i32(*attempt);
            client
                .execute(STARTED, &[job, slot, &attempt, at, instance, dyno])
                .await
                .map_err(fail)?;
        }
        RunNote::Ended {
            job,
            slot,
            attempt,
            at,
            status,
            reason,
            exit_code,
            duration,
            output,
        } => {
            let attempt = attempt_i32(*attempt);
            let duration_ms = duration_ms(*duration);
            let output = output.as_deref().map(tail);
            let params: [&(dyn ToSql + Sync); 10] = [
                job,
                slot,
                &attempt,
                &status.as_str(),
                reason,
                exit_code,
                at,
                &duration_ms,
                &output,
                instance,
            ];
            client.execute(ENDED, &params).await.map_err(fail)?;
        }
        RunNote::Skipped {
            job,
            slot,
            attempt,
            reason,
        } => {
            let attempt = attempt_i32(*attempt);
            client
                .execute(
                    SKIPPED,
                    &[job, slot, &attempt, &reason.as_str(), instance, dyno],
                )
                .await
                .map_err(fail)?;
        }
        RunNote::Missed { job, slots } => {
            client
                .execute(MISSED, &[job, slots, instance, dyno])
                .await
                .map_err(fail)?;
        }
    }
    Ok(())
}

fn attempt_i32(attempt: u32) -> i32 {
    i32::try_from(attempt).unwrap_or(i32::MAX)
}

fn duration_ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// The last [`OUTPUT_BYTES`] of `output`, cut at a character boundary.
pub fn tail(output: &str) -> String {
    if output.len() <= OUTPUT_BYTES {
        return output.to_string();
    }
    let mut start = output.len() - OUTPUT_BYTES;
    while !output.is_char_boundary(start) {
        start += 1;
    }
    output[start..].to_string()
}

/// One row of history, as `clockctl history` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunRow {
    pub job: String,
    #[serde(serialize_with = "rfc3339")]
    pub scheduled_for: DateTime<Utc>,
    pub attempt: i32,
    pub status: String,
    pub reason: Option<String>,
    pub exit_code: Option<i32>,
    #[serde(serialize_with = "rfc3339_opt")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "rfc3339_opt")]
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
    pub dyno: Option<String>,
    pub instance: Option<String>,
    pub output: Option<String>,
}

fn rfc3339<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::runtime::report::rfc3339(*t))
}

fn rfc3339_opt<S: serde::Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => rfc3339(t, s),
        None => s.serialize_none(),
    }
}

/// Which runs to read.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub job: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub limit: i64,
}

/// The runs `query` asks for, newest slot first.
///
/// # Errors
/// The failed statement.
pub async fn read(client: &Client, query: &Query) -> Result<Vec<RunRow>, StoreError> {
    let rows = client
        .query(
            "SELECT job, slot, attempt, status, reason, exit_code, started_at, finished_at, \
                    duration_ms, dyno, instance, output \
               FROM heroku_clock.runs \
              WHERE ($1::text IS NULL OR job = $1) AND ($2::timestamptz IS NULL OR slot >= $2) \
              ORDER BY slot DESC, attempt DESC, job \
              LIMIT $3",
            &[&query.job, &query.since, &query.limit],
        )
        .await
        .map_err(|error| StoreError::query("reading run history", &error))?;
    rows.iter()
        .map(|row| {
            let get = |error| StoreError::query("reading run history", &error);
            Ok(RunRow {
                job: row.try_get(0).map_err(get)?,
                scheduled_for: row.try_get(1).map_err(get)?,
                attempt: row.try_get(2).map_err(get)?,
                status: row.try_get(3).map_err(get)?,
                reason: row.try_get(4).map_err(get)?,
                exit_code: row.try_get(5).map_err(get)?,
                started_at: row.try_get(6).map_err(get)?,
                finished_at: row.try_get(7).map_err(get)?,
                duration_ms: row.try_get(8).map_err(get)?,
                dyno: row.try_get(9).map_err(get)?,
                instance: row.try_get(10).map_err(get)?,
                output: row.try_get(11).map_err(get)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_keeps_the_last_bytes_on_a_character_boundary() {
        assert_eq!(tail("short"), "short");
        let long = format!("{}{}", "a".repeat(5000), "é".repeat(10));
        let kept = tail(&long);
        assert!(kept.len() <= OUTPUT_BYTES, "{}", kept.len());
        assert!(kept.ends_with("éééééééééé"));
        let odd = format!("{}{}", "é".repeat(3000), "b");
        let kept = tail(&odd);
        assert!(kept.len() <= OUTPUT_BYTES && kept.len() >= OUTPUT_BYTES - 1);
        assert!(kept.ends_with('b'));
    }
}
