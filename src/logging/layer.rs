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

use super::format::{self, Field, LogFormat, MAX_LINE_BYTES, Value};
use super::writer::{DroppedLine, LineKind, LogQueue};

/// Where finished events go.
pub trait Sink: Send + Sync + 'static {
    fn write(&self, level: &'static str, fields: Vec<Field>);
}

/// Renders one line per event, within Logplex's 10,000 bytes ([`format::render_within`]),
/// and queues it for the writer thread ([`super::writer`]), which writes whole lines
/// only, so lines from concurrent runs never interleave.
pub struct StdoutSink {
    pub format: LogFormat,
    pub timestamps: bool,
    /// `None` only when the writer thread could not start: lines are then written here,
    /// as they come.
    queue: Option<LogQueue>,
}

impl StdoutSink {
    /// A sink whose lines reach stdout through a new writer thread.
    pub fn start(format: LogFormat, timestamps: bool) -> StdoutSink {
        let dropped_line: DroppedLine = Box::new(move |dropped| {
            let fields = [
                format::event_field("output_dropped"),
                ("dropped".to_string(), Value::Uint(dropped)),
            ];
            let time = now(timestamps);
            format::render_within(format, "warn", time.as_deref(), &fields, MAX_LINE_BYTES)
        });
        StdoutSink {
            format,
            timestamps,
            queue: LogQueue::start(std::io::stdout(), dropped_line).ok(),
        }
    }

    /// The queue behind this sink, to flush it at exit.
    pub fn queue(&self) -> Option<LogQueue> {
        self.queue.clone()
    }

    fn send(&self, text: &str, kind: LineKind) {
        match &self.queue {
            Some(queue) => queue.push(text, kind),
            None => write_stdout(text),
        }
    }
}

fn now(timestamps: bool) -> Option<String> {
    timestamps.then(|| Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true))
}

impl Sink for StdoutSink {
    fn write(&self, level: &'static str, fields: Vec<Field>) {
        let kind = match fields.first() {
            Some((key, Value::Str(event))) if key == "event" && event == "output" => {
                LineKind::Output
            }
            _ => LineKind::Own,
        };
        let time = now(self.timestamps);
        let line =
            format::render_within(self.format, level, time.as_deref(), &fields, MAX_LINE_BYTES);
        let held = BATCH.with(|batch| match batch.borrow_mut().as_mut() {
            Some(held) => {
                held.push(line.as_str(), kind);
                if held.lines.len() >= BATCH_BYTES {
                    self.send_batch(held);
                }
                true
            }
            None => false,
        });
        if !held {
            self.send(&line, kind);
        }
    }
}

impl StdoutSink {
    fn send_batch(&self, held: &mut Held) {
        self.send(&held.lines, held.kind);
        held.lines.clear();
        held.kind = LineKind::Output;
    }
}

/// Queue a batch once it holds this much: whole lines, one lock for thousands.
const BATCH_BYTES: usize = 64 * 1024;

/// Lines [`batched`] holds back on one thread.
struct Held {
    lines: String,
    /// `Own` once any of the lines is the clock's own: the batch is then never dropped.
    kind: LineKind,
}

impl Held {
    fn push(&mut self, line: &str, kind: LineKind) {
        self.lines.push_str(line);
        if kind == LineKind::Own {
            self.kind = LineKind::Own;
        }
    }
}

thread_local! {
    /// Lines [`batched`] is holding back on this thread, and the sink they are for;
    /// `None` outside a batch.
    static BATCH: RefCell<Option<Held>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's log lines collected and queued together (at the end, and
/// every 64 KiB on the way). The clock logs one line per job at start-up; queueing
/// 10,000 of them one lock at a time was a measurable part of starting. Order is kept,
/// every line is still written whole, and a nested call joins the outer batch.
pub fn batched<R>(f: impl FnOnce() -> R) -> R {
    /// Queues what is held when the batch ends, even by a panic.
    struct Flush;
    impl Drop for Flush {
        fn drop(&mut self) {
            if let Some(held) = BATCH.with(|batch| batch.borrow_mut().take()) {
                if !held.lines.is_empty() {
                    match super::global_queue() {
                        Some(queue) => queue.push(&held.lines, held.kind),
                        None => write_stdout(&held.lines),
                    }
                }
            }
        }
    }
    let outer = BATCH.with(|batch| {
        let mut batch = batch.borrow_mut();
        let outer = batch.is_some();
        if !outer {
            *batch = Some(Held {
                lines: String::with_capacity(BATCH_BYTES),
                kind: LineKind::Output,
            });
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
