//! What `clockctl scale` and `clockctl status` share to reach the Platform API: the
//! `--app`/`--remote` flags, opening a session (and printing its warnings), API and session
//! errors as [`Failure`]s, and the debug log of requests.
//!
//! It does not send requests itself and holds no subcommand's steps: those stay in
//! `scale.rs` and `status.rs`.

use std::path::Path;

use crate::heroku::ApiError;
use crate::heroku::session::{self, AppFlags, Session, SessionError};

use super::Failure;

/// `--app` and `--remote`.
#[derive(Debug, Clone, clap::Args)]
pub struct AppArgs {
    /// The Heroku app (default: HEROKU_APP, else the git remote pointing at Heroku).
    #[arg(long, short = 'a', value_name = "APP")]
    pub app: Option<String>,
    /// The git remote whose Heroku app to use.
    #[arg(long, short = 'r', value_name = "REMOTE", conflicts_with = "app")]
    pub remote: Option<String>,
}

/// Opens the API session for `args` in the current directory, printing its warnings.
pub fn open_session(args: &AppArgs) -> Result<Session, Failure> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| Path::new(".").to_path_buf());
    let flags = AppFlags {
        app: args.app.as_deref(),
        remote: args.remote.as_deref(),
    };
    let session = session::open(&flags, &cwd).map_err(session_failure)?;
    for warning in &session.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(session)
}

/// A session that could not open is a usage problem: the fix is a flag or a login.
fn session_failure(error: SessionError) -> Failure {
    let hint = error.hint();
    let failure = Failure::usage(error.to_string());
    match hint {
        Some(hint) => failure.with_hint(hint),
        None => failure,
    }
}

/// A failed API call, in words, with what to do about it.
pub fn api_failure(error: ApiError) -> Failure {
    let hint = error.hint();
    let failure = Failure::new(error.to_string());
    match hint {
        Some(hint) => failure.with_hint(hint),
        None => failure,
    }
}

/// Sends the client's debug lines (requests with the token masked, answers, retries) to
/// stderr when `CLOCK_LOG_LEVEL` or `RUST_LOG` asks for debug or trace.
pub fn init_debug_log() {
    let wants = |name: &str| {
        std::env::var(name).is_ok_and(|v| {
            let v = v.to_ascii_lowercase();
            v.contains("debug") || v.contains("trace")
        })
    };
    if wants("CLOCK_LOG_LEVEL") || wants("RUST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(std::io::stderr)
            .without_time()
            .try_init();
    }
}
