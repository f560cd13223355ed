//! The log events of notification delivery. A channel is named and its host shown;
//! its URL never is (see [`super::secret`]).

/// Who a delivery was for, as every delivery line names it.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The channel's name under `notify:`, `monitor.JOB` or `heartbeat`.
    pub channel: &'a str,
    pub service: &'a str,
    pub host: &'a str,
}

pub fn notified(to: Target<'_>, about: &str, job: Option<&str>, status: u16, attempts: u32) {
    tracing::info!(
        event = "notified",
        channel = to.channel,
        service = to.service,
        host = to.host,
        about,
        job,
        status,
        attempts
    );
}

/// `status` is `None` when no answer came (`error` says why).
pub fn notify_failed(
    to: Target<'_>,
    about: &str,
    job: Option<&str>,
    status: Option<u16>,
    attempts: u32,
    error: &str,
) {
    tracing::warn!(
        event = "notify_failed",
        channel = to.channel,
        service = to.service,
        host = to.host,
        about,
        job,
        status,
        attempts,
        error
    );
}

pub fn notify_dropped(to: Target<'_>, dropped: u64, reason: &str) {
    tracing::warn!(
        event = "notify_dropped",
        channel = to.channel,
        service = to.service,
        host = to.host,
        dropped,
        reason
    );
}

/// A channel that cannot be used, at start-up: `variable` unset, or its value unusable.
pub fn notify_disabled(channel: &str, service: &str, variable: Option<&str>, error: &str) {
    tracing::error!(event = "notify_disabled", channel, service, variable, error);
}
