//! Benchmark: `config::parse` on a generated clock.yml with 10,000 jobs.
//!
//! Jobs mix cron, every and at schedules, with defaults, env maps and time zones, so
//! every part of the checker runs. Prints the best and median of several timed parses,
//! in wall time and in this thread's CPU time, next to serde-saphyr alone. With
//! `--write PATH` it also writes the file, to time `clockctl validate PATH` end to end
//! (see docs/BENCHMARKS.md).
//!
//! `cargo run --release --example bench_validate [-- --jobs N --runs R --write PATH]`

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use heroku_clock::config;

fn main() {
    let mut jobs = 10_000;
    let mut runs = 11;
    let mut write = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next();
        match (arg.as_str(), value) {
            ("--jobs", Some(v)) => jobs = v.parse().expect("--jobs N"),
            ("--runs", Some(v)) => runs = v.parse().expect("--runs N"),
            ("--write", Some(v)) => write = Some(v),
            _ => {
                eprintln!("usage: bench_validate [--jobs N] [--runs R] [--write PATH]");
                std::process::exit(2);
            }
        }
    }

    let source = generate(jobs);
    if let Some(path) = &write {
        std::fs::write(path, &source).expect("write the generated clock.yml");
    }
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();

    // One untimed parse checks the file is valid and warms caches.
    let parsed = config::parse(&source, now);
    let errors: Vec<_> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == config::Severity::Error)
        .collect();
    assert!(
        errors.is_empty(),
        "generated file is invalid: {:?}",
        &errors[..3.min(errors.len())]
    );
    let parsed_jobs = parsed.config.map_or(0, |c| c.jobs.len());
    assert_eq!(parsed_jobs, jobs);

    let mb = source.len() as f64 / 1e6;
    report(
        &format!("config::parse, {jobs} jobs, {mb:.2} MB"),
        runs,
        || {
            std::hint::black_box(config::parse(&source, now));
        },
    );
    // The YAML library alone, into an untyped value without positions: the floor under
    // config::parse, which also keeps every position and runs every check.
    report(
        "  of which serde-saphyr alone (to serde_json::Value)",
        runs,
        || {
            let value: Result<serde_json::Value, _> = serde_saphyr::from_str(&source);
            std::hint::black_box(value.is_ok());
        },
    );
}

/// Times `work` `runs` times; prints best and median wall time and this thread's CPU time
/// (the machine is shared, so wall time includes waiting for a core).
fn report(label: &str, runs: usize, mut work: impl FnMut()) {
    let mut wall = Vec::with_capacity(runs);
    let mut cpu = Vec::with_capacity(runs);
    for _ in 0..runs {
        let (wall_start, cpu_start) = (Instant::now(), thread_cpu_time());
        work();
        wall.push(wall_start.elapsed());
        cpu.push(thread_cpu_time().saturating_sub(cpu_start));
    }
    wall.sort();
    cpu.sort();
    println!(
        "{label}, {runs} runs: wall best {:.1} ms, median {:.1} ms; CPU best {:.1} ms, median {:.1} ms",
        ms(wall[0]),
        ms(wall[runs / 2]),
        ms(cpu[0]),
        ms(cpu[runs / 2]),
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// CPU time consumed by the calling thread.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID is always available
    // on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(
        u64::try_from(ts.tv_sec).unwrap_or(0),
        u32::try_from(ts.tv_nsec).unwrap_or(0),
    )
}

/// A valid clock.yml with `jobs` jobs: a third each of cron, every and at.
fn generate(jobs: usize) -> String {
    const ZONES: [&str; 4] = ["America/New_York", "Europe/Paris", "Asia/Tokyo", "UTC"];
    let mut out = String::from(
        "timezone: America/New_York\nshutdown_grace: 25s\ndefaults:\n  timeout: 5m\n  \
         env:\n    LOG_LEVEL: info\njobs:\n",
    );
    for i in 0..jobs {
        out.push_str(&format!("  job-{i:05}:\n"));
        match i % 3 {
            0 => out.push_str(&format!(
                "    cron: \"{} {} * * mon-fri\"\n",
                i % 60,
                // Avoid 01:00-02:59 so no DST warnings are generated.
                4 + i % 19
            )),
            1 => out.push_str(&format!("    every: {}m\n    jitter: 30s\n", 10 + i % 50)),
            _ => out.push_str(&format!(
                "    at: 2027-0{}-{:02}T{:02}:30:00\n",
                1 + i % 9,
                1 + i % 28,
                4 + i % 19
            )),
        }
        out.push_str(&format!(
            "    timezone: {}\n    command: bin/task --id {i}\n",
            ZONES[i % ZONES.len()]
        ));
        if i % 5 == 0 {
            out.push_str("    retries: 2\n    overlap: queue\n    env:\n      BATCH: \"7\"\n");
        }
    }
    out
}
