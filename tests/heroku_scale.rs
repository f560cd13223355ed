//! `clockctl scale` against a fake Platform API on 127.0.0.1; every request is checked
//! against the published schema's links (see tests/support_heroku).

mod support_heroku;

use serde_json::json;
use support_heroku::{APP, FakeHeroku, Reply, Sandbox, TOKEN, dyno, formation, formation_path};

fn patch_line() -> String {
    format!("PATCH {}", formation_path())
}

fn get_line() -> String {
    format!("GET {}", formation_path())
}

#[test]
fn scales_the_clock_from_zero_to_one() {
    let server = FakeHeroku::start();
    server.serve_formation(0, "Basic");
    server.on_formation("PATCH", vec![Reply::ok(formation(1, "Basic"))]);
    let out = Sandbox::new(&server).clockctl(&["scale"]);
    out.expect_code(0);
    assert_eq!(server.request_lines(), [get_line(), patch_line()]);
    let patch = &server.requests()[1];
    assert_eq!(patch.json(), json!({"quantity": 1}));
    assert_eq!(
        patch.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    out.stdout_has("Scaled clock on clock-demo from 0 (stopped) to 1 × Basic");
    // Debug logging is on in every test (CLOCK_LOG_LEVEL=debug), so the token checks in
    // `Sandbox::clockctl` cover the logged requests too.
    assert!(
        out.stderr.contains("Authorization: Bearer ***"),
        "no debug log of the request:\n{}",
        out.stderr
    );
    server.assert_schema_followed();
}

#[test]
fn a_clock_already_at_one_is_left_alone() {
    let server = FakeHeroku::start();
    server.serve_formation(1, "Basic");
    let out = Sandbox::new(&server).clockctl(&["scale", "--quantity", "1"]);
    out.expect_code(0);
    assert_eq!(server.request_lines(), [get_line()]);
    out.stdout_has("already at 1 × Basic; nothing to change");
    server.assert_schema_followed();
}

#[test]
fn size_is_sent_as_dyno_size() {
    let server = FakeHeroku::start();
    server.serve_formation(1, "Basic");
    server.on_formation("PATCH", vec![Reply::ok(formation(1, "Standard-1X"))]);
    let out = Sandbox::new(&server).clockctl(&["scale", "--size", "standard-1X"]);
    out.expect_code(0);
    assert_eq!(server.request_lines(), [get_line(), patch_line()]);
    assert_eq!(
        server.requests()[1].json(),
        json!({"quantity": 1, "dyno_size": {"name": "standard-1X"}})
    );
    server.assert_schema_followed();
}

#[test]
fn the_same_size_in_other_case_is_no_change() {
    let server = FakeHeroku::start();
    server.serve_formation(1, "Standard-1X");
    let out = Sandbox::new(&server).clockctl(&["scale", "--size", "standard-1x"]);
    out.expect_code(0);
    assert_eq!(server.request_lines(), [get_line()]);
}

#[test]
fn quantity_zero_stops_the_clock() {
    let server = FakeHeroku::start();
    server.serve_formation(1, "Basic");
    server.on_formation("PATCH", vec![Reply::ok(formation(0, "Basic"))]);
    let out = Sandbox::new(&server).clockctl(&["scale", "--quantity", "0"]);
    out.expect_code(0);
    assert_eq!(server.requests()[1].json(), json!({"quantity": 0}));
    server.assert_schema_followed();
}

#[test]
fn more_than_one_clock_is_refused_before_anything_is_sent() {
    let server = FakeHeroku::start();
    for quantity in ["2", "5"] {
        let out = Sandbox::new(&server).clockctl(&["scale", "--quantity", quantity]);
        out.expect_code(2);
        out.stderr_has("run every job twice");
    }
    server.assert_nothing_sent();
}

#[test]
fn rate_limiting_waits_and_retries() {
    let server = FakeHeroku::start();
    server.on_formation(
        "GET",
        vec![
            Reply::error(429, "rate_limit", "Your account reached the API rate limit")
                .with_header("Retry-After", "0"),
            Reply::ok(formation(0, "Basic")),
        ],
    );
    server.on_formation(
        "PATCH",
        vec![
            Reply::error(429, "rate_limit", "Your account reached the API rate limit")
                .with_header("Retry-After", "1"),
            Reply::ok(formation(1, "Basic")),
        ],
    );
    let out = Sandbox::new(&server).clockctl(&["scale"]);
    out.expect_code(0);
    assert_eq!(
        server.request_lines(),
        [get_line(), get_line(), patch_line(), patch_line()]
    );
    let ids: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.header("request-id").unwrap_or_default().to_owned())
        .collect();
    assert_ne!(ids[0], ids[1], "every request has its own Request-Id");
    server.assert_schema_followed();
}

