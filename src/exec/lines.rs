//! Splits a run's output bytes into lines, with a cap on how much one line may hold.
//!
//! A job that writes megabytes without a newline must not grow the clock's memory, so a
//! line longer than [`MAX_LINE_BYTES`] is cut there and marked truncated, and the rest of
//! it, up to the next newline, is dropped. Bytes are kept as bytes here; turning them into
//! text (lossily, for non-UTF-8 output) happens when the line is logged.

/// The longest line forwarded whole (16 KiB); the rest of a longer line is dropped.
pub const MAX_LINE_BYTES: usize = 16 * 1024;

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
                    self.current.extend_from_slice(&part[..room]);
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
