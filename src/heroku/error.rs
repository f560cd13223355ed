//! What can go wrong talking to the Platform API, and what the user should do about it.
//!
//! [`ApiError`] is data: which request, the HTTP status, Heroku's own error `id` and
//! `message`, the `Request-Id`, how many attempts were made. [`ApiErrorKind`] is the one
//! decision made from that data (see [`classify`]), and the `Display` and
//! [`ApiError::hint`] impls below are the only place that puts it into words.

use std::fmt;
use std::time::Duration;

use crate::visible::visible;

/// What kind of failure, decided from the status, Heroku's error `id` and the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiErrorKind {
    /// 401: the token is wrong, expired or revoked.
    Unauthorized,
    /// 403 `two_factor`: the account needs a second factor for this token.
    TwoFactor,
    /// 403: the account has no access to the app.
    Forbidden,
    /// 404 for the app itself.
    AppNotFound,
    /// 404 for the process type, on an app that exists.
    NoProcessType,
    /// 404 for something else.
    NotFound,
    /// 422: Heroku refused the request (an invalid size, for example).
    Invalid,
    /// 429 until the retry budget ran out.
    RateLimited,
    /// 5xx until the retry budget ran out.
    Unavailable,
    /// The connection failed until the retry budget ran out.
    Unreachable,
    /// No answer within the request timeout, until the retry budget ran out.
    TimedOut,
    /// A 2xx whose body is not the resource the schema describes.
    BadResponse,
    /// Any other status.
    Other,
}

/// A failed Platform API call.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub kind: ApiErrorKind,
    pub method: &'static str,
    pub url: String,
    /// The app the request was about.
    pub app: String,
    /// The process type, for formation requests.
    pub process_type: Option<String>,
    pub status: Option<u16>,
    /// Heroku's error `id` (`unauthorized`, `not_found`, `two_factor`, …).
    pub id: Option<String>,
    /// Heroku's error `message`, or the transport error.
    pub message: Option<String>,
    /// The response's `Request-Id` when there was one, else the one sent.
    pub request_id: String,
    pub attempts: u32,
    pub elapsed: Duration,
}

/// The kind of a non-success status. 404s are refined by the caller, which knows whether
/// the app exists (see `Client::formation_info`).
pub fn classify(status: u16, id: Option<&str>) -> ApiErrorKind {
    match (status, id) {
        (401, _) => ApiErrorKind::Unauthorized,
        (403, Some("two_factor")) => ApiErrorKind::TwoFactor,
        (403, _) => ApiErrorKind::Forbidden,
        (404, _) => ApiErrorKind::NotFound,
        (422, _) => ApiErrorKind::Invalid,
        (429, _) => ApiErrorKind::RateLimited,
        (500..=599, _) => ApiErrorKind::Unavailable,
        _ => ApiErrorKind::Other,
    }
}

