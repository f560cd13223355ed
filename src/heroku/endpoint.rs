//! Where the Platform API lives: `https://api.heroku.com`, or what `HEROKU_HOST` says.
//!
//! This follows the Heroku CLI: a `HEROKU_HOST` starting with `http://` or `https://` is the
//! API's base URL (a proxy, or a test server), anything else is a host name that the API
//! lives under as `https://api.HOST` (`heroku.example` → `https://api.heroku.example`). The
//! same value decides which `.netrc` machine holds the token (`api.HOST`, or the URL's
//! `host:port`) and which git hosts count as Heroku remotes. The value is parsed as a URL
//! (the rules browsers and the HTTP client use), so the host checked is the host the token
//! is sent to; a URL with user information, a query or a fragment is refused, and user
//! information is never repeated back. It does not send requests.

use std::fmt;

use reqwest::Url;

/// The API's default host.
pub const DEFAULT_HOST: &str = "heroku.com";

/// The resolved endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The base URL, without a trailing slash: `https://api.heroku.com`.
    pub base_url: String,
    /// The host the requests (and the token) go to: `api.heroku.com`.
    pub host: String,
    /// The `.netrc` machine that holds the token: `api.heroku.com`, or `host:port` of a URL.
    pub netrc_machine: String,
    /// The host of SSH git remotes (`git@HOST:app.git`).
    pub git_ssh_host: String,
    /// The host of HTTPS git remotes (`https://HOST/app.git`).
    pub git_http_host: String,
}

/// Why a `HEROKU_HOST` value cannot be used. None of them carries the value's user
/// information, so none can print a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointError {
    /// Not a URL the HTTP client can send to.
    NotAUrl { value: String, reason: String },
    /// Neither a URL nor a plain host name (`heroku.example`).
    NotAHost { value: String },
    /// `user:password@` in the URL: credentials belong in `.netrc` or `HEROKU_API_KEY`.
    UserInfo { shown: String },
    /// `?…`: the API's base URL takes no query.
    Query { shown: String },
    /// `#…`: the API's base URL takes no fragment.
    Fragment { shown: String },
}

impl Endpoint {
    /// Resolves `HEROKU_HOST` (`heroku_host`) and `HEROKU_GIT_HOST` (`git_host`); empty
    /// values count as unset.
    ///
    /// # Errors
    /// [`EndpointError`] when `HEROKU_HOST` is not a usable URL or host name.
    pub fn resolve(
        heroku_host: Option<&str>,
        git_host: Option<&str>,
    ) -> Result<Endpoint, EndpointError> {
        let host = heroku_host
            .map(str::trim)
            .filter(|host| !host.is_empty())
            .unwrap_or(DEFAULT_HOST);
        let git_override = git_host.map(str::trim).filter(|host| !host.is_empty());
        let is_url = host.starts_with("http://") || host.starts_with("https://");
        let url = if is_url {
            parse_base_url(host)?
        } else if is_host_name(host) {
            parse_base_url(&format!("https://api.{host}"))?
        } else {
            return Err(EndpointError::NotAHost {
                value: host.to_owned(),
            });
        };
        let api_host = url.host_str().unwrap_or_default().to_owned();
        let netrc_machine = match url.port() {
            Some(port) if is_url => format!("{api_host}:{port}"),
            _ => api_host.clone(),
        };
        // A URL names where the API answers (a proxy or a local test server), not a
        // Heroku installation: app remotes still live on Heroku's own git host.
        let git_domain = if is_url { DEFAULT_HOST } else { host };
        let (ssh, http) = match git_override {
            Some(git) => (git.to_owned(), git.to_owned()),
            None => (git_domain.to_owned(), format!("git.{git_domain}")),
        };
        Ok(Endpoint {
            base_url: url.as_str().trim_end_matches('/').to_owned(),
            host: api_host,
            netrc_machine,
            git_ssh_host: ssh,
            git_http_host: http,
        })
    }

    /// From the process environment.
    ///
    /// # Errors
    /// As [`Endpoint::resolve`].
    pub fn from_env() -> Result<Endpoint, EndpointError> {
        let host = std::env::var("HEROKU_HOST").ok();
        let git = std::env::var("HEROKU_GIT_HOST").ok();
        Endpoint::resolve(host.as_deref(), git.as_deref())
    }

    /// True when requests go to Heroku itself or to this machine; anything else gets a
    /// warning, because the token is sent there.
    pub fn is_expected_destination(&self) -> bool {
        let host = self.host.as_str();
        host == "localhost"
            || host == "127.0.0.1"
            || host == "[::1]"
            || host == "heroku.com"
            || host.ends_with(".heroku.com")
    }
}

/// `value` parsed as the API's base URL: http or https, a host, and nothing after the path.
fn parse_base_url(value: &str) -> Result<Url, EndpointError> {
    let url = Url::parse(value).map_err(|error| EndpointError::NotAUrl {
        value: without_user_info(value),
        reason: error.to_string(),
    })?;
    let shown = || without_user_info(value);
    if !url.username().is_empty() || url.password().is_some() {
        return Err(EndpointError::UserInfo { shown: shown() });
    }
    if url.query().is_some() {
        return Err(EndpointError::Query { shown: shown() });
    }
    if url.fragment().is_some() {
        return Err(EndpointError::Fragment { shown: shown() });
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(EndpointError::NotAUrl {
            value: shown(),
            reason: "it names no host".to_owned(),
        });
    }
    Ok(url)
}

/// A host name as the Heroku CLI takes it: letters, digits, dots and hyphens.
fn is_host_name(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && !value.starts_with('.')
        && !value.ends_with('.')
}

