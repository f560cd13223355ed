//! `run: dyno` end to end: the built `clock` (and `clockctl run --dyno`) against a fake
//! Platform API that runs each dyno as a local process (`tests/support_dynos`). Every
//! scenario checks that neither the API token nor the log stream's token is printed, and
//! that every request followed the schema extract. Every wait is bounded.

mod support_dynos;
mod support_heroku;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use support_dynos::{APP, FakePlatform, STREAM_TOKEN};
use support_heroku::{Reply, TOKEN};

/// Far longer than any scenario needs; reached only when something is broken.
const BOUND: Duration = Duration::from_secs(30);

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .join("clock.yml")
}

/// The environment a clock dyno with `run: dyno` jobs has, pointed at `fake`, with the
/// pauses made short.
fn dyno_env(fake: &FakePlatform) -> Vec<(String, String)> {
    [
        ("HEROKU_HOST", fake.url()),
        ("HEROKU_API_KEY", TOKEN.to_owned()),
        ("HEROKU_APP_NAME", APP.to_owned()),
        ("CLOCKCTL_RETRY_BASE_MS", "1".to_owned()),
        ("CLOCK_DYNO_REOPEN_MS", "50".to_owned()),
        ("CLOCK_DYNO_CHECK_MS", "500".to_owned()),
        ("CLOCK_DYNO_EXIT_GRACE_MS", "3000".to_owned()),
        ("CLOCK_LOG_LEVEL", "debug".to_owned()),
        ("RUST_LOG", "trace".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// Fails when `text` holds either secret.
fn assert_no_secret(what: &str, text: &str) {
    for secret in [TOKEN, "9f8e7d6c5b4a", STREAM_TOKEN] {
        assert!(!text.contains(secret), "{what} shows a secret:\n{text}");
    }
}

/// A running `clock`, its stdout lines arriving on a channel.
struct Clock {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Clock {
    fn start(config: &Path, env: &[(String, String)]) -> Clock {
        let mut command = Command::new(env!("CARGO_BIN_EXE_clock"));
        command
            .arg("--config")
            .arg(config)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("start clock");
        let (tx, lines) = mpsc::channel();
        for pipe in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Clock {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The first line from now on holding every one of `parts`.
    fn wait_for(&mut self, parts: &[&str]) -> String {
        let deadline = Instant::now() + BOUND;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    assert_no_secret("the clock's output", &line);
                    self.seen.push(line.clone());
                    if parts.iter().all(|part| line.contains(part)) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no line with {parts:?} within {BOUND:?}; output was:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// SIGTERM, then waits for the exit; returns every line seen.
    fn stop(mut self) -> Vec<String> {
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid");
        // SAFETY: kill has no memory-safety preconditions.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + BOUND;
        while self.child.try_wait().expect("try_wait").is_none() {
            assert!(Instant::now() < deadline, "the clock did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(500)) {
            assert_no_secret("the clock's output", &line);
            self.seen.push(line);
        }
        std::mem::take(&mut self.seen)
    }
}

impl Drop for Clock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `dyno=run.N` of a line.
fn dyno_of(line: &str) -> String {
    line.split(' ')
        .find_map(|field| field.strip_prefix("dyno="))
        .unwrap_or_else(|| panic!("no dyno= in {line}"))
        .to_owned()
}

#[test]
fn a_success_and_a_failure_each_with_its_exit_code_in_two_calls_each() {
    let fake = FakePlatform::start();
    let mut clock = Clock::start(&fixture("dyno_success_and_failure"), &dyno_env(&fake));
    let ok = clock.wait_for(&["event=succeeded", "job=ok", "exit_code=0"]);
    let bad = clock.wait_for(&["event=failed", "job=bad", "exit_code=3"]);
    assert!(ok.contains("dyno=run."), "{ok}");
    assert!(bad.contains("dyno=run."), "{bad}");
    let launched = clock
        .seen
        .iter()
        .find(|l| l.contains("event=launched") && l.contains("job=ok"));
    assert!(
        launched.is_some_and(|l| l.contains(&format!("dyno={}", dyno_of(&ok)))),
        "{:?}",
        clock.seen
    );
    clock.stop();
    // The happy path: one create and one log session per run.
    let lines = fake.request_lines();
    let creates = lines
        .iter()
        .filter(|l| *l == &format!("POST /apps/{APP}/dynos"))
        .count();
    let sessions = lines
        .iter()
        .filter(|l| *l == &format!("POST /apps/{APP}/log-sessions"))
        .count();
    assert!(creates >= 2, "{lines:?}");
    assert!(
        sessions <= creates,
        "more than one log session per run: {lines:?}"
    );
    let body = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/dynos"))
        .expect("a create")
        .json();
    assert_eq!(body["attach"], false);
    assert_eq!(body["type"], "run");
    assert_eq!(body["time_to_live"], 86_400);
    assert!(body["env"]["CLOCK_JOB"].is_string(), "{body}");
    assert!(
        body["command"]
            .as_str()
            .is_some_and(|c| c.starts_with(": heroku-clock job=")),
        "{body}"
    );
    fake.assert_schema_followed();
}

#[test]
fn a_timeout_stops_the_dyno_through_actions_stop() {
    let fake = FakePlatform::start();
    let mut clock = Clock::start(&fixture("dyno_timeout"), &dyno_env(&fake));
    let line = clock.wait_for(&["event=timed_out", "job=slow"]);
    let dyno = dyno_of(&line);
    clock.stop();
    let lines = fake.request_lines();
    assert!(
        lines.contains(&format!("POST /apps/{APP}/dynos/{dyno}/actions/stop")),
        "{lines:?}"
    );
    assert!(!lines.iter().any(|l| l.starts_with("DELETE")), "{lines:?}");
    let platform = fake.lines_of(&dyno);
    assert!(
        platform
            .iter()
            .any(|l| l.ends_with("Process exited with status 143")),
        "{platform:?}"
    );
    let create = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/dynos"))
        .expect("a create")
        .json();
    // 1s timeout + 1s kill grace + the 120s margin.
    assert_eq!(create["time_to_live"], 122);
    fake.assert_schema_followed();
}

#[test]
fn overlap_skip_counts_a_running_dyno() {
    let fake = FakePlatform::start();
    let mut clock = Clock::start(&fixture("dyno_overlap_skip"), &dyno_env(&fake));
    clock.wait_for(&["event=launched", "job=long"]);
    clock.wait_for(&["event=skipped", "job=long", "reason=overlap"]);
    clock.wait_for(&["event=succeeded", "job=long"]);
    let seen = clock.stop();
    // The fake answers the first look-up of a dyno with 404, as Heroku can right after a
    // create: that is not the end of the run.
    assert!(
        !seen.iter().any(|l| l.contains("event=lost")),
        "a running dyno was taken for gone: {seen:#?}"
    );
    let infos = fake
        .request_lines()
        .iter()
        .filter(|l| l.starts_with(&format!("GET /apps/{APP}/dynos/run.")))
        .count();
    assert!(infos >= 2, "the dyno was never looked up");
    fake.assert_schema_followed();
}

#[test]
fn a_restarted_clock_adopts_the_dyno_it_left_running() {
    let fake = FakePlatform::start();
    let env = dyno_env(&fake);
    let mut first = Clock::start(&fixture("dyno_adopt"), &env);
    let launched = first.wait_for(&["event=launched", "job=report"]);
    let dyno = dyno_of(&launched);
    let seen = first.stop();
    assert!(
        seen.iter()
            .any(|l| l.contains("event=detached") && l.contains(&format!("dyno={dyno}"))),
        "{seen:?}"
    );
    assert!(
        fake.running().contains(&dyno),
        "SIGTERM stopped the dyno: {:?}",
        fake.running()
    );
    let mut second = Clock::start(&fixture("dyno_adopt"), &env);
    second.wait_for(&["event=adopted", "job=report", &format!("dyno={dyno}")]);
    second.wait_for(&["event=skipped", "job=report", "reason=overlap"]);
    second.wait_for(&[
        "event=failed",
        "job=report",
        "exit_code=5",
        &format!("dyno={dyno}"),
    ]);
    second.stop();
    fake.assert_schema_followed();
}

#[test]
fn overlap_replace_stops_the_running_dyno() {
    let fake = FakePlatform::start();
    let mut clock = Clock::start(&fixture("dyno_replace"), &dyno_env(&fake));
    let launched = clock.wait_for(&["event=launched", "job=fresh"]);
    let dyno = dyno_of(&launched);
    clock.wait_for(&["event=replacing", "job=fresh"]);
    let killed = clock.wait_for(&["event=killed", "job=fresh", "reason=replaced"]);
    assert!(killed.contains(&format!("dyno={dyno}")), "{killed}");
    clock.wait_for(&["event=launched", "job=fresh"]);
    clock.stop();
    let lines = fake.request_lines();
    assert!(
        lines.contains(&format!("POST /apps/{APP}/dynos/{dyno}/actions/stop")),
        "{lines:?}"
    );
    fake.assert_schema_followed();
}

#[test]
fn a_run_whose_exit_line_never_comes_is_lost() {
    let fake = FakePlatform::start();
    fake.withhold_exit_lines();
    let mut clock = Clock::start(&fixture("dyno_lost"), &dyno_env(&fake));
    let lost = clock.wait_for(&["event=lost", "job=silent"]);
    assert!(lost.contains("dyno=run."), "{lost}");
    assert!(lost.contains("exit status never reached"), "{lost}");
    clock.stop();
    fake.assert_schema_followed();
}

#[test]
fn a_dyno_killed_for_memory_says_so() {
    let fake = FakePlatform::start();
    let mut clock = Clock::start(&fixture("dyno_memory"), &dyno_env(&fake));
    let line = clock.wait_for(&["event=failed", "job=hungry", "exit_code=137"]);
    assert!(line.contains("R15"), "{line}");
    assert!(line.contains("larger dyno_size"), "{line}");
    clock.stop();
}

#[test]
fn a_rate_limited_start_waits_and_succeeds() {
    let fake = FakePlatform::start();
    fake.script_create(vec![
        Reply::error(429, "rate_limit", "Your account reached the API rate limit")
            .with_header("Retry-After", "1"),
        Reply::error(503, "unavailable", "Service unavailable"),
        Reply::error(409, "conflict", "The release is not ready yet"),
    ]);
    let mut clock = Clock::start(&fixture("dyno_rate_limited"), &dyno_env(&fake));
    clock.wait_for(&["event=succeeded", "job=patient", "exit_code=0"]);
    clock.stop();
    let creates = fake.creates();
    assert!(creates.len() >= 4, "{creates:?}");
    let waited = creates[1]
        .0
        .duration_since(creates[0].0)
        .unwrap_or_default();
    assert!(
        waited >= Duration::from_millis(900),
        "Retry-After was not honoured: {waited:?}"
    );
}

#[test]
fn a_create_answered_503_after_the_dyno_started_is_not_sent_twice() {
    let fake = FakePlatform::start();
    fake.script_create_after_starting(vec![Reply::error(
        503,
        "unavailable",
        "Service unavailable",
    )]);
    let mut clock = Clock::start(&fixture("dyno_create_unsure"), &dyno_env(&fake));
    let line = clock.wait_for(&["event=succeeded", "job=unsure", "exit_code=0"]);
    clock.stop();
    let slot = line
        .split(' ')
        .find_map(|word| word.strip_prefix("scheduled_for="))
        .expect("a scheduled_for")
        .to_owned();
    let creates: Vec<String> = fake.creates().into_iter().map(|(_, s)| s).collect();
    assert_eq!(
        creates.first(),
        Some(&slot),
        "the run whose create got a 503 is the one that succeeded"
    );
    assert_eq!(
        creates.iter().filter(|s| **s == slot).count(),
        1,
        "one create for the slot whose create got a 503: {creates:?}"
    );
    assert!(
        fake.request_lines()
            .iter()
            .any(|line| line.starts_with("GET /apps/clock-demo/dynos")),
        "the clock looked for the dyno: {:?}",
        fake.request_lines()
    );
    fake.assert_schema_followed();
}

#[test]
fn a_size_the_tier_refuses_fails_the_run_saying_what_to_change() {
    let fake = FakePlatform::start();
    fake.script_create(vec![Reply::error(
        422,
        "invalid_params",
        "Requested type Performance-L is not available in this dyno type.",
    )]);
    let mut clock = Clock::start(&fixture("dyno_refused_size"), &dyno_env(&fake));
    let line = clock.wait_for(&["event=failed", "job=big"]);
    assert!(line.contains("exit_code=127"), "{line}");
    assert!(line.contains("dyno_size: performance-l"), "{line}");
    assert!(line.contains("POST /apps/clock-demo/dynos"), "{line}");
    assert!(
        !line.contains("127.0.0.1"),
        "the request's host is shown: {line}"
    );
    clock.stop();
}

#[test]
fn a_dropped_log_stream_is_reopened_and_the_exit_still_learnt() {
    let fake = FakePlatform::start();
    fake.drop_first_stream_after(2);
    let mut clock = Clock::start(&fixture("dyno_stream_drop"), &dyno_env(&fake));
    let line = clock.wait_for(&["event=failed", "job=flaky", "exit_code=4"]);
    let dyno = dyno_of(&line);
    clock.stop();
    assert!(fake.streams_of(&dyno) >= 2, "the stream was not reopened");
    fake.assert_schema_followed();
}

fn run_clock_once(config: &Path, env: &[(String, String)]) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_clock"));
    command.arg("--config").arg(config).env_clear();
    command.env("PATH", std::env::var("PATH").unwrap_or_default());
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("run clock");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert_no_secret("the clock's output", &text);
    (output.status.code().unwrap_or(-1), text)
}

#[test]
fn a_missing_token_or_app_name_keeps_the_clock_from_starting() {
    let fake = FakePlatform::start();
    let config = fixture("dyno_success_and_failure");
    let without = |name: &str| -> Vec<(String, String)> {
        dyno_env(&fake)
            .into_iter()
            .filter(|(k, _)| k != name)
            .collect()
    };
    let (code, text) = run_clock_once(&config, &without("HEROKU_API_KEY"));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("HEROKU_API_KEY is not set"), "{text}");
    assert!(text.contains("heroku config:set HEROKU_API_KEY="), "{text}");
    assert!(text.contains("heroku authorizations:create"), "{text}");
    let (code, text) = run_clock_once(&config, &without("HEROKU_APP_NAME"));
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("HEROKU_APP_NAME is not set"), "{text}");
    assert!(
        text.contains("heroku labs:enable runtime-dyno-metadata"),
        "{text}"
    );
    assert!(
        fake.request_lines().is_empty(),
        "a request was sent: {:?}",
        fake.request_lines()
    );
}

#[test]
fn clockctl_run_dyno_prints_the_dyno_and_exits_with_its_code() {
    let fake = FakePlatform::start();
    let mut command = Command::new(env!("CARGO_BIN_EXE_clockctl"));
    command
        .args(["run", "bad", "--dyno"])
        .arg(fixture("dyno_success_and_failure"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", "/nonexistent");
    for (key, value) in dyno_env(&fake) {
        command.env(key, value);
    }
    let output = command.output().expect("run clockctl");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert_no_secret("clockctl's output", &text);
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert!(
        text.contains("event=launched job=bad run=1 dyno=run."),
        "{text}"
    );
    assert!(text.contains("event=failed"), "{text}");
    fake.assert_schema_followed();
}

/// The clock binary to measure: `CLOCK_BENCH_BIN` (a release build), else the test build.
fn bench_binary() -> PathBuf {
    std::env::var_os("CLOCK_BENCH_BIN")
        .map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_clock")), PathBuf::from)
}

/// VmRSS and VmHWM of `pid`, in KiB.
fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Benchmarks for docs/BENCHMARKS.md (not a test: it asserts nothing about speed).
/// `cargo nextest run --test clock_dyno --run-ignored only benchmark_ --no-capture`.
#[test]
#[ignore = "a benchmark; run it by hand"]
fn benchmark_post_lateness_and_rss_in_flight() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Lateness: 20 dyno jobs firing every second (1,200 runs a minute, 60 times the
    // issue's 20 a minute), for 15 seconds.
    let fake = FakePlatform::start();
    let mut yml = String::from("jobs:\n");
    for n in 0..20 {
        yml.push_str(&format!(
            "  job-{n}:\n    every: 1s\n    command: \"true\"\n    run: dyno\n"
        ));
    }
    let config = dir.path().join("lateness.yml");
    std::fs::write(&config, yml).expect("write");
    let mut env = dyno_env(&fake);
    env.retain(|(k, _)| k != "CLOCK_LOG_LEVEL");
    let log = dir.path().join("lateness.log");
    let mut command = Command::new(bench_binary());
    command
        .arg("--config")
        .arg(&config)
        .env_clear()
        .stdout(std::fs::File::create(&log).expect("log file"))
        .stderr(Stdio::null());

    for (key, value) in &env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("start clock");
    std::thread::sleep(Duration::from_secs(16));
    let _ = child.kill();
    let _ = child.wait();
    let mut late: Vec<f64> = fake
        .creates()
        .iter()
        .filter_map(|(arrived, slot)| {
            let slot = chrono::DateTime::parse_from_rfc3339(slot).ok()?;
            let arrived: chrono::DateTime<chrono::Utc> = (*arrived).into();
            Some((arrived - slot.to_utc()).num_microseconds()? as f64 / 1000.0)
        })
        .collect();
    late.sort_by(f64::total_cmp);
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let mut durations: Vec<u64> = text
        .lines()
        .filter(|l| l.contains("event=succeeded"))
        .filter_map(|l| {
            l.split(' ')
                .find_map(|f| f.strip_prefix("duration_ms="))?
                .parse()
                .ok()
        })
        .collect();
    durations.sort_unstable();
    let skipped = text.lines().filter(|l| l.contains("event=skipped")).count();
    println!(
        "runs: {} succeeded (median {} ms from POST to exit line), {skipped} slots skipped",
        durations.len(),
        durations.get(durations.len() / 2).copied().unwrap_or(0)
    );
    let at = |q: f64| late[((late.len() as f64 - 1.0) * q).round() as usize];
    let calls = fake.request_lines().len() as f64;
    println!(
        "POST lateness over {} runs: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {:.2} API calls per run",
        late.len(),
        at(0.5),
        at(0.99),
        at(1.0),
        calls / late.len() as f64
    );
}

/// Benchmark for docs/BENCHMARKS.md: the clock's memory with 50 dyno runs in flight.
#[test]
#[ignore = "a benchmark; run it by hand"]
fn benchmark_rss_with_50_dynos_in_flight() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fake = FakePlatform::start();
    let mut env = dyno_env(&fake);
    env.retain(|(k, _)| k != "CLOCK_LOG_LEVEL");
    let mut yml = String::from("jobs:\n");
    for n in 0..50 {
        yml.push_str(&format!(
            "  job-{n}:\n    every: 1h\n    command: sleep 20\n    run: dyno\n"
        ));
    }
    // `every: 1h` would not fire for a while: a cron every second starts them now.
    let yml = yml.replace("every: 1h", "cron: \"* * * * * *\"");
    let config = dir.path().join("rss.yml");
    std::fs::write(&config, yml).expect("write");
    let mut command = Command::new(bench_binary());
    command
        .arg("--config")
        .arg(&config)
        .env_clear()
        .stdout(std::fs::File::create(dir.path().join("rss.log")).expect("log file"))
        .stderr(Stdio::null());
    for (key, value) in &env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("start clock");
    let until = Instant::now() + BOUND;
    while fake.running().len() < 50 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(5));
    let (rss, hwm) = rss_kib(child.id());
    println!(
        "50 dyno runs in flight: {} running, clock VmRSS {:.1} MiB, VmHWM {:.1} MiB",
        fake.running().len(),
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
    let _ = child.kill();
    let _ = child.wait();
    let log = std::fs::read_to_string(dir.path().join("rss.log")).unwrap_or_default();
    let launched = log.lines().filter(|l| l.contains("event=launched")).count();
    let failed: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("event=failed"))
        .take(3)
        .collect();
    println!("{launched} launched; failures: {failed:?}");
}
