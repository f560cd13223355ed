//! The `store:` block: which environment variable holds the database URL, and how long
//! run history is kept.
//!
//! ```yaml
//! store:
//!   postgres: $DATABASE_URL
//!   keep: 14d
//! ```
//!
//! `postgres:` is written `$NAME` and only that: a literal URL would put a password in
//! git (such a value is an error that never quotes it, and is hidden from the echoed
//! line). The variable need not be set to validate; the clock reads it when it starts.
//! Heroku's pooler variable (`DATABASE_CONNECTION_POOL_URL`) is refused here already:
//! the clock wants a direct session. What the store *does* lives in [`crate::store`].

use std::time::Duration;

use super::checker::Checker;
use super::fields::list;
use super::names::closest;
use super::yaml::{Node, Value};
use super::{StoreConfig, duration};

const STORE_KEYS: [&str; 2] = ["postgres", "keep"];

/// How long run history is kept by default.
pub const DEFAULT_KEEP: Duration = Duration::from_secs(14 * 24 * 3600);
/// The shortest `keep:`: a claim row must outlive any make-up window.
pub const MIN_KEEP: Duration = Duration::from_secs(24 * 3600);

/// Whether `name` looks like the variable of Heroku's PgBouncer pooler
/// (`DATABASE_CONNECTION_POOL_URL`), which the clock refuses: its lease and claims want a
/// direct session.
pub fn is_pooler_variable(name: &str) -> bool {
    name.contains("CONNECTION_POOL")
}

