//! The `clock` binary with a Postgres store, against the real server: several clocks on
//! one database run each slot once, hand over on SIGTERM, survive a partition and a
//! killed backend; without a store the clock opens no connection at all.

mod support_heroku;
mod support_store;

use std::collections::BTreeSet;
use std::time::Duration;

use support_store::{ClockProc, Proxy, TestDb, Workdir, time_of, wait_until};

/// A short lease keeps these tests quick; the mechanism is the same at 15 s.
const LEASE: (&str, &str) = ("CLOCK_LEASE_TERM", "3s");
const BOUND: Duration = Duration::from_secs(30);

#[test]
fn without_a_store_the_clock_opens_no_connection() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("addr").port();
    let work = Workdir::with_fixture("store_without_store");
    let url = format!("postgres://postgres@127.0.0.1:{port}/nothing");
    let mut clock = ClockProc::start(&work, "clock.1", &url, &[]);
    wait_until("two runs", BOUND, || work.runs().len() >= 2);
    clock.term();
    assert_eq!(clock.wait(BOUND), Some(0));
    let accepted = std::iter::from_fn(|| listener.accept().ok()).count();
    assert_eq!(accepted, 0, "a clock without store: opened a connection");
    assert!(clock.lines(&[("event", "leader")]).is_empty());
}

#[test]
fn an_unset_variable_or_a_bad_url_stops_the_clock_before_it_starts() {
    let work = Workdir::with_fixture("store_one_job");
    let cases = [
        ("", "DATABASE_URL is not set"),
        ("mysql://u:secret@h/db", "does not start with postgres://"),
        (
            "postgres://u:secret@h/db?sslmode=sometimes",
            "sslmode=sometimes",
        ),
    ];
    for (url, expected) in cases {
        let mut clock = ClockProc::start(&work, "clock.1", url, &[]);
        assert_eq!(clock.wait(BOUND), Some(1), "{url:?}: {}", clock.log());
        let log = clock.log();
        assert!(log.contains(expected), "{url:?}: {log}");
        assert!(!log.contains("secret"), "the URL's password leaked: {log}");
        assert!(!log.contains("event=running"), "{log}");
        std::fs::remove_file(work.path().join("clock.1.log")).expect("remove the log");
    }
}

#[test]
fn two_clocks_run_each_slot_once_and_record_it() {
    let db = TestDb::create();
    let work = Workdir::with_fixture("store_one_job");
    let first = ClockProc::start(&work, "clock.1", &db.url(), &[LEASE]);
    first.wait_for(&[("event", "leader"), ("state", "acquired")], BOUND);
    let second = ClockProc::start(&work, "clock.2", &db.url(), &[LEASE]);
    second.wait_for(&[("event", "standby"), ("leader_dyno", "clock.1")], BOUND);
    wait_until("five runs", BOUND, || work.runs().len() >= 5);
    first.term();
    second.term();
    drop((first, second));
    assert_eq!(work.duplicates(), vec![]);
    let history = db.runs();
    let ran: BTreeSet<i64> = work.runs().iter().map(|(_, slot)| *slot).collect();
    let succeeded: BTreeSet<i64> = history
        .iter()
        .filter(|row| row.status == "succeeded")
        .map(|row| row.slot)
        .collect();
    assert!(
        ran.is_subset(&succeeded) || ran.len() - succeeded.len() <= 1,
        "{ran:?} vs {history:?}"
    );
    assert!(
        history.iter().all(|row| row.dyno == "clock.1"),
        "{history:?}"
    );
}

#[test]
fn a_deploy_hands_the_lease_over_within_two_seconds_of_sigterm() {
    let db = TestDb::create();
    let work = Workdir::with_fixture("store_one_job");
    // The default 15 s lease: the takeover must not wait for it to run out.
    let old = ClockProc::start(&work, "clock.1", &db.url(), &[]);
    old.wait_for(&[("event", "leader"), ("state", "acquired")], BOUND);
    wait_until("a run", BOUND, || !work.runs().is_empty());
    // Heroku starts the new dyno as it sends SIGTERM to the old one.
    let new = ClockProc::start(&work, "clock.1b", &db.url(), &[]);
    old.term();
    let released = old.wait_for(&[("event", "leader"), ("state", "released")], BOUND);
    let acquired = new.wait_for(&[("event", "leader"), ("state", "acquired")], BOUND);
    let takeover = time_of(&acquired) - time_of(&released);
    assert!(
        takeover <= chrono::Duration::seconds(2),
        "takeover took {takeover:?}:\n{}\n{}",
        old.log(),
        new.log()
    );
    let runs_before = work.runs().len();
    wait_until("runs by the new clock", BOUND, || {
        work.runs().len() >= runs_before + 2
    });
    new.term();
    drop((old, new));
    assert_eq!(work.duplicates(), vec![]);
    let by_new = db
        .runs()
        .iter()
        .filter(|row| row.dyno == "clock.1b")
        .count();
    assert!(by_new >= 2, "{:?}", db.runs());
}

