//! `.netrc`: the file the Heroku CLI keeps its token in (`heroku login` writes it).
//!
//! [`parse`] takes the file's text and follows the netrc grammar as ftp, curl and Python
//! read it, not line by line: tokens are separated by any whitespace (so one entry may span
//! lines or share a line with another), `machine NAME` and `default` start entries,
//! `login`/`password`/`account` take the next token, a token starting with `#` comments out
//! the rest of its line, a `"quoted value"` may hold spaces, and `macdef NAME` skips a macro
//! body up to the next empty line. Reading the file and checking its permissions belongs to
//! [`super::credentials`].

use std::fmt;

use super::token::Token;

/// One `machine` (or the `default`) entry. Passwords are held as [`Token`]s so that a
/// `{:?}` of a parsed file masks them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Entry {
    pub login: Option<String>,
    pub password: Option<Token>,
    pub account: Option<String>,
}

/// A parsed `.netrc`: its machine entries in file order, and the `default` entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Netrc {
    pub machines: Vec<(String, Entry)>,
    pub default: Option<Entry>,
}

/// Why a `.netrc` could not be read: a keyword at the end of the file without its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetrcSyntaxError {
    /// 1-based line of the keyword.
    pub line: u32,
    pub keyword: String,
}

impl fmt::Display for NetrcSyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}: `{}` has no value after it",
            self.line, self.keyword
        )
    }
}

impl Netrc {
    /// The entry for `host`: its first `machine` entry (later duplicates are ignored, as the
    /// Heroku CLI ignores them), else the `default` entry, as every netrc reader does.
    pub fn entry_for(&self, host: &str) -> Option<&Entry> {
        self.machines
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(host))
            .map(|(_, entry)| entry)
            .or(self.default.as_ref())
    }
}

/// Parses the text of a `.netrc`.
///
/// # Errors
/// [`NetrcSyntaxError`] when `machine`, `login`, `password`, `account` or `macdef` ends the
/// file without the value it needs. Unknown keywords are skipped, as curl skips them.
pub fn parse(text: &str) -> Result<Netrc, NetrcSyntaxError> {
    let mut lexer = Lexer { text, pos: 0 };
    let mut netrc = Netrc::default();
    // Where the values of the entry being read go: an index into `machines`, or the default.
    enum Current {
        None,
        Machine(usize),
        Default,
    }
    let mut current = Current::None;
    while let Some((word, line)) = lexer.next_token() {
        let mut value_of = |keyword: &str| {
            lexer
                .next_token()
                .map(|(value, _)| value)
                .ok_or_else(|| NetrcSyntaxError {
                    line,
                    keyword: keyword.to_owned(),
                })
        };
        match word.as_str() {
            "machine" => {
                let name = value_of("machine")?;
                netrc.machines.push((name, Entry::default()));
                current = Current::Machine(netrc.machines.len() - 1);
            }
            "default" => {
                netrc.default = Some(Entry::default());
                current = Current::Default;
            }
            "macdef" => {
                value_of("macdef")?;
                lexer.skip_macro_body();
                current = Current::None;
            }
            "login" | "password" | "account" => {
                let value = value_of(&word)?;
                let entry = match current {
                    Current::Machine(index) => &mut netrc.machines[index].1,
                    Current::Default => match netrc.default.as_mut() {
                        Some(entry) => entry,
                        None => continue,
                    },
                    // A value outside any entry belongs to nothing.
                    Current::None => continue,
                };
                match word.as_str() {
                    "login" => entry.login = Some(value),
                    "password" => entry.password = Token::new(&value),
                    _ => entry.account = Some(value),
                }
            }
            _ => {}
        }
    }
    Ok(netrc)
}

/// Splits netrc text into tokens, remembering lines for errors.
struct Lexer<'a> {
    text: &'a str,
    pos: usize,
}

