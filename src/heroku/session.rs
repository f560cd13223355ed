//! Everything a Platform API command needs before its first request: the endpoint, the app,
//! the token and a client, gathered from flags, the environment, `~/.netrc` and git.
//!
//! The app is resolved before the token is looked up, and neither step sends anything, so a
//! command that cannot say which app or whose token fails before any request. Warnings (a
//! loose `.netrc`, a token going to a host that is not Heroku's) are returned as data, with
//! the words in their `Display` impls, for the CLI to print on stderr.

use std::fmt;
use std::path::{Path, PathBuf};

use super::app::{self, AppError, AppQuery, ResolvedApp};
use super::client::{Client, RetryPolicy};
use super::credentials::{self, CredentialsError, CredentialsWarning};
use super::endpoint::{Endpoint, EndpointError};

/// What the command line said about the app.
#[derive(Debug, Clone, Default)]
pub struct AppFlags<'a> {
    pub app: Option<&'a str>,
    pub remote: Option<&'a str>,
}

/// A ready client and the app it acts on.
#[derive(Debug)]
pub struct Session {
    pub endpoint: Endpoint,
    pub app: ResolvedApp,
    pub client: Client,
    pub warnings: Vec<SessionWarning>,
}

/// Something the user should know, though the session opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionWarning {
    Credentials(CredentialsWarning),
    /// `HEROKU_HOST` sends the token to a host that is neither Heroku's nor this machine.
    ForeignHost {
        base_url: String,
    },
}

/// Why a session could not be opened.
#[derive(Debug)]
pub enum SessionError {
    /// `HEROKU_HOST` is not a usable URL or host name.
    Endpoint(EndpointError),
    App(AppError),
    Credentials(CredentialsError),
    /// The HTTP client could not be built (TLS setup).
    Client(reqwest::Error),
}

/// Opens a session from `flags`, the process environment and the git repository at `cwd`.
///
/// # Errors
/// [`SessionError`] when no single app is named or no token is found.
pub fn open(flags: &AppFlags<'_>, cwd: &Path) -> Result<Session, SessionError> {
    let endpoint = Endpoint::from_env().map_err(SessionError::Endpoint)?;
    let env_app = std::env::var("HEROKU_APP").ok();
    let needs_git = flags.app.is_none() && (flags.remote.is_some() || env_app.is_none());
    let (remotes, configured_remote) = if needs_git {
        app::read_git_remotes(cwd, &endpoint)
    } else {
        (Vec::new(), None)
    };
    let query = AppQuery {
        flag_app: flags.app,
        flag_remote: flags.remote,
        env_app: env_app.as_deref(),
        configured_remote: configured_remote.as_deref(),
        remotes: &remotes,
    };
    let app = app::resolve(&query).map_err(SessionError::App)?;

    let api_key = std::env::var("HEROKU_API_KEY").ok();
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let found = credentials::find(api_key.as_deref(), home.as_deref(), &endpoint.netrc_machine)
        .map_err(SessionError::Credentials)?;
    let mut warnings: Vec<SessionWarning> = found
        .warnings
        .into_iter()
        .map(SessionWarning::Credentials)
        .collect();
    if !endpoint.is_expected_destination() {
        warnings.push(SessionWarning::ForeignHost {
            base_url: endpoint.base_url.clone(),
        });
    }
    let client = Client::new(&endpoint, found.token, RetryPolicy::from_env())
        .map_err(SessionError::Client)?;
    Ok(Session {
        endpoint,
        app,
        client,
        warnings,
    })
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::Endpoint(error) => error.fmt(f),
            SessionError::App(error) => error.fmt(f),
            SessionError::Credentials(error) => error.fmt(f),
            SessionError::Client(error) => write!(f, "cannot set up HTTPS: {error}"),
        }
    }
}

impl fmt::Display for SessionWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionWarning::Credentials(warning) => warning.fmt(f),
            SessionWarning::ForeignHost { base_url } => write!(
                f,
                "HEROKU_HOST sends your Heroku token to {base_url}, which is not Heroku's API"
            ),
        }
    }
}

impl SessionError {
    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            SessionError::Endpoint(error) => Some(error.hint().to_owned()),
            SessionError::App(error) => Some(error.hint()),
            SessionError::Credentials(error) => Some(error.hint().to_owned()),
            SessionError::Client(_) => None,
        }
    }
}
