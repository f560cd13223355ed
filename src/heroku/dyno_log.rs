//! What Heroku's own log lines say about a one-off dyno, and how its run ended.
//!
//! The Platform API never returns a one-off dyno's exit code; the platform writes it to
//! the log stream instead, as `heroku[run.N]: Process exited with status N`. That line can
//! arrive after `State changed from up to complete` (lines are not ordered), and a non-zero
//! exit still ends in `complete`, so the end is the exit line and nothing else. A dyno
//! killed for memory logs `Error R15 (Memory quota vastly exceeded)` before exiting with 137.
//!
//! [`ExitWatch`] reads lines in any order and any number of times: a stream that dropped
//! and was reopened replays its recent history, and a line seen twice counts once. Lines
//! older than the dyno (a dyno of the same name from an earlier day) are ignored. This
//! module only reads text; it opens no stream.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

/// One thing the platform said about a dyno.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DynoEvent {
    /// `Starting process with command …`
    Starting,
    /// `State changed from FROM to TO`
    StateChanged { from: String, to: String },
    /// `Process exited with status N`
    Exited(i32),
    /// `Error R15 (Memory quota vastly exceeded)`
    MemoryExceeded,
    /// `Stopping all processes with SIGTERM` (a stop, a restart or the daily cycle)
    Stopping,
}

/// A log line split into its parts: `TIMESTAMP SOURCE[DYNO]: MESSAGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine<'a> {
    pub at: Option<DateTime<Utc>>,
    pub source: &'a str,
    pub dyno: &'a str,
    pub message: &'a str,
}

/// Splits one line of a Heroku log stream; `None` for anything else.
pub fn split_line(line: &str) -> Option<LogLine<'_>> {
    let line = line.trim_end_matches(['\r', '\n']);
    let (at, rest) = match line.split_once(' ') {
        Some((first, rest)) if !first.contains('[') => (
            DateTime::parse_from_rfc3339(first).ok().map(|t| t.to_utc()),
            rest,
        ),
        _ => (None, line),
    };
    let (header, message) = rest.split_once("]: ")?;
    let (source, dyno) = header.split_once('[')?;
    if source.is_empty() || dyno.is_empty() || source.contains(' ') {
        return None;
    }
    Some(LogLine {
        at,
        source,
        dyno,
        message: message.trim(),
    })
}

/// The platform event in a message from `heroku[…]`, if it is one this crate reads.
pub fn parse_message(message: &str) -> Option<DynoEvent> {
    if let Some(status) = message.strip_prefix("Process exited with status ") {
        return status.trim().parse().ok().map(DynoEvent::Exited);
    }
    if let Some(change) = message.strip_prefix("State changed from ") {
        let (from, to) = change.split_once(" to ")?;
        return Some(DynoEvent::StateChanged {
            from: from.trim().to_owned(),
            to: to.trim().to_owned(),
        });
    }
    if message.starts_with("Starting process with command") {
        return Some(DynoEvent::Starting);
    }
    if message.starts_with("Error R15") {
        return Some(DynoEvent::MemoryExceeded);
    }
    if message.starts_with("Stopping all processes with SIGTERM") {
        return Some(DynoEvent::Stopping);
    }
    None
}

/// How a dyno's process ended, as its log said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DynoExit {
    pub status: i32,
    /// R15 came first: the platform killed it for memory.
    pub memory_exceeded: bool,
}

/// How far before the dyno's creation a line may be stamped and still be about it (the
/// API and the log router do not share one clock).
const CLOCK_SKEW: chrono::TimeDelta = chrono::TimeDelta::seconds(5);

/// Follows one dyno's platform lines to its exit.
#[derive(Debug)]
pub struct ExitWatch {
    dyno: String,
    not_before: Option<DateTime<Utc>>,
    seen: HashSet<String>,
    status: Option<i32>,
    memory_exceeded: bool,
    up: bool,
    finished_state: bool,
    stopping: bool,
}

impl ExitWatch {
    /// Watches `dyno`, created at `created_at` (lines stamped well before it are from an
    /// earlier dyno of the same name).
    pub fn new(dyno: &str, created_at: Option<DateTime<Utc>>) -> ExitWatch {
        ExitWatch {
            dyno: dyno.to_owned(),
            not_before: created_at.map(|t| t - CLOCK_SKEW),
            seen: HashSet::new(),
            status: None,
            memory_exceeded: false,
            up: false,
            finished_state: false,
            stopping: false,
        }
    }

    /// Reads one line; returns the event it carried about this dyno, the first time it
    /// is seen.
    pub fn feed(&mut self, line: &str) -> Option<DynoEvent> {
        let parts = split_line(line)?;
        if parts.source != "heroku" || parts.dyno != self.dyno {
            return None;
        }
        if let (Some(at), Some(not_before)) = (parts.at, self.not_before) {
            if at < not_before {
                return None;
            }
        }
        let event = parse_message(parts.message)?;
        if !self.seen.insert(line.trim_end().to_owned()) {
            return None;
        }
        match &event {
            DynoEvent::Exited(status) => self.status = Some(*status),
            DynoEvent::MemoryExceeded => self.memory_exceeded = true,
            DynoEvent::Stopping => self.stopping = true,
            DynoEvent::Starting => {}
            DynoEvent::StateChanged { to, .. } => match to.as_str() {
                "up" => self.up = true,
                "complete" | "crashed" | "down" => self.finished_state = true,
                _ => {}
            },
        }
        Some(event)
    }

