//! `clockctl notify test` and `clockctl validate --env-dir` through the built binary,
//! against the fixture in `tests/fixtures/notify_cli/`.

mod support_hooks;

use std::process::{Command, Output};

use support_hooks::{FakeService, Reply, TOKEN, assert_no_token, fixture};

fn clockctl(args: &[&str], envs: &[(&str, String)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_clockctl"));
    command
        .args(args)
        .current_dir(fixture("notify_cli"))
        .env_remove("CLOCK_CONFIG")
        .env_remove("SLACK_WEBHOOK_URL")
        .env_remove("HC_BACKUP_URL");
    for (key, value) in envs {
        command.env(key, value);
    }
    command.output().expect("run clockctl")
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn notify_test_sends_one_message_and_says_what_the_endpoint_answered() {
    let slack = FakeService::start();
    let url = slack.url(&format!("/services/T0/B0/{TOKEN}"));
    let output = clockctl(&["notify", "test", "ops"], &[("SLACK_WEBHOOK_URL", url)]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert_eq!(
        stdout,
        format!(
            "sent a test message to ops (slack, 127.0.0.1:{}): the endpoint answered 200\n",
            slack.port()
        )
    );
    let requests = slack.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "POST");
    assert!(
        requests[0].json()["text"]
            .as_str()
            .is_some_and(|t| t.contains("test message from heroku-clock")),
        "{:?}",
        requests[0]
    );
    assert_no_token(&[&stdout, &stderr]);
}

#[test]
fn notify_test_reports_an_error_answer_with_a_hint_and_no_token() {
    let slack = FakeService::start();
    slack.on(
        "/",
        vec![Reply {
            body: "no_service".into(),
            ..Reply::status(404)
        }],
    );
    let url = slack.url(&format!("/services/T0/B0/{TOKEN}"));
    let output = clockctl(&["notify", "test", "ops"], &[("SLACK_WEBHOOK_URL", url)]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert_eq!(
        stderr,
        format!(
            "error: ops (slack, 127.0.0.1:{}) answered 404: no_service\nhint: the endpoint does not know this URL: check the config var's value\n",
            slack.port()
        )
    );
    assert_no_token(&[&stdout, &stderr]);
}

#[test]
fn notify_test_names_the_unset_variable_and_the_known_channels() {
    let output = clockctl(&["notify", "test", "ops"], &[]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.starts_with("error: channel \"ops\" cannot be used: ${SLACK_WEBHOOK_URL} is not set\nhint: set it (`heroku config:set SLACK_WEBHOOK_URL=...`)"),
        "{stderr}"
    );
    let output = clockctl(&["notify", "test", "pager"], &[]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr,
        "error: no channel named \"pager\"\nhint: channels in clock.yml: ops\n"
    );
}

#[test]
fn validate_env_dir_checks_the_variables_exist_without_printing_them() {
    let env_dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        env_dir.path().join("SLACK_WEBHOOK_URL"),
        format!("https://hooks.slack.com/services/{TOKEN}"),
    )
    .unwrap();
    let dir = env_dir.path().to_str().unwrap().to_owned();
    let output = clockctl(&["validate", "--env-dir", &dir], &[]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "clock.yml:13:21: error: ${{HC_BACKUP_URL}} is not set in {dir} (jobs.backup.monitor)\n"
        )),
        "{stderr}"
    );
    assert!(
        !stderr.contains("SLACK_WEBHOOK_URL"),
        "a variable that is set is not mentioned"
    );

    std::fs::write(
        env_dir.path().join("HC_BACKUP_URL"),
        format!("https://hc-ping.com/{TOKEN}"),
    )
    .unwrap();
    let output = clockctl(&["validate", "--env-dir", &dir, "--format", "json"], &[]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(report["jobs"][0]["monitor"], "healthchecks");
    assert_eq!(report["jobs"][0]["alert_to"], serde_json::json!(["ops"]));
    assert_no_token(&[&stdout, &stderr]);
}
