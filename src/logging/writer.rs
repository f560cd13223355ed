//! The log's way out: a bounded queue in memory and one thread that writes it to stdout.
//!
//! Writing to stdout can block (a paused reader, a slow pipe, a stalled log router), and
//! the runtime has one thread for every timer, timeout and signal. So nothing on that
//! thread ever writes: finished lines go into a [`LogQueue`], and a writer thread takes
//! whatever has piled up and writes it in one `write_all`. The queue is bounded:
//! - a job's output line is dropped when [`OUTPUT_LIMIT`] bytes already wait, and the
//!   drops are counted in one `at=warn event=output_dropped dropped=N` line, written
//!   as soon as there is room again (or at exit);
//! - the clock's own events are never dropped. They are few (a handful per run), so they
//!   wait behind a stalled reader up to [`HARD_LIMIT`] bytes; only past that does logging
//!   one block until the writer catches up, which keeps memory bounded.
//!
//! [`LogQueue::flush`] waits until everything queued has been written; the clock and
//! `clockctl run` flush at exit (see [`super::LogGuard`]).

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Past this many bytes waiting to be written, job output lines are dropped (and counted).
pub const OUTPUT_LIMIT: usize = 1024 * 1024;

/// Past this many bytes waiting, even the clock's own events wait for the writer.
pub const HARD_LIMIT: usize = 16 * 1024 * 1024;

/// Whose line it is, which decides what happens to it when the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// A line a job printed (`event=output`): dropped and counted when the queue is full.
    Output,
    /// One of the clock's own events: never dropped.
    Own,
}

/// Renders the line that reports `dropped` output lines (in the log's own format).
pub type DroppedLine = Box<dyn Fn(u64) -> String + Send + Sync>;

/// The writing end of the queue, cheap to clone; the writer thread holds the other end.
#[derive(Clone)]
pub struct LogQueue {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// Wakes the writer thread when there is something to write.
    filled: Condvar,
    /// Wakes a flush, or a blocked own event, when the writer has written a batch.
    written: Condvar,
    dropped_line: DroppedLine,
}

#[derive(Default)]
struct State {
    /// Whole lines (each with its newline) waiting for the writer.
    pending: String,
    /// Bytes the writer has taken and is writing now.
    in_flight: usize,
    /// Output lines dropped since the last `output_dropped` line.
    dropped: u64,
}

impl State {
    fn queued(&self) -> usize {
        self.pending.len() + self.in_flight
    }
}

