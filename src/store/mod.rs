//! The Postgres store: several clocks sharing one database, each slot run exactly once,
//! made up after restarts, and remembered.
//!
//! The design needs neither session advisory locks nor LISTEN (which Heroku's
//! transaction-mode pooler breaks): one clock schedules while it holds a lease row timed
//! by the database's `now()` ([`lease`]); each run starts only after a unique insert on
//! `(job, slot, attempt)` committed ([`claim`]); each run's row then records how it went
//! ([`history`]); the leader marks runs of dead clocks lost and prunes old rows
//! ([`upkeep`]); alerts count each job's failures in a row every clock shares
//! ([`streaks`]). Tables live in schema `heroku_clock` ([`schema`]). [`StoreGate`] plugs
//! all of it into the runtime's [`FireGate`](crate::runtime::FireGate) seam; the loop
//! itself never sees SQL. Without a `store:` block none of this runs and no connection
//! is opened.

pub mod claim;
pub mod error;
mod gate;
pub mod history;
pub mod lease;
pub mod link;
pub mod schema;
pub mod streaks;
pub mod tls;
pub mod upkeep;
pub mod url;

pub use error::StoreError;
pub use gate::{StoreGate, StoreSettings};
pub use link::Link;
pub use url::{DatabaseUrl, TlsMode, UrlError};

#[cfg(test)]
mod testdb;
#[cfg(test)]
mod tests;
