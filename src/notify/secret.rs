//! What delivery adds to credential URLs: transport errors without the URL, and run ids.
//!
//! The URLs themselves are [`crate::credential::SecretUrl`]s, resolved from the
//! environment when the clock starts and never shown. Errors from the HTTP library go
//! through [`describe_error`], which drops the URL reqwest puts in its text.

pub use crate::credential::SecretUrl;

/// A transport error in a few words, without the URL: what failed and its innermost
/// cause ("connection failed: Connection refused (os error 111)"). `url` is removed from
/// the text as well, should any cause quote it.
pub fn describe_error(error: reqwest::Error, url: &SecretUrl) -> String {
    let error = error.without_url();
    let what = if error.is_timeout() {
        "no answer in time"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let mut innermost = None;
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        innermost = Some(cause.to_string());
        source = cause.source();
    }
    let text = match innermost {
        Some(cause) if !error.is_timeout() => format!("{what}: {cause}"),
        _ => what.to_owned(),
    };
    let full = url.expose().as_str();
    let path = url.expose().path();
    let text = text.replace(full, &url.host());
    if path.len() > 1 {
        text.replace(path, "/…")
    } else {
        text
    }
}

/// A random (version 4) UUID, lower-case and hyphenated: one per run, shared by every
/// service that pairs a start with its end (healthchecks `rid`, Cronitor `series`,
/// Sentry `check_in_id`, the webhook's `run_id`). The same generator as the Platform
/// API's `Request-Id`s.
pub fn new_uuid() -> String {
    crate::heroku::request_id::new_request_id()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_version_4_and_differ() {
        let (a, b) = (new_uuid(), new_uuid());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!("89ab".contains(&a[19..20]), "{a}");
    }

    #[tokio::test]
    async fn transport_errors_never_quote_the_url() {
        // Port 9 on loopback: nothing listens there, so the connection is refused.
        let url = SecretUrl::parse("http://127.0.0.1:9/secret-token-123").expect("url");
        let error = reqwest::Client::new()
            .get(url.expose().clone())
            .send()
            .await
            .expect_err("refused");
        assert!(
            error.to_string().contains("secret-token-123"),
            "reqwest does quote it"
        );
        let text = describe_error(error, &url);
        assert!(!text.contains("secret-token-123"), "{text}");
        assert!(text.starts_with("connection failed"), "{text}");
    }
}
