//! Splits a run's output bytes into lines, with a cap on how much one line may hold.
//!
//! A job that writes megabytes without a newline must not grow the clock's memory, so a
//! line longer than [`MAX_LINE_BYTES`] is cut there (before a UTF-8 character that would
//! straddle the cut) and marked truncated, and the rest of it, up to the next newline, is
//! dropped. Bytes are kept as bytes here; turning them into text (lossily, for non-UTF-8
//! output) happens when the line is logged, where the log line as a whole is kept within
//! Logplex's 10,000 bytes (`logging::format::render_within`).

/// The most bytes of one output line kept (10,000, what one log line can hold at all);
/// the rest of a longer line is dropped.
pub const MAX_LINE_BYTES: usize = 10_000;

/// One line of output, without its newline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub bytes: Vec<u8>,
    /// The line was longer than the cap and was cut.
    pub truncated: bool,
}

impl Line {
    /// The line as text; invalid UTF-8 becomes U+FFFD, and a trailing `\r` (CRLF output)
    /// is dropped.
    pub fn text(&self) -> String {
        let bytes = self.bytes.strip_suffix(b"\r").unwrap_or(&self.bytes);
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// Accumulates chunks and hands back complete lines.
#[derive(Debug)]
pub struct LineSplitter {
    max: usize,
    current: Vec<u8>,
    /// Set once the current line hit the cap: bytes are dropped until the next newline.
    dropping: bool,
}

impl Default for LineSplitter {
    fn default() -> Self {
        LineSplitter::with_max(MAX_LINE_BYTES)
    }
}

impl LineSplitter {
    /// A splitter that cuts lines at `max` bytes (at least 1).
    pub fn with_max(max: usize) -> LineSplitter {
        LineSplitter {
            max: max.max(1),
            current: Vec::new(),
            dropping: false,
        }
    }

    /// Feeds a chunk; returns the lines it completed (and any line that hit the cap).
    pub fn push(&mut self, mut chunk: &[u8]) -> Vec<Line> {
        let mut lines = Vec::new();
        while !chunk.is_empty() {
            let newline = chunk.iter().position(|&b| b == b'\n');
            let (part, rest, ends_line) = match newline {
                Some(i) => (&chunk[..i], &chunk[i + 1..], true),
                None => (chunk, &chunk[chunk.len()..], false),
            };
            if !self.dropping {
                let room = self.max - self.current.len();
                if part.len() > room {
                    // Look at the whole line, not just this chunk: the character the cap
                    // falls in may have started in an earlier chunk. One byte past the cap
                    // is enough to tell whether the cut would split it.
                    self.current.extend_from_slice(&part[..room + 1]);
                    let cut = char_boundary(&self.current, self.max);
                    self.current.truncate(cut);
                    lines.push(Line {
                        bytes: std::mem::take(&mut self.current),
                        truncated: true,
                    });
                    self.dropping = true;
                } else {
                    self.current.extend_from_slice(part);
                }
            }
            if ends_line {
                if self.dropping {
                    self.dropping = false;
                } else {
                    lines.push(Line {
                        bytes: std::mem::take(&mut self.current),
                        truncated: false,
                    });
                }
            }
            chunk = rest;
        }
        lines
    }

    /// The last line when the output ended without a newline.
    pub fn finish(&mut self) -> Option<Line> {
        let dropping = std::mem::take(&mut self.dropping);
        if self.current.is_empty() || dropping {
            return None;
        }
        Some(Line {
            bytes: std::mem::take(&mut self.current),
            truncated: false,
        })
    }
}

/// The largest cut at or before `at` that does not split a UTF-8 character of `bytes`:
/// when `bytes[at]` continues a character, the cut moves back to that character's first
/// byte (at most three bytes back). Bytes that are not UTF-8 anyway are cut at `at`.
fn char_boundary(bytes: &[u8], at: usize) -> usize {
    let continues = |i: usize| bytes.get(i).is_some_and(|&b| b & 0xC0 == 0x80);
    let mut cut = at;
    while continues(cut) && at - cut < 3 && cut > 0 {
        cut -= 1;
    }
    if continues(cut) { at } else { cut }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, truncated: bool) -> Line {
        Line {
            bytes: text.as_bytes().to_vec(),
            truncated,
        }
    }

    #[test]
    fn splits_chunks_into_capped_lines() {
        struct Case {
            chunks: &'static [&'static str],
            expected: Vec<Line>,
            last: Option<Line>,
        }
        let cases = vec![
            Case {
                chunks: &["one\ntwo\n"],
                expected: vec![line("one", false), line("two", false)],
                last: None,
            },
            Case {
                chunks: &["on", "e\ntw", "o"],
                expected: vec![line("one", false)],
                last: Some(line("two", false)),
            },
            Case {
                chunks: &["\n\n"],
                expected: vec![line("", false), line("", false)],
                last: None,
            },
            // Cap of 4 bytes: the long line is cut once, its tail dropped to the newline.
            Case {
                chunks: &["abcdefgh", "ijk\nxy\n"],
                expected: vec![line("abcd", true), line("xy", false)],
                last: None,
            },
            Case {
                chunks: &["abcd\n"],
                expected: vec![line("abcd", false)],
                last: None,
            },
            Case {
                chunks: &["abcdefgh"],
                expected: vec![line("abcd", true)],
                last: None,
            },
        ];
        for case in cases {
            let mut splitter = LineSplitter::with_max(4);
            let mut got = Vec::new();
            for chunk in case.chunks {
                got.extend(splitter.push(chunk.as_bytes()));
            }
            assert_eq!(got, case.expected, "chunks {:?}", case.chunks);
            assert_eq!(splitter.finish(), case.last, "last of {:?}", case.chunks);
        }
    }

