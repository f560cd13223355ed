//! The database of a `store:` block, for `clock` and `clockctl history`: read the URL
//! from the named variable once, and turn a missing or malformed one into words. The URL
//! is never printed (it holds a password).

use std::path::Path;

use super::Failure;
use crate::store::{self, DatabaseUrl};

/// The database URL from the variable `name` (the `store:` block's `postgres:`), for the
/// clock.yml at `path`.
pub fn read_database_url(name: &str, path: &Path) -> Result<DatabaseUrl, Failure> {
    let file = path.display();
    let text = std::env::var(name).unwrap_or_default();
    if text.trim().is_empty() {
        return Err(Failure::new(format!(
            "{file} keeps runs in the database at ${name}, but {name} is not set"
        ))
        .with_hint(format!(
            "on Heroku: `heroku addons:create heroku-postgresql:essential-0` sets DATABASE_URL; \
             locally: export {name}=postgres://..."
        )));
    }
    store::url::parse(&text).map_err(|error| {
        Failure::new(format!("${name} cannot be used as a database URL: {error}")).with_hint(
            "it must look like postgres://USER:PASSWORD@HOST:5432/DBNAME (Heroku sets it for you)",
        )
    })
}
