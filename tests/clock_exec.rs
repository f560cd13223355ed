//! The process executor against real processes: output forwarding, timeouts that take the
//! whole process group, stop requests, and jobs that misbehave. Every wait is bounded so a
//! broken executor fails the test instead of hanging it.

use std::collections::BTreeMap;
use std::time::Duration;

use heroku_clock::exec::{Control, End, Executor as _, LocalExecutor, Outcome, RunSpec};
use heroku_clock::logging::{self, Capture};

/// Far longer than any test needs; only reached when something is broken.
const BOUND: Duration = Duration::from_secs(30);

fn spec(command: &str) -> RunSpec {
    RunSpec {
        job: "probe".into(),
        run: 7,
        command: command.into(),
        env: BTreeMap::new(),
        timeout: None,
        kill_grace: Duration::from_secs(5),
    }
}

/// Runs `spec` to its end and returns the outcome and what was logged.
async fn run(spec: RunSpec) -> (Outcome, Capture) {
    let (subscriber, capture) = logging::capture();
    let _guard = tracing::subscriber::set_default(subscriber);
    let handle = LocalExecutor.start(spec);
    let outcome = tokio::time::timeout(BOUND, handle.wait())
        .await
        .expect("the run did not end within the bound");
    (outcome, capture)
}

/// `(stream, line)` of every forwarded line, in order.
fn output(capture: &Capture) -> Vec<(String, String)> {
    capture
        .records()
        .iter()
        .filter(|r| r.get("event").as_deref() == Some("output"))
        .map(|r| {
            (
                r.get("stream").unwrap_or_default(),
                r.get("line").unwrap_or_default(),
            )
        })
        .collect()
}

fn stdout_lines(capture: &Capture) -> Vec<String> {
    output(capture)
        .into_iter()
        .filter(|(stream, _)| stream == "stdout")
        .map(|(_, line)| line)
        .collect()
}

/// Whether `pid` is a live process. A zombie (nobody reaps orphans in a container without
/// an init) is dead for this purpose: it runs nothing and holds nothing.
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/status")) {
        Ok(status) => !status
            .lines()
            .any(|l| l.starts_with("State:") && l.contains('Z')),
        Err(_) => false,
    }
}

