//! Credentials: ping URLs, webhook URLs, Sentry DSNs and signing keys, parsed and never
//! shown.
//!
//! This module owns what a valid credential *is*, so that the clock when it starts
//! ([`crate::notify`]) and the checker of a clock.yml ([`crate::config`], for a literal
//! value and for `clockctl validate --env-dir`) accept exactly the same values. Each parser
//! says what is wrong without quoting the value. Sending to these URLs, and the words of
//! log lines about them, belong to [`crate::notify`].

mod dsn;
mod signing_key;
mod url;

use std::fmt;

pub use dsn::{Dsn, DsnError};
pub use signing_key::{KeyError, SigningKey};
pub use url::{SecretUrl, UrlError};

/// What a credential field holds, and so how its value is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An http(s) URL: `slack`, `webhook`, `healthchecks`, `cronitor`, `snitch`.
    Url,
    /// A Sentry DSN: `sentry.dsn`.
    Dsn,
    /// A Standard Webhooks key: `secret`.
    SigningKey,
}

/// Why a value is not the credential its field wants (never quoting the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Url(UrlError),
    Dsn(DsnError),
    Key(KeyError),
}

impl Kind {
    /// Checks `value` exactly as the clock reads it when it starts.
    ///
    /// # Errors
    /// The [`Problem`] the clock would disable the channel or monitor for.
    pub fn check(self, value: &str) -> Result<(), Problem> {
        match self {
            Kind::Url => SecretUrl::parse(value).map(drop).map_err(Problem::Url),
            Kind::Dsn => Dsn::parse(value).map(drop).map_err(Problem::Dsn),
            Kind::SigningKey => SigningKey::parse(value).map(drop).map_err(Problem::Key),
        }
    }

    /// What the field wants, in words: `an http(s) URL`.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Url => "an http(s) URL",
            Kind::Dsn => "a Sentry DSN",
            Kind::SigningKey => "a Standard Webhooks key (whsec_…)",
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Url(error) => error.fmt(f),
            Problem::Dsn(error) => error.fmt(f),
            Problem::Key(error) => error.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_accepts_what_the_clock_accepts() {
        let cases = [
            (Kind::Url, "https://hc-ping.com/0f4c2a7e", true),
            (Kind::Url, "not-a-url", false),
            (Kind::Url, "ftp://x.example.com/a", false),
            (Kind::Dsn, "https://abc123@o42.ingest.sentry.io/4505", true),
            (Kind::Dsn, "https://o42.ingest.sentry.io/4505", false),
            (
                Kind::SigningKey,
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                true,
            ),
            (Kind::SigningKey, "whsec_c2hvcnQ=", false),
        ];
        for (kind, value, ok) in cases {
            let checked = kind.check(value);
            assert_eq!(checked.is_ok(), ok, "{kind:?} {value}: {checked:?}");
            if let Err(problem) = checked {
                assert!(!problem.to_string().contains(value), "{problem}");
            }
        }
    }
}
