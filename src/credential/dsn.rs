//! A Sentry DSN, `{scheme}://{public_key}@{host}/{project}`, and the Crons endpoint it
//! gives: `{scheme}://{host}/api/{project}/cron/{slug}/{public_key}/`.
//!
//! The public key is a credential (it lets anyone send to the project), so a [`Dsn`]
//! shows as its host only, as a [`SecretUrl`] does. What a check-in sends is
//! [`crate::notify`]'s business.

use std::fmt;

use reqwest::Url;

use super::url::SecretUrl;

/// A DSN with every part the Crons endpoint needs.
#[derive(Clone, PartialEq, Eq)]
pub struct Dsn(Url);

/// Why a DSN gives no endpoint (never quoting it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DsnError {
    NotAUrl,
    NoPublicKey,
    NoProject,
}

impl fmt::Display for DsnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DsnError::NotAUrl => "the DSN is not a URL",
            DsnError::NoPublicKey => "the DSN has no public key (the part before @)",
            DsnError::NoProject => "the DSN has no project id at the end of its path",
        })
    }
}

impl Dsn {
    /// Parses a resolved DSN.
    ///
    /// # Errors
    /// [`DsnError`] when it is not an http(s) URL with a host, or lacks its public key or
    /// its project id.
    pub fn parse(text: &str) -> Result<Dsn, DsnError> {
        let url = Url::parse(text.trim()).map_err(|_| DsnError::NotAUrl)?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
            return Err(DsnError::NotAUrl);
        }
        if url.username().is_empty() {
            return Err(DsnError::NoPublicKey);
        }
        if !url.path().split('/').any(|s| !s.is_empty()) {
            return Err(DsnError::NoProject);
        }
        Ok(Dsn(url))
    }

    /// The check-in endpoint for monitor `slug` of this project.
    pub fn endpoint(&self, slug: &str) -> SecretUrl {
        let key = self.0.username().to_owned();
        let segments: Vec<&str> = self.0.path().split('/').filter(|s| !s.is_empty()).collect();
        let (project, prefix) = segments.split_last().unwrap_or((&"", &[]));
        let prefix: String = prefix.iter().map(|s| format!("/{s}")).collect();
        let path = format!("{prefix}/api/{project}/cron/{slug}/{key}/");
        let mut url = self.0.clone();
        // Neither can fail on an http(s) URL with a host, which `parse` made sure of.
        let _ = url.set_username("");
        let _ = url.set_password(None);
        url.set_path(&path);
        url.set_query(None);
        url.set_fragment(None);
        SecretUrl::from_derived(url)
    }
}

impl fmt::Debug for Dsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dsn({})", self.0.host_str().unwrap_or("?"))
    }
}
