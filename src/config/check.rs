//! The checker: from the YAML tree to a [`Config`], collecting every diagnostic on the way.
//!
//! It walks the file once, top-level keys first, then `defaults:`, then each job, and
//! never stops at the first problem: a bad value is reported where it is written and the
//! walk goes on, so `clockctl validate` shows everything wrong in one run. A [`Config`]
//! comes out only when no error was found. Reading individual values lives in
//! [`super::fields`]; schedule warnings in [`super::warnings`]; the diagnostics they all
//! write to in [`super::checker`]. Imports go one way: this file uses those three,
//! `warnings` uses `fields` and `checker`, `fields` uses `checker`, `checker` none of them.
//!
//! Adding a key:
//! - a job key: add it to [`super::fields::SETTING_KEYS`] if `defaults:` may set it too
//!   (else to `JOB_ONLY_KEYS` there), give [`Fields`] a field and `read_field` an arm
//!   that reads it (with `or_defaults` filling it when it is a setting), then carry it
//!   into the [`Job`] in `job` below, checking rules across keys there;
//! - a top-level block (such as `store:`): add its name to [`TOP_KEYS`], read it in
//!   `check_file` with a method of its own on [`Checker`] in a file of its own (as
//!   `fields` does for a job), and add what it yields to [`Config`].
//!
//! Unknown keys, duplicates and typo hints then follow from those lists.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::checker::{Checker, Repeated};
use super::fields::{At, Fields, SCHEDULE_KEYS, ScheduleSource, Section, list};
use super::model::{
    Config, DEFAULT_KILL_GRACE, DEFAULT_MISFIRE_GRACE, DEFAULT_RETRY_BACKOFF,
    DEFAULT_SHUTDOWN_GRACE, HEROKU_SIGTERM_WINDOW, Job,
};
use super::names::{MAX_JOB_NAME, NameError, check_job_name, closest, suggest_job_name};
use super::source::Span;
use super::yaml::{Node, Value, read_tree};
use super::{Parsed, ScheduleContext, Severity, describe_schedule_error, duration, when};
use crate::schedule::{AtTime, JobSchedule, Schedule, ScheduleError};
use crate::visible::visible;

/// The keys of the file's top level.
const TOP_KEYS: [&str; 8] = [
    "timezone",
    "defaults",
    "jobs",
    "shutdown_grace",
    "notify",
    "heartbeat",
    "app",
    "store",
];

/// Parses and checks a whole file. See [`super::parse`].
pub(super) fn check(source: &str, now: DateTime<Utc>) -> Parsed {
    let mut checker = Checker::new(source, now);
    let config = checker.check_file();
    let (diagnostics, masks) = checker.finish();
    let valid = !diagnostics.iter().any(|d| d.severity == Severity::Error);
    Parsed {
        config: config.filter(|_| valid),
        diagnostics,
        masks,
    }
}

