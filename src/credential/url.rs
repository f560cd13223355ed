//! A credential URL (a ping URL, a webhook URL): parsed once, and shown as its host only.
//!
//! A [`SecretUrl`] prints as its host only (`hc-ping.com`), in `Debug` and `Display`
//! alike, so a log line, an error message or JSON output built from it cannot leak the
//! token in its path. The full URL leaves this type only to be sent.

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
}
