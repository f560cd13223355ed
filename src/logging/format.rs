//! One log line from a level and a list of fields: logfmt (Heroku's style) or JSON.
//!
//! Pure functions over plain values, so the exact bytes a user sees are pinned by tables.
//! Knows nothing about `tracing`; [`super::layer`] collects the fields and calls in here.
//!
//! Heroku's Logplex splits a line longer than 10,000 bytes in two, and the second half
//! has no `at=` or `job=`. So [`render_within`] keeps every line, keys, escapes and
//! newline included, within [`MAX_LINE_BYTES`]: a longer line has its longest text
//! value cut at a character boundary and is marked `truncated=true`.

use std::fmt::Write as _;

/// A field's value as logged.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Uint(u64),
    Float(f64),
    Bool(bool),
}

/// A field: its key and value, in the order the event named them.
pub type Field = (String, Value);

/// The `event` field of a line the logging module writes itself, without `tracing`
/// (the writer's `output_dropped`). Every such line names its event through here, so the
/// check that keeps `runtime::report::EVENTS` complete finds it as it finds `tracing`
/// calls.
pub fn event_field(name: &'static str) -> Field {
    ("event".to_string(), Value::Str(name.to_string()))
}

/// Which line shape to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// `at=info event=started job=sync ...`
    Logfmt,
    /// `{"at":"info","event":"started","job":"sync",...}`
    Json,
}

/// The most bytes one written line may take, its newline included (Logplex's limit).
pub const MAX_LINE_BYTES: usize = 10_000;

/// Renders one line, with its trailing newline, in at most `max` bytes: when the whole
/// line would be longer, the longest text values are cut from the end (never inside a
/// character) and `truncated=true` is added. Only keys alone longer than `max`, which
/// no event of the clock has, can make it longer.
pub fn render_within(
    format: LogFormat,
    level: &str,
    time: Option<&str>,
    fields: &[Field],
    max: usize,
) -> String {
    let limit = max.saturating_sub(1);
    let mut line = render(format, level, time, fields);
    if line.len() > limit {
        let mut fields = fields.to_vec();
        if !fields.iter().any(|(key, _)| key == "truncated") {
            fields.push(("truncated".to_string(), Value::Bool(true)));
        }
        loop {
            line = render(format, level, time, &fields);
            let over = line.len().saturating_sub(limit);
            if over == 0 {
                break;
            }
            let longest = fields
                .iter_mut()
                .filter_map(|(_, value)| match value {
                    Value::Str(text) if !text.is_empty() => Some(text),
                    _ => None,
                })
                .max_by_key(|text| text.len());
            let Some(text) = longest else { break };
            cut_escaped(format, text, over);
        }
    }
    line.push('\n');
    line
}

/// Drops characters from the end of `text` until their escaped form adds up to at least
/// `over` bytes (and always at least one character).
fn cut_escaped(format: LogFormat, text: &mut String, over: usize) {
    let mut removed = 0;
    while let Some(c) = text.pop() {
        removed += escaped_len(format, c);
        if removed >= over {
            break;
        }
    }
}

/// How many bytes `c` takes once escaped inside a quoted value.
fn escaped_len(format: LogFormat, c: char) -> usize {
    match (format, c) {
        (_, '"' | '\\' | '\n' | '\r' | '\t') => 2,
        (LogFormat::Logfmt, c) if c.is_control() => format!("\\u{{{:x}}}", c as u32).len(),
        (LogFormat::Json, '\u{8}' | '\u{c}') => 2,
        (LogFormat::Json, c) if (c as u32) < 0x20 => 6,
        (_, c) => c.len_utf8(),
    }
}

/// Renders one line (without the trailing newline). `time` is prepended when given.
pub fn render(format: LogFormat, level: &str, time: Option<&str>, fields: &[Field]) -> String {
    match format {
        LogFormat::Logfmt => render_logfmt(level, time, fields),
        LogFormat::Json => render_json(level, time, fields),
    }
}