/// `value` with anything between `://` and the last `@` of its authority shown as `***`,
/// so that a password in it is never printed.
fn without_user_info(value: &str) -> String {
    let Some((scheme, rest)) = value.split_once("://") else {
        return value.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => value.to_owned(),
    }
}

impl fmt::Display for EndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndpointError::NotAUrl { value, reason } => {
                write!(
                    f,
                    "HEROKU_HOST={value:?} is not a URL clockctl can use: {reason}"
                )
            }
            EndpointError::NotAHost { value } => write!(
                f,
                "HEROKU_HOST={value:?} is neither an http(s) URL nor a host name"
            ),
            EndpointError::UserInfo { shown } => write!(
                f,
                "HEROKU_HOST={shown:?} holds a user name or password, which clockctl does not send"
            ),
            EndpointError::Query { shown } => {
                write!(
                    f,
                    "HEROKU_HOST={shown:?} has a query (`?…`), which an API base URL cannot have"
                )
            }
            EndpointError::Fragment { shown } => write!(
                f,
                "HEROKU_HOST={shown:?} has a fragment (`#…`), which an API base URL cannot have"
            ),
        }
    }
}

impl EndpointError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            EndpointError::UserInfo { .. } => {
                "remove the user name and password (up to the `@`) from HEROKU_HOST; the token comes from HEROKU_API_KEY or ~/.netrc"
            }
            _ => {
                "set HEROKU_HOST to a host name (heroku.example) or a base URL (https://api.example.com), or unset it to use Heroku's API"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Base URL, netrc machine, git SSH host, git HTTPS host.
    type Resolved = (&'static str, &'static str, &'static str, &'static str);

    #[test]
    fn resolves_heroku_host_as_the_heroku_cli_does() {
        let table: &[(Option<&str>, Option<&str>, Resolved)] = &[
            (
                None,
                None,
                (
                    "https://api.heroku.com",
                    "api.heroku.com",
                    "heroku.com",
                    "git.heroku.com",
                ),
            ),
            (
                Some(""),
                None,
                (
                    "https://api.heroku.com",
                    "api.heroku.com",
                    "heroku.com",
                    "git.heroku.com",
                ),
            ),
            (
                Some("heroku.example"),
                None,
                (
                    "https://api.heroku.example",
                    "api.heroku.example",
                    "heroku.example",
                    "git.heroku.example",
                ),
            ),
            (
                Some("http://127.0.0.1:5000"),
                None,
                (
                    "http://127.0.0.1:5000",
                    "127.0.0.1:5000",
                    "heroku.com",
                    "git.heroku.com",
                ),
            ),
            (
                Some("https://proxy.example/heroku/"),
                None,
                (
                    "https://proxy.example/heroku",
                    "proxy.example",
                    "heroku.com",
                    "git.heroku.com",
                ),
            ),
            (
                Some("heroku.example"),
                Some("git.example"),
                (
                    "https://api.heroku.example",
                    "api.heroku.example",
                    "git.example",
                    "git.example",
                ),
            ),
        ];
        for (host, git, (base, machine, ssh, http)) in table {
            let endpoint = Endpoint::resolve(*host, *git).expect("resolves");
            assert_eq!(
                (
                    endpoint.base_url.as_str(),
                    endpoint.netrc_machine.as_str(),
                    endpoint.git_ssh_host.as_str(),
                    endpoint.git_http_host.as_str()
                ),
                (*base, *machine, *ssh, *http),
                "HEROKU_HOST={host:?} HEROKU_GIT_HOST={git:?}"
            );
        }
    }

    #[test]
    fn only_heroku_and_loopback_are_expected_destinations() {
        for (from, expected) in [
            (None, true),
            (Some("http://127.0.0.1:4567"), true),
            (Some("http://localhost:4567"), true),
            (Some("heroku.example"), false),
            (Some("https://evil.example"), false),
            (Some("https://api.heroku.com.evil.example"), false),
            (Some("https://evil.example\\.heroku.com"), false),
            (Some("https://evil.example/.heroku.com"), false),
            (Some("https://api.heroku.com:443/"), true),
        ] {
            assert_eq!(
                Endpoint::resolve(from, None)
                    .expect("resolves")
                    .is_expected_destination(),
                expected,
                "HEROKU_HOST={from:?}"
            );
        }
    }

    #[test]
    fn urls_with_user_information_a_query_or_a_fragment_are_refused() {
        let table: &[(&str, &str)] = &[
            ("https://evil.example?.heroku.com", "has a query"),
            ("https://evil.example#.heroku.com", "has a fragment"),
            (
                "http://user:secret@127.0.0.1:5000",
                "holds a user name or password",
            ),
            (
                "https://token@api.heroku.com",
                "holds a user name or password",
            ),
            (
                "evil.example?.heroku.com",
                "neither an http(s) URL nor a host name",
            ),
            ("#.heroku.com", "neither an http(s) URL nor a host name"),
            (
                "evil.example\\.heroku.com",
                "neither an http(s) URL nor a host name",
            ),
            ("https://", "is not a URL clockctl can use"),
        ];
        for (from, expected) in table {
            let error = Endpoint::resolve(Some(from), None).expect_err(from);
            let words = error.to_string();
            assert!(words.contains(expected), "HEROKU_HOST={from:?}: {words}");
            assert!(
                !words.contains("secret") && !words.contains("user:") && !words.contains("token@"),
                "user information echoed: {words}"
            );
        }
    }

    #[test]
    fn a_backslash_does_not_hide_the_host() {
        let endpoint =
            Endpoint::resolve(Some("https://evil.example\\.heroku.com"), None).expect("resolves");
        assert_eq!(endpoint.host, "evil.example");
        assert!(!endpoint.is_expected_destination());
    }
}
