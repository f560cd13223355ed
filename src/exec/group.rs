//! A run's process group: signal all of it, and count what is still alive in it.
//!
//! Every run is the leader of a process group of its own, and everything it starts stays
//! in that group unless it leaves on purpose (`setsid`). So the group is how the clock
//! makes a run's whole process tree end with the run. This module only sends signals and
//! reads `/proc`; when to do either is decided in [`super::local`].

use std::fs;

/// Sends `signal` to the run's whole process group. A group that is already gone
/// (ESRCH) is the normal end of a race with the run's own exit, not an error.
pub(super) fn signal_group(group: Option<libc::pid_t>, signal: libc::c_int) {
    if let Some(group) = group.filter(|&pid| pid > 0) {
        // SAFETY: killpg has no memory-safety preconditions; it only sends a signal.
        unsafe {
            libc::killpg(group, signal);
        }
    }
}

/// How many live processes are in `group`. Zombies do not count: they have exited and
/// hold nothing but a slot in the process table until someone reaps them. Where there
/// is no `/proc` (macOS, when run locally) the answer is 1 when the group still has a
/// member and 0 when it has none.
pub(super) fn count_live(group: libc::pid_t) -> usize {
    match fs::read_dir("/proc") {
        Ok(entries) => entries
            .flatten()
            .filter(|entry| entry.file_name().to_str().is_some_and(is_pid))
            .filter_map(|entry| fs::read_to_string(entry.path().join("stat")).ok())
            .filter_map(|stat| parse_stat(&stat))
            .filter(|&(state, pgrp)| pgrp == group && !matches!(state, 'Z' | 'X' | 'x'))
            .count(),
        // SAFETY: killpg with signal 0 sends nothing; it only checks that the group exists.
        Err(_) => usize::from(group > 0 && unsafe { libc::killpg(group, 0) } == 0),
    }
}

fn is_pid(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit())
}

/// The state and process group from a `/proc/PID/stat` line:
/// `PID (COMM) STATE PPID PGRP ...`, where COMM may itself hold spaces and parentheses.
fn parse_stat(stat: &str) -> Option<(char, libc::pid_t)> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_comm.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let _ppid = fields.next()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some((state, pgrp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_state_and_group_from_a_stat_line() {
        let cases: &[(&str, Option<(char, libc::pid_t)>)] = &[
            (
                "4242 (sleep) S 4240 4240 4240 0 -1 4194560",
                Some(('S', 4240)),
            ),
            ("7 (a b) c)) Z 1 9 9 0", Some(('Z', 9))),
            ("12 (bash) R 1", None),
            ("garbage", None),
        ];
        for (stat, expected) in cases {
            assert_eq!(parse_stat(stat), *expected, "{stat:?}");
        }
    }

    #[test]
    fn counts_the_live_members_of_a_group() {
        use std::os::unix::process::CommandExt as _;
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .process_group(0)
            .spawn()
            .expect("start sleep");
        let group = libc::pid_t::try_from(child.id()).expect("a pid");
        assert_eq!(count_live(group), 1, "the sleep in its own group");
        signal_group(Some(group), libc::SIGKILL);
        let _ = child.wait();
        assert_eq!(count_live(group), 0, "a reaped group is empty");
    }
}
