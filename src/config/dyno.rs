//! The keys of jobs that run in one-off dynos (`run`, `dyno_size`, the top-level `app`)
//! and the warnings about dyno schedules Heroku cannot keep.
//!
//! A dyno takes seconds to boot, so a dyno job firing more often than once a minute is a
//! warning; every run costs Platform API calls, and the account's budget is about 4,500
//! an hour, so dyno jobs that together expect more than that are a warning that prints
//! the count. Sizes are checked against the names the Heroku CLI accepts, in any case,
//! Fir's `dyno-1c-0.5gb` style included. Whether the token and the app name are there
//! is decided at start-up, not here: a file does not hold secrets.

use std::time::Duration;

use chrono::TimeDelta;

use super::checker::Checker;
use super::fields::{At, Fields};
use super::model::{Job, RunOn};
use super::names::closest;
use super::source::Span;
use super::yaml::Node;

/// Heroku's Platform API budget per account and hour.
pub const CALLS_PER_HOUR_BUDGET: u64 = 4_500;

/// A dyno job firing more often than this cannot expect its dyno to be up in time.
const MIN_DYNO_INTERVAL: Duration = Duration::from_secs(60);

/// How often a running dyno is looked up (the executor's default `check_every`).
const CHECK_EVERY: Duration = Duration::from_secs(300);

/// The sizes of the Cedar generation, as `heroku ps:type` and `heroku run --size` take
/// them (the API reads them without case).
const SIZES: [&str; 21] = [
    "eco",
    "basic",
    "standard-1x",
    "standard-2x",
    "performance-m",
    "performance-l",
    "performance-l-ram",
    "performance-xl",
    "performance-2xl",
    "private-s",
    "private-m",
    "private-l",
    "private-l-ram",
    "private-xl",
    "private-2xl",
    "shield-s",
    "shield-m",
    "shield-l",
    "shield-l-ram",
    "shield-xl",
    "shield-2xl",
];

/// `dyno-1c-0.5gb`, `dyno-2c-4gb`: Fir's sizes, CPUs and memory in the name.
fn is_fir_size(size: &str) -> bool {
    let Some(rest) = size.strip_prefix("dyno-") else {
        return false;
    };
    let Some((cpus, memory)) = rest.split_once("c-") else {
        return false;
    };
    let Some(memory) = memory.strip_suffix("gb") else {
        return false;
    };
    let number = |text: &str| {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
        !whole.is_empty()
            && !fraction.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && fraction.bytes().all(|b| b.is_ascii_digit())
    };
    !cpus.is_empty() && cpus.bytes().all(|b| b.is_ascii_digit()) && number(memory)
}

/// Whether `size` is a dyno size the Heroku CLI and API accept.
pub fn is_dyno_size(size: &str) -> bool {
    let lower = size.to_ascii_lowercase();
    SIZES.contains(&lower.as_str()) || is_fir_size(&lower)
}

/// The app name pattern of the Platform API: `^[a-z][a-z0-9-]{1,28}[a-z0-9]$`.
pub fn is_app_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=30).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[bytes.len() - 1] != b'-'
}

/// The Platform API calls one run of `job` makes at most, as far as the file tells: the
/// create and one log session, a stop when it can time out, and a look-up every five
/// minutes of its timeout.
pub fn calls_per_run(job: &Job) -> u64 {
    match job.timeout {
        None => 2,
        Some(timeout) => 3 + timeout.as_secs() / CHECK_EVERY.as_secs(),
    }
}

/// The most runs of `job` that fire fewer than 5,000 times in the next day; more
/// frequent jobs are counted over their first 5,000 runs, which span over an hour for any
/// job that fires at most once a second.
const MAX_COUNTED_RUNS: usize = 5_000;

/// The most runs of `job` in any hour of the next day (see [`MAX_COUNTED_RUNS`]).
fn busiest_hour_runs(job: &Job, now: chrono::DateTime<chrono::Utc>) -> u64 {
    let day_end = now + TimeDelta::days(1);
    let mut fires = Vec::new();
    let mut at = now;
    while let Some(fire) = job.schedule.next_after(at) {
        if fire.at > day_end || fires.len() >= MAX_COUNTED_RUNS {
            break;
        }
        fires.push(fire.at);
        at = fire.at;
    }
    let hour = TimeDelta::hours(1);
    let mut busiest = 0;
    let mut first = 0;
    for (last, at) in fires.iter().enumerate() {
        while *at - fires[first] >= hour {
            first += 1;
        }
        busiest = busiest.max(last - first + 1);
    }
    busiest as u64
}

