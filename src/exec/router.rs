//! One executor for a whole clock.yml: each job goes to the executor its `run:` names.
//!
//! A job with `run: dyno` starts a one-off dyno ([`DynoExecutor`]); every other job runs
//! as a local process ([`LocalExecutor`]). The choice is made per job, once, from the
//! config; nothing here looks at a run's outcome.

use super::{DynoExecutor, Executor, LocalExecutor, RunHandle, RunSpec};

/// Local processes, and one-off dynos for the jobs that ask for them.
#[derive(Debug, Clone, Default)]
pub struct JobExecutor {
    local: LocalExecutor,
    dyno: Option<DynoExecutor>,
}

impl JobExecutor {
    /// Local runs only.
    pub fn local() -> JobExecutor {
        JobExecutor::default()
    }

    /// Local runs, and `dyno`'s jobs in one-off dynos.
    pub fn with_dynos(dyno: DynoExecutor) -> JobExecutor {
        JobExecutor {
            local: LocalExecutor,
            dyno: Some(dyno),
        }
    }
}

impl Executor for JobExecutor {
    fn start(&self, spec: RunSpec) -> RunHandle {
        match &self.dyno {
            Some(dyno) if dyno.runs(&spec.job) => dyno.start(spec),
            _ => self.local.start(spec),
        }
    }
}
