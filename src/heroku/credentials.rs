//! Finding the API token the way the Heroku CLI finds it.
//!
//! `HEROKU_API_KEY` first; else the `.netrc` in `$HOME`, whose entry for the API host (see
//! [`super::endpoint`]) holds the token as its `password` (that is what `heroku login`
//! writes). A `.netrc` that group or others may read still works, with a warning. This
//! module reads the file; parsing belongs to [`super::netrc`].

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use super::netrc::{self, NetrcSyntaxError};
use super::token::Token;

/// Where the token came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    EnvVar,
    Netrc(PathBuf),
}

/// Something worth telling the user that does not stop the command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialsWarning {
    /// The `.netrc` holding the token is readable by group or others.
    NetrcReadableByOthers { path: PathBuf, mode: u32 },
}

/// A token and where it was found.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub token: Token,
    pub source: TokenSource,
    pub warnings: Vec<CredentialsWarning>,
}

/// Why no token could be found.
#[derive(Debug)]
pub enum CredentialsError {
    /// Neither `HEROKU_API_KEY` nor a `.netrc` entry for `machine`.
    Missing {
        machine: String,
        netrc: Option<PathBuf>,
    },
    /// The `.netrc` exists but could not be read.
    NetrcUnreadable { path: PathBuf, source: io::Error },
    /// The `.netrc` is malformed.
    NetrcSyntax {
        path: PathBuf,
        error: NetrcSyntaxError,
    },
}

/// Finds the token: `api_key` (the value of `HEROKU_API_KEY`) when set, else the
/// `password` of `machine`'s entry in `home/.netrc`.
///
/// # Errors
/// [`CredentialsError::Missing`] when neither holds a token; the others when the
/// `.netrc` cannot be read or parsed.
pub fn find(
    api_key: Option<&str>,
    home: Option<&Path>,
    machine: &str,
) -> Result<Credentials, CredentialsError> {
    if let Some(token) = api_key.and_then(Token::new) {
        return Ok(Credentials {
            token,
            source: TokenSource::EnvVar,
            warnings: Vec::new(),
        });
    }
    let Some(home) = home else {
        return Err(CredentialsError::Missing {
            machine: machine.to_owned(),
            netrc: None,
        });
    };
    let path = home.join(".netrc");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(CredentialsError::Missing {
                machine: machine.to_owned(),
                netrc: None,
            });
        }
        Err(source) => return Err(CredentialsError::NetrcUnreadable { path, source }),
    };
    let parsed = match netrc::parse(&text) {
        Ok(parsed) => parsed,
        Err(error) => return Err(CredentialsError::NetrcSyntax { path, error }),
    };
    let Some(token) = parsed
        .entry_for(machine)
        .and_then(|entry| entry.password.clone())
    else {
        return Err(CredentialsError::Missing {
            machine: machine.to_owned(),
            netrc: Some(path),
        });
    };
    let mut warnings = Vec::new();
    if let Some(mode) = loose_mode(&path) {
        warnings.push(CredentialsWarning::NetrcReadableByOthers {
            path: path.clone(),
            mode,
        });
    }
    Ok(Credentials {
        token,
        source: TokenSource::Netrc(path),
        warnings,
    })
}

/// The file's permission bits when group or others have any access to it.
fn loose_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then_some(mode)
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialsError::Missing { machine, netrc } => match netrc {
                Some(path) => write!(
                    f,
                    "no Heroku API token: HEROKU_API_KEY is not set and {} has no entry for {machine}",
                    path.display()
                ),
                None => write!(
                    f,
                    "no Heroku API token: HEROKU_API_KEY is not set and there is no ~/.netrc"
                ),
            },
            CredentialsError::NetrcUnreadable { path, source } => {
                write!(f, "cannot read {}: {source}", path.display())
            }
            CredentialsError::NetrcSyntax { path, error } => {
                write!(f, "cannot read {}: {error}", path.display())
            }
        }
    }
}

impl CredentialsError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            CredentialsError::Missing { .. } => {
                "run `heroku login`, or set HEROKU_API_KEY (for CI: a token from `heroku authorizations:create`)"
            }
            CredentialsError::NetrcUnreadable { .. } | CredentialsError::NetrcSyntax { .. } => {
                "fix the file (or run `heroku login` again), or set HEROKU_API_KEY"
            }
        }
    }
}

impl fmt::Display for CredentialsWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialsWarning::NetrcReadableByOthers { path, mode } => write!(
                f,
                "{} holds your Heroku token and other users can read it (mode {mode:04o}); run `chmod 600 {}`",
                path.display(),
                path.display()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn home_with_netrc(text: &str, mode: u32) -> tempfile::TempDir {
        let home = tempfile::tempdir().expect("tempdir");
        let path = home.path().join(".netrc");
        std::fs::write(&path, text).expect("write .netrc");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        home
    }

    #[test]
    fn the_environment_wins_over_netrc() {
        let home = home_with_netrc("machine api.heroku.com password from-netrc", 0o600);
        let found = find(Some("from-env"), Some(home.path()), "api.heroku.com").expect("found");
        assert_eq!(found.token.expose(), "from-env");
        assert_eq!(found.source, TokenSource::EnvVar);
    }

    #[test]
    fn netrc_is_read_when_the_environment_is_empty() {
        for (api_key, mode, warned) in [(None, 0o600, false), (Some(""), 0o644, true)] {
            let home = home_with_netrc("machine api.heroku.com password from-netrc", mode);
            let found = find(api_key, Some(home.path()), "api.heroku.com").expect("found");
            assert_eq!(found.token.expose(), "from-netrc");
            assert_eq!(!found.warnings.is_empty(), warned, "mode {mode:o}");
        }
    }

    #[test]
    fn nothing_found_is_missing() {
        let empty = tempfile::tempdir().expect("tempdir");
        let other = home_with_netrc("machine other.example password x", 0o600);
        for (home, has_netrc) in [
            (Some(empty.path()), false),
            (Some(other.path()), true),
            (None, false),
        ] {
            match find(None, home, "api.heroku.com") {
                Err(CredentialsError::Missing { netrc, .. }) => {
                    assert_eq!(netrc.is_some(), has_netrc, "home {home:?}")
                }
                other => panic!("home {home:?}: expected Missing, got {other:?}"),
            }
        }
    }
}
