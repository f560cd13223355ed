//! Measures `JobSchedule::next_after` calls per second for typical schedules, in UTC and
//! in America/New_York. Run with `cargo run --release --example bench_next`.
//!
//! Each measurement walks a schedule forward from 2026-01-01 (feeding every answer back in,
//! as the clock's runtime does, so DST transitions are crossed) for at least a fixed wall
//! time, and prints calls per second. Then it parses and validates 10,000 jobs (a mix of
//! expressions, each with a jitter, so `min_gap` runs too) and prints the total time.
//! Results are recorded in docs/BENCHMARKS.md.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use heroku_clock::schedule::{CronExpr, JobSchedule, Schedule};

const MEASURE_FOR: Duration = Duration::from_millis(700);

fn main() {
    let start: DateTime<Utc> = DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default();
    let schedules: [(&str, Schedule); 6] = [
        ("*/5 * * * *", cron("*/5 * * * *")),
        ("0 17 * * mon-fri", cron("0 17 * * mon-fri")),
        ("every: 37m", Schedule::Every(Duration::from_secs(37 * 60))),
        ("30 2 * * *", cron("30 2 * * *")),
        ("*/15 * * * * * (seconds)", cron("*/15 * * * * *")),
        ("0 0 L * *", cron("0 0 L * *")),
    ];
    println!("{:<32} {:<18} {:>12}", "schedule", "zone", "next_after/s");
    for (label, schedule) in &schedules {
        for tz in [Tz::UTC, Tz::America__New_York] {
            let job = JobSchedule {
                schedule: schedule.clone(),
                tz,
                jitter: Duration::ZERO,
                start: None,
                end: None,
            };
            let rate = measure(&job, start);
            println!("{label:<32} {:<18} {rate:>12.0}", tz.name());
        }
    }
    // The hardest stretch for the elapsed rule: the day before New York falls back
    // (2026-11-01 06:00 UTC), when every call must consider the repeated hour ahead.
    // The walk starts 25 hours before the change and restarts once past it.
    let from = DateTime::from_timestamp(1_793_512_800 - 25 * 3600, 0).unwrap_or_default();
    let until = DateTime::from_timestamp(1_793_512_800 + 3600, 0).unwrap_or_default();
    for (label, text) in [
        ("*/5 * * * * (fall-back day)", "*/5 * * * *"),
        ("*/15 * * * * * (fall-back day)", "*/15 * * * * *"),
        ("30 1 * * * (fall-back day)", "30 1 * * *"),
    ] {
        let job = JobSchedule {
            schedule: cron(text),
            tz: Tz::America__New_York,
            jitter: Duration::ZERO,
            start: None,
            end: None,
        };
        let rate = measure_window(&job, from, until);
        println!("{label:<32} {:<18} {rate:>12.0}", "America/New_York");
    }
    validate_many(10_000);
}

/// Calls per second of `next_after` from `from`, starting over whenever the walk passes
/// `until`.
fn measure_window(job: &JobSchedule, from: DateTime<Utc>, until: DateTime<Utc>) -> f64 {
    let began = Instant::now();
    let mut calls: u64 = 0;
    let mut t = from;
    loop {
        for _ in 0..10_000 {
            t = match job.next_after(black_box(t)) {
                Some(fire) if fire.at <= until => fire.at,
                _ => from,
            };
        }
        calls += 10_000;
        let elapsed = began.elapsed();
        if elapsed >= MEASURE_FOR {
            return calls as f64 / elapsed.as_secs_f64();
        }
    }
}

/// Parses and validates `count` jobs the way config does for a clock.yml, and prints the
/// total time (best of five rounds).
fn validate_many(count: usize) {
    let texts = [
        "*/5 * * * *",
        "0 17 * * mon-fri",
        "30 2 * * *",
        "0 0 L * *",
        "0 9 1-7 * mon",
        "*/15 9-17 * * mon-fri",
        "0 0 29 2 *",
        "15 3 * * 5#3",
    ];
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let began = Instant::now();
        let mut ok = 0usize;
        for i in 0..count {
            let text = texts[i % texts.len()];
            let Ok(expr) = CronExpr::parse(black_box(text)) else {
                continue;
            };
            let job = JobSchedule {
                schedule: Schedule::Cron(expr),
                tz: Tz::America__New_York,
                jitter: Duration::from_secs(7),
                start: None,
                end: None,
            };
            if job.validate().is_ok() && job.validate_jitter(Duration::from_secs(30)).is_ok() {
                ok += 1;
            }
        }
        black_box(ok);
        best = best.min(began.elapsed());
    }
    println!("parse + validate + validate_jitter of {count} jobs: {best:?} (best of 5)");
}

fn cron(text: &str) -> Schedule {
    match CronExpr::parse(text) {
        Ok(expr) => Schedule::Cron(expr),
        Err(e) => panic!("benchmark expression {text}: {e}"),
    }
}

/// Calls per second of `next_after`, chaining each answer into the next call and starting
/// over after ten years, so every call sees the zone's real DST rules (the tz database
/// stops changing offsets in the far future).
fn measure(job: &JobSchedule, start: DateTime<Utc>) -> f64 {
    let ten_years = DateTime::from_timestamp(start.timestamp() + 10 * 365 * 86_400, 0)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    measure_window(job, start, ten_years)
}