impl Checker<'_> {
    /// Checks the `store:` block. `None` when it has an error (reported).
    pub(super) fn store(&mut self, key: &Node, value: &Node) -> Option<StoreConfig> {
        let entries = match &value.value {
            Value::Map(entries) => entries,
            _ => {
                self.wrong_type("store", "a map with a `postgres:` key", value);
                return None;
            }
        };
        let mut var: Option<Option<String>> = None;
        let mut keep: Option<Option<Duration>> = None;
        let mut ok = true;
        for (entry_key, entry_value) in entries {
            let Some(name) = self.key_text(entry_key) else {
                ok = false;
                continue;
            };
            let slot = match name {
                "postgres" if var.is_none() => {
                    var = Some(self.store_variable(entry_value));
                    continue;
                }
                "keep" if keep.is_none() => {
                    keep = Some(self.store_keep(entry_value));
                    continue;
                }
                "postgres" | "keep" => name,
                _ => {
                    let hint = match closest(name, STORE_KEYS) {
                        Some(near) => format!("did you mean \"{near}\"?"),
                        None => format!("the keys of `store:` are {}", list(&STORE_KEYS)),
                    };
                    self.error(
                        &entry_key.span,
                        format!("unknown key \"{}\" in store", name.escape_debug()),
                        Some(hint),
                    );
                    ok = false;
                    continue;
                }
            };
            self.error(
                &entry_key.span,
                format!("duplicate key \"{slot}\" in store"),
                None,
            );
            ok = false;
        }
        let Some(var) = var else {
            if !ok {
                // A misspelt `postgres:` was reported already, with its correction.
                return None;
            }
            self.error(
                &key.span,
                "store has no `postgres:` key",
                Some(
                    "name the variable that holds the database URL: `postgres: $DATABASE_URL`"
                        .into(),
                ),
            );
            return None;
        };
        let var = var?;
        let keep = keep.unwrap_or(Some(DEFAULT_KEEP))?;
        ok.then_some(StoreConfig {
            postgres_var: var,
            keep,
        })
    }

    fn store_variable(&mut self, value: &Node) -> Option<String> {
        let text = self.text("postgres", value)?;
        if !text.starts_with('$') {
            // Most likely the database URL itself, password and all: never shown.
            self.hide_credential(value, "postgres");
        }
        let hint_env = "write the name of the config var that holds it: `postgres: $DATABASE_URL`";
        if text.contains("://") {
            self.error(
                &value.span,
                "postgres: must name an environment variable, not hold a URL",
                Some(format!(
                    "passwords don't belong in git; {hint_env} (Heroku Postgres sets DATABASE_URL)"
                )),
            );
            return None;
        }
        let Some(name) = text.strip_prefix('$') else {
            self.error(
                &value.span,
                "postgres: the value is not a `$NAME`",
                Some(hint_env.into()),
            );
            return None;
        };
        let name = name
            .strip_prefix('{')
            .and_then(|inner| inner.strip_suffix('}'))
            .unwrap_or(name);
        let valid = name
            .chars()
            .next()
            .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            self.error(
                &value.span,
                format!(
                    "postgres: ${} is not a valid variable name",
                    name.escape_debug()
                ),
                Some("variable names are letters, digits and `_`, e.g. `$DATABASE_URL`".into()),
            );
            return None;
        }
        if is_pooler_variable(name) {
            self.error(
                &value.span,
                format!("postgres: ${name} is Heroku's connection pooler (PgBouncer)"),
                Some("the clock needs a direct connection: use `postgres: $DATABASE_URL`".into()),
            );
            return None;
        }
        Some(name.to_string())
    }

    fn store_keep(&mut self, value: &Node) -> Option<Duration> {
        let keep = self.duration_value("keep", value, false)?.value;
        if keep < MIN_KEEP {
            self.error(
                &value.span,
                format!(
                    "keep must be at least {} (found {})",
                    duration::format(MIN_KEEP),
                    duration::format(keep)
                ),
                Some("history rows also keep a slot from running twice; keep at least 1d".into()),
            );
            return None;
        }
        Some(keep)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone as _, Utc};

    use crate::config::{Severity, parse};

    fn now() -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, 12, 0, 0)
            .single()
            .expect("valid")
    }

    const JOBS: &str = "jobs:\n  a:\n    every: 1m\n    command: \"true\"\n";

    /// (line, column, message, hint) of every error.
    fn errors(store: &str) -> Vec<(u32, u32, String, Option<String>)> {
        let parsed = parse(&format!("{store}{JOBS}"), now());
        parsed
            .diagnostics
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| (d.line, d.column, d.message, d.hint))
            .collect()
    }

    #[test]
    fn a_valid_block_builds_the_store_with_the_default_keep() {
        let parsed = parse(&format!("store:\n  postgres: $DATABASE_URL\n{JOBS}"), now());
        let store = parsed.config.expect("valid").store.expect("a store");
        assert_eq!(store.postgres_var, "DATABASE_URL");
        assert_eq!(store.keep, super::DEFAULT_KEEP);
        let parsed = parse(
            &format!("store:\n  postgres: ${{HEROKU_POSTGRESQL_RED_URL}}\n  keep: 2d\n{JOBS}"),
            now(),
        );
        let store = parsed.config.expect("valid").store.expect("a store");
        assert_eq!(store.postgres_var, "HEROKU_POSTGRESQL_RED_URL");
        assert_eq!(store.keep.as_secs(), 2 * 86_400);
        assert!(parse(JOBS, now()).config.expect("valid").store.is_none());
    }

    #[test]
    fn a_literal_value_is_neither_quoted_nor_shown() {
        let source = format!("store:\n  postgres: u:SECRETPW@db.example.com/x\n{JOBS}");
        let parsed = parse(&source, now());
        let rendered: String = parsed
            .diagnostics
            .iter()
            .map(|d| format!("{d:?}{}", d.render("clock.yml", &source, &parsed.masks)))
            .collect();
        assert!(rendered.contains("postgres: ***"), "{rendered}");
        assert!(!rendered.contains("SECRETPW"), "{rendered}");
    }

    #[test]
    fn a_literal_url_is_an_error_whose_hint_says_use_database_url() {
        let found = errors("store:\n  postgres: postgres://u:secret@host/db\n");
        assert_eq!(found.len(), 1, "{found:?}");
        let (line, column, message, hint) = &found[0];
        assert_eq!((*line, *column), (2, 13));
        assert!(message.contains("not hold a URL"), "{message}");
        assert!(
            hint.as_deref().is_some_and(|h| h.contains("$DATABASE_URL")),
            "{hint:?}"
        );
    }

    #[test]
    fn each_bad_block_is_located_and_explained() {
        let cases: &[(&str, (u32, u32), &str)] = &[
            (
                "store:\n  postgres: DATABASE_URL\n",
                (2, 13),
                "is not a `$NAME`",
            ),
            (
                "store:\n  postgres: $9X\n",
                (2, 13),
                "not a valid variable name",
            ),
            (
                "store:\n  postgres: $DATABASE_CONNECTION_POOL_URL\n",
                (2, 13),
                "connection pooler",
            ),
            (
                "store:\n  postgres: $DATABASE_URL\n  keep: 12h\n",
                (3, 9),
                "at least 1d",
            ),
            (
                "store:\n  postgres: $DATABASE_URL\n  keep: soon\n",
                (3, 9),
                "keep:",
            ),
            (
                "store:\n  postgress: $DATABASE_URL\n",
                (2, 3),
                "unknown key \"postgress\"",
            ),
            ("store:\n  keep: 2d\n", (1, 1), "no `postgres:` key"),
            ("store: $DATABASE_URL\n", (1, 8), "store must be a map"),
        ];
        for (store, at, message) in cases {
            let found = errors(store);
            assert_eq!(found.len(), 1, "{store:?}: {found:?}");
            assert_eq!((found[0].0, found[0].1), *at, "{store:?}: {found:?}");
            assert!(found[0].2.contains(message), "{store:?}: {found:?}");
        }
    }
}
