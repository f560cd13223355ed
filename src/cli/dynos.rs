//! What `clock` and `clockctl run --dyno` need before a job can run in a one-off dyno:
//! the token, the app's name and an executor; and, for the clock, the runs of an earlier
//! clock to adopt.
//!
//! The clock dyno has no `~/.netrc`, so the clock reads the token from `HEROKU_API_KEY`
//! only; `clockctl run --dyno` on a laptop also reads the `.netrc` that `heroku login`
//! writes. The app is `HEROKU_APP_NAME` (set by `heroku labs:enable
//! runtime-dyno-metadata`), else the file's `app:`. Missing either is a [`Failure`] that
//! names the config var to set and how; nothing is sent before both are known.

use std::collections::HashMap;
use std::path::PathBuf;

use super::Failure;
use crate::config::{Config, RunOn};
use crate::exec::{DynoExecutor, DynoTimings};
use crate::heroku::log_stream::LogStreams;
use crate::heroku::{Client, Endpoint, RetryPolicy, credentials};
use crate::runtime::AdoptedRun;
use crate::runtime::report;

/// Where the token may come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenFrom {
    /// `HEROKU_API_KEY` only (the clock dyno).
    EnvOnly,
    /// `HEROKU_API_KEY`, else `~/.netrc` (a person's machine).
    EnvOrNetrc,
}

/// An executor for the dyno jobs of `config`, or the words saying what is missing.
/// `jobs` names the jobs the message is about.
///
/// # Errors
/// A [`Failure`] (exit code 2) when the token or the app's name is missing.
pub fn executor(config: &Config, jobs: &[&str], from: TokenFrom) -> Result<DynoExecutor, Failure> {
    let endpoint = Endpoint::from_env()
        .map_err(|error| Failure::usage(error.to_string()).with_hint(error.hint()))?;
    let which = describe_jobs(jobs);
    let api_key = std::env::var("HEROKU_API_KEY").ok();
    let home = match from {
        TokenFrom::EnvOnly => None,
        TokenFrom::EnvOrNetrc => std::env::var_os("HOME").map(PathBuf::from),
    };
    let token = match credentials::find(
        api_key.as_deref(),
        home.as_deref(),
        &endpoint.netrc_machine,
    ) {
        Ok(found) => found.token,
        Err(_) => {
            return Err(Failure::usage(format!(
                "{which} in a one-off dyno (`run: dyno`), and HEROKU_API_KEY is not set"
            ))
            .with_hint(
                "make a token with `heroku authorizations:create --description heroku-clock`, then set it with `heroku config:set HEROKU_API_KEY=<token>`",
            ));
        }
    };
    let from_env = std::env::var("HEROKU_APP_NAME")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty());
    let Some(app) = from_env.or_else(|| config.app.clone()) else {
        return Err(Failure::usage(format!(
            "{which} in a one-off dyno (`run: dyno`), and the app's name is unknown: HEROKU_APP_NAME is not set and clock.yml has no `app:`"
        ))
        .with_hint(
            "run `heroku labs:enable runtime-dyno-metadata` (Heroku then sets HEROKU_APP_NAME from the next deploy on), or add `app: YOUR-APP` at the top of clock.yml",
        ));
    };
    if !crate::config::is_app_name(&app) {
        return Err(Failure::usage(format!(
            "HEROKU_APP_NAME is \"{}\", which is not a Heroku app name",
            crate::visible::visible(&app)
        ))
        .with_hint("`heroku apps` lists your apps' names"));
    }
    if !endpoint.is_expected_destination() {
        eprintln!(
            "warning: HEROKU_HOST sends your Heroku token to {}, which is not Heroku's API",
            endpoint.base_url
        );
    }
    let client = Client::new(&endpoint, token, RetryPolicy::from_env()).map_err(|e| {
        Failure::usage(format!(
            "cannot set up HTTPS: {}",
            crate::heroku::log_stream::describe(&e)
        ))
    })?;
    let streams =
        LogStreams::new().map_err(|e| Failure::usage(format!("cannot set up HTTPS: {e}")))?;
    let sizes: HashMap<String, Option<String>> = config
        .jobs
        .iter()
        .filter(|job| job.run == RunOn::Dyno)
        .map(|job| (job.name.clone(), job.dyno_size.clone()))
        .collect();
    Ok(DynoExecutor::new(
        client,
        streams,
        app,
        sizes,
        DynoTimings::from_env(),
    ))
}

/// `job "a" runs`, `jobs "a" and "b" run`, `4 jobs run`.
fn describe_jobs(jobs: &[&str]) -> String {
    match jobs {
        [one] => format!("job \"{one}\" runs"),
        [a, b] => format!("jobs \"{a}\" and \"{b}\" run"),
        [a, b, c] => format!("jobs \"{a}\", \"{b}\" and \"{c}\" run"),
        more => format!("{} jobs run", more.len()),
    }
}

/// The enabled dyno jobs of `config`, by name.
pub fn dyno_jobs(config: &Config) -> Vec<&str> {
    config
        .jobs
        .iter()
        .filter(|job| job.enabled && job.run == RunOn::Dyno)
        .map(|job| job.name.as_str())
        .collect()
}

/// The dynos an earlier clock started for this file's jobs, ready to follow. A dyno
/// list that cannot be read is logged and adopts nothing.
pub async fn adoptions(executor: &DynoExecutor) -> Vec<AdoptedRun> {
    let found = match executor.find_adoptable().await {
        Ok(found) => found,
        Err(error) => {
            report::adoption_failed(&crate::heroku::one_off::summary(&error));
            return Vec::new();
        }
    };
    found
        .into_iter()
        .filter_map(|adoption| {
            let slot = chrono::DateTime::parse_from_rfc3339(&adoption.marker.scheduled_for)
                .ok()?
                .to_utc();
            let executor = executor.clone();
            Some(AdoptedRun {
                job: adoption.marker.job.clone(),
                slot,
                attempt: adoption.marker.attempt,
                dyno: adoption.dyno.name.clone(),
                follow: Box::new(move |spec| executor.adopt(adoption, spec)),
            })
        })
        .collect()
}