impl LogQueue {
    /// A queue and the thread that writes it to `out`. The thread lives as long as the
    /// process; a write error (stdout closed) discards the batch, so a vanished reader
    /// never blocks the clock.
    pub fn start<W: Write + Send + 'static>(
        out: W,
        dropped_line: DroppedLine,
    ) -> std::io::Result<LogQueue> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            filled: Condvar::new(),
            written: Condvar::new(),
            dropped_line,
        });
        let writer = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || write_forever(&writer, out))?;
        Ok(LogQueue { shared })
    }

    /// Queues `text` (one or more whole lines, newlines included).
    pub fn push(&self, text: &str, kind: LineKind) {
        let mut state = self.lock();
        match kind {
            LineKind::Output if state.queued() + text.len() > OUTPUT_LIMIT => {
                state.dropped += 1;
                return;
            }
            LineKind::Output => {}
            LineKind::Own => {
                while state.queued() > HARD_LIMIT {
                    state = self
                        .shared
                        .written
                        .wait(state)
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                }
            }
        }
        self.report_dropped(&mut state);
        state.pending.push_str(text);
        self.shared.filled.notify_one();
    }

    /// Waits until everything queued so far has been written, or `bound` has passed
    /// (a reader that never reads again must not keep the process from exiting).
    /// Returns `false` when the bound ran out first.
    pub fn flush(&self, bound: Duration) -> bool {
        let deadline = Instant::now() + bound;
        let mut state = self.lock();
        self.report_dropped(&mut state);
        self.shared.filled.notify_one();
        while state.queued() > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = match self.shared.written.wait_timeout(state, left) {
                Ok((state, _)) => state,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        true
    }

    /// Queues the `output_dropped` line first when lines were dropped since the last one.
    fn report_dropped(&self, state: &mut State) {
        if state.dropped > 0 {
            let count = std::mem::take(&mut state.dropped);
            state.pending.push_str(&(self.shared.dropped_line)(count));
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere; the text in it is still whole.
        self.shared
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn write_forever<W: Write>(shared: &Shared, mut out: W) {
    let lock = || {
        shared
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    };
    loop {
        let batch = {
            let mut state = lock();
            while state.pending.is_empty() {
                state = shared
                    .filled
                    .wait(state)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            let batch = std::mem::take(&mut state.pending);
            state.in_flight = batch.len();
            batch
        };
        // A closed stdout (the log router gone) must not take the clock down with it.
        let _ = out.write_all(batch.as_bytes()).and_then(|()| out.flush());
        lock().in_flight = 0;
        shared.written.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// A writer that holds every write until the test opens it, and keeps what it wrote.
    #[derive(Clone)]
    struct Gate {
        open: Arc<(Mutex<bool>, Condvar)>,
        written: Arc<Mutex<String>>,
        entered: mpsc::SyncSender<()>,
    }

    impl Gate {
        fn new() -> (Gate, mpsc::Receiver<()>) {
            let (entered, entries) = mpsc::sync_channel(1000);
            let gate = Gate {
                open: Arc::new((Mutex::new(false), Condvar::new())),
                written: Arc::default(),
                entered,
            };
            (gate, entries)
        }

        fn open(&self) {
            let (open, changed) = &*self.open;
            *open.lock().expect("gate") = true;
            changed.notify_all();
        }

        fn text(&self) -> String {
            self.written.lock().expect("written").clone()
        }
    }

    impl Write for Gate {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            let _ = self.entered.try_send(());
            let (open, changed) = &*self.open;
            let mut is_open = open.lock().expect("gate");
            while !*is_open {
                is_open = changed.wait(is_open).expect("gate");
            }
            self.written
                .lock()
                .expect("written")
                .push_str(&String::from_utf8_lossy(bytes));
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn queue(gate: &Gate) -> LogQueue {
        LogQueue::start(
            gate.clone(),
            Box::new(|n| format!("at=warn event=output_dropped dropped={n}\n")),
        )
        .expect("writer thread")
    }

    #[test]
    fn a_stalled_writer_drops_output_but_never_the_clocks_own_lines() {
        let (gate, entries) = Gate::new();
        let queue = queue(&gate);
        queue.push("at=info event=started run=1\n", LineKind::Own);
        // The writer is now stuck in its first write, as on a pipe nobody reads.
        entries
            .recv_timeout(Duration::from_secs(10))
            .expect("the writer took the first line");
        let output = format!("{}\n", "x".repeat(999));
        let fits = OUTPUT_LIMIT / output.len() - 1;
        for _ in 0..fits + 250 {
            queue.push(&output, LineKind::Output);
        }
        queue.push("at=info event=succeeded run=1\n", LineKind::Own);
        assert!(
            !queue.flush(Duration::from_millis(50)),
            "nothing can be written yet"
        );
        gate.open();
        assert!(queue.flush(Duration::from_secs(10)), "flushed once open");
        let text = gate.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "at=info event=started run=1");
        let kept = lines.iter().filter(|l| l.starts_with('x')).count();
        assert!(kept <= fits + 1, "{kept} output lines kept past the limit");
        let dropped = fits + 250 - kept;
        assert!(dropped >= 249, "only {dropped} dropped");
        assert_eq!(
            &lines[kept + 1..],
            [
                format!("at=warn event=output_dropped dropped={dropped}").as_str(),
                "at=info event=succeeded run=1",
            ],
            "the count comes once, where lines were dropped, and own events all stay"
        );
    }

    #[test]
    fn flush_waits_for_every_line() {
        let (gate, _entries) = Gate::new();
        gate.open();
        let queue = queue(&gate);
        for n in 0..1000 {
            queue.push(&format!("line {n}\n"), LineKind::Output);
        }
        assert!(queue.flush(Duration::from_secs(10)));
        let text = gate.text();
        assert_eq!(text.lines().count(), 1000);
        assert!(text.ends_with("line 999\n"));
    }
}
