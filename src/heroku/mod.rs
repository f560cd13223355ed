//! The Heroku Platform API client: who is asking, about which app, and the calls
//! `clockctl scale` and `clockctl status` make, and those that run jobs in one-off dynos.
//!
//! One-off dynos (create, look up, stop, follow their log to the exit code) are
//! [`one_off`], [`log_stream`] and [`dyno_log`].
//!
//! Finding the token ([`credentials`], reading [`netrc`]), the API's address ([`endpoint`]),
//! the app ([`app`]) and talking HTTP ([`client`]) are separate so each can be tested from
//! plain values. The schema the requests follow is Heroku's published Platform API
//! hyper-schema (v3); [`resources`] holds the parts of it read and written here. This module
//! does not print: errors are data with `Display` impls, and the CLI decides what to show.

pub mod app;
pub mod client;
pub mod credentials;
pub mod dyno_log;
pub mod endpoint;
pub mod error;
pub mod log_stream;
pub mod netrc;
pub mod one_off;
pub mod request_id;
pub mod resources;
pub mod session;
pub mod token;

pub use app::{AppError, ResolvedApp};
pub use client::{Client, PreparedRequest, RetryPolicy};
pub use credentials::{Credentials, CredentialsError};
pub use endpoint::{Endpoint, EndpointError};
pub use error::{ApiError, ApiErrorKind};
pub use resources::{Dyno, Formation, FormationUpdate};
pub use token::Token;

/// The process type heroku-clock runs as.
pub const CLOCK_PROCESS: &str = "clock";
