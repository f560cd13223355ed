//! Sentry Crons HTTP check-ins.
//!
//! The endpoint comes from the project's DSN: `{scheme}://{public_key}@{host}/{project}`
//! gives `{scheme}://{host}/api/{project}/cron/{slug}/{public_key}/`. A run sends
//! `in_progress` with a `check_in_id` (the run's UUID) when it starts, then `ok` or
//! `error` with the same id and its `duration` in seconds. The first check-in of each job
//! after the clock starts carries `monitor_config` (schedule, timezone, `checkin_margin`,
//! `max_runtime`, in minutes), so Sentry's monitor follows clock.yml. Retried attempts are
//! not sent. Bodies are JSON, so Sentry reads the whole check-in from them.

use std::time::Duration;

use serde_json::{Value, json};

use super::super::request::{Body, Method, Request};
use super::super::secret::SecretUrl;
use super::Moment;
use crate::config::Job;
use crate::credential::{Dsn, DsnError};
use crate::schedule::Schedule;

/// The check-in endpoint for monitor `slug` of the project in `dsn`.
///
/// # Errors
/// [`DsnError`] when the DSN lacks a part.
pub fn endpoint(dsn: &str, slug: &str) -> Result<SecretUrl, DsnError> {
    Ok(Dsn::parse(dsn)?.endpoint(slug))
}

pub fn check_in(url: &SecretUrl, run_id: &str, moment: &Moment) -> Option<Request> {
    let (about, body) = match moment {
        Moment::Start { config } => {
            let mut body = json!({"check_in_id": run_id, "status": "in_progress"});
            if let Some(config) = config {
                body["monitor_config"] = config.clone();
            }
            ("in_progress", body)
        }
        Moment::Note { .. } => return None,
        Moment::End(ending) => {
            let status = if ending.ok { "ok" } else { "error" };
            (
                status,
                json!({
                    "check_in_id": run_id,
                    "status": status,
                    "duration": ending.duration.as_secs_f64(),
                }),
            )
        }
        Moment::Alive => ("heartbeat", json!({"status": "ok"})),
    };
    Some(Request::new(
        Method::Post,
        url.clone(),
        Body::Json(body.to_string()),
        about,
    ))
}

/// Whole minutes, rounded up, at least 1 (Sentry's unit for margins and runtimes).
fn minutes(duration: Duration) -> u64 {
    duration.as_secs().div_ceil(60).max(1)
}

/// The `monitor_config` for `job`, when Sentry can express its schedule: a five-field
/// cron, or an `every` of whole minutes. Seconds-field crons and `at` jobs get none.
pub fn monitor_config(job: &Job) -> Option<Value> {
    let schedule = match &job.schedule.schedule {
        Schedule::Cron(expr) if !expr.has_seconds() => {
            json!({"type": "crontab", "value": expr.as_str()})
        }
        Schedule::Every(every) if every.as_secs() % 60 == 0 && every.as_secs() > 0 => {
            json!({"type": "interval", "value": every.as_secs() / 60, "unit": "minute"})
        }
        _ => return None,
    };
    let mut config = json!({
        "schedule": schedule,
        "timezone": job.schedule.tz.name(),
        "checkin_margin": minutes(job.misfire_grace),
    });
    if let Some(timeout) = job.timeout {
        config["max_runtime"] = json!(minutes(timeout));
    }
    Some(config)
}

#[cfg(test)]
mod tests {
    use super::super::Ending;
    use super::*;

    #[test]
    fn the_endpoint_is_built_from_the_dsn() {
        let cases = [
            (
                "https://abc123@o42.ingest.sentry.io/4505",
                "https://o42.ingest.sentry.io/api/4505/cron/backup/abc123/",
            ),
            (
                "http://k@127.0.0.1:8125/1",
                "http://127.0.0.1:8125/api/1/cron/backup/k/",
            ),
            (
                "https://k@sentry.example.com/sub/7",
                "https://sentry.example.com/sub/api/7/cron/backup/k/",
            ),
        ];
        for (dsn, expected) in cases {
            assert_eq!(
                endpoint(dsn, "backup").unwrap().expose().as_str(),
                expected,
                "{dsn}"
            );
        }
        assert_eq!(
            endpoint("https://o1.sentry.io/1", "b").err(),
            Some(DsnError::NoPublicKey)
        );
        assert_eq!(
            endpoint("https://k@o1.sentry.io/", "b").err(),
            Some(DsnError::NoProject)
        );
    }

    #[test]
    fn in_progress_then_the_end_with_the_same_id() {
        let url = endpoint("http://k@127.0.0.1:1/1", "backup").unwrap();
        let config = json!({"schedule": {"type": "crontab", "value": "0 3 * * *"}});
        let start = check_in(
            &url,
            "R",
            &Moment::Start {
                config: Some(config.clone()),
            },
        )
        .unwrap();
        let Body::Json(body) = &start.body else {
            panic!("json")
        };
        let body: Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            body,
            json!({"check_in_id": "R", "status": "in_progress", "monitor_config": config})
        );
        let end = Moment::End(Ending {
            ok: true,
            code: 0,
            exited: true,
            duration: Duration::from_millis(2500),
            summary: String::new(),
            output: String::new(),
        });
        let end = check_in(&url, "R", &end).unwrap();
        let Body::Json(body) = &end.body else {
            panic!("json")
        };
        let body: Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            body,
            json!({"check_in_id": "R", "status": "ok", "duration": 2.5})
        );
    }
}