#[test]
fn a_partitioned_leader_stops_scheduling_and_rejoins_as_standby() {
    let db = TestDb::create();
    let work = Workdir::with_fixture("store_one_job");
    let server = "127.0.0.1:5432".parse().expect("addr");
    let target = std::env::var("TEST_DATABASE_ADDR")
        .ok()
        .and_then(|addr| addr.parse().ok())
        .unwrap_or(server);
    let proxy = Proxy::to(target);
    let cut_clock = ClockProc::start(&work, "clock.cut", &db.url_via(proxy.addr), &[LEASE]);
    cut_clock.wait_for(&[("event", "leader"), ("state", "acquired")], BOUND);
    let other = ClockProc::start(&work, "clock.other", &db.url(), &[LEASE]);
    other.wait_for(&[("event", "standby")], BOUND);
    wait_until("runs by the leader", BOUND, || work.runs().len() >= 2);
    proxy.cut();
    let lost = cut_clock.wait_for(&[("event", "leader"), ("state", "lost")], BOUND);
    let acquired = other.wait_for(&[("event", "leader"), ("state", "acquired")], BOUND);
    assert!(
        time_of(&lost) < time_of(&acquired),
        "the cut leader must stop before the other takes over: {lost} / {acquired}"
    );
    // No run starts on the cut clock once it has stopped leading.
    let late_starts: Vec<String> = cut_clock
        .lines(&[("event", "started")])
        .into_iter()
        .filter(|line| time_of(line) > time_of(&lost))
        .collect();
    assert_eq!(late_starts, Vec::<String>::new());
    let runs_before = work.runs().len();
    wait_until("runs by the new leader", BOUND, || {
        work.runs().len() >= runs_before + 2
    });
    proxy.heal();
    cut_clock.wait_for(
        &[("event", "standby"), ("leader_dyno", "clock.other")],
        BOUND,
    );
    std::thread::sleep(Duration::from_secs(2));
    cut_clock.term();
    other.term();
    drop((cut_clock, other));
    assert_eq!(work.duplicates(), vec![]);
}

#[test]
fn a_killed_backend_is_reconnected_without_a_duplicate_or_a_gap() {
    let db = TestDb::create();
    let work = Workdir::with_fixture("store_one_job");
    let clock = ClockProc::start(&work, "clock.1", &db.url(), &[LEASE]);
    clock.wait_for(&[("event", "leader"), ("state", "acquired")], BOUND);
    wait_until("runs", BOUND, || work.runs().len() >= 2);
    let killed = db.sql(&format!(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
          WHERE datname = '{}' AND application_name LIKE 'heroku-clock%'",
        db.name
    ));
    assert_eq!(
        killed[0][0].as_deref(),
        Some("2"),
        "both of the clock's connections"
    );
    let runs_before = work.runs().len();
    wait_until("runs after the kill", BOUND, || {
        work.runs().len() >= runs_before + 3
    });
    clock.term();
    let mut clock = clock;
    assert_eq!(clock.wait(BOUND), Some(0));
    assert_eq!(work.duplicates(), vec![]);
    assert!(
        clock
            .lines(&[("event", "leader"), ("state", "lost")])
            .is_empty(),
        "{}",
        clock.log()
    );
    // Every slot from the first run to the last is in the file: none was dropped.
    let slots: Vec<i64> = work.runs().iter().map(|(_, slot)| *slot).collect();
    let (first, last) = (slots[0], slots[slots.len() - 1]);
    let missing: Vec<i64> = (first..=last)
        .filter(|slot| !slots.contains(slot))
        .collect();
    let recorded: BTreeSet<i64> = db.runs().iter().map(|row| row.slot).collect();
    let unaccounted: Vec<&i64> = missing
        .iter()
        .filter(|slot| !recorded.contains(slot))
        .collect();
    assert_eq!(unaccounted, Vec::<&i64>::new(), "{}", clock.log());
}

#[test]
fn a_runs_history_row_keeps_the_end_of_its_output_and_its_exit_code() {
    let db = TestDb::create();
    let work = Workdir::with_fixture("store_output");
    let clock = ClockProc::start(&work, "clock.1", &db.url(), &[LEASE]);
    clock.wait_for(&[("event", "failed"), ("job", "chatty")], BOUND);
    clock.term();
    drop(clock);
    let output = clockctl(&work, &db.url(), &["history", "--format", "json"]);
    let runs: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let failed = runs
        .as_array()
        .expect("an array")
        .iter()
        .find(|run| run["status"] == "failed")
        .unwrap_or_else(|| panic!("no failed run in {runs}"));
    assert_eq!(failed["exit_code"], 3);
    let tail = failed["output"].as_str().expect("output kept");
    assert!(tail.len() <= 4096, "{} bytes", tail.len());
    assert!(tail.contains("line 2000\n"), "{tail}");
    assert!(tail.ends_with("done\n"), "{tail}");
    assert!(!tail.contains("line 1\n"), "only the end is kept");
}

