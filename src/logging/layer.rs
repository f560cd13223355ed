//! The `tracing` layer: turns each event into a level and an ordered list of fields and
//! hands them to a [`Sink`] (stdout lines in the clock, a plain list in tests).
//!
//! Spans are not used: every event carries the fields it needs (`job`, `run`, ...), so a
//! line read alone in `heroku logs` says everything.

use std::cell::RefCell;
use std::io::Write as _;
use std::sync::{Arc, Mutex};

use chrono::{SecondsFormat, Utc};
use tracing::field::{Field as TracingField, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;

use super::format::{self, Field, LogFormat, Value};

/// Where finished events go.
pub trait Sink: Send + Sync + 'static {
    fn write(&self, level: &'static str, fields: Vec<Field>);
}

/// Writes one rendered line per event to stdout, in one `write_all`, so lines from
/// concurrent runs never interleave mid-line.
pub struct StdoutSink {
    pub format: LogFormat,
    pub timestamps: bool,
}

impl Sink for StdoutSink {
    fn write(&self, level: &'static str, fields: Vec<Field>) {
        let time = self
            .timestamps
            .then(|| Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true));
        let mut line = format::render(self.format, level, time.as_deref(), &fields);
        line.push('\n');
        let held = BATCH.with(|batch| match batch.borrow_mut().as_mut() {
            Some(lines) => {
                lines.push_str(&line);
                if lines.len() >= BATCH_BYTES {
                    write_stdout(lines);
                    lines.clear();
                }
                true
            }
            None => false,
        });
        if !held {
            write_stdout(&line);
        }
    }
}

/// Flush a batch once it holds this much: whole lines, a few system calls for 10,000.
const BATCH_BYTES: usize = 64 * 1024;

thread_local! {
    /// Lines [`batched`] is holding back on this thread; `None` outside a batch.
    static BATCH: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's stdout lines collected and written together (at the end,
/// and every 64 KiB on the way). The clock logs one line per job at start-up; writing
/// 10,000 of them one system call at a time was a measurable part of starting. Order is
/// kept, every line is still written whole, and a nested call joins the outer batch.
pub fn batched<R>(f: impl FnOnce() -> R) -> R {
    /// Writes what is held when the batch ends, even by a panic.
    struct Flush;
    impl Drop for Flush {
        fn drop(&mut self) {
            if let Some(lines) = BATCH.with(|batch| batch.borrow_mut().take()) {
                write_stdout(&lines);
            }
        }
    }
    let outer = BATCH.with(|batch| {
        let mut batch = batch.borrow_mut();
        let outer = batch.is_some();
        if !outer {
            *batch = Some(String::with_capacity(BATCH_BYTES));
        }
        outer
    });
    if outer {
        return f();
    }
    let _flush = Flush;
    f()
}

fn write_stdout(text: &str) {
    // A closed stdout (the log router gone) must not take the clock down with it.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Keeps every event in memory; for tests that assert on what was logged.
#[derive(Clone, Default)]
pub struct Capture {
    pub records: Arc<Mutex<Vec<Record>>>,
}

/// One captured event.
#[derive(Debug, Clone)]
pub struct Record {
    pub level: &'static str,
    pub fields: Vec<Field>,
}

impl Record {
    /// The value of `key` as text (numbers and booleans formatted), if the event has it.
    pub fn get(&self, key: &str) -> Option<String> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| match v {
                Value::Str(s) => s.clone(),
                Value::Int(n) => n.to_string(),
                Value::Uint(n) => n.to_string(),
                Value::Float(x) => x.to_string(),
                Value::Bool(b) => b.to_string(),
            })
    }
}

impl Capture {
    /// A snapshot of what was logged so far.
    pub fn records(&self) -> Vec<Record> {
        self.records
            .lock()
            .map(|records| records.clone())
            .unwrap_or_default()
    }
}

impl Sink for Capture {
    fn write(&self, level: &'static str, fields: Vec<Field>) {
        if let Ok(mut records) = self.records.lock() {
            records.push(Record { level, fields });
        }
    }
}

/// The layer itself; generic over its sink so tests can read events back as data.
pub struct LineLayer<K> {
    sink: K,
}

impl<K: Sink> LineLayer<K> {
    pub fn new(sink: K) -> LineLayer<K> {
        LineLayer { sink }
    }
}

/// The level as Heroku's own logs spell it.
pub fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::ERROR => "error",
        Level::WARN => "warn",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    }
}

impl<S: Subscriber, K: Sink> tracing_subscriber::Layer<S> for LineLayer<K> {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut collector = Collector::default();
        event.record(&mut collector);
        self.sink
            .write(level_name(event.metadata().level()), collector.fields);
    }
}

#[derive(Default)]
struct Collector {
    fields: Vec<Field>,
}

impl Collector {
    fn push(&mut self, field: &TracingField, value: Value) {
        // A free-text message reads as `msg=` in logfmt, as in Heroku's router lines.
        let key = match field.name() {
            "message" => "msg",
            name => name,
        };
        self.fields.push((key.to_string(), value));
    }
}

impl Visit for Collector {
    fn record_debug(&mut self, field: &TracingField, value: &dyn std::fmt::Debug) {
        self.push(field, Value::Str(format!("{value:?}")));
    }
    fn record_str(&mut self, field: &TracingField, value: &str) {
        self.push(field, Value::Str(value.to_string()));
    }
    fn record_i64(&mut self, field: &TracingField, value: i64) {
        self.push(field, Value::Int(value));
    }
    fn record_u64(&mut self, field: &TracingField, value: u64) {
        self.push(field, Value::Uint(value));
    }
    fn record_f64(&mut self, field: &TracingField, value: f64) {
        self.push(field, Value::Float(value));
    }
    fn record_bool(&mut self, field: &TracingField, value: bool) {
        self.push(field, Value::Bool(value));
    }
}
