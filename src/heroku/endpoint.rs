//! Where the Platform API lives: `https://api.heroku.com`, or what `HEROKU_HOST` says.
//!
//! This follows the Heroku CLI: a `HEROKU_HOST` starting with `http://` or `https://` is the
//! API's base URL (a proxy, or a test server), anything else is a host name that the API
//! lives under as `https://api.HOST` (`heroku.example` → `https://api.heroku.example`). The
//! same value decides which `.netrc` machine holds the token (`api.HOST`, or the URL's
//! `host:port`) and which git hosts count as Heroku remotes. It does not send requests.

/// The API's default host.
pub const DEFAULT_HOST: &str = "heroku.com";

/// The resolved endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The base URL, without a trailing slash: `https://api.heroku.com`.
    pub base_url: String,
    /// The `.netrc` machine that holds the token: `api.heroku.com`, or `host:port` of a URL.
    pub netrc_machine: String,
    /// The host of SSH git remotes (`git@HOST:app.git`).
    pub git_ssh_host: String,
    /// The host of HTTPS git remotes (`https://HOST/app.git`).
    pub git_http_host: String,
}

impl Endpoint {
    /// Resolves `HEROKU_HOST` (`heroku_host`) and `HEROKU_GIT_HOST` (`git_host`); empty
    /// values count as unset.
    pub fn resolve(heroku_host: Option<&str>, git_host: Option<&str>) -> Endpoint {
        let host = heroku_host
            .map(str::trim)
            .filter(|host| !host.is_empty())
            .unwrap_or(DEFAULT_HOST);
        let git_override = git_host.map(str::trim).filter(|host| !host.is_empty());
        if host.starts_with("http://") || host.starts_with("https://") {
            let base_url = host.trim_end_matches('/').to_owned();
            let authority = base_url
                .split_once("://")
                .map_or("", |(_, rest)| rest)
                .split('/')
                .next()
                .unwrap_or("")
                .to_owned();
            // A URL names where the API answers (a proxy or a local test server), not a
            // Heroku installation: app remotes still live on Heroku's own git host.
            let (ssh, http) = match git_override {
                Some(git) => (git.to_owned(), git.to_owned()),
                None => (DEFAULT_HOST.to_owned(), format!("git.{DEFAULT_HOST}")),
            };
            Endpoint {
                base_url,
                netrc_machine: authority,
                git_ssh_host: ssh,
                git_http_host: http,
            }
        } else {
            let (ssh, http) = match git_override {
                Some(git) => (git.to_owned(), git.to_owned()),
                None => (host.to_owned(), format!("git.{host}")),
            };
            Endpoint {
                base_url: format!("https://api.{host}"),
                netrc_machine: format!("api.{host}"),
                git_ssh_host: ssh,
                git_http_host: http,
            }
        }
    }

    /// From the process environment.
    pub fn from_env() -> Endpoint {
        let host = std::env::var("HEROKU_HOST").ok();
        let git = std::env::var("HEROKU_GIT_HOST").ok();
        Endpoint::resolve(host.as_deref(), git.as_deref())
    }

    /// True when requests go to Heroku itself or to this machine; anything else gets a
    /// warning, because the token is sent there.
    pub fn is_expected_destination(&self) -> bool {
        let host = self
            .netrc_machine
            .rsplit_once(':')
            .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
            .map_or(self.netrc_machine.as_str(), |(host, _)| host);
        host == "localhost"
            || host == "127.0.0.1"
            || host == "[::1]"
            || host == "heroku.com"
            || host.ends_with(".heroku.com")
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
            let endpoint = Endpoint::resolve(*host, *git);
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
        ] {
            assert_eq!(
                Endpoint::resolve(from, None).is_expected_destination(),
                expected,
                "HEROKU_HOST={from:?}"
            );
        }
    }
}
