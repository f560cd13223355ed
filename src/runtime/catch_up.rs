//! Making up slots that fell due while no clock scheduled (a restart, a failover, an
//! outage), as the guarantee 3 says: the latest missed slot within the job's
//! `misfire_grace` runs; every other one is recorded as skipped with reason misfire.
//!
//! Pure: given a timetable, the job's mark (its last recorded slot or when it first
//! appeared, whichever is later), the slots this clock could not claim because the
//! store was away (`refused`), the job's next slot already in the loop, and "now", it
//! returns what to run and what to record. Slots at or before the mark are never made up
//! (so a job added today does not run for yesterday), except refused ones: a slot that
//! failed to claim while a later one was claimed is recorded, not forgotten.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Timetable;
use crate::schedule::Fire;

/// The most missed slots one make-up records one by one (the latest ones); older ones
/// are only counted.
pub const MAX_RECORDED: usize = 1000;

/// How many slots one make-up walks before it stops looking further back.
const MAX_WALKED: u64 = 1_000_000;

/// What a make-up does for one job.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Makeup {
    /// The slot to run now, if the latest missed one is within the grace.
    pub run: Option<Fire>,
    /// Missed slots to record as skipped (misfire), oldest first.
    pub missed: Vec<DateTime<Utc>>,
    /// Missed slots past [`MAX_RECORDED`] that are only counted.
    pub unrecorded: u64,
}

