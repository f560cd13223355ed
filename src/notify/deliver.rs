//! Delivery: a queue per channel, one worker task each, never on a job's path.
//!
//! [`Outbox::push`] only appends to a bounded queue and wakes the worker, so the engine
//! never waits on the network. A worker sends one request at a time (so a monitor's start
//! is sent before its end) with a [`REQUEST_TIMEOUT`] per attempt, and retries up to
//! [`MAX_RETRIES`] times with backoff (1 s, 2 s, 4 s) on connection errors, timeouts, 408,
//! 429 (waiting as `Retry-After` says) and 5xx; any other status is final. When an
//! endpoint is down the queue holds at most [`MAX_PENDING`] requests: the oldest are
//! dropped, and one `event=notify_dropped` line says how many. At shutdown, workers stop
//! retrying past the clock's grace, and [`Dispatcher::flush`] waits at most
//! [`FLUSH_BUDGET`] for what is left.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER, USER_AGENT};
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use super::log::{self, Target};
use super::request::{Body, Method, Request};
use super::secret::describe_error;
use crate::exec::last_bytes;

/// Per-attempt time limit, as healthchecks.io's reliability advice says (`curl -m 10`).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Retries after the first attempt.
pub const MAX_RETRIES: u32 = 3;
/// Requests one channel holds while its endpoint is slow or down.
pub const MAX_PENDING: usize = 100;
/// After the runs have ended at shutdown, how long pending deliveries still get.
pub const FLUSH_BUDGET: Duration = Duration::from_secs(3);
/// The longest `Retry-After` honoured; a longer one is a failed delivery.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// How much of an answer's body is read (for `clockctl notify test`; the rest is dropped).
const MAX_ANSWER_BYTES: usize = 1024;

/// What an endpoint answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// The start of the body, as text.
    pub body: String,
    /// `Ping-Body-Limit`, when the endpoint says how much of a body it stores.
    pub body_limit: Option<usize>,
    pub retry_after: Option<Duration>,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    fn is_retryable(&self) -> bool {
        matches!(self.status, 408 | 429 | 500..=599)
    }
}

/// One channel's queue.
#[derive(Debug)]
pub struct Outbox {
    pub name: String,
    pub service: &'static str,
    pub host: String,
    queue: Mutex<Queue>,
    wake: Notify,
}

#[derive(Debug, Default)]
struct Queue {
    pending: VecDeque<Request>,
    /// Dropped since the last `notify_dropped` line.
    dropped: u64,
    /// The worker is sending one.
    busy: bool,
    /// What the endpoint said it stores (`Ping-Body-Limit`).
    body_limit: Option<usize>,
    /// When the last `notify_dropped` line went out.
    drop_logged: Option<Instant>,
}

/// While requests are dropped, at most one `notify_dropped` line this often (the first
/// at once, so a full queue shows in the logs when it happens).
const DROP_LOG_EVERY: Duration = Duration::from_secs(10);

impl Outbox {
    fn target(&self) -> Target<'_> {
        Target {
            channel: &self.name,
            service: self.service,
            host: &self.host,
        }
    }

    /// Queues `request`; never waits. When the queue is full the oldest request goes.
    pub fn push(&self, request: Request) {
        if let Ok(mut queue) = self.queue.lock() {
            if queue.pending.len() >= MAX_PENDING {
                queue.pending.pop_front();
                queue.dropped += 1;
                let now = Instant::now();
                if queue
                    .drop_logged
                    .is_none_or(|at| now.saturating_duration_since(at) >= DROP_LOG_EVERY)
                {
                    log::notify_dropped(self.target(), queue.dropped, "queue_full");
                    queue.dropped = 0;
                    queue.drop_logged = Some(now);
                }
            }
            queue.pending.push_back(request);
        }
        self.wake.notify_one();
    }

    fn is_idle(&self) -> bool {
        self.queue
            .lock()
            .map_or(true, |queue| queue.pending.is_empty() && !queue.busy)
    }

    /// The next request, with the endpoint's body limit; logs what was dropped first.
    fn take(&self) -> Option<(Request, Option<usize>)> {
        let mut queue = self.queue.lock().ok()?;
        if queue.dropped > 0 {
            log::notify_dropped(self.target(), queue.dropped, "queue_full");
            queue.dropped = 0;
            queue.drop_logged = Some(Instant::now());
        }
        let next = queue.pending.pop_front();
        queue.busy = next.is_some();
        next.map(|request| (request, queue.body_limit))
    }

    fn finish(&self, body_limit: Option<usize>) {
        if let Ok(mut queue) = self.queue.lock() {
            queue.busy = false;
            if body_limit.is_some() {
                queue.body_limit = body_limit;
            }
        }
    }

    /// Empties the queue; returns how many requests it held.
    fn abandon(&self) -> u64 {
        self.queue.lock().map_or(0, |mut queue| {
            let left = queue.pending.len() as u64 + queue.dropped;
            queue.pending.clear();
            queue.dropped = 0;
            left
        })
    }
}

