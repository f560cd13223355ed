//! Rendering one diagnostic for a terminal: location, message, source line, caret, hint.
//!
//! The shape follows casey/just and rustc so editors and people both recognise it:
//! `clock.yml:4:5: error: ...`, the line with a gutter, carets under the exact token,
//! then `hint: ...`. Control characters in the echoed line are replaced so a hostile file
//! cannot drive the terminal, and very long lines are cropped around the caret.

use super::Diagnostic;
use super::source::line_text;

/// Lines longer than this (in characters) are cropped around the caret.
const MAX_SHOWN: usize = 160;
/// Characters kept before the caret when cropping.
const CONTEXT_BEFORE: usize = 60;

pub(super) fn render(diagnostic: &Diagnostic, file: &str, source: &str) -> String {
    let mut out = format!(
        "{file}:{}:{}: {}: {}\n",
        diagnostic.line,
        diagnostic.column,
        diagnostic.severity.as_str(),
        diagnostic.message
    );
    if let Some(text) = line_text(source, diagnostic.line) {
        // Work on the shown window only: a hostile file can have one multi-megabyte line.
        let count = text.chars().count();
        let column = (diagnostic.column.max(1) as usize - 1).min(count);
        let (from, to) = if count > MAX_SHOWN {
            let from = column.saturating_sub(CONTEXT_BEFORE);
            (from, (from + MAX_SHOWN).min(count))
        } else {
            (0, count)
        };
        let window = || text.chars().skip(from).map(visible);
        let mut shown: String = window().take(to - from).collect();
        let mut prefix: String = window()
            .take(column - from)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        if from > 0 {
            shown.insert_str(0, "...");
            prefix.insert_str(0, "   ");
        }
        if to < count {
            shown.push_str("...");
        }
        let available = (to.max(column + 1)) - column;
        let carets = "^".repeat((diagnostic.len.max(1) as usize).min(available));
        let gutter = diagnostic.line.to_string();
        let pad = " ".repeat(gutter.len());
        out.push_str(&format!(" {gutter} | {shown}\n"));
        out.push_str(&format!(" {pad} | {prefix}{carets}\n"));
    }
    if let Some(hint) = &diagnostic.hint {
        out.push_str(&format!("hint: {hint}\n"));
    }
    out
}

/// Control characters would move the cursor or recolour the terminal; tabs are kept so
/// the caret line lines up under them.
fn visible(c: char) -> char {
    if c.is_control() && c != '\t' {
        '\u{FFFD}'
    } else {
        c
    }
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
            assert_eq!(render(from, "clock.yml", source), *expected);
        }
    }

    #[test]
    fn keeps_tabs_and_hides_control_characters() {
        let source = "\tx: \u{1b}[31m\n";
        let rendered = render(&diagnostic(1, 2, 1, None), "f", source);
        assert_eq!(
            rendered,
            "f:1:2: error: bad\n 1 | \tx: \u{FFFD}[31m\n   | \t^\n"
        );
    }

    #[test]
    fn crops_long_lines_around_the_caret() {
        let source = format!("{}X{}\n", "a".repeat(300), "b".repeat(300));
        let rendered = render(&diagnostic(1, 301, 1, None), "f", &source);
        let lines: Vec<&str> = rendered.lines().collect();
        assert_eq!(lines[1].find('X'), lines[2].find('^'), "{rendered}");
        assert!(lines[1].len() < 200, "{rendered}");
    }
}
