//! The HTTP side of the Platform API: headers, retries, timeouts and error bodies.
//!
//! Every request carries the v3 `Accept` header, `Authorization: Bearer`, a `User-Agent`
//! naming clockctl, a fresh `Request-Id` and, with a body, `Content-Type: application/json`.
//! A 429 waits as `Retry-After` says (else backs off) and tries again; a 5xx, a refused
//! connection or a request timeout backs off exponentially and tries again; both stop at a
//! bounded number of attempts and total time. Retrying a formation update is safe: its body
//! sets an absolute quantity, so sending it twice has the effect of sending it once. Any
//! other failure becomes an [`ApiError`] at once. Which requests a command makes, and in
//! what order, belongs to the subcommands; the fields read belong to [`super::resources`].

use std::fmt;
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, RETRY_AFTER, USER_AGENT};
use serde::de::DeserializeOwned;

use super::endpoint::Endpoint;
use super::error::{ApiError, ApiErrorKind, classify};
use super::request_id::new_request_id;
use super::resources::{Dyno, Formation, FormationUpdate};
use super::token::{MASK, Token};

/// The Platform API's version 3 media type.
pub const ACCEPT_V3: &str = "application/vnd.heroku+json; version=3";

/// `clockctl/VERSION (heroku-clock)`.
pub fn user_agent() -> String {
    format!("clockctl/{} (heroku-clock)", env!("CARGO_PKG_VERSION"))
}

/// How hard to try. The environment knobs exist so tests can make backoff instant; they
/// are documented as test settings, not as tuning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first backoff delay; each retry doubles it, up to `max_delay`.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// No retry starts once this much time has passed since the first attempt.
    pub budget: Duration,
    pub max_attempts: u32,
    /// One attempt's limit, from connecting to the last byte of the body.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            budget: Duration::from_secs(60),
            max_attempts: 6,
            request_timeout: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The defaults, with `CLOCKCTL_RETRY_BASE_MS`, `CLOCKCTL_RETRY_BUDGET_MS` and
    /// `CLOCKCTL_HTTP_TIMEOUT_MS` applied (for tests).
    pub fn from_env() -> RetryPolicy {
        RetryPolicy::from_lookup(|name| std::env::var(name).ok())
    }

    /// The defaults, with the knobs that `lookup` finds applied; a value that is not a
    /// whole number of milliseconds is ignored.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> RetryPolicy {
        let millis = |name: &str| {
            lookup(name)
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_millis)
        };
        let mut policy = RetryPolicy::default();
        if let Some(base) = millis("CLOCKCTL_RETRY_BASE_MS") {
            policy.base_delay = base;
            policy.max_delay = policy.max_delay.max(base);
        }
        if let Some(budget) = millis("CLOCKCTL_RETRY_BUDGET_MS") {
            policy.budget = budget;
        }
        if let Some(timeout) = millis("CLOCKCTL_HTTP_TIMEOUT_MS") {
            policy.request_timeout = timeout;
        }
        policy
    }

    /// True when attempt `attempts` failed `elapsed` after the first one began and a retry
    /// after `delay` still fits the attempts and the time budget. Saturating: a server's
    /// `Retry-After` of any size means "too long", never an overflow.
    pub fn allows_retry(&self, attempts: u32, elapsed: Duration, delay: Duration) -> bool {
        attempts < self.max_attempts && elapsed.saturating_add(delay) <= self.budget
    }

    /// The delay before retry number `retry` (1-based).
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u32 << retry.saturating_sub(1).min(16);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// A request ready to send, which can also be shown (`--dry-run`, debug logs) with its
/// token masked.
#[derive(Debug, Clone)]
pub struct PreparedRequest {
    pub method: reqwest::Method,
    pub url: String,
    pub body: Option<String>,
    token: Token,
}

impl PreparedRequest {
    /// The headers, in the order they are shown; `request_id` is the one to send.
    fn headers(&self, request_id: &str, masked: bool) -> Vec<(&'static str, String)> {
        let token = if masked { MASK } else { self.token.expose() };
        let mut headers = vec![
            ("Accept", ACCEPT_V3.to_owned()),
            ("Authorization", format!("Bearer {token}")),
            ("User-Agent", user_agent()),
            ("Request-Id", request_id.to_owned()),
        ];
        if self.body.is_some() {
            headers.push(("Content-Type", "application/json".to_owned()));
        }
        headers
    }
}

