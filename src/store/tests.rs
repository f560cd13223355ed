//! The store's SQL against the real server, each test in a database of its own.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone as _, Utc};
use tokio_postgres::Client;

use super::claim::{self, Verdict};
use super::history::{self, Writer};
use super::testdb::TestDb;
use super::{lease, schema, upkeep};
use crate::runtime::{RunNote, RunStatus, report::SkipReason};

fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0)
        .single()
        .expect("valid")
        + chrono::Duration::seconds(secs)
}

async fn migrated() -> (TestDb, Client) {
    let db = TestDb::create().await;
    let client = db.client().await;
    schema::migrate(&client).await.expect("migrates");
    (db, client)
}

/// One tick for `instance`: whether it holds the lease after it.
async fn tick(client: &Client, instance: &str, term: f64, want: bool) -> bool {
    let dyno = Some(format!("dyno-{instance}"));
    client
        .query_one(lease::TICK, &[&instance, &dyno, &term, &want])
        .await
        .expect("tick")
        .get(0)
}

async fn claim_as(client: &Client, instance: &str, job: &str, slot: DateTime<Utc>) -> Verdict {
    let dyno: Option<String> = None;
    let row = client
        .query_one(
            claim::CLAIM,
            &[&job, &slot, &instance, &dyno, &claim::EARLY_TOLERANCE_SECS],
        )
        .await
        .expect("claim");
    claim::decide(claim::read_answer(&row).expect("answer"))
}

#[tokio::test]
async fn migrations_are_safe_when_clocks_start_at_once_and_idempotent() {
    let db = TestDb::create().await;
    let mut clients = Vec::new();
    for _ in 0..4 {
        clients.push(Arc::new(db.client().await));
    }
    let mut tasks = Vec::new();
    for client in &clients {
        let client = client.clone();
        tasks.push(tokio::spawn(async move { schema::migrate(&client).await }));
    }
    let mut applied = Vec::new();
    for task in tasks {
        applied.push(task.await.expect("joins").expect("every clock migrates"));
    }
    // Exactly one of them applied every version; the others found it done.
    let total: usize = applied.iter().map(Vec::len).sum();
    assert_eq!(total, schema::latest() as usize, "{applied:?}");
    assert_eq!(
        schema::migrate(&clients[0]).await.expect("again"),
        Vec::<i32>::new()
    );
    // A newer clock's migration that only adds is used as it is (a rollback works)...
    clients[0]
        .execute(
            "INSERT INTO heroku_clock.migrations (version, readable_by) VALUES (98, 1)",
            &[],
        )
        .await
        .expect("insert");
    assert_eq!(
        schema::migrate(&clients[0]).await.expect("readable"),
        Vec::<i32>::new()
    );
    // ...and one this clock cannot read is refused, not run against.
    clients[0]
        .execute(
            "INSERT INTO heroku_clock.migrations (version) VALUES (99)",
            &[],
        )
        .await
        .expect("insert");
    let error = schema::migrate(&clients[0]).await.expect_err("too new");
    assert_eq!(
        error,
        super::StoreError::SchemaTooNew {
            found: 99,
            known: schema::latest()
        }
    );
}

#[tokio::test]
async fn a_database_of_the_first_release_is_brought_up_to_date() {
    let (_db, client) = migrated().await;
    // What a clock of schema version 1 left: no streaks, no readable_by.
    client
        .batch_execute(
            "DROP TABLE heroku_clock.streaks;
             DELETE FROM heroku_clock.migrations WHERE version > 1;
             ALTER TABLE heroku_clock.migrations DROP COLUMN readable_by;",
        )
        .await
        .expect("set back to version 1");
    let applied = schema::migrate(&client).await.expect("migrates");
    assert_eq!(applied, (2..=schema::latest()).collect::<Vec<_>>());
    let rows = client
        .query(
            "SELECT version, readable_by FROM heroku_clock.migrations ORDER BY version",
            &[],
        )
        .await
        .expect("read");
    let versions: Vec<(i32, Option<i32>)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(versions[0], (1, None), "the first row predates readable_by");
    assert_eq!(versions[1], (2, Some(1)), "streaks only add a table");
}

