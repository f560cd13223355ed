//! The scheduler lease: one clock schedules, timed by the database's clock.
//!
//! The lease is one row (`heroku_clock.lease`): a holder and an `expires_at` that only
//! the database's `now()` writes and compares, so the dynos' clocks never matter. One
//! statement both renews and acquires ([`TICK`]): it takes the row when it is ours or
//! expired, and heartbeats this clock's row in `heroku_clock.clocks` on the way.
//!
//! [`Lease`] is the clock's own view, driven by instants it is given (tests inject
//! them). It counts the lease from the moment the renewal was *sent*: the database wrote
//! `now() + term` at some point after that, so the real expiry is later than what we
//! believe, and a leader that cannot renew stops scheduling a margin before the term
//! runs out: never after another clock could have taken over.

use std::time::Duration;

use tokio::time::Instant;

/// The default lease term (`15 s`): a dead leader is replaced within it.
pub const DEFAULT_TERM: Duration = Duration::from_secs(15);

/// How often a standby asks for the lease, so a released lease is taken within ~1 s.
pub const STANDBY_POLL: Duration = Duration::from_secs(1);

/// How the leadership changed with one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// This clock now schedules.
    Acquired,
    /// It still does.
    Kept,
    /// It no longer does: another took the lease, or it could not renew in time.
    Lost,
    /// It gave the lease up itself (shutdown).
    Released,
    /// It did not lead and still does not.
    Standby,
}

/// This clock's belief about the lease.
#[derive(Debug, Clone)]
pub struct Lease {
    term: Duration,
    /// Until when this clock may schedule; `None` when it does not lead.
    held_until: Option<Instant>,
}

impl Lease {
    pub fn new(term: Duration) -> Lease {
        Lease {
            term,
            held_until: None,
        }
    }

    pub fn term(&self) -> Duration {
        self.term
    }

    /// How long before the term ends the leader stops scheduling: time for a claim in
    /// flight to land, and for a dyno clock that runs a little fast.
    pub fn margin(&self) -> Duration {
        (self.term / 4).min(Duration::from_secs(2))
    }

    /// Whether this clock may schedule at `now`.
    pub fn leads(&self, now: Instant) -> bool {
        self.held_until.is_some_and(|until| now < until)
    }

    /// Until when it may, when it leads.
    pub fn held_until(&self) -> Option<Instant> {
        self.held_until
    }

    /// The database answered a tick sent at `sent`: `held` is whether this clock holds
    /// the lease now.
    pub fn on_answer(&mut self, sent: Instant, now: Instant, held: bool) -> Change {
        let led = self.leads(now);
        if held {
            let until = sent + self.term.saturating_sub(self.margin());
            self.held_until = Some(until);
            if now >= until {
                // The answer came too late to be of use: treat it as not held.
                self.held_until = None;
                return if led { Change::Lost } else { Change::Standby };
            }
            if led { Change::Kept } else { Change::Acquired }
        } else {
            let had = self.held_until.take().is_some();
            if had { Change::Lost } else { Change::Standby }
        }
    }

    /// The tick failed (no connection, a timeout): the lease holds until its term ends,
    /// then it is lost.
    pub fn on_failure(&mut self, now: Instant) -> Change {
        self.expire(now)
    }

    /// Drops a lease whose term has ended by `now`.
    pub fn expire(&mut self, now: Instant) -> Change {
        match self.held_until {
            Some(until) if now >= until => {
                self.held_until = None;
                Change::Lost
            }
            Some(_) => Change::Kept,
            None => Change::Standby,
        }
    }

    /// Gives the lease up (shutdown): from now on this clock does not schedule.
    pub fn release(&mut self) -> Change {
        match self.held_until.take() {
            Some(_) => Change::Released,
            None => Change::Standby,
        }
    }

    /// When the next tick is due after one sent at `sent`: a leader renews three times
    /// per term, a standby asks every [`STANDBY_POLL`].
    pub fn next_tick(&self, sent: Instant, now: Instant) -> Instant {
        if self.leads(now) {
            sent + self.term / 3
        } else {
            sent + STANDBY_POLL.min(self.term / 3)
        }
    }
}

