//! Failure streaks in the database: one row per job in `heroku_clock.streaks`, so the
//! `after`, `recovery` and `repeat` of alerts survive restarts and deploys, and every
//! clock on the store counts the same streak.
//!
//! An outcome is applied as a compare-and-swap, never inside a transaction (the claims
//! connection is shared, and Heroku's transaction-mode pooler must keep working): read
//! the row and the database's `now()`, apply [`policy::decide`] in Rust, write the row
//! back only if its `version` is still the one read, and start over when another clock
//! got in between (after a short random wait). The row also keeps the keys of the last [`RECENT`] outcomes it
//! counted, so an outcome two clocks both report (a slot both saw missed) counts once.
//! Times are the database's, so `repeat` means the same on every dyno.

use chrono::{DateTime, Utc};
use tokio_postgres::Client;

use super::error::StoreError;
use crate::config::Alert;
use crate::notify::policy::{self, Streak};
use crate::notify::streaks::{Counted, Decision};

/// How many counted outcomes a row remembers, for recognising a second report.
pub const RECENT: usize = 16;
/// How many times an outcome is tried against rows other clocks keep changing.
const TRIES: u32 = 8;
/// The most a try waits before the next, times the number of tries so far (a random
/// share of it, so two clocks in step fall out of step).
const BACKOFF_STEP_MS: u64 = 10;

const READ: &str = r#"
SELECT s.failures, s.alerted_at, s.recent, s.version, now()
  FROM (SELECT 1) AS one
  LEFT JOIN heroku_clock.streaks s ON s.job = $1
"#;

/// `$1` job, `$2` failures, `$3` alerted_at, `$4` recent, `$5` the version read.
const UPDATE: &str = r#"
UPDATE heroku_clock.streaks
   SET failures = $2, alerted_at = $3, recent = $4, version = version + 1, updated_at = now()
 WHERE job = $1 AND version = $5
"#;

const INSERT: &str = r#"
INSERT INTO heroku_clock.streaks (job, failures, alerted_at, recent)
VALUES ($1, $2, $3, $4)
ON CONFLICT (job) DO NOTHING
"#;

/// `$1` jobs: those failing now, with how many runs in a row.
const FAILING: &str = r#"
SELECT job, failures FROM heroku_clock.streaks WHERE job = ANY($1) AND failures > 0
"#;

/// Which of `jobs` are failing, with how many failed runs in a row (for `clockctl
/// status`); none on a database no clock with streaks has migrated yet.
///
/// # Errors
/// The failed statement.
pub async fn failing(client: &Client, jobs: &[String]) -> Result<Vec<(String, u32)>, StoreError> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('heroku_clock.streaks') IS NOT NULL",
            &[],
        )
        .await
        .map_err(|e| fail(&e))?
        .get(0);
    if !exists {
        return Ok(Vec::new());
    }
    let rows = client
        .query(FAILING, &[&jobs])
        .await
        .map_err(|e| fail(&e))?;
    rows.iter()
        .map(|row| {
            let job: String = row.try_get(0).map_err(|e| fail(&e))?;
            let failures: i32 = row.try_get(1).map_err(|e| fail(&e))?;
            Ok((job, u32::try_from(failures).unwrap_or(0)))
        })
        .collect()
}

/// A job's row as read.
struct Row {
    streak: Streak,
    recent: Vec<String>,
    /// `None`: the job has no row yet.
    version: Option<i64>,
    now: DateTime<Utc>,
}

fn fail(error: &tokio_postgres::Error) -> StoreError {
    StoreError::query("keeping a failure streak", error)
}

async fn read(client: &Client, job: &str) -> Result<Row, StoreError> {
    let row = client
        .query_one(READ, &[&job])
        .await
        .map_err(|e| fail(&e))?;
    let failures: Option<i32> = row.try_get(0).map_err(|e| fail(&e))?;
    let alerted_at: Option<DateTime<Utc>> = row.try_get(1).map_err(|e| fail(&e))?;
    let recent: Option<Vec<String>> = row.try_get(2).map_err(|e| fail(&e))?;
    let version: Option<i64> = row.try_get(3).map_err(|e| fail(&e))?;
    let now: DateTime<Utc> = row.try_get(4).map_err(|e| fail(&e))?;
    Ok(Row {
        streak: Streak {
            failures: failures.map_or(0, |n| u32::try_from(n).unwrap_or(0)),
            alerted_at,
        },
        recent: recent.unwrap_or_default(),
        version,
        now,
    })
}

