//! Reading one job's map (or `defaults:`) into typed fields, every value checked alone.
//!
//! Each key is read on its own and a bad value becomes a diagnostic under that value,
//! so one file shows all its mistakes at once. Rules that involve several keys (exactly
//! one schedule, a command present, jitter against the gap between runs) are left to
//! [`super::check`], which sees the whole job with its defaults applied.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono_tz::Tz;

use super::checker::{Checker, Repeated};
use super::duration;
use super::model::{AlertOn, MAX_RETRIES, Monitor, Overlap, RunOn};
use super::names::{closest, is_env_name};
use super::source::Span;
use super::when;
use super::yaml::{Node, Value};
use super::zone;
use crate::schedule::{AtTime, CronExpr};
use crate::visible::visible;

/// The keys that pick a job's schedule; exactly one per job.
pub(super) const SCHEDULE_KEYS: [&str; 3] = ["cron", "every", "at"];
/// The keys only a job may set: its command, its schedule and its monitor.
pub(super) const JOB_ONLY_KEYS: [&str; 5] = ["command", "cron", "every", "at", "monitor"];
/// The keys `defaults:` may set (every job key but the schedule and the command).
pub(super) const SETTING_KEYS: [&str; 16] = [
    "timezone",
    "description",
    "enabled",
    "jitter",
    "timeout",
    "kill_grace",
    "overlap",
    "retries",
    "retry_backoff",
    "env",
    "start",
    "end",
    "misfire_grace",
    "alert",
    "run",
    "dyno_size",
];
const OVERLAP_VALUES: [&str; 4] = ["skip", "queue", "replace", "allow"];

/// A value and where it is written.
#[derive(Debug, Clone)]
pub(super) struct At<T> {
    pub value: T,
    pub span: Span,
}

/// `alert:` as one map writes it, before it is merged over `defaults.alert`.
#[derive(Debug, Clone, Default)]
pub(super) struct AlertFields {
    pub to: Option<Vec<At<String>>>,
    pub on: Option<Vec<AlertOn>>,
    pub after: Option<u32>,
    pub recovery: Option<bool>,
    pub repeat: Option<Option<Duration>>,
    /// Where the `alert:` key is written.
    pub span: Span,
    /// Whether every key written was valid. The valid ones are kept either way, so that
    /// `to:`'s names are still checked against `notify:`.
    pub valid: bool,
}

impl AlertFields {
    /// `self` with the keys it leaves out taken from `defaults`.
    pub fn or_defaults(self, defaults: &AlertFields) -> AlertFields {
        AlertFields {
            to: self.to.or_else(|| defaults.to.clone()),
            on: self.on.or_else(|| defaults.on.clone()),
            after: self.after.or(defaults.after),
            recovery: self.recovery.or(defaults.recovery),
            repeat: self.repeat.or(defaults.repeat),
            span: self.span,
            valid: self.valid && defaults.valid,
        }
    }
}

/// A schedule as written, before zone, jitter and window are applied.
#[derive(Debug, Clone)]
pub(super) enum ScheduleSource {
    /// The expression and the byte offset in the file where its text starts, when the
    /// file holds it verbatim (so cron errors can point inside it).
    Cron(Box<CronExpr>, Option<usize>),
    Every(Duration),
    At(AtTime),
}