/// The make-up for slots after `mark` that came due by `now` and before `next` (the
/// slot the loop already waits for).
pub fn plan(
    timetable: &dyn Timetable,
    mark: DateTime<Utc>,
    refused: &[DateTime<Utc>],
    next: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    grace: Duration,
) -> Makeup {
    let earliest_refused = refused.iter().min().copied();
    let from = match earliest_refused {
        Some(first) if first <= mark => first - chrono::Duration::nanoseconds(1),
        _ => mark,
    };
    let counts = |slot: DateTime<Utc>| slot > mark || refused.contains(&slot);
    let mut missed: VecDeque<DateTime<Utc>> = VecDeque::new();
    let mut unrecorded = 0;
    let mut latest: Option<Fire> = None;
    let mut cursor = timetable.next_after(from);
    let mut walked = 0;
    while let Some(fire) = cursor {
        if fire.at > now || next.is_some_and(|next| fire.at >= next) || walked >= MAX_WALKED {
            break;
        }
        walked += 1;
        cursor = timetable.next_after(fire.at);
        if fire.slot <= from {
            // Jitter puts `at` after `slot`: this slot was recorded already.
            continue;
        }
        if let Some(older) = latest.replace(fire) {
            missed.push_back(older.slot);
            if missed.len() > MAX_RECORDED {
                missed.pop_front();
                unrecorded += 1;
            }
        }
    }
    // Slots at or before the mark that were not refused were claimed (they ran, or were
    // recorded): only the others count. When the latest due slot was claimed, the
    // make-up already happened, and the refused ones before it are only recorded.
    missed.retain(|slot| counts(*slot));
    let mut makeup = Makeup {
        run: None,
        missed: Vec::new(),
        unrecorded,
    };
    if let Some(fire) = latest.filter(|fire| counts(fire.slot)) {
        let in_grace = (now - fire.at).to_std().map_or(true, |late| late <= grace);
        if in_grace {
            makeup.run = Some(fire);
        } else {
            missed.push_back(fire.slot);
            if missed.len() > MAX_RECORDED {
                missed.pop_front();
                makeup.unrecorded += 1;
            }
        }
    }
    makeup.missed = missed.into();
    makeup
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0)
            .single()
            .expect("valid")
            + chrono::Duration::seconds(secs)
    }

    /// Every `step` seconds from t(0), each slot due `delay` seconds after it (jitter).
    struct Every {
        step: i64,
        delay: i64,
    }

    impl Timetable for Every {
        fn next_after(&self, after: DateTime<Utc>) -> Option<Fire> {
            let mut k = (after - t(0)).num_seconds().div_euclid(self.step) - 1;
            loop {
                let slot = t(k * self.step);
                let at = slot + chrono::Duration::seconds(self.delay);
                if at > after {
                    return Some(Fire {
                        slot,
                        at,
                        dst: None,
                    });
                }
                k += 1;
            }
        }
        fn describe(&self) -> String {
            "test".into()
        }
    }

    const EVERY_10: Every = Every { step: 10, delay: 0 };

    #[test]
    fn the_latest_missed_slot_within_grace_runs_and_the_others_are_recorded() {
        // Last recorded slot 100; the clock takes over at 145 with 30 s of grace.
        let makeup = plan(
            &EVERY_10,
            t(100),
            &[],
            Some(t(150)),
            t(145),
            Duration::from_secs(30),
        );
        assert_eq!(makeup.run.map(|fire| fire.slot), Some(t(140)));
        assert_eq!(makeup.missed, vec![t(110), t(120), t(130)]);
        assert_eq!(makeup.unrecorded, 0);
    }

    #[test]
    fn a_latest_slot_past_the_grace_is_recorded_too_and_nothing_runs() {
        let makeup = plan(
            &EVERY_10,
            t(100),
            &[],
            None,
            t(175),
            Duration::from_secs(30),
        );
        // 170 is 5 s late: runs. With 4 s of grace it would not.
        assert_eq!(makeup.run.map(|fire| fire.slot), Some(t(170)));
        let strict = plan(&EVERY_10, t(100), &[], None, t(175), Duration::from_secs(4));
        assert_eq!(strict.run, None);
        assert_eq!(strict.missed.len(), 7);
        assert_eq!(strict.missed.last(), Some(&t(170)));
    }

    #[test]
    fn nothing_at_or_before_the_mark_and_nothing_the_loop_already_waits_for() {
        // The job first appeared at 95: nothing before it is made up, even when due.
        let fresh = plan(
            &EVERY_10,
            t(95),
            &[],
            Some(t(100)),
            t(99),
            Duration::from_secs(300),
        );
        assert_eq!(fresh, Makeup::default());
        // The loop already waits for 140 (due now, not yet popped): it is left to the loop.
        let makeup = plan(
            &EVERY_10,
            t(100),
            &[],
            Some(t(140)),
            t(140),
            Duration::from_secs(300),
        );
        assert_eq!(makeup.run.map(|fire| fire.slot), Some(t(130)));
        assert_eq!(makeup.missed, vec![t(110), t(120)]);
    }

    #[test]
    fn jittered_slots_count_by_their_slot_not_their_due_time() {
        let jittered = Every { step: 10, delay: 3 };
        // Slot 100 (due 103) was recorded; at 125, slots 110 (due 113) and 120 (due 123).
        let makeup = plan(
            &jittered,
            t(100),
            &[],
            None,
            t(125),
            Duration::from_secs(60),
        );
        assert_eq!(makeup.run.map(|fire| fire.slot), Some(t(120)));
        assert_eq!(makeup.missed, vec![t(110)]);
    }

    #[test]
    fn slots_refused_by_the_store_are_recorded_even_behind_a_later_claimed_one() {
        // 110 and 120 could not be claimed; 130 was claimed (the mark moved to 130).
        let behind = plan(
            &EVERY_10,
            t(130),
            &[t(110), t(120)],
            Some(t(140)),
            t(135),
            Duration::from_secs(60),
        );
        assert_eq!(behind.run, None);
        assert_eq!(behind.missed, vec![t(110), t(120)]);
        // Nothing claimed since 100: the latest refused slot is made up, the rest recorded.
        let outage = plan(
            &EVERY_10,
            t(100),
            &[t(110), t(120)],
            Some(t(130)),
            t(125),
            Duration::from_secs(60),
        );
        assert_eq!(outage.run.map(|fire| fire.slot), Some(t(120)));
        assert_eq!(outage.missed, vec![t(110)]);
    }

    #[test]
    fn a_long_outage_records_the_latest_slots_and_counts_the_rest() {
        let every_1 = Every { step: 1, delay: 0 };
        let makeup = plan(&every_1, t(0), &[], None, t(5000), Duration::from_secs(0));
        assert_eq!(makeup.run.map(|fire| fire.slot), Some(t(5000)));
        assert_eq!(makeup.missed.len(), MAX_RECORDED);
        assert_eq!(makeup.missed.last(), Some(&t(4999)));
        assert_eq!(makeup.unrecorded, 4999 - MAX_RECORDED as u64);
    }
}