impl Checker<'_> {
    fn check_file(&mut self) -> Option<Config> {
        let tree = match read_tree(self.source) {
            Ok(tree) => tree,
            Err(error) => {
                self.error(&error.span, error.message, error.hint);
                // No tree says where the credentials are: find them by their keys.
                self.masks = super::mask::guess(self.source);
                return None;
            }
        };
        let entries = match tree.value {
            Value::Map(entries) => entries,
            Value::Null => {
                self.error(
                    &(0..0),
                    "no jobs: the file is empty",
                    Some("add a `jobs:` map; `clockctl init` writes a starter clock.yml".into()),
                );
                return None;
            }
            other => {
                self.error(
                    &tree.span,
                    format!(
                        "a clock.yml is a map with a `jobs:` key, not {}",
                        other.kind()
                    ),
                    None,
                );
                return None;
            }
        };

        let mut top: BTreeMap<&str, (&Node, &Node)> = BTreeMap::new();
        let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
        for (key, value) in &entries {
            let Some(name) = self.key_text(key) else {
                continue;
            };
            let Some(known) = TOP_KEYS.into_iter().find(|k| *k == name) else {
                self.unknown_top_key(name, key, value);
                continue;
            };
            if self.is_repeat(&mut seen, known, &key.span, Repeated::Key) {
                continue;
            }
            top.insert(known, (key, value));
        }

        let timezone = match top.get("timezone") {
            Some((_, value)) => self
                .text("timezone", value)
                .and_then(|text| self.time_zone(&text, &value.span)),
            None => Some(Tz::UTC),
        };
        let shutdown_grace = match top.get("shutdown_grace") {
            Some((_, value)) => self.shutdown_grace(value),
            None => Some(DEFAULT_SHUTDOWN_GRACE),
        };
        // Before the jobs, so that each `alert.to` can be checked against the channels.
        let notify = match top.get("notify") {
            Some((_, value)) => self.notify_block(value),
            None => Some(Vec::new()),
        };
        let heartbeat = match top.get("heartbeat") {
            Some((key, value)) => self.heartbeat_block(key, value).map(Some),
            None => Some(None),
        };
        let defaults = match top.get("defaults") {
            Some((_, value)) => match &value.value {
                Value::Map(entries) => self.read_fields(Section::Defaults, entries),
                _ => {
                    self.wrong_type("defaults", "a map of job settings", value);
                    Fields::default()
                }
            },
            None => Fields::default(),
        };
        let app = match top.get("app") {
            Some((_, value)) => self.app_name(value).map(Some),
            None => Some(None),
        };
        let store = match top.get("store") {
            Some((key, value)) => self.store(key, value).map(Some),
            None => Some(None),
        };
        let jobs = self.jobs(
            top.get("jobs").copied(),
            &defaults,
            timezone.unwrap_or(Tz::UTC),
        );
        if let (Some(jobs), Some((key, _))) = (&jobs, top.get("jobs")) {
            self.warn_about_dyno_calls(jobs, &key.span);
        }
        Some(Config {
            timezone: timezone?,
            shutdown_grace: shutdown_grace?,
            app: app?,
            jobs: jobs?,
            notify: notify?,
            heartbeat: heartbeat?,
            store: store?,
        })
    }

    fn unknown_top_key(&mut self, name: &str, key: &Node, value: &Node) {
        let hint = if self.has_key(value, "command") {
            "jobs go under `jobs:`; indent this job under it".to_owned()
        } else if let Some(near) = closest(name, TOP_KEYS) {
            format!("did you mean \"{near}\"?")
        } else {
            format!("the top-level keys are {}", list(&TOP_KEYS))
        };
        self.error(
            &key.span,
            format!("unknown key \"{}\"", visible(name)),
            Some(hint),
        );
    }

    fn shutdown_grace(&mut self, value: &Node) -> Option<Duration> {
        let grace = self.duration_value("shutdown_grace", value, false)?.value;
        if grace >= HEROKU_SIGTERM_WINDOW {
            self.error(
                &value.span,
                format!(
                    "shutdown_grace must be less than {}",
                    duration::format(HEROKU_SIGTERM_WINDOW)
                ),
                Some("Heroku sends SIGKILL 30s after SIGTERM; leave the clock time to exit".into()),
            );
            return None;
        }
        Some(grace)
    }

    fn jobs(
        &mut self,
        jobs: Option<(&Node, &Node)>,
        defaults: &Fields,
        file_tz: Tz,
    ) -> Option<Vec<Job>> {
        let Some((key, value)) = jobs else {
            self.error(
                &(0..0),
                "no jobs: the file has no `jobs:` key",
                Some("add a `jobs:` map; `clockctl init` writes a starter clock.yml".into()),
            );
            return None;
        };
        let entries = match &value.value {
            Value::Map(entries) if !entries.is_empty() => entries,
            Value::Map(_) | Value::Null => {
                self.error(
                    &key.span,
                    "no jobs: `jobs:` is empty",
                    Some("add a job: a name, then `command:` and one of cron, every or at".into()),
                );
                return None;
            }
            _ => {
                self.wrong_type("jobs", "a map of job names to jobs", value);
                return None;
            }
        };
        let mut jobs = Vec::with_capacity(entries.len());
        let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
        let mut all_valid = true;
        for (key, value) in entries {
            let Some(name) = self.key_text(key) else {
                all_valid = false;
                continue;
            };
            if self.is_repeat(&mut seen, name, &key.span, Repeated::Job) {
                all_valid = false;
                continue;
            }
            match self.job(name, key, value, defaults, file_tz) {
                Some(job) => jobs.push(job),
                None => all_valid = false,
            }
        }
        all_valid.then_some(jobs)
    }

    fn job_name(&mut self, name: &str, key: &Node) -> bool {
        let Err(error) = check_job_name(name) else {
            return true;
        };
        let rules = format!(
            "names use a-z, 0-9, - and _, start with a letter or digit, and have at most {MAX_JOB_NAME} characters"
        );
        let hint = match suggest_job_name(name) {
            Some(suggestion) => format!("{rules}; try \"{suggestion}\""),
            None => rules,
        };
        let message = match error {
            NameError::Empty => "a job name is empty".to_owned(),
            NameError::TooLong { len } => {
                format!("job name is {len} characters long")
            }
            NameError::BadChar { found, .. } => format!(
                "invalid job name \"{}\": \"{}\" is not allowed",
                visible(name),
                visible(found.encode_utf8(&mut [0; 4]))
            ),
        };
        self.error(&key.span, message, Some(hint));
        false
    }

    fn job(
        &mut self,
        name: &str,
        key: &Node,
        value: &Node,
        defaults: &Fields,
        file_tz: Tz,
    ) -> Option<Job> {
        let name_ok = self.job_name(name, key);
        let fields = match &value.value {
            Value::Map(entries) => self.read_fields(Section::Job(name), entries),
            Value::Null => {
                self.error(
                    &key.span,
                    format!("job \"{}\" has no keys", visible(name)),
                    Some(
                        "add `command:` and one of cron, every or at, indented under the name"
                            .into(),
                    ),
                );
                return None;
            }
            _ => {
                let what = format!("job \"{}\"", visible(name));
                self.wrong_type(&what, "a map with `command:` and a schedule", value);
                return None;
            }
        };
        let fields = fields.or_defaults(defaults);
        let command = fields.command.clone();
        if command.is_none()
            && !self.has_key(value, "command")
            && !fields.typos.contains(&"command")
        {
            self.error(
                &key.span,
                format!("job \"{}\" has no command", visible(name)),
                Some("add `command:` with the shell command to run".into()),
            );
        }
        let schedule = match &fields.schedule {
            None if fields.typos.iter().any(|t| SCHEDULE_KEYS.contains(t)) => None,
            None => {
                self.error(
                    &key.span,
                    format!("job \"{}\" has no schedule", visible(name)),
                    Some("add one of `cron: \"0 * * * *\"`, `every: 10m` or `at: 2026-12-31T23:30:00`".into()),
                );
                None
            }
            Some((_, parsed)) => parsed.clone(),
        };
        // Checked before the schedule's rules, which need a schedule: none hides another.
        let alert = match &fields.alert {
            Some(alert) => {
                let channels = self.channels.clone();
                self.alert(name, alert, channels.as_deref()).map(Some)
            }
            None => Some(None),
        };
        let alert_ok = alert.is_some();
        let placement_ok = self.check_placement(name, &fields);
        let schedule = self.job_schedule(name, &fields, schedule?, file_tz)?;
        let job = Job {
            name: name.to_owned(),
            command: command?.value,
            schedule,
            description: fields.description.clone(),
            enabled: fields.enabled.unwrap_or(true),
            timeout: fields.timeout.as_ref().map(|t| t.value),
            kill_grace: fields.kill_grace.unwrap_or(DEFAULT_KILL_GRACE),
            overlap: fields.overlap.unwrap_or_default(),
            retries: fields.retries.unwrap_or(0),
            retry_backoff: fields.retry_backoff.unwrap_or(DEFAULT_RETRY_BACKOFF),
            env: fields.env.clone().unwrap_or_default(),
            misfire_grace: fields.misfire_grace.unwrap_or(DEFAULT_MISFIRE_GRACE),
            alert: alert.flatten(),
            monitor: fields.monitor.clone(),
            run: fields.run.as_ref().map(|run| run.value).unwrap_or_default(),
            dyno_size: fields.dyno_size.as_ref().map(|size| size.value.clone()),
            line: self.line_of(&key.span),
        };
        self.warn_about(&job, &fields);
        self.warn_about_dyno_job(&job, &fields);
        (name_ok && placement_ok && alert_ok).then_some(job)
    }

    fn has_key(&self, value: &Node, key: &str) -> bool {
        matches!(&value.value, Value::Map(entries)
            if entries.iter().any(|(k, _)| k.value == Value::Str(key.into())))
    }

    /// Resolves zone, jitter and window, and checks the schedule as a whole.
    fn job_schedule(
        &mut self,
        name: &str,
        fields: &Fields,
        written: At<ScheduleSource>,
        file_tz: Tz,
    ) -> Option<JobSchedule> {
        let tz = fields.timezone.as_ref().map_or(file_tz, |t| t.value);
        let start = self.window_edge(
            "start",
            fields.start.as_ref(),
            tz,
            &fields.origin("start", name),
        );
        let end = self.window_edge("end", fields.end.as_ref(), tz, &fields.origin("end", name));
        let jitter_max = fields.jitter.as_ref().map_or(Duration::ZERO, |j| j.value);
        let schedule = JobSchedule {
            schedule: match written.value {
                ScheduleSource::Cron(expr, _) => Schedule::Cron(*expr),
                ScheduleSource::Every(interval) => Schedule::Every(interval),
                ScheduleSource::At(at) => Schedule::At(at),
            },
            tz,
            jitter: crate::schedule::stable_jitter(name, jitter_max),
            start: start?,
            end: end?,
        };
        if let Err(error) = schedule.validate() {
            self.schedule_error(&error, &written.span, fields, name);
            return None;
        }
        // The schedule holds the stable delay; the rule is about the maximum written.
        if let Err(error) = schedule.validate_jitter(jitter_max) {
            self.schedule_error(&error, &written.span, fields, name);
            return None;
        }
        Some(schedule)
    }

    fn window_edge(
        &mut self,
        key: &str,
        edge: Option<&At<AtTime>>,
        tz: Tz,
        origin: &str,
    ) -> Option<Option<DateTime<Utc>>> {
        let Some(edge) = edge else {
            return Some(None);
        };
        match when::to_instant(edge.value, tz) {
            Ok(instant) => Some(Some(instant)),
            Err(skipped) => {
                self.error(
                    &edge.span,
                    format!(
                        "{key}{origin}: {} does not exist in {} (the clocks skip it when DST starts)",
                        when::format(edge.value),
                        tz.name()
                    ),
                    Some(format!(
                        "that day the clocks skip {}; pick a time outside it, or give an offset",
                        when::format_span(skipped.skipped)
                    )),
                );
                None
            }
        }
    }

    /// Places a schedule error at the value it is about; the words are
    /// [`super::describe_schedule_error`]'s.
    fn schedule_error(
        &mut self,
        error: &ScheduleError,
        schedule_span: &Span,
        fields: &Fields,
        name: &str,
    ) {
        let span = match error {
            ScheduleError::JitterTooLong { .. } => fields.jitter.as_ref().map(|j| &j.span),
            ScheduleError::EmptyWindow => fields.end.as_ref().map(|e| &e.span),
            ScheduleError::NeverFires | ScheduleError::IntervalOutOfRange { .. } => None,
        }
        .unwrap_or(schedule_span)
        .clone();
        let origin = fields.origin("jitter", name);
        let context = ScheduleContext {
            windowed: fields.start.is_some() || fields.end.is_some(),
            jitter_origin: &origin,
        };
        let (message, hint) = describe_schedule_error(error, context);
        self.error(&span, message, hint);
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::super::checker::MAX_DIAGNOSTICS;
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
    }

    /// `(severity, line, column, len, message)` of one diagnostic.
    type Finding = (Severity, u32, u32, u32, String);

    fn findings(source: &str) -> Vec<Finding> {
        check(source, now())
            .diagnostics
            .into_iter()
            .map(|d| (d.severity, d.line, d.column, d.len, d.message))
            .collect()
    }

    fn error(line: u32, column: u32, len: u32, message: &str) -> Finding {
        (Severity::Error, line, column, len, message.to_owned())
    }

    fn warning(
        line: u32,
        column: u32,
        len: u32,
        message: &str,
    ) -> (Severity, u32, u32, u32, String) {
        (Severity::Warning, line, column, len, message.to_owned())
    }

    #[test]
    fn each_error_is_located_exactly() {
        let job =
            |extra: &str| format!("jobs:\n  sync:\n    every: 37m\n    command: bin/sync\n{extra}");
        let table: Vec<(String, Vec<Finding>)> = vec![
            (
                job("    comand: x\n"),
                vec![error(5, 5, 6, "unknown key \"comand\" in job \"sync\"")],
            ),
            (
                job("    every: 5m\n"),
                vec![error(5, 5, 5, "duplicate key \"every\"")],
            ),
            (
                job("    timeout: 90\n"),
                vec![error(5, 14, 2, "timeout: a duration needs a unit")],
            ),
            (
                job("    timeout: \"1h30x\"\n"),
                vec![error(5, 19, 1, "timeout: unknown duration unit \"x\"")],
            ),
            (
                job("    timeout: 0s\n"),
                vec![error(5, 14, 2, "timeout must be longer than 0s")],
            ),
            (
                job("    overlap: skp\n"),
                vec![error(5, 14, 3, "overlap: unknown value \"skp\"")],
            ),
            (
                job("    retries: -1\n"),
                vec![error(5, 14, 2, "retries must be 0 to 10, not -1")],
            ),
            (
                job("    enabled: maybe\n"),
                vec![error(5, 14, 5, "enabled must be true or false, not text")],
            ),
            (
                job("    enabled: yes\n"),
                vec![error(
                    5,
                    14,
                    3,
                    "enabled must be true or false, not \"yes\"",
                )],
            ),
            (
                job("    timezone: Mars/Base\n"),
                vec![error(5, 15, 9, "unknown time zone \"Mars/Base\"")],
            ),
            (
                job("    at: 2030-01-01\n"),
                vec![error(
                    5,
                    5,
                    2,
                    "job \"sync\" has more than one schedule: \"every\" and \"at\"",
                )],
            ),
            (
                job("    start: soon\n"),
                vec![error(5, 12, 4, "start: \"soon\" is not a date and time")],
            ),
            (
                job("    env:\n      1X: a\n"),
                vec![error(6, 7, 2, "env: \"1X\" is not a variable name")],
            ),
            (
                job("    env:\n      X:\n"),
                vec![error(6, 9, 1, "env: \"X\" has no value")],
            ),
            (
                job("    env: [a]\n"),
                vec![error(
                    5,
                    10,
                    1,
                    "env must be a map of variable names to values, not a list",
                )],
            ),
            (
                job("    env:\n      X: \"a\\0b\"\n"),
                vec![error(6, 10, 6, "env: \"X\" contains a NUL byte")],
            ),
            (
                "jobs:\n  sync:\n    command: \"a\\0b\"\n    every: 1m\n".into(),
                vec![error(3, 14, 6, "command contains a NUL byte")],
            ),
            (
                job("    command: again\n"),
                vec![error(5, 5, 7, "duplicate key \"command\"")],
            ),
            (
                "jobs:\n  sync:\n    every: 37m\n".into(),
                vec![error(2, 3, 4, "job \"sync\" has no command")],
            ),
            (
                "jobs:\n  sync:\n    command: \"  \"\n    every: 1m\n".into(),
                vec![error(3, 14, 4, "command is empty")],
            ),
            (
                "jobs:\n  sync:\n    command: x\n".into(),
                vec![error(2, 3, 4, "job \"sync\" has no schedule")],
            ),
            (
                "jobs:\n  sync:\n".into(),
                vec![error(2, 3, 4, "job \"sync\" has no keys")],
            ),
            (
                "jobs:\n  Sync:\n    every: 1m\n    command: x\n".into(),
                vec![error(
                    2,
                    3,
                    4,
                    "invalid job name \"Sync\": \"S\" is not allowed",
                )],
            ),
            (
                format!("{}  sync:\n    every: 1m\n    command: y\n", job("")),
                vec![error(5, 3, 4, "duplicate job \"sync\"")],
            ),
            (
                "".into(),
                vec![error(1, 1, 1, "no jobs: the file is empty")],
            ),
            (
                "timezone: UTC\n".into(),
                vec![error(1, 1, 1, "no jobs: the file has no `jobs:` key")],
            ),
            (
                "jobs:\n".into(),
                vec![error(1, 1, 4, "no jobs: `jobs:` is empty")],
            ),
            (
                format!("timezone: \"\"\n{}", job("")),
                vec![error(1, 11, 2, "timezone is empty")],
            ),
            (
                format!("shutdown_grace: 30s\n{}", job("")),
                vec![error(1, 17, 3, "shutdown_grace must be less than 30s")],
            ),
            (
                format!("jbos: 1\n{}", job("")),
                vec![error(1, 1, 4, "unknown key \"jbos\"")],
            ),
            (
                format!("defaults:\n  command: x\n{}", job("")),
                vec![error(2, 3, 7, "\"command\" cannot be set in defaults")],
            ),
            (
                "- a\n- b\n".into(),
                vec![error(
                    1,
                    1,
                    1,
                    "a clock.yml is a map with a `jobs:` key, not a list",
                )],
            ),
            (
                "jobs:\n  - sync\n".into(),
                vec![error(
                    2,
                    3,
                    1,
                    "jobs must be a map of job names to jobs, not a list",
                )],
            ),
        ];
        for (source, expected) in &table {
            assert_eq!(&findings(source), expected, "\n{source}");
        }
    }

    #[test]
    fn cron_errors_point_inside_the_expression() {
        // Quoted: the offset inside the expression, plus one for the quote.
        let quoted = "jobs:\n  d:\n    cron: \"0 17 * * mon-fry\"\n    command: x\n";
        let plain = "jobs:\n  d:\n    cron: 0 17 * * mon-fry\n    command: x\n";
        for (source, column) in [(quoted, 25), (plain, 24)] {
            let found = check(source, now()).diagnostics;
            assert_eq!(found.len(), 1, "{found:?}");
            assert_eq!((found[0].line, found[0].column), (3, column), "{found:?}");
            assert!(found[0].message.starts_with("cron: "), "{found:?}");
        }
    }

    #[test]
    fn all_problems_are_reported_in_one_pass() {
        let source = "timezone: America/New_Yrok\njobs:\n  a:\n    every: 90\n    command: x\n  b:\n    overlap: nope\n    every: 1m\n    command: y\n";
        let lines: Vec<u32> = findings(source).iter().map(|f| f.1).collect();
        assert_eq!(lines, vec![1, 4, 7]);
        assert!(check(source, now()).config.is_none());
    }

    #[test]
    fn a_valid_file_builds_the_model_with_defaults_applied() {
        let source = "timezone: America/New_York\nshutdown_grace: 25s\ndefaults:\n  timeout: 15m\n  env:\n    A: \"1\"\n    B: \"2\"\njobs:\n  send-digest:\n    cron: \"0 17 * * mon-fri\"\n    command: python manage.py send_digest\n  sync:\n    every: 37m\n    jitter: 30s\n    timezone: Europe/Paris\n    retries: 3\n    overlap: replace\n    kill_grace: 0s\n    env:\n      B: own\n    command: bin/sync\n";
        let parsed = check(source, now());
        assert_eq!(parsed.diagnostics, vec![]);
        let config = parsed.config.expect("valid");
        assert_eq!(config.timezone, chrono_tz::America::New_York);
        assert_eq!(config.shutdown_grace, Duration::from_secs(25));
        let digest = config.job("send-digest").expect("send-digest");
        assert_eq!(digest.line, 9);
        assert_eq!(digest.schedule.tz, chrono_tz::America::New_York);
        assert_eq!(digest.timeout, Some(Duration::from_secs(900)));
        assert_eq!(digest.overlap, super::super::Overlap::Skip);
        assert_eq!(digest.kill_grace, DEFAULT_KILL_GRACE);
        assert_eq!(digest.retry_backoff, DEFAULT_RETRY_BACKOFF);
        assert_eq!(digest.misfire_grace, DEFAULT_MISFIRE_GRACE);
        assert!(digest.enabled);
        let sync = config.job("sync").expect("sync");
        assert_eq!(sync.line, 12);
        assert_eq!(sync.schedule.tz, chrono_tz::Europe::Paris);
        assert_eq!(
            sync.schedule.schedule,
            Schedule::Every(Duration::from_secs(37 * 60))
        );
        assert!(sync.schedule.jitter <= Duration::from_secs(30));
        assert_eq!(sync.retries, 3);
        assert_eq!(sync.kill_grace, Duration::ZERO);
        let env: Vec<(&str, &str)> = sync
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(env, vec![("A", "1"), ("B", "own")]);
    }

    #[test]
    fn warnings_do_not_invalidate() {
        let source = "jobs:\n  launch:\n    at: 2020-01-01T09:00:00Z\n    command: x\n  sync:\n    every: 30m\n    timeout: 1h\n    command: y\n";
        let parsed = check(source, now());
        assert_eq!(
            findings(source),
            vec![
                warning(
                    3,
                    9,
                    20,
                    "at: 2020-01-01T09:00:00Z is in the past; this job will never run"
                ),
                warning(
                    7,
                    14,
                    2,
                    "timeout 1h is at least the shortest gap between runs (30m)"
                ),
            ]
        );
        assert!(parsed.config.is_some());
    }

    #[test]
    fn dst_traps_are_warnings_for_fixed_wall_times() {
        let source = "timezone: America/New_York\njobs:\n  nightly:\n    cron: \"30 2 * * *\"\n    command: x\n  launch:\n    at: 2027-03-14T02:30:00\n    command: y\n";
        let messages: Vec<String> = findings(source).into_iter().map(|f| f.4).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("2027-03-14") && m.contains("skips")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("02:30:00 does not exist")),
            "{messages:?}"
        );
    }

    /// The job `name` of a file that must be valid, or a panic naming the findings.
    fn job_named(source: &str, name: &str) -> Job {
        let parsed = check(source, now());
        let errors: Vec<_> = parsed
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{source}\n{errors:?}");
        let config = parsed.config.expect("valid");
        config.job(name).cloned().expect("the job")
    }

    fn env_of(job: &Job) -> Vec<(String, String)> {
        job.env
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn aliases_give_the_anchored_value_for_every_key_type() {
        // `first` holds the anchors; `second` reads every one of them through an alias.
        let source = "jobs:\n  first:\n    every: &every 5m\n    command: &text echo hi\n    description: &number 0042\n    timeout: &duration 90s\n    retries: &retries 3\n    enabled: &enabled true\n    env: &env\n      RATE: &float 1.50\n  second:\n    every: *every\n    command: *number\n    description: *float\n    timeout: *duration\n    retries: *retries\n    enabled: *enabled\n    env:\n      A: *text\n      B: *number\n      C: *enabled\n      D: *float\n  third:\n    every: 1m\n    command: *enabled\n    env: *env\n";
        let second = job_named(source, "second");
        assert_eq!(
            second.schedule.schedule,
            Schedule::Every(Duration::from_secs(300))
        );
        assert_eq!(second.command, "0042");
        assert_eq!(second.description.as_deref(), Some("1.50"));
        assert_eq!(second.timeout, Some(Duration::from_secs(90)));
        assert_eq!(second.retries, 3);
        assert!(second.enabled);
        assert_eq!(
            env_of(&second),
            pairs(&[
                ("A", "echo hi"),
                ("B", "0042"),
                ("C", "true"),
                ("D", "1.50")
            ])
        );
        let third = job_named(source, "third");
        assert_eq!(third.command, "true");
        assert_eq!(env_of(&third), pairs(&[("RATE", "1.50")]));
        // A number through an alias where a duration goes is explained, not misread.
        let bare = "jobs:\n  a:\n    timeout: &n 90\n    every: 1h\n    command: x\n  b:\n    every: *n\n    command: y\n";
        let messages: Vec<String> = findings(bare).into_iter().map(|f| f.4).collect();
        assert_eq!(
            messages,
            vec![
                "timeout: a duration needs a unit".to_owned(),
                "every: a duration needs a unit".to_owned()
            ]
        );
    }

    #[test]
    fn merge_keys_give_the_merged_values() {
        // The case from the issue: `<<: *common` in a job's env.
        let issue = "defaults:\n  env: &common\n    PORT: 8080\n    DEBUG: true\njobs:\n  a:\n    every: 1s\n    env:\n      <<: *common\n    command: echo \"PORT=$PORT DEBUG=$DEBUG\"\n";
        assert_eq!(
            env_of(&job_named(issue, "a")),
            pairs(&[("DEBUG", "true"), ("PORT", "8080")])
        );
        // Merged numbers, booleans and floats keep their text; the job's own keys win.
        let own = "defaults:\n  env: &common\n    PORT: 0080\n    DEBUG: false\n    RATE: 1.50\njobs:\n  a:\n    every: 1s\n    env:\n      <<: *common\n      PORT: 9000\n    command: x\n";
        assert_eq!(
            env_of(&job_named(own, "a")),
            pairs(&[("DEBUG", "false"), ("PORT", "9000"), ("RATE", "1.50")])
        );
        // A whole job's settings merged in, every key type among them.
        let job = "jobs:\n  base:\n    every: 1h\n    command: x\n    env: &env\n      N: 7\n  merged:\n    <<: &settings\n      timeout: 90s\n      retries: 2\n      enabled: false\n      description: 12\n      env: *env\n    every: 10m\n    command: 3\n";
        let merged = job_named(job, "merged");
        assert_eq!(merged.command, "3");
        assert_eq!(merged.timeout, Some(Duration::from_secs(90)));
        assert_eq!(merged.retries, 2);
        assert!(!merged.enabled);
        assert_eq!(merged.description.as_deref(), Some("12"));
        assert_eq!(env_of(&merged), pairs(&[("N", "7")]));
        // `defaults:` built by merging an anchored map, and applied to a job.
        let defaults = "jobs:\n  a:\n    every: 1h\n    command: x\n    env: &base\n      PORT: 5432\n      ON: true\ndefaults:\n  retries: &r 4\n  env:\n    <<: *base\n";
        let job = job_named(defaults, "a");
        assert_eq!(job.retries, 4);
        assert_eq!(env_of(&job), pairs(&[("ON", "true"), ("PORT", "5432")]));
    }

    #[test]
    fn hostile_yaml_is_one_error_not_a_panic() {
        let table = [
            "a: [\n",
            "\u{0}",
            "jobs: &a\n  x: *a\n",
            "? [a]\n: b\n",
            "jobs:\n  ? [a]\n  : b\n",
        ];
        for source in table {
            let parsed = check(source, now());
            assert!(parsed.config.is_none(), "{source:?}");
            assert!(!parsed.diagnostics.is_empty(), "{source:?}");
        }
    }

    #[test]
    fn findings_past_the_cap_are_counted_in_one() {
        let duplicates = format!(
            "jobs:\n{}",
            "  a:\n    every: 1m\n    command: x\n".repeat(301)
        );
        let parsed = check(&duplicates, now());
        assert_eq!(parsed.diagnostics.len(), MAX_DIAGNOSTICS + 1);
        let last = parsed.diagnostics.last().expect("summary");
        assert_eq!(
            last.message,
            "100 more problems not shown (100 errors, 0 warnings)"
        );
        assert_eq!(last.severity, Severity::Error);

        // Warnings past the cap do not make the file invalid.
        let past: String = (0..300)
            .map(|i| format!("  j{i}:\n    at: 2020-01-01T00:00:00Z\n    command: x\n"))
            .collect();
        let parsed = check(&format!("jobs:\n{past}"), now());
        let last = parsed.diagnostics.last().expect("summary");
        assert_eq!(
            last.message,
            "100 more problems not shown (0 errors, 100 warnings)"
        );
        assert_eq!(last.severity, Severity::Warning);
        assert!(parsed.config.is_some());
    }

    proptest::proptest! {
        /// Whatever the text, parsing returns, every diagnostic is on a line of the file,
        /// and its rendering shows that line with the carets inside it.
        #[test]
        fn any_text_parses_to_located_diagnostics(
            source in "(jobs:|  [a-z]{1,3}:|    (cron|every|at|command|env|timeout): ?|notify:|  ops:|    (slack|secret|webhook): ?|https://u@h.io/x1y2z3w4|\\$\\{?[A-Z]{0,2}\\}?|[ *@&:\\[\\]{}\"'#\\-0-9a-z\t\u{1b}é]{0,8}|\n|\t){0,40}"
        ) {
            let parsed = check(&source, now());
            let lines = source.split('\n').count() as u32;
            for d in &parsed.diagnostics {
                proptest::prop_assert!(d.line >= 1 && d.line <= lines, "{d:?}");
                proptest::prop_assert!(d.column >= 1 && d.len >= 1, "{d:?}");
                let rendered = d.render("clock.yml", &source, &parsed.masks);
                let (shown, carets) = shown_and_carets(&rendered, d.line)
                    .ok_or_else(|| proptest::test_runner::TestCaseError::fail(
                        format!("no source line and caret line in:\n{rendered}")))?;
                let width = shown.chars().count();
                let first = carets.find('^').unwrap_or(usize::MAX);
                let last = carets.rfind('^').unwrap_or(usize::MAX);
                // The caret starts on the line (or just past its end, for a missing
                // value) and runs no further than the line's end.
                proptest::prop_assert!(first <= width, "{d:?}\n{rendered}");
                proptest::prop_assert!(last < width.max(first + 1), "{d:?}\n{rendered}");
                proptest::prop_assert!(
                    carets[first..].chars().all(|c| c == '^'),
                    "{d:?}\n{rendered}"
                );
                proptest::prop_assert!(
                    !rendered.chars().any(|c| c.is_control() && c != '\n'),
                    "{rendered:?}"
                );
            }
            proptest::prop_assert_eq!(parsed.config.is_some(), !parsed.diagnostics.iter().any(|d| d.severity == Severity::Error));
        }
    }

    /// The echoed source line and the caret line of a rendering, after their gutters.
    fn shown_and_carets(rendered: &str, line: u32) -> Option<(String, String)> {
        let mut rows = rendered.lines().skip(1);
        let source_row = rows.next()?;
        let caret_row = rows.next()?;
        let gutter = format!(" {line} | ");
        let shown = source_row.strip_prefix(&gutter)?;
        let carets = caret_row.get(gutter.len()..)?;
        Some((shown.to_owned(), carets.to_owned()))
    }
}