fn render_logfmt(level: &str, time: Option<&str>, fields: &[Field]) -> String {
    let mut line = String::with_capacity(128);
    if let Some(time) = time {
        line.push_str("time=");
        line.push_str(time);
        line.push(' ');
    }
    line.push_str("at=");
    line.push_str(level);
    for (key, value) in fields {
        line.push(' ');
        line.push_str(key);
        line.push('=');
        match value {
            Value::Str(text) => push_logfmt_str(&mut line, text),
            Value::Int(n) => {
                let _ = write!(line, "{n}");
            }
            Value::Uint(n) => {
                let _ = write!(line, "{n}");
            }
            Value::Float(x) => {
                let _ = write!(line, "{x}");
            }
            Value::Bool(b) => {
                let _ = write!(line, "{b}");
            }
        }
    }
    line
}

/// Quotes a value only when a reader could misparse it bare: empty, or holding a space,
/// a quote, `=`, a backslash or a control character. Inside quotes `"` and `\` are escaped
/// and control characters are written as `\n`, `\t`, `\r` or `\u{..}`, so one event is
/// always one physical line.
fn push_logfmt_str(line: &mut String, text: &str) {
    let needs_quotes = text.is_empty()
        || text
            .chars()
            .any(|c| c == ' ' || c == '"' || c == '=' || c == '\\' || c.is_control());
    if !needs_quotes {
        line.push_str(text);
        return;
    }
    line.push('"');
    for c in text.chars() {
        match c {
            '"' => line.push_str("\\\""),
            '\\' => line.push_str("\\\\"),
            '\n' => line.push_str("\\n"),
            '\r' => line.push_str("\\r"),
            '\t' => line.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(line, "\\u{{{:x}}}", c as u32);
            }
            c => line.push(c),
        }
    }
    line.push('"');
}

/// Keys stay in event order (`at` first), which a `serde_json::Map` would sort away.
fn render_json(level: &str, time: Option<&str>, fields: &[Field]) -> String {
    let mut line = String::with_capacity(128);
    line.push('{');
    if let Some(time) = time {
        push_json_pair(&mut line, "time", &Value::Str(time.to_string()));
        line.push(',');
    }
    push_json_pair(&mut line, "at", &Value::Str(level.to_string()));
    for (key, value) in fields {
        line.push(',');
        push_json_pair(&mut line, key, value);
    }
    line.push('}');
    line
}

