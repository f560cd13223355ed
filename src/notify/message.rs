//! What an alert says, and its two renderings: a short text for people on a phone
//! (Slack) and the stable JSON shape of the generic webhook (documented in docs/alerts.md).
//!
//! A [`Report`] carries what the issue asks every alert to say: the job and its schedule,
//! the slot and the attempt, the outcome with its exit code and duration, the dyno, and
//! the end of the output (at most [`crate::exec::TAIL_BYTES`], the end kept).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::config::format_duration;
use crate::exec::last_bytes;
use crate::runtime::report::rfc3339;

/// What happened, as alerts name it (the webhook's `type` is `job.` and this).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Failed,
    TimedOut,
    Lost,
    Missed,
    Succeeded,
    Skipped,
    Retrying,
    /// A job that was alerted about succeeded again.
    Recovered,
    /// `clockctl notify test`.
    Test,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Failed => "failed",
            Kind::TimedOut => "timed_out",
            Kind::Lost => "lost",
            Kind::Missed => "missed",
            Kind::Succeeded => "succeeded",
            Kind::Skipped => "skipped",
            Kind::Retrying => "retrying",
            Kind::Recovered => "recovered",
            Kind::Test => "test",
        }
    }

    /// The webhook's `type`.
    pub fn event_type(self) -> String {
        match self {
            Kind::Test => "notify.test".to_owned(),
            other => format!("job.{}", other.as_str()),
        }
    }
}

/// Everything one alert says.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub kind: Kind,
    /// A reminder that the job still fails (`repeat`).
    pub reminder: bool,
    pub job: String,
    /// The schedule in words.
    pub schedule: String,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub attempt: Option<u32>,
    /// 1 + the job's `retries`.
    pub attempts: u32,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub duration: Option<Duration>,
    pub dyno: String,
    pub run_id: Option<String>,
    /// Why: a skip's reason, a failed start's error.
    pub reason: Option<String>,
    /// Slots passed over, for `missed`.
    pub missed: u64,
    /// Consecutive failed runs, this one included (0 after a success).
    pub streak: u32,
    pub output: String,
    /// Earlier output was dropped to keep the end.
    pub output_truncated: bool,
    /// When the clock wrote it.
    pub at: DateTime<Utc>,
}

/// How many of the output's last lines a phone message shows, and at most how many bytes.
const PHONE_LINES: usize = 8;
const PHONE_BYTES: usize = 800;

impl Report {
    /// The headline: `nightly-backup failed (exit 1) after 2m3s`.
    pub fn headline(&self) -> String {
        let what = match self.kind {
            Kind::Failed => match (self.exit_code, self.signal) {
                (_, Some(signal)) => format!("failed (signal {signal})"),
                (Some(code), None) => format!("failed (exit {code})"),
                (None, None) => "failed".to_owned(),
            },
            Kind::TimedOut => "timed out".to_owned(),
            Kind::Lost => "was lost".to_owned(),
            Kind::Missed => match self.missed {
                0 | 1 => "missed a run".to_owned(),
                n => format!("missed {n} runs"),
            },
            Kind::Succeeded => "succeeded".to_owned(),
            Kind::Skipped => "skipped a run".to_owned(),
            Kind::Retrying => "failed".to_owned(),
            Kind::Recovered => "recovered".to_owned(),
            Kind::Test => "test message from heroku-clock".to_owned(),
        };
        let after = self
            .duration
            .filter(|_| !matches!(self.kind, Kind::Missed | Kind::Skipped | Kind::Test))
            .map(|d| {
                format!(
                    " after {}",
                    format_duration(Duration::from_secs(d.as_secs()))
                )
            })
            .unwrap_or_default();
        let prefix = if self.reminder {
            format!("still failing ({} in a row): ", self.streak)
        } else {
            String::new()
        };
        // The duration is the attempt's, so "retrying" comes after it.
        let next = if self.kind == Kind::Retrying {
            "; retrying"
        } else {
            ""
        };
        format!("{prefix}{} {what}{after}{next}", self.job)
    }

    /// A few short lines, readable on a phone: the headline, the run's facts, and the last
    /// lines of output in a code block.
    pub fn phone_text(&self) -> String {
        let icon = match self.kind {
            Kind::Succeeded | Kind::Recovered => ":large_green_circle:",
            Kind::Skipped | Kind::Retrying | Kind::Test => ":large_yellow_circle:",
            _ => ":red_circle:",
        };
        let mut facts = Vec::new();
        if let Some(slot) = self.scheduled_for {
            facts.push(format!("slot {}", rfc3339(slot)));
        }
        if let Some(attempt) = self.attempt {
            facts.push(format!("attempt {attempt} of {}", self.attempts));
        }
        if let Some(reason) = &self.reason {
            facts.push(reason.clone());
        }
        facts.push(self.dyno.clone());
        let mut text = format!("{icon} *{}*\n{}", self.headline(), facts.join(" · "));
        if !self.schedule.is_empty() {
            text.push_str(&format!("\nruns {}", self.schedule));
        }
        let tail = phone_tail(&self.output);
        if !tail.is_empty() {
            text.push_str(&format!("\n```\n{tail}\n```"));
        }
        text
    }