impl fmt::Display for PreparedRequest {
    /// The request as `--dry-run` shows it: method and URL, headers, a blank line, body.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} {}", self.method, self.url)?;
        for (name, value) in self.headers("(a new UUID per request)", true) {
            writeln!(f, "{name}: {value}")?;
        }
        if let Some(body) = &self.body {
            writeln!(f)?;
            writeln!(f, "{body}")?;
        }
        Ok(())
    }
}

/// A Platform API client for one token.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    base_url: String,
    token: Token,
    policy: RetryPolicy,
}

/// What a request is about, for error messages.
pub(super) struct Subject<'a> {
    pub(super) app: &'a str,
    pub(super) process_type: Option<&'a str>,
}

/// Percent-encodes one path segment (app names are plain, but the value is user input).
pub(super) fn segment(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A transport error in a few words, without the URL (reqwest's own `Display` of an
/// error includes it, and a log-session URL carries a token): what failed and its
/// innermost cause ("connection failed: Connection refused (os error 111)").
pub fn describe_transport(error: &reqwest::Error) -> String {
    let what = if error.is_timeout() {
        "no answer in time"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_body() || error.is_decode() {
        "the connection broke"
    } else {
        "request failed"
    };
    let mut innermost = None;
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        innermost = Some(cause.to_string());
        source = cause.source();
    }
    match innermost {
        // Some causes repeat the URL; keep only what has none.
        Some(cause) if !cause.contains("://") => format!("{what}: {cause}"),
        _ => what.to_owned(),
    }
}

/// Heroku's error body: `{"id": "...", "message": "..."}`.
#[derive(serde::Deserialize, Default)]
struct ErrorBody {
    id: Option<String>,
    message: Option<String>,
}

/// The wait a `Retry-After: SECONDS` header asks for (the HTTP-date form is not used by
/// the Platform API and reads as none).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

impl Client {
    /// A client for `endpoint`'s API, authenticating with `token`.
    ///
    /// # Errors
    /// The HTTP library's error when its TLS setup fails.
    pub fn new(
        endpoint: &Endpoint,
        token: Token,
        policy: RetryPolicy,
    ) -> Result<Client, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(policy.request_timeout)
            // The Platform API does not redirect; a redirect would carry the token elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Client {
            http,
            base_url: endpoint.base_url.clone(),
            token,
            policy,
        })
    }

    /// How hard this client tries.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// The request for `method path` with `body`, ready to send or show.
    pub fn prepare(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<String>,
    ) -> PreparedRequest {
        PreparedRequest {
            method,
            url: format!("{}{path}", self.base_url),
            body,
            token: self.token.clone(),
        }
    }

    /// `GET /apps/{app}/formation/{type}`: the formation of one process type.
    pub fn formation_info_request(&self, app: &str, process_type: &str) -> PreparedRequest {
        let path = format!("/apps/{}/formation/{}", segment(app), segment(process_type));
        self.prepare(reqwest::Method::GET, &path, None)
    }

    /// `PATCH /apps/{app}/formation/{type}` with `update` as the body.
    pub fn formation_update_request(
        &self,
        app: &str,
        process_type: &str,
        update: &FormationUpdate,
    ) -> PreparedRequest {
        let path = format!("/apps/{}/formation/{}", segment(app), segment(process_type));
        // Serializing two plain fields cannot fail; an empty object would be refused loudly.
        let body = serde_json::to_string(update).unwrap_or_else(|_| "{}".to_owned());
        self.prepare(reqwest::Method::PATCH, &path, Some(body))
    }

    /// The formation of `process_type`. A 404 is told apart with `GET /apps/{app}`: the app
    /// is missing ([`ApiErrorKind::AppNotFound`]) or its release lacks the process type
    /// ([`ApiErrorKind::NoProcessType`]).
    ///
    /// # Errors
    /// [`ApiError`] as described in [`super::error`].
    pub async fn formation_info(
        &self,
        app: &str,
        process_type: &str,
    ) -> Result<Formation, ApiError> {
        let request = self.formation_info_request(app, process_type);
        let subject = Subject {
            app,
            process_type: Some(process_type),
        };
        match self.send(&request, &subject).await {
            Err(mut error) if error.kind == ApiErrorKind::NotFound => {
                error.kind = match self.app_info(app).await {
                    Ok(()) => ApiErrorKind::NoProcessType,
                    Err(app_error) if app_error.kind == ApiErrorKind::AppNotFound => {
                        ApiErrorKind::AppNotFound
                    }
                    Err(app_error) => return Err(app_error),
                };
                Err(error)
            }
            other => other,
        }
    }

    /// Updates the formation of `process_type`.
    ///
    /// # Errors
    /// [`ApiError`] as described in [`super::error`].
    pub async fn formation_update(
        &self,
        app: &str,
        process_type: &str,
        update: &FormationUpdate,
    ) -> Result<Formation, ApiError> {
        let request = self.formation_update_request(app, process_type, update);
        let subject = Subject {
            app,
            process_type: Some(process_type),
        };
        self.send(&request, &subject).await.map_err(|mut error| {
            if error.kind == ApiErrorKind::NotFound {
                error.kind = ApiErrorKind::NoProcessType;
            }
            error
        })
    }

    /// `GET /apps/{app}/dynos`: every dyno of the app.
    ///
    /// # Errors
    /// [`ApiError`]; a 404 means the app is missing.
    pub async fn dyno_list(&self, app: &str) -> Result<Vec<Dyno>, ApiError> {
        let request = self.prepare(
            reqwest::Method::GET,
            &format!("/apps/{}/dynos", segment(app)),
            None,
        );
        let subject = Subject {
            app,
            process_type: None,
        };
        self.send(&request, &subject).await.map_err(app_not_found)
    }

    /// `GET /apps/{app}/config-vars`: the names of the app's config vars. The values are
    /// dropped as the answer is read: they are secrets, never kept, shown or logged.
    ///
    /// # Errors
    /// [`ApiError`]; a 404 means the app is missing.
    pub async fn config_var_names(&self, app: &str) -> Result<Vec<String>, ApiError> {
        let request = self.prepare(
            reqwest::Method::GET,
            &format!("/apps/{}/config-vars", segment(app)),
            None,
        );
        let subject = Subject {
            app,
            process_type: None,
        };
        let vars: serde_json::Map<String, serde_json::Value> =
            self.send(&request, &subject).await.map_err(app_not_found)?;
        Ok(vars.into_iter().map(|(name, _)| name).collect())
    }

    /// The request [`Client::config_var_names`] sends, for `--dry-run`.
    pub fn config_vars_request(&self, app: &str) -> PreparedRequest {
        self.prepare(
            reqwest::Method::GET,
            &format!("/apps/{}/config-vars", segment(app)),
            None,
        )
    }

    /// `GET /apps/{app}`: whether the app exists (the body is not needed).
    ///
    /// # Errors
    /// [`ApiError`]; a 404 means the app is missing.
    pub async fn app_info(&self, app: &str) -> Result<(), ApiError> {
        let request = self.prepare(
            reqwest::Method::GET,
            &format!("/apps/{}", segment(app)),
            None,
        );
        let subject = Subject {
            app,
            process_type: None,
        };
        self.send::<serde_json::Value>(&request, &subject)
            .await
            .map(drop)
            .map_err(app_not_found)
    }

    /// Sends `request`, retrying as the module documentation says, and decodes the body.
    pub(super) async fn send<T: DeserializeOwned>(
        &self,
        request: &PreparedRequest,
        subject: &Subject<'_>,
    ) -> Result<T, ApiError> {
        self.send_with(request, subject, Resend::Always).await
    }

    /// [`Self::send`], retrying only what `resend` allows: a request that is not
    /// idempotent (a dyno create) is sent again only when it surely never arrived.
    pub(super) async fn send_with<T: DeserializeOwned>(
        &self,
        request: &PreparedRequest,
        subject: &Subject<'_>,
        resend: Resend,
    ) -> Result<T, ApiError> {
        let started = Instant::now();
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let sent_id = new_request_id();
            let mut error = ApiError {
                kind: ApiErrorKind::Other,
                method: method_name(&request.method),
                url: request.url.clone(),
                app: subject.app.to_owned(),
                process_type: subject.process_type.map(str::to_owned),
                status: None,
                id: None,
                message: None,
                request_id: sent_id.clone(),
                attempts,
                elapsed: Duration::ZERO,
            };
            tracing::debug!("sending\n{request}Request-Id of this attempt: {sent_id}");
            let delay = match self.attempt(request, &sent_id).await {
                Ok((status, headers, body)) => {
                    if let Some(id) = headers.get("request-id").and_then(|v| v.to_str().ok()) {
                        error.request_id = id.to_owned();
                    }
                    tracing::debug!(
                        "answer {status} to {} {} (Request-Id {})",
                        error.method,
                        error.url,
                        error.request_id
                    );
                    if (200..300).contains(&status) {
                        return serde_json::from_str(&body).map_err(|e| ApiError {
                            kind: ApiErrorKind::BadResponse,
                            message: Some(e.to_string()),
                            status: Some(status),
                            ..error
                        });
                    }
                    let parsed: ErrorBody = serde_json::from_str(&body).unwrap_or_default();
                    error.kind = classify(status, parsed.id.as_deref());
                    error.status = Some(status);
                    error.id = parsed.id;
                    error.message = parsed.message;
                    match error.kind {
                        ApiErrorKind::RateLimited => {
                            retry_after(&headers).unwrap_or_else(|| self.policy.backoff(attempts))
                        }
                        // A 5xx may come from a gateway after the platform acted.
                        ApiErrorKind::Unavailable if resend == Resend::Always => {
                            self.policy.backoff(attempts)
                        }
                        _ => return Err(error),
                    }
                }
                Err(transport) => {
                    error.kind = if transport.is_timeout() {
                        ApiErrorKind::TimedOut
                    } else {
                        ApiErrorKind::Unreachable
                    };
                    error.message = Some(describe_transport(&transport));
                    // Only a connection that never opened surely carried nothing.
                    if resend == Resend::OnlyUnsent && !transport.is_connect() {
                        error.elapsed = started.elapsed();
                        return Err(error);
                    }
                    self.policy.backoff(attempts)
                }
            };
            let elapsed = started.elapsed();
            if !self.policy.allows_retry(attempts, elapsed, delay) {
                error.elapsed = elapsed;
                return Err(error);
            }
            tracing::debug!(
                "retrying in {delay:?} (attempt {attempts} failed: {:?})",
                error.kind
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// One HTTP exchange: the status, headers and body text.
    async fn attempt(
        &self,
        request: &PreparedRequest,
        request_id: &str,
    ) -> Result<(u16, HeaderMap, String), reqwest::Error> {
        let mut builder = self.http.request(request.method.clone(), &request.url);
        for (name, value) in request.headers(request_id, false) {
            builder = match name {
                "Accept" => builder.header(ACCEPT, value),
                "Authorization" => builder.header(AUTHORIZATION, value),
                "User-Agent" => builder.header(USER_AGENT, value),
                "Content-Type" => builder.header(CONTENT_TYPE, value),
                other => builder.header(other, value),
            };
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let response = builder.send().await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await?;
        Ok((status, headers, body))
    }
}

/// Which failed attempts [`Client::send_with`] sends again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Resend {
    /// Every retryable failure: the request is idempotent (a GET, a formation update).
    Always,
    /// Only a failure to connect and a 429: the request must not be carried out twice,
    /// so a timeout, a broken connection or a 5xx is the caller's to look into.
    OnlyUnsent,
}

fn method_name(method: &reqwest::Method) -> &'static str {
    match *method {
        reqwest::Method::GET => "GET",
        reqwest::Method::PATCH => "PATCH",
        reqwest::Method::POST => "POST",
        reqwest::Method::DELETE => "DELETE",
        reqwest::Method::PUT => "PUT",
        _ => "REQUEST",
    }
}

