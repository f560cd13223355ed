//! The `${NAME}` syntax of notification, monitor and heartbeat values.
//!
//! Only these fields are templates: a `command` is left to bash, which expands its own
//! variables when the run starts. `${` opens a reference that must close with `}` around
//! a variable name; a whole value `$NAME` is a reference too (as in `store:`), and a
//! `$NAME` inside a longer value is an error, since it would be sent as written. Any
//! other `$` (`$5`) is literal. Resolving a template from the environment
//! happens when the clock starts ([`super::Template::resolve`]); this module only reads the
//! text, and says where it is wrong.

use super::model::TemplatePart;
use super::names::is_env_name;

/// What is wrong with a template, and at which byte range of its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TemplateError {
    pub start: usize,
    pub end: usize,
    pub problem: TemplateProblem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TemplateProblem {
    /// `${` without its `}`.
    Unclosed,
    /// `${...}` around something that is not a variable name (the text inside).
    NotAName(String),
    /// `$NAME` inside a longer value: it is read as `${NAME}` only as the whole value.
    Unbraced(String),
}

/// Splits `text` into literal text and `${NAME}` references. A whole value `$NAME`
/// means `${NAME}`, as `store:`'s `postgres: $DATABASE_URL` does.
///
/// # Errors
/// An unclosed `${`, a reference whose name is not a variable name, or a `$NAME`
/// inside a longer value (write `${NAME}` there).
pub(super) fn parse(text: &str) -> Result<Vec<TemplatePart>, TemplateError> {
    if let Some(name) = text.strip_prefix('$').filter(|name| is_env_name(name)) {
        return Ok(vec![TemplatePart::Var(name.to_owned())]);
    }
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(dollar) = rest.find('$') {
        literal.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        let consumed = if let Some(inner) = after.strip_prefix('{') {
            let Some(close) = inner.find('}') else {
                return Err(TemplateError {
                    start: offset + dollar,
                    end: text.len(),
                    problem: TemplateProblem::Unclosed,
                });
            };
            let name = &inner[..close];
            if !is_env_name(name) {
                return Err(TemplateError {
                    start: offset + dollar,
                    end: offset + dollar + close + 3,
                    problem: TemplateProblem::NotAName(name.to_owned()),
                });
            }
            if !literal.is_empty() {
                parts.push(TemplatePart::Literal(std::mem::take(&mut literal)));
            }
            parts.push(TemplatePart::Var(name.to_owned()));
            dollar + 2 + close + 1
        } else if after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            return Err(TemplateError {
                start: offset + dollar,
                end: offset + dollar + 1 + len,
                problem: TemplateProblem::Unbraced(after[..len].to_owned()),
            });
        } else {
            // `$5`, `$$`, a `$` at the end: literal.
            literal.push('$');
            dollar + 1
        };
        offset += consumed;
        rest = &rest[consumed..];
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        parts.push(TemplatePart::Literal(literal));
    }
    Ok(parts)
}

/// Whether a literal value (no `${...}`) looks like it holds a credential: a user or
/// password in the URL (a Sentry DSN, basic auth), a host whose every path is a token
/// (Dead Man's Snitch, Slack hooks), or a path or query part that mixes at least 8
/// letters and digits (a UUID, an API key).
pub(super) fn looks_secret(text: &str) -> bool {
    let Some((_, after_scheme)) = text.split_once("://") else {
        return text.len() >= 8;
    };
    let (authority, rest) = after_scheme
        .split_once('/')
        .map_or((after_scheme, ""), |(a, r)| (a, r));
    if authority.contains('@') {
        return true;
    }
    let host = authority.split(':').next().unwrap_or_default();
    if [
        "hooks.slack.com",
        "nosnch.in",
        "hc-ping.com",
        "cronitor.link",
    ]
    .contains(&host)
        && !rest.is_empty()
    {
        return true;
    }
    rest.split(['/', '?', '&', '=', '.']).any(|part| {
        part.len() >= 8
            && part.chars().any(|c| c.is_ascii_digit())
            && part.chars().any(|c| c.is_ascii_alphabetic())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(text: &str) -> TemplatePart {
        TemplatePart::Literal(text.into())
    }
    fn var(name: &str) -> TemplatePart {
        TemplatePart::Var(name.into())
    }

    #[test]
    fn splits_literals_and_references() {
        let cases: Vec<(&str, Vec<TemplatePart>)> = vec![
            ("${HC_URL}", vec![var("HC_URL")]),
            (
                "https://x/${A}/${B_2}",
                vec![lit("https://x/"), var("A"), lit("/"), var("B_2")],
            ),
            ("cost $5", vec![lit("cost $5")]),
            ("$HC_URL", vec![var("HC_URL")]),
            ("$_X1", vec![var("_X1")]),
            ("a$$ $", vec![lit("a$$ $")]),
            ("${A}${A}", vec![var("A"), var("A")]),
            ("", vec![]),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text), Ok(expected), "{text:?}");
        }
    }

    #[test]
    fn bad_references_are_located() {
        let cases = [
            ("${HC_URL", 0, 8, TemplateProblem::Unclosed),
            ("x/${1A}", 2, 7, TemplateProblem::NotAName("1A".into())),
            ("${}", 0, 3, TemplateProblem::NotAName(String::new())),
            ("a${B-C}", 1, 7, TemplateProblem::NotAName("B-C".into())),
            (
                "https://hc-ping.com/$KEY",
                20,
                24,
                TemplateProblem::Unbraced("KEY".into()),
            ),
            ("$A/$B", 0, 2, TemplateProblem::Unbraced("A".into())),
            ("$1 $x-y", 3, 5, TemplateProblem::Unbraced("x".into())),
        ];
        for (text, start, end, problem) in cases {
            let error = parse(text).expect_err(text);
            assert_eq!(
                error,
                TemplateError {
                    start,
                    end,
                    problem
                },
                "{text:?}"
            );
        }
    }

    #[test]
    fn credentials_in_literal_urls_are_spotted() {
        let secret = [
            "https://hc-ping.com/0f4c2a7e-9b1d-4e5a-8c3f-1a2b3c4d5e6f",
            "https://hooks.slack.com/services/T000/B000/XXXX",
            "https://nosnch.in/c2354d53d2",
            "https://abc123@o1.ingest.sentry.io/42",
            "https://example.com/hook?token=a1b2c3d4e5",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ];
        for text in secret {
            assert!(looks_secret(text), "{text}");
        }
        for text in ["https://example.com/alerts", "http://127.0.0.1:8080/hook"] {
            assert!(!looks_secret(text), "{text}");
        }
    }
}