    /// The webhook body: `{"type", "timestamp", "data"}`, the shape docs/alerts.md fixes.
    pub fn webhook_json(&self) -> Value {
        json!({
            "type": self.kind.event_type(),
            "timestamp": rfc3339(self.at),
            "data": {
                "job": self.job,
                "schedule": self.schedule,
                "outcome": self.kind.as_str(),
                "reminder": self.reminder,
                "scheduled_for": self.scheduled_for.map(rfc3339),
                "attempt": self.attempt,
                "attempts": self.attempts,
                "exit_code": self.exit_code,
                "signal": self.signal,
                "duration_ms": self.duration.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
                "dyno": self.dyno,
                "run_id": self.run_id,
                "reason": self.reason,
                "missed": self.missed,
                "streak": self.streak,
                "output": self.output,
                "output_truncated": self.output_truncated,
                "summary": self.headline(),
            }
        })
    }
}

/// The last few lines of `output`, short enough for a phone screen.
fn phone_tail(output: &str) -> String {
    let lines: Vec<&str> = output.trim_end().lines().collect();
    let start = lines.len().saturating_sub(PHONE_LINES);
    let text = lines[start..].join("\n");
    // Backticks would close the code block early.
    last_bytes(&text, PHONE_BYTES).replace("```", "'''")
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::TimeZone;

    use super::*;

    pub(crate) fn failed_report() -> Report {
        Report {
            kind: Kind::Failed,
            reminder: false,
            job: "nightly-backup".into(),
            schedule: "at 03:00, every day, UTC".into(),
            scheduled_for: Some(Utc.with_ymd_and_hms(2026, 1, 5, 3, 0, 0).unwrap()),
            attempt: Some(3),
            attempts: 3,
            exit_code: Some(1),
            signal: None,
            duration: Some(Duration::from_millis(123_400)),
            dyno: "clock.1".into(),
            run_id: Some("8a3c1f52-0b7e-4d2a-9c61-5f0e2b7d9a10".into()),
            reason: None,
            missed: 0,
            streak: 1,
            output: (1..=20).map(|i| format!("line {i}\n")).collect(),
            output_truncated: false,
            at: Utc.with_ymd_and_hms(2026, 1, 5, 3, 2, 3).unwrap(),
        }
    }

    #[test]
    fn the_phone_text_is_short_and_says_what_happened() {
        let text = failed_report().phone_text();
        assert!(
            text.starts_with(":red_circle: *nightly-backup failed (exit 1) after 2m3s*\n"),
            "{text}"
        );
        assert!(
            text.contains("slot 2026-01-05T03:00:00Z · attempt 3 of 3 · clock.1"),
            "{text}"
        );
        assert!(
            text.contains("line 20\n```"),
            "the end of the output: {text}"
        );
        assert!(!text.contains("line 12\n"), "only the last lines: {text}");
        assert!(text.len() < 1200, "{}", text.len());
    }

    #[test]
    fn the_webhook_shape_is_stable() {
        let body = failed_report().webhook_json();
        assert_eq!(body["type"], "job.failed");
        assert_eq!(body["timestamp"], "2026-01-05T03:02:03Z");
        let data = &body["data"];
        let keys: Vec<&str> = data
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "attempt",
                "attempts",
                "duration_ms",
                "dyno",
                "exit_code",
                "job",
                "missed",
                "outcome",
                "output",
                "output_truncated",
                "reason",
                "reminder",
                "run_id",
                "schedule",
                "scheduled_for",
                "signal",
                "streak",
                "summary"
            ]
        );
        assert_eq!(data["duration_ms"], 123_400);
        assert_eq!(data["scheduled_for"], "2026-01-05T03:00:00Z");
    }

    #[test]
    fn reminders_and_recoveries_say_so() {
        let mut report = failed_report();
        report.reminder = true;
        report.streak = 5;
        assert!(
            report
                .headline()
                .starts_with("still failing (5 in a row): ")
        );
        report.kind = Kind::Recovered;
        report.reminder = false;
        assert_eq!(report.headline(), "nightly-backup recovered after 2m3s");
    }

    #[test]
    fn a_retry_notice_says_how_long_the_attempt_ran_before_it_says_retrying() {
        let mut report = failed_report();
        report.kind = Kind::Retrying;
        assert_eq!(
            report.headline(),
            "nightly-backup failed after 2m3s; retrying"
        );
    }
}
