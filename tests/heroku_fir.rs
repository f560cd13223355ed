//! `clockctl status` and `clockctl scale` against a fake Platform API answering as a Fir
//! app does: dynos named `clock-<hash>-<id>` rather than `clock.1`, sizes such as
//! `dyno-1c-0.5gb`, and a logs hint that works there (`--process-type`: on Fir `--dyno`
//! takes a full dyno name).

mod support_heroku;

use serde_json::json;
use support_heroku::{FakeHeroku, Reply, Sandbox, dyno, formation};

/// How Fir names a clock dyno (heroku/cli src/lib/apps/generation.ts: `<type>-<hash>-<id>`).
const FIR_CLOCK: &str = "clock-6d4f8b7c9-x2k7q";
const FIR_WEB: &str = "web-6d4f8b7c9-p9w3m";
const FIR_SIZE: &str = "dyno-1c-0.5gb";

#[test]
fn status_lists_a_fir_clock_dyno_by_its_type_not_its_name() {
    let server = FakeHeroku::start();
    server.serve_formation(1, FIR_SIZE);
    server.on_dynos(vec![vec![
        dyno(FIR_WEB, "web", "up", FIR_SIZE),
        dyno(FIR_CLOCK, "clock", "up", FIR_SIZE),
    ]]);
    let out = Sandbox::new(&server).clockctl(&["status", "--now", "2026-11-30T06:00:00Z"]);
    out.expect_code(0);
    out.stdout_has(&format!(
        "clock formation: quantity 1, {FIR_SIZE}, command `clock`\n"
    ));
    out.stdout_has(&format!("clock dynos:\n  {FIR_CLOCK}: up for 5m 0s"));
    assert!(
        !out.stdout.contains(FIR_WEB),
        "listed the web dyno:\n{}",
        out.stdout
    );
    server.assert_schema_followed();
}

#[test]
fn scale_sends_a_fir_size_as_it_is_and_waits_for_the_fir_dyno() {
    let server = FakeHeroku::start();
    server.serve_formation(0, "dyno-2c-4gb");
    server.on_formation("PATCH", vec![Reply::ok(formation(1, FIR_SIZE))]);
    server.on_dynos(vec![
        vec![dyno(FIR_CLOCK, "clock", "starting", FIR_SIZE)],
        vec![dyno(FIR_CLOCK, "clock", "up", FIR_SIZE)],
    ]);
    let out = Sandbox::new(&server).clockctl(&["scale", "--size", FIR_SIZE, "--wait"]);
    out.expect_code(0);
    let patch = server
        .requests()
        .into_iter()
        .find(|r| r.method == "PATCH")
        .expect("a PATCH");
    assert_eq!(
        patch.json(),
        json!({"quantity": 1, "dyno_size": {"name": FIR_SIZE}})
    );
    out.stderr_has(&format!("waiting: {FIR_CLOCK} is starting"));
    out.stdout_has(&format!("{FIR_CLOCK} on clock-demo is up."));
    server.assert_schema_followed();
}

#[test]
fn a_crashed_fir_clock_gets_a_logs_hint_that_works_on_fir() {
    let server = FakeHeroku::start();
    server.serve_formation(0, FIR_SIZE);
    server.on_formation("PATCH", vec![Reply::ok(formation(1, FIR_SIZE))]);
    server.on_dynos(vec![vec![dyno(FIR_CLOCK, "clock", "crashed", FIR_SIZE)]]);
    let out = Sandbox::new(&server).clockctl(&["scale", "--wait"]);
    out.expect_code(1);
    out.stderr_has(&format!("error: {FIR_CLOCK} on clock-demo crashed"));
    out.stderr_has("heroku logs --tail --process-type clock --app clock-demo");
    assert!(!out.stderr.contains("--dyno"), "{}", out.stderr);
    server.assert_schema_followed();
}
