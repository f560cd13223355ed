//! Alerts, monitor pings and the heartbeat end to end: the built `clock` runs the
//! fixtures in `tests/fixtures/notify_*`, with loopback servers standing in for each
//! service. Each test checks what the service received (method, path, query, body) and
//! that no URL token reached the clock's output.

mod support_hooks;

use std::time::Duration;

use heroku_clock::credential::SigningKey;
use support_hooks::{ClockRun, FakeService, Reply, TOKEN, assert_no_token, field};

#[test]
fn healthchecks_gets_start_log_and_exit_code_with_one_rid_and_a_capped_body() {
    let hc = FakeService::start();
    let base = format!("/ping/{TOKEN}");
    // The service stores 64 bytes of a body, and says so on every answer.
    hc.on(&base, vec![Reply::ok().header("Ping-Body-Limit", "64")]);
    let mut clock = ClockRun::start("notify_healthchecks", &[("HC_BACKUP_URL", hc.url(&base))]);
    clock.wait_for(&[
        "event=notified",
        "channel=monitor.backup",
        "about=failure",
        "status=200",
    ]);
    clock.terminate();
    let (status, lines, stderr) = clock.wait_exit();
    assert!(status.success(), "{status:?}\n{}", lines.join("\n"));

    let requests = hc.requests_to(&base);
    let paths: Vec<String> = requests
        .iter()
        .take(3)
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        paths,
        [
            format!("POST {base}/start"),
            format!("POST {base}/log"),
            format!("POST {base}/3")
        ],
        "start, the retried attempt, then the final exit code"
    );
    let rid = requests[0].param("rid").expect("a rid");
    assert_eq!(rid.len(), 36, "a UUID: {rid}");
    for request in &requests[..3] {
        assert_eq!(request.param("rid"), Some(rid), "one rid from start to end");
    }
    let end = &requests[2];
    assert_eq!(
        end.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert!(
        end.body.len() <= 64,
        "cut to Ping-Body-Limit: {} bytes",
        end.body.len()
    );
    assert!(
        end.body.ends_with("exit 3 after 0s, attempt 2 of 2\n"),
        "the end of the body is kept: {:?}",
        end.body
    );
    assert_no_token(&[&lines.join("\n"), &stderr]);
}

#[test]
fn cronitor_snitch_and_sentry_each_get_their_protocol() {
    let service = FakeService::start();
    service.on("/sentry", vec![Reply::status(202)]);
    let mut clock = ClockRun::start(
        "notify_services",
        &[
            (
                "CRONITOR_URL",
                service.url(&format!("/cronitor/p/{TOKEN}/report")),
            ),
            ("SWEEP_SNITCH_URL", service.url(&format!("/snitch/{TOKEN}"))),
            (
                "SENTRY_DSN",
                format!("http://{TOKEN}@127.0.0.1:{}/sentry/42", service.port()),
            ),
        ],
    );
    for channel in ["monitor.report", "monitor.sweep", "monitor.digest"] {
        let about = if channel == "monitor.sweep" {
            "failure"
        } else if channel == "monitor.digest" {
            "ok"
        } else {
            "complete"
        };
        clock.find_or_wait(&[
            "event=notified",
            &format!("channel={channel}"),
            &format!("about={about}"),
        ]);
    }
    clock.terminate();
    let (_, lines, stderr) = clock.wait_exit();

    let cronitor = service.requests_to("/cronitor/");
    assert_eq!(cronitor[0].method, "GET");
    assert_eq!(cronitor[0].path, format!("/cronitor/p/{TOKEN}/report"));
    assert_eq!(cronitor[0].param("state"), Some("run"));
    assert_eq!(cronitor[0].param("host"), Some("clock.1"));
    let end = &cronitor[1];
    assert_eq!(end.param("state"), Some("complete"));
    assert_eq!(
        end.param("series"),
        cronitor[0].param("series"),
        "series carried to the end"
    );
    assert_eq!(end.param("status_code"), Some("0"));
    assert!(
        end.param("duration")
            .is_some_and(|d| d.parse::<f64>().is_ok())
    );
    assert!(
        end.param("message")
            .is_some_and(|m| m.starts_with("report done\n")),
        "{end:?}"
    );

    let snitch = service.requests_to("/snitch/");
    assert_eq!(snitch[0].method, "GET");
    assert_eq!(
        snitch[0].param("s"),
        Some("4"),
        "only the end, with its exit code"
    );
    assert!(
        snitch[0]
            .param("m")
            .is_some_and(|m| m.ends_with("swept nothing")),
        "{:?}",
        snitch[0]
    );

    let sentry = service.requests_to("/sentry/");
    assert_eq!(sentry[0].method, "POST");
    assert_eq!(
        sentry[0].path,
        format!("/sentry/api/42/cron/daily-digest/{TOKEN}/")
    );
    assert_eq!(sentry[0].header("content-type"), Some("application/json"));
    let start = sentry[0].json();
    assert_eq!(start["status"], "in_progress");
    assert!(
        start.get("monitor_config").is_none(),
        "every 2s is not whole minutes, so Sentry gets no monitor_config: {start}"
    );
    let end = sentry[1].json();
    assert_eq!(end["status"], "ok");
    assert_eq!(
        end["check_in_id"], start["check_in_id"],
        "check_in_id carried to the end"
    );
    assert!(end["duration"].is_f64(), "{end}");
    assert_no_token(&[&lines.join("\n"), &stderr]);
}

