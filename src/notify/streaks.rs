//! Where failure streaks are kept: in this clock's memory, or in a [`StreakBook`] that
//! every clock on the same store shares.
//!
//! Without a store the notifier decides each outcome on the spot from its own copy, and
//! a restart starts every job afresh. With a store the book is a table in Postgres (see
//! `crate::store::streaks`): a streak survives restarts and deploys, the clock that
//! takes over goes on counting where the last one stopped, and an outcome that two
//! clocks both report counts once. The book is asked off the job's path, by one task
//! ([`keep`]) that takes outcomes in the order they happened. When the book cannot
//! answer, the task decides from its copy (so an alert is never lost to a database
//! outage), leaves the book alone for [`BOOK_PAUSE`], and hands the book its copy the
//! next time it asks, as the newest word on that job.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::message::Report;
use super::policy::{self, Send, Streak};
use crate::config::{Alert, AlertOn};

/// How long the notifier decides from memory after the book failed to answer, so a
/// database outage never makes alerts queue behind timeouts.
pub const BOOK_PAUSE: Duration = Duration::from_secs(30);
/// The most outcomes waiting for the book; past it an outcome is decided from memory.
pub const MAX_WAITING: usize = 1024;

/// One final outcome (or a retry, or a skip) of one run, as the book counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub job: String,
    pub slot: DateTime<Utc>,
    pub attempt: Option<u32>,
    pub on: AlertOn,
}

impl Counted {
    /// What identifies this outcome across clocks: a second report of the same one (two
    /// clocks that both saw a slot missed) is not counted again.
    pub fn key(&self) -> String {
        format!(
            "{}/{}/{}",
            self.slot
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            self.attempt.unwrap_or(0),
            self.on.as_str()
        )
    }
}

/// What the book decided: what to send, and the streak after the outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub send: Option<Send>,
    pub streak: Streak,
}

/// A shared place for streaks. `apply` reads the job's streak (or starts from `newer`,
/// this clock's copy, when it holds outcomes the book never heard of), applies the
/// outcome with [`policy::decide`] on the book's own clock, and writes it back, all or
/// nothing. `None` when the book cannot be reached; the book logs why.
pub trait StreakBook: std::marker::Send + Sync + 'static {
    fn apply<'a>(
        &'a self,
        alert: &'a Alert,
        counted: &'a Counted,
        newer: Option<&'a Streak>,
    ) -> Pin<Box<dyn Future<Output = Option<Decision>> + std::marker::Send + 'a>>;
}

/// This clock's copy of one job's streak.
#[derive(Debug, Clone, Default)]
struct Kept {
    streak: Streak,
    /// Changed while the book could not be reached: the book has not heard of it.
    unsynced: bool,
}

/// This clock's copy of every streak.
#[derive(Debug, Default)]
pub struct Ledger {
    kept: Mutex<HashMap<String, Kept>>,
}

impl Ledger {
    /// Decides `counted` from this copy, at `now`. `unsynced`: the book has not heard of
    /// it (there is a book, and it could not be asked).
    pub fn decide(
        &self,
        alert: &Alert,
        counted: &Counted,
        now: DateTime<Utc>,
        unsynced: bool,
    ) -> Decision {
        let mut kept = self
            .kept
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let entry = kept.entry(counted.job.clone()).or_default();
        let send = policy::decide(alert, &mut entry.streak, counted.on, now);
        entry.unsynced |= unsynced;
        Decision {
            send,
            streak: entry.streak.clone(),
        }
    }

    /// This clock's copy when the book has not heard of it.
    fn unsynced(&self, job: &str) -> Option<Streak> {
        let kept = self
            .kept
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        kept.get(job)
            .filter(|entry| entry.unsynced)
            .map(|entry| entry.streak.clone())
    }

    /// The book's answer becomes this clock's copy.
    fn synced(&self, job: &str, streak: &Streak) {
        let mut kept = self
            .kept
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        kept.insert(
            job.to_owned(),
            Kept {
                streak: streak.clone(),
                unsynced: false,
            },
        );
    }
}

/// An outcome waiting for the book, with the alert it may become.
pub struct Waiting {
    pub alert: Alert,
    pub counted: Counted,
    pub report: Report,
}

/// What the notifier hands [`keep`].
pub enum Ask {
    Decide(Box<Waiting>),
    /// Everything before it is decided: answer.
    Flush(oneshot::Sender<()>),
}

/// Where a decided alert goes: the notifier's channels.
pub type Deliver = Arc<dyn Fn(&Alert, Report, Option<Send>) + std::marker::Send + Sync>;

