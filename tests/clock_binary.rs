//! The `clock` binary end to end: real jobs (`every: 1s`) from the fixtures in
//! `tests/fixtures/clock_*`, run in a temporary copy of the fixture folder, with stdout
//! read line by line. Every wait is bounded, so a broken build fails instead of hanging.

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Far longer than any scenario needs; reached only when something is broken.
const BOUND: Duration = Duration::from_secs(30);

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A running `clock`, its stdout lines arriving on a channel.
struct Clock {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    _dir: tempfile::TempDir,
}

impl Clock {
    /// Starts `clock` in a copy of the fixture folder (so jobs may write files there).
    fn start(fixture_name: &str, envs: &[(&str, &str)], args: &[&str]) -> Clock {
        let (child, dir) = spawn_unread(fixture_name, envs, args);
        Clock::read(child, dir)
    }

    /// Starts reading the stdout of a clock started by [`spawn_unread`].
    fn read(mut child: Child, dir: tempfile::TempDir) -> Clock {
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Clock {
            child,
            lines,
            seen: Vec::new(),
            _dir: dir,
        }
    }

    /// The first line (from now on) that has every `key=value` pair; panics with all
    /// output seen so far when none comes within the bound.
    fn wait_for(&mut self, pairs: &[(&str, &str)]) -> Fields {
        let deadline = Instant::now() + BOUND;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    let fields = Fields::parse(&line);
                    if pairs
                        .iter()
                        .all(|(k, v)| fields.get(k).as_deref() == Some(*v))
                    {
                        return fields;
                    }
                }
                Err(_) => panic!(
                    "no line with {pairs:?} within {BOUND:?}; output was:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    fn signal(&self, signal: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("a pid");
        // SAFETY: kill has no memory-safety preconditions.
        unsafe {
            libc::kill(pid, signal);
        }
    }

    /// Waits (bounded) for the clock to exit; returns its status and every stdout line.
    fn wait_exit(mut self) -> (ExitStatus, Vec<String>) {
        let deadline = Instant::now() + BOUND;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "clock did not exit within {BOUND:?}; output:\n{}",
                    self.seen.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        (status, std::mem::take(&mut self.seen))
    }
}

/// Starts `clock` in a copy of the fixture folder (so jobs may write files there), with
/// its stdout a pipe that nobody reads yet.
fn spawn_unread(
    fixture_name: &str,
    envs: &[(&str, &str)],
    args: &[&str],
) -> (Child, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::copy(
        fixture(fixture_name).join("clock.yml"),
        dir.path().join("clock.yml"),
    )
    .expect("copy the fixture");
    let mut command = Command::new(env!("CARGO_BIN_EXE_clock"));
    command
        .args(args)
        .current_dir(dir.path())
        .env_remove("CLOCK_CONFIG")
        .env_remove("CLOCK_LOG_FORMAT")
        .env_remove("CLOCK_LOG_LEVEL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in envs {
        command.env(key, value);
    }
    let child = command.spawn().expect("start clock");
    (child, dir)
}

impl Drop for Clock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A logfmt line read back into its fields (quoted values unescaped).
struct Fields(Vec<(String, String)>);

impl Fields {
    fn parse(line: &str) -> Fields {
        let mut fields = Vec::new();
        let mut chars = line.chars().peekable();
        loop {
            while chars.peek() == Some(&' ') {
                chars.next();
            }
            let key: String = chars.by_ref().take_while(|&c| c != '=').collect();
            if key.is_empty() {
                break;
            }
            let mut value = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some('n') => value.push('\n'),
                            Some('t') => value.push('\t'),
                            Some('r') => value.push('\r'),
                            Some(other) => value.push(other),
                            None => break,
                        },
                        c => value.push(c),
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ' ' {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
            }
            fields.push((key, value));
        }
        Fields(fields)
    }

    fn get(&self, key: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }
}

fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/status")) {
        Ok(status) => !status
            .lines()
            .any(|l| l.starts_with("State:") && l.contains('Z')),
        Err(_) => false,
    }
}

