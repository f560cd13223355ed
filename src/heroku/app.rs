//! Which Heroku app a command acts on, found the way the Heroku CLI finds it.
//!
//! In order: `--app`; else `--remote NAME` (that git remote's app); else `HEROKU_APP`; else
//! the git remotes of the current repository whose URL is a Heroku git URL
//! (`https://git.heroku.com/NAME.git`, `git@heroku.com:NAME.git`,
//! `ssh://git@heroku.com/NAME.git`), narrowed to the remote named by
//! `git config heroku.remote` when that is set. One app: that one. Several: an error that
//! lists them. Like the Heroku CLI, no remote is preferred for being called `heroku`.
//! Two differences, both on the safe side: `--remote` beats `HEROKU_APP` (the CLI lets the
//! environment win over the explicit flag), and remotes that all name the same app are one
//! candidate, not an ambiguity. Running `git` is [`read_git_remotes`]; the rest is pure.

use std::fmt;
use std::path::Path;
use std::process::Command;

use super::endpoint::Endpoint;

/// A git remote that points at a Heroku app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HerokuRemote {
    pub remote: String,
    pub app: String,
}

/// How the app was chosen, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppSource {
    Flag,
    EnvVar,
    GitRemote(String),
}

/// The app a command acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedApp {
    pub name: String,
    pub source: AppSource,
}

/// What the user asked for, and what the environment and repository hold.
#[derive(Debug, Clone, Default)]
pub struct AppQuery<'a> {
    pub flag_app: Option<&'a str>,
    pub flag_remote: Option<&'a str>,
    pub env_app: Option<&'a str>,
    /// `git config heroku.remote`: the remote to use when several point at apps.
    pub configured_remote: Option<&'a str>,
    pub remotes: &'a [HerokuRemote],
}

/// Why no single app could be chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    /// Nothing names an app.
    Missing,
    /// `--remote` (or `heroku.remote`) names no Heroku remote.
    RemoteNotFound {
        remote: String,
        available: Vec<HerokuRemote>,
    },
    /// Several remotes point at different apps and nothing picks one.
    Ambiguous { candidates: Vec<HerokuRemote> },
}

/// Chooses the app.
///
/// # Errors
/// [`AppError`] when nothing names an app, the named remote does not exist, or several
/// remotes name different apps.
pub fn resolve(query: &AppQuery<'_>) -> Result<ResolvedApp, AppError> {
    if let Some(app) = nonempty(query.flag_app) {
        return Ok(ResolvedApp {
            name: app.to_owned(),
            source: AppSource::Flag,
        });
    }
    let flag_remote = nonempty(query.flag_remote);
    if flag_remote.is_none() {
        if let Some(app) = nonempty(query.env_app) {
            return Ok(ResolvedApp {
                name: app.to_owned(),
                source: AppSource::EnvVar,
            });
        }
    }
    let only = flag_remote.or(nonempty(query.configured_remote));
    let mut candidates: Vec<HerokuRemote> = Vec::new();
    for remote in query.remotes {
        if only.is_some_and(|name| name != remote.remote) {
            continue;
        }
        // Several remotes for one app (or one remote with several URLs) are no choice.
        if !candidates.iter().any(|seen| seen.app == remote.app) {
            candidates.push(remote.clone());
        }
    }
    match candidates.len() {
        0 => match only {
            Some(remote) => Err(AppError::RemoteNotFound {
                remote: remote.to_owned(),
                available: query.remotes.to_vec(),
            }),
            None => Err(AppError::Missing),
        },
        1 => {
            let chosen = candidates.remove(0);
            Ok(ResolvedApp {
                name: chosen.app,
                source: AppSource::GitRemote(chosen.remote),
            })
        }
        _ => Err(AppError::Ambiguous { candidates }),
    }
}

fn nonempty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// The app named by a Heroku git URL, or `None` for any other URL.
pub fn app_from_git_url(url: &str, endpoint: &Endpoint) -> Option<String> {
    let prefixes = [
        format!("https://{}/", endpoint.git_http_host),
        format!("git@{}:", endpoint.git_ssh_host),
        format!("ssh://git@{}/", endpoint.git_ssh_host),
    ];
    let url = url.trim();
    prefixes.iter().find_map(|prefix| {
        let name = url.strip_prefix(prefix.as_str())?;
        let name = name.strip_suffix('/').unwrap_or(name);
        let name = name.strip_suffix(".git").unwrap_or(name);
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
        valid.then(|| name.to_owned())
    })
}