/// Owns the HTTP client and every channel's worker.
#[derive(Debug)]
pub struct Dispatcher {
    http: reqwest::Client,
    outboxes: Mutex<Vec<Arc<Outbox>>>,
    /// Once set, no attempt and no retry wait goes past this instant.
    closing: watch::Sender<Option<Instant>>,
}

/// The HTTP client every delivery uses: no redirects (a redirect would carry a signed
/// body or a token elsewhere), and the per-attempt timeout.
///
/// # Errors
/// The HTTP library's message when its TLS setup fails.
pub fn http_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(|error| describe_error_plain(&error))
}

fn describe_error_plain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text = cause.to_string();
        source = cause.source();
    }
    text
}

impl Dispatcher {
    pub fn new(http: reqwest::Client) -> Dispatcher {
        Dispatcher {
            http,
            outboxes: Mutex::new(Vec::new()),
            closing: watch::channel(None).0,
        }
    }

    /// A new channel and its worker (spawned on the current tokio runtime).
    pub fn outbox(&self, name: String, service: &'static str, host: String) -> Arc<Outbox> {
        let outbox = Arc::new(Outbox {
            name,
            service,
            host,
            queue: Mutex::new(Queue::default()),
            wake: Notify::new(),
        });
        if let Ok(mut all) = self.outboxes.lock() {
            all.push(Arc::clone(&outbox));
        }
        tokio::spawn(work(
            Arc::clone(&outbox),
            self.http.clone(),
            self.closing.subscribe(),
        ));
        outbox
    }

    /// From now on no attempt or retry wait goes past `deadline`.
    pub fn close_by(&self, deadline: Instant) {
        self.closing.send_replace(Some(deadline));
    }

    /// Waits until every queue is empty, at most `budget` (and not past a deadline set by
    /// [`Self::close_by`]); what is still pending then is dropped with a warning.
    pub async fn flush(&self, budget: Duration) {
        let mut deadline = Instant::now() + budget;
        if let Some(closing) = *self.closing.borrow() {
            deadline = deadline.min(closing.max(Instant::now()));
        }
        self.close_by(deadline);
        let outboxes: Vec<Arc<Outbox>> = self
            .outboxes
            .lock()
            .map(|all| all.clone())
            .unwrap_or_default();
        while Instant::now() < deadline && !outboxes.iter().all(|outbox| outbox.is_idle()) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        for outbox in &outboxes {
            let left = outbox.abandon();
            if left > 0 {
                log::notify_dropped(outbox.target(), left, "shutdown");
            }
        }
    }
}

async fn work(
    outbox: Arc<Outbox>,
    http: reqwest::Client,
    mut closing: watch::Receiver<Option<Instant>>,
) {
    loop {
        match outbox.take() {
            Some((request, body_limit)) => {
                let limit = deliver(&outbox, &http, &request, body_limit, &mut closing).await;
                outbox.finish(limit);
            }
            None => outbox.wake.notified().await,
        }
    }
}

/// Sends `request` with retries and logs how it went; returns the body limit learned.
async fn deliver(
    outbox: &Outbox,
    http: &reqwest::Client,
    request: &Request,
    mut body_limit: Option<usize>,
    closing: &mut watch::Receiver<Option<Instant>>,
) -> Option<usize> {
    let job = request.job.as_deref();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let deadline = *closing.borrow();
        let timeout = deadline.map_or(REQUEST_TIMEOUT, |deadline| {
            deadline
                .saturating_duration_since(Instant::now())
                .min(REQUEST_TIMEOUT)
        });
        if timeout.is_zero() {
            let error = "the clock is shutting down";
            log::notify_failed(
                outbox.target(),
                &request.about,
                job,
                None,
                attempts - 1,
                error,
            );
            return body_limit;
        }
        let (delay, status, error) = match send(http, request, body_limit, timeout).await {
            Ok(answer) => {
                body_limit = answer.body_limit.or(body_limit);
                if answer.is_success() {
                    log::notified(
                        outbox.target(),
                        &request.about,
                        job,
                        answer.status,
                        attempts,
                    );
                    return body_limit;
                }
                let error = format!("the endpoint answered {}", answer.status);
                if !answer.is_retryable() {
                    return failed(
                        outbox,
                        request,
                        Some(answer.status),
                        attempts,
                        &error,
                        body_limit,
                    );
                }
                let delay = match answer.retry_after {
                    Some(wait) if wait > MAX_RETRY_AFTER => {
                        let error = format!("{error} with Retry-After longer than 60s");
                        return failed(
                            outbox,
                            request,
                            Some(answer.status),
                            attempts,
                            &error,
                            body_limit,
                        );
                    }
                    Some(wait) if answer.status == 429 || answer.status == 503 => wait,
                    _ => backoff(attempts),
                };
                (delay, Some(answer.status), error)
            }
            Err(error) => (backoff(attempts), None, error),
        };
        if attempts > MAX_RETRIES {
            return failed(outbox, request, status, attempts, &error, body_limit);
        }
        // Wait, unless the clock starts closing and the wait would pass its deadline.
        let wake = Instant::now() + delay;
        loop {
            if let Some(deadline) = *closing.borrow() {
                if wake > deadline {
                    let error = format!("{error}; no time left to retry at shutdown");
                    return failed(outbox, request, status, attempts, &error, body_limit);
                }
            }
            tokio::select! {
                () = tokio::time::sleep_until(wake) => break,
                changed = closing.changed() => if changed.is_err() {
                    tokio::time::sleep_until(wake).await;
                    break;
                },
            }
        }
    }
}