#[tokio::test]
async fn one_clock_holds_the_lease_until_it_releases_it_or_it_expires() {
    let (_db, client) = migrated().await;
    assert!(
        tick(&client, "a", 30.0, true).await,
        "a takes the free lease"
    );
    assert!(
        !tick(&client, "b", 30.0, true).await,
        "b cannot while a holds it"
    );
    assert!(tick(&client, "a", 30.0, true).await, "a renews");
    client
        .execute(lease::RELEASE, &[&"a"])
        .await
        .expect("release");
    assert!(
        tick(&client, "b", 30.0, true).await,
        "b takes a released lease at once"
    );
    assert!(!tick(&client, "a", 30.0, true).await);
    // A lease that is not renewed runs out by the database's clock.
    assert!(tick(&client, "b", 0.3, true).await);
    assert!(!tick(&client, "a", 30.0, true).await);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        tick(&client, "a", 30.0, true).await,
        "a takes an expired lease"
    );
    // A clock that does not want the lease (shutting down) only heartbeats.
    assert!(!tick(&client, "c", 30.0, false).await);
    let alive = upkeep::alive_clocks(&client).await.expect("alive");
    let leaders: Vec<&str> = alive
        .iter()
        .filter(|clock| clock.leader)
        .map(|clock| clock.instance.as_str())
        .collect();
    assert_eq!(leaders, vec!["a"]);
    assert_eq!(alive.len(), 2, "b's heartbeat (0.3 s) ran out: {alive:?}");
}

#[tokio::test]
async fn a_slot_is_claimed_once_and_only_by_the_lease_holder() {
    let (_db, client) = migrated().await;
    let now = Utc::now();
    let slot = now - chrono::Duration::seconds(1);
    assert!(tick(&client, "a", 30.0, true).await);
    tick(&client, "b", 30.0, true).await;
    assert_eq!(
        claim_as(&client, "b", "job", slot).await,
        Verdict::NotLeading
    );
    assert_eq!(
        claim_as(&client, "a", "job", slot).await,
        Verdict::Won {
            busy_elsewhere: false
        }
    );
    assert_eq!(claim_as(&client, "a", "job", slot).await, Verdict::Taken);
    // The database's clock refuses a slot far in its future.
    let future = now + chrono::Duration::seconds(60);
    assert_eq!(claim_as(&client, "a", "job", future).await, Verdict::Early);
    // Another clock's open run counts as busy for overlap.
    client
        .execute(
            "INSERT INTO heroku_clock.runs (job, slot, attempt, status, instance) \
             VALUES ('job', $1, 1, 'running', 'b')",
            &[&(slot - chrono::Duration::seconds(10))],
        )
        .await
        .expect("insert");
    let next = slot + chrono::Duration::milliseconds(500);
    assert_eq!(
        claim_as(&client, "a", "job", next).await,
        Verdict::Won {
            busy_elsewhere: true
        }
    );
}

#[tokio::test]
async fn concurrent_claims_of_one_slot_have_exactly_one_winner() {
    let db = TestDb::create().await;
    let setup = db.client().await;
    schema::migrate(&setup).await.expect("migrates");
    assert!(tick(&setup, "a", 30.0, true).await);
    let slot = Utc::now() - chrono::Duration::seconds(1);
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let client = db.client().await;
        tasks.push(tokio::spawn(async move {
            claim_as(&client, "a", "race", slot).await
        }));
    }
    let mut won = 0;
    for task in tasks {
        if matches!(task.await.expect("joins"), Verdict::Won { .. }) {
            won += 1;
        }
    }
    assert_eq!(won, 1);
}

