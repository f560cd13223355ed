//! Hiding credentials in the source lines that diagnostics echo.
//!
//! A diagnostic shows the line it is about, and that line may hold a literal credential:
//! a Slack hook, a ping URL, a DSN, a signing key. clock.yml is committed, but a build
//! log, the clock's start-up lines and a shared terminal are no place to copy one from.
//! The checker records which byte ranges of the file are secret as it reads each
//! credential field ([`Masks`]); the renderer shows each range as [`HIDDEN`], whatever
//! the diagnostic on that line is about. Of a value, only the scheme and host stay, and
//! its `${NAME}` references, which are no secret and are what most errors on such a line
//! point at. This module decides what to hide; it knows nothing of clock.yml's keys
//! beyond [`CREDENTIAL_KEYS`], used when the file is not even YAML.

use std::ops::Range;

use super::source::Span;

/// What a hidden range is shown as.
pub const HIDDEN: &str = "***";

/// The keys of the alerting blocks whose values are credentials: hidden when shown, and
/// what [`guess`] looks for. (`sentry` holds a map whose `dsn` is the secret.)
pub(super) const CREDENTIAL_KEYS: [&str; 8] = [
    "slack",
    "webhook",
    "secret",
    "healthchecks",
    "cronitor",
    "snitch",
    "sentry",
    "dsn",
];

/// The byte ranges of one source text that are never shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Masks {
    spans: Vec<Span>,
}

impl Masks {
    /// Hides what `text`, written at byte `offset` of the source, holds of a credential
    /// (see [`hidden_parts`]).
    pub(super) fn hide_value(&mut self, offset: usize, text: &str, whole: bool) {
        for part in hidden_parts(text, whole) {
            self.hide(offset + part.start..offset + part.end);
        }
    }

    pub(super) fn hide(&mut self, span: Span) {
        if !span.is_empty() {
            self.spans.push(span);
        }
    }

    /// The hidden ranges that overlap `range`, in order, overlapping ones merged.
    pub(super) fn within(&self, range: &Span) -> Vec<Span> {
        let mut found: Vec<Span> = self
            .spans
            .iter()
            .filter(|s| s.start < range.end && s.end > range.start)
            .cloned()
            .collect();
        found.sort_by_key(|s| s.start);
        let mut merged: Vec<Span> = Vec::with_capacity(found.len());
        for span in found {
            match merged.last_mut() {
                Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
                _ => merged.push(span),
            }
        }
        merged
    }
}

/// The byte ranges of a credential value to hide: with `whole` (a signing secret) all
/// of its literal text; otherwise all but the scheme and host of a URL (the user part,
/// the path's segments, the query). `${NAME}` and `$NAME` references stay, and so do the
/// slashes around a hidden path: `https://hc-ping.com/***/${SLUG}`.
pub(super) fn hidden_parts(text: &str, whole: bool) -> Vec<Range<usize>> {
    let mut hidden = Vec::new();
    for (index, literal) in literals(text).into_iter().enumerate() {
        let mut from = literal.start;
        if index == 0 && literal.start == 0 && !whole {
            let Some((authority, user)) = authority(&text[literal.clone()]) else {
                hide_run(text, from..literal.end, &mut hidden);
                continue;
            };
            if let Some(user) = user {
                hidden.push(user);
            }
            from = authority.end;
        }
        if whole {
            hidden.push(from..literal.end);
        } else {
            hide_run(text, from..literal.end, &mut hidden);
        }
    }
    hidden.retain(|r| !r.is_empty());
    hidden
}

/// The literal stretches of `text`: everything but `${NAME}` and `$NAME` references. A
/// reference's text is kept only while it reads as one: `${` with a name and `}`, or
/// the name after an unclosed `${` (an error the caret points at).
fn literals(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let is_name = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        let reference_end = if bytes.get(i + 1) == Some(&b'{') {
            let name_end = (i + 2..bytes.len())
                .find(|&j| !is_name(bytes[j]))
                .unwrap_or(bytes.len());
            Some(if bytes.get(name_end) == Some(&b'}') {
                name_end + 1
            } else {
                name_end
            })
        } else if bytes
            .get(i + 1)
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        {
            Some(
                (i + 1..bytes.len())
                    .find(|&j| !is_name(bytes[j]))
                    .unwrap_or(bytes.len()),
            )
        } else {
            None
        };
        match reference_end {
            Some(end) => {
                out.push(start..i);
                start = end;
                i = end;
            }
            None => i += 1,
        }
    }
    out.push(start..bytes.len());
    out.retain(|r| !r.is_empty());
    out
}

/// Where `scheme://authority` ends in `literal`, and the user part inside it
/// (`user:password` before `@`), if the text starts with a URL's scheme.
fn authority(literal: &str) -> Option<(Range<usize>, Option<Range<usize>>)> {
    let (scheme, _) = literal.split_once("://")?;
    let valid = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c));
    if !valid {
        return None;
    }
    let start = scheme.len() + 3;
    let end = literal[start..]
        .find(['/', '?', '#'])
        .map_or(literal.len(), |i| start + i);
    let user = literal[start..end].rfind('@').map(|at| start..start + at);
    Some((start..end, user))
}

