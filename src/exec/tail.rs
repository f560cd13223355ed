//! The last few KiB of a run's output, kept while it runs, for the run's history row.
//!
//! The executor appends every line it forwards (stdout and stderr, in the order it reads
//! them); whoever holds the run's handle reads the tail when the run has ended. Bounded:
//! only the last [`TAIL_BYTES`] are kept, so a chatty job costs 4 KiB, not its output.
//! Alerts and monitor pings read the same tail: the why of a failure is usually at the end.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// How much of the end of a run's output is kept.
pub const TAIL_BYTES: usize = 4096;

/// A shared, bounded tail of one run's output.
#[derive(Debug, Clone, Default)]
pub struct OutputTail {
    bytes: Arc<Mutex<VecDeque<u8>>>,
    /// Earlier output was dropped to stay under the cap.
    cut: Arc<AtomicBool>,
}

impl OutputTail {
    /// Appends one line (a newline is added after it).
    pub fn push_line(&self, line: &str) {
        let mut bytes = self
            .bytes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        bytes.extend(line.as_bytes());
        bytes.push_back(b'\n');
        let excess = bytes.len().saturating_sub(TAIL_BYTES);
        if excess > 0 {
            self.cut.store(true, Ordering::Relaxed);
        }
        bytes.drain(..excess);
    }

    /// Whether earlier output was dropped to stay under [`TAIL_BYTES`].
    pub fn cut(&self) -> bool {
        self.cut.load(Ordering::Relaxed)
    }

    /// The tail as text: `None` when the run wrote nothing. A character cut at the start
    /// of the tail is dropped, not shown as a replacement character.
    pub fn text(&self) -> Option<String> {
        let bytes = self
            .bytes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if bytes.is_empty() {
            return None;
        }
        let (front, back) = bytes.as_slices();
        let mut all = Vec::with_capacity(bytes.len());
        all.extend_from_slice(front);
        all.extend_from_slice(back);
        // Skip continuation bytes the cut left at the start (10xxxxxx).
        let start = all
            .iter()
            .position(|byte| byte & 0b1100_0000 != 0b1000_0000)
            .unwrap_or(all.len());
        Some(String::from_utf8_lossy(&all[start..]).into_owned())
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
    fn only_the_last_bytes_are_kept_and_a_cut_character_is_dropped() {
        let tail = OutputTail::default();
        assert_eq!(tail.text(), None);
        tail.push_line("first");
        tail.push_line("second");
        assert_eq!(tail.text().as_deref(), Some("first\nsecond\n"));
        for n in 0..1000 {
            tail.push_line(&format!("line {n} é"));
        }
        let text = tail.text().expect("text");
        assert!(text.len() <= TAIL_BYTES, "{}", text.len());
        assert!(text.ends_with("line 999 é\n"), "{text}");
        assert!(!text.starts_with('\u{fffd}'), "{text}");
        assert!(tail.cut());
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
