//! The chaos run: three clocks share ten `every: 1s` jobs for a minute while the test
//! kills them (`kill -9`), stops them (SIGTERM), restarts them, and restarts one the
//! way a deploy does (the new process starts as the old one gets SIGTERM). Afterwards
//! every `(job, slot)` ran at most once, and every slot from the first clock's start to
//! the end either ran or is in the history (skipped, or lost with a killed clock).
//!
//! The actions come from a seeded generator; the seed is printed, and
//! `CHAOS_SEED=N` replays a run.

mod support_store;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use support_store::{ClockProc, TestDb, Workdir};

const RUN_FOR: Duration = Duration::from_secs(60);
const LEASE: (&str, &str) = ("CLOCK_LEASE_TERM", "4s");
/// How long the surviving clocks run on after the chaos: three lease terms (a takeover,
/// then a catch-up of ten jobs, on a loaded machine).
const SETTLE: Duration = Duration::from_secs(12);
const JOBS: usize = 10;

/// xorshift64: enough randomness for choosing actions, and replayable.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn three_clocks_under_kills_and_restarts_run_every_slot_at_most_once() {
    let seed = std::env::var("CHAOS_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|since| since.as_nanos() as u64 | 1)
                .unwrap_or(88_172_645_463_325_252)
        });
    println!("CHAOS_SEED={seed}");
    let mut dice = Dice(seed);
    let db = TestDb::create();
    let work = Workdir::with_fixture("store_chaos");
    let url = db.url();
    let begin = chrono::Utc::now();
    let started = Instant::now();
    let mut serial = 0;
    let mut next_name = || {
        serial += 1;
        format!("clock.{serial}")
    };
    let mut alive: Vec<ClockProc> = (0..3)
        .map(|_| ClockProc::start(&work, &next_name(), &url, &[LEASE]))
        .collect();
    let mut gone: Vec<ClockProc> = Vec::new();
    let mut actions: Vec<String> = Vec::new();
    while started.elapsed() < RUN_FOR {
        std::thread::sleep(Duration::from_millis(1500 + dice.below(2500)));
        if alive.is_empty() {
            alive.push(ClockProc::start(&work, &next_name(), &url, &[LEASE]));
            continue;
        }
        let index = usize::try_from(dice.below(alive.len() as u64)).unwrap_or(0);
        let action = dice.below(4);
        let mut victim = alive.remove(index);
        match action {
            0 => {
                actions.push(format!("kill -9 {}", victim.name));
                victim.kill9();
            }
            1 => {
                actions.push(format!("SIGTERM {}", victim.name));
                victim.term();
            }
            2 => {
                // A deploy: the new process starts as the old one gets SIGTERM.
                let name = next_name();
                actions.push(format!("deploy {} -> {name}", victim.name));
                alive.push(ClockProc::start(&work, &name, &url, &[LEASE]));
                victim.term();
            }
            _ => {
                actions.push(format!("restart {} after kill -9", victim.name));
                victim.kill9();
            }
        }
        gone.push(victim);
        // Keep about three clocks: bring one back, sometimes after a pause.
        if alive.len() < 3 {
            if dice.below(2) == 0 {
                std::thread::sleep(Duration::from_millis(dice.below(2000)));
            }
            alive.push(ClockProc::start(&work, &next_name(), &url, &[LEASE]));
        }
    }
    let end = chrono::Utc::now();
    // Let the clocks that are left run on for longer than a lease, as they would on Heroku:
    // a leader killed in the last seconds is replaced, and the new leader makes up or
    // records the slots that fell due meanwhile. Without this, those slots would count as
    // lost only because the test stopped every clock before a takeover could happen.
    if alive.is_empty() {
        alive.push(ClockProc::start(&work, &next_name(), &url, &[LEASE]));
    }
    std::thread::sleep(SETTLE);
    for clock in &alive {
        clock.term();
    }
    for clock in alive.iter_mut().chain(gone.iter_mut()) {
        clock.wait(Duration::from_secs(30));
    }
    // Every clock has exited, and a clock writes its queued history before it exits.
    let context = format!("seed {seed}; actions: {actions:?}");

    let duplicates = work.duplicates();
    assert_eq!(duplicates, vec![], "a (job, slot) ran twice; {context}");

    let ran: BTreeSet<(String, i64)> = work.runs().into_iter().collect();
    let mut recorded: BTreeMap<(String, i64), String> = BTreeMap::new();
    for row in db.runs() {
        recorded.insert((row.job.clone(), row.slot), row.status.clone());
    }
    // Slots from the first start (plus the time a first clock needs to lead) to the end
    // (less the last second, which may still be on its way).
    let from = begin.timestamp() + 1;
    let to = end.timestamp() - 2;
    let mut unaccounted = Vec::new();
    for job in 0..JOBS {
        let name = format!("job-{job}");
        for slot in from..=to {
            let key = (name.clone(), slot);
            if ran.contains(&key) {
                continue;
            }
            match recorded.get(&key).map(String::as_str) {
                Some("skipped" | "lost" | "interrupted") => {}
                other => unaccounted.push((key, other.map(str::to_string))),
            }
        }
    }
    assert_eq!(
        unaccounted,
        vec![],
        "slots neither run nor recorded as skipped or lost; {context}"
    );
    let total = ran.len();
    let skipped = recorded
        .values()
        .filter(|status| *status == "skipped")
        .count();
    println!("{total} runs, {skipped} skipped, actions: {actions:?}");
    assert!(
        total > JOBS * 20,
        "too few runs for a minute of ten jobs: {total}; {context}"
    );
}