#[test]
fn the_second_failure_alerts_slack_and_a_signed_webhook() {
    let service = FakeService::start();
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let mut clock = ClockRun::start(
        "notify_alerts",
        &[
            (
                "SLACK_WEBHOOK_URL",
                service.url(&format!("/slack/services/T0/B0/{TOKEN}")),
            ),
            ("ALERT_URL", service.url(&format!("/hook/{TOKEN}"))),
            ("ALERT_SECRET", SECRET.to_owned()),
        ],
    );
    let first = clock.wait_for(&["event=failed", "job=nightly-backup"]);
    let second = clock.wait_for(&["event=failed", "job=nightly-backup"]);
    clock.find_or_wait(&["event=notified", "channel=ops", "status=200"]);
    clock.find_or_wait(&["event=notified", "channel=pager", "status=200"]);
    clock.terminate();
    let (_, lines, stderr) = clock.wait_exit();
    assert!(field(&first, "run").is_some() && field(&second, "run").is_some());

    let slack = service.requests_to("/slack/");
    assert_eq!(
        slack.len(),
        1,
        "one alert when the streak reaches 2, none before or after"
    );
    assert_eq!(slack[0].method, "POST");
    let text = slack[0].json()["text"].as_str().expect("text").to_owned();
    assert!(
        text.starts_with(":red_circle: *nightly-backup failed (exit 1) after 0s*\n"),
        "{text}"
    );
    assert!(text.contains("attempt 1 of 1 · clock.1"), "{text}");
    assert!(
        text.contains("```\ndisk full\n```"),
        "the output's last lines: {text}"
    );

    let hooks = service.requests_to("/hook/");
    assert_eq!(hooks.len(), 1);
    let hook = &hooks[0];
    let body = hook.json();
    assert_eq!(body["type"], "job.failed");
    assert_eq!(body["data"]["job"], "nightly-backup");
    assert_eq!(body["data"]["streak"], 2);
    assert_eq!(body["data"]["exit_code"], 1);
    assert_eq!(body["data"]["dyno"], "clock.1");
    assert_eq!(body["data"]["output"], "disk full\n");
    let id = hook.header("webhook-id").expect("webhook-id");
    let timestamp: i64 = hook
        .header("webhook-timestamp")
        .expect("timestamp")
        .parse()
        .expect("unix seconds");
    let expected = SigningKey::parse(SECRET)
        .unwrap()
        .sign(id, timestamp, hook.body.as_bytes());
    assert_eq!(hook.header("webhook-signature"), Some(expected.as_str()));
    assert_no_token(&[&lines.join("\n"), &stderr]);
    assert!(
        !lines.join("\n").contains("MfKQ9r8"),
        "the secret never shows"
    );
}