#[test]
fn announces_jobs_then_forwards_output_line_by_line() {
    let mut clock = Clock::start("clock_output_forwarding", &[], &[]);
    let scheduled = clock.wait_for(&[("event", "scheduled"), ("job", "talk")]);
    assert!(scheduled.get("next_run").is_some_and(|t| t.ends_with('Z')));
    assert!(
        scheduled
            .get("schedule")
            .is_some_and(|s| s.contains("second"))
    );
    clock.wait_for(&[("event", "running"), ("jobs", "1"), ("disabled", "0")]);
    let started = clock.wait_for(&[("event", "started"), ("job", "talk")]);
    let run = started.get("run").expect("a run id");
    let tag = [("event", "output"), ("job", "talk"), ("run", run.as_str())];
    let line = |text: &'static str| [tag[0], tag[1], tag[2], ("line", text)];
    clock.wait_for(&line("first line"));
    clock.wait_for(&line("second \"quoted\" = line"));
    clock.wait_for(&line("caf\u{fffd}"));
    clock.wait_for(&line("no newline at the end"));
    let ended = clock.wait_for(&[("event", "succeeded"), ("run", run.as_str())]);
    assert_eq!(ended.get("exit_code").as_deref(), Some("0"));
    assert!(ended.get("duration_ms").is_some());
    clock.signal(libc::SIGTERM);
    let (status, lines) = clock.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("stream=stderr line=to-stderr")),
        "stderr was not forwarded"
    );
    assert!(
        lines.iter().all(|l| l.starts_with("at=")),
        "every line is logfmt starting with at=: {lines:#?}"
    );
}

