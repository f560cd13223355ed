//! When an alert goes out: `on`, `after`, `recovery` and `repeat`, over a job's streak.
//!
//! Only a run's final outcome counts (after its last retry); `retrying` is its own event.
//! Failed, timed-out, lost and missed runs extend the job's streak of failures; a success
//! ends it. The first alert goes out when the streak reaches `after` (if the outcome is
//! one `on` lists); while the streak goes on, a reminder at most every `repeat`; when a
//! job that was alerted about succeeds, one recovery message if `recovery` is set.
//! [`decide`] is pure: where a streak is kept (memory, or the store so that it
//! survives restarts and is shared by every clock) is [`super::streaks`]' business.

use chrono::{DateTime, Utc};

use crate::config::{Alert, AlertOn};

/// One job's streak of failed runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Streak {
    pub failures: u32,
    /// When the last alert or reminder about this streak went out.
    pub alerted_at: Option<DateTime<Utc>>,
}

/// What to send for one outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Send {
    /// The first alert of a streak (or a notice for an outcome `on` lists).
    Alert,
    /// The streak goes on and `repeat` has passed since the last alert.
    Reminder,
    /// A job that was alerted about succeeded again.
    Recovery,
}

/// Applies `outcome` to `streak` and says what, if anything, to send. `now` is the
/// caller's clock (the database's with a store; tests drive `repeat` with tokio's
/// paused time through [`TokioClock`](crate::runtime::TokioClock)).
pub fn decide(
    alert: &Alert,
    streak: &mut Streak,
    outcome: AlertOn,
    now: DateTime<Utc>,
) -> Option<Send> {
    let listed = alert.on.contains(&outcome);
    if outcome.is_failure() {
        streak.failures = streak.failures.saturating_add(1);
        if !listed || streak.failures < alert.after {
            return None;
        }
        return match streak.alerted_at {
            None => {
                streak.alerted_at = Some(now);
                Some(Send::Alert)
            }
            Some(at) if alert.repeat.is_some_and(|every| now >= later(at, every)) => {
                streak.alerted_at = Some(now);
                Some(Send::Reminder)
            }
            Some(_) => None,
        };
    }
    match outcome {
        AlertOn::Succeeded => {
            let was_alerted = streak.alerted_at.is_some();
            *streak = Streak::default();
            if was_alerted && alert.recovery {
                Some(Send::Recovery)
            } else {
                listed.then_some(Send::Alert)
            }
        }
        // Skips and retries neither extend nor end a streak.
        _ => listed.then_some(Send::Alert),
    }
}

/// `at + every`, saturating (a `repeat` of years never overflows).
fn later(at: DateTime<Utc>, every: std::time::Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(every)
        .ok()
        .and_then(|every| at.checked_add_signed(every))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeZone as _;

    use super::*;
    use crate::runtime::{Clock as _, TokioClock};

    fn alert(after: u32, recovery: bool, repeat: Option<u64>) -> Alert {
        Alert {
            to: vec!["ops".into()],
            on: AlertOn::DEFAULT.to_vec(),
            after,
            recovery,
            repeat: repeat.map(Duration::from_secs),
        }
    }

    /// Feeds `outcomes` one per `gap` of paused time; returns what each one sent.
    async fn run(alert: &Alert, outcomes: &[AlertOn], gap: Duration) -> Vec<Option<Send>> {
        let clock = TokioClock::starting_at(Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap());
        let mut streak = Streak::default();
        let mut sent = Vec::new();
        for &outcome in outcomes {
            sent.push(decide(alert, &mut streak, outcome, clock.now()));
            tokio::time::advance(gap).await;
        }
        sent
    }

    use AlertOn::{Failed, Missed, Retrying, Skipped, Succeeded, TimedOut};

    #[tokio::test(start_paused = true)]
    async fn after_waits_for_that_many_failures_in_a_row() {
        let sent = run(
            &alert(2, true, None),
            &[Failed, Succeeded, Failed, TimedOut, Failed, Succeeded],
            Duration::from_secs(60),
        )
        .await;
        assert_eq!(
            sent,
            [
                None,
                None,
                None,
                Some(Send::Alert),
                None,
                Some(Send::Recovery)
            ],
            "the first failure alone is no alert; two in a row are; one recovery"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn recovery_only_after_an_alert_and_only_when_asked() {
        let sent = run(&alert(3, true, None), &[Failed, Succeeded], Duration::ZERO).await;
        assert_eq!(
            sent,
            [None, None],
            "no alert went out, so nothing recovered"
        );
        let sent = run(&alert(1, false, None), &[Failed, Succeeded], Duration::ZERO).await;
        assert_eq!(sent, [Some(Send::Alert), None]);
    }

    #[tokio::test(start_paused = true)]
    async fn repeat_reminds_at_most_that_often_while_failing() {
        // A failure every 2h, a reminder every 6h at most.
        let sent = run(
            &alert(1, true, Some(6 * 3600)),
            &[Failed; 8],
            Duration::from_secs(2 * 3600),
        )
        .await;
        assert_eq!(
            sent,
            [
                Some(Send::Alert),
                None,
                None,
                Some(Send::Reminder),
                None,
                None,
                Some(Send::Reminder),
                None
            ]
        );
        let never = run(
            &alert(1, true, None),
            &[Failed; 4],
            Duration::from_secs(86400),
        )
        .await;
        assert_eq!(never, [Some(Send::Alert), None, None, None]);
    }

    #[tokio::test(start_paused = true)]
    async fn skips_and_retries_are_notices_that_leave_the_streak_alone() {
        let mut policy = alert(2, true, None);
        policy.on = vec![Failed, Skipped, Retrying, Succeeded];
        let sent = run(
            &policy,
            &[Failed, Retrying, Skipped, Failed, Succeeded, Succeeded],
            Duration::ZERO,
        )
        .await;
        assert_eq!(
            sent,
            [
                None,
                Some(Send::Alert),
                Some(Send::Alert),
                Some(Send::Alert),
                Some(Send::Recovery),
                Some(Send::Alert)
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_outcome_not_listed_counts_but_does_not_alert() {
        let mut policy = alert(2, true, None);
        policy.on = vec![Failed];
        let sent = run(&policy, &[Missed, Failed], Duration::ZERO).await;
        assert_eq!(
            sent,
            [None, Some(Send::Alert)],
            "the miss made the failure the second"
        );
    }
}
