//! One property test for every duration and instant computed from outside input: a
//! server's answer (`Retry-After`, dyno timestamps), a flag (`--timeout`, the poll
//! interval, `--now`) or the environment (the retry knobs). Extreme values must be refused
//! with a usage error or saturate; none may panic.

use std::time::Duration;

use chrono::{DateTime, TimeZone as _, Utc};
use clap::Parser as _;
use proptest::prelude::*;
use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

use super::Clockctl;
use super::scale::another_poll_fits;
use super::status::seconds_since;
use crate::heroku::client::{RetryPolicy, retry_after};

/// Mostly the edges, sometimes anything.
fn extreme_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0),
        Just(1),
        Just(u64::MAX),
        Just(u64::MAX - 1),
        Just(u64::MAX / 1000),
        Just(u64::from(u32::MAX)),
        any::<u64>(),
    ]
}

/// An instant anywhere chrono can represent.
fn any_instant() -> impl Strategy<Value = DateTime<Utc>> {
    let (min, max) = (
        DateTime::<Utc>::MIN_UTC.timestamp(),
        DateTime::<Utc>::MAX_UTC.timestamp(),
    );
    prop_oneof![Just(min), Just(max), Just(0), min..=max]
        .prop_map(|s| Utc.timestamp_opt(s, 0).single().expect("in range"))
}

/// A clock.yml with one job of each schedule kind, for `clockctl status --now`.
const JOBS: &str = "jobs:\n  a:\n    command: 'true'\n    every: 10m\n  b:\n    command: 'true'\n    cron: '30 2 * * *'\n    timezone: Europe/Berlin\n    jitter: 5m\n  c:\n    command: 'true'\n    at: '2030-03-31T02:30:00'\n    timezone: America/New_York\n";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn extreme_durations_and_instants_never_panic(
        seconds in extreme_u64(),
        millis in extreme_u64(),
        attempts in any::<u32>(),
        now in any_instant(),
        stamp in any_instant(),
        year in 1i32..=9999,
    ) {
        // A server's Retry-After: any number of seconds is a delay that never overflows
        // the budget check, and one longer than the budget is not waited for.
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        let delay = retry_after(&headers).expect("a number of seconds");
        let policy = RetryPolicy::default();
        let elapsed = Duration::from_millis(millis);
        let retries = policy.allows_retry(1, elapsed, delay);
        prop_assert!(!retries || delay <= policy.budget, "waits {delay:?} past the budget");

        // The environment's retry knobs.
        let knob = millis.to_string();
        let policy = RetryPolicy::from_lookup(|_| Some(knob.clone()));
        let _ = policy.allows_retry(attempts, elapsed, policy.backoff(attempts));

        // `scale --wait --timeout N` and the poll interval: refused outside their bounds,
        // and the wait loop's check saturates for any time already waited.
        let timeout = seconds.to_string();
        let parsed = Clockctl::try_parse_from(["clockctl", "scale", "--wait", "--timeout", &timeout]);
        prop_assert_eq!(parsed.is_ok(), (0..=86_400).contains(&seconds), "--timeout {}", seconds);
        let interval = millis.to_string();
        let parsed = Clockctl::try_parse_from(["clockctl", "scale", "--poll-interval-ms", &interval]);
        prop_assert_eq!(parsed.is_ok(), (1..=60_000).contains(&millis), "--poll-interval-ms {}", millis);
        let _ = another_poll_fits(elapsed, Duration::from_millis(millis), Duration::from_secs(seconds));

        // `status`: a dyno's timestamps against `--now`, anywhere in chrono's range.
        let text = stamp.to_rfc3339();
        let age = seconds_since(Some(&text), now);
        prop_assert!(age.is_none_or(|age| age >= 0));

        // `status --now` at any RFC 3339 instant, and past them: the next runs of every
        // kind of schedule.
        let late = Utc.with_ymd_and_hms(year, 12, 31, 23, 59, 59).single().expect("a time");
        let parsed = crate::config::parse(JOBS, Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
        let config = parsed.config.expect("a valid clock.yml");
        for job in &config.jobs {
            let _ = job.schedule.next_after(late);
            let _ = job.schedule.next_after(now);
        }
    }
}
