//! Warnings: a job that is valid but probably does not do what its author expects.
//!
//! A cron step that does not divide its range, a fixed wall time that DST skips or
//! repeats within the next year, a one-shot `at` that is past or moved by DST, and a
//! timeout at least as long as the gap between runs. Warnings never stop the clock;
//! `clockctl validate --strict` turns them into errors. What counts as a trap is decided
//! by [`crate::schedule`]; this module only words it and places it in the file.

use std::collections::BTreeSet;
use std::time::Duration;

use super::checker::{Checker, FactsKey};
use super::fields::{Fields, ScheduleSource};
use super::model::{Job, Overlap};
use super::{duration, when};
use crate::schedule::{AtTime, DstTrap, DstTrapKind, Resolved, Schedule, resolve_wall};

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
                    let time = trap.wall.format("%H:%M");
                    let span = when::format_span(trap.span);
                    let (message, hint) = match trap.kind {
                        DstTrapKind::Gap => (
                            format!(
                                "the {time} run on {day} falls in the time DST skips in {zone} \
                                 ({span})"
                            ),
                            format!(
                                "that day it runs just after the clocks jump forward; use a \
                                 time outside {span}, or timezone: UTC, to avoid it"
                            ),
                        ),
                        DstTrapKind::Repeat => (
                            format!(
                                "the {time} run on {day} falls in the time DST repeats in \
                                 {zone} ({span})"
                            ),
                            format!(
                                "that day it runs once, at the first pass; use a time outside \
                                 {span}, or timezone: UTC, to avoid it"
                            ),
                        ),
                    };
                    self.warning(&written.span, message, Some(hint));
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
                    match resolve_wall(job.schedule.tz, *local) {
                        Resolved::Gap {
                            skipped,
                            offset_before,
                            ..
                        } => {
                            // Where the run lands: the wall time read with the offset in
                            // force before the jump, shown on the clocks after it.
                            let lands = local
                                .and_utc()
                                .checked_sub_signed(chrono::TimeDelta::seconds(i64::from(
                                    offset_before,
                                )))
                                .map(|t| {
                                    t.with_timezone(&job.schedule.tz)
                                        .format("%H:%M:%S")
                                        .to_string()
                                });
                            let hint = match lands {
                                Some(lands) => format!(
                                    "it runs at {lands} instead, moved forward by the length of \
                                     the jump; give an offset to say exactly when"
                                ),
                                None => "it moves forward by the length of the jump; give an \
                                         offset to say exactly when"
                                    .to_string(),
                            };
                            self.warning(
                                &written.span,
                                format!(
                                    "at: {} does not exist in {zone}: the clocks skip {} when DST starts",
                                    when::format(*at),
                                    when::format_span(skipped)
                                ),
                                Some(hint),
                            )
                        }
                        Resolved::Repeat { .. } => self.warning(
                            &written.span,
                            format!(
                                "at: {} happens twice in {zone}: the clocks repeat it when DST ends",
                                when::format(*at)
                            ),
                            Some("it runs at the first pass; give an offset to say exactly when".into()),
                        ),
                        Resolved::Single(_) => {}
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

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    /// `(message, hint)` of every warning for one job with `cron` in `zone`, from 2026-06-01.
    fn dst_warnings(cron: &str, zone: &str) -> Vec<(String, String)> {
        let source =
            format!("jobs:\n  j:\n    cron: \"{cron}\"\n    timezone: {zone}\n    command: x\n");
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
        crate::config::parse(&source, now)
            .diagnostics
            .into_iter()
            .map(|d| (d.message, d.hint.unwrap_or_default()))
            .collect()
    }

    fn gap(time: &str, day: &str, zone: &str, span: &str) -> (String, String) {
        (
            format!("the {time} run on {day} falls in the time DST skips in {zone} ({span})"),
            format!(
                "that day it runs just after the clocks jump forward; use a time outside \
                 {span}, or timezone: UTC, to avoid it"
            ),
        )
    }

    fn repeat(time: &str, day: &str, zone: &str, span: &str) -> (String, String) {
        (
            format!("the {time} run on {day} falls in the time DST repeats in {zone} ({span})"),
            format!(
                "that day it runs once, at the first pass; use a time outside {span}, or \
                 timezone: UTC, to avoid it"
            ),
        )
    }

    #[test]
    fn dst_advice_names_the_zones_own_change() {
        // {cron, zone, expected warnings over the year from 2026-06-01}
        let table = [
            // Santiago changes at midnight: 00:00-01:00 is skipped, 23:00-24:00 repeated.
            (
                "30 0 * * *",
                "America/Santiago",
                vec![gap(
                    "00:30",
                    "2026-09-06",
                    "America/Santiago",
                    "00:00-01:00",
                )],
            ),
            (
                "30 23 * * *",
                "America/Santiago",
                vec![repeat(
                    "23:30",
                    "2027-04-03",
                    "America/Santiago",
                    "23:00-24:00",
                )],
            ),
            (
                "30 1 * * *",
                "Europe/London",
                vec![
                    repeat("01:30", "2026-10-25", "Europe/London", "01:00-02:00"),
                    gap("01:30", "2027-03-28", "Europe/London", "01:00-02:00"),
                ],
            ),
            // Lord Howe moves by half an hour.
            (
                "15 2 * * *",
                "Australia/Lord_Howe",
                vec![gap(
                    "02:15",
                    "2026-10-04",
                    "Australia/Lord_Howe",
                    "02:00-02:30",
                )],
            ),
            (
                "45 1 * * *",
                "Australia/Lord_Howe",
                vec![repeat(
                    "01:45",
                    "2027-04-04",
                    "Australia/Lord_Howe",
                    "01:30-02:00",
                )],
            ),
            (
                "30 2 * * *",
                "America/New_York",
                vec![gap(
                    "02:30",
                    "2027-03-14",
                    "America/New_York",
                    "02:00-03:00",
                )],
            ),
            (
                "30 1 * * *",
                "America/New_York",
                vec![repeat(
                    "01:30",
                    "2026-11-01",
                    "America/New_York",
                    "01:00-02:00",
                )],
            ),
            // Outside the zone's change there is nothing to warn about.
            ("30 2 * * *", "America/Santiago", vec![]),
            ("30 0 * * *", "America/New_York", vec![]),
        ];
        for (cron, zone, expected) in table {
            assert_eq!(dst_warnings(cron, zone), expected, "`{cron}` in {zone}");
        }
    }

    #[test]
    fn an_at_wall_time_names_the_span_the_clocks_skip() {
        let source = "jobs:\n  j:\n    at: 2026-09-06T00:30:00\n    timezone: America/Santiago\n    command: x\n";
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
        let messages: Vec<String> = crate::config::parse(source, now)
            .diagnostics
            .into_iter()
            .map(|d| d.message)
            .collect();
        assert!(
            messages.contains(
                &"at: 2026-09-06T00:30:00 does not exist in America/Santiago: the clocks skip \
                  00:00-01:00 when DST starts"
                    .to_string()
            ),
            "{messages:?}"
        );
    }

    #[test]
    fn an_at_wall_time_in_a_gap_says_where_it_lands_in_its_own_zone() {
        // Santiago jumps 00:00 -> 01:00, Lord Howe 02:00 -> 02:30: the advice follows the zone.
        let table = [
            ("2026-09-06T00:30:00", "America/Santiago", "01:30:00"),
            ("2026-10-04T02:15:00", "Australia/Lord_Howe", "02:45:00"),
            ("2027-03-14T02:30:00", "America/New_York", "03:30:00"),
        ];
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
        for (at, zone, lands) in table {
            let source =
                format!("jobs:\n  j:\n    at: {at}\n    timezone: {zone}\n    command: x\n");
            let hints: Vec<String> = crate::config::parse(&source, now)
                .diagnostics
                .into_iter()
                .filter_map(|d| d.hint)
                .collect();
            let expected = format!(
                "it runs at {lands} instead, moved forward by the length of the jump; give an \
                 offset to say exactly when"
            );
            assert!(hints.contains(&expected), "{at} in {zone}: {hints:?}");
        }
    }
}
