//! Where `clockctl scale` finds its token (HEROKU_API_KEY, ~/.netrc) and its app (--app,
//! HEROKU_APP, git remotes), driven through the built binary against the fake API.

mod support_heroku;

use std::os::unix::fs::PermissionsExt;

use support_heroku::{APP, FakeHeroku, Reply, Sandbox, TOKEN, formation, formation_path};

fn server_at_one() -> FakeHeroku {
    let server = FakeHeroku::start();
    server.serve_formation(1, "Basic");
    for app in ["clock-staging", "clock-prod"] {
        server.on(
            "GET",
            &format!("/apps/{app}/formation/clock"),
            vec![Reply::ok(formation(1, "Basic"))],
        );
    }
    server
}

fn write_netrc(sandbox: &Sandbox, text: &str, mode: u32) {
    let path = sandbox.home.path().join(".netrc");
    std::fs::write(&path, text).expect("write .netrc");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn the_token_comes_from_netrc_when_the_environment_has_none() {
    let server = server_at_one();
    let mut sandbox = Sandbox::new(&server);
    sandbox.unset("HEROKU_API_KEY");
    // The entry for the API host (here the fake's host:port, as for api.heroku.com),
    // written across lines with a comment, after another machine.
    let netrc = format!(
        "# written by heroku login\nmachine git.heroku.com login me@example.com password other-token\nmachine {}\n  login me@example.com\n  password {TOKEN}\n",
        server.authority()
    );
    write_netrc(&sandbox, &netrc, 0o600);
    let out = sandbox.clockctl(&["scale"]);
    out.expect_code(0);
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    server.assert_schema_followed();
}

#[test]
fn a_netrc_others_can_read_gets_a_warning() {
    let server = server_at_one();
    let mut sandbox = Sandbox::new(&server);
    sandbox.unset("HEROKU_API_KEY");
    write_netrc(
        &sandbox,
        &format!("machine {} password {TOKEN}\n", server.authority()),
        0o644,
    );
    let out = sandbox.clockctl(&["scale"]);
    out.expect_code(0);
    out.stderr_has("warning: ");
    out.stderr_has("other users can read it (mode 0644); run `chmod 600");
}

#[test]
fn without_a_token_nothing_is_sent() {
    let server = server_at_one();
    let mut sandbox = Sandbox::new(&server);
    sandbox.unset("HEROKU_API_KEY");
    let out = sandbox.clockctl(&["scale"]);
    out.expect_code(2);
    out.stderr_has("error: no Heroku API token: HEROKU_API_KEY is not set");
    out.stderr_has("hint: run `heroku login`, or set HEROKU_API_KEY");
    // A .netrc without the API host's entry is no token either.
    write_netrc(&sandbox, "machine elsewhere.example password nope\n", 0o600);
    let out = sandbox.clockctl(&["status"]);
    out.expect_code(2);
    out.stderr_has("has no entry for");
    server.assert_nothing_sent();
}

#[test]
fn without_an_app_nothing_is_sent() {
    let server = server_at_one();
    let mut sandbox = Sandbox::new(&server);
    sandbox.unset("HEROKU_APP");
    let out = sandbox.clockctl(&["scale"]);
    out.expect_code(2);
    out.stderr_has("error: no app given: pass --app NAME");
    server.assert_nothing_sent();
}

fn repo_with_remotes(server: &FakeHeroku, remotes: &[(&str, &str)]) -> Sandbox {
    let mut sandbox = Sandbox::new(server);
    sandbox.unset("HEROKU_APP");
    sandbox.git(&["init", "--quiet"]);
    for (name, url) in remotes {
        sandbox.git(&["remote", "add", name, url]);
    }
    sandbox
}

#[test]
fn the_app_comes_from_the_heroku_git_remote() {
    let table = [
        (
            "https://git.heroku.com/clock-demo.git",
            "/apps/clock-demo/formation/clock",
        ),
        (
            "git@heroku.com:clock-staging.git",
            "/apps/clock-staging/formation/clock",
        ),
        (
            "ssh://git@heroku.com/clock-prod.git",
            "/apps/clock-prod/formation/clock",
        ),
    ];
    for (url, expected_path) in table {
        let server = server_at_one();
        let sandbox = repo_with_remotes(
            &server,
            &[
                ("origin", "git@github.com:me/clock-demo.git"),
                ("heroku", url),
            ],
        );
        sandbox.clockctl(&["scale"]).expect_code(0);
        assert_eq!(
            server.request_lines(),
            [format!("GET {expected_path}")],
            "remote {url}"
        );
        server.assert_schema_followed();
    }
}

#[test]
fn several_heroku_remotes_need_a_choice() {
    let server = server_at_one();
    let mut sandbox = repo_with_remotes(
        &server,
        &[
            ("staging", "https://git.heroku.com/clock-staging.git"),
            ("production", "https://git.heroku.com/clock-prod.git"),
        ],
    );
    let out = sandbox.clockctl(&["scale"]);
    out.expect_code(2);
    out.stderr_has("error: several git remotes point at Heroku apps:");
    out.stderr_has("  clock-staging (remote staging)\n");
    out.stderr_has("  clock-prod (remote production)\n");
    out.stderr_has("hint: pick one with --remote");
    server.assert_nothing_sent();

    // --remote picks one (and beats HEROKU_APP).
    sandbox.set("HEROKU_APP", APP);
    sandbox
        .clockctl(&["scale", "--remote", "production"])
        .expect_code(0);
    assert_eq!(
        server.request_lines(),
        ["GET /apps/clock-prod/formation/clock"]
    );
    sandbox.unset("HEROKU_APP");

    // An unknown remote is an error that lists the Heroku remotes.
    let out = sandbox.clockctl(&["scale", "-r", "nope"]);
    out.expect_code(2);
    out.stderr_has("git remote `nope` is not a Heroku remote");

    // `git config heroku.remote` sets the default, as for the Heroku CLI.
    sandbox.git(&["config", "heroku.remote", "staging"]);
    sandbox.clockctl(&["scale"]).expect_code(0);
    assert_eq!(
        server.request_lines().last().map(String::as_str),
        Some("GET /apps/clock-staging/formation/clock")
    );

    // --app beats everything.
    sandbox.clockctl(&["scale", "--app", APP]).expect_code(0);
    assert_eq!(
        server.request_lines().last().map(String::as_str),
        Some("GET /apps/clock-demo/formation/clock")
    );
    server.assert_schema_followed();
}

#[test]
fn heroku_app_beats_the_git_remotes() {
    let server = server_at_one();
    let mut sandbox = repo_with_remotes(
        &server,
        &[("heroku", "https://git.heroku.com/clock-prod.git")],
    );
    sandbox.set("HEROKU_APP", APP);
    sandbox.clockctl(&["scale"]).expect_code(0);
    assert_eq!(
        server.request_lines(),
        [format!("GET {}", formation_path())]
    );
}

/// `HEROKU_HOST` is parsed as a URL: what the token would go to is the host the URL really
/// names, and user information, a query or a fragment is refused before anything is sent.
#[test]
fn heroku_host_is_read_as_a_url() {
    let server = server_at_one();
    let port = server
        .url()
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_owned();
    let refused = [
        ("https://evil.example?.heroku.com".to_owned(), "has a query"),
        (
            "https://evil.example#.heroku.com".to_owned(),
            "has a fragment",
        ),
        (
            "#.heroku.com".to_owned(),
            "neither an http(s) URL nor a host name",
        ),
        (
            "evil.example\\.heroku.com".to_owned(),
            "neither an http(s) URL nor a host name",
        ),
        (
            format!("http://user:secret@127.0.0.1:{port}"),
            "holds a user name or password",
        ),
    ];
    for (host, expected) in refused {
        let mut sandbox = Sandbox::new(&server);
        sandbox.set("HEROKU_HOST", &host);
        let out = sandbox.clockctl(&["status"]);
        assert_eq!(out.code, 2, "HEROKU_HOST={host}:\n{}", out.stderr);
        assert!(
            out.stderr.contains(expected) && out.stderr.contains("hint: "),
            "HEROKU_HOST={host}:\n{}",
            out.stderr
        );
        assert!(
            !out.stderr.contains("secret") && !out.stderr.contains("user:"),
            "user information echoed:\n{}",
            out.stderr
        );
    }
    assert!(server.requests().is_empty(), "nothing was sent");

    // A backslash is a path separator in an https URL: the token would go to evil.example.
    let mut sandbox = Sandbox::new(&server);
    sandbox.set("HEROKU_HOST", "https://evil.example\\.heroku.com");
    let out = sandbox.clockctl(&["scale", "--dry-run"]);
    out.expect_code(0);
    out.stderr_has(
            "warning: HEROKU_HOST sends your Heroku token to https://evil.example/.heroku.com, which is not Heroku's API"
        );
}