/// Waits (bounded) for `pid` to die; panics with `what` if it does not.
async fn assert_dies(pid: u32, what: &str) {
    for _ in 0..250 {
        if !alive(pid) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("process {pid} survived {what}");
}

/// Waits (bounded) for the run to print a pid on stdout.
async fn printed_pid(capture: &Capture) -> u32 {
    for _ in 0..500 {
        if let Some(pid) = stdout_lines(capture)
            .first()
            .and_then(|pid| pid.parse().ok())
        {
            return pid;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the job never printed its grandchild's pid");
}

#[tokio::test]
async fn forwards_every_line_including_a_last_one_without_newline() {
    let (outcome, capture) = run(spec("printf 'one\\ntwo\\nthree'; echo oops >&2")).await;
    assert_eq!(outcome.end, End::Exited(0));
    assert_eq!(stdout_lines(&capture), ["one", "two", "three"]);
    assert!(output(&capture).contains(&("stderr".into(), "oops".into())));
    let tagged = capture
        .records()
        .into_iter()
        .find(|r| r.get("event").as_deref() == Some("output"))
        .expect("an output event");
    assert_eq!(tagged.get("job").as_deref(), Some("probe"));
    assert_eq!(tagged.get("run").as_deref(), Some("7"));
}

#[tokio::test]
async fn no_line_is_lost_when_a_job_exits_right_after_a_burst() {
    let (outcome, capture) = run(spec("seq 1 5000")).await;
    assert_eq!(outcome.end, End::Exited(0));
    let lines = stdout_lines(&capture);
    assert_eq!(lines.len(), 5000);
    assert_eq!(lines.last().map(String::as_str), Some("5000"));
}

#[tokio::test]
async fn non_utf8_output_is_forwarded_lossily() {
    let (_, capture) = run(spec("printf 'caf\\xe9 ok\\n'")).await;
    assert_eq!(stdout_lines(&capture), ["caf\u{fffd} ok"]);
}

#[tokio::test]
async fn a_flood_without_newlines_is_cut_at_10_000_bytes() {
    let (outcome, capture) = run(spec(
        "head -c 1000000 /dev/zero | tr '\\0' x; echo; echo after",
    ))
    .await;
    assert_eq!(outcome.end, End::Exited(0));
    let records: Vec<_> = capture
        .records()
        .into_iter()
        .filter(|r| r.get("event").as_deref() == Some("output"))
        .collect();
    assert_eq!(records.len(), 2, "one truncated line, then the next one");
    assert_eq!(records[0].get("line").map(|l| l.len()), Some(10_000));
    assert_eq!(records[0].get("truncated").as_deref(), Some("true"));
    assert_eq!(records[1].get("line").as_deref(), Some("after"));
}

#[tokio::test]
async fn a_job_that_closes_stdout_early_still_has_its_stderr_forwarded() {
    let (outcome, capture) = run(spec(
        "echo first; exec >&-; sleep 0.2; echo later >&2; exit 3",
    ))
    .await;
    assert_eq!(outcome.end, End::Exited(3));
    // The streams are read independently, so only each stream's own order is defined.
    let lines = output(&capture);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines.contains(&("stdout".into(), "first".into())),
        "{lines:?}"
    );
    assert!(
        lines.contains(&("stderr".into(), "later".into())),
        "{lines:?}"
    );
}

#[tokio::test]
async fn a_missing_command_is_exit_127() {
    let (outcome, capture) = run(spec("no-such-command-anywhere")).await;
    assert_eq!(outcome.end, End::Exited(127));
    assert_eq!(outcome.end.exit_code(), 127);
    assert_eq!(output(&capture).len(), 1, "bash's complaint is forwarded");
}

#[tokio::test]
async fn job_env_is_added_to_the_clocks_environment() {
    let mut with_env = spec("echo \"$GREETING $HOME\"");
    with_env.env.insert("GREETING".into(), "hello there".into());
    let (_, capture) = run(with_env).await;
    let home = std::env::var("HOME").unwrap_or_default();
    assert_eq!(stdout_lines(&capture), [format!("hello there {home}")]);
}

#[tokio::test]
async fn a_timeout_kills_the_whole_group_grandchildren_included() {
    let mut hung = spec("sleep 1000 & echo $!; trap '' TERM; while true; do sleep 0.1; done");
    hung.timeout = Some(Duration::from_millis(500));
    hung.kill_grace = Duration::from_millis(500);
    let (outcome, capture) = run(hung).await;
    assert_eq!(outcome.end, End::TimedOut);
    assert_eq!(outcome.end.exit_code(), 124);
    let grandchild = printed_pid(&capture).await;
    assert_dies(grandchild, "its run's timeout").await;
}

#[tokio::test]
async fn terminate_ends_a_run_and_its_group() {
    let (subscriber, capture) = logging::capture();
    let _guard = tracing::subscriber::set_default(subscriber);
    let handle = LocalExecutor.start(spec("sleep 1000 & echo $!; wait"));
    let control = handle.control();
    let grandchild = printed_pid(&capture).await;
    control.send(Control::Terminate {
        kill_after: Some(Duration::from_secs(5)),
    });
    let outcome = tokio::time::timeout(BOUND, handle.wait())
        .await
        .expect("stopped within the bound");
    assert_eq!(outcome.end, End::Stopped);
    assert_dies(grandchild, "the stop of its run").await;
}

#[tokio::test]
async fn a_job_ignoring_sigterm_is_killed_after_kill_grace() {
    let (subscriber, capture) = logging::capture();
    let _guard = tracing::subscriber::set_default(subscriber);
    let handle = LocalExecutor.start(spec(
        "trap '' TERM; echo $$; while true; do sleep 0.1; done",
    ));
    let control = handle.control();
    let shell = printed_pid(&capture).await;
    let kill_grace = Duration::from_millis(300);
    let asked = std::time::Instant::now();
    control.send(Control::Terminate {
        kill_after: Some(kill_grace),
    });
    let outcome = tokio::time::timeout(BOUND, handle.wait())
        .await
        .expect("killed within the bound");
    let took = asked.elapsed();
    assert_eq!(outcome.end, End::Stopped);
    assert!(
        took >= kill_grace,
        "SIGKILL came {took:?} after SIGTERM, before the {kill_grace:?} kill_grace"
    );
    assert_dies(shell, "SIGKILL").await;
}

#[tokio::test]
async fn what_a_run_leaves_behind_is_ended_and_logged_once() {
    let mut daemon = spec("sleep 77 & echo $!");
    daemon.kill_grace = Duration::from_secs(1);
    let (outcome, capture) = run(daemon).await;
    assert_eq!(outcome.end, End::Exited(0));
    assert!(
        outcome.duration < Duration::from_secs(2),
        "the duration {:?} counts the output drain",
        outcome.duration
    );
    let sleep = printed_pid(&capture).await;
    assert!(!alive(sleep), "sleep {sleep} outlived its run's end");
    let leftovers: Vec<_> = capture
        .records()
        .into_iter()
        .filter(|r| r.get("event").as_deref() == Some("leftover"))
        .collect();
    assert_eq!(leftovers.len(), 1, "one leftover line");
    assert_eq!(leftovers[0].level, "warn");
    assert_eq!(leftovers[0].get("processes").as_deref(), Some("1"));
    assert_eq!(leftovers[0].get("run").as_deref(), Some("7"));
}

#[tokio::test]
async fn a_run_that_leaves_nothing_behind_logs_no_leftover() {
    let (outcome, capture) = run(spec("sleep 0.1 & wait; echo done")).await;
    assert_eq!(outcome.end, End::Exited(0));
    assert!(
        !capture
            .records()
            .iter()
            .any(|r| r.get("event").as_deref() == Some("leftover"))
    );
}

#[tokio::test]
async fn a_job_killed_by_a_signal_from_outside_is_a_failure() {
    let (outcome, _) = run(spec("kill -KILL $$")).await;
    assert_eq!(outcome.end, End::Signaled(9));
    assert_eq!(outcome.end.exit_code(), 137);
}

#[tokio::test]
async fn the_output_tail_keeps_the_last_lines_of_both_streams() {
    let spec = spec("for i in $(seq 1 3000); do echo \"out $i\"; done; echo 'last words' >&2");
    let handle = LocalExecutor.start(spec);
    let tail = handle.output.clone();
    let outcome = tokio::time::timeout(BOUND, handle.wait())
        .await
        .expect("the run did not end within the bound");
    assert_eq!(outcome.end, End::Exited(0));
    assert!(tail.cut(), "3000 lines do not fit in the tail");
    let text = tail.text().expect("some output");
    assert!(
        text.len() <= heroku_clock::exec::TAIL_BYTES,
        "{} bytes",
        text.len()
    );
    assert!(text.contains("out 3000\n"), "the end is kept: {text}");
    assert!(text.contains("last words\n"), "stderr too: {text}");
    assert!(!text.contains("out 1\n"), "the start is dropped");
}