    /// The exit, once its line has been read.
    pub fn exit(&self) -> Option<DynoExit> {
        self.status.map(|status| DynoExit {
            status,
            memory_exceeded: self.memory_exceeded,
        })
    }

    /// The dyno reached `complete`, `crashed` or `down`: its exit line is due.
    pub fn has_finished_state(&self) -> bool {
        self.finished_state
    }

    /// Whether the log showed the dyno running.
    pub fn was_seen_running(&self) -> bool {
        self.up || !self.seen.is_empty()
    }

    /// Whether the platform began stopping it.
    pub fn was_stopping(&self) -> bool {
        self.stopping
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_heroku_lines() {
        let line =
            "2015-07-17T14:00:13.521777+00:00 heroku[scheduler.3099]: Process exited with status 0";
        let parts = split_line(line).expect("a log line");
        assert_eq!(parts.source, "heroku");
        assert_eq!(parts.dyno, "scheduler.3099");
        assert_eq!(parts.message, "Process exited with status 0");
        assert_eq!(
            parts.at.map(|t| t.to_rfc3339()),
            Some("2015-07-17T14:00:13.521777+00:00".to_owned())
        );
        let bare = split_line("app[run.1]: hello: world").expect("no timestamp");
        assert_eq!(
            (bare.source, bare.dyno, bare.message, bare.at),
            ("app", "run.1", "hello: world", None)
        );
        for other in [
            "",
            "plain text",
            "2015-07-17T14:00:13Z no header here",
            "[x]: y",
        ] {
            assert_eq!(split_line(other), None, "{other:?}");
        }
    }

    #[test]
    fn parses_the_platform_messages() {
        let table = [
            ("Process exited with status 0", Some(DynoEvent::Exited(0))),
            (
                "Process exited with status 137",
                Some(DynoEvent::Exited(137)),
            ),
            ("Process exited with status x", None),
            (
                "State changed from up to complete",
                Some(DynoEvent::StateChanged {
                    from: "up".into(),
                    to: "complete".into(),
                }),
            ),
            (
                "Starting process with command `bin/run \"scale_up\"`",
                Some(DynoEvent::Starting),
            ),
            (
                "Error R15 (Memory quota vastly exceeded)",
                Some(DynoEvent::MemoryExceeded),
            ),
            (
                "Stopping all processes with SIGTERM",
                Some(DynoEvent::Stopping),
            ),
            ("Stopping process with SIGKILL", None),
            ("Awaiting client", None),
        ];
        for (from, expected) in table {
            assert_eq!(parse_message(from), expected, "{from}");
        }
    }

    const T: &str = "2026-12-01T06:00:";

    fn line(second: u32, dyno: &str, message: &str) -> String {
        format!("{T}{second:02}.000000+00:00 heroku[{dyno}]: {message}")
    }

    fn created() -> Option<DateTime<Utc>> {
        Some(
            DateTime::parse_from_rfc3339("2026-12-01T06:00:10Z")
                .expect("time")
                .to_utc(),
        )
    }

    #[test]
    fn the_exit_line_ends_the_run_even_after_complete() {
        let mut watch = ExitWatch::new("run.42", created());
        watch.feed(&line(11, "run.42", "Starting process with command `x`"));
        watch.feed(&line(12, "run.42", "State changed from starting to up"));
        watch.feed(&line(14, "run.42", "State changed from up to complete"));
        assert!(watch.has_finished_state());
        assert_eq!(watch.exit(), None, "complete alone is not the exit");
        watch.feed(&line(13, "run.42", "Process exited with status 3"));
        assert_eq!(
            watch.exit(),
            Some(DynoExit {
                status: 3,
                memory_exceeded: false
            })
        );
    }

    #[test]
    fn other_dynos_sources_and_older_lines_are_ignored() {
        let mut watch = ExitWatch::new("run.42", created());
        for ignored in [
            line(20, "run.43", "Process exited with status 1"),
            line(20, "run.420", "Process exited with status 1"),
            format!("{T}20.000000+00:00 app[run.42]: Process exited with status 1"),
            // An earlier run.42, minutes before this one was created.
            "2026-12-01T05:50:00.000000+00:00 heroku[run.42]: Process exited with status 1"
                .to_owned(),
        ] {
            assert_eq!(watch.feed(&ignored), None, "{ignored}");
        }
        assert_eq!(watch.exit(), None);
    }

    #[test]
    fn a_replayed_history_counts_each_line_once() {
        let mut watch = ExitWatch::new("run.7", created());
        let up = line(12, "run.7", "State changed from starting to up");
        assert!(watch.feed(&up).is_some());
        assert_eq!(watch.feed(&up), None, "seen before the stream dropped");
        assert!(watch.was_seen_running());
        watch.feed(&line(
            30,
            "run.7",
            "Error R15 (Memory quota vastly exceeded)",
        ));
        watch.feed(&line(31, "run.7", "Process exited with status 137"));
        assert_eq!(
            watch.exit(),
            Some(DynoExit {
                status: 137,
                memory_exceeded: true
            })
        );
    }
}