fn app_not_found(mut error: ApiError) -> ApiError {
    if error.kind == ApiErrorKind::NotFound {
        error.kind = ApiErrorKind::AppNotFound;
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy::default();
        let table = [
            (1, 500),
            (2, 1000),
            (3, 2000),
            (4, 4000),
            (5, 8000),
            (6, 8000),
            (40, 8000),
        ];
        for (from, expected) in table {
            assert_eq!(
                policy.backoff(from),
                Duration::from_millis(expected),
                "retry {from}"
            );
        }
    }

    #[test]
    fn path_segments_are_encoded() {
        for (from, expected) in [("my-app", "my-app"), ("a/b", "a%2Fb"), ("x y", "x%20y")] {
            assert_eq!(segment(from), expected);
        }
    }

    #[test]
    fn a_shown_request_masks_the_token() {
        let endpoint = Endpoint::resolve(None, None).expect("the default endpoint");
        let token = Token::new("tok-very-secret").expect("token");
        let client = Client::new(&endpoint, token, RetryPolicy::default()).expect("client");
        let shown = client
            .formation_update_request("my-app", "clock", &FormationUpdate::new(1, None))
            .to_string();
        assert!(!shown.contains("tok-very-secret"), "{shown}");
        assert!(
            shown.starts_with("PATCH https://api.heroku.com/apps/my-app/formation/clock\n"),
            "{shown}"
        );
        assert!(shown.contains("Authorization: Bearer ***\n"), "{shown}");
        assert!(
            shown.contains("Content-Type: application/json\n"),
            "{shown}"
        );
        assert!(shown.ends_with("\n{\"quantity\":1}\n"), "{shown}");
    }
}