fn failed(
    outbox: &Outbox,
    request: &Request,
    status: Option<u16>,
    attempts: u32,
    error: &str,
    body_limit: Option<usize>,
) -> Option<usize> {
    log::notify_failed(
        outbox.target(),
        &request.about,
        request.job.as_deref(),
        status,
        attempts,
        error,
    );
    body_limit
}

/// 1 s, 2 s, 4 s: the wait after failed attempt `attempts`.
fn backoff(attempts: u32) -> Duration {
    Duration::from_secs(1 << attempts.saturating_sub(1).min(6))
}

/// One attempt: the request as built, signed now if it is signed, its text body cut to
/// `body_limit` (the end kept).
///
/// # Errors
/// A transport error in words, without the URL.
pub async fn send(
    http: &reqwest::Client,
    request: &Request,
    body_limit: Option<usize>,
    timeout: Duration,
) -> Result<Answer, String> {
    let method = match request.method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
    };
    let mut builder = http
        .request(method, request.url.expose().clone())
        .timeout(timeout)
        .header(
            USER_AGENT,
            concat!("heroku-clock/", env!("CARGO_PKG_VERSION")),
        );
    let body: Option<(&str, Vec<u8>)> = match &request.body {
        Body::Empty => None,
        Body::Json(text) => Some(("application/json", text.as_bytes().to_vec())),
        Body::Tail(text) => {
            let kept = body_limit.map_or(text.as_str(), |limit| last_bytes(text, limit));
            Some(("text/plain; charset=utf-8", kept.as_bytes().to_vec()))
        }
    };
    if let Some(signing) = &request.signing {
        let timestamp = chrono::Utc::now().timestamp();
        let bytes = body.as_ref().map_or(&[][..], |(_, bytes)| bytes.as_slice());
        let signature = signing.key.sign(&signing.id, timestamp, bytes);
        builder = builder
            .header("webhook-id", signing.id.as_str())
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature);
    }
    if let Some((content_type, bytes)) = body {
        builder = builder
            .header(CONTENT_TYPE, HeaderValue::from_static(content_type))
            .body(bytes);
    } else if request.method == Method::Post {
        builder = builder.header(reqwest::header::CONTENT_LENGTH, 0);
    }
    let mut response = builder
        .send()
        .await
        .map_err(|error| describe_error(error, &request.url))?;
    let status = response.status().as_u16();
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|value: &HeaderValue| value.to_str().ok())
            .and_then(|text| text.trim().parse::<u64>().ok())
    };
    let body_limit = header("ping-body-limit").and_then(|n| usize::try_from(n).ok());
    let retry_after = header(RETRY_AFTER.as_str()).map(Duration::from_secs);
    let mut body = Vec::new();
    while body.len() < MAX_ANSWER_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    body.truncate(MAX_ANSWER_BYTES);
    Ok(Answer {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
        body_limit,
        retry_after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_request() -> Request {
        let url = super::super::secret::SecretUrl::parse("https://hc-ping.com/abc").unwrap();
        Request::new(Method::Post, url, Body::Empty, "start")
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_queue_says_so_at_once_and_then_at_most_every_ten_seconds() {
        let (subscriber, capture) = crate::logging::capture();
        let _guard = tracing::subscriber::set_default(subscriber);
        let outbox = Outbox {
            name: "monitor.backup".into(),
            service: "healthchecks",
            host: "hc-ping.com".into(),
            queue: Mutex::new(Queue::default()),
            wake: Notify::new(),
        };
        let dropped = || -> Vec<String> {
            capture
                .records()
                .iter()
                .filter(|r| r.get("event").as_deref() == Some("notify_dropped"))
                .map(|r| r.get("dropped").unwrap_or_default())
                .collect()
        };
        for _ in 0..MAX_PENDING + 1 {
            outbox.push(full_request());
        }
        assert_eq!(dropped(), ["1"], "the first drop is logged when it happens");
        for _ in 0..5 {
            outbox.push(full_request());
        }
        assert_eq!(dropped(), ["1"], "then they are counted");
        tokio::time::advance(DROP_LOG_EVERY).await;
        outbox.push(full_request());
        assert_eq!(dropped(), ["1", "6"], "and said ten seconds later");
    }

    #[test]
    fn backoff_doubles() {
        let waits: Vec<u64> = (1..=4).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8]);
    }

    #[test]
    fn only_timeouts_throttling_and_server_errors_are_retried() {
        let answer = |status| Answer {
            status,
            body: String::new(),
            body_limit: None,
            retry_after: None,
        };
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(answer(status).is_retryable(), "{status}");
        }
        for status in [200, 301, 400, 401, 403, 404, 410] {
            assert!(!answer(status).is_retryable(), "{status}");
        }
    }
}
