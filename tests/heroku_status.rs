//! `clockctl status` against the fake Platform API: the formation, the clock dynos with
//! their state and age, and the next runs of a local clock.yml.

mod support_heroku;

use serde_json::{Value, json};
use support_heroku::{FakeHeroku, Reply, Sandbox, dyno, dynos_path, formation_path};

/// 2026-11-30T06:00:00Z: the dynos were created at 04:00 and changed state at 05:55.
const NOW: &str = "2026-11-30T06:00:00Z";

fn running_server() -> FakeHeroku {
    let server = FakeHeroku::start();
    server.serve_formation(1, "Standard-1X");
    server.on_dynos(vec![vec![
        dyno("web.1", "web", "up", "Basic"),
        dyno("clock.1", "clock", "up", "Standard-1X"),
    ]]);
    server
}

#[test]
fn status_text_shows_formation_dynos_and_a_missing_config() {
    let server = running_server();
    let out = Sandbox::new(&server).clockctl(&["status", "--now", NOW]);
    out.expect_code(0);
    assert_eq!(
        out.stdout,
        "app: clock-demo\n\
         clock formation: quantity 1, Standard-1X, command `clock`\n\
         clock dynos:\n  \
         clock.1: up for 5m 0s, started 2h 0m ago (since 2026-11-30T05:55:00Z)\n\
         next runs: no clock.yml here, so none to show\n"
    );
    assert_eq!(
        server.request_lines(),
        [
            format!("GET {}", formation_path()),
            format!("GET {}", dynos_path())
        ]
    );
    server.assert_schema_followed();
}

#[test]
fn status_json_is_one_object_for_scripts() {
    let server = running_server();
    let out = Sandbox::new(&server).clockctl(&[
        "status",
        "--format",
        "json",
        "--now",
        NOW,
        "--config",
        "other.yml",
    ]);
    out.expect_code(0);
    let report: Value = serde_json::from_str(&out.stdout).expect("stdout is JSON");
    assert_eq!(
        report,
        json!({
            "app": "clock-demo",
            "formation": {"type": "clock", "quantity": 1, "size": "Standard-1X", "command": "clock"},
            "dynos": [{
                "name": "clock.1",
                "state": "up",
                "size": "Standard-1X",
                "created_at": "2026-11-30T04:00:00Z",
                "updated_at": "2026-11-30T05:55:00Z",
                "age_seconds": 7200,
                "state_seconds": 300
            }],
            "config": {"path": "other.yml", "status": "missing", "jobs": []}
        })
    );
    server.assert_schema_followed();
}

#[test]
fn status_of_a_stopped_clock_says_how_to_start_it() {
    let server = FakeHeroku::start();
    server.serve_formation(0, "Basic");
    server.on_dynos(vec![vec![dyno("web.1", "web", "up", "Basic")]]);
    let out = Sandbox::new(&server).clockctl(&["status", "--now", NOW]);
    out.expect_code(0);
    out.stdout_has("the clock is stopped: `clockctl scale` starts it");
    out.stdout_has("clock dynos:\n  none running\n");
}

#[test]
fn status_reports_api_errors_like_scale() {
    let server = FakeHeroku::start();
    server.on_formation(
        "GET",
        vec![Reply::error(
            401,
            "unauthorized",
            "Invalid credentials provided.",
        )],
    );
    let out = Sandbox::new(&server).clockctl(&["status"]);
    out.expect_code(1);
    out.stderr_has("error: Heroku did not accept the API token");
    assert_eq!(server.requests().len(), 1);
}