#[test]
fn a_service_error_is_retried() {
    let server = FakeHeroku::start();
    server.on_formation(
        "GET",
        vec![
            Reply::error(503, "unavailable", "Heroku is down"),
            Reply::error(500, "internal_server_error", "oops"),
            Reply::ok(formation(0, "Basic")),
        ],
    );
    server.on_formation("PATCH", vec![Reply::ok(formation(1, "Basic"))]);
    let out = Sandbox::new(&server).clockctl(&["scale"]);
    out.expect_code(0);
    assert_eq!(
        server.request_lines(),
        [get_line(), get_line(), get_line(), patch_line()]
    );
    server.assert_schema_followed();
}

#[test]
fn a_service_that_keeps_failing_gives_up_with_the_request_id() {
    let server = FakeHeroku::start();
    server.on_formation(
        "GET",
        vec![Reply::error(503, "unavailable", "Heroku is down")],
    );
    let out = Sandbox::new(&server).clockctl(&["scale"]);
    out.expect_code(1);
    out.stderr_has(
        "the Heroku API kept failing (503 unavailable: Heroku is down) after 6 attempts",
    );
    assert!(
        out.stderr.contains("fake-server-id"),
        "the response's Request-Id is shown: {}",
        out.stderr
    );
    out.stderr_has("hint: check https://status.heroku.com");
    assert_eq!(server.requests().len(), 6);
    assert!(!server.request_lines().contains(&patch_line()));
}

#[test]
fn a_server_that_never_answers_times_out() {
    let server = FakeHeroku::start();
    server.on_formation("GET", vec![Reply::Hang]);
    let mut sandbox = Sandbox::new(&server);
    sandbox.set("CLOCKCTL_HTTP_TIMEOUT_MS", "200");
    sandbox.set("CLOCKCTL_RETRY_BUDGET_MS", "300");
    let out = sandbox.clockctl(&["scale"]);
    out.expect_code(1);
    out.stderr_has("error: the Heroku API did not answer in time");
    out.stderr_has(&format!(
        "request: GET {}{}",
        server.url(),
        formation_path()
    ));
}

#[test]
fn a_server_that_is_not_there_is_unreachable() {
    let server = FakeHeroku::start();
    let mut sandbox = Sandbox::new(&server);
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    sandbox.set("HEROKU_HOST", &format!("http://127.0.0.1:{port}"));
    let out = sandbox.clockctl(&["scale"]);
    out.expect_code(1);
    out.stderr_has("could not connect to the Heroku API");
}

/// 401, 403, 403 two_factor, 422: one request each, the words and hint that say what to do.
#[test]
fn refusals_say_what_to_do() {
    let table = [
        (
            (
                "GET",
                Reply::error(401, "unauthorized", "Invalid credentials provided."),
            ),
            "error: Heroku did not accept the API token (401 unauthorized: Invalid credentials provided.)",
            "hint: run `heroku login`, or check HEROKU_API_KEY",
        ),
        (
            (
                "GET",
                Reply::error(
                    403,
                    "forbidden",
                    "You do not have access to the app clock-demo.",
                ),
            ),
            "error: your account has no access to the app `clock-demo` (403 forbidden: You do not have access to the app clock-demo.)",
            "hint: check --app",
        ),
        (
            (
                "GET",
                Reply::error(
                    403,
                    "two_factor",
                    "A second authentication factor or pre-authorization is required for this request.",
                ),
            ),
            "error: the account needs a second factor for this request",
            "hint: create a token for scripts with `heroku authorizations:create`",
        ),
        (
            (
                "PATCH",
                Reply::error(
                    422,
                    "invalid_params",
                    "Size must be one of: basic, standard-1X.",
                ),
            ),
            "error: Heroku refused the request (422 invalid_params: Size must be one of: basic, standard-1X.)",
            "hint: `heroku ps:type --help` lists the dyno sizes",
        ),
    ];
    for ((method, reply), message, hint) in table {
        let server = FakeHeroku::start();
        if method == "PATCH" {
            server.serve_formation(0, "Basic");
        }
        server.on(method, &formation_path(), vec![reply]);
        let out = Sandbox::new(&server).clockctl(&["scale", "--size", "huge"]);
        out.expect_code(1);
        assert!(
            out.stderr.contains(message),
            "wanted {message:?} in:\n{}",
            out.stderr
        );
        assert!(
            out.stderr.contains(hint),
            "wanted {hint:?} in:\n{}",
            out.stderr
        );
        out.stderr_has("Request-Id");
        let expected_requests = if method == "PATCH" { 2 } else { 1 };
        assert_eq!(
            server.requests().len(),
            expected_requests,
            "{:?}",
            server.request_lines()
        );
        server.assert_schema_followed();
    }
}

