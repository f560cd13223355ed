//! What one run of a job is handed to the executor as: the job's command, timeout and kill
//! grace, and its `env` plus the `CLOCK_*` variables that tell the command which run it is.
//!
//! The clock's loop and `clockctl run` both build their [`RunSpec`] here, so a run by hand
//! gets exactly the environment a scheduled run gets.

use chrono::{DateTime, Utc};

use super::report;
use crate::config::Job;
use crate::exec::RunSpec;

/// The spec of attempt `attempt` of run `run` of `job`, scheduled for `slot`: the job's
/// `env` with `CLOCK_JOB`, `CLOCK_RUN`, `CLOCK_SCHEDULED_FOR` (RFC 3339, UTC) and
/// `CLOCK_ATTEMPT` set over it.
pub fn build_run_spec(job: &Job, run: u64, slot: DateTime<Utc>, attempt: u32) -> RunSpec {
    let mut env = job.env.clone();
    env.insert("CLOCK_JOB".into(), job.name.clone());
    env.insert("CLOCK_RUN".into(), run.to_string());
    env.insert("CLOCK_SCHEDULED_FOR".into(), report::rfc3339(slot));
    env.insert("CLOCK_ATTEMPT".into(), attempt.to_string());
    RunSpec {
        job: job.name.clone(),
        run,
        command: job.command.clone(),
        env,
        timeout: job.timeout,
        kill_grace: job.kill_grace,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn the_clock_variables_are_set_over_the_jobs_env() {
        let source = "jobs:\n  sync:\n    command: echo hi\n    every: 1m\n    timeout: 5s\n    env:\n      CLOCK_RUN: mine\n      GREETING: howdy\n";
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let config = crate::config::parse(source, now).config.expect("valid");
        let job = config.job("sync").expect("the job");
        let spec = build_run_spec(job, 7, now, 2);
        let env: Vec<(&str, &str)> = spec
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            env,
            [
                ("CLOCK_ATTEMPT", "2"),
                ("CLOCK_JOB", "sync"),
                ("CLOCK_RUN", "7"),
                ("CLOCK_SCHEDULED_FOR", "2026-03-01T12:00:00Z"),
                ("GREETING", "howdy"),
            ]
        );
        assert_eq!(
            (spec.job.as_str(), spec.run, spec.command.as_str()),
            ("sync", 7, "echo hi")
        );
        assert_eq!(spec.timeout, Some(std::time::Duration::from_secs(5)));
    }
}
