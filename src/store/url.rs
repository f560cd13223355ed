//! The database URL: `postgres://` or `postgresql://`, with libpq's `sslmode` meanings.
//!
//! tokio-postgres parses the URL itself but knows only `disable`, `prefer` and `require`,
//! and it would refuse `verify-ca`, `verify-full` and `sslrootcert`. So this module takes
//! those parameters out of the query string, hands the rest to tokio-postgres, and keeps
//! the TLS decision as a [`TlsMode`] of its own. The default follows what Heroku needs:
//! a host that is not loopback gets `require` (encrypt, do not verify: Heroku's server
//! certificates do not chain to a public CA), a loopback host or socket gets `prefer`.
//! No error here ever contains the URL: it holds a password.

use std::path::PathBuf;
use std::str::FromStr;

use tokio_postgres::config::Host;

/// How the connection uses TLS, as libpq's `sslmode` means it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain TCP only.
    Disable,
    /// TLS when the server offers it, without verifying; plain TCP otherwise.
    Prefer,
    /// TLS always, without verifying the certificate (libpq's `require`).
    Require,
    /// TLS, with a certificate chaining to the roots; any host name.
    VerifyCa { root_cert: Option<PathBuf> },
    /// TLS, with a certificate chaining to the roots and naming the host.
    VerifyFull { root_cert: Option<PathBuf> },
}

impl TlsMode {
    /// The `sslmode` spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            TlsMode::Disable => "disable",
            TlsMode::Prefer => "prefer",
            TlsMode::Require => "require",
            TlsMode::VerifyCa { .. } => "verify-ca",
            TlsMode::VerifyFull { .. } => "verify-full",
        }
    }
}

/// A parsed database URL, ready to connect.
#[derive(Clone)]
pub struct DatabaseUrl {
    pub config: tokio_postgres::Config,
    pub tls: TlsMode,
}

impl std::fmt::Debug for DatabaseUrl {
    /// Never the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseUrl")
            .field("hosts", &self.config.get_hosts())
            .field("dbname", &self.config.get_dbname())
            .field("tls", &self.tls)
            .finish()
    }
}

/// Why a URL cannot be used. None of these carries the URL itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// It does not start with `postgres://` or `postgresql://`.
    Scheme,
    /// `sslmode=` has a value libpq does not know.
    SslMode(String),
    /// tokio-postgres refused the rest (its message names the part, not the value).
    Malformed(String),
    /// The URL names no host (a Unix socket directory counts as a host).
    NoHost,
}

impl std::fmt::Display for UrlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UrlError::Scheme => write!(f, "it does not start with postgres:// or postgresql://"),
            UrlError::SslMode(found) => write!(
                f,
                "sslmode={found} is not one of disable, allow, prefer, require, verify-ca, verify-full"
            ),
            UrlError::Malformed(why) => write!(f, "it is malformed: {why}"),
            UrlError::NoHost => write!(f, "it names no host"),
        }
    }
}

/// Parses `text` as a PostgreSQL URL.
///
/// # Errors
/// A [`UrlError`] when the scheme is not PostgreSQL's, `sslmode` is unknown, or
/// tokio-postgres cannot parse the rest.
pub fn parse(text: &str) -> Result<DatabaseUrl, UrlError> {
    let text = text.trim();
    if !(text.starts_with("postgres://") || text.starts_with("postgresql://")) {
        return Err(UrlError::Scheme);
    }
    let (base, query) = match text.split_once('?') {
        Some((base, query)) => (base, query),
        None => (text, ""),
    };
    let mut sslmode: Option<String> = None;
    let mut root_cert: Option<PathBuf> = None;
    let mut kept: Vec<&str> = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "sslmode" => sslmode = Some(percent_decode(value)),
            "sslrootcert" => root_cert = Some(PathBuf::from(percent_decode(value))),
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    let config = tokio_postgres::Config::from_str(&rest)
        .map_err(|error| UrlError::Malformed(describe_parse_error(&error)))?;
    if config.get_hosts().is_empty() {
        return Err(UrlError::NoHost);
    }
    let loopback = config.get_hosts().iter().all(is_loopback);
    let tls = match sslmode.as_deref() {
        None if loopback => TlsMode::Prefer,
        None => TlsMode::Require,
        Some("disable") => TlsMode::Disable,
        // libpq's `allow` tries plain first; TLS when offered is the safer reading here.
        Some("allow" | "prefer") => TlsMode::Prefer,
        // libpq: "if a root CA file exists, the behavior of sslmode=require is the same
        // as that of verify-ca".
        Some("require") if root_cert.is_some() => TlsMode::VerifyCa { root_cert },
        Some("require") => TlsMode::Require,
        Some("verify-ca") => TlsMode::VerifyCa { root_cert },
        Some("verify-full") => TlsMode::VerifyFull { root_cert },
        Some(other) => {
            return Err(UrlError::SslMode(
                crate::visible::visible(other).into_owned(),
            ));
        }
    };
    Ok(DatabaseUrl { config, tls })
}

