//! An optional deadline as a future: the runtime's next wake-up and a run's timeout or
//! kill time are each "maybe an instant", and waiting on "no instant" means waiting
//! forever, so a `select!` branch without a deadline simply never fires.

use tokio::time::{Instant, sleep_until};

/// Sleeps until `at`; with `None`, never returns.
pub async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => sleep_until(at).await,
        None => std::future::pending().await,
    }
}
