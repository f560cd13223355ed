//! Making untrusted text safe to print on a terminal.
//!
//! Anything that reaches a person's terminal from a `clock.yml` (job names, keys, commands,
//! hints built from them) or from a server (Platform API strings) passes [`visible`] first:
//! control characters, which could move the cursor, set the window title or recolour the
//! terminal, are shown as escapes (`\e`, `\u{7}`), so the text is still readable and a
//! hostile file or answer cannot drive the terminal. This module owns only that rule; it
//! does not decide what gets printed.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every control character (C0, DEL and C1, newlines and tabs included) shown
/// as an escape: `\n`, `\t`, `\r`, `\e` for ESC, `\u{XX}` for the rest. Borrowed when there
/// is nothing to replace, which is the common case.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_visible(&mut out, c);
    }
    Cow::Owned(out)
}

/// Appends `c` to `out`, escaped when it is a control character.
pub fn push_visible(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        '\u{1b}' => out.push_str("\\e"),
        c if c.is_control() => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_plain_text_borrowed() {
        assert!(matches!(visible("nightly-backup é ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn shows_every_control_character_as_an_escape() {
        let table = [
            ("\u{1b}]0;pwned\u{7}", "\\e]0;pwned\\u{7}"),
            ("a\nb\tc\rd", "a\\nb\\tc\\rd"),
            ("\u{0}\u{7f}\u{9b}", "\\u{0}\\u{7f}\\u{9b}"),
        ];
        for (from, expected) in table {
            assert_eq!(visible(from), expected, "for {from:?}");
        }
    }

    #[test]
    fn output_never_holds_a_control_character() {
        let all: String = (0u32..=0x10ffff)
            .filter_map(char::from_u32)
            .take(0x200)
            .collect();
        assert!(!visible(&all).chars().any(char::is_control));
    }
}
