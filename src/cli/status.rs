//! `clockctl status`: the clock formation, each clock dyno's state and age, and the next
//! runs of the local clock.yml.
//!
//! Two API reads (`GET /apps/{app}/formation/clock`, `GET /apps/{app}/dynos`) and one local
//! file; a missing clock.yml is reported, not an error, and an invalid one is reported with
//! a pointer to `clockctl validate`. `--format json` prints one object for scripts. Exit
//! codes as for `clockctl scale`: 0 shown, 1 the API failed, 2 usage (no app, no token).

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::{self, LoadError, Severity};
use crate::heroku::{CLOCK_PROCESS, Dyno, Formation};
use crate::visible::visible;

use super::Failure;
use super::async_runtime::block_on;
use super::platform::{AppArgs, api_failure, init_debug_log, open_session};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output for people (text) or scripts (json).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The clock.yml whose next runs to show.
    #[arg(long, short = 'c', default_value = "clock.yml", value_name = "FILE")]
    config: PathBuf,
    #[command(flatten)]
    app: AppArgs,
    /// The instant to compute ages and next runs from, RFC 3339 (for tests).
    #[arg(long, hide = true, env = "CLOCKCTL_NOW")]
    now: Option<String>,
}

/// Everything `status` shows, in the shape `--format json` prints.
#[derive(Debug, Serialize)]
struct Report {
    app: String,
    formation: FormationReport,
    dynos: Vec<DynoReport>,
    config: ConfigReport,
}

#[derive(Debug, Serialize)]
struct FormationReport {
    #[serde(rename = "type")]
    process_type: String,
    quantity: i64,
    size: Option<String>,
    command: Option<String>,
}

#[derive(Debug, Serialize)]
struct DynoReport {
    name: String,
    state: String,
    size: Option<String>,
    created_at: Option<String>,
    updated_at: Option<String>,
    /// Seconds since the dyno was created.
    age_seconds: Option<i64>,
    /// Seconds since its state last changed.
    state_seconds: Option<i64>,
}

#[derive(Debug, Serialize)]
struct ConfigReport {
    path: String,
    status: ConfigStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
    jobs: Vec<JobReport>,
    /// With a `store:` block: the live clocks (and each job's `last_run`).
    #[serde(skip_serializing_if = "Option::is_none")]
    store: Option<super::status_store::StoreReport>,
}

/// What became of the local clock.yml; JSON shows it as `ok`, `missing`, `invalid` or
/// `unreadable`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum ConfigStatus {
    /// Read and valid: its next runs are shown.
    Ok,
    /// No file at the path.
    Missing,
    /// Read, with errors (`problem` counts them).
    Invalid,
    /// There, but not readable (`problem` says why).
    Unreadable,
}

#[derive(Debug, Serialize)]
struct JobReport {
    name: String,
    enabled: bool,
    schedule: String,
    next_run: Option<String>,
    /// With a store: the job's latest run that started.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_run: Option<super::status_store::LastRunReport>,
}

pub fn run(args: Args) -> Result<ExitCode, Failure> {
    let now = match args.now.as_deref() {
        None => Utc::now(),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| {
                Failure::usage(format!("--now {text:?} is not an RFC 3339 instant: {e}"))
            })?,
    };
    init_debug_log();
    let session = open_session(&args.app)?;
    let app = session.app.name.clone();
    let (formation, dynos) = block_on(async {
        let client = &session.client;
        let formation = client.formation_info(&app, CLOCK_PROCESS).await?;
        let dynos = client.dyno_list(&app).await?;
        Ok::<_, crate::heroku::ApiError>((formation, dynos))
    })?
    .map_err(api_failure)?;

    let report = Report {
        app,
        formation: formation_report(&formation),
        dynos: dynos
            .iter()
            .filter(|d| d.process_type == CLOCK_PROCESS)
            .map(|d| dyno_report(d, now))
            .collect(),
        config: config_report(&args.config, now),
    };
    match args.format {
        Format::Json => {
            let json = serde_json::to_string_pretty(&report)
                .map_err(|e| Failure::new(format!("cannot write JSON: {e}")))?;
            println!("{json}");
        }
        Format::Text => print!("{}", render_text(&report, now)),
    }
    Ok(ExitCode::SUCCESS)
}

fn formation_report(formation: &Formation) -> FormationReport {
    FormationReport {
        process_type: formation.process_type.clone(),
        quantity: formation.quantity,
        size: formation.size_name().map(str::to_owned),
        command: formation.command.clone(),
    }
}

/// Whole seconds from `stamp` (RFC 3339, from the API) to `now`; none for a stamp that
/// does not parse, 0 for one in the future.
pub(super) fn seconds_since(stamp: Option<&str>, now: DateTime<Utc>) -> Option<i64> {
    let at = DateTime::parse_from_rfc3339(stamp?).ok()?;
    Some((now - at.with_timezone(&Utc)).num_seconds().max(0))
}

fn dyno_report(dyno: &Dyno, now: DateTime<Utc>) -> DynoReport {
    DynoReport {
        name: dyno.name.clone(),
        state: dyno.state.clone(),
        size: dyno.size.clone(),
        created_at: dyno.created_at.clone(),
        updated_at: dyno.updated_at.clone(),
        age_seconds: seconds_since(dyno.created_at.as_deref(), now),
        state_seconds: seconds_since(dyno.updated_at.as_deref(), now),
    }
}

