//! Rendering one diagnostic for a terminal: location, message, source line, caret, hint.
//!
//! The shape follows casey/just and rustc so editors and people both recognise it:
//! `clock.yml:4:5: error: ...`, the line with a gutter, carets under the exact token,
//! then `hint: ...`. Everything printed passes [`crate::visible::visible`]: in the echoed
//! line a control character (a tab too) is shown as its escape (`\t`, `\e`), and the
//! caret line counts each escape at its shown width, so carets stay under what they
//! point at and a hostile file cannot drive the terminal. The echoed line never shows a
//! credential: each range the checker hid ([`super::mask`]) is shown as `***`, and a
//! caret on that line is placed by the text as shown. Very long lines are cropped around
//! the caret.

use super::Diagnostic;
use super::mask::{HIDDEN, Masks};
use super::source::line_text;
use crate::visible::{push_visible, visible};

/// Lines longer than this (in characters) are cropped around the caret.
const MAX_SHOWN: usize = 160;
/// Characters kept before the caret when cropping.
const CONTEXT_BEFORE: usize = 60;

pub(super) fn render(diagnostic: &Diagnostic, file: &str, source: &str, masks: &Masks) -> String {
    let mut out = format!(
        "{}:{}:{}: {}: {}\n",
        visible(file),
        diagnostic.line,
        diagnostic.column,
        diagnostic.severity.as_str(),
        visible(&diagnostic.message)
    );
    if let Some(text) = line_text(source, diagnostic.line) {
        let line_start = text.as_ptr() as usize - source.as_ptr() as usize;
        let hidden = masks.within(&(line_start..line_start + text.len()));
        // Work on the shown window only: a hostile file can have one multi-megabyte line.
        let count = text.chars().count();
        let column = (diagnostic.column.max(1) as usize - 1).min(count);
        let (from, to) = if count > MAX_SHOWN {
            let from = column.saturating_sub(CONTEXT_BEFORE);
            (from, (from + MAX_SHOWN).min(count))
        } else {
            (0, count)
        };
        let mut shown = String::new();
        // Where each character of the window starts and ends in `shown`, in shown
        // characters. Every character of a hidden range spans the whole mask, so a caret
        // under any part of a credential underlines its mask.
        let mut starts = Vec::with_capacity(to - from + 1);
        let mut ends = Vec::with_capacity(to - from);
        let mut width = 0;
        // The hidden range being shown, and where its mask starts.
        let mut in_mask: Option<(usize, usize)> = None;
        for (byte, c) in text.char_indices().skip(from).take(to - from) {
            let at = line_start + byte;
            match hidden.iter().position(|range| range.contains(&at)) {
                Some(index) => {
                    let begin = match in_mask {
                        Some((shown_index, begin)) if shown_index == index => begin,
                        _ => {
                            shown.push_str(HIDDEN);
                            width += HIDDEN.len();
                            in_mask = Some((index, width - HIDDEN.len()));
                            width - HIDDEN.len()
                        }
                    };
                    starts.push(begin);
                    ends.push(begin + HIDDEN.len());
                }
                None => {
                    in_mask = None;
                    starts.push(width);
                    let before = shown.len();
                    push_visible(&mut shown, c);
                    width += shown[before..].chars().count();
                    ends.push(width);
                }
            }
        }
        starts.push(width);
        let caret_at = column - from;
        let caret_end = (caret_at + diagnostic.len.max(1) as usize).min(to - from);
        let begin = starts[caret_at];
        let end = if caret_end > caret_at {
            ends[caret_end - 1]
        } else {
            begin
        };
        let mut prefix = " ".repeat(begin);
        // At the line's end (or past it) there is still one caret.
        let carets = "^".repeat(end.saturating_sub(begin).max(1));
        if from > 0 {
            shown.insert_str(0, "...");
            prefix.insert_str(0, "   ");
        }
        if to < count {
            shown.push_str("...");
        }
        let gutter = diagnostic.line.to_string();
        let pad = " ".repeat(gutter.len());
        out.push_str(&format!(" {gutter} | {shown}\n"));
        out.push_str(&format!(" {pad} | {prefix}{carets}\n"));
    }
    if let Some(hint) = &diagnostic.hint {
        out.push_str(&format!("hint: {}\n", visible(hint)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::Severity;
    use super::*;

    fn diagnostic(line: u32, column: u32, len: u32, hint: Option<&str>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            line,
            column,
            len,
            message: "bad".into(),
            hint: hint.map(str::to_owned),
        }
    }

    #[test]
    fn renders_location_line_caret_and_hint() {
        let source = "jobs:\n  a:\n    comand: x\n";
        let table: &[(Diagnostic, &str)] = &[
            (
                diagnostic(3, 5, 6, Some("did you mean \"command\"?")),
                "clock.yml:3:5: error: bad\n 3 |     comand: x\n   |     ^^^^^^\nhint: did you mean \"command\"?\n",
            ),
            // No hint; a caret never runs past the line's end.
            (
                diagnostic(3, 13, 9, None),
                "clock.yml:3:13: error: bad\n 3 |     comand: x\n   |             ^\n",
            ),
            // A line that does not exist: location and message only.
            (diagnostic(9, 1, 1, None), "clock.yml:9:1: error: bad\n"),
        ];
        for (from, expected) in table {
            assert_eq!(
                render(from, "clock.yml", source, &Masks::default()),
                *expected
            );
        }
    }

    #[test]
    fn shows_tabs_and_control_characters_as_escapes_with_the_caret_under_them() {
        let source = "\tx: \u{1b}[31m \u{7}y\n";
        let table: &[(Diagnostic, &str)] = &[
            // The caret under the tab itself, as wide as its escape.
            (
                diagnostic(1, 1, 1, None),
                "f:1:1: error: bad\n 1 | \\tx: \\e[31m \\u{7}y\n   | ^^\n",
            ),
            // After a tab: shifted by the escape's width.
            (
                diagnostic(1, 2, 1, None),
                "f:1:2: error: bad\n 1 | \\tx: \\e[31m \\u{7}y\n   |   ^\n",
            ),
            // Under ESC and what follows it, and under a character after BEL.
            (
                diagnostic(1, 5, 3, None),
                "f:1:5: error: bad\n 1 | \\tx: \\e[31m \\u{7}y\n   |      ^^^^\n",
            ),
            (
                diagnostic(1, 11, 2, None),
                "f:1:11: error: bad\n 1 | \\tx: \\e[31m \\u{7}y\n   |             ^^^^^^\n",
            ),
        ];
        for (from, expected) in table {
            let rendered = render(from, "f", source, &Masks::default());
            assert_eq!(rendered, *expected);
            assert!(
                !rendered.chars().any(|c| c.is_control() && c != '\n'),
                "{rendered:?}"
            );
        }
    }

    #[test]
    fn message_hint_and_file_name_are_made_visible() {
        let mut d = diagnostic(9, 1, 1, Some("try \"\u{1b}]0;x\u{7}\""));
        d.message = "job \"\u{1b}[2J\"".into();
        assert_eq!(
            render(&d, "a\rb", "", &Masks::default()),
            "a\\rb:9:1: error: job \"\\e[2J\"\nhint: try \"\\e]0;x\\u{7}\"\n"
        );
    }

    #[test]
    fn crops_long_lines_around_the_caret() {
        let source = format!("{}X{}\n", "a".repeat(300), "b".repeat(300));
        let rendered = render(
            &diagnostic(1, 301, 1, None),
            "f",
            &source,
            &Masks::default(),
        );
        let lines: Vec<&str> = rendered.lines().collect();
        assert_eq!(lines[1].find('X'), lines[2].find('^'), "{rendered}");
        assert!(lines[1].len() < 200, "{rendered}");
    }

    #[test]
    fn hidden_ranges_show_as_a_mask_and_carets_follow_the_shown_text() {
        let source = "a: https://h.io/SECRET, b: x\n";
        let mut masks = Masks::default();
        masks.hide(16..22);
        let table: &[(Diagnostic, &str)] = &[
            // Under the whole value: the mask is underlined.
            (
                diagnostic(1, 4, 19, None),
                "f:1:4: error: bad\n 1 | a: https://h.io/***, b: x\n   |    ^^^^^^^^^^^^^^^^\n",
            ),
            // Inside the hidden part: its mask.
            (
                diagnostic(1, 18, 2, None),
                "f:1:18: error: bad\n 1 | a: https://h.io/***, b: x\n   |                 ^^^\n",
            ),
            // After it on the same line: moved left by what the mask saves.
            (
                diagnostic(1, 25, 1, None),
                "f:1:25: error: bad\n 1 | a: https://h.io/***, b: x\n   |                      ^\n",
            ),
        ];
        for (from, expected) in table {
            let rendered = render(from, "f", source, &masks);
            assert_eq!(rendered, *expected);
            assert!(!rendered.contains("SECRET"));
        }
    }
}
