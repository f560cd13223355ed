//! Keeps [`EVENTS`] true: every `event = "..."` of every `tracing` call in `src/` is in
//! the list, and every name in the list is logged somewhere. The scan reads the source
//! files as text, so a new event cannot be logged without being listed (and, through
//! `tests/docs.rs`, documented in docs/logs.md).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::EVENTS;

const LEVELS: &[&str] = &["trace", "debug", "info", "warn", "error", "event"];

/// One `event = ...` found inside a `tracing` macro call.
#[derive(Debug)]
struct Found {
    place: String,
    /// The name, or `None` when the value is not a string literal.
    name: Option<String>,
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            into.push(path);
        }
    }
}

/// The text between the `(` at `open` and its matching `)`, skipping string literals.
fn call_arguments(text: &str, open: usize) -> &str {
    let bytes = text.as_bytes();
    let (mut depth, mut at, mut in_string) = (0_usize, open, false);
    while at < bytes.len() {
        match bytes[at] {
            b'\\' if in_string => at += 1,
            b'"' => in_string = !in_string,
            b'(' if !in_string => depth += 1,
            b')' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return &text[open + 1..at];
                }
            }
            _ => {}
        }
        at += 1;
    }
    &text[open + 1..]
}

/// The value of each `event = ...` field in a macro call's arguments (outside string
/// literals): the name of a string literal, or `None` for anything else.
fn event_fields(arguments: &str) -> Vec<Option<String>> {
    let bytes = arguments.as_bytes();
    let mut fields = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        if byte == b'"' {
            at += 1;
            while at < bytes.len() && bytes[at] != b'"' {
                at += if bytes[at] == b'\\' { 2 } else { 1 };
            }
            at += 1;
        } else if byte.is_ascii_alphabetic() || byte == b'_' {
            let start = at;
            while at < bytes.len() && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_') {
                at += 1;
            }
            let field = start == 0 || bytes[start - 1] != b'.';
            if field && &arguments[start..at] == "event" {
                let after = arguments[at..].trim_start();
                if let Some(value) = after.strip_prefix('=').filter(|v| !v.starts_with('=')) {
                    let name = value
                        .trim_start()
                        .strip_prefix('"')
                        .and_then(|v| v.split_once('"'))
                        .map(|(name, _)| name.to_string());
                    fields.push(name);
                }
            }
        } else {
            at += 1;
        }
    }
    fields
}

/// Every `event = ...` field of every `tracing::LEVEL!(...)` call in `text`, and every
/// event the logging module writes without `tracing` (`format::event_field` called with
/// a string literal).
fn events_in(file: &str, text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    let written = "event_field(\"";
    for (start, _) in text.match_indices(written) {
        let name = text[start + written.len()..]
            .split_once('"')
            .map(|(name, _)| name.to_string());
        found.push(Found {
            place: format!("{file}:{}", text[..start].matches('\n').count() + 1),
            name,
        });
    }
    for (start, _) in text.match_indices("tracing::") {
        let rest = &text[start + "tracing::".len()..];
        let Some(level) = LEVELS
            .iter()
            .find(|level| rest.starts_with(&format!("{level}!(")))
        else {
            continue;
        };
        let open = start + "tracing::".len() + level.len() + 1;
        let arguments = call_arguments(text, open);
        let line = text[..start].matches('\n').count() + 1;
        for name in event_fields(arguments) {
            found.push(Found {
                place: format!("{file}:{line}"),
                name,
            });
        }
    }
    found
}

fn events_in_src() -> Vec<Found> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut found = Vec::new();
    for path in files {
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(&path);
        found.extend(events_in(&name.display().to_string(), &text));
    }
    found
}

#[test]
fn every_event_logged_in_src_is_in_the_list() {
    let listed: BTreeSet<&str> = EVENTS.iter().copied().collect();
    let mut problems = Vec::new();
    for found in events_in_src() {
        match &found.name {
            None => problems.push(format!(
                "{}: a tracing call sets `event` to something other than a string literal; \
                 write event = \"name\" so the list of events can be checked",
                found.place
            )),
            Some(name) if !listed.contains(name.as_str()) => problems.push(format!(
                "{}: event \"{name}\" is not in runtime::report::EVENTS; add it there and \
                 give it a row in docs/logs.md",
                found.place
            )),
            Some(_) => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_listed_event_is_logged_somewhere_in_src() {
    let logged: BTreeSet<String> = events_in_src().into_iter().filter_map(|f| f.name).collect();
    let dead: Vec<&str> = EVENTS
        .iter()
        .copied()
        .filter(|e| !logged.contains(*e))
        .collect();
    assert!(
        dead.is_empty(),
        "runtime::report::EVENTS lists {dead:?}, but no tracing call in src/ logs them; \
         remove them from the list and from docs/logs.md"
    );
}

#[test]
fn the_list_names_each_event_once() {
    let mut seen = BTreeSet::new();
    for event in EVENTS {
        assert!(
            seen.insert(event),
            "runtime::report::EVENTS lists \"{event}\" twice"
        );
    }
}

#[test]
fn the_scanner_finds_names_across_lines_and_rejects_non_literals() {
    // Written with `T::` so that this file's own scan does not read the sample.
    let text = "fn f() {\n    T::warn!(\n        event = \"a_b\",\n        job,\n    );\n    \
                T::info!(job = \"x\", event = NAME);\n    T::debug!(\"event = {x}\");\n    \
                T::info!(prevent = \"no\", event = \"c\", x = a.event);\n}\n"
        .replace("T::", "tracing::");
    let found = events_in("f.rs", &text);
    let written = events_in("g.rs", "let f = format::event_field(\"d\");\n");
    assert_eq!(written.len(), 1);
    assert_eq!(written[0].name.as_deref(), Some("d"));
    let seen: Vec<(&str, Option<&str>)> = found
        .iter()
        .map(|f| (f.place.as_str(), f.name.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [
            ("f.rs:2", Some("a_b")),
            ("f.rs:6", None),
            ("f.rs:8", Some("c"))
        ],
    );
}
