//! healthchecks.io (hosted or self-hosted) pings.
//!
//! `POST {url}/start?rid=R` when a run starts; `POST {url}/{exit_code}?rid=R` with the
//! output's end as `text/plain` when it ends (0 is success; 1..=255 failure); `/fail`
//! when it has no exit code of its own (a timeout, a failed start, a stop); `/log` for an
//! attempt that failed and is retried (recorded, state unchanged). `R` is the run's UUID,
//! which pairs start and end even when runs overlap. The heartbeat is a plain success
//! ping. Bodies are cut to the `Ping-Body-Limit` the service answers with (delivery does
//! that), keeping the end.

use super::super::request::{Body, Method, Request};
use super::super::secret::SecretUrl;
use super::Moment;

pub fn ping(url: &SecretUrl, run_id: &str, moment: &Moment) -> Request {
    let rid = [("rid", run_id)];
    match moment {
        Moment::Start { .. } => {
            Request::new(Method::Post, url.with("/start", &rid), Body::Empty, "start")
        }
        Moment::Note { summary, output } => Request::new(
            Method::Post,
            url.with("/log", &rid),
            Body::Tail(format!("{output}{summary}\n")),
            "log",
        ),
        Moment::End(ending) => {
            let suffix = if ending.exited && (0..=255).contains(&ending.code) {
                format!("/{}", ending.code)
            } else {
                "/fail".to_owned()
            };
            let about = if ending.ok { "success" } else { "failure" };
            Request::new(
                Method::Post,
                url.with(&suffix, &rid),
                Body::Tail(format!("{}{}\n", ending.output, ending.summary)),
                about,
            )
        }
        Moment::Alive => Request::new(Method::Post, url.clone(), Body::Empty, "heartbeat"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::Ending;
    use super::*;

    fn url() -> SecretUrl {
        SecretUrl::parse("https://hc-ping.com/0f4c2a7e-9b1d-4e5a-8c3f-1a2b3c4d5e6f").unwrap()
    }

    fn ending(ok: bool, code: i32, exited: bool) -> Moment {
        Moment::End(Ending {
            ok,
            code,
            exited,
            duration: Duration::from_secs(3),
            summary: "exit 1 after 3s".into(),
            output: "boom\n".into(),
        })
    }

    #[test]
    fn each_moment_has_its_path() {
        let base = "https://hc-ping.com/0f4c2a7e-9b1d-4e5a-8c3f-1a2b3c4d5e6f";
        let cases = [
            (Moment::Start { config: None }, "/start?rid=R", Body::Empty),
            (
                ending(true, 0, true),
                "/0?rid=R",
                Body::Tail("boom\nexit 1 after 3s\n".into()),
            ),
            (
                ending(false, 3, true),
                "/3?rid=R",
                Body::Tail("boom\nexit 1 after 3s\n".into()),
            ),
            (
                ending(false, 124, false),
                "/fail?rid=R",
                Body::Tail("boom\nexit 1 after 3s\n".into()),
            ),
            (
                ending(false, 300, true),
                "/fail?rid=R",
                Body::Tail("boom\nexit 1 after 3s\n".into()),
            ),
            (
                Moment::Note {
                    summary: "exit 2".into(),
                    output: "x\n".into(),
                },
                "/log?rid=R",
                Body::Tail("x\nexit 2\n".into()),
            ),
            (Moment::Alive, "", Body::Empty),
        ];
        for (moment, suffix, body) in cases {
            let request = ping(&url(), "R", &moment);
            assert_eq!(request.method, Method::Post, "{moment:?}");
            assert_eq!(
                request.url.expose().as_str(),
                format!("{base}{suffix}"),
                "{moment:?}"
            );
            assert_eq!(request.body, body, "{moment:?}");
        }
    }
}