/// What one job map (or `defaults:`) sets; `None` where the key is absent or invalid.
#[derive(Debug, Clone, Default)]
pub(super) struct Fields {
    pub command: Option<At<String>>,
    /// The schedule key's name and span, and the parsed schedule when it is valid.
    pub schedule: Option<(At<&'static str>, Option<At<ScheduleSource>>)>,
    pub timezone: Option<At<Tz>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
    pub jitter: Option<At<Duration>>,
    pub timeout: Option<At<Duration>>,
    pub kill_grace: Option<Duration>,
    pub overlap: Option<Overlap>,
    pub retries: Option<u32>,
    pub retry_backoff: Option<Duration>,
    pub env: Option<BTreeMap<String, String>>,
    pub start: Option<At<AtTime>>,
    pub end: Option<At<AtTime>>,
    pub misfire_grace: Option<Duration>,
    pub alert: Option<AlertFields>,
    pub monitor: Option<Monitor>,
    pub run: Option<At<RunOn>>,
    pub dyno_size: Option<At<String>>,
    /// Keys that an unknown key was probably meant to be (`comand` → `command`), so the
    /// checker does not also report them missing.
    pub typos: Vec<&'static str>,
    /// Keys whose value came from `defaults:` (so messages can say so).
    pub inherited: Vec<&'static str>,
}

impl Fields {
    /// `self` with every key it does not set taken from `defaults` (env maps are merged,
    /// the job's own variables winning).
    pub fn or_defaults(mut self, defaults: &Fields) -> Fields {
        /// Takes the default when the job has no value; says whether it did.
        fn fill<T: Clone>(own: &mut Option<T>, default: &Option<T>) -> bool {
            let filled = own.is_none() && default.is_some();
            if filled {
                own.clone_from(default);
            }
            filled
        }
        let located = [
            ("timeout", fill(&mut self.timeout, &defaults.timeout)),
            ("jitter", fill(&mut self.jitter, &defaults.jitter)),
            ("start", fill(&mut self.start, &defaults.start)),
            ("end", fill(&mut self.end, &defaults.end)),
            ("run", fill(&mut self.run, &defaults.run)),
            ("dyno_size", fill(&mut self.dyno_size, &defaults.dyno_size)),
        ];
        self.inherited = located
            .into_iter()
            .filter_map(|(key, filled)| filled.then_some(key))
            .collect();
        fill(&mut self.timezone, &defaults.timezone);
        fill(&mut self.description, &defaults.description);
        fill(&mut self.enabled, &defaults.enabled);
        fill(&mut self.kill_grace, &defaults.kill_grace);
        fill(&mut self.overlap, &defaults.overlap);
        fill(&mut self.retries, &defaults.retries);
        fill(&mut self.retry_backoff, &defaults.retry_backoff);
        fill(&mut self.misfire_grace, &defaults.misfire_grace);
        self.alert = match (self.alert.take(), &defaults.alert) {
            (Some(own), Some(default)) => Some(own.or_defaults(default)),
            (own, default) => own.or_else(|| default.clone()),
        };
        if let Some(default_env) = &defaults.env {
            let mut env = default_env.clone();
            env.extend(self.env.take().unwrap_or_default());
            self.env = Some(env);
        }
        self
    }
}

impl Fields {
    /// `" (from defaults, in job \"x\")"` when `key`'s value came from `defaults:`, so a
    /// message located in `defaults:` still names the job it is about.
    pub fn origin(&self, key: &str, job: &str) -> String {
        if self.inherited.contains(&key) {
            format!(" (from defaults, in job \"{}\")", visible(job))
        } else {
            String::new()
        }
    }
}

/// Which map is being read: a job (all keys) or `defaults:` (settings only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Section<'a> {
    Job(&'a str),
    Defaults,
}

impl Checker<'_> {
    /// Reads the entries of a job map or of `defaults:`.
    pub(super) fn read_fields(&mut self, section: Section<'_>, entries: &[(Node, Node)]) -> Fields {
        let mut fields = Fields::default();
        let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
        for (key_node, value) in entries {
            let Some(key) = self.key_text(key_node) else {
                continue;
            };
            if self.is_repeat(&mut seen, key, &key_node.span, Repeated::Key) {
                continue;
            }
            self.read_field(section, &mut fields, key, key_node, value);
        }
        fields
    }