#[test]
fn a_429_is_retried_after_retry_after_and_a_404_is_not() {
    let service = FakeService::start();
    service.on(
        "/throttled/",
        vec![Reply::status(429).header("Retry-After", "1"), Reply::ok()],
    );
    service.on("/gone/", vec![Reply::status(404)]);
    let mut clock = ClockRun::start(
        "notify_retries",
        &[
            ("THROTTLED_URL", service.url(&format!("/throttled/{TOKEN}"))),
            ("GONE_URL", service.url(&format!("/gone/{TOKEN}"))),
        ],
    );
    let ok = clock.find_or_wait(&["event=notified", "channel=throttled"]);
    let failed = clock.find_or_wait(&["event=notify_failed", "channel=gone"]);
    clock.terminate();
    let (_, lines, stderr) = clock.wait_exit();
    assert_eq!(field(&ok, "status"), Some("200"));
    assert_eq!(field(&ok, "attempts"), Some("2"));
    assert_eq!(field(&failed, "status"), Some("404"));
    assert_eq!(
        field(&failed, "attempts"),
        Some("1"),
        "no retry after a 404"
    );

    let throttled = service.requests_to("/throttled/");
    assert_eq!(throttled.len(), 2, "{throttled:#?}");
    let waited = throttled[1].at - throttled[0].at;
    assert!(
        waited >= Duration::from_millis(950),
        "Retry-After: 1 was honoured: {waited:?}"
    );
    assert_eq!(
        throttled[0].header("webhook-id"),
        None,
        "unsigned without a secret"
    );
    assert_eq!(service.requests_to("/gone/").len(), 1);
    assert_no_token(&[&lines.join("\n"), &stderr]);
}

#[test]
fn a_hanging_endpoint_delays_no_job_and_no_shutdown() {
    let service = FakeService::start();
    service.on("/", vec![Reply::hang()]);
    let mut clock = ClockRun::start(
        "notify_hanging",
        &[("HANG_URL", service.url(&format!("/h/{TOKEN}")))],
    );
    let mut lateness = Vec::new();
    for _ in 0..8 {
        let started = clock.wait_for(&["event=started"]);
        lateness.push(
            field(&started, "late_ms")
                .and_then(|ms| ms.parse::<u64>().ok())
                .expect("late_ms"),
        );
    }
    assert!(!service.requests().is_empty(), "the endpoint was called");
    let asked = std::time::Instant::now();
    clock.terminate();
    let (status, lines, stderr) = clock.wait_exit();
    let took = asked.elapsed();
    assert!(status.success(), "{status:?}");
    assert!(
        lateness.iter().all(|&ms| ms < 500),
        "every run started on time although each delivery hangs: {lateness:?}"
    );
    assert!(
        took < Duration::from_millis(2_000 + 3_000 + 1_500),
        "shutdown took {took:?}"
    );
    let text = lines.join("\n");
    assert!(
        text.contains("event=notify_dropped"),
        "pending deliveries are dropped with a warning:\n{text}"
    );
    assert_no_token(&[&text, &stderr]);
}

#[test]
fn an_unset_variable_disables_its_channel_and_the_job_still_runs() {
    let mut clock = ClockRun::start("notify_unset", &[]);
    let disabled = clock.wait_for(&["event=notify_disabled", "channel=ops"]);
    assert!(disabled.starts_with("at=error "), "{disabled}");
    assert_eq!(
        field(&disabled, "variable"),
        Some("UNSET_SLACK_URL_FOR_TEST")
    );
    clock.wait_for(&["event=succeeded", "job=tick"]);
    clock.terminate();
    let (status, _, _) = clock.wait_exit();
    assert!(status.success());
}
