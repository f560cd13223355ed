//! What a run does: start it, stream its output, enforce its timeout, stop it on request.
//!
//! [`Executor`] is the seam: the runtime hands it a [`RunSpec`] and gets a [`RunHandle`]
//! back, through which it can ask the run to stop and learn how it ended. The
//! [`LocalExecutor`] runs `bash -c COMMAND` in a process group of its own on this dyno;
//! the [`DynoExecutor`] starts a one-off dyno through the Platform API instead and keeps
//! the same contract, and [`JobExecutor`] sends each job to the one its `run:` names.
//! This module never decides *when* a run starts, whether it may overlap another, or
//! whether it is retried: that is [`crate::runtime`]'s job.

mod dyno;
mod group;
mod lines;
mod local;
mod router;
mod tail;

pub use dyno::{Adoption, DynoExecutor, DynoTimings, time_to_live};
pub use lines::{Line, LineSplitter, MAX_LINE_BYTES};
pub use local::LocalExecutor;
pub use router::JobExecutor;
pub use tail::{OutputTail, TAIL_BYTES, last_bytes, last_chars};

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

/// Everything an executor needs to start one run.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// The job's name, for log lines.
    pub job: String,
    /// The run's id, unique in this process, for log lines.
    pub run: u64,
    pub command: String,
    /// Added to the clock's own environment.
    pub env: BTreeMap<String, String>,
    /// Past this the run is terminated (SIGTERM), then killed after `kill_grace`.
    pub timeout: Option<Duration>,
    pub kill_grace: Duration,
}

/// A request to stop a run early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Ask the run to end (SIGTERM to its process group); when `kill_after` is set and it
    /// is still running that long after, end it for good (SIGKILL).
    Terminate { kill_after: Option<Duration> },
    /// End it for good now (SIGKILL to its process group).
    Kill,
    /// The clock is leaving. A local run is terminated as by `Terminate` without a kill;
    /// a one-off dyno runs on (the next clock adopts it).
    Release,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// The command exited by itself with this code.
    Exited(i32),
    /// The command was ended by a signal nobody here sent (OOM killer, `kill -9`).
    Signaled(i32),
    /// It ran past its timeout and was terminated.
    TimedOut,
    /// It was stopped through its handle (replaced, or the clock shutting down).
    Stopped,
    /// It could not be started at all (the error in words).
    SpawnFailed(String),
    /// It started, but the clock lost track of it before learning how it ended (the
    /// error in words): waiting for the process failed, the executor vanished, or a
    /// one-off dyno's exit line never came. It may have succeeded, failed, or still be
    /// running, so it is not retried.
    Lost(String),
    /// The clock left it running when it shut down (a one-off dyno).
    Detached,
}

impl End {
    /// The exit code `clockctl run` reports for this ending: the command's own code,
    /// 128+N for signal N, 124 for a timeout (as GNU `timeout` does), 143 when stopped
    /// (128+SIGTERM), 127 when it could not start (as a shell does) and 125 when the
    /// clock lost track of it (as GNU `timeout` and `env` do when they fail themselves)
    /// or left it running (a one-off dyno at shutdown).
    pub fn exit_code(&self) -> i32 {
        match self {
            End::Exited(code) => *code,
            End::Signaled(signal) => 128 + signal,
            End::TimedOut => 124,
            End::Stopped => 128 + libc::SIGTERM,
            End::SpawnFailed(_) => 127,
            End::Lost(_) | End::Detached => 125,
        }
    }
}

/// A run's ending and how long it ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub end: End,
    pub duration: Duration,
    /// The one-off dyno it ran in, when it did.
    pub dyno: Option<DynoNote>,
}

/// What the platform said about the one-off dyno a run used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynoNote {
    /// `run.N`.
    pub name: String,
    /// The platform killed it for memory (R15).
    pub memory_exceeded: bool,
}

/// What the runtime holds for a started run.
#[derive(Debug)]
pub struct RunHandle {
    /// The process id of the run's process group leader, when it is a local process.
    pub pid: Option<u32>,
    /// The end of the run's output, as the executor forwards it (empty when it keeps none).
    pub output: OutputTail,
    control: RunControl,
    outcome: oneshot::Receiver<Outcome>,
}

/// The sending side of a run's stop requests; cheap to clone and keep.
#[derive(Debug, Clone)]
pub struct RunControl {
    tx: mpsc::UnboundedSender<Control>,
}

impl RunControl {
    /// Asks the run to end; a run that has already ended ignores it.
    pub fn send(&self, control: Control) {
        let _ = self.tx.send(control);
    }
}

/// The executor's side of a [`RunHandle`]: stop requests in, the outcome out.
#[derive(Debug)]
pub struct RunSupervisor {
    pub controls: mpsc::UnboundedReceiver<Control>,
    pub outcome: oneshot::Sender<Outcome>,
    /// Where the executor appends the run's output lines, for the handle's holder.
    pub output: OutputTail,
}

impl RunHandle {
    /// A connected handle and supervisor, for executors to build on.
    pub fn pair(pid: Option<u32>) -> (RunHandle, RunSupervisor) {
        let (tx, controls) = mpsc::unbounded_channel();
        let (outcome_tx, outcome) = oneshot::channel();
        let output = OutputTail::default();
        let handle = RunHandle {
            pid,
            output: output.clone(),
            control: RunControl { tx },
            outcome,
        };
        (
            handle,
            RunSupervisor {
                controls,
                outcome: outcome_tx,
                output,
            },
        )
    }

    /// A clonable way to stop the run while another task waits for it.
    pub fn control(&self) -> RunControl {
        self.control.clone()
    }

    /// Waits for the run to end. An executor that vanished without reporting reads as a
    /// lost run rather than a hang.
    pub async fn wait(self) -> Outcome {
        self.outcome.await.unwrap_or(Outcome {
            end: End::Lost("the executor dropped the run".to_string()),
            duration: Duration::ZERO,
            dyno: None,
        })
    }
}

/// Starts runs. Implementations must not block: `start` returns as soon as the run is
/// under way, and the run reports its [`Outcome`] through the handle.
pub trait Executor: Send + Sync + 'static {
    fn start(&self, spec: RunSpec) -> RunHandle;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_run_whose_executor_vanished_is_lost_not_a_failed_start() {
        let (handle, supervisor) = RunHandle::pair(Some(42));
        drop(supervisor);
        let outcome = handle.wait().await;
        assert_eq!(
            outcome.end,
            End::Lost("the executor dropped the run".to_string())
        );
        assert_eq!(outcome.end.exit_code(), 125);
    }

    #[test]
    fn every_ending_has_its_own_exit_code() {
        let cases = [
            (End::Exited(0), 0),
            (End::Exited(3), 3),
            (End::Signaled(9), 137),
            (End::TimedOut, 124),
            (End::Stopped, 143),
            (End::SpawnFailed("no bash".into()), 127),
            (End::Lost("wait failed".into()), 125),
        ];
        for (end, code) in cases {
            assert_eq!(end.exit_code(), code, "{end:?}");
        }
    }
}