fn push_json_pair(line: &mut String, key: &str, value: &Value) {
    line.push_str(&serde_json::Value::from(key).to_string());
    line.push(':');
    let value = match value {
        Value::Str(text) => serde_json::Value::from(text.as_str()),
        Value::Int(n) => serde_json::Value::from(*n),
        Value::Uint(n) => serde_json::Value::from(*n),
        Value::Float(x) => serde_json::Value::from(*x),
        Value::Bool(b) => serde_json::Value::from(*b),
    };
    line.push_str(&value.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(key: &str, value: &str) -> Field {
        (key.to_string(), Value::Str(value.to_string()))
    }

    #[test]
    fn logfmt_quotes_only_what_needs_it() {
        let cases: &[(&str, &str)] = &[
            ("sync", "line=sync"),
            ("", "line=\"\""),
            ("two words", "line=\"two words\""),
            ("a=b", "line=\"a=b\""),
            ("say \"hi\"", "line=\"say \\\"hi\\\"\""),
            ("back\\slash", "line=\"back\\\\slash\""),
            ("tab\there", "line=\"tab\\there\""),
            ("bell\u{7}", "line=\"bell\\u{7}\""),
            ("héllo-ünïcode", "line=héllo-ünïcode"),
        ];
        for (from, expected) in cases {
            let line = render(LogFormat::Logfmt, "info", None, &[s("line", from)]);
            assert_eq!(line, format!("at=info {expected}"), "value {from:?}");
        }
    }

    #[test]
    fn logfmt_keeps_field_order_and_types() {
        let fields = vec![
            s("event", "failed"),
            ("exit_code".into(), Value::Int(-1)),
            ("run".into(), Value::Uint(42)),
            ("truncated".into(), Value::Bool(true)),
        ];
        assert_eq!(
            render(LogFormat::Logfmt, "error", None, &fields),
            "at=error event=failed exit_code=-1 run=42 truncated=true"
        );
        assert_eq!(
            render(
                LogFormat::Logfmt,
                "info",
                Some("2026-01-01T00:00:00.000Z"),
                &fields[..1]
            ),
            "time=2026-01-01T00:00:00.000Z at=info event=failed"
        );
    }

    /// Fields like an output event's, with `line` holding `text`.
    fn output(text: &str) -> Vec<Field> {
        vec![
            s("event", "output"),
            s("job", "report"),
            ("run".into(), Value::Uint(12)),
            s("stream", "stdout"),
            s("line", text),
        ]
    }

    #[test]
    fn a_short_line_is_rendered_whole() {
        for format in [LogFormat::Logfmt, LogFormat::Json] {
            let fields = output("short");
            let line = render_within(format, "info", None, &fields, MAX_LINE_BYTES);
            assert_eq!(line, format!("{}\n", render(format, "info", None, &fields)));
        }
    }

    #[test]
    fn a_long_line_is_cut_within_the_limit_at_a_character_boundary() {
        // Multi-byte characters of every width, shifted by 0..4 ASCII bytes so the cut
        // point falls on every byte of a character; escapes that grow one char to six.
        let bodies: Vec<String> = (0..4)
            .flat_map(|shift| {
                ["é", "€", "𝄞", "\u{1}", "\\"]
                    .into_iter()
                    .map(move |unit| format!("{}{}", "a".repeat(shift), unit.repeat(12_000)))
            })
            .collect();
        for format in [LogFormat::Logfmt, LogFormat::Json] {
            for body in &bodies {
                let line = render_within(format, "info", None, &output(body), MAX_LINE_BYTES);
                let what = format!(
                    "{format:?} {:?}…",
                    &body.chars().take(6).collect::<String>()
                );
                assert!(line.len() <= MAX_LINE_BYTES, "{what}: {} bytes", line.len());
                assert!(line.len() > MAX_LINE_BYTES - 8, "{what}: cut too much");
                assert!(line.ends_with('\n'), "{what}");
                let line = line.trim_end_matches('\n');
                let kept = match format {
                    LogFormat::Json => {
                        let value: serde_json::Value =
                            serde_json::from_str(line).expect("valid JSON");
                        assert_eq!(value["truncated"], true, "{what}");
                        assert_eq!(value["job"], "report", "{what}: keys kept");
                        value["line"].as_str().expect("line").to_string()
                    }
                    LogFormat::Logfmt => {
                        assert!(
                            line.starts_with("at=info event=output job=report"),
                            "{what}"
                        );
                        assert!(line.ends_with(" truncated=true"), "{what}");
                        let value = line
                            .split_once(" line=")
                            .and_then(|(_, rest)| rest.strip_suffix(" truncated=true"))
                            .expect("a line value");
                        let value = value
                            .strip_prefix('"')
                            .and_then(|v| v.strip_suffix('"'))
                            .unwrap_or(value);
                        value.replace("\\u{1}", "\u{1}").replace("\\\\", "\\")
                    }
                };
                assert!(!kept.is_empty(), "{what}");
                assert!(
                    body.starts_with(&kept),
                    "{what}: the kept text is not a prefix"
                );
            }
        }
    }

    #[test]
    fn a_line_already_marked_truncated_is_not_marked_twice() {
        let mut fields = output(&"x".repeat(20_000));
        fields.push(("truncated".into(), Value::Bool(true)));
        let line = render_within(LogFormat::Logfmt, "info", None, &fields, MAX_LINE_BYTES);
        assert_eq!(line.matches("truncated=true").count(), 1);
        assert!(line.len() <= MAX_LINE_BYTES);
    }

    #[test]
    fn json_is_one_object_with_typed_values() {
        let fields = vec![
            s("event", "output"),
            s("line", "say \"hi\"\n"),
            ("run".into(), Value::Uint(7)),
            s("job", "a-job"),
        ];
        assert_eq!(
            render(LogFormat::Json, "info", None, &fields),
            r#"{"at":"info","event":"output","line":"say \"hi\"\n","run":7,"job":"a-job"}"#
        );
    }
}