/// One round trip: heartbeat this clock and, when `$4` (wants the lease) is true, renew
/// or take the lease. Returns whether this clock holds it, and the holder's dyno.
/// `$1` instance, `$2` dyno, `$3` term in seconds.
pub const TICK: &str = r#"
WITH beat AS (
    INSERT INTO heroku_clock.clocks AS c (instance, dyno, expires_at)
    VALUES ($1, $2, now() + $3::float8 * interval '1 second')
    ON CONFLICT (instance) DO UPDATE
       SET last_seen = now(), expires_at = EXCLUDED.expires_at, dyno = EXCLUDED.dyno
), taken AS (
    INSERT INTO heroku_clock.lease AS l (name, holder, dyno, acquired_at, expires_at)
    SELECT 'scheduler', $1, $2, now(), now() + $3::float8 * interval '1 second'
     WHERE $4::bool
    ON CONFLICT (name) DO UPDATE
       SET holder = EXCLUDED.holder,
           dyno = EXCLUDED.dyno,
           expires_at = EXCLUDED.expires_at,
           acquired_at = CASE WHEN l.holder = EXCLUDED.holder THEN l.acquired_at ELSE now() END
     WHERE l.holder = EXCLUDED.holder OR l.expires_at <= now()
    RETURNING holder
)
SELECT EXISTS (SELECT 1 FROM taken) AS held,
       (SELECT dyno FROM heroku_clock.lease WHERE name = 'scheduler' AND expires_at > now()) AS holder_dyno
"#;

/// Gives the lease up at once, so a standby takes it on its next poll. `$1` instance.
pub const RELEASE: &str = "UPDATE heroku_clock.lease SET expires_at = now() \
                           WHERE name = 'scheduler' AND holder = $1";

/// This clock is going away: its row goes, so no run of it is taken for lost while it
/// still shuts down (it only goes once every run has ended). `$1` instance.
pub const RETIRE: &str = "DELETE FROM heroku_clock.clocks WHERE instance = $1";

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn a_lease_is_counted_from_the_send_and_ends_a_margin_early() {
        let start = Instant::now();
        let mut lease = Lease::new(DEFAULT_TERM);
        assert!(!lease.leads(start));
        // Sent at start, answered 300 ms later.
        let answered = start + Duration::from_millis(300);
        assert_eq!(lease.on_answer(start, answered, true), Change::Acquired);
        assert!(lease.leads(answered));
        // 15 s term, 2 s margin: scheduling stops at 13 s after the send.
        assert!(lease.leads(start + Duration::from_millis(12_999)));
        assert!(!lease.leads(start + secs(13)));
        assert_eq!(lease.expire(start + secs(13)), Change::Lost);
        assert_eq!(lease.held_until(), None);
    }

    #[test]
    fn renewals_keep_it_and_failures_lose_it_only_when_the_term_is_over() {
        let start = Instant::now();
        let mut lease = Lease::new(DEFAULT_TERM);
        lease.on_answer(start, start, true);
        assert_eq!(
            lease.on_answer(start + secs(5), start + secs(5), true),
            Change::Kept
        );
        // The database is gone: failures before 5 + 13 = 18 s keep the lease.
        assert_eq!(lease.on_failure(start + secs(10)), Change::Kept);
        assert!(lease.leads(start + secs(17)));
        assert_eq!(lease.on_failure(start + secs(18)), Change::Lost);
        assert!(!lease.leads(start + secs(18)));
        assert_eq!(lease.on_failure(start + secs(19)), Change::Standby);
    }

    #[test]
    fn another_holder_or_a_late_answer_means_standby() {
        let start = Instant::now();
        let mut lease = Lease::new(DEFAULT_TERM);
        assert_eq!(lease.on_answer(start, start, false), Change::Standby);
        lease.on_answer(start, start, true);
        assert_eq!(
            lease.on_answer(start + secs(5), start + secs(5), false),
            Change::Lost
        );
        // An answer that arrives after the term it granted is of no use.
        let mut late = Lease::new(DEFAULT_TERM);
        assert_eq!(
            late.on_answer(start, start + secs(14), true),
            Change::Standby
        );
        assert!(!late.leads(start + secs(14)));
    }

    #[test]
    fn release_ends_leadership_at_once() {
        let start = Instant::now();
        let mut lease = Lease::new(DEFAULT_TERM);
        lease.on_answer(start, start, true);
        assert_eq!(lease.release(), Change::Released);
        assert!(!lease.leads(start));
        assert_eq!(lease.release(), Change::Standby);
    }

    #[test]
    fn a_leader_renews_three_times_a_term_and_a_standby_polls_every_second() {
        let start = Instant::now();
        let mut lease = Lease::new(DEFAULT_TERM);
        assert_eq!(lease.next_tick(start, start), start + STANDBY_POLL);
        lease.on_answer(start, start, true);
        assert_eq!(lease.next_tick(start, start), start + secs(5));
        let short = Lease::new(Duration::from_millis(1500));
        assert_eq!(
            short.next_tick(start, start),
            start + Duration::from_millis(500)
        );
    }
}
