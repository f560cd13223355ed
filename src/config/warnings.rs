//! Warnings: a job that is valid but probably does not do what its author expects.
//!
//! A cron step that does not divide its range, a fixed wall time that DST skips or
//! repeats within the next year, a one-shot `at` that is past or moved by DST, and a
//! timeout at least as long as the gap between runs. Warnings never stop the clock;
//! `clockctl validate --strict` turns them into errors. What counts as a trap is decided
//! by [`crate::schedule`]; this module only words it and places it in the file.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{LocalResult, TimeZone};

use super::checker::{Checker, FactsKey};
use super::fields::{Fields, ScheduleSource};
use super::model::{Job, Overlap};
use super::{duration, when};
use crate::schedule::{AtTime, DstTrap, DstTrapKind, Schedule};

fn facts_key(job: &Job) -> FactsKey {
    let schedule = &job.schedule;
    let expression = match &schedule.schedule {
        Schedule::Cron(expr) => expr.as_str(),
        _ => "",
    };
    (
        expression.to_owned(),
        schedule.tz.name(),
        schedule.start,
        schedule.end,
    )
}

/// How far ahead DST traps are looked for.
const DST_HORIZON: Duration = Duration::from_secs(366 * 86_400);

impl Checker<'_> {
    /// [`crate::schedule::JobSchedule::dst_traps`] over the next year, once per distinct cron schedule.
    fn dst_traps(&mut self, job: &Job) -> Vec<DstTrap> {
        let now = self.now;
        let facts = self.cron_facts.entry(facts_key(job)).or_default();
        facts
            .dst_traps
            .get_or_insert_with(|| job.schedule.dst_traps(now, DST_HORIZON))
            .clone()
    }

    /// [`crate::schedule::JobSchedule::min_gap`], once per distinct cron schedule.
    fn min_gap(&mut self, job: &Job) -> Option<Duration> {
        if !matches!(job.schedule.schedule, Schedule::Cron(_)) {
            return job.schedule.min_gap();
        }
        let facts = self.cron_facts.entry(facts_key(job)).or_default();
        *facts.min_gap.get_or_insert_with(|| job.schedule.min_gap())
    }

    /// Adds every warning about `job`, placed at the values in `fields`.
    pub(super) fn warn_about(&mut self, job: &Job, fields: &Fields) {
        let Some((_, Some(written))) = &fields.schedule else {
            return;
        };
        let zone = job.schedule.tz.name();
        match (&job.schedule.schedule, &written.value) {
            (Schedule::Cron(expr), ScheduleSource::Cron(_, offset)) => {
                for warning in expr.warnings() {
                    let span = match offset {
                        Some(start) => {
                            start + warning.start..start + warning.end.max(warning.start)
                        }
                        None => written.span.clone(),
                    };
                    self.warning(&span, format!("cron: {}", warning.message), warning.hint);
                }
                let mut seen = BTreeSet::new();
                for trap in self.dst_traps(job) {
                    let day = trap.wall.date();
                    if !seen.insert((day, trap.kind == DstTrapKind::Gap)) {
                        continue;
                    }
                    let (message, hint) = match trap.kind {
                        DstTrapKind::Gap => (
                            format!(
                                "the {} run on {day} falls in the hour DST skips in {zone}",
                                trap.wall.format("%H:%M")
                            ),
                            "that day it runs just after the clocks jump forward; \
                             use a time outside 01:00-03:00, or timezone: UTC, to avoid it",
                        ),
                        DstTrapKind::Repeat => (
                            format!(
                                "the {} run on {day} falls in the hour DST repeats in {zone}",
                                trap.wall.format("%H:%M")
                            ),
                            "that day it runs once, at the first pass; use a time outside \
                             01:00-03:00, or timezone: UTC, to avoid it",
                        ),
                    };
                    self.warning(&written.span, message, Some(hint.to_owned()));
                }
            }
            (Schedule::At(at), _) => {
                if job.schedule.next_after(self.now).is_none() {
                    self.warning(
                        &written.span,
                        format!(
                            "at: {} is in the past; this job will never run",
                            when::format(*at)
                        ),
                        Some("set a future time, or remove the job".into()),
                    );
                }
                if let AtTime::Local(local) = at {
                    match job.schedule.tz.from_local_datetime(local) {
                        LocalResult::None => self.warning(
                            &written.span,
                            format!(
                                "at: {} does not exist in {zone}: the clocks skip it when DST starts",
                                when::format(*at)
                            ),
                            Some(
                                "it moves forward by the length of the jump (02:30 becomes 03:30); \
                                 give an offset to say exactly when"
                                    .into(),
                            ),
                        ),
                        LocalResult::Ambiguous(..) => self.warning(
                            &written.span,
                            format!(
                                "at: {} happens twice in {zone}: the clocks repeat it when DST ends",
                                when::format(*at)
                            ),
                            Some("it runs at the first pass; give an offset to say exactly when".into()),
                        ),
                        LocalResult::Single(_) => {}
                    }
                }
            }
            _ => {}
        }
        // `min_gap` scans the schedule: only ask when there is a timeout to compare.
        if let Some(timeout) = &fields.timeout
            && let Some(gap) = self.min_gap(job)
            && timeout.value >= gap
        {
            let consequence = match job.overlap {
                Overlap::Skip => "a run that long makes the next one skip",
                Overlap::Queue => "runs that long pile up in the queue",
                Overlap::Replace => "the next run replaces a run that long",
                Overlap::Allow => "runs that long overlap",
            };
            self.warning(
                &timeout.span,
                format!(
                    "timeout {}{} is at least the shortest gap between runs ({})",
                    duration::format(timeout.value),
                    fields.origin("timeout", &job.name),
                    duration::format(gap)
                ),
                Some(format!(
                    "{consequence}; use a timeout below {}",
                    duration::format(gap)
                )),
            );
        }
    }
}