fn config_report(path: &std::path::Path, now: DateTime<Utc>) -> ConfigReport {
    let mut report = ConfigReport {
        path: path.display().to_string(),
        status: ConfigStatus::Ok,
        problem: None,
        jobs: Vec::new(),
        store: None,
    };
    if !path.exists() {
        report.status = ConfigStatus::Missing;
        return report;
    }
    let parsed = match config::load(path, now) {
        Ok((_, parsed)) => parsed,
        Err(LoadError::Io { source, .. }) => {
            report.status = ConfigStatus::Unreadable;
            report.problem = Some(source.to_string());
            return report;
        }
    };
    let Some(config) = parsed.config else {
        let errors = parsed
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        report.status = ConfigStatus::Invalid;
        report.problem = Some(format!(
            "{errors} error{}; run `clockctl validate` to see {}",
            if errors == 1 { "" } else { "s" },
            if errors == 1 { "it" } else { "them" }
        ));
        return report;
    };
    let mut last_runs = std::collections::HashMap::new();
    if let Some(block) = &config.store {
        let (store, last) = super::status_store::read(block, &config, path);
        report.store = Some(store);
        last_runs = last;
    }
    report.jobs = config
        .jobs
        .iter()
        .map(|job| JobReport {
            last_run: last_runs.get(&job.name).cloned(),
            name: job.name.clone(),
            enabled: job.enabled,
            schedule: job.schedule.describe(),
            next_run: job
                .enabled
                .then(|| job.schedule.next_after(now))
                .flatten()
                .map(|fire| fire.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        })
        .collect();
    report
}

/// `next runs: clock.yml is invalid: 2 errors; run ...`.
fn problem_line(config: &ConfigReport, is: &str) -> String {
    format!(
        "next runs: {} is {is}: {}\n",
        config.path,
        config.problem.as_deref().unwrap_or("")
    )
}

/// `3d 4h`, `2h 5m`, `4m 10s`, `12s`.
fn human_duration(seconds: i64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
        seconds % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

fn render_text(report: &Report, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let f = &report.formation;
    out.push_str(&format!("app: {}\n", visible(&report.app)));
    let size = visible(f.size.as_deref().unwrap_or("unknown size"));
    let command = f
        .command
        .as_deref()
        .map(|c| format!(", command `{}`", visible(c)))
        .unwrap_or_default();
    out.push_str(&format!(
        "clock formation: quantity {}, {size}{command}\n",
        f.quantity
    ));
    if f.quantity == 0 {
        out.push_str("  the clock is stopped: `clockctl scale` starts it\n");
    }
    out.push_str("clock dynos:\n");
    if report.dynos.is_empty() {
        out.push_str("  none running\n");
    }
    for dyno in &report.dynos {
        let state_for = dyno.state_seconds.map(human_duration);
        let age = dyno.age_seconds.map(human_duration);
        // A dyno still in the state it started in has one age: say it once.
        let age = age.filter(|age| state_for.as_ref() != Some(age));
        let state_for = state_for.map(|d| format!(" for {d}")).unwrap_or_default();
        let age = age
            .map(|d| format!(", started {d} ago"))
            .unwrap_or_default();
        let since = dyno
            .updated_at
            .as_deref()
            .map(|t| format!(" (since {})", visible(t)))
            .unwrap_or_default();
        out.push_str(&format!(
            "  {}: {}{state_for}{age}{since}\n",
            visible(&dyno.name),
            visible(&dyno.state)
        ));
    }
    let c = &report.config;
    match c.status {
        ConfigStatus::Missing => {
            out.push_str(&format!("next runs: no {} here, so none to show\n", c.path));
        }
        ConfigStatus::Ok => {
            let stamp = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            out.push_str(&format!("next runs ({}, from {stamp}):\n", c.path));
            if c.jobs.is_empty() {
                out.push_str("  no jobs\n");
            }
            let width = c.jobs.iter().map(|j| j.name.len()).max().unwrap_or(0);
            for job in &c.jobs {
                let next = match (&job.next_run, job.enabled) {
                    (_, false) => "disabled".to_owned(),
                    (Some(at), true) => at.clone(),
                    (None, true) => "no more runs".to_owned(),
                };
                out.push_str(&format!(
                    "  {:width$}  {next:20}  {}{}\n",
                    job.name,
                    job.schedule,
                    super::status_store::last_run_words(job.last_run.as_ref())
                ));
            }
            if let Some(store) = &c.store {
                super::status_store::render(store, now, &mut out);
            }
        }
        ConfigStatus::Invalid => out.push_str(&problem_line(c, "invalid")),
        ConfigStatus::Unreadable => out.push_str(&problem_line(c, "unreadable")),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_words() {
        for (from, expected) in [
            (0, "0s"),
            (59, "59s"),
            (250, "4m 10s"),
            (7500, "2h 5m"),
            (273_600, "3d 4h"),
        ] {
            assert_eq!(human_duration(from), expected, "{from}s");
        }
    }
}