/// Hides `run` of `text` but for the slashes at its two ends.
fn hide_run(text: &str, run: Range<usize>, hidden: &mut Vec<Range<usize>>) {
    let inner = &text[run.clone()];
    let trimmed = inner.trim_matches('/');
    if trimmed.is_empty() {
        return;
    }
    let start = run.start + (inner.len() - inner.trim_start_matches('/').len());
    hidden.push(start..start + trimmed.len());
}

/// Masks for a text that could not be read as YAML (or not as UTF-8): every value
/// written after one of the credential keys, found line by line.
pub(super) fn guess(source: &str) -> Masks {
    let mut masks = Masks::default();
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        for key in CREDENTIAL_KEYS {
            for (at, _) in line.match_indices(key) {
                let before = line[..at].chars().last();
                if before.is_some_and(|c| !" \t{,-\"'".contains(c)) {
                    continue;
                }
                let after = &line[at + key.len()..];
                let after = after
                    .strip_prefix(['"', '\''])
                    .filter(|_| before.is_some_and(|c| c == '"' || c == '\''))
                    .unwrap_or(after);
                let Some(rest) = after.strip_prefix(':') else {
                    continue;
                };
                let value_start = line.len() - rest.trim_start().len();
                let in_flow = line[..at].contains('{');
                let mut value = &line[value_start..];
                let end = if in_flow {
                    value.find([',', '}'])
                } else {
                    value.find(" #")
                };
                value = end.map_or(value, |end| &value[..end]).trim_end();
                let quoted = value.len() >= 2
                    && ((value.starts_with('"') && value.ends_with('"'))
                        || (value.starts_with('\'') && value.ends_with('\'')));
                let (start, text) = if quoted {
                    (value_start + 1, &value[1..value.len() - 1])
                } else {
                    (value_start, value)
                };
                masks.hide_value(offset + start, text, key == "secret");
            }
        }
        offset += line.len();
    }
    masks
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` with its hidden parts shown as the renderer shows them.
    fn shown(text: &str, whole: bool) -> String {
        let mut out = String::new();
        let mut at = 0;
        for part in hidden_parts(text, whole) {
            out.push_str(&text[at..part.start]);
            out.push_str(HIDDEN);
            at = part.end;
        }
        out.push_str(&text[at..]);
        out
    }

    #[test]
    fn keeps_the_scheme_the_host_and_the_references() {
        let cases = [
            (
                "https://hooks.slack.com/services/T000/B000/XXXX",
                "https://hooks.slack.com/***",
            ),
            (
                "https://hc-ping.com/0f4c2a7e-9b1d",
                "https://hc-ping.com/***",
            ),
            (
                "https://abc123@o1.ingest.sentry.io/42",
                "https://***@o1.ingest.sentry.io/***",
            ),
            (
                "https://user:pass@example.com:8443/in?token=a1",
                "https://***@example.com:8443/***",
            ),
            ("https://example.com?token=a1", "https://example.com***"),
            ("https://example.com/", "https://example.com/"),
            ("https://example.com", "https://example.com"),
            ("not-a-url", "***"),
            ("${HC_URL}", "${HC_URL}"),
            ("$HC_URL", "$HC_URL"),
            (
                "https://hc-ping.com/${HC_KEY}",
                "https://hc-ping.com/${HC_KEY}",
            ),
            (
                "https://hc-ping.com/PINGKEY/${SLUG}",
                "https://hc-ping.com/***/${SLUG}",
            ),
            ("https://hc-ping.com/$KEY", "https://hc-ping.com/$KEY"),
            ("x/${1A}", "***/${1A}"),
            // An unclosed `${` keeps its name, not what follows it.
            ("${SLACK https://x/y", "${SLACK***"),
            ("https://x.io/a$5b", "https://x.io/***"),
        ];
        for (text, expected) in cases {
            assert_eq!(shown(text, false), expected, "{text}");
        }
    }

    #[test]
    fn a_secret_is_hidden_whole_but_for_its_references() {
        assert_eq!(shown("whsec_MfKQ9r8GKYqrTwjUPD8I", true), "***");
        assert_eq!(shown("${ALERT_SECRET}", true), "${ALERT_SECRET}");
        assert_eq!(shown("https://x.io/a", true), "***");
    }

    #[test]
    fn overlapping_ranges_merge() {
        let mut masks = Masks::default();
        masks.hide(10..20);
        masks.hide(2..4);
        masks.hide(15..25);
        masks.hide(40..50);
        assert_eq!(masks.within(&(0..30)), vec![2..4, 10..25]);
        assert_eq!(masks.within(&(45..46)), vec![40..50]);
    }

    #[test]
    fn guesses_values_by_their_keys_when_the_file_is_not_yaml() {
        let source = "notify:\n  ops:\n    slack: https://hooks.slack.com/services/T/B/XYZ # ops\n\tbad: { webhook: \"https://x.io/tok\", secret: whsec_abc }\n  command: echo slack: fine\n";
        let masks = guess(source);
        let hidden: Vec<&str> = masks
            .within(&(0..source.len()))
            .into_iter()
            .map(|span| &source[span])
            .collect();
        assert_eq!(hidden, ["services/T/B/XYZ", "tok", "whsec_abc", "fine"]);
    }
}
