//! The checker's shared state: the source being checked and the diagnostics found in it.
//!
//! [`Checker`] is what every part of the walk writes to ([`super::check`] for the file's
//! shape, [`super::fields`] for one value at a time, [`super::warnings`] for valid jobs
//! that probably surprise): it locates a byte range as a line and column, keeps at most
//! [`MAX_DIAGNOSTICS`] findings, collects the byte ranges that hold credentials (so that
//! no rendering shows them), and remembers costly facts about cron schedules that
//! several jobs share. It knows nothing about clock.yml's keys; those parts build on it
//! and this module uses none of them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::mask::Masks;
use super::source::{LineIndex, Span};
use super::yaml::{Node, Value};
use super::{Diagnostic, Severity};
use crate::schedule::{CronExpr, DstTrap};
use crate::visible::visible;

/// Past this many findings the rest are summarised in one: nobody reads more, and a
/// hostile file could otherwise produce one per byte.
pub(super) const MAX_DIAGNOSTICS: usize = 200;

/// What identifies a cron schedule's facts: everything but the job's jitter (expression,
/// zone, window). A tuple rather than formatted text: it is built once per cron job.
pub(super) type FactsKey = (
    String,
    &'static str,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

/// The (pure, costly) facts about one cron schedule that warnings need.
#[derive(Debug, Clone, Default)]
pub(super) struct CronFacts {
    pub min_gap: Option<Option<Duration>>,
    pub dst_traps: Option<Vec<DstTrap>>,
}

/// What a repeated map key is, for "duplicate …" errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Repeated {
    /// A key of the top level, of `defaults:` or of a job.
    Key,
    /// A variable name in an `env:` map.
    Variable,
    /// A job name under `jobs:`.
    Job,
    /// A channel name under `notify:`.
    Channel,
}

/// Collects diagnostics against one source text.
pub(super) struct Checker<'a> {
    pub source: &'a str,
    pub now: DateTime<Utc>,
    index: LineIndex<'a>,
    diagnostics: Vec<Diagnostic>,
    /// Errors and warnings past [`MAX_DIAGNOSTICS`], counted but not kept.
    dropped: (usize, usize),
    /// What the schedule engine found for each distinct cron schedule: large files repeat
    /// the same few expressions, and these scans dominate checking time.
    pub cron_facts: HashMap<FactsKey, CronFacts>,
    /// Each distinct valid cron text, parsed once: parsing is pure, and large files repeat
    /// their expressions.
    pub parsed_crons: HashMap<String, CronExpr>,
    /// The channel names under `notify:`, for `alert.to`; `None` when that block is
    /// not a map (its error is reported there, not again at each job).
    pub channels: Option<Vec<String>>,
    /// The credentials written in the file, hidden wherever a diagnostic shows its line.
    pub masks: Masks,
    /// The credential texts reached through an alias that were looked for where their
    /// anchor defines them.
    pub anchors_searched: HashSet<String>,
}

impl<'a> Checker<'a> {
    pub fn new(source: &'a str, now: DateTime<Utc>) -> Checker<'a> {
        Checker {
            source,
            now,
            index: LineIndex::new(source),
            diagnostics: Vec::new(),
            dropped: (0, 0),
            cron_facts: HashMap::new(),
            parsed_crons: HashMap::new(),
            channels: Some(Vec::new()),
            masks: Masks::default(),
            anchors_searched: HashSet::new(),
        }
    }

    /// Every finding in file order, with one closing summary of those past the cap, and
    /// the credentials that rendering them must hide.
    pub fn finish(self) -> (Vec<Diagnostic>, Masks) {
        let mut diagnostics = self.diagnostics;
        // File order reads best; errors and warnings at one spot keep the order they were found.
        diagnostics.sort_by_key(|d| (d.line, d.column));
        let (errors, warnings) = self.dropped;
        if errors + warnings > 0 {
            let last_line = u32::try_from(self.source.split('\n').count()).unwrap_or(u32::MAX);
            diagnostics.push(Diagnostic {
                // An error only if an error was dropped: warnings alone keep the file valid.
                severity: if errors > 0 {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                line: last_line,
                column: 1,
                len: 1,
                message: format!(
                    "{} more problems not shown ({errors} errors, {warnings} warnings)",
                    errors + warnings
                ),
                hint: Some("fix the ones above and run again".into()),
            });
        }
        (diagnostics, self.masks)
    }

    pub fn error(&mut self, span: &Span, message: impl Into<String>, hint: Option<String>) {
        self.push(Severity::Error, span, message.into(), hint);
    }

    pub fn warning(&mut self, span: &Span, message: impl Into<String>, hint: Option<String>) {
        self.push(Severity::Warning, span, message.into(), hint);
    }

    fn push(&mut self, severity: Severity, span: &Span, message: String, hint: Option<String>) {
        if self.diagnostics.len() >= MAX_DIAGNOSTICS {
            match severity {
                Severity::Error => self.dropped.0 += 1,
                Severity::Warning => self.dropped.1 += 1,
            }
            return;
        }
        let position = self.index.position(span);
        // One place read for several jobs (an `alert:` in `defaults:`) is reported once.
        let repeated = self.diagnostics.iter().any(|d| {
            (d.line, d.column, d.severity) == (position.line, position.column, severity)
                && d.message == message
        });
        if repeated {
            return;
        }
        self.diagnostics.push(Diagnostic {
            severity,
            line: position.line,
            column: position.column,
            len: position.len,
            message,
            hint,
        });
    }

    /// Where `span` is, as a person reads it.
    pub fn position(&self, span: &Span) -> super::source::Position {
        self.index.position(span)
    }

    pub fn line_of(&self, span: &Span) -> u32 {
        self.index.line(span.start)
    }

    /// Remembers that `key` is written at `span` in one map. A key the map already had is
    /// reported as a duplicate naming the line of its first occurrence, and `true` is
    /// returned so the caller skips it (YAML duplicates are passed through by the reader
    /// so that both places can be named).
    pub fn is_repeat<'k>(
        &mut self,
        seen: &mut BTreeMap<&'k str, Span>,
        key: &'k str,
        span: &Span,
        what: Repeated,
    ) -> bool {
        let Some(first) = seen.get(key) else {
            seen.insert(key, span.clone());
            return false;
        };
        let line = self.line_of(first);
        let shown = visible(key);
        let message = match what {
            Repeated::Key => format!("duplicate key \"{shown}\""),
            Repeated::Variable => format!("duplicate variable \"{shown}\" in env"),
            Repeated::Job => format!("duplicate job \"{shown}\""),
            Repeated::Channel => format!("duplicate channel \"{shown}\""),
        };
        self.error(
            span,
            message,
            Some(format!("\"{shown}\" is already set on line {line}")),
        );
        true
    }

    /// A map key's text. Scalars that YAML reads as numbers or booleans (`2024:`, `yes:`)
    /// are taken as written (where the scalar is defined, for an alias); lists and maps as
    /// keys are errors. Borrowed from the tree: a file has a key per value, and copying
    /// each one showed up in profiles of large files.
    pub fn key_text<'n>(&mut self, key: &'n Node) -> Option<&'n str> {
        match &key.value {
            Value::Str(s) => Some(s),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Null => {
                Some(key.written.unwrap_or_default())
            }
            Value::Seq(_) | Value::Map(_) => {
                self.error(&key.span, "a key must be text", None);
                None
            }
        }
    }
}