/// tokio-postgres's own words, which name the option but never echo a password.
fn describe_parse_error(error: &tokio_postgres::Error) -> String {
    use std::error::Error as _;
    match error.source() {
        Some(source) => source.to_string(),
        None => error.to_string(),
    }
}

fn is_loopback(host: &Host) -> bool {
    match host {
        Host::Tcp(name) => {
            let name = name.trim_start_matches('[').trim_end_matches(']');
            name.eq_ignore_ascii_case("localhost")
                || name
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        Host::Unix(_) => true,
    }
}

/// `%XX` escapes, as URLs write them; anything malformed is kept as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_defaults_to_require_off_loopback_and_prefer_on_it() {
        let cases = [
            (
                "postgres://u:p@ec2-1-2-3-4.compute-1.amazonaws.com:5432/d1",
                "require",
            ),
            ("postgresql://u@10.0.0.5/db", "require"),
            ("postgres://postgres@127.0.0.1:5432/x", "prefer"),
            ("postgres://postgres@localhost/x", "prefer"),
            ("postgres://postgres@[::1]:5432/x", "prefer"),
        ];
        for (url, mode) in cases {
            let parsed = parse(url).unwrap_or_else(|error| panic!("{url}: {error}"));
            assert_eq!(parsed.tls.as_str(), mode, "{url}");
        }
    }

    #[test]
    fn every_libpq_sslmode_is_read_and_removed_before_tokio_postgres_sees_it() {
        let cases = [
            ("disable", TlsMode::Disable),
            ("allow", TlsMode::Prefer),
            ("prefer", TlsMode::Prefer),
            ("require", TlsMode::Require),
            ("verify-ca", TlsMode::VerifyCa { root_cert: None }),
            ("verify-full", TlsMode::VerifyFull { root_cert: None }),
        ];
        for (mode, expected) in cases {
            let url = format!("postgres://u@db.example.com/d?sslmode={mode}&application_name=x");
            let parsed = parse(&url).unwrap_or_else(|error| panic!("{mode}: {error}"));
            assert_eq!(parsed.tls, expected, "{mode}");
            assert_eq!(parsed.config.get_application_name(), Some("x"));
        }
    }

    #[test]
    fn a_root_cert_turns_require_into_verify_ca_as_libpq_does() {
        let parsed =
            parse("postgres://u@h/d?sslmode=require&sslrootcert=%2Fetc%2Fca.pem").expect("valid");
        assert_eq!(
            parsed.tls,
            TlsMode::VerifyCa {
                root_cert: Some(PathBuf::from("/etc/ca.pem"))
            }
        );
        let full = parse("postgres://u@h/d?sslrootcert=/ca.pem&sslmode=verify-full").expect("ok");
        assert_eq!(
            full.tls,
            TlsMode::VerifyFull {
                root_cert: Some(PathBuf::from("/ca.pem"))
            }
        );
    }

    #[test]
    fn bad_urls_are_errors_that_never_echo_the_password() {
        let cases = [
            ("mysql://u:secret@h/d", UrlError::Scheme),
            ("https://u:secret@h/d", UrlError::Scheme),
            (
                "postgres://u:secret@h/d?sslmode=always",
                UrlError::SslMode("always".into()),
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(parse(url).err(), Some(expected), "{url}");
        }
        let malformed = parse("postgres://u:secret@h:notaport/d").expect_err("bad port");
        assert!(matches!(malformed, UrlError::Malformed(_)), "{malformed:?}");
        assert!(!malformed.to_string().contains("secret"), "{malformed}");
        let debug = format!("{:?}", parse("postgres://u:secret@h/d").expect("valid"));
        assert!(!debug.contains("secret"), "{debug}");
    }
}