impl Checker<'_> {
    /// `run: local | dyno`.
    pub(super) fn run_on(&mut self, value: &Node) -> Option<At<RunOn>> {
        let text = self.text("run", value)?;
        let run = match text.as_str() {
            "local" => RunOn::Local,
            "dyno" => RunOn::Dyno,
            _ => {
                let hint = match closest(&text, ["local", "dyno"]) {
                    Some(near) => format!("did you mean \"{near}\"? (local or dyno)"),
                    None => "run is local (a process of the clock) or dyno (a one-off dyno)".into(),
                };
                self.error(
                    &value.span,
                    format!("run: unknown value \"{}\"", text.escape_debug()),
                    Some(hint),
                );
                return None;
            }
        };
        Some(At {
            value: run,
            span: value.span.clone(),
        })
    }

    /// `dyno_size: standard-2x`, spelled as the Heroku CLI takes it.
    pub(super) fn dyno_size(&mut self, value: &Node) -> Option<At<String>> {
        let text = self.text("dyno_size", value)?;
        if !is_dyno_size(&text) {
            let lower = text.to_ascii_lowercase();
            let hint = match closest(&lower, SIZES) {
                Some(near) => format!("did you mean \"{near}\"?"),
                None => format!(
                    "sizes are {}, or on Fir a name like dyno-1c-0.5gb",
                    SIZES[..4].join(", ") + ", performance-m, …"
                ),
            };
            self.error(
                &value.span,
                format!("dyno_size: unknown size \"{}\"", text.escape_debug()),
                Some(hint),
            );
            return None;
        }
        Some(At {
            value: text,
            span: value.span.clone(),
        })
    }

    /// The top-level `app:`.
    pub(super) fn app_name(&mut self, value: &Node) -> Option<String> {
        let text = self.text("app", value)?;
        if !is_app_name(&text) {
            self.error(
                &value.span,
                format!("app: \"{}\" is not a Heroku app name", text.escape_debug()),
                Some("app names have 3 to 30 characters: a-z, 0-9 and -, starting with a letter (`heroku apps` lists yours)".into()),
            );
            return None;
        }
        Some(text)
    }

    /// `dyno_size` only means something with `run: dyno`.
    pub(super) fn check_placement(&mut self, name: &str, fields: &Fields) -> bool {
        let dyno = fields
            .run
            .as_ref()
            .is_some_and(|run| run.value == RunOn::Dyno);
        match &fields.dyno_size {
            Some(size) if !dyno => {
                let origin = fields.origin("dyno_size", name);
                self.error(
                    &size.span,
                    format!("dyno_size is set, but the job runs locally{origin}"),
                    Some("add `run: dyno` to run each run in a one-off dyno of that size, or remove dyno_size".into()),
                );
                false
            }
            _ => true,
        }
    }

    /// A dyno job that fires more often than a dyno can boot.
    pub(super) fn warn_about_dyno_job(&mut self, job: &Job, fields: &Fields) {
        if job.run != RunOn::Dyno {
            return;
        }
        let Some(gap) = job.schedule.min_gap() else {
            return;
        };
        if gap >= MIN_DYNO_INTERVAL {
            return;
        }
        let Some((key, _)) = &fields.schedule else {
            return;
        };
        self.warning(
            &key.span,
            format!(
                "job \"{}\" runs in a one-off dyno as often as every {}, less than a dyno takes to start",
                job.name,
                super::duration::format(gap)
            ),
            Some("one-off dynos take seconds to boot; run it locally (`run: local`) or at most once a minute".into()),
        );
    }

    /// Dyno jobs that together expect more Platform API calls an hour than the account's
    /// budget.
    pub(super) fn warn_about_dyno_calls(&mut self, jobs: &[Job], at: &Span) {
        let now = self.now;
        let total: u64 = jobs
            .iter()
            .filter(|job| job.enabled && job.run == RunOn::Dyno)
            .map(|job| busiest_hour_runs(job, now) * calls_per_run(job))
            .sum();
        if total > CALLS_PER_HOUR_BUDGET {
            self.warning(
                at,
                format!(
                    "the dyno jobs expect up to {total} Platform API calls an hour, more than Heroku's budget of about {CALLS_PER_HOUR_BUDGET}"
                ),
                Some("each dyno run makes 2 calls or more (create, log session, a stop on timeout); run the frequent jobs locally or less often".into()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_those_the_heroku_cli_takes() {
        for (from, expected) in [
            ("standard-2x", true),
            ("Standard-2X", true),
            ("performance-l-ram", true),
            ("basic", true),
            ("dyno-1c-0.5gb", true),
            ("dyno-2c-4gb", true),
            ("dyno-1c-.5gb", false),
            ("dyno-c-1gb", false),
            ("standard-3x", false),
            ("1x", false),
            ("", false),
        ] {
            assert_eq!(is_dyno_size(from), expected, "{from}");
        }
    }

    fn parse(source: &str) -> crate::config::Parsed {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
            .expect("time")
            .to_utc();
        crate::config::parse(source, now)
    }

    fn findings(source: &str) -> Vec<(u32, String)> {
        parse(source)
            .diagnostics
            .into_iter()
            .map(|d| (d.line, d.message))
            .collect()
    }

    #[test]
    fn run_and_dyno_size_come_from_the_job_or_defaults() {
        let parsed = parse(
            "app: clock-demo\ndefaults:\n  run: dyno\njobs:\n  a:\n    cron: \"0 6 * * *\"\n    command: bin/a\n    dyno_size: standard-2x\n  b:\n    every: 1h\n    command: bin/b\n    run: local\n",
        );
        assert_eq!(parsed.diagnostics, []);
        let config = parsed.config.expect("valid");
        assert_eq!(config.app.as_deref(), Some("clock-demo"));
        let a = config.job("a").expect("a");
        assert_eq!(
            (a.run, a.dyno_size.as_deref()),
            (RunOn::Dyno, Some("standard-2x"))
        );
        let b = config.job("b").expect("b");
        assert_eq!((b.run, b.dyno_size.as_deref()), (RunOn::Local, None));
        assert!(config.uses_dynos());
    }

    #[test]
    fn dyno_keys_are_checked() {
        let table: &[(&str, &[(u32, &str)])] = &[
            (
                "jobs:\n  a:\n    every: 1h\n    command: x\n    dyno_size: basic\n",
                &[(5, "dyno_size is set, but the job runs locally")],
            ),
            (
                "jobs:\n  a:\n    every: 1h\n    command: x\n    run: dynos\n",
                &[(5, "run: unknown value \"dynos\"")],
            ),
            (
                "jobs:\n  a:\n    every: 1h\n    command: x\n    run: dyno\n    dyno_size: standard-3x\n",
                &[(6, "dyno_size: unknown size \"standard-3x\"")],
            ),
            (
                "app: My_App\njobs:\n  a:\n    every: 1h\n    command: x\n",
                &[(1, "app: \"My_App\" is not a Heroku app name")],
            ),
        ];
        for (source, expected) in table {
            let got = findings(source);
            let want: Vec<(u32, String)> = expected
                .iter()
                .map(|(l, m)| (*l, (*m).to_owned()))
                .collect();
            assert_eq!(got, want, "{source}");
        }
    }

    #[test]
    fn frequent_dyno_jobs_are_warned_about() {
        // 120 runs an hour at 2 calls each is within the budget.
        let got = findings("jobs:\n  a:\n    every: 30s\n    command: x\n    run: dyno\n");
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, 3);
        assert!(
            got[0]
                .1
                .contains("as often as every 30s, less than a dyno takes to start"),
            "{got:?}"
        );
        // 3,600 runs an hour at 3 calls each (a timeout adds a stop) is not.
        let got = findings(
            "jobs:\n  a:\n    every: 1s\n    command: x\n    run: dyno\n    timeout: 1m\n  b:\n    every: 1s\n    command: x\n",
        );
        assert!(
            got.iter().any(|(line, message)| *line == 1
                && message.contains("expect up to 10800 Platform API calls an hour")),
            "{got:?}"
        );
    }

    #[test]
    fn app_names_follow_the_api_pattern() {
        for (from, expected) in [
            ("my-app", true),
            ("a1", false),
            ("My-app", false),
            ("app-", false),
            ("1app", false),
        ] {
            assert_eq!(is_app_name(from), expected, "{from}");
        }
    }
}
