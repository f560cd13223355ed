//! Credentials: ping URLs, webhook URLs, DSNs and signing keys, resolved from the
//! environment when the clock starts and never shown.
//!
//! A [`SecretUrl`] prints as its host only (`hc-ping.com`), in `Debug` and `Display`
//! alike, so a log line, an error message or JSON output built from it cannot leak the
//! token in its path. The full URL leaves this type only to be sent. Errors from the HTTP
//! library go through [`describe_error`], which drops the URL reqwest puts in its text.

use std::fmt;

use reqwest::Url;

/// A URL whose path, query and user part are a credential.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl(Url);

/// Why a resolved value is not a URL the clock can send to (never quoting the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    NotAUrl,
    Scheme(String),
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::NotAUrl => write!(f, "the value is not a URL"),
            UrlError::Scheme(scheme) => {
                write!(f, "the URL's scheme is \"{scheme}\", not http or https")
            }
        }
    }
}

impl SecretUrl {
    /// Parses a resolved value.
    ///
    /// # Errors
    /// [`UrlError`] when it is not an http(s) URL with a host.
    pub fn parse(text: &str) -> Result<SecretUrl, UrlError> {
        let url = Url::parse(text.trim()).map_err(|_| UrlError::NotAUrl)?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(UrlError::Scheme(url.scheme().to_owned()));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(UrlError::NotAUrl);
        }
        Ok(SecretUrl(url))
    }

    /// The host, and the port when it is not the scheme's default: all that is ever shown.
    pub fn host(&self) -> String {
        let host = self.0.host_str().unwrap_or("?");
        match self.0.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }

    /// The URL itself, for sending (and for building a derived URL).
    pub fn expose(&self) -> &Url {
        &self.0
    }

    /// Wraps a URL derived from a secret one (a suffix, a query): it is secret too.
    pub fn from_derived(url: Url) -> SecretUrl {
        SecretUrl(url)
    }

    /// This URL with `suffix` appended to its path (`/start`) and `pairs` added to its
    /// query, each value percent-encoded.
    pub fn with(&self, suffix: &str, pairs: &[(&str, &str)]) -> SecretUrl {
        let mut url = self.0.clone();
        if !suffix.is_empty() {
            let path = format!("{}{suffix}", url.path().trim_end_matches('/'));
            url.set_path(&path);
        }
        if !pairs.is_empty() {
            url.query_pairs_mut().extend_pairs(pairs);
        }
        SecretUrl(url)
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretUrl({})", self.host())
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.host())
    }
}

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
/// Sentry `check_in_id`, the webhook's `run_id`).
pub fn new_uuid() -> String {
    use ring::rand::SecureRandom as _;
    let mut bytes = [0_u8; 16];
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        // No system randomness: fall back on the clock and a counter, still unique here.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = nanos.to_le_bytes();
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN_URL: &str = "https://hc-ping.com/0f4c2a7e-9b1d-4e5a-8c3f-1a2b3c4d5e6f";

    #[test]
    fn shows_only_the_host() {
        let url = SecretUrl::parse(TOKEN_URL).expect("url");
        for shown in [url.to_string(), format!("{url:?}"), url.host()] {
            assert!(!shown.contains("0f4c2a7e"), "{shown}");
            assert!(shown.contains("hc-ping.com"), "{shown}");
        }
        let local = SecretUrl::parse("http://127.0.0.1:8125/p/key").expect("url");
        assert_eq!(local.host(), "127.0.0.1:8125");
    }

    #[test]
    fn rejects_what_cannot_be_sent_without_quoting_it() {
        assert_eq!(SecretUrl::parse("hc-ping.com/abc"), Err(UrlError::NotAUrl));
        assert_eq!(
            SecretUrl::parse("ftp://x/secret"),
            Err(UrlError::Scheme("ftp".into()))
        );
        assert!(
            !UrlError::Scheme("ftp".into())
                .to_string()
                .contains("secret")
        );
    }

    #[test]
    fn appends_path_and_query() {
        let url = SecretUrl::parse("https://hc-ping.com/key/slug?create=1").expect("url");
        let start = url.with("/start", &[("rid", "r 1")]);
        assert_eq!(
            start.expose().as_str(),
            "https://hc-ping.com/key/slug/start?create=1&rid=r+1"
        );
    }

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
