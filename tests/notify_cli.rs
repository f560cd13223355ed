//! `clockctl notify test` and `clockctl validate --env-dir` through the built binary,
//! against the fixture in `tests/fixtures/notify_cli/`.

mod support_hooks;

use std::process::{Command, Output};

use support_hooks::{FakeService, Reply, TOKEN, assert_no_token, fixture};

fn clockctl(args: &[&str], envs: &[(&str, String)]) -> Output {
    clockctl_in("notify_cli", args, envs)
}

/// `clockctl ARGS` in the fixture folder `scenario`, with only `envs` of the variables
/// the fixtures name.
fn clockctl_in(scenario: &str, args: &[&str], envs: &[(&str, String)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_clockctl"));
    command
        .args(args)
        .current_dir(fixture(scenario))
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

#[test]
fn notify_test_without_its_file_says_how_to_pass_it() {
    let output = clockctl(&["notify", "test", "ops", "nosuch.yml"], &[]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("error: cannot read nosuch.yml: "),
        "{stderr}"
    );
    assert!(
        stderr.ends_with(
            "\nhint: pass the clock.yml after the channel: `clockctl notify test ops FILE`, or set CLOCK_CONFIG\n"
        ),
        "{stderr}"
    );
}

#[test]
fn notify_test_with_an_invalid_file_says_nothing_was_sent() {
    let file = fixture("notify_cli_invalid_file").join("clock.yml");
    let file = file.to_str().expect("UTF-8 path");
    let output = clockctl(&["notify", "test", "ops", file], &[]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{file}:3:79: error: unknown key \"secrt\" in channel \"ops\"\n 3 |   ops: {{ slack: \"https://hooks.slack.com/***\", secrt: *** }}\n"
        )),
        "{stderr}"
    );
    assert!(
        stderr.ends_with(&format!(
            "error: {file} has 1 error; no test message was sent\nhint: fix it, then check it with `clockctl validate {file}`\n"
        )),
        "{stderr}"
    );
    assert_no_token(&[&stdout, &stderr]);
}

#[test]
fn validate_env_dir_checks_each_value_as_the_clock_reads_it() {
    let env_dir = tempfile::tempdir().expect("tempdir");
    let dir = env_dir.path().to_str().unwrap().to_owned();
    let write = |name: &str, value: String| {
        std::fs::write(env_dir.path().join(name), value).expect("write");
    };
    write("SLACK_URL", format!("hooks.slack.com/services/{TOKEN}"));
    write("ALERT_URL", format!("https://alerts.example.com/{TOKEN}"));
    write("ALERT_SECRET", TOKEN.to_owned());
    write("HC_CLOCK_URL", format!("ftp://hc-ping.com/{TOKEN}"));
    write(
        "SENTRY_DSN",
        format!("https://o42.ingest.sentry.io/{TOKEN}"),
    );
    let output = clockctl_in(
        "validate_env_dir_values",
        &["validate", "--env-dir", &dir],
        &[],
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("clock.yml:") && line.contains(": error: "))
        .collect();
    assert_eq!(
        errors,
        [
            format!(
                "clock.yml:5:12: error: ${{SLACK_URL}} in {dir} is not an http(s) URL: the value is not a URL (notify.ops)"
            ),
            format!(
                "clock.yml:8:13: error: ${{ALERT_SECRET}} in {dir} is not a Standard Webhooks key (whsec_…): the secret is not whsec_ followed by base64 (notify.pager)"
            ),
            format!(
                "clock.yml:11:17: error: ${{HC_CLOCK_URL}} in {dir} is not an http(s) URL: the URL's scheme is \"ftp\", not http or https (heartbeat)"
            ),
            format!(
                "clock.yml:19:22: error: ${{SENTRY_DSN}} in {dir} is not a Sentry DSN: the DSN has no public key (the part before @) (jobs.report.monitor)"
            ),
        ]
    );
    assert_no_token(&[&stdout, &stderr]);

    write(
        "SLACK_URL",
        format!("https://hooks.slack.com/services/{TOKEN}"),
    );
    write(
        "ALERT_SECRET",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
    );
    write("HC_CLOCK_URL", format!("https://hc-ping.com/{TOKEN}"));
    write(
        "SENTRY_DSN",
        format!("https://{TOKEN}@o42.ingest.sentry.io/4505"),
    );
    let output = clockctl_in(
        "validate_env_dir_values",
        &["validate", "--env-dir", &dir],
        &[],
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert_eq!(stderr, "");
    assert_no_token(&[&stdout, &stderr]);
}