/// The `(remote, url)` pairs in the output of `git config --get-regexp '^remote\..*\.url$'`
/// (`remote.NAME.url URL` per line; a remote name may itself hold dots).
pub fn parse_remote_urls(config_output: &str) -> Vec<(String, String)> {
    config_output
        .lines()
        .filter_map(|line| {
            let (key, url) = line.split_once(char::is_whitespace)?;
            let name = key.strip_prefix("remote.")?.strip_suffix(".url")?;
            (!name.is_empty()).then(|| (name.to_owned(), url.trim().to_owned()))
        })
        .collect()
}

/// The Heroku remotes among `(remote, url)` pairs.
pub fn heroku_remotes(urls: &[(String, String)], endpoint: &Endpoint) -> Vec<HerokuRemote> {
    urls.iter()
        .filter_map(|(remote, url)| {
            app_from_git_url(url, endpoint).map(|app| HerokuRemote {
                remote: remote.clone(),
                app,
            })
        })
        .collect()
}

/// What the git repository at `cwd` says: its Heroku remotes and `heroku.remote`.
/// Outside a repository, or without git, that is nothing.
pub fn read_git_remotes(cwd: &Path, endpoint: &Endpoint) -> (Vec<HerokuRemote>, Option<String>) {
    let git = |args: &[&str]| -> Option<String> {
        let output = Command::new("git")
            .args(args)
            .current_dir(cwd)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let urls = git(&["config", "--get-regexp", r"^remote\..*\.url$"])
        .map(|out| parse_remote_urls(&out))
        .unwrap_or_default();
    let configured = git(&["config", "--get", "heroku.remote"])
        .map(|out| out.trim().to_owned())
        .filter(|name| !name.is_empty());
    (heroku_remotes(&urls, endpoint), configured)
}

fn list(remotes: &[HerokuRemote]) -> String {
    remotes
        .iter()
        .map(|r| format!("\n  {} (remote {})", r.app, r.remote))
        .collect()
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::Missing => write!(
                f,
                "no app given: pass --app NAME (or set HEROKU_APP, or run this in a git repository with a Heroku remote)"
            ),
            AppError::RemoteNotFound { remote, available } if available.is_empty() => write!(
                f,
                "git remote `{remote}` is not a Heroku remote, and this repository has none"
            ),
            AppError::RemoteNotFound { remote, available } => write!(
                f,
                "git remote `{remote}` is not a Heroku remote; the Heroku remotes here are:{}",
                list(available)
            ),
            AppError::Ambiguous { candidates } => write!(
                f,
                "several git remotes point at Heroku apps:{}",
                list(candidates)
            ),
        }
    }
}

