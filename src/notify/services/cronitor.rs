//! Cronitor's Telemetry API.
//!
//! `GET {url}?state=run&series=R&host=DYNO` when a run starts, then
//! `state=complete` or `state=fail` with `status_code`, `duration` (seconds) and
//! `message` (the output's end, at most 1,000 characters) when it ends. `series` pairs
//! them. Retried attempts are not sent: Cronitor would count each as a failure. The
//! heartbeat is `state=complete`. A query already in the URL (`env=`) is kept.

use super::super::request::{Body, Method, Request};
use super::super::secret::SecretUrl;
use super::Moment;
use crate::exec::last_chars;

/// Cronitor keeps at most this many characters of `message`.
pub const MAX_MESSAGE_CHARS: usize = 1000;
/// And of `host`.
const MAX_HOST_CHARS: usize = 50;

pub fn telemetry(url: &SecretUrl, run_id: &str, dyno: &str, moment: &Moment) -> Option<Request> {
    let host: String = dyno.chars().take(MAX_HOST_CHARS).collect();
    let (about, url) = match moment {
        Moment::Start { .. } => (
            "run",
            url.with("", &[("state", "run"), ("series", run_id), ("host", &host)]),
        ),
        Moment::Note { .. } => return None,
        Moment::End(ending) => {
            let state = if ending.ok { "complete" } else { "fail" };
            let message = format!("{}{}", ending.output, ending.summary);
            let code = ending.code.to_string();
            let duration = format!("{:.3}", ending.duration.as_secs_f64());
            (
                state,
                url.with(
                    "",
                    &[
                        ("state", state),
                        ("series", run_id),
                        ("status_code", &code),
                        ("duration", &duration),
                        ("host", &host),
                        ("message", last_chars(&message, MAX_MESSAGE_CHARS)),
                    ],
                ),
            )
        }
        Moment::Alive => (
            "heartbeat",
            url.with("", &[("state", "complete"), ("host", &host)]),
        ),
    };
    Some(Request::new(Method::Get, url, Body::Empty, about))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::Ending;
    use super::*;

    #[test]
    fn start_and_end_share_the_series_and_the_message_is_capped() {
        let url = SecretUrl::parse("https://cronitor.link/p/KEY123abc/backup?env=prod").unwrap();
        let start = telemetry(&url, "R", "clock.1", &Moment::Start { config: None }).unwrap();
        assert_eq!(start.method, Method::Get);
        assert_eq!(
            start.url.expose().as_str(),
            "https://cronitor.link/p/KEY123abc/backup?env=prod&state=run&series=R&host=clock.1"
        );
        let end = Moment::End(Ending {
            ok: false,
            code: 2,
            exited: true,
            duration: Duration::from_millis(1500),
            summary: "exit 2".into(),
            output: "x".repeat(3000),
        });
        let end = telemetry(&url, "R", "clock.1", &end).unwrap();
        let pairs: Vec<(String, String)> = end.url.expose().query_pairs().into_owned().collect();
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(get("state").as_deref(), Some("fail"));
        assert_eq!(get("series").as_deref(), Some("R"));
        assert_eq!(get("status_code").as_deref(), Some("2"));
        assert_eq!(get("duration").as_deref(), Some("1.500"));
        let message = get("message").unwrap();
        assert_eq!(message.chars().count(), MAX_MESSAGE_CHARS);
        assert!(message.ends_with("xexit 2"), "the end is kept");
        let retry = Moment::Note {
            summary: String::new(),
            output: String::new(),
        };
        assert!(telemetry(&url, "R", "clock.1", &retry).is_none());
    }
}