#[test]
fn a_missing_process_type_is_told_apart_from_a_missing_app() {
    // The app exists, its release has no clock process.
    let server = FakeHeroku::start();
    server.on_formation(
        "GET",
        vec![Reply::error(
            404,
            "not_found",
            "Couldn't find that process type (clock).",
        )],
    );
    server.on(
        "GET",
        &format!("/apps/{APP}"),
        vec![Reply::ok(support_heroku::app_body())],
    );
    let out = Sandbox::new(&server).clockctl(&["scale"]);
    out.expect_code(1);
    out.stderr_has("error: the app's current release has no clock process");
    out.stderr_has("add the heroku-clock buildpack");
    assert_eq!(
        server.request_lines(),
        [get_line(), format!("GET /apps/{APP}")]
    );
    server.assert_schema_followed();

    // The app does not exist.
    let server = FakeHeroku::start();
    server.on_formation(
        "GET",
        vec![Reply::error(404, "not_found", "Couldn't find that app.")],
    );
    server.on(
        "GET",
        &format!("/apps/{APP}"),
        vec![Reply::error(404, "not_found", "Couldn't find that app.")],
    );
    let out = Sandbox::new(&server).clockctl(&["scale"]);
    out.expect_code(1);
    out.stderr_has("error: there is no app named `clock-demo`");
    out.stderr_has("hint: check --app");
    server.assert_schema_followed();
}

#[test]
fn wait_follows_the_dyno_until_it_is_up() {
    let server = FakeHeroku::start();
    server.serve_formation(0, "Basic");
    server.on_formation("PATCH", vec![Reply::ok(formation(1, "Basic"))]);
    server.on_dynos(vec![
        vec![dyno("web.1", "web", "up", "Basic")],
        vec![
            dyno("web.1", "web", "up", "Basic"),
            dyno("clock.1", "clock", "starting", "Basic"),
        ],
        vec![
            dyno("web.1", "web", "up", "Basic"),
            dyno("clock.1", "clock", "up", "Basic"),
        ],
    ]);
    let out = Sandbox::new(&server).clockctl(&["scale", "--wait"]);
    out.expect_code(0);
    out.stdout_has("clock.1 on clock-demo is up.");
    out.stderr_has("waiting: clock.1 is starting");
    let dyno_polls = server
        .request_lines()
        .iter()
        .filter(|l| l.ends_with("/dynos"))
        .count();
    assert_eq!(dyno_polls, 3);
    server.assert_schema_followed();
}

#[test]
fn wait_reports_a_crashed_clock_with_the_logs_hint() {
    let server = FakeHeroku::start();
    server.serve_formation(0, "Basic");
    server.on_formation("PATCH", vec![Reply::ok(formation(1, "Basic"))]);
    server.on_dynos(vec![
        vec![dyno("clock.1", "clock", "starting", "Basic")],
        vec![dyno("clock.1", "clock", "crashed", "Basic")],
    ]);
    let out = Sandbox::new(&server).clockctl(&["scale", "--wait"]);
    out.expect_code(1);
    out.stderr_has("error: clock.1 on clock-demo crashed");
    out.stderr_has("heroku logs --tail --process-type clock --app clock-demo");
    server.assert_schema_followed();
}

#[test]
fn wait_gives_up_after_the_timeout() {
    let server = FakeHeroku::start();
    server.serve_formation(1, "Basic");
    server.on_dynos(vec![vec![dyno("clock.1", "clock", "starting", "Basic")]]);
    let out = Sandbox::new(&server).clockctl(&["scale", "--wait", "--timeout", "0"]);
    out.expect_code(1);
    out.stderr_has("was not up after 0s (clock.1 is starting)");
}

