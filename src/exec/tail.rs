//! The last few KiB of a run's output, kept while it runs, for the run's history row.
//!
//! The executor appends every line it forwards (stdout and stderr, in the order it reads
//! them); whoever holds the run's handle reads the tail when the run has ended. Bounded:
//! only the last [`TAIL_BYTES`] are kept, so a chatty job costs 4 KiB, not its output.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// How much of the end of a run's output is kept.
pub const TAIL_BYTES: usize = 4096;

/// A shared, bounded tail of one run's output.
#[derive(Debug, Clone, Default)]
pub struct OutputTail {
    bytes: Arc<Mutex<VecDeque<u8>>>,
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
        bytes.drain(..excess);
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
    }
}