impl ApiError {
    /// `(401 unauthorized: Invalid credentials provided.)`, from what Heroku said, with
    /// any control character in it made visible.
    fn said(&self) -> String {
        let status = self.status.map(|s| s.to_string());
        let id = self.id.as_deref().map(visible);
        let message = self.message.as_deref().map(visible);
        let head: Vec<&str> = [status.as_deref(), id.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        match (head.is_empty(), message.as_deref()) {
            (true, None) => String::new(),
            (true, Some(message)) => format!(" ({message})"),
            (false, None) => format!(" ({})", head.join(" ")),
            (false, Some(message)) => format!(" ({}: {message})", head.join(" ")),
        }
    }

    fn process(&self) -> &str {
        self.process_type.as_deref().unwrap_or("clock")
    }

    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        let app = &self.app;
        let hint = match self.kind {
            ApiErrorKind::Unauthorized => {
                "run `heroku login`, or check HEROKU_API_KEY (`heroku authorizations` lists your tokens)".to_owned()
            }
            ApiErrorKind::TwoFactor => {
                "create a token for scripts with `heroku authorizations:create` and set HEROKU_API_KEY to it".to_owned()
            }
            ApiErrorKind::Forbidden => format!(
                "check --app; to manage `{app}` your account must be its owner or a collaborator with the deploy/operate permission"
            ),
            ApiErrorKind::AppNotFound => {
                "check --app (or HEROKU_APP, or the git remote); `heroku apps` lists your apps".to_owned()
            }
            ApiErrorKind::NoProcessType => format!(
                "add the heroku-clock buildpack and a `{}:` line to the Procfile, deploy (`git push heroku main`), then scale",
                self.process()
            ),
            ApiErrorKind::Invalid => {
                "`heroku ps:type --help` lists the dyno sizes".to_owned()
            }
            ApiErrorKind::RateLimited => {
                "the account made too many API calls; wait a minute and try again".to_owned()
            }
            ApiErrorKind::Unavailable | ApiErrorKind::Unreachable | ApiErrorKind::TimedOut => {
                "check https://status.heroku.com and your network, then try again".to_owned()
            }
            ApiErrorKind::NotFound | ApiErrorKind::BadResponse | ApiErrorKind::Other => {
                return None;
            }
        };
        Some(hint)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let app = &self.app;
        let said = self.said();
        let tries = match self.attempts {
            0 | 1 => String::new(),
            n => format!(
                " after {n} attempts over {:.1}s",
                self.elapsed.as_secs_f64()
            ),
        };
        match self.kind {
            ApiErrorKind::Unauthorized => write!(f, "Heroku did not accept the API token{said}")?,
            ApiErrorKind::TwoFactor => write!(
                f,
                "the account needs a second factor for this request, which a plain token cannot give{said}"
            )?,
            ApiErrorKind::Forbidden => {
                write!(f, "your account has no access to the app `{app}`{said}")?
            }
            ApiErrorKind::AppNotFound => write!(
                f,
                "there is no app named `{app}` that your account can see{said}"
            )?,
            ApiErrorKind::NoProcessType => write!(
                f,
                "the app's current release has no {} process{said}",
                self.process()
            )?,
            ApiErrorKind::NotFound => write!(f, "not found{said}")?,
            ApiErrorKind::Invalid => write!(f, "Heroku refused the request{said}")?,
            ApiErrorKind::RateLimited => {
                write!(f, "Heroku kept rate-limiting the requests{said}{tries}")?
            }
            ApiErrorKind::Unavailable => write!(f, "the Heroku API kept failing{said}{tries}")?,
            ApiErrorKind::Unreachable => {
                write!(f, "could not connect to the Heroku API{said}{tries}")?
            }
            ApiErrorKind::TimedOut => {
                write!(f, "the Heroku API did not answer in time{said}{tries}")?
            }
            ApiErrorKind::BadResponse => write!(
                f,
                "the Heroku API sent an answer clockctl cannot read{said}"
            )?,
            ApiErrorKind::Other => write!(f, "the Heroku API request failed{said}")?,
        }
        write!(
            f,
            "\n  request: {} {} (Request-Id {})",
            self.method, self.url, self.request_id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_statuses_and_ids() {
        let table = [
            ((401, Some("unauthorized")), ApiErrorKind::Unauthorized),
            ((403, Some("forbidden")), ApiErrorKind::Forbidden),
            ((403, Some("two_factor")), ApiErrorKind::TwoFactor),
            ((403, None), ApiErrorKind::Forbidden),
            ((404, Some("not_found")), ApiErrorKind::NotFound),
            ((422, Some("invalid_params")), ApiErrorKind::Invalid),
            ((429, Some("rate_limit")), ApiErrorKind::RateLimited),
            ((503, None), ApiErrorKind::Unavailable),
            ((418, None), ApiErrorKind::Other),
        ];
        for ((status, id), expected) in table {
            assert_eq!(classify(status, id), expected, "status {status} id {id:?}");
        }
    }

    fn error(kind: ApiErrorKind, status: u16, id: &str, message: &str) -> ApiError {
        ApiError {
            kind,
            method: "GET",
            url: "https://api.heroku.com/apps/my-app/formation/clock".into(),
            app: "my-app".into(),
            process_type: Some("clock".into()),
            status: Some(status),
            id: Some(id.into()),
            message: Some(message.into()),
            request_id: "0000".into(),
            attempts: 1,
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn words_say_what_happened_and_what_to_do() {
        let table = [
            (
                error(
                    ApiErrorKind::Unauthorized,
                    401,
                    "unauthorized",
                    "Invalid credentials provided.",
                ),
                "Heroku did not accept the API token (401 unauthorized: Invalid credentials provided.)\n  request: GET https://api.heroku.com/apps/my-app/formation/clock (Request-Id 0000)",
                Some("heroku login"),
            ),
            (
                error(
                    ApiErrorKind::TwoFactor,
                    403,
                    "two_factor",
                    "A second authentication factor is required.",
                ),
                "the account needs a second factor for this request, which a plain token cannot give (403 two_factor: A second authentication factor is required.)\n  request: GET https://api.heroku.com/apps/my-app/formation/clock (Request-Id 0000)",
                Some("heroku authorizations:create"),
            ),
            (
                error(
                    ApiErrorKind::NoProcessType,
                    404,
                    "not_found",
                    "Couldn't find that process type (clock).",
                ),
                "the app's current release has no clock process (404 not_found: Couldn't find that process type (clock).)\n  request: GET https://api.heroku.com/apps/my-app/formation/clock (Request-Id 0000)",
                Some("buildpack"),
            ),
            (
                error(
                    ApiErrorKind::AppNotFound,
                    404,
                    "not_found",
                    "Couldn't find that app.",
                ),
                "there is no app named `my-app` that your account can see (404 not_found: Couldn't find that app.)\n  request: GET https://api.heroku.com/apps/my-app/formation/clock (Request-Id 0000)",
                Some("--app"),
            ),
        ];
        for (from, message, hint) in table {
            assert_eq!(from.to_string(), message);
            let got = from.hint().unwrap_or_default();
            assert!(
                hint.is_none_or(|h| got.contains(h)),
                "hint {got:?} lacks {hint:?}"
            );
        }
    }
}