    #[test]
    fn a_cut_never_splits_a_character_that_began_in_an_earlier_chunk() {
        // "€" is 3 bytes (E2 82 AC); with a cap of 4 after "ab", the cap falls inside it
        // whichever way the chunks split the character.
        let bytes = "ab€cd\n".as_bytes();
        for split in 1..bytes.len() {
            let mut splitter = LineSplitter::with_max(4);
            let mut lines = splitter.push(&bytes[..split]);
            lines.extend(splitter.push(&bytes[split..]));
            assert_eq!(lines.len(), 1, "split at {split}");
            assert_eq!(lines[0].bytes, b"ab", "split at {split}: {:?}", lines[0]);
            assert!(lines[0].truncated, "split at {split}");
        }
    }

    #[test]
    fn a_cut_never_splits_a_utf8_character() {
        // "aé€𝄞" is a (1 byte), é (2), € (3), 𝄞 (4): bytes 0, 1-2, 3-5, 6-9.
        let cases: &[(usize, &str)] = &[
            (1, "a"),
            (2, "a"),
            (3, "aé"),
            (4, "aé"),
            (5, "aé"),
            (6, "aé€"),
            (7, "aé€"),
            (9, "aé€"),
        ];
        for &(max, expected) in cases {
            let mut splitter = LineSplitter::with_max(max);
            let lines = splitter.push("aé€𝄞 and more\n".as_bytes());
            assert_eq!(lines.len(), 1, "cap {max}");
            assert_eq!(lines[0].text(), expected, "cap {max}");
            assert!(lines[0].truncated, "cap {max}");
        }
        // Not UTF-8 at all: cut where the cap says.
        let mut splitter = LineSplitter::with_max(2);
        let lines = splitter.push(b"\x80\x80\x80\x80\x80\n");
        assert_eq!(lines[0].bytes, b"\x80\x80");
    }

    #[test]
    fn text_is_lossy_and_drops_carriage_return() {
        let cases: &[(&[u8], &str)] = &[
            (b"plain", "plain"),
            (b"crlf\r", "crlf"),
            (b"bad \xff byte", "bad \u{fffd} byte"),
        ];
        for (from, expected) in cases {
            let got = Line {
                bytes: from.to_vec(),
                truncated: false,
            }
            .text();
            assert_eq!(got, *expected, "bytes {from:?}");
        }
    }
}
