//! Failure streaks kept in the store, end to end: a clock counts one failure and is
//! restarted (as every deploy and Heroku's daily restart do); the next clock counts the
//! second, alerts, and sends the recovery. Without a store the restart would have reset
//! the count and the alert would never go out.

mod support_hooks;
mod support_store;

use support_hooks::{ClockRun, FakeService, TOKEN, assert_no_token, field};
use support_store::TestDb;

#[test]
fn a_streak_goes_on_across_a_restart_when_the_clock_has_a_store() {
    let db = TestDb::create();
    let service = FakeService::start();
    let fixed = tempfile::tempdir().expect("a temp dir");
    let flag = fixed.path().join("fixed");
    let envs = [
        ("DATABASE_URL", db.url()),
        ("CLOCK_LEASE_TERM", "3s".to_owned()),
        ("ALERT_URL", service.url(&format!("/hook/{TOKEN}"))),
        ("FIXED", flag.display().to_string()),
    ];

    // The first clock sees one failure, then Heroku restarts it.
    let mut first = ClockRun::start("notify_store", &envs);
    first.wait_for(&["event=failed", "job=nightly-backup"]);
    first.terminate();
    let (status, first_lines, first_stderr) = first.wait_exit();
    assert!(status.success(), "{first_lines:?}");
    assert_eq!(
        db.sql("SELECT failures FROM heroku_clock.streaks WHERE job = 'nightly-backup'"),
        [[Some("1".to_owned())]],
        "the first failure is in the store"
    );
    assert!(
        service.requests_to("/hook/").is_empty(),
        "after: 2, so one failure sends nothing"
    );

    // The next clock's first failure is the streak's second: it alerts.
    let mut second = ClockRun::start("notify_store", &envs);
    second.wait_for(&["event=failed", "job=nightly-backup"]);
    second.find_or_wait(&["event=notified", "channel=pager", "status=200"]);
    let alerts = service.wait_for("/hook/", 1);
    let body = alerts[0].json();
    assert_eq!(body["type"], "job.failed");
    assert_eq!(body["data"]["streak"], 2, "{body}");

    // The job is fixed: one recovery, and the streak is over in the store.
    std::fs::write(&flag, "").expect("fix the job");
    let succeeded = second.wait_for(&["event=succeeded", "job=nightly-backup"]);
    let recovered = service.wait_for("/hook/", 2);
    assert_eq!(recovered[1].json()["type"], "job.recovered");
    second.terminate();
    let (status, lines, stderr) = second.wait_exit();
    assert!(status.success(), "{lines:?}");
    assert!(field(&succeeded, "run").is_some());
    assert_eq!(
        db.sql("SELECT failures, alerted_at IS NULL FROM heroku_clock.streaks"),
        [[Some("0".to_owned()), Some("t".to_owned())]]
    );
    let hooks = service.requests_to("/hook/");
    assert_eq!(
        hooks.len(),
        2,
        "one alert and one recovery, no more: {:?}",
        hooks
            .iter()
            .map(|hook| hook.json()["type"].clone())
            .collect::<Vec<_>>()
    );
    assert_no_token(&[
        &first_lines.join("\n"),
        &first_stderr,
        &lines.join("\n"),
        &stderr,
    ]);
}