#[test]
fn clockctl_history_lists_the_runs_newest_first_as_the_documented_json() {
    let db = TestDb::create();
    let work = Workdir::with_fixture("store_one_job");
    let clock = ClockProc::start(&work, "clock.1", &db.url(), &[LEASE]);
    wait_until("four runs", BOUND, || work.runs().len() >= 4);
    clock.term();
    drop(clock);
    let output = clockctl(
        &work,
        &db.url(),
        &["history", "--format", "json", "--limit", "3"],
    );
    assert!(output.status.success(), "{output:?}");
    let runs: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let runs = runs.as_array().expect("an array");
    assert_eq!(runs.len(), 3, "{runs:?}");
    for key in [
        "job",
        "scheduled_for",
        "attempt",
        "status",
        "reason",
        "exit_code",
        "started_at",
        "finished_at",
        "duration_ms",
        "dyno",
    ] {
        assert!(runs[0].get(key).is_some(), "no {key} in {}", runs[0]);
    }
    let slots: Vec<&str> = runs
        .iter()
        .filter_map(|run| run["scheduled_for"].as_str())
        .collect();
    let mut sorted = slots.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(slots, sorted, "newest first");
    let done = &runs[2];
    assert_eq!(done["job"], "tick");
    assert_eq!(done["status"], "succeeded");
    assert_eq!(done["exit_code"], 0);
    assert!(done["reason"].is_null());
    assert_eq!(done["dyno"], "clock.1");
    assert!(done["duration_ms"].as_i64().is_some(), "{done}");
    let text = clockctl(&work, &db.url(), &["history", "tick", "--since", "1h"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.starts_with("SCHEDULED_FOR"), "{text}");
    assert!(text.contains("succeeded"), "{text}");
    let none = clockctl(&work, &db.url(), &["history", "no-such-job"]);
    assert_eq!(String::from_utf8_lossy(&none.stdout), "no runs recorded\n");
    // Without a store there is no history to read, and the words say why.
    let plain = Workdir::with_fixture("store_without_store");
    let refused = clockctl(&plain, &db.url(), &["history"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no store: block"));
}

fn clockctl(work: &Workdir, url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_clockctl"))
        .args(args)
        .current_dir(work.path())
        .env_remove("CLOCK_CONFIG")
        .env("DATABASE_URL", url)
        .output()
        .expect("run clockctl")
}

#[test]
fn clockctl_status_shows_the_live_clocks_and_each_jobs_last_run() {
    use support_heroku::{FakeHeroku, Sandbox, dyno};
    let db = TestDb::create();
    let work = Workdir::with_fixture("store_one_job");
    let first = ClockProc::start(&work, "clock.1", &db.url(), &[LEASE]);
    first.wait_for(&[("event", "leader"), ("state", "acquired")], BOUND);
    let second = ClockProc::start(&work, "clock.2", &db.url(), &[LEASE]);
    second.wait_for(&[("event", "standby")], BOUND);
    wait_until("two runs", BOUND, || work.runs().len() >= 2);
    let server = FakeHeroku::start();
    server.serve_formation(2, "Basic");
    server.on_dynos(vec![vec![
        dyno("clock.1", "clock", "up", "Basic"),
        dyno("clock.2", "clock", "up", "Basic"),
    ]]);
    let mut sandbox = Sandbox::new(&server);
    sandbox.set("DATABASE_URL", &db.url());
    std::fs::copy(
        work.path().join("clock.yml"),
        sandbox.cwd.path().join("clock.yml"),
    )
    .expect("copy clock.yml");
    let out = sandbox.clockctl(&["status"]);
    out.expect_code(0);
    out.stdout_has("clock.1: leader, last seen");
    out.stdout_has("clock.2: standby, last seen");
    out.stdout_has("last: succeeded");
    assert!(!out.stdout.contains("in a row"), "{}", out.stdout);
    // A job whose alerts count three failures in a row says so.
    db.sql("INSERT INTO heroku_clock.streaks (job, failures) VALUES ('tick', 3)");
    let failing = sandbox.clockctl(&["status"]);
    failing.expect_code(0);
    failing.stdout_has(", 3 failed in a row");
    let json = sandbox.clockctl(&["status", "--format", "json"]);
    json.expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let store = &report["config"]["store"];
    assert_eq!(store["status"], "ok", "{report}");
    assert_eq!(
        store["clocks"].as_array().map(Vec::len),
        Some(2),
        "{report}"
    );
    assert_eq!(store["clocks"][0]["role"], "leader");
    assert_eq!(
        report["config"]["jobs"][0]["last_run"]["status"], "succeeded",
        "{report}"
    );
    assert_eq!(
        report["config"]["jobs"][0]["last_run"]["failures_in_a_row"], 3,
        "{report}"
    );
    // Without the variable, the status still shows, and says how to read the store.
    sandbox.unset("DATABASE_URL");
    let unset = sandbox.clockctl(&["status"]);
    unset.expect_code(0);
    unset.stdout_has("heroku config:get DATABASE_URL");
    first.term();
    second.term();
}
