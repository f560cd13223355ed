//! `clockctl validate --env-dir DIR`: every `${VAR}` a clock.yml names must be set in the
//! buildpack's ENV_DIR (one file per config var, named for it, holding its value), and
//! each value it makes must be what its field wants, checked as the clock will read it
//! ([`crate::credential`]).
//!
//! Values are never read into a message: a finding names the variable, where the file
//! uses it and what is wrong, nothing else.

use std::path::Path;

use crate::config::{Config, Diagnostic, Severity, Template};

/// Why a variable gives no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unset {
    Missing,
    Empty,
    NotText,
}

/// One error per variable that `config` uses and `dir` lacks (or holds empty), located
/// at its first use; then one per use whose variables are all set but whose value is
/// not what the field wants (not an http(s) URL, not a DSN, not a signing key).
pub fn check(config: &Config, dir: &Path) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let mut reported: Vec<&str> = Vec::new();
    for (owner, template) in config.templates() {
        let mut all_set = true;
        for name in template.vars() {
            let Err(unset) = read(dir, name) else {
                continue;
            };
            all_set = false;
            if reported.contains(&name) {
                continue;
            }
            reported.push(name);
            let problem = match unset {
                Unset::Missing => "is not set",
                Unset::Empty => "is empty",
                Unset::NotText => "is not UTF-8 text",
            };
            found.push(at(
                template,
                format!("${{{name}}} {problem} in {} ({owner})", dir.display()),
                format!(
                    "set it with `heroku config:set {name}=...`; until then the clock runs \
                     without this channel"
                ),
            ));
        }
        if !all_set || template.vars().is_empty() {
            continue;
        }
        let Ok(value) = template.resolve(|name| read(dir, name).ok()) else {
            continue;
        };
        let Err(problem) = template.kind.check(&value) else {
            continue;
        };
        let vars = template.vars();
        let shown: Vec<String> = vars.iter().map(|name| format!("${{{name}}}")).collect();
        let noun = template.kind.noun();
        found.push(at(
            template,
            format!(
                "{} in {} is not {noun}: {problem} ({owner})",
                shown.join(", "),
                dir.display()
            ),
            format!(
                "set it to {noun} with `heroku config:set {}=...`; until then the clock runs \
                 without this channel",
                vars[0]
            ),
        ));
    }
    found
}

/// The value of config var `name` in `dir`.
fn read(dir: &Path, name: &str) -> Result<String, Unset> {
    match std::fs::read(dir.join(name)) {
        Ok(bytes) if bytes.is_empty() => Err(Unset::Empty),
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| Unset::NotText),
        Err(_) => Err(Unset::Missing),
    }
}

fn at(template: &Template, message: String, hint: String) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        line: template.line,
        column: template.column,
        len: template.len,
        message,
        hint: Some(hint),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_each_missing_variable_once_without_values() {
        let source = "notify:\n  ops:\n    slack: ${SLACK_URL}\n  pager:\n    webhook: ${ALERT_URL}\n    secret: ${ALERT_SECRET}\njobs:\n  a:\n    every: 1h\n    command: x\n    monitor:\n      healthchecks: ${SLACK_URL}\n";
        let config = crate::config::parse(source, chrono::Utc::now())
            .config
            .expect("valid");
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("ALERT_URL"),
            "https://secret.example/hook-abc123",
        )
        .unwrap();
        std::fs::write(dir.path().join("ALERT_SECRET"), "").unwrap();
        let found = check(&config, dir.path());
        let messages: Vec<(u32, &str)> = found
            .iter()
            .map(|d| (d.line, d.message.split(" in ").next().unwrap_or_default()))
            .collect();
        assert_eq!(
            messages,
            [
                (3, "${SLACK_URL} is not set"),
                (6, "${ALERT_SECRET} is empty")
            ]
        );
        for d in &found {
            assert!(!d.message.contains("secret.example"), "{d:?}");
        }
    }

    #[test]
    fn checks_each_value_as_the_clock_reads_it_without_printing_it() {
        let source = "notify:\n  ops:\n    slack: ${SLACK_URL}\n  pager:\n    webhook: ${ALERT_URL}\n    secret: ${ALERT_SECRET}\njobs:\n  a:\n    every: 1h\n    command: x\n    monitor:\n      sentry: { dsn: \"${SENTRY_DSN}\" }\n  b:\n    every: 1h\n    command: x\n    monitor:\n      healthchecks: ${HC_URL}\n";
        let config = crate::config::parse(source, chrono::Utc::now())
            .config
            .expect("valid");
        let dir = tempfile::tempdir().expect("tempdir");
        let values = [
            ("SLACK_URL", "hooks.slack.com/services/SECRET1"),
            ("ALERT_URL", "https://alerts.example.com/SECRET2\n"),
            ("ALERT_SECRET", "whsec_c2hvcnQ="),
            ("SENTRY_DSN", "https://o1.ingest.sentry.io/SECRET3"),
            ("HC_URL", "ftp://hc.example.com/SECRET4"),
        ];
        for (name, value) in values {
            std::fs::write(dir.path().join(name), value).unwrap();
        }
        let shown = dir.path().display().to_string();
        let found: Vec<(u32, String)> = check(&config, dir.path())
            .into_iter()
            .map(|d| (d.line, d.message.replace(&shown, "DIR")))
            .collect();
        let expected = [
            (
                3,
                "${SLACK_URL} in DIR is not an http(s) URL: the value is not a URL (notify.ops)",
            ),
            (
                6,
                "${ALERT_SECRET} in DIR is not a Standard Webhooks key (whsec_…): the secret \
                 decodes to 5 bytes; Standard Webhooks keys are 24 to 64 (notify.pager)",
            ),
            (
                12,
                "${SENTRY_DSN} in DIR is not a Sentry DSN: the DSN has no public key (the part \
                 before @) (jobs.a.monitor)",
            ),
            (
                17,
                "${HC_URL} in DIR is not an http(s) URL: the URL's scheme is \"ftp\", not http or \
                 https (jobs.b.monitor)",
            ),
        ];
        let expected: Vec<(u32, String)> = expected
            .into_iter()
            .map(|(l, m)| (l, m.to_owned()))
            .collect();
        assert_eq!(found, expected);
    }
}
