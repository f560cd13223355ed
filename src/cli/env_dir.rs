//! `clockctl validate --env-dir DIR`: every `${VAR}` a clock.yml names must be set in the
//! buildpack's ENV_DIR (one file per config var, named for it, holding its value).
//!
//! Values are never read into a message: a finding names the variable and where the
//! file uses it, nothing else.

use std::path::Path;

use crate::config::{Config, Diagnostic, Severity};

/// One error per variable that `config` uses and `dir` lacks (or holds empty), located
/// at its first use.
pub fn check(config: &Config, dir: &Path) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (owner, template) in config.templates() {
        for name in template.vars() {
            if seen.iter().any(|s| s == name) {
                continue;
            }
            seen.push(name.to_owned());
            let problem = match std::fs::metadata(dir.join(name)) {
                Ok(meta) if meta.is_file() && meta.len() > 0 => continue,
                Ok(meta) if meta.is_file() => "is empty",
                _ => "is not set",
            };
            found.push(Diagnostic {
                severity: Severity::Error,
                line: template.line,
                column: template.column,
                len: template.len,
                message: format!("${{{name}}} {problem} in {} ({owner})", dir.display()),
                hint: Some(format!(
                    "set it with `heroku config:set {name}=...`; until then the clock runs \
                     without this channel"
                )),
            });
        }
    }
    found
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
}
