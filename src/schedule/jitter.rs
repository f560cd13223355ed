//! The stable per-job jitter: a delay in `[0, max)` derived from the job's name alone, so
//! every restart (and every dyno) computes the same offset, and jobs that share a schedule
//! spread out instead of stampeding.

use std::time::Duration;

/// The delay for `job_name` under `jitter: max`: FNV-1a (64-bit) of the name, reduced to
/// whole milliseconds modulo `max`. `Duration::ZERO` when `max` is under a millisecond.
/// Config stores the result in [`super::JobSchedule::jitter`].
pub fn stable_jitter(job_name: &str, max: Duration) -> Duration {
    let max_ms = u64::try_from(max.as_millis()).unwrap_or(u64::MAX);
    if max_ms == 0 {
        return Duration::ZERO;
    }
    Duration::from_millis(fnv1a64(job_name.as_bytes()) % max_ms)
}

fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_is_stable_and_below_the_maximum() {
        // {name, max, expected}: pinned so a change of hash is a visible, deliberate break
        // (it would move every job's runs).
        let cases = [
            (
                "report",
                Duration::from_secs(60),
                Duration::from_millis(18_923),
            ),
            (
                "report",
                Duration::from_secs(3600),
                Duration::from_millis(2_118_923),
            ),
            (
                "nightly-report",
                Duration::from_secs(60),
                Duration::from_millis(9_131),
            ),
            ("anything", Duration::ZERO, Duration::ZERO),
            ("anything", Duration::from_micros(999), Duration::ZERO),
        ];
        for (name, max, expected) in cases {
            assert_eq!(stable_jitter(name, max), expected, "{name}");
        }
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        for name in ["a", "b", "nightly-report", "sync_users"] {
            let j = stable_jitter(name, Duration::from_secs(30));
            assert!(j < Duration::from_secs(30), "{name}: {j:?}");
        }
        assert_ne!(
            stable_jitter("a", Duration::from_secs(3600)),
            stable_jitter("b", Duration::from_secs(3600)),
        );
    }
}
