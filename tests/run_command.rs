//! `clockctl run JOB [FILE]` end to end: one run in the foreground, its output forwarded,
//! its exit code passed through (124 for a timeout), and an unknown job named clearly.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Far longer than any run here needs; reached only when something is broken.
const BOUND: Duration = Duration::from_secs(30);

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Runs `clockctl ARGS` in `dir` to its end (bounded) and returns what it wrote.
fn clockctl(dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_clockctl"))
        .args(args)
        .current_dir(dir)
        .env_remove("CLOCK_CONFIG")
        .env_remove("CLOCK_LOG_FORMAT")
        .env_remove("CLOCK_LOG_LEVEL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start clockctl");
    let deadline = Instant::now() + BOUND;
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("clockctl {args:?} did not end within {BOUND:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn exit_codes_pass_through() {
    let dir = fixture("clock_run_jobs");
    let cases: &[(&str, i32, &str)] = &[
        ("greet", 0, "event=succeeded"),
        ("exits-three", 3, "event=failed"),
        ("hangs", 124, "event=timed_out"),
        ("disabled-one", 0, "event=succeeded"),
    ];
    for (job, code, event) in cases {
        let output = clockctl(&dir, &["run", job]);
        let stdout = text(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(*code),
            "job {job}; stdout:\n{stdout}"
        );
        assert!(
            stdout.contains(event),
            "job {job}: no {event} in:\n{stdout}"
        );
        assert!(
            stdout.contains(&format!("event=started job={job} run=1")),
            "job {job}: no started line in:\n{stdout}"
        );
    }
}

#[test]
fn output_and_env_are_the_clocks() {
    let output = clockctl(&fixture("clock_run_jobs"), &["run", "greet"]);
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(
            "event=output job=greet run=1 stream=stdout line=\"hello from greet with howdy\""
        ),
        "stdout:\n{stdout}"
    );
}

#[test]
fn the_file_can_be_named() {
    let file = fixture("clock_run_jobs").join("clock.yml");
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let output = clockctl(
        elsewhere.path(),
        &["run", "exits-three", &file.to_string_lossy()],
    );
    assert_eq!(
        output.status.code(),
        Some(3),
        "stderr: {}",
        text(&output.stderr)
    );
}

#[test]
fn an_unknown_job_lists_the_jobs() {
    let output = clockctl(&fixture("clock_run_jobs"), &["run", "nope"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr:\n{stderr}");
    assert!(
        stderr.contains("error: no job named \"nope\""),
        "stderr:\n{stderr}"
    );
    assert!(
        stderr.contains("greet, exits-three, hangs, disabled-one, waits"),
        "stderr:\n{stderr}"
    );
    assert!(output.stdout.is_empty(), "nothing ran");
}

#[test]
fn an_invalid_file_runs_nothing() {
    let output = clockctl(&fixture("clock_invalid_config"), &["run", "typo"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr:\n{stderr}");
    assert!(
        stderr.contains("clock.yml:3:5: error:"),
        "stderr:\n{stderr}"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn ctrl_c_stops_the_job_and_exits_143() {
    use std::io::{BufRead as _, BufReader};

    let mut child = Command::new(env!("CARGO_BIN_EXE_clockctl"))
        .args(["run", "waits"])
        .current_dir(fixture("clock_run_jobs"))
        .env_remove("CLOCK_CONFIG")
        .env_remove("CLOCK_LOG_FORMAT")
        .env_remove("CLOCK_LOG_LEVEL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start clockctl");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    while !seen.iter().any(|l: &String| l.contains("line=waiting")) {
        match lines.recv_timeout(BOUND) {
            Ok(line) => seen.push(line),
            Err(_) => {
                let _ = child.kill();
                panic!("the job never started; saw {seen:#?}");
            }
        }
    }
    let pid = libc::pid_t::try_from(child.id()).expect("a pid");
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(pid, libc::SIGINT);
    }
    let deadline = Instant::now() + BOUND;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("clockctl run did not stop within {BOUND:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // The reader ends at end-of-file, which closes the channel.
    while let Ok(line) = lines.recv_timeout(BOUND) {
        seen.push(line);
    }
    assert_eq!(status.code(), Some(143), "output:\n{}", seen.join("\n"));
    assert!(
        seen.iter()
            .any(|l| l.contains("event=killed") && l.contains("reason=stopped")),
        "output:\n{}",
        seen.join("\n")
    );
}

#[test]
fn every_line_is_written_before_clockctl_exits() {
    use std::io::Read as _;
    // 2,000 lines are more than a pipe holds, and the pipe is read only after a second:
    // when the run ends, much of its log is still queued, and must still come out.
    let mut child = Command::new(env!("CARGO_BIN_EXE_clockctl"))
        .args(["run", "count"])
        .current_dir(fixture("clock_run_many_lines"))
        .env_remove("CLOCK_CONFIG")
        .env_remove("CLOCK_LOG_FORMAT")
        .env_remove("CLOCK_LOG_LEVEL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start clockctl");
    std::thread::sleep(Duration::from_secs(1));
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .expect("piped stdout")
        .read_to_string(&mut stdout)
        .expect("read stdout");
    let status = child.wait().expect("clockctl exits");
    assert_eq!(status.code(), Some(0), "stdout:\n{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    let forwarded = lines
        .iter()
        .filter(|l| l.contains("event=output job=count"))
        .count();
    assert_eq!(forwarded, 2000, "output lines lost at exit");
    assert!(
        lines.last().is_some_and(|l| l.contains("event=succeeded")),
        "the run's end is the last line: {:?}",
        lines.last()
    );
}
