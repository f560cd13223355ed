//! One log line from a level and a list of fields: logfmt (Heroku's style) or JSON.
//!
//! Pure functions over plain values, so the exact bytes a user sees are pinned by tables.
//! Knows nothing about `tracing`; [`super::layer`] collects the fields and calls in here.

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

/// Which line shape to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// `at=info event=started job=sync ...`
    Logfmt,
    /// `{"at":"info","event":"started","job":"sync",...}`
    Json,
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