impl Lexer<'_> {
    fn line_at(&self, pos: usize) -> u32 {
        let newlines = self.text[..pos].bytes().filter(|&b| b == b'\n').count();
        u32::try_from(newlines + 1).unwrap_or(u32::MAX)
    }

    /// The next token and its line, skipping whitespace and `#` comments.
    fn next_token(&mut self) -> Option<(String, u32)> {
        loop {
            let rest = &self.text[self.pos..];
            let trimmed = rest.trim_start();
            self.pos += rest.len() - trimmed.len();
            if trimmed.is_empty() {
                return None;
            }
            if trimmed.starts_with('#') {
                self.pos += trimmed.find('\n').unwrap_or(trimmed.len());
                continue;
            }
            let line = self.line_at(self.pos);
            if let Some(quoted) = trimmed.strip_prefix('"') {
                return Some((self.read_quoted(quoted), line));
            }
            let end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
            self.pos += end;
            return Some((trimmed[..end].to_owned(), line));
        }
    }

    /// Reads a `"..."` token (after its opening quote); `\x` stands for `x`.
    fn read_quoted(&mut self, quoted: &str) -> String {
        let mut value = String::new();
        let mut chars = quoted.char_indices();
        let mut consumed = quoted.len();
        while let Some((index, c)) = chars.next() {
            match c {
                '"' => {
                    consumed = index + 1;
                    break;
                }
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        value.push(escaped);
                    }
                }
                _ => value.push(c),
            }
        }
        self.pos += 1 + consumed;
        value
    }

    /// Skips a `macdef` body: the rest of the current line, then every line up to and
    /// including the first empty one (or the end of the file).
    fn skip_macro_body(&mut self) {
        let rest = &self.text[self.pos..];
        let Some(first_newline) = rest.find('\n') else {
            self.pos = self.text.len();
            return;
        };
        let mut offset = first_newline + 1;
        loop {
            let body = &rest[offset..];
            let line_len = body.find('\n').map_or(body.len(), |i| i + 1);
            let line = &body[..line_len];
            offset += line_len;
            if line_len == 0 || line.trim().is_empty() {
                break;
            }
        }
        self.pos += offset;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password_for(text: &str, host: &str) -> Option<String> {
        let netrc = parse(text).expect("parses");
        netrc
            .entry_for(host)
            .and_then(|entry| entry.password.as_ref())
            .map(|token| token.expose().to_owned())
    }

    #[test]
    fn finds_the_password_of_a_machine() {
        let table: &[(&str, &str, Option<&str>)] = &[
            // The layout `heroku login` writes.
            (
                "machine api.heroku.com\n  login me@example.com\n  password tok-1\nmachine git.heroku.com\n  login me@example.com\n  password tok-2\n",
                "api.heroku.com",
                Some("tok-1"),
            ),
            // One line, several entries.
            (
                "machine a.example login x password pa machine api.heroku.com login y password pb",
                "api.heroku.com",
                Some("pb"),
            ),
            // Tokens split across lines in odd places.
            (
                "machine\napi.heroku.com\nlogin\nme\npassword\n\ttok-3",
                "api.heroku.com",
                Some("tok-3"),
            ),
            // Comments: a whole line, and the rest of a line after a value.
            (
                "# my credentials\nmachine api.heroku.com # heroku\n  password tok-4 # the token\n",
                "api.heroku.com",
                Some("tok-4"),
            ),
            // The first entry for a host wins.
            (
                "machine api.heroku.com password first\nmachine api.heroku.com password second\n",
                "api.heroku.com",
                Some("first"),
            ),
            // Host names compare without case.
            (
                "machine API.Heroku.com password tok-5",
                "api.heroku.com",
                Some("tok-5"),
            ),
            // The default entry answers for any other host.
            (
                "machine other.example password no\ndefault login anonymous password tok-6\n",
                "api.heroku.com",
                Some("tok-6"),
            ),
            // A matching machine beats the default.
            (
                "default password dflt\nmachine api.heroku.com password tok-7\n",
                "api.heroku.com",
                Some("tok-7"),
            ),
            // A macro body is skipped up to the empty line, whatever it holds.
            (
                "machine ftp.example login a password b\nmacdef init\ncd /pub\nmachine api.heroku.com password evil\n\nmachine api.heroku.com password tok-8\n",
                "api.heroku.com",
                Some("tok-8"),
            ),
            // A quoted password with spaces and an escaped quote.
            (
                "machine api.heroku.com password \"a b\\\"c\"",
                "api.heroku.com",
                Some("a b\"c"),
            ),
            // Values before any entry belong to nothing.
            (
                "password stray\nmachine other password x",
                "api.heroku.com",
                None,
            ),
            // No entry at all.
            ("", "api.heroku.com", None),
            // An unknown keyword is skipped.
            (
                "machine api.heroku.com port 443 password tok-9",
                "api.heroku.com",
                Some("tok-9"),
            ),
            // A custom API host (HEROKU_HOST) with a port.
            (
                "machine 127.0.0.1:5000 password tok-10",
                "127.0.0.1:5000",
                Some("tok-10"),
            ),
        ];
        for (from, host, expected) in table {
            assert_eq!(
                password_for(from, host).as_deref(),
                *expected,
                "netrc:\n{from}"
            );
        }
    }

    #[test]
    fn a_keyword_without_its_value_is_an_error() {
        let table: &[(&str, NetrcSyntaxError)] = &[
            (
                "machine api.heroku.com\n  password",
                NetrcSyntaxError {
                    line: 2,
                    keyword: "password".into(),
                },
            ),
            (
                "machine",
                NetrcSyntaxError {
                    line: 1,
                    keyword: "machine".into(),
                },
            ),
        ];
        for (from, expected) in table {
            assert_eq!(parse(from).as_ref(), Err(expected), "netrc:\n{from}");
        }
    }

    #[test]
    fn debug_output_masks_passwords() {
        let netrc = parse("machine api.heroku.com password tok-secret").expect("parses");
        let debug = format!("{netrc:?}");
        assert!(!debug.contains("tok-secret"), "{debug}");
    }
}