/// The task that asks the book, in order, and delivers what it decides.
pub async fn keep(
    book: Arc<dyn StreakBook>,
    ledger: Arc<Ledger>,
    mut asks: mpsc::Receiver<Ask>,
    deliver: Deliver,
) {
    let mut paused_until: Option<Instant> = None;
    while let Some(ask) = asks.recv().await {
        let waiting = match ask {
            Ask::Flush(done) => {
                let _ = done.send(());
                continue;
            }
            Ask::Decide(waiting) => *waiting,
        };
        let Waiting {
            alert,
            counted,
            mut report,
        } = waiting;
        let paused = paused_until.is_some_and(|until| Instant::now() < until);
        let answer = if paused {
            None
        } else {
            let newer = ledger.unsynced(&counted.job);
            book.apply(&alert, &counted, newer.as_ref()).await
        };
        let decision = match answer {
            Some(decision) => {
                paused_until = None;
                ledger.synced(&counted.job, &decision.streak);
                decision
            }
            None => {
                if !paused {
                    paused_until = Some(Instant::now() + BOOK_PAUSE);
                }
                ledger.decide(&alert, &counted, Utc::now(), true)
            }
        };
        report.streak = decision.streak.failures;
        deliver(&alert, report, decision.send);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

    use chrono::TimeZone as _;

    use super::*;
    use crate::notify::message::Kind;

    /// A book in memory that can be told to stop answering, and counts its calls.
    #[derive(Default)]
    struct FakeBook {
        rows: Mutex<HashMap<String, (Streak, String)>>,
        down: AtomicBool,
        calls: AtomicU32,
        newer_seen: Mutex<Vec<Option<Streak>>>,
    }

    impl StreakBook for FakeBook {
        fn apply<'a>(
            &'a self,
            alert: &'a Alert,
            counted: &'a Counted,
            newer: Option<&'a Streak>,
        ) -> Pin<Box<dyn Future<Output = Option<Decision>> + std::marker::Send + 'a>> {
            Box::pin(async move {
                self.calls.fetch_add(1, Ordering::SeqCst);
                self.newer_seen.lock().unwrap().push(newer.cloned());
                if self.down.load(Ordering::SeqCst) {
                    return None;
                }
                let mut rows = self.rows.lock().unwrap();
                let row = rows.entry(counted.job.clone()).or_default();
                if row.1 == counted.key() {
                    return Some(Decision {
                        send: None,
                        streak: row.0.clone(),
                    });
                }
                let mut streak = newer.cloned().unwrap_or_else(|| row.0.clone());
                let send = policy::decide(alert, &mut streak, counted.on, Utc::now());
                *row = (streak.clone(), counted.key());
                Some(Decision { send, streak })
            })
        }
    }

    fn alert(after: u32) -> Alert {
        Alert {
            to: vec!["ops".into()],
            on: AlertOn::DEFAULT.to_vec(),
            after,
            recovery: true,
            repeat: None,
        }
    }

    fn report() -> Report {
        Report {
            kind: Kind::Failed,
            reminder: false,
            job: "backup".into(),
            schedule: "every 1m".into(),
            scheduled_for: None,
            attempt: Some(1),
            attempts: 1,
            exit_code: Some(1),
            signal: None,
            duration: None,
            dyno: "clock.1".into(),
            run_id: None,
            reason: None,
            missed: 0,
            streak: 0,
            output: String::new(),
            output_truncated: false,
            at: Utc::now(),
        }
    }

    fn counted(minute: u32, on: AlertOn) -> Counted {
        Counted {
            job: "backup".into(),
            slot: Utc.with_ymd_and_hms(2026, 3, 1, 3, minute, 0).unwrap(),
            attempt: Some(1),
            on,
        }
    }

    type Sent = Arc<Mutex<Vec<(Option<Send>, u32)>>>;

    /// Starts [`keep`] on `book`; what it delivers lands in the returned list.
    fn start(book: Arc<FakeBook>) -> (mpsc::Sender<Ask>, Sent) {
        let sent: Sent = Arc::default();
        let into = sent.clone();
        let deliver: Deliver = Arc::new(move |_, report: Report, send| {
            into.lock().unwrap().push((send, report.streak));
        });
        let (tx, rx) = mpsc::channel(MAX_WAITING);
        tokio::spawn(keep(book, Arc::new(Ledger::default()), rx, deliver));
        (tx, sent)
    }

    async fn decide(tx: &mpsc::Sender<Ask>, counted: Counted, after: u32) {
        let waiting = Waiting {
            alert: alert(after),
            counted,
            report: report(),
        };
        tx.send(Ask::Decide(Box::new(waiting))).await.unwrap();
        let (done, answered) = oneshot::channel();
        tx.send(Ask::Flush(done)).await.unwrap();
        answered.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn the_book_decides_and_an_outcome_reported_twice_counts_once() {
        let book = Arc::new(FakeBook::default());
        let (tx, sent) = start(book.clone());
        decide(&tx, counted(0, AlertOn::Missed), 2).await;
        decide(&tx, counted(0, AlertOn::Missed), 2).await;
        decide(&tx, counted(1, AlertOn::Failed), 2).await;
        assert_eq!(
            *sent.lock().unwrap(),
            [(None, 1), (None, 1), (Some(Send::Alert), 2)],
            "the second report of the 03:00 miss is not a second failure"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_unreachable_book_is_left_alone_for_a_while_and_then_told_what_it_missed() {
        let book = Arc::new(FakeBook::default());
        let (tx, sent) = start(book.clone());
        book.down.store(true, Ordering::SeqCst);
        decide(&tx, counted(0, AlertOn::Failed), 2).await;
        decide(&tx, counted(1, AlertOn::Failed), 2).await;
        assert_eq!(
            book.calls.load(Ordering::SeqCst),
            1,
            "after one unanswered call the book rests for BOOK_PAUSE"
        );
        assert_eq!(
            *sent.lock().unwrap(),
            [(None, 1), (Some(Send::Alert), 2)],
            "decided from memory: the alert still goes out"
        );
        book.down.store(false, Ordering::SeqCst);
        tokio::time::advance(BOOK_PAUSE).await;
        decide(&tx, counted(2, AlertOn::Succeeded), 2).await;
        let newer = book.newer_seen.lock().unwrap().last().cloned().flatten();
        assert_eq!(
            newer.map(|streak| streak.failures),
            Some(2),
            "the book hears of the two failures it missed"
        );
        assert_eq!(
            sent.lock().unwrap().last(),
            Some(&(Some(Send::Recovery), 0))
        );
        decide(&tx, counted(3, AlertOn::Failed), 2).await;
        assert_eq!(
            book.newer_seen.lock().unwrap().last(),
            Some(&None),
            "once the book is told, it is the source again"
        );
    }
}
