//! The store's overhead per run: the claim, then recording the start and the end, each a
//! round trip, timed together for every run. Against the database at URL (a scratch
//! database: it is migrated and written to).
//!
//!     cargo run --release --example bench_store -- postgres://postgres@127.0.0.1/bench [RUNS]
//!
//! Prints p50, p99 and max of the three round trips per run, and of the claim alone.

use std::time::{Duration, Instant};

use chrono::Utc;
use heroku_clock::runtime::{RunNote, RunStatus};
use heroku_clock::store::history::{self, Writer};
use heroku_clock::store::{Link, StoreError, claim, lease, schema, url};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(text) = args.next() else {
        eprintln!("usage: bench_store URL [RUNS]");
        std::process::exit(2);
    };
    let runs: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(2000);
    let url = url::parse(&text).unwrap_or_else(|error| {
        eprintln!("the URL cannot be used: {error}");
        std::process::exit(2);
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let link = Link::new(&url, "heroku-clock bench", Duration::from_secs(5)).expect("tls");
        let writer = Writer {
            instance: format!("bench.{}", std::process::id()),
            dyno: Some("bench.1".into()),
        };
        let id = writer.instance.clone();
        link.run("setting up", |client| async move {
            schema::migrate(&client).await?;
            let term = 600.0_f64;
            let dyno: Option<String> = None;
            client
                .query_one(lease::TICK, &[&id, &dyno, &term, &true])
                .await
                .map_err(|error| StoreError::query("tick", &error))?;
            Ok(())
        })
        .await
        .expect("migrate and take the lease");
        let base = Utc::now() - chrono::Duration::days(1);
        let mut whole = Vec::with_capacity(runs);
        let mut claims = Vec::with_capacity(runs);
        for n in 0..runs {
            let slot = base + chrono::Duration::seconds(i64::try_from(n).unwrap_or(0));
            let started = Instant::now();
            let (id, dyno, job) = (
                writer.instance.clone(),
                writer.dyno.clone(),
                "bench".to_string(),
            );
            let won = link
                .run("claiming", |client| async move {
                    let row = client
                        .query_one(
                            claim::CLAIM,
                            &[&job, &slot, &id, &dyno, &claim::EARLY_TOLERANCE_SECS],
                        )
                        .await
                        .map_err(|error| StoreError::query("claim", &error))?;
                    claim::read_answer(&row)
                })
                .await
                .expect("claim");
            claims.push(started.elapsed());
            assert!(won.won, "run {n} not won: {won:?}");
            for note in [
                RunNote::Started {
                    job: "bench".into(),
                    slot,
                    attempt: 1,
                    at: Utc::now(),
                },
                RunNote::Ended {
                    job: "bench".into(),
                    slot,
                    attempt: 1,
                    at: Utc::now(),
                    status: RunStatus::Succeeded,
                    reason: None,
                    exit_code: Some(0),
                    duration: Duration::from_millis(3),
                    output: None,
                },
            ] {
                let writer = writer.clone();
                link.run("recording", |client| async move {
                    history::write(&client, &writer, &note).await
                })
                .await
                .expect("write");
            }
            whole.push(started.elapsed());
        }
        report("claim + start + end", &mut whole);
        report("claim alone", &mut claims);
    });
}

fn report(label: &str, samples: &mut [Duration]) {
    samples.sort_unstable();
    let at = |p: f64| {
        let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
        samples[index].as_secs_f64() * 1000.0
    };
    println!(
        "{label:<22} runs {:>6}  p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>7.2} ms",
        samples.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    );
}
