//! The process executor: `bash -c COMMAND` in the clock's working directory, with the
//! clock's environment plus the job's `env`, in a process group of its own.
//!
//! A run is supervised by one task that owns the child: it waits for the exit, enforces
//! the timeout (SIGTERM to the group, SIGKILL after `kill_grace`), obeys stop requests and
//! forwards every line of stdout and stderr as an `event=output` log line. Signals go to
//! the whole group so that what the command started (`sleep 1000 &`) ends with it: when
//! the clock ends a run, the group gets SIGKILL once its shell is gone; when the command
//! exits by itself and leaves processes behind in its group, they are logged once
//! (`event=leftover`) and get SIGTERM, then SIGKILL after `kill_grace`, before the run is
//! reported as ended. A process that left the group (`setsid`) is not the run's any more.

use std::os::unix::process::ExitStatusExt as _;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt as _};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};

use crate::deadline::sleep_until_some;

use super::group::{count_live, signal_group};
use super::{Control, End, Executor, LineSplitter, Outcome, RunHandle, RunSpec, RunSupervisor};

/// After a run's command has exited by itself, how long its output may still take to
/// reach end-of-file. A process it left behind in the background can hold the pipes open
/// forever; past this the clock stops reading (that process then gets SIGPIPE if it
/// writes again).
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// While leftover processes are given their `kill_grace`, how often the clock looks
/// whether they have gone: soon at first (most end at once on SIGTERM), then less often.
const LEFTOVER_FIRST_POLL: Duration = Duration::from_millis(10);
const LEFTOVER_MAX_POLL: Duration = Duration::from_millis(200);

/// Runs jobs as local processes.
#[derive(Debug, Default, Clone)]
pub struct LocalExecutor;

impl Executor for LocalExecutor {
    fn start(&self, spec: RunSpec) -> RunHandle {
        let started = Instant::now();
        let mut command = Command::new("bash");
        command
            .arg("-c")
            .arg(&spec.command)
            .envs(&spec.env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own group, so one signal reaches everything the command starts, and a
            // Ctrl-C meant for the clock is not delivered to the jobs directly.
            .process_group(0);
        match command.spawn() {
            Ok(child) => {
                let (handle, supervisor) = RunHandle::pair(child.id());
                tokio::spawn(supervise(child, spec, supervisor, started));
                handle
            }
            Err(error) => {
                let (handle, supervisor) = RunHandle::pair(None);
                let _ = supervisor.outcome.send(Outcome {
                    end: End::SpawnFailed(format!("cannot start bash: {error}")),
                    duration: started.elapsed(),
                    dyno: None,
                });
                handle
            }
        }
    }
}

/// Why the clock ended a run, once it has decided to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    TimedOut,
    Stopped,
}

async fn supervise(
    mut child: Child,
    spec: RunSpec,
    mut supervisor: RunSupervisor,
    started: Instant,
) {
    let group = child.id().map(|pid| pid as libc::pid_t);
    let readers = [
        child.stdout.take().map(|out| {
            let tail = supervisor.output.clone();
            tokio::spawn(forward(out, "stdout", spec.job.clone(), spec.run, tail))
        }),
        child.stderr.take().map(|err| {
            let tail = supervisor.output.clone();
            tokio::spawn(forward(err, "stderr", spec.job.clone(), spec.run, tail))
        }),
    ];
    let timeout_at = spec.timeout.map(|timeout| started + timeout);
    let mut ending: Option<Ending> = None;
    let mut kill_at: Option<Instant> = None;
    let mut controls_open = true;

    let status = loop {
        tokio::select! {
            status = child.wait() => break status,
            _ = sleep_until_some(timeout_at), if ending.is_none() => {
                ending = Some(Ending::TimedOut);
                signal_group(group, libc::SIGTERM);
                kill_at = Some(Instant::now() + spec.kill_grace);
            }
            _ = sleep_until_some(kill_at) => {
                signal_group(group, libc::SIGKILL);
                kill_at = None;
            }
            control = supervisor.controls.recv(), if controls_open => match control {
                Some(Control::Release) => {
                    ending.get_or_insert(Ending::Stopped);
                    signal_group(group, libc::SIGTERM);
                }
                Some(Control::Terminate { kill_after }) => {
                    ending.get_or_insert(Ending::Stopped);
                    signal_group(group, libc::SIGTERM);
                    if let Some(after) = kill_after {
                        let at = Instant::now() + after;
                        kill_at = Some(kill_at.map_or(at, |earlier| earlier.min(at)));
                    }
                }
                Some(Control::Kill) => {
                    ending.get_or_insert(Ending::Stopped);
                    signal_group(group, libc::SIGKILL);
                }
                None => controls_open = false,
            },
        }
    };

    // The run's time is its command's: the output drain and the leftovers' grace below
    // are the clock's business.
    let duration = started.elapsed();
    if ending.is_some() {
        // The clock ended this run: whatever of it is left (a child that ignored SIGTERM
        // while the shell exited) goes too, so nothing of it outlives the run.
        signal_group(group, libc::SIGKILL);
    }
    drain(readers).await;
    if let (None, Some(group)) = (ending, group) {
        end_leftovers(group, &spec, &mut supervisor).await;
    }

    let end = match (ending, &status) {
        (Some(Ending::TimedOut), _) => End::TimedOut,
        (Some(Ending::Stopped), _) => End::Stopped,
        (None, Ok(status)) => match (status.code(), status.signal()) {
            (Some(code), _) => End::Exited(code),
            (None, Some(signal)) => End::Signaled(signal),
            (None, None) => End::Exited(-1),
        },
        (None, Err(error)) => End::Lost(format!("cannot wait for the run: {error}")),
    };
    let _ = supervisor.outcome.send(Outcome {
        end,
        duration,
        dyno: None,
    });
}

