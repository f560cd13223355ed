//! Dead Man's Snitch check-ins.
//!
//! `GET {url}?s={exit_code}&m={message}` once, at the end of a run: `s=0` is a success,
//! any other value marks the snitch errored; `m` holds at most 256 characters (the end of
//! the summary and output). A snitch has no start signal: it alerts when a period passes
//! without a check-in. The heartbeat checks in with `s=0`.

use super::super::request::{Body, Method, Request};
use super::super::secret::SecretUrl;
use super::Moment;
use crate::exec::last_chars;

/// Dead Man's Snitch keeps at most this many characters of `m`.
pub const MAX_MESSAGE_CHARS: usize = 256;

pub fn check_in(url: &SecretUrl, moment: &Moment) -> Option<Request> {
    match moment {
        Moment::Start { .. } | Moment::Note { .. } => None,
        Moment::End(ending) => {
            let status = if ending.ok { 0 } else { ending.code.max(1) };
            let last_line = ending.output.trim_end().lines().last().unwrap_or_default();
            let message = if last_line.is_empty() {
                ending.summary.clone()
            } else {
                format!("{}: {last_line}", ending.summary)
            };
            let status = status.to_string();
            let url = url.with(
                "",
                &[
                    ("s", &status),
                    ("m", last_chars(&message, MAX_MESSAGE_CHARS)),
                ],
            );
            let about = if ending.ok { "success" } else { "failure" };
            Some(Request::new(Method::Get, url, Body::Empty, about))
        }
        Moment::Alive => Some(Request::new(
            Method::Get,
            url.with("", &[("s", "0"), ("m", "clock alive")]),
            Body::Empty,
            "heartbeat",
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::Ending;
    use super::*;

    #[test]
    fn only_the_end_is_sent_with_status_and_message() {
        let url = SecretUrl::parse("https://nosnch.in/c2354d53d2").unwrap();
        assert!(check_in(&url, &Moment::Start { config: None }).is_none());
        let end = Moment::End(Ending {
            ok: false,
            code: 124,
            exited: false,
            duration: Duration::from_secs(60),
            summary: "timed out after 1m".into(),
            output: "working\nstill working\n".into(),
        });
        let request = check_in(&url, &end).unwrap();
        assert_eq!(request.method, Method::Get);
        assert_eq!(
            request.url.expose().as_str(),
            "https://nosnch.in/c2354d53d2?s=124&m=timed+out+after+1m%3A+still+working"
        );
    }
}
