//! SIGTERM and SIGINT as names on a channel, for the clock and `clockctl run`, which both
//! stop their runs gracefully at the first signal and for good at the second.

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use super::Failure;

/// Turns SIGTERM and SIGINT into names on a channel, for as long as the process runs.
/// Call it inside the runtime: it spawns the task that listens.
pub fn forward_signals() -> Result<mpsc::UnboundedReceiver<&'static str>, Failure> {
    let listen = |kind| {
        signal(kind).map_err(|error| Failure::usage(format!("cannot listen for signals: {error}")))
    };
    let mut term = listen(SignalKind::terminate())?;
    let mut int = listen(SignalKind::interrupt())?;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let name = tokio::select! {
                Some(()) = term.recv() => "SIGTERM",
                Some(()) = int.recv() => "SIGINT",
                else => break,
            };
            if tx.send(name).is_err() {
                break;
            }
        }
    });
    Ok(rx)
}