#[test]
fn dry_run_shows_the_requests_and_sends_nothing() {
    let server = FakeHeroku::start();
    let out = Sandbox::new(&server).clockctl(&["scale", "--dry-run", "--size", "basic"]);
    out.expect_code(0);
    server.assert_nothing_sent();
    let url = format!("{}{}", server.url(), formation_path());
    for expected in [
        format!("GET {url}\n"),
        format!("PATCH {url}\n"),
        "Authorization: Bearer ***\n".to_owned(),
        "Accept: application/vnd.heroku+json; version=3\n".to_owned(),
        "Content-Type: application/json\n".to_owned(),
        "User-Agent: clockctl/".to_owned(),
        "{\"quantity\":1,\"dyno_size\":{\"name\":\"basic\"}}\n".to_owned(),
    ] {
        assert!(
            out.stdout.contains(&expected),
            "wanted {expected:?} in:\n{}",
            out.stdout
        );
    }
}

/// The fake's checks can fail: a request without the headers, with a property the link's
/// schema does not list and a quantity of the wrong type is reported.
#[test]
fn the_fake_server_catches_requests_off_the_schema() {
    use std::io::{Read, Write};
    let server = FakeHeroku::start();
    let body = r#"{"quantity":"1","size":"basic"}"#;
    let mut stream = std::net::TcpStream::connect(server.authority()).expect("connect");
    write!(
        stream,
        "PATCH {} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
        formation_path(),
        body.len()
    )
    .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let violations = server.violations().join("\n");
    for expected in [
        "no accept header",
        "no authorization header",
        "no request-id header",
        "body without Content-Type",
        "property `size` is not in the schema",
        "\"1\" is not of type",
    ] {
        assert!(
            violations.contains(expected),
            "wanted {expected:?} in:\n{violations}"
        );
    }
}

#[test]
fn a_retry_after_beyond_the_budget_gives_up_at_once() {
    // 18446744073709551615 is u64::MAX seconds: it once overflowed the budget check.
    for (command, retry_after) in [
        ("scale", "3600"),
        ("scale", "18446744073709551615"),
        ("status", "18446744073709551615"),
    ] {
        let server = FakeHeroku::start();
        server.on_formation(
            "GET",
            vec![
                Reply::error(429, "rate_limit", "Your account reached the API rate limit")
                    .with_header("Retry-After", retry_after),
            ],
        );
        let out = Sandbox::new(&server).clockctl(&[command]);
        assert_eq!(
            out.code, 1,
            "clockctl {command}, Retry-After {retry_after}:\n{}",
            out.stderr
        );
        out.stderr_has("error: Heroku kept rate-limiting the requests (429 rate_limit: Your account reached the API rate limit)");
        assert_eq!(server.requests().len(), 1);
    }
}

#[test]
fn a_retry_after_of_u64_max_seconds_after_a_slow_attempt_gives_up_without_a_panic() {
    // The first attempt times out after a second, so the time already spent no longer
    // fits beside u64::MAX seconds in a Duration: adding them used to panic (exit 101).
    for command in ["scale", "status"] {
        let server = FakeHeroku::start();
        server.on_formation(
            "GET",
            vec![
                Reply::Hang,
                Reply::error(429, "rate_limit", "Your account reached the API rate limit")
                    .with_header("Retry-After", "18446744073709551615"),
            ],
        );
        let mut sandbox = Sandbox::new(&server);
        sandbox.set("CLOCKCTL_HTTP_TIMEOUT_MS", "1100");
        let out = sandbox.clockctl(&[command]);
        assert_eq!(out.code, 1, "clockctl {command}:\n{}", out.stderr);
        out.stderr_has("error: Heroku kept rate-limiting the requests (429 rate_limit: Your account reached the API rate limit) after 2 attempts");
        assert_eq!(server.requests().len(), 2);
    }
}

#[test]
fn wait_timeouts_out_of_bounds_are_usage_errors() {
    let server = FakeHeroku::start();
    for timeout in ["18446744073709551615", "86401"] {
        let out = Sandbox::new(&server).clockctl(&["scale", "--wait", "--timeout", timeout]);
        assert_eq!(out.code, 2, "--timeout {timeout}:\n{}", out.stderr);
        assert!(
            out.stderr.contains("--timeout") && out.stderr.contains("0..=86400"),
            "--timeout {timeout}:\n{}",
            out.stderr
        );
    }
    assert!(
        server.requests().is_empty(),
        "nothing is sent for a bad flag"
    );
}

