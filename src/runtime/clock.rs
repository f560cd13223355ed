//! What time it is, as the runtime asks it: one small trait so tests can drive time.
//!
//! The runtime compares slots (UTC instants from the schedule) with [`Clock::now`] and
//! sleeps on tokio's timer for the difference. In production [`SystemClock`] reads the
//! wall clock; tests use [`TokioClock`], which follows tokio's (pausable) time, so
//! `#[tokio::test(start_paused = true)]` runs a day of schedule in no time, exactly.

use chrono::{DateTime, Utc};
use tokio::time::Instant;

/// The current instant, in UTC.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock. After a wake-up the runtime always re-reads it, so a wall clock that
/// jumped (NTP, a suspended machine) shows up as lateness, handled by `misfire_grace`.
/// The sleep itself runs on tokio's monotonic timer, which does not count time a machine
/// spends suspended: after a laptop sleeps, the slot the clock was waiting for fires late
/// by the time slept (and is skipped as a misfire when that is past the grace); later
/// slots are on time again. Dynos are never suspended, so this only matters locally.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that reads `start` at the moment it was made and then moves with tokio's
/// time (which tests pause and advance).
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    origin: Instant,
    start: DateTime<Utc>,
}

impl TokioClock {
    pub fn starting_at(start: DateTime<Utc>) -> TokioClock {
        TokioClock {
            origin: Instant::now(),
            start,
        }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = Instant::now().saturating_duration_since(self.origin);
        self.start + chrono::Duration::from_std(elapsed).unwrap_or(chrono::TimeDelta::MAX)
    }
}
