//! `clockctl notify test CHANNEL [FILE]`: send one test message through a channel of a
//! clock.yml and say what the endpoint answered.
//!
//! The channel's `${VAR}`s are read from this process's environment (run it with
//! `heroku run clockctl notify test ops` to use the app's config vars). The URL is never
//! printed: the channel is named with its service and host. Exit codes: 0 when the
//! endpoint answered 2xx, 1 when it answered anything else or could not be reached, 2 for
//! an unknown channel, an unset variable or an unreadable file.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Utc;

use super::Failure;
use super::async_runtime::tokio_runtime;
use super::checked_config::{Purpose, load_checked};
use crate::notify::message::{Kind, Report};
use crate::notify::{deliver, dyno_name, resolve_channel};
use crate::visible::visible;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Send one test message through CHANNEL (a name under `notify:`).
    Test {
        channel: String,
        /// The clock.yml that defines it.
        #[arg(env = "CLOCK_CONFIG", default_value = "clock.yml")]
        file: PathBuf,
    },
}

/// How much of an error answer's body is shown.
const SHOWN_BODY_CHARS: usize = 200;

pub fn run(args: Args) -> Result<ExitCode, Failure> {
    let Action::Test { channel, file } = args.action;
    let purpose = Purpose {
        how_to_pass: format!(
            "pass the clock.yml after the channel: `clockctl notify test {} FILE`, or set CLOCK_CONFIG",
            visible(&channel)
        ),
        not_done: "no test message was sent",
    };
    let config = load_checked(&file, &purpose)?;
    let Some(found) = config.channel(&channel) else {
        let names: Vec<&str> = config.notify.iter().map(|c| c.name.as_str()).collect();
        let hint = if names.is_empty() {
            format!(
                "{} has no `notify:` block; see docs/alerts.md",
                file.display()
            )
        } else {
            format!("channels in {}: {}", file.display(), names.join(", "))
        };
        return Err(
            Failure::usage(format!("no channel named \"{}\"", visible(&channel))).with_hint(hint),
        );
    };
    let destination = resolve_channel(&found.target, &|name| std::env::var(name).ok())
        .map_err(|error| {
            let hint = match &error.variable {
                Some(name) => format!(
                    "set it (`heroku config:set {name}=...`), or run this on the dyno: `heroku run clockctl notify test {channel}`"
                ),
                None => "check the config var's value".to_owned(),
            };
            Failure::usage(format!("channel \"{channel}\" cannot be used: {}", error.message))
                .with_hint(hint)
        })?;
    let report = Report {
        kind: Kind::Test,
        reminder: false,
        // The app, when Heroku says which (`runtime-dyno-metadata`).
        job: std::env::var("HEROKU_APP_NAME")
            .ok()
            .filter(|app| !app.is_empty())
            .unwrap_or_else(|| "heroku-clock".into()),
        schedule: String::new(),
        scheduled_for: None,
        attempt: None,
        attempts: 1,
        exit_code: None,
        signal: None,
        duration: None,
        dyno: dyno_name(),
        run_id: None,
        reason: Some(format!("channel {channel}")),
        missed: 0,
        streak: 0,
        output: String::new(),
        output_truncated: false,
        at: Utc::now(),
    };
    let request = destination.request(&report);
    let shown = format!(
        "{channel} ({}, {})",
        destination.service(),
        destination.url().host()
    );
    let runtime = tokio_runtime()?;
    let answer = runtime.block_on(async {
        let http = deliver::http_client()
            .map_err(|error| Failure::usage(format!("cannot set up HTTP: {error}")))?;
        Ok::<_, Failure>(deliver::send(&http, &request, None, deliver::REQUEST_TIMEOUT).await)
    })?;
    match answer {
        Ok(answer) if answer.is_success() => {
            println!(
                "sent a test message to {shown}: the endpoint answered {}",
                answer.status
            );
            Ok(ExitCode::SUCCESS)
        }
        Ok(answer) => {
            let body: String = answer.body.trim().chars().take(SHOWN_BODY_CHARS).collect();
            let said = if body.is_empty() {
                String::new()
            } else {
                format!(": {}", visible(&body))
            };
            Err(
                Failure::new(format!("{shown} answered {}{said}", answer.status))
                    .with_hint(hint_for(answer.status)),
            )
        }
        Err(error) => Err(Failure::new(format!("{shown}: {error}")).with_hint(format!(
            "the clock gives each request {}s; check the URL's host and that it is reachable",
            deliver::REQUEST_TIMEOUT.as_secs()
        ))),
    }
}

fn hint_for(status: u16) -> String {
    match status {
        404 | 410 => "the endpoint does not know this URL: check the config var's value".into(),
        401 | 403 => "the endpoint refused it: check the URL's token or the signing secret".into(),
        400 => {
            "the endpoint rejected the message; for Slack, check the webhook is an incoming webhook"
                .into()
        }
        _ => "try again; the clock retries 408, 429 and 5xx answers itself".into(),
    }
}
