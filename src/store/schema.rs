//! The clock's own tables, in schema `heroku_clock`, and the migrations that make them.
//!
//! Migrations are an ordered list of SQL texts, applied in one transaction under a
//! transaction-scoped advisory lock: two clocks starting at once wait for each other
//! instead of racing `CREATE TABLE IF NOT EXISTS` (which is not safe concurrently). Each
//! migration says which schema version a clock must know at least to use the database
//! after it (`readable_by`): a migration that only adds is readable by the clocks before
//! it, so rolling a release back keeps working; one that changes what old code relies on
//! raises the bar, and an older clock then refuses to start rather than run against
//! tables it does not understand. Nothing here touches the app's own tables.
//!
//! Tables: `lease` (one row: who schedules, until when, by the database's clock),
//! `clocks` (every live clock process, for `clockctl status` and lost-run detection),
//! `jobs` (when each job first appeared and its latest recorded slot), `runs` (one row
//! per attempt; the primary key `(job, slot, attempt)` is the claim) and `streaks` (each
//! job's run of failures, for alerts: see [`super::streaks`]).

use tokio_postgres::Client;

use super::error::StoreError;

/// The schema every table lives in.
pub const SCHEMA: &str = "heroku_clock";

/// `pg_advisory_xact_lock` key for migrations: "heroku_clock" folded into an i64.
const MIGRATION_LOCK: i64 = 0x6865_726f_6b75_636c;

/// One step of the schema.
struct Migration {
    sql: &'static str,
    /// The oldest schema version a clock must know to use the database after this step.
    readable_by: i32,
}

/// Every migration, in order; version N is `MIGRATIONS[N - 1]`. Never edit one that
/// shipped: add the next.
const MIGRATIONS: &[Migration] = &[
    Migration {
        sql: V1,
        readable_by: 1,
    },
    // Only adds a table: clocks of version 1 use the database as before (but they
    // were built before `readable_by`, and refuse any newer version).
    Migration {
        sql: V2,
        readable_by: 1,
    },
];

const V1: &str = r#"
CREATE TABLE heroku_clock.lease (
    name        text PRIMARY KEY,
    holder      text NOT NULL,
    dyno        text,
    acquired_at timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);
CREATE TABLE heroku_clock.clocks (
    instance   text PRIMARY KEY,
    dyno       text,
    started_at timestamptz NOT NULL DEFAULT now(),
    last_seen  timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    leader     boolean NOT NULL DEFAULT false
);
CREATE TABLE heroku_clock.jobs (
    job        text PRIMARY KEY,
    first_seen timestamptz NOT NULL DEFAULT now(),
    last_slot  timestamptz
);
CREATE TABLE heroku_clock.runs (
    job         text NOT NULL,
    slot        timestamptz NOT NULL,
    attempt     integer NOT NULL,
    status      text NOT NULL,
    reason      text,
    exit_code   integer,
    claimed_at  timestamptz NOT NULL DEFAULT now(),
    started_at  timestamptz,
    finished_at timestamptz,
    duration_ms bigint,
    dyno        text,
    instance    text,
    output      text,
    PRIMARY KEY (job, slot, attempt)
);
CREATE INDEX runs_by_slot ON heroku_clock.runs (slot);
CREATE INDEX runs_open ON heroku_clock.runs (instance) WHERE status IN ('claimed', 'running');
CREATE FUNCTION heroku_clock.note_slot() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE heroku_clock.jobs SET last_slot = NEW.slot
     WHERE job = NEW.job AND (last_slot IS NULL OR last_slot < NEW.slot);
    RETURN NULL;
END
$$;
CREATE TRIGGER runs_note_slot AFTER INSERT ON heroku_clock.runs
    FOR EACH ROW EXECUTE FUNCTION heroku_clock.note_slot();
"#;

const V2: &str = r#"
CREATE TABLE heroku_clock.streaks (
    job        text PRIMARY KEY,
    failures   integer NOT NULL DEFAULT 0,
    alerted_at timestamptz,
    recent     text[] NOT NULL DEFAULT '{}',
    version    bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
"#;

/// The newest version this binary knows.
pub fn latest() -> i32 {
    i32::try_from(MIGRATIONS.len()).unwrap_or(i32::MAX)
}

/// Brings the schema to [`latest`]; returns the versions it applied (none when current).
///
/// # Errors
/// [`StoreError::ReadOnly`] on a replica, [`StoreError::SchemaTooNew`] when a newer
/// clock migrated the database in a way this one cannot use, or the failed statement.
pub async fn migrate(client: &Client) -> Result<Vec<i32>, StoreError> {
    let fail = |error| StoreError::query("migrating the heroku_clock schema", &error);
    let in_recovery: bool = client
        .query_one("SELECT pg_is_in_recovery()", &[])
        .await
        .map_err(fail)?
        .get(0);
    if in_recovery {
        return Err(StoreError::ReadOnly);
    }
    // A quick look first: a clock restarting against a current schema takes no lock.
    if current_version(client).await? == Some(latest()) {
        return Ok(Vec::new());
    }
    client.batch_execute("BEGIN").await.map_err(fail)?;
    let applied = apply_locked(client).await;
    let end = if applied.is_ok() {
        "COMMIT"
    } else {
        "ROLLBACK"
    };
    client.batch_execute(end).await.map_err(fail)?;
    applied
}

async fn apply_locked(client: &Client) -> Result<Vec<i32>, StoreError> {
    let fail = |error| StoreError::query("migrating the heroku_clock schema", &error);
    client
        .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(fail)?;
    client
        .batch_execute(
            "CREATE SCHEMA IF NOT EXISTS heroku_clock;
             CREATE TABLE IF NOT EXISTS heroku_clock.migrations (
                 version    integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now()
             );
             ALTER TABLE heroku_clock.migrations
                 ADD COLUMN IF NOT EXISTS readable_by integer;",
        )
        .await
        .map_err(fail)?;
    let found = current_version(client).await?.unwrap_or(0);
    if found > latest() {
        let needed: Option<i32> = client
            .query_one(
                "SELECT max(coalesce(readable_by, version)) FROM heroku_clock.migrations",
                &[],
            )
            .await
            .map_err(fail)?
            .get(0);
        if needed.unwrap_or(found) > latest() {
            return Err(StoreError::SchemaTooNew {
                found,
                known: latest(),
            });
        }
        return Ok(Vec::new());
    }
    let mut applied = Vec::new();
    for version in found + 1..=latest() {
        let index = usize::try_from(version - 1).unwrap_or(usize::MAX);
        let Some(migration) = MIGRATIONS.get(index) else {
            break;
        };
        client.batch_execute(migration.sql).await.map_err(fail)?;
        client
            .execute(
                "INSERT INTO heroku_clock.migrations (version, readable_by) VALUES ($1, $2)",
                &[&version, &migration.readable_by],
            )
            .await
            .map_err(fail)?;
        applied.push(version);
    }
    Ok(applied)
}

/// The schema's version, `None` before the first migration.
async fn current_version(client: &Client) -> Result<Option<i32>, StoreError> {
    let fail = |error| StoreError::query("reading the heroku_clock schema version", &error);
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('heroku_clock.migrations') IS NOT NULL",
            &[],
        )
        .await
        .map_err(fail)?
        .get(0);
    if !exists {
        return Ok(None);
    }
    let row = client
        .query_one("SELECT max(version) FROM heroku_clock.migrations", &[])
        .await
        .map_err(fail)?;
    Ok(row.get::<_, Option<i32>>(0))
}