#[tokio::test]
async fn history_follows_a_run_from_claim_to_end_and_records_skips() {
    let (_db, client) = migrated().await;
    let writer = Writer {
        instance: "a".into(),
        dyno: Some("clock.1".into()),
    };
    let slot = Utc::now() - chrono::Duration::seconds(2);
    assert!(tick(&client, "a", 30.0, true).await);
    upkeep::register_jobs(&client, &["job".to_string()], t(0))
        .await
        .expect("register");
    assert!(matches!(
        claim_as(&client, "a", "job", slot).await,
        Verdict::Won { .. }
    ));
    let started = Utc::now();
    let notes = [
        RunNote::Started {
            job: "job".into(),
            slot,
            attempt: 1,
            at: started,
        },
        RunNote::Ended {
            job: "job".into(),
            slot,
            attempt: 1,
            at: started + chrono::Duration::milliseconds(1500),
            status: RunStatus::Failed,
            reason: None,
            exit_code: Some(3),
            duration: Duration::from_millis(1500),
            output: Some("x".repeat(5000)),
        },
        RunNote::Skipped {
            job: "job".into(),
            slot,
            attempt: 2,
            reason: SkipReason::RetrySuperseded,
        },
        RunNote::Missed {
            job: "other".into(),
            slots: vec![t(10), t(20)],
        },
    ];
    for note in &notes {
        history::write(&client, &writer, note)
            .await
            .expect("writes");
    }
    let rows = history::read(
        &client,
        &history::Query {
            job: None,
            since: None,
            limit: 10,
        },
    )
    .await
    .expect("reads");
    type Summary = (String, i32, String, Option<String>, Option<i32>);
    let summary: Vec<Summary> = rows
        .iter()
        .map(|row| {
            (
                row.job.clone(),
                row.attempt,
                row.status.clone(),
                row.reason.clone(),
                row.exit_code,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "job".into(),
                2,
                "skipped".into(),
                Some("retry_superseded".into()),
                None
            ),
            ("job".into(), 1, "failed".into(), None, Some(3)),
            (
                "other".into(),
                1,
                "skipped".into(),
                Some("misfire".into()),
                None
            ),
            (
                "other".into(),
                1,
                "skipped".into(),
                Some("misfire".into()),
                None
            ),
        ]
    );
    let run = &rows[1];
    assert_eq!(run.duration_ms, Some(1500));
    assert_eq!(run.dyno.as_deref(), Some("clock.1"));
    assert_eq!(
        run.output.as_ref().map(String::len),
        Some(history::OUTPUT_BYTES)
    );
    // The trigger moved the job's mark to the latest recorded slot.
    let marks = upkeep::register_jobs(&client, &["job".to_string()], t(0))
        .await
        .expect("marks");
    assert_eq!(marks[0].after.timestamp(), slot.timestamp());
    // A skip never overwrites another clock's row.
    let intruder = Writer {
        instance: "b".into(),
        dyno: None,
    };
    let skip = RunNote::Skipped {
        job: "job".into(),
        slot,
        attempt: 1,
        reason: SkipReason::Overlap,
    };
    history::write(&client, &intruder, &skip)
        .await
        .expect("writes");
    let one = history::read(
        &client,
        &history::Query {
            job: Some("job".into()),
            since: Some(slot),
            limit: 1,
        },
    )
    .await
    .expect("reads");
    assert_eq!(one[0].attempt, 2);
    let first = history::read(
        &client,
        &history::Query {
            job: Some("job".into()),
            since: None,
            limit: 2,
        },
    )
    .await
    .expect("reads");
    assert_eq!(first[1].status, "failed");
}