impl AppError {
    /// What to do about it.
    pub fn hint(&self) -> String {
        match self {
            AppError::Missing | AppError::RemoteNotFound { .. } => {
                "pass --app NAME; `heroku apps` lists yours".to_owned()
            }
            AppError::Ambiguous { candidates } => {
                let first = &candidates[0];
                format!(
                    "pick one with --remote {} or --app {} (or set a default: `git config heroku.remote {}`)",
                    first.remote, first.app, first.remote
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heroku() -> Endpoint {
        Endpoint::resolve(None, None).expect("the default endpoint")
    }

    #[test]
    fn reads_the_app_from_heroku_git_urls() {
        let table: &[(&str, Option<&str>)] = &[
            ("https://git.heroku.com/my-app.git", Some("my-app")),
            ("https://git.heroku.com/my-app", Some("my-app")),
            ("git@heroku.com:my-app.git", Some("my-app")),
            ("ssh://git@heroku.com/my-app.git", Some("my-app")),
            ("https://github.com/me/my-app.git", None),
            ("https://git.heroku.com/.git", None),
            ("https://git.heroku.com/a/b.git", None),
            ("https://git.heroku.com.evil.example/my-app.git", None),
            ("git@github.com:me/my-app.git", None),
        ];
        for (from, expected) in table {
            assert_eq!(
                app_from_git_url(from, &heroku()).as_deref(),
                *expected,
                "url {from}"
            );
        }
    }

    #[test]
    fn heroku_host_moves_the_git_host() {
        let endpoint = Endpoint::resolve(Some("heroku.example"), None).expect("a host name");
        assert_eq!(
            app_from_git_url("https://git.heroku.example/x.git", &endpoint).as_deref(),
            Some("x")
        );
        assert_eq!(
            app_from_git_url("https://git.heroku.com/x.git", &endpoint),
            None
        );
    }

    #[test]
    fn parses_git_config_output() {
        let output = "remote.origin.url git@github.com:me/app.git\nremote.heroku.url https://git.heroku.com/app.git\nremote.a.b.url git@heroku.com:x.git\nnot.a.remote v\n";
        assert_eq!(
            parse_remote_urls(output),
            vec![
                ("origin".to_owned(), "git@github.com:me/app.git".to_owned()),
                (
                    "heroku".to_owned(),
                    "https://git.heroku.com/app.git".to_owned()
                ),
                ("a.b".to_owned(), "git@heroku.com:x.git".to_owned()),
            ]
        );
    }

    fn remote(remote: &str, app: &str) -> HerokuRemote {
        HerokuRemote {
            remote: remote.into(),
            app: app.into(),
        }
    }

    type Expected = Result<(&'static str, AppSource), AppError>;

    #[test]
    fn resolves_in_the_heroku_cli_order() {
        let two = [
            remote("staging", "app-staging"),
            remote("production", "app-prod"),
        ];
        let one = [remote("heroku", "app-one")];
        let same = [remote("heroku", "app-one"), remote("prod", "app-one")];
        let table: Vec<(AppQuery<'_>, Expected)> = vec![
            (
                AppQuery {
                    flag_app: Some("flag"),
                    env_app: Some("env"),
                    remotes: &two,
                    ..Default::default()
                },
                Ok(("flag", AppSource::Flag)),
            ),
            (
                AppQuery {
                    env_app: Some("env"),
                    remotes: &two,
                    ..Default::default()
                },
                Ok(("env", AppSource::EnvVar)),
            ),
            (
                AppQuery {
                    flag_remote: Some("production"),
                    env_app: Some("env"),
                    remotes: &two,
                    ..Default::default()
                },
                Ok(("app-prod", AppSource::GitRemote("production".into()))),
            ),
            (
                AppQuery {
                    remotes: &one,
                    ..Default::default()
                },
                Ok(("app-one", AppSource::GitRemote("heroku".into()))),
            ),
            (
                AppQuery {
                    remotes: &same,
                    ..Default::default()
                },
                Ok(("app-one", AppSource::GitRemote("heroku".into()))),
            ),
            (
                AppQuery {
                    configured_remote: Some("staging"),
                    remotes: &two,
                    ..Default::default()
                },
                Ok(("app-staging", AppSource::GitRemote("staging".into()))),
            ),
            (
                AppQuery {
                    remotes: &two,
                    ..Default::default()
                },
                Err(AppError::Ambiguous {
                    candidates: two.to_vec(),
                }),
            ),
            (
                AppQuery {
                    flag_remote: Some("nope"),
                    remotes: &two,
                    ..Default::default()
                },
                Err(AppError::RemoteNotFound {
                    remote: "nope".into(),
                    available: two.to_vec(),
                }),
            ),
            (
                AppQuery {
                    env_app: Some(" "),
                    ..Default::default()
                },
                Err(AppError::Missing),
            ),
        ];
        for (query, expected) in table {
            let got = resolve(&query)
                .map(|app| app.name.clone())
                .map_err(|e| e.clone());
            let expected_name = expected.clone().map(|(name, _)| name.to_owned());
            assert_eq!(got, expected_name, "query {query:?}");
            if let Ok((_, source)) = expected {
                assert_eq!(
                    resolve(&query).expect("resolves").source,
                    source,
                    "query {query:?}"
                );
            }
        }
    }
}