fn fixture(scenario: &str) -> String {
    format!(
        "{}/tests/fixtures/{scenario}/clock.yml",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn status_lists_the_next_runs_of_the_local_clock_yml() {
    let server = running_server();
    let sandbox = Sandbox::new(&server);
    let text = std::fs::read_to_string(fixture("heroku_status_with_config")).expect("fixture");
    sandbox.write("clock.yml", &text);
    let out = sandbox.clockctl(&["status", "--now", NOW]);
    out.expect_code(0);
    let runs = out
        .stdout
        .split_once("next runs")
        .map(|(_, runs)| runs)
        .unwrap_or_default();
    assert_eq!(
        runs,
        " (clock.yml, from 2026-11-30T06:00:00Z):\n  \
         nightly-report  2026-12-01T02:00:00Z  at 02:00, UTC\n  \
         heartbeat       2026-11-30T06:15:00Z  every 15 minutes (aligned to the Unix epoch), UTC\n  \
         send-digest     disabled              at 17:00, Monday through Friday, UTC\n",
        "stdout:\n{}",
        out.stdout
    );

    let out = sandbox.clockctl(&["status", "--now", NOW, "--format", "json"]);
    out.expect_code(0);
    let report: Value = serde_json::from_str(&out.stdout).expect("stdout is JSON");
    assert_eq!(
        report["config"],
        json!({
            "path": "clock.yml",
            "status": "ok",
            "jobs": [
                {"name": "nightly-report", "enabled": true, "schedule": "at 02:00, UTC", "next_run": "2026-12-01T02:00:00Z"},
                {"name": "heartbeat", "enabled": true, "schedule": "every 15 minutes (aligned to the Unix epoch), UTC", "next_run": "2026-11-30T06:15:00Z"},
                {"name": "send-digest", "enabled": false, "schedule": "at 17:00, Monday through Friday, UTC", "next_run": null}
            ]
        })
    );
}

#[test]
fn status_points_an_invalid_clock_yml_at_validate() {
    let server = running_server();
    let config = fixture("heroku_status_invalid_config");
    let out = Sandbox::new(&server).clockctl(&["status", "--now", NOW, "--config", &config]);
    out.expect_code(0);
    assert!(
        out.stdout.ends_with(&format!(
            "next runs: {config} is invalid: 2 errors; run `clockctl validate` to see them\n"
        )),
        "{}",
        out.stdout
    );
}

#[test]
fn a_dyno_that_never_changed_state_says_its_age_once() {
    let server = FakeHeroku::start();
    server.serve_formation(1, "Basic");
    let mut clock = dyno("clock.1", "clock", "up", "Basic");
    clock["created_at"] = json!("2026-01-01T00:00:00Z");
    clock["updated_at"] = json!("2026-01-01T00:00:00Z");
    server.on_dynos(vec![vec![clock]]);
    let out = Sandbox::new(&server).clockctl(&["status", "--now", NOW]);
    out.expect_code(0);
    out.stdout_has("\n  clock.1: up for 333d 6h (since 2026-01-01T00:00:00Z)\n");
}

#[test]
fn status_shows_control_characters_from_the_api_as_escapes() {
    let server = FakeHeroku::start();
    server.serve_formation(1, "Basic\u{1b}[2J");
    let mut clock = dyno(
        "clock.1\u{1b}]0;pwned\u{7}",
        "clock",
        "up\u{9b}31m",
        "Basic",
    );
    clock["updated_at"] = json!("2026-11-30T05:55:00Z\r");
    server.on_dynos(vec![vec![clock]]);
    let out = Sandbox::new(&server).clockctl(&["status", "--now", NOW]);
    out.expect_code(0);
    assert!(
        !out.stdout.chars().any(|c| c.is_control() && c != '\n'),
        "a control character reached the terminal: {:?}",
        out.stdout
    );
    out.stdout_has("clock formation: quantity 1, Basic\\e[2J, command `clock`\n");
    out.stdout_has("  clock.1\\e]0;pwned\\u{7}: up\\u{9b}31m, started 2h 0m ago");
    out.stdout_has("(since 2026-11-30T05:55:00Z\\r)");
}

#[test]
fn api_error_messages_show_control_characters_as_escapes() {
    let server = FakeHeroku::start();
    server.on_formation(
        "GET",
        vec![Reply::error(
            401,
            "unauthorized\u{1b}[31m",
            "bad\u{1b}]0;pwned\u{7} token",
        )],
    );
    let out = Sandbox::new(&server).clockctl(&["status"]);
    out.expect_code(1);
    assert!(
        !out.stderr.chars().any(|c| c.is_control() && c != '\n'),
        "a control character reached the terminal: {:?}",
        out.stderr
    );
    out.stderr_has("(401 unauthorized\\e[31m: bad\\e]0;pwned\\u{7} token)");
}