/// A random number of milliseconds in `0..=most`.
fn jitter(most: u64) -> u64 {
    use ring::rand::SecureRandom as _;
    let mut bytes = [0_u8; 8];
    let _ = ring::rand::SystemRandom::new().fill(&mut bytes);
    u64::from_le_bytes(bytes) % (most + 1)
}

/// Applies `counted` to its job's row, starting from `newer` (this clock's copy) when
/// the clock holds outcomes the row never heard of.
///
/// # Errors
/// The failed statement, or a [`StoreError::Query`] when other clocks changed the row
/// [`TRIES`] times in a row.
pub async fn apply(
    client: &Client,
    alert: &Alert,
    counted: &Counted,
    newer: Option<&Streak>,
) -> Result<Decision, StoreError> {
    let key = counted.key();
    for tried in 0..TRIES {
        if tried > 0 {
            let most = BACKOFF_STEP_MS * u64::from(tried);
            tokio::time::sleep(std::time::Duration::from_millis(jitter(most))).await;
        }
        let row = read(client, &counted.job).await?;
        if row.recent.contains(&key) {
            return Ok(Decision {
                send: None,
                streak: row.streak,
            });
        }
        let mut streak = newer.cloned().unwrap_or(row.streak);
        let send = policy::decide(alert, &mut streak, counted.on, row.now);
        let mut recent = row.recent;
        recent.push(key.clone());
        if recent.len() > RECENT {
            recent.drain(..recent.len() - RECENT);
        }
        let failures = i32::try_from(streak.failures).unwrap_or(i32::MAX);
        let written = match row.version {
            Some(version) => client
                .execute(
                    UPDATE,
                    &[
                        &counted.job,
                        &failures,
                        &streak.alerted_at,
                        &recent,
                        &version,
                    ],
                )
                .await
                .map_err(|e| fail(&e))?,
            None => client
                .execute(
                    INSERT,
                    &[&counted.job, &failures, &streak.alerted_at, &recent],
                )
                .await
                .map_err(|e| fail(&e))?,
        };
        if written == 1 {
            return Ok(Decision { send, streak });
        }
    }
    Err(StoreError::Query {
        what: "keeping a failure streak",
        code: None,
        detail: format!("other clocks changed the row {TRIES} times in a row"),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::TimeZone as _;

    use super::*;
    use crate::config::AlertOn;
    use crate::notify::policy::Send;
    use crate::store::schema;
    use crate::store::testdb::TestDb;

    fn policy(after: u32, repeat: Option<u64>) -> Alert {
        Alert {
            to: vec!["ops".into()],
            on: AlertOn::DEFAULT.to_vec(),
            after,
            recovery: true,
            repeat: repeat.map(std::time::Duration::from_secs),
        }
    }

    fn counted(minute: u32, on: AlertOn) -> Counted {
        Counted {
            job: "backup".into(),
            slot: Utc.with_ymd_and_hms(2026, 3, 1, 3, minute, 0).unwrap(),
            attempt: Some(1),
            on,
        }
    }

    /// Two connections to one migrated database: two clocks.
    async fn two_clocks() -> (TestDb, Client, Client) {
        let db = TestDb::create().await;
        let a = db.client().await;
        schema::migrate(&a).await.expect("migrates");
        let b = db.client().await;
        (db, a, b)
    }

    async fn sent(client: &Client, alert: &Alert, counted: Counted) -> (Option<Send>, u32) {
        let decision = apply(client, alert, &counted, None).await.expect("applies");
        (decision.send, decision.streak.failures)
    }

    #[tokio::test]
    async fn a_streak_outlives_the_clock_that_counted_it() {
        let (_db, a, b) = two_clocks().await;
        let alert = policy(2, None);
        assert_eq!(
            sent(&a, &alert, counted(0, AlertOn::Failed)).await,
            (None, 1)
        );
        drop(a);
        // The next clock (a restart, a deploy) goes on counting.
        assert_eq!(
            sent(&b, &alert, counted(1, AlertOn::TimedOut)).await,
            (Some(Send::Alert), 2)
        );
        assert_eq!(
            sent(&b, &alert, counted(2, AlertOn::Failed)).await,
            (None, 3)
        );
        assert_eq!(
            sent(&b, &alert, counted(3, AlertOn::Succeeded)).await,
            (Some(Send::Recovery), 0)
        );
    }

    #[tokio::test]
    async fn an_outcome_two_clocks_report_counts_once() {
        let (_db, a, b) = two_clocks().await;
        let alert = policy(1, None);
        assert_eq!(
            sent(&a, &alert, counted(0, AlertOn::Missed)).await,
            (Some(Send::Alert), 1)
        );
        assert_eq!(
            sent(&b, &alert, counted(0, AlertOn::Missed)).await,
            (None, 1),
            "the same missed slot, from the other clock"
        );
    }

    #[tokio::test]
    async fn repeat_is_timed_by_the_database() {
        let (_db, a, b) = two_clocks().await;
        let alert = policy(1, Some(6 * 3600));
        assert_eq!(
            sent(&a, &alert, counted(0, AlertOn::Failed)).await,
            (Some(Send::Alert), 1)
        );
        assert_eq!(
            sent(&b, &alert, counted(1, AlertOn::Failed)).await,
            (None, 2)
        );
        a.execute(
            "UPDATE heroku_clock.streaks SET alerted_at = now() - interval '7 hours'",
            &[],
        )
        .await
        .expect("seven hours pass");
        assert_eq!(
            sent(&b, &alert, counted(2, AlertOn::Failed)).await,
            (Some(Send::Reminder), 3)
        );
        assert_eq!(
            sent(&a, &alert, counted(3, AlertOn::Failed)).await,
            (None, 4)
        );
    }

    #[tokio::test]
    async fn outcomes_from_two_clocks_at_once_are_each_counted() {
        let (_db, a, b) = two_clocks().await;
        let (a, b) = (Arc::new(a), Arc::new(b));
        let alert = Arc::new(policy(1, None));
        // Each clock applies its own outcomes in order (one task per clock), both at once.
        let mut tasks = Vec::new();
        for (first, client) in [(0, a.clone()), (1, b.clone())] {
            let alert = alert.clone();
            tasks.push(tokio::spawn(async move {
                let mut alerts = 0;
                for minute in (first..20).step_by(2) {
                    let decision = apply(&client, &alert, &counted(minute, AlertOn::Failed), None)
                        .await
                        .expect("applies");
                    alerts += usize::from(decision.send == Some(Send::Alert));
                }
                alerts
            }));
        }
        let mut alerts = 0;
        for task in tasks {
            alerts += task.await.expect("joins");
        }
        let failures: i32 = a
            .query_one("SELECT failures FROM heroku_clock.streaks", &[])
            .await
            .expect("read")
            .get(0);
        assert_eq!(failures, 20, "no outcome lost to a race");
        assert_eq!(alerts, 1, "one first alert, whoever counted it");
    }

    #[tokio::test]
    async fn a_clocks_own_newer_copy_replaces_the_row_and_old_keys_are_forgotten() {
        let (_db, a, _b) = two_clocks().await;
        let alert = policy(3, None);
        let newer = Streak {
            failures: 4,
            alerted_at: Some(Utc::now()),
        };
        let decision = apply(&a, &alert, &counted(0, AlertOn::Failed), Some(&newer))
            .await
            .expect("applies");
        assert_eq!(decision.streak.failures, 5);
        assert_eq!(decision.send, None, "already alerted, no repeat");
        for minute in 1..=(RECENT as u32 + 1) {
            apply(&a, &alert, &counted(minute, AlertOn::Skipped), None)
                .await
                .expect("applies");
        }
        let recent: Vec<String> = a
            .query_one("SELECT recent FROM heroku_clock.streaks", &[])
            .await
            .expect("read")
            .get(0);
        assert_eq!(recent.len(), RECENT);
        assert!(!recent.contains(&counted(0, AlertOn::Failed).key()));
    }
}
