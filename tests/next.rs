//! `clockctl next` through the built binary: exact previews, DST notes and exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn clockctl(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clockctl"))
        .arg("next")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run clockctl")
}

fn fixture(scenario: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(scenario)
}

fn here() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn cron_preview_prints_exactly_count_instants_across_dst() {
    let output = clockctl(
        &here(),
        &[
            "--cron",
            "0 2 * * *",
            "--tz",
            "America/New_York",
            "--after",
            "2026-03-07T00:00:00Z",
            "--count",
            "3",
        ],
    );
    assert_eq!(stderr(&output), "");
    assert_eq!(
        stdout(&output),
        "2026-03-07T02:00:00-05:00\n2026-03-08T03:00:00-04:00\n2026-03-09T02:00:00-04:00\n"
    );
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn the_first_run_is_strictly_after_the_given_instant() {
    let output = clockctl(
        &here(),
        &[
            "--cron",
            "0 * * * *",
            "--after",
            "2026-01-01T10:00:00Z",
            "--count",
            "2",
        ],
    );
    assert_eq!(
        stdout(&output),
        "2026-01-01T11:00:00+00:00\n2026-01-01T12:00:00+00:00\n"
    );
}

#[test]
fn every_preview_lines_up_on_the_epoch_grid() {
    let output = clockctl(
        &here(),
        &[
            "--every",
            "37m",
            "--after",
            "2026-01-01T00:00:00Z",
            "--count",
            "2",
        ],
    );
    assert_eq!(
        stdout(&output),
        "2026-01-01T00:16:00+00:00\n2026-01-01T00:53:00+00:00\n"
    );
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn fall_back_repeats_are_shown_with_the_zone_offset() {
    let output = clockctl(
        &here(),
        &[
            "--cron",
            "30 1 * * *",
            "--tz",
            "America/New_York",
            "--after",
            "2026-10-31T12:00:00Z",
            "--count",
            "2",
        ],
    );
    // 01:30 happens twice on 2026-11-01; a cron job runs once, at the first pass (EDT).
    assert_eq!(
        stdout(&output),
        "2026-11-01T01:30:00-04:00\n2026-11-02T01:30:00-05:00\n"
    );
}

#[test]
fn a_bad_cron_token_is_underlined() {
    let output = clockctl(&here(), &["--cron", "0 2 * foo *"]);
    let err = stderr(&output);
    let lines: Vec<&str> = err.lines().collect();
    assert!(lines[0].starts_with("error: "), "{err}");
    assert_eq!(lines[1], "  0 2 * foo *", "{err}");
    assert_eq!(lines[2], "        ^^^", "{err}");
    assert_eq!(stdout(&output), "");
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn a_bad_interval_is_underlined() {
    let output = clockctl(&here(), &["--every", "5min"]);
    assert_eq!(
        stderr(&output),
        "error: unknown duration unit \"min\"\n  5min\n   ^^^\nhint: units are d, h, m and s: write 90s, 5m or 1h30m\n"
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn bad_flags_exit_2() {
    let table: &[&[&str]] = &[
        &["--cron", "* * * * *", "--count", "many"],
        &["--cron", "* * * * *", "--every", "5m"],
        &["--cron", "* * * * *", "--tz", "Mars/Base"],
        &["--cron", "* * * * *", "--after", "yesterday"],
        &["--cron", "* * * * *", "--count", "10001"],
        &["--cron", "* * * * *", "clock.yml"],
        // A file's jobs run in their own zones: a --tz there would be silently ignored.
        &[
            "tests/fixtures/next_dst_notes/clock.yml",
            "--tz",
            "Europe/Berlin",
        ],
    ];
    for args in table {
        let output = clockctl(&here(), args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert_eq!(stdout(&output), "", "{args:?}");
    }
}

#[test]
fn a_close_time_zone_is_suggested() {
    let output = clockctl(
        &here(),
        &["--cron", "* * * * *", "--tz", "America/New_Yrok"],
    );
    assert_eq!(
        stderr(&output),
        "error: --tz: unknown time zone \"America/New_Yrok\"\nhint: did you mean \"America/New_York\"?\n"
    );
}

#[test]
fn file_preview_is_one_timeline_with_dst_notes() {
    let output = clockctl(
        &fixture("next_dst_notes"),
        &["--after", "2026-03-07T12:00:00Z", "--count", "3"],
    );
    assert_eq!(stderr(&output), "");
    assert_eq!(
        stdout(&output),
        std::fs::read_to_string(fixture("next_dst_notes").join("expected.stdout"))
            .expect("expected.stdout")
    );
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn one_job_only_with_job() {
    let output = clockctl(
        &fixture("next_dst_notes"),
        &[
            "--job",
            "old",
            "--after",
            "2026-03-07T12:00:00Z",
            "--count",
            "1",
        ],
    );
    assert_eq!(stdout(&output), "old  2026-03-07T12:00:00-05:00\n");
}

#[test]
fn an_unknown_job_is_a_usage_error_with_a_hint() {
    let output = clockctl(&fixture("next_dst_notes"), &["--job", "nigthly"]);
    assert_eq!(
        stderr(&output),
        "error: no job named \"nigthly\"\nhint: did you mean \"nightly\"?\n"
    );
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn an_invalid_file_shows_its_errors_and_exits_1() {
    let output = clockctl(&fixture("validate_duplicate_key"), &[]);
    assert!(
        stderr(&output).starts_with("clock.yml:5:5: error: duplicate key \"every\"\n"),
        "{}",
        stderr(&output)
    );
    assert_eq!(output.status.code(), Some(1));
}