#[test]
fn a_timeout_kills_the_grandchild_too() {
    let mut clock = Clock::start("clock_timeout_kills_group", &[], &[]);
    let output = clock.wait_for(&[("event", "output"), ("job", "hang")]);
    let grandchild: u32 = output
        .get("line")
        .and_then(|l| l.strip_prefix("grandchild ")?.parse().ok())
        .expect("the grandchild's pid");
    let run = output.get("run").expect("run id");
    let timed_out = clock.wait_for(&[("event", "timed_out"), ("run", run.as_str())]);
    assert!(timed_out.get("duration_ms").is_some());
    let deadline = Instant::now() + BOUND;
    while alive(grandchild) {
        assert!(
            Instant::now() < deadline,
            "grandchild {grandchild} outlived its run's timeout"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    clock.signal(libc::SIGTERM);
    let (status, _) = clock.wait_exit();
    assert!(status.success());
}

#[test]
fn a_process_left_in_the_background_is_ended_with_its_run() {
    let mut clock = Clock::start("clock_leftover_process", &[], &[]);
    let output = clock.wait_for(&[("event", "output"), ("job", "daemon")]);
    let sleep: u32 = output
        .get("line")
        .and_then(|l| l.strip_prefix("started ")?.parse().ok())
        .expect("the background sleep's pid");
    let run = output.get("run").expect("run id");
    let leftover = clock.wait_for(&[("event", "leftover"), ("run", run.as_str())]);
    assert_eq!(leftover.get("at").as_deref(), Some("warn"));
    assert_eq!(leftover.get("processes").as_deref(), Some("1"));
    let succeeded = clock.wait_for(&[("event", "succeeded"), ("run", run.as_str())]);
    let duration_ms: u64 = succeeded
        .get("duration_ms")
        .and_then(|d| d.parse().ok())
        .expect("duration_ms");
    // The command exits at once; the 2 s output drain (the sleep holds stdout open) is
    // not the run's time.
    assert!(
        duration_ms < 2000,
        "duration_ms={duration_ms} counts the output drain"
    );
    let deadline = Instant::now() + BOUND;
    while alive(sleep) {
        assert!(
            Instant::now() < deadline,
            "sleep {sleep} outlived the run that started it"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    clock.signal(libc::SIGTERM);
    let (status, lines) = clock.wait_exit();
    assert!(status.success());
    let run_tag = format!(" run={run} ");
    let leftovers = lines
        .iter()
        .filter(|l| l.contains("event=leftover") && l.contains(&run_tag))
        .count();
    assert_eq!(
        leftovers,
        1,
        "one leftover line for the run:\n{}",
        lines.join("\n")
    );
}

#[test]
fn a_stdout_nobody_reads_does_not_stop_the_timers() {
    let (child, dir) = spawn_unread("clock_stalled_stdout", &[], &[]);
    let ticks = dir.path().join("ticks");
    let count_ticks = || {
        std::fs::read_to_string(&ticks)
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    // Each run prints 2 MB; a pipe holds 64 KiB. A clock that wrote its log on its
    // only thread would be stuck inside the first run's output by now.
    let deadline = Instant::now() + BOUND;
    while count_ticks() < 4 {
        assert!(
            Instant::now() < deadline,
            "the timers stopped with stdout unread: {} ticks in {BOUND:?}",
            count_ticks()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let ticked = count_ticks();
    let clock = Clock::read(child, dir);
    clock.signal(libc::SIGTERM);
    let (status, lines) = clock.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    let dropped = lines
        .iter()
        .map(|l| Fields::parse(l))
        .filter(|f| f.get("event").as_deref() == Some("output_dropped"))
        .collect::<Vec<_>>();
    assert!(!dropped.is_empty(), "no output_dropped line");
    for line in &dropped {
        assert_eq!(line.get("at").as_deref(), Some("warn"));
        assert!(line.get("dropped").is_some_and(|n| n != "0"));
    }
    let events = |event: &str| {
        lines
            .iter()
            .filter(|l| l.contains(&format!(" event={event} ")))
            .count()
    };
    // The clock's own lines are never dropped: every tick's run was announced, and
    // every announced run was closed.
    assert!(events("started") >= ticked, "started lines were dropped");
    assert_eq!(
        events("started"),
        events("succeeded") + events("interrupted"),
        "a run's closing line was dropped"
    );
    assert_eq!(events("stopped"), 1);
}

#[test]
fn a_long_line_fits_logplex_cut_between_characters() {
    let mut clock = Clock::start("clock_long_line", &[], &[]);
    let cut = clock.wait_for(&[("event", "output"), ("truncated", "true")]);
    let run = cut.get("run").expect("run id");
    clock.wait_for(&[
        ("event", "output"),
        ("run", run.as_str()),
        ("line", "after"),
    ]);
    clock.signal(libc::SIGTERM);
    let (_, lines) = clock.wait_exit();
    let line = lines
        .iter()
        .find(|l| l.contains("truncated=true"))
        .expect("the cut line");
    assert!(
        line.len() < 10_000,
        "{} bytes and a newline is over Logplex's 10,000",
        line.len()
    );
    assert!(line.starts_with("at=info event=output job=long run="));
    let text = cut.get("line").expect("a line value");
    assert!(
        text.len() > 9_000,
        "cut far too short: {} bytes",
        text.len()
    );
    assert!(
        text.chars().all(|c| c == '€'),
        "a character was split at the cut"
    );
}

#[test]
fn a_long_json_line_fits_logplex_too() {
    let clock = Clock::start("clock_long_line", &[("CLOCK_LOG_FORMAT", "json")], &[]);
    let deadline = Instant::now() + BOUND;
    let line = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = clock
            .lines
            .recv_timeout(left)
            .expect("a cut output line in JSON within the bound");
        if line.contains("\"truncated\":true") {
            break line;
        }
    };
    assert!(line.len() < 10_000, "{} bytes and a newline", line.len());
    let value: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    assert_eq!(value["event"], "output");
    assert_eq!(value["job"], "long");
    let text = value["line"].as_str().expect("a line");
    assert!(
        text.len() > 9_000,
        "cut far too short: {} bytes",
        text.len()
    );
    assert!(text.chars().all(|c| c == '€'), "a character was split");
}

#[test]
fn sigterm_interrupts_the_running_job_and_exits_zero() {
    let mut clock = Clock::start("clock_sigterm_during_run", &[], &[]);
    let started = clock.wait_for(&[("event", "started"), ("job", "long")]);
    let run = started.get("run").expect("run id");
    clock.wait_for(&[("event", "output"), ("line", "working")]);
    clock.wait_for(&[("event", "skipped"), ("job", "long"), ("reason", "overlap")]);
    clock.signal(libc::SIGTERM);
    clock.wait_for(&[
        ("event", "shutdown"),
        ("signal", "SIGTERM"),
        ("running", "1"),
    ]);
    clock.wait_for(&[("event", "interrupted"), ("run", run.as_str())]);
    clock.wait_for(&[("event", "stopped")]);
    let (status, lines) = clock.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    assert!(
        !lines.iter().any(|l| l.contains("event=grace_over")),
        "sleep ends on SIGTERM; the grace should not run out"
    );
}

#[test]
fn sigint_stops_the_clock_like_sigterm() {
    let mut clock = Clock::start("clock_sigterm_during_run", &[], &[]);
    clock.wait_for(&[("event", "output"), ("line", "working")]);
    clock.signal(libc::SIGINT);
    clock.wait_for(&[("event", "shutdown"), ("signal", "SIGINT")]);
    clock.wait_for(&[("event", "interrupted")]);
    let (status, _) = clock.wait_exit();
    assert!(status.success());
}

#[test]
fn a_failed_run_is_retried_after_its_backoff() {
    let mut clock = Clock::start("clock_retries", &[], &[]);
    let failed = clock.wait_for(&[("event", "failed"), ("exit_code", "3"), ("attempt", "1")]);
    let slot = failed.get("scheduled_for").expect("scheduled_for");
    clock.wait_for(&[
        ("event", "retrying"),
        ("scheduled_for", slot.as_str()),
        ("attempt", "2"),
        ("delay_ms", "1000"),
    ]);
    let retry = clock.wait_for(&[
        ("event", "started"),
        ("scheduled_for", slot.as_str()),
        ("attempt", "2"),
    ]);
    let run = retry.get("run").expect("run id");
    clock.wait_for(&[
        ("event", "output"),
        ("run", run.as_str()),
        ("line", "attempt 2"),
    ]);
    clock.wait_for(&[("event", "failed"), ("run", run.as_str()), ("attempt", "2")]);
    clock.signal(libc::SIGTERM);
    let (status, lines) = clock.wait_exit();
    assert!(status.success());
    let retried_twice = lines
        .iter()
        .any(|l| l.contains("event=retrying") && l.contains("attempt=3"));
    assert!(!retried_twice, "retries: 1 allows one retry only");
}

#[test]
fn json_lines_when_asked() {
    let clock = Clock::start(
        "clock_output_forwarding",
        &[("CLOCK_LOG_FORMAT", "json")],
        &[],
    );
    let deadline = Instant::now() + BOUND;
    let mut seen = Vec::new();
    let started = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = clock
            .lines
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no started event in JSON; saw {seen:#?}"));
        let value: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(line.starts_with("{\"at\":"), "at comes first: {line}");
        seen.push(line);
        if value["event"] == "started" {
            break value;
        }
    };
    assert_eq!(started["at"], "info");
    assert_eq!(started["job"], "talk");
    assert!(started["run"].is_u64(), "run is a number: {started}");
    assert!(started["late_ms"].is_u64());
}

#[test]
fn timestamps_begin_every_line_when_asked() {
    let mut clock = Clock::start("clock_output_forwarding", &[], &["--timestamps"]);
    clock.wait_for(&[("event", "running")]);
    clock.signal(libc::SIGTERM);
    let (status, lines) = clock.wait_exit();
    assert!(status.success());
    for line in &lines {
        let time = Fields::parse(line).get("time").unwrap_or_default();
        assert!(
            line.starts_with("time=") && chrono::DateTime::parse_from_rfc3339(&time).is_ok(),
            "no RFC 3339 time= first: {line}"
        );
    }
}

#[test]
fn an_invalid_log_level_is_a_warning_not_a_failure() {
    let mut clock = Clock::start(
        "clock_output_forwarding",
        &[("CLOCK_LOG_LEVEL", "loud")],
        &[],
    );
    let warning = clock.wait_for(&[("event", "setting_ignored")]);
    assert_eq!(warning.get("at").as_deref(), Some("warn"));
    assert_eq!(warning.get("variable").as_deref(), Some("CLOCK_LOG_LEVEL"));
    clock.wait_for(&[("event", "running")]);
}

#[test]
fn an_invalid_config_exits_non_zero_with_located_errors() {
    let mut clock = Clock::start("clock_invalid_config", &[], &[]);
    let (status, lines) = {
        let mut stderr = String::new();
        if let Some(mut pipe) = clock.child.stderr.take() {
            pipe.read_to_string(&mut stderr).expect("read stderr");
        }
        let status = clock.child.wait().expect("clock exits");
        (status, stderr)
    };
    assert_eq!(status.code(), Some(1), "stderr:\n{lines}");
    assert!(
        lines.contains("clock.yml:3:5: error:"),
        "no FILE:LINE:COL error in:\n{lines}"
    );
    assert!(
        clock.lines.recv_timeout(Duration::from_secs(5)).is_err(),
        "an invalid clock must not log (or start) anything"
    );
}

#[test]
fn a_missing_config_names_the_file() {
    let mut clock = Clock::start("clock_invalid_config", &[], &["--config", "nope.yml"]);
    let output = clock.child.wait_with_output_bounded();
    assert_eq!(output.0.code(), Some(2));
    assert!(output.1.contains("nope.yml"), "stderr: {}", output.1);
}

#[test]
fn clock_config_names_the_file_too() {
    let mut clock = Clock::start(
        "clock_invalid_config",
        &[("CLOCK_CONFIG", "elsewhere.yml")],
        &[],
    );
    let output = clock.child.wait_with_output_bounded();
    assert_eq!(output.0.code(), Some(2));
    assert!(output.1.contains("elsewhere.yml"), "stderr: {}", output.1);
}

trait WaitBounded {
    fn wait_with_output_bounded(&mut self) -> (ExitStatus, String);
}

impl WaitBounded for Child {
    /// Waits (bounded) for exit and returns the status and stderr.
    fn wait_with_output_bounded(&mut self) -> (ExitStatus, String) {
        let deadline = Instant::now() + BOUND;
        let status = loop {
            if let Some(status) = self.try_wait().expect("try_wait") {
                break status;
            }
            assert!(Instant::now() < deadline, "did not exit within {BOUND:?}");
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stderr = String::new();
        if let Some(mut pipe) = self.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        (status, stderr)
    }
}
