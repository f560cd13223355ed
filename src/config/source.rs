//! Positions in the file's text: byte ranges to 1-based lines and character columns.
//!
//! Everything inside the parser locates things by byte range (that is what the YAML
//! reader and the cron parser give us); people read lines and columns counted in
//! characters. This module owns that translation and nothing else, so a column is
//! computed the same way for every diagnostic.

use std::ops::Range;

/// A byte range in the source text.
pub(super) type Span = Range<usize>;

/// Where a span starts, in the terms a person reads, and how many characters to underline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Position {
    pub line: u32,
    pub column: u32,
    pub len: u32,
}

/// An index of line starts over one source text.
pub(super) struct LineIndex<'a> {
    source: &'a str,
    /// Byte offset of the first character of each line.
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(source: &'a str) -> LineIndex<'a> {
        let mut starts = vec![0];
        starts.extend(
            source
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { source, starts }
    }

    /// The position of `span`. A span running past its first line is underlined to that
    /// line's end; an empty span still gets one caret.
    pub fn position(&self, span: &Span) -> Position {
        let start = self.floor_char_boundary(span.start.min(self.source.len()));
        let end = self.floor_char_boundary(span.end.clamp(start, self.source.len()));
        let line_index = self.starts.partition_point(|&s| s <= start) - 1;
        let line_start = self.starts[line_index];
        let line_end = self.line_end(line_start);
        let column = self.source[line_start..start].chars().count() + 1;
        let len = self.source[start..end.min(line_end).max(start)]
            .chars()
            .count()
            .max(1);
        Position {
            line: saturate(line_index + 1),
            column: saturate(column),
            len: saturate(len),
        }
    }

    /// The 1-based line holding byte `offset`.
    pub fn line(&self, offset: usize) -> u32 {
        saturate(self.starts.partition_point(|&s| s <= offset))
    }

    /// The byte offset of a 1-based line and character column (clamped to the text).
    pub fn offset(&self, line: u32, column: u32) -> usize {
        let index = (line.max(1) as usize - 1).min(self.starts.len() - 1);
        let line_start = self.starts[index];
        let line_end = self.line_end(line_start);
        self.source[line_start..line_end]
            .char_indices()
            .nth(column.max(1) as usize - 1)
            .map_or(line_end, |(i, _)| line_start + i)
    }

    fn line_end(&self, line_start: usize) -> usize {
        self.source[line_start..]
            .find('\n')
            .map_or(self.source.len(), |i| line_start + i)
    }

    fn floor_char_boundary(&self, mut offset: usize) -> usize {
        while !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }
}

/// The text of 1-based `line` in `source`, without its line break.
pub(super) fn line_text(source: &str, line: u32) -> Option<&str> {
    let text = source.split('\n').nth((line as usize).checked_sub(1)?)?;
    Some(text.strip_suffix('\r').unwrap_or(text))
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let source = "jobs:\n  é-x:\n    every: 5m\n";
        let index = LineIndex::new(source);
        let table: &[(Span, (u32, u32, u32))] = &[
            (0..4, (1, 1, 4)),
            // "é" is two bytes but one column.
            (8..12, (2, 3, 3)),
            (12..12, (2, 6, 1)),
            // `every`
            (18..23, (3, 5, 5)),
            // A span across lines underlines to the end of its first line.
            (0..30, (1, 1, 5)),
            // Past the end: clamped.
            (99..120, (4, 1, 1)),
        ];
        for (span, (line, column, len)) in table {
            let expected = Position {
                line: *line,
                column: *column,
                len: *len,
            };
            assert_eq!(index.position(span), expected, "span {span:?}");
        }
    }

    #[test]
    fn offsets_invert_positions() {
        let source = "a: 1\nbé: 2\n";
        let index = LineIndex::new(source);
        assert_eq!(index.offset(2, 1), 5);
        assert_eq!(index.offset(2, 3), 8);
        assert_eq!(index.offset(9, 9), source.len());
    }

    #[test]
    fn line_text_strips_the_break() {
        assert_eq!(line_text("a\r\nb", 1), Some("a"));
        assert_eq!(line_text("a\r\nb", 2), Some("b"));
        assert_eq!(line_text("a", 0), None);
        assert_eq!(line_text("a", 3), None);
    }
}