/// The command exited by itself; ends what it left running in its group (a `cmd &`
/// never waited for): one `event=leftover` line, SIGTERM, and SIGKILL for whatever is
/// still there after `kill_grace` (or at once when the clock asks for a kill meanwhile).
async fn end_leftovers(group: libc::pid_t, spec: &RunSpec, supervisor: &mut RunSupervisor) {
    let processes = count_live(group);
    if processes == 0 {
        return;
    }
    tracing::warn!(
        event = "leftover",
        job = spec.job.as_str(),
        run = spec.run,
        processes,
        kill_grace_ms = u64::try_from(spec.kill_grace.as_millis()).unwrap_or(u64::MAX),
    );
    signal_group(Some(group), libc::SIGTERM);
    let kill_at = Instant::now() + spec.kill_grace;
    let mut poll = LEFTOVER_FIRST_POLL;
    let mut controls_open = true;
    loop {
        tokio::select! {
            _ = sleep_until(kill_at) => break,
            _ = tokio::time::sleep(poll) => {
                if count_live(group) == 0 {
                    return;
                }
                poll = (poll * 2).min(LEFTOVER_MAX_POLL);
            }
            control = supervisor.controls.recv(), if controls_open => match control {
                Some(Control::Kill) => break,
                Some(Control::Terminate { .. } | Control::Release) => {}
                None => controls_open = false,
            },
        }
    }
    signal_group(Some(group), libc::SIGKILL);
}

/// Waits for both output readers to reach end-of-file, up to [`DRAIN_GRACE`].
async fn drain(readers: [Option<JoinHandle<()>>; 2]) {
    let deadline = Instant::now() + DRAIN_GRACE;
    for reader in readers.into_iter().flatten() {
        let abort = reader.abort_handle();
        if tokio::time::timeout_at(deadline, reader).await.is_err() {
            abort.abort();
        }
    }
}

/// Reads one pipe to end-of-file and logs each line as `event=output`.
async fn forward(
    mut pipe: impl AsyncRead + Unpin,
    stream: &'static str,
    job: String,
    run: u64,
    tail: super::OutputTail,
) {
    let mut splitter = LineSplitter::default();
    let mut buffer = vec![0_u8; 8 * 1024];
    loop {
        match pipe.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                for line in splitter.push(&buffer[..n]) {
                    log_line(&job, run, stream, &line);
                    tail.push_line(&line.text());
                }
            }
        }
    }
    if let Some(line) = splitter.finish() {
        log_line(&job, run, stream, &line);
        tail.push_line(&line.text());
    }
}

fn log_line(job: &str, run: u64, stream: &'static str, line: &super::Line) {
    let text = line.text();
    if line.truncated {
        tracing::info!(
            event = "output",
            job,
            run,
            stream,
            line = text.as_str(),
            truncated = true
        );
    } else {
        tracing::info!(event = "output", job, run, stream, line = text.as_str());
    }
}
