//! The one tokio runtime builder of the binaries: the clock, `clockctl run`, and the
//! Platform API commands each build it once for their whole life.
//!
//! It is single-threaded: the clock's own work is tiny, one thread keeps it predictable on
//! a small dyno, and an API command makes its requests one after another.

use super::Failure;

/// A current-thread runtime with timers and I/O.
pub fn tokio_runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| Failure::usage(format!("cannot start the async runtime: {error}")))
}

/// Runs `future` to its end on a runtime built for this one command.
pub fn block_on<T>(future: impl std::future::Future<Output = T>) -> Result<T, Failure> {
    Ok(tokio_runtime()?.block_on(future))
}
