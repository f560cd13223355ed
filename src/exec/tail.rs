//! The last lines of a run's output, kept for alerts and monitor pings.
//!
//! An alert says why a run failed, and the why is usually at the end of the output, so
//! this keeps the *end*: at most [`TAIL_BYTES`], the oldest lines dropped first. The
//! executor appends every line it forwards; whoever reports the run's end reads the text.
//! Memory per run is bounded whatever the job writes.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// How much of the end of a run's output is kept (4 KiB).
pub const TAIL_BYTES: usize = 4 * 1024;

/// A shared, bounded buffer of a run's last output lines; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct OutputTail {
    inner: Arc<Mutex<Lines>>,
}

#[derive(Debug, Default)]
struct Lines {
    lines: VecDeque<String>,
    bytes: usize,
    /// Earlier lines were dropped to stay under the cap.
    cut: bool,
}

impl OutputTail {
    /// Appends one line (without its newline). A line longer than the cap keeps its end.
    pub fn push(&self, line: &str) {
        let Ok(mut tail) = self.inner.lock() else {
            return;
        };
        let kept = last_bytes(line, TAIL_BYTES - 1);
        tail.cut |= kept.len() < line.len();
        let line = kept;
        tail.bytes += line.len() + 1;
        tail.lines.push_back(line.to_owned());
        while tail.bytes > TAIL_BYTES {
            let Some(old) = tail.lines.pop_front() else {
                break;
            };
            tail.bytes -= old.len() + 1;
            tail.cut = true;
        }
    }

    /// The kept lines, each ending in a newline, and whether earlier output was dropped.
    pub fn text(&self) -> (String, bool) {
        let Ok(tail) = self.inner.lock() else {
            return (String::new(), false);
        };
        let mut text = String::with_capacity(tail.bytes);
        for line in &tail.lines {
            text.push_str(line);
            text.push('\n');
        }
        (text, tail.cut)
    }
}

/// The last `max` bytes of `text` or fewer, starting on a character boundary.
pub fn last_bytes(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// The last `max` characters of `text`.
pub fn last_chars(text: &str, max: usize) -> &str {
    match text.char_indices().rev().nth(max.saturating_sub(1)) {
        Some((start, _)) if max > 0 => &text[start..],
        _ if max == 0 => "",
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_end_under_the_cap() {
        let tail = OutputTail::default();
        for i in 0..2000 {
            tail.push(&format!("line {i}"));
        }
        let (text, cut) = tail.text();
        assert!(cut);
        assert!(text.len() <= TAIL_BYTES, "{}", text.len());
        assert!(text.ends_with("line 1999\n"), "{text}");
        assert!(text.starts_with("line "), "whole lines only: {text}");
    }

    #[test]
    fn short_output_is_kept_whole() {
        let tail = OutputTail::default();
        tail.push("one");
        tail.push("two");
        assert_eq!(tail.text(), ("one\ntwo\n".to_owned(), false));
    }

    #[test]
    fn a_huge_line_keeps_its_end() {
        let tail = OutputTail::default();
        tail.push(&format!("{}END", "é".repeat(5000)));
        let (text, cut) = tail.text();
        assert!(cut);
        assert!(text.len() <= TAIL_BYTES);
        assert!(text.ends_with("END\n"));
    }

    #[test]
    fn cuts_on_character_boundaries() {
        assert_eq!(last_bytes("aé", 1), "");
        assert_eq!(last_bytes("aé", 2), "é");
        assert_eq!(last_bytes("abc", 5), "abc");
        assert_eq!(last_chars("abcdé", 2), "dé");
        assert_eq!(last_chars("ab", 5), "ab");
        assert_eq!(last_chars("ab", 0), "");
    }
}