#[tokio::test]
async fn runs_of_a_dead_clock_are_lost_once_and_old_rows_are_pruned() {
    let (_db, client) = migrated().await;
    // Clock "dead" heartbeat for 0.2 s, clock "live" for 30 s; both have a running run.
    tick(&client, "dead", 0.2, false).await;
    tick(&client, "live", 30.0, true).await;
    for (instance, secs) in [("dead", 1), ("live", 2)] {
        client
            .execute(
                "INSERT INTO heroku_clock.runs (job, slot, attempt, status, instance, dyno) \
                 VALUES ('job', $1, 1, 'running', $2, 'web.1')",
                &[&t(secs), &instance],
            )
            .await
            .expect("insert");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let lost = upkeep::mark_lost(&client, "live").await.expect("scan");
    assert_eq!(
        lost,
        vec![upkeep::LostRun {
            job: "job".into(),
            slot: t(1),
            attempt: 1,
            dyno: Some("web.1".into())
        }]
    );
    assert!(
        upkeep::mark_lost(&client, "live")
            .await
            .expect("scan")
            .is_empty()
    );
    // Old finished rows go in batches; the open one and recent ones stay.
    client
        .execute(
            "INSERT INTO heroku_clock.runs (job, slot, attempt, status, instance) \
             SELECT 'old', now() - interval '3 days' - s * interval '1 second', 1, 'succeeded', 'live' \
               FROM generate_series(1, 700) AS s",
            &[],
        )
        .await
        .expect("insert");
    let keep = Duration::from_secs(2 * 86_400);
    assert_eq!(
        upkeep::prune_batch(&client, keep).await.expect("prunes"),
        500
    );
    // t(1) (lost) and t(2) (running) are from 2026-01-05: only the finished one is old.
    assert_eq!(
        upkeep::prune_batch(&client, keep).await.expect("prunes"),
        201
    );
    assert_eq!(upkeep::prune_batch(&client, keep).await.expect("prunes"), 0);
    let left: i64 = client
        .query_one("SELECT count(*) FROM heroku_clock.runs", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(left, 1, "the running run stays");
}

#[tokio::test]
async fn tls_require_encrypts_without_verifying_and_verify_full_checks_the_issuer() {
    let db = TestDb::create().await;
    let plain = db.client().await;
    let ssl_on: String = plain
        .query_one("SHOW ssl", &[])
        .await
        .expect("show ssl")
        .get(0);
    let base = db.url_text();
    let join = if base.contains('?') { '&' } else { '?' };
    let require = super::url::parse(&format!("{base}{join}sslmode=require")).expect("url");
    let link = super::Link::new(&require, "tls-test", Duration::from_secs(5)).expect("tls");
    let encrypted = link
        .run("checking TLS", |client| async move {
            let row = client
                .query_one(
                    "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                    &[],
                )
                .await
                .map_err(|error| super::StoreError::query("checking TLS", &error))?;
            Ok(row.get::<_, bool>(0))
        })
        .await;
    if ssl_on == "on" {
        assert_eq!(encrypted, Ok(true), "sslmode=require must connect over TLS");
        let full = super::url::parse(&format!("{base}{join}sslmode=verify-full")).expect("url");
        let link = super::Link::new(&full, "tls-test", Duration::from_secs(5)).expect("tls");
        let refused = link
            .run("checking TLS", |client| async move {
                client
                    .simple_query("SELECT 1")
                    .await
                    .map_err(|error| super::StoreError::query("checking TLS", &error))
            })
            .await
            .expect_err("a self-signed server certificate is not trusted");
        assert!(
            refused.to_string().contains("UnknownIssuer"),
            "verify-full must fail on the issuer: {refused}"
        );
    } else {
        // A server without TLS refuses `require` with words that say so.
        let error = encrypted.expect_err("require cannot connect without TLS");
        assert!(
            error.to_string().contains("TLS") || error.to_string().contains("SSL"),
            "{error}"
        );
    }
}

#[tokio::test]
async fn many_slots_are_claimed_in_one_statement_each_with_its_own_verdict() {
    let (_db, client) = migrated().await;
    assert!(tick(&client, "a", 30.0, true).await);
    let now = Utc::now();
    let past = now - chrono::Duration::seconds(1);
    // "b" was claimed already; "c" is far in the database's future.
    assert!(matches!(
        claim_as(&client, "a", "b", past).await,
        Verdict::Won { .. }
    ));
    let jobs = vec!["a".to_string(), "b".to_string(), "c".to_string()];
    let slots = vec![past, past, now + chrono::Duration::seconds(60)];
    let dyno: Option<String> = None;
    let rows = client
        .query(
            claim::CLAIM_MANY,
            &[&jobs, &slots, &"a", &dyno, &claim::EARLY_TOLERANCE_SECS],
        )
        .await
        .expect("claim many");
    let mut verdicts: Vec<(String, Verdict)> = rows
        .iter()
        .map(|row| {
            let job: String = row.get(0);
            (
                job,
                claim::decide(claim::read_answer_at(row, 2).expect("answer")),
            )
        })
        .collect();
    verdicts.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        verdicts,
        vec![
            (
                "a".to_string(),
                Verdict::Won {
                    busy_elsewhere: false
                }
            ),
            ("b".to_string(), Verdict::Taken),
            ("c".to_string(), Verdict::Early),
        ]
    );
}