#[test]
fn wait_after_stopping_follows_the_dyno_until_it_is_gone() {
    let server = FakeHeroku::start();
    server.serve_formation(1, "Basic");
    server.on_formation("PATCH", vec![Reply::ok(formation(0, "Basic"))]);
    server.on_dynos(vec![
        vec![dyno("clock.1", "clock", "up", "Basic")],
        vec![dyno("web.1", "web", "up", "Basic")],
    ]);
    let out = Sandbox::new(&server).clockctl(&["scale", "--quantity", "0", "--wait"]);
    out.expect_code(0);
    out.stdout_has("The clock on clock-demo is stopped.");
    out.stderr_has("waiting: clock.1 is up");
    server.assert_schema_followed();
}

const STORE_YML: &str =
    "store:\n  postgres: $DATABASE_URL\njobs:\n  tick:\n    every: 1m\n    command: \"true\"\n";

fn config_vars_path() -> String {
    format!("/apps/{APP}/config-vars")
}

#[test]
fn two_clocks_are_allowed_with_a_store_and_its_config_var() {
    let server = FakeHeroku::start();
    server.on(
        "GET",
        &config_vars_path(),
        vec![Reply::ok(json!({
            "DATABASE_URL": "postgres://u:CONFIG-VAR-SECRET@ec2.example.com:5432/db",
            "OTHER": "value"
        }))],
    );
    server.serve_formation(1, "Basic");
    server.on_formation("PATCH", vec![Reply::ok(formation(2, "Basic"))]);
    let sandbox = Sandbox::new(&server);
    std::fs::write(sandbox.cwd.path().join("clock.yml"), STORE_YML).expect("write clock.yml");
    // `clockctl scale 2`, as the docs write it, is the same as `--quantity 2`.
    let out = sandbox.clockctl(&["scale", "2"]);
    out.expect_code(0);
    assert_eq!(
        server.request_lines(),
        [
            format!("GET {}", config_vars_path()),
            get_line(),
            patch_line()
        ]
    );
    assert_eq!(server.requests()[2].json(), json!({"quantity": 2}));
    for text in [&out.stdout, &out.stderr] {
        assert!(
            !text.contains("CONFIG-VAR-SECRET"),
            "a config var's value was printed:\n{text}"
        );
    }
    server.assert_schema_followed();
}

#[test]
fn two_clocks_are_refused_without_the_store_or_its_config_var() {
    let server = FakeHeroku::start();
    // No store: block: refused as for one clock, before anything is sent, saying what to add.
    let sandbox = Sandbox::new(&server);
    std::fs::write(
        sandbox.cwd.path().join("clock.yml"),
        "jobs:\n  tick:\n    every: 1m\n    command: \"true\"\n",
    )
    .expect("write clock.yml");
    let out = sandbox.clockctl(&["scale", "--quantity", "2"]);
    out.expect_code(2);
    out.stderr_has("run every job twice");
    out.stderr_has("store:");
    server.assert_nothing_sent();

    // A store: block, but the app lacks the variable: refused before the formation changes.
    server.on(
        "GET",
        &config_vars_path(),
        vec![Reply::ok(json!({"OTHER": "value"}))],
    );
    let sandbox = Sandbox::new(&server);
    std::fs::write(sandbox.cwd.path().join("clock.yml"), STORE_YML).expect("write clock.yml");
    let out = sandbox.clockctl(&["scale", "--quantity", "2"]);
    out.expect_code(1);
    out.stderr_has("has no config var DATABASE_URL");
    out.stderr_has("heroku addons:create heroku-postgresql:essential-0");
    assert_eq!(
        server.request_lines(),
        [format!("GET {}", config_vars_path())]
    );
    server.assert_schema_followed();
}

#[test]
fn a_quantity_given_twice_is_a_usage_error() {
    let server = FakeHeroku::start();
    let out = Sandbox::new(&server).clockctl(&["scale", "1", "--quantity", "1"]);
    out.expect_code(2);
    out.stderr_has("--quantity");
    server.assert_nothing_sent();
}
