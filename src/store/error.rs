//! What can go wrong talking to the database, as data; words only in `Display`.
//!
//! Nothing here holds the URL (it carries a password). The runtime turns these into
//! `event=store_error` lines; the commands print them with a hint.

use std::time::Duration;

/// One failed database operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// No connection could be opened (refused, DNS, TLS, authentication).
    Connect { detail: String },
    /// The operation did not answer within its time.
    Timeout { what: &'static str, after: Duration },
    /// The server answered with an error.
    Query {
        what: &'static str,
        code: Option<String>,
        detail: String,
    },
    /// The database was migrated by a newer heroku-clock than this one.
    SchemaTooNew { found: i32, known: i32 },
    /// The server is a read-only replica (`pg_is_in_recovery()`).
    ReadOnly,
}

impl StoreError {
    /// The error of `what` from tokio-postgres, with its SQLSTATE when the server sent one.
    pub fn query(what: &'static str, error: &tokio_postgres::Error) -> StoreError {
        StoreError::Query {
            what,
            code: error.code().map(|code| code.code().to_string()),
            detail: describe(error),
        }
    }

    /// A short, stable word for log lines (`kind=`).
    pub fn kind(&self) -> &'static str {
        match self {
            StoreError::Connect { .. } => "connect",
            StoreError::Timeout { .. } => "timeout",
            StoreError::Query { .. } => "query",
            StoreError::SchemaTooNew { .. } => "schema_too_new",
            StoreError::ReadOnly => "read_only",
        }
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Connect { detail } => write!(f, "cannot connect to the database: {detail}"),
            StoreError::Timeout { what, after } => {
                write!(f, "{what} got no answer within {} ms", after.as_millis())
            }
            StoreError::Query { what, code, detail } => match code {
                Some(code) => write!(f, "{what} failed: {detail} (SQLSTATE {code})"),
                None => write!(f, "{what} failed: {detail}"),
            },
            StoreError::SchemaTooNew { found, known } => write!(
                f,
                "the database's heroku_clock schema is at version {found}, newer than this \
                 clock knows ({known}): a newer heroku-clock migrated it"
            ),
            StoreError::ReadOnly => write!(f, "the database is a read-only replica"),
        }
    }
}

/// tokio-postgres's message with its cause (its `Display` alone hides the cause since 0.7.15).
pub fn describe(error: &tokio_postgres::Error) -> String {
    use std::error::Error as _;
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    crate::visible::visible(&text).into_owned()
}