    fn read_field(
        &mut self,
        section: Section<'_>,
        fields: &mut Fields,
        key: &str,
        key_node: &Node,
        value: &Node,
    ) {
        let in_defaults = section == Section::Defaults;
        match key {
            _ if in_defaults && JOB_ONLY_KEYS.contains(&key) => {
                self.error(
                    &key_node.span,
                    format!("\"{key}\" cannot be set in defaults"),
                    Some("each job sets its own command, schedule and monitor".into()),
                );
            }
            "command" => {
                if let Some(text) = self.text(key, value) {
                    if text.trim().is_empty() {
                        self.error(
                            &value.span,
                            "command is empty",
                            Some("write the shell command to run, e.g. `bin/sync`".into()),
                        );
                    } else if text.contains('\0') {
                        self.error(
                            &value.span,
                            "command contains a NUL byte",
                            Some(
                                "bash cannot be given a command with a NUL byte (`\\0`); remove it"
                                    .into(),
                            ),
                        );
                    } else {
                        fields.command = Some(At {
                            value: text,
                            span: value.span.clone(),
                        });
                    }
                }
            }
            "cron" | "every" | "at" => self.read_schedule(section, fields, key, key_node, value),
            "timezone" => {
                if let Some(text) = self.text(key, value) {
                    fields.timezone = self.time_zone(&text, &value.span).map(|tz| At {
                        value: tz,
                        span: value.span.clone(),
                    });
                }
            }
            "description" => fields.description = self.text(key, value),
            "enabled" => match &value.value {
                Value::Bool(b) => fields.enabled = Some(*b),
                // YAML 1.1 read these as booleans; YAML 1.2 (and we) read them as text.
                Value::Str(text)
                    if ["yes", "no", "on", "off", "y", "n"]
                        .contains(&text.to_ascii_lowercase().as_str()) =>
                {
                    self.error(
                        &value.span,
                        format!("enabled must be true or false, not \"{}\"", visible(text)),
                        Some("write true or false; YAML 1.2 reads yes/no/on/off as text".into()),
                    );
                }
                _ => self.wrong_type(key, "true or false", value),
            },
            "jitter" => fields.jitter = self.duration_value(key, value, true),
            "timeout" => fields.timeout = self.duration_value(key, value, false),
            "kill_grace" => {
                fields.kill_grace = self.duration_value(key, value, true).map(|d| d.value)
            }
            "retry_backoff" => {
                fields.retry_backoff = self.duration_value(key, value, false).map(|d| d.value);
            }
            "misfire_grace" => {
                fields.misfire_grace = self.duration_value(key, value, false).map(|d| d.value);
            }
            "overlap" => fields.overlap = self.overlap(value),
            "alert" => fields.alert = self.alert_fields(key_node, value),
            "monitor" => {
                if let Section::Job(name) = section {
                    fields.monitor = self.monitor(name, key_node, value);
                }
            }
            "retries" => fields.retries = self.retries(value),
            "env" => fields.env = self.env(value),
            "run" => fields.run = self.run_on(value),
            "dyno_size" => fields.dyno_size = self.dyno_size(value),
            "start" | "end" => {
                let at = self.date_time(key, value).map(|t| At {
                    value: t,
                    span: value.span.clone(),
                });
                if key == "start" {
                    fields.start = at;
                } else {
                    fields.end = at;
                }
            }
            _ => {
                let (allowed, what): (Vec<&'static str>, String) = match section {
                    Section::Job(name) => (
                        JOB_ONLY_KEYS.into_iter().chain(SETTING_KEYS).collect(),
                        format!(" in job \"{}\"", visible(name)),
                    ),
                    Section::Defaults => (SETTING_KEYS.to_vec(), " in defaults".to_owned()),
                };
                let near = closest(key, allowed.iter().copied());
                fields.typos.extend(near);
                let hint = match near {
                    Some(near) => format!("did you mean \"{near}\"?"),
                    None if in_defaults => format!("defaults may set {}", list(&SETTING_KEYS)),
                    None => "a job's keys are command, one of cron/every/at, and the settings \
                             listed in heroku-clock's docs/clock-yml.md"
                        .to_owned(),
                };
                self.error(
                    &key_node.span,
                    format!("unknown key \"{}\"{what}", visible(key)),
                    Some(hint),
                );
            }
        }
    }

    fn read_schedule(
        &mut self,
        section: Section<'_>,
        fields: &mut Fields,
        key: &str,
        key_node: &Node,
        value: &Node,
    ) {
        let Some(kind) = SCHEDULE_KEYS.into_iter().find(|k| *k == key) else {
            return;
        };
        if let Some((first, _)) = &fields.schedule {
            let name = match section {
                Section::Job(name) => name,
                Section::Defaults => "",
            };
            self.error(
                &key_node.span,
                format!(
                    "job \"{}\" has more than one schedule: \"{}\" and \"{kind}\"",
                    visible(name),
                    first.value
                ),
                Some("a job has exactly one of cron, every and at; split it into two jobs".into()),
            );
            return;
        }
        let parsed = match kind {
            "cron" => self
                .cron(value)
                .map(|(expr, offset)| ScheduleSource::Cron(Box::new(expr), offset)),
            "every" => self
                .duration_value(key, value, true)
                .map(|d| ScheduleSource::Every(d.value)),
            _ => self.date_time(key, value).map(ScheduleSource::At),
        };
        fields.schedule = Some((
            At {
                value: kind,
                span: key_node.span.clone(),
            },
            parsed.map(|p| At {
                value: p,
                span: value.span.clone(),
            }),
        ));
    }

    fn cron(&mut self, value: &Node) -> Option<(CronExpr, Option<usize>)> {
        let text = self.text("cron", value)?;
        let offset = self.verbatim_offset(value, &text);
        if let Some(expr) = self.parsed_crons.get(&text) {
            return Some((expr.clone(), offset));
        }
        match CronExpr::parse(&text) {
            Ok(expr) => {
                self.parsed_crons.insert(text, expr.clone());
                Some((expr, offset))
            }
            Err(error) => {
                let span = match offset {
                    Some(start) => start + error.start..start + error.end.max(error.start),
                    None => value.span.clone(),
                };
                // The parser's words can quote the expression, which comes from the file.
                let hint = error.hint.map(|hint| visible(&hint).into_owned());
                self.error(&span, format!("cron: {}", visible(&error.message)), hint);
                None
            }
        }
    }

    /// Where the scalar's text starts in the file, if the file holds it verbatim (plain,
    /// or quoted without escapes): only then can offsets inside the text map to columns.
    pub(super) fn verbatim_offset(&self, node: &Node, text: &str) -> Option<usize> {
        let raw = self.source.get(node.span.clone())?;
        if raw == text {
            return Some(node.span.start);
        }
        let quoted = raw.len() >= 2
            && ((raw.starts_with('"') && raw.ends_with('"'))
                || (raw.starts_with('\'') && raw.ends_with('\'')));
        (quoted && &raw[1..raw.len() - 1] == text).then_some(node.span.start + 1)
    }

    /// A duration value; `allow_zero` for keys where `0s` means "none".
    pub(super) fn duration_value(
        &mut self,
        key: &str,
        value: &Node,
        allow_zero: bool,
    ) -> Option<At<Duration>> {
        let text = match &value.value {
            // A bare number: YAML reads it as a number, but we want to say *why* it is
            // wrong, so take its text and let the duration parser explain.
            Value::Str(_) | Value::Int(_) | Value::Float(_) => value.scalar_text()?.into_owned(),
            _ => {
                self.wrong_type(key, "a duration like 90s, 5m or 1h30m", value);
                return None;
            }
        };
        match duration::parse(&text) {
            Ok(d) if d.is_zero() && !allow_zero => {
                self.error(
                    &value.span,
                    format!("{key} must be longer than 0s"),
                    Some(format!("leave {key} out to use the default")),
                );
                None
            }
            Ok(d) => Some(At {
                value: d,
                span: value.span.clone(),
            }),
            Err(error) => {
                let span = match (error.range(&text), self.verbatim_offset(value, &text)) {
                    (Some(range), Some(start)) => start + range.start..start + range.end,
                    _ => value.span.clone(),
                };
                self.error(&span, format!("{key}: {error}"), Some(error.hint()));
                None
            }
        }
    }

    fn date_time(&mut self, key: &str, value: &Node) -> Option<AtTime> {
        let text = match &value.value {
            Value::Str(s) => s.as_ref(),
            _ => {
                self.wrong_type(key, "a date and time like 2026-12-31T23:30:00", value);
                return None;
            }
        };
        let parsed = when::parse(text);
        if parsed.is_none() {
            self.error(
                &value.span,
                format!("{key}: \"{}\" is not a date and time", visible(text)),
                Some(
                    "write 2026-12-31T23:30:00 (in the job's time zone) or \
                     2026-12-31T23:30:00-05:00 (an exact instant)"
                        .into(),
                ),
            );
        }
        parsed
    }

    pub(super) fn time_zone(&mut self, text: &str, span: &Span) -> Option<Tz> {
        match zone::parse(text) {
            Ok(tz) => Some(tz),
            Err(suggestion) => {
                let message = if text.trim().is_empty() {
                    "timezone is empty".to_owned()
                } else {
                    format!("unknown time zone \"{}\"", visible(text))
                };
                let hint = match suggestion {
                    Some(name) => format!("did you mean \"{name}\"?"),
                    None => "use an IANA name such as America/New_York, Europe/Paris or UTC".into(),
                };
                self.error(span, message, Some(hint));
                None
            }
        }
    }

    fn overlap(&mut self, value: &Node) -> Option<Overlap> {
        let text = self.text("overlap", value)?;
        let overlap = match text.as_str() {
            "skip" => Overlap::Skip,
            "queue" => Overlap::Queue,
            "replace" => Overlap::Replace,
            "allow" => Overlap::Allow,
            _ => {
                let hint = match closest(&text, OVERLAP_VALUES) {
                    Some(near) => {
                        format!("did you mean \"{near}\"? (skip, queue, replace or allow)")
                    }
                    None => "overlap is one of skip, queue, replace or allow".into(),
                };
                self.error(
                    &value.span,
                    format!("overlap: unknown value \"{}\"", visible(&text)),
                    Some(hint),
                );
                return None;
            }
        };
        Some(overlap)
    }

    fn retries(&mut self, value: &Node) -> Option<u32> {
        match value.value {
            Value::Int(n) if (0..=i128::from(MAX_RETRIES)).contains(&n) => u32::try_from(n).ok(),
            Value::Int(n) => {
                self.error(
                    &value.span,
                    format!("retries must be 0 to {MAX_RETRIES}, not {n}"),
                    None,
                );
                None
            }
            _ => {
                self.wrong_type(
                    "retries",
                    &format!("a whole number from 0 to {MAX_RETRIES}"),
                    value,
                );
                None
            }
        }
    }

    fn env(&mut self, value: &Node) -> Option<BTreeMap<String, String>> {
        let Value::Map(entries) = &value.value else {
            self.wrong_type("env", "a map of variable names to values", value);
            return None;
        };
        let mut env = BTreeMap::new();
        let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
        for (name_node, value_node) in entries {
            let Some(name) = self.key_text(name_node) else {
                continue;
            };
            if self.is_repeat(&mut seen, name, &name_node.span, Repeated::Variable) {
                continue;
            }
            if !is_env_name(name) {
                self.error(
                    &name_node.span,
                    format!("env: \"{}\" is not a variable name", visible(name)),
                    Some("names use letters, digits and _, and do not start with a digit".into()),
                );
                continue;
            }
            let text = match &value_node.value {
                // Numbers and booleans are kept exactly as written: `PORT: 0080` stays "0080",
                // through an alias or a merge key too.
                Value::Str(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                    value_node.scalar_text().unwrap_or_default().into_owned()
                }
                Value::Null => {
                    self.error(
                        &value_span(value_node),
                        format!("env: \"{}\" has no value", visible(name)),
                        Some("write \"\" for an empty value".into()),
                    );
                    continue;
                }
                Value::Seq(_) | Value::Map(_) => {
                    self.wrong_type(&format!("env: \"{}\"", visible(name)), "text", value_node);
                    continue;
                }
            };
            if text.contains('\0') {
                self.error(
                    &value_node.span,
                    format!("env: \"{}\" contains a NUL byte", visible(name)),
                    Some(
                        "an environment variable cannot hold a NUL byte (`\\0`); remove it".into(),
                    ),
                );
                continue;
            }
            env.insert(name.to_owned(), text);
        }
        Some(env)
    }

    /// A text value, or a diagnostic saying what was found instead. Numbers and booleans
    /// count as text, exactly as written (`command: true` runs `true`), also when reached
    /// through an alias: the text comes from the node, never from the file at the alias.
    pub(super) fn text(&mut self, key: &str, value: &Node) -> Option<String> {
        match value.scalar_text() {
            Some(text) => Some(text.into_owned()),
            None => {
                self.wrong_type(key, "text", value);
                None
            }
        }
    }

    pub(super) fn wrong_type(&mut self, key: &str, expected: &str, value: &Node) {
        let (message, hint) = match value.value {
            Value::Null => (
                format!("{key} has no value"),
                Some(format!("{key} is {expected}")),
            ),
            _ => (
                format!("{key} must be {expected}, not {}", value.value.kind()),
                None,
            ),
        };
        self.error(&value_span(value), message, hint);
    }
}

/// Where to point at a value. A missing value (`key:` and nothing) is located at its
/// colon, so point just after it; maps and lists are located at their first entry.
pub(super) fn value_span(value: &Node) -> Span {
    match (&value.value, value.span.is_empty()) {
        (Value::Null, true) => value.span.start + 1..value.span.start + 1,
        (_, true) => value.span.start..value.span.start + 1,
        _ => value.span.clone(),
    }
}

/// `a, b, c or d`.
pub(super) fn list(items: &[&str]) -> String {
    let mut unique: Vec<&str> = Vec::new();
    for item in items {
        if !unique.contains(item) {
            unique.push(item);
        }
    }
    match unique.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => (*last).to_owned(),
        None => String::new(),
    }
}
