//! `clockctl validate` through the built binary: exact output and exit codes per fixture.
//!
//! Each scenario is a folder `tests/fixtures/validate_<scenario>/` with a `clock.yml` and
//! the exact expected `stderr` (and `stdout` where the output does not depend on today's
//! date). The binary runs inside the folder, so messages say `clock.yml:LINE:COL`.
//! To refresh the expected files after an intended change, run with
//! `UPDATE_EXPECTED=1 cargo test --test validate` and review the diff; update mode writes,
//! then still compares, and is refused when `CI` is set.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(scenario: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(scenario)
}

fn clockctl(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clockctl"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run clockctl")
}

/// Whether expected files are to be rewritten: `UPDATE_EXPECTED` set, and never under
/// `CI`, where a run must compare (a CI job with both set would pass without checking).
fn update_mode(
    update: Option<std::ffi::OsString>,
    ci: Option<std::ffi::OsString>,
) -> Result<bool, &'static str> {
    match (update, ci) {
        (Some(_), Some(_)) => Err(
            "UPDATE_EXPECTED is set under CI: a CI run compares and never rewrites expected \
             files; unset UPDATE_EXPECTED",
        ),
        (update, _) => Ok(update.is_some()),
    }
}

/// Compares `actual` with the fixture file `name`; under UPDATE_EXPECTED it writes the
/// file first, then compares what it reads back like any other run.
fn assert_expected(scenario: &str, name: &str, actual: &[u8]) {
    let path = fixture(scenario).join(name);
    let update = update_mode(std::env::var_os("UPDATE_EXPECTED"), std::env::var_os("CI"))
        .unwrap_or_else(|refusal| panic!("{refusal}"));
    if update {
        std::fs::write(&path, actual).expect("write expected output");
    }
    let expected = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_EXPECTED=1 to create it)",
            path.display()
        )
    });
    assert_eq!(
        String::from_utf8_lossy(actual),
        String::from_utf8_lossy(&expected),
        "{scenario}: {name} differs from {}",
        path.display()
    );
}

#[test]
fn update_mode_is_refused_under_ci() {
    let set = || Some(std::ffi::OsString::from("1"));
    assert_eq!(update_mode(None, None), Ok(false));
    assert_eq!(update_mode(None, set()), Ok(false));
    assert_eq!(update_mode(set(), None), Ok(true));
    assert!(update_mode(set(), set()).is_err());
}

/// Runs `clockctl validate ARGS` in the scenario's folder and pins stderr, the exit code,
/// and stdout when `pin_stdout`.
fn check(scenario: &str, args: &[&str], code: i32, pin_stdout: bool) -> Output {
    let mut full = vec!["validate"];
    full.extend_from_slice(args);
    let output = clockctl(&fixture(scenario), &full);
    assert_expected(scenario, "expected.stderr", &output.stderr);
    if pin_stdout {
        assert_expected(scenario, "expected.stdout", &output.stdout);
    }
    assert_eq!(
        output.status.code(),
        Some(code),
        "{scenario}: exit code; stderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[test]
fn unknown_key_gets_a_did_you_mean_hint() {
    check("validate_unknown_key_with_hint", &[], 1, true);
}

#[test]
fn duplicate_key_names_both_lines() {
    check("validate_duplicate_key", &[], 1, true);
}

#[test]
fn duplicate_job_names_both_lines() {
    check("validate_duplicate_job", &[], 1, true);
}

#[test]
fn no_jobs_is_an_error() {
    check("validate_no_jobs", &[], 1, true);
}

#[test]
fn bare_number_duration_says_how_to_write_it() {
    check("validate_bare_number_duration", &[], 1, true);
}

#[test]
fn bad_cron_token_is_underlined_inside_the_quotes() {
    check("validate_bad_cron_token_in_quotes", &[], 1, true);
}

#[test]
fn a_year_as_sixth_cron_field_says_years_are_not_supported() {
    check("validate_cron_year_field", &[], 1, true);
}

#[test]
fn tabs_for_indentation_are_an_error() {
    check("validate_tabs", &[], 1, true);
}

#[test]
fn non_utf8_points_at_the_first_bad_byte() {
    check("validate_non_utf8", &[], 1, true);
}

#[test]
fn alias_bomb_stops_with_an_error() {
    check("validate_alias_bomb", &[], 1, true);
}

#[test]
fn deep_nesting_stops_with_an_error() {
    check("validate_deep_nesting", &[], 1, true);
}

#[test]
fn several_errors_are_reported_in_one_pass() {
    check("validate_several_errors", &[], 1, true);
}

#[test]
fn bad_time_zones_get_a_close_real_name() {
    check("validate_bad_timezone", &[], 1, true);
}

#[test]
fn warnings_keep_exit_zero() {
    let output = check("validate_warnings", &[], 0, false);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("clock.yml is valid: 3 jobs, 3 warnings\n"),
        "{stdout}"
    );
}

#[test]
fn strict_makes_warnings_errors() {
    let output = clockctl(&fixture("validate_warnings"), &["validate", "--strict"]);
    assert_expected(
        "validate_warnings",
        "expected_strict.stderr",
        &output.stderr,
    );
    assert_eq!(output.stdout, b"", "no summary for an invalid file");
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn a_valid_file_prints_a_summary() {
    check("validate_valid_summary", &[], 0, true);
}

#[test]
fn json_reports_errors_in_one_document() {
    let output = clockctl(
        &fixture("validate_json_errors"),
        &["validate", "--format", "json"],
    );
    assert_expected("validate_json_errors", "expected.json", &output.stdout);
    assert_eq!(output.stderr, b"");
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn json_shape_of_a_valid_file() {
    let output = clockctl(
        &fixture("validate_valid_summary"),
        &["validate", "--format", "json"],
    );
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("one JSON document");
    assert_eq!(json["file"], "clock.yml");
    assert_eq!(json["valid"], true);
    assert_eq!(json["errors"], 0);
    assert_eq!(json["warnings"], 1);
    assert_eq!(json["diagnostics"][0]["severity"], "warning");
    assert_eq!(json["diagnostics"][0]["line"], 11);
    let jobs = json["jobs"].as_array().expect("jobs array");
    assert_eq!(jobs.len(), 2);
    let report = &jobs[0];
    assert_eq!(report["name"], "year-end-report");
    assert_eq!(report["schedule"]["kind"], "at");
    assert_eq!(report["schedule"]["expression"], "2020-12-31T23:30:00");
    assert_eq!(report["schedule"]["timezone"], "America/New_York");
    assert_eq!(report["next_run"], serde_json::Value::Null);
    assert_eq!(report["timeout_seconds"], 900);
    let digest = &jobs[1];
    assert_eq!(digest["schedule"]["kind"], "cron");
    assert_eq!(digest["schedule"]["expression"], "0 17 * * mon-fri");
    assert_eq!(digest["enabled"], false);
    assert!(
        digest["schedule"]["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
}

#[test]
fn a_missing_file_says_where_it_looked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = clockctl(dir.path(), &["validate"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let looked = dir.path().join("clock.yml");
    assert_eq!(
        stderr,
        format!(
            "error: no clock.yml at {}\nhint: run `clockctl init` to write a starter clock.yml, or pass the file's path\n",
            looked.display()
        )
    );
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_huge_file_is_refused_quickly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let line = "# padding padding padding padding padding padding padding padding\n";
    let huge = line.repeat(50 * 1024 * 1024 / line.len());
    std::fs::write(dir.path().join("clock.yml"), huge).expect("write");
    let output = clockctl(dir.path(), &["validate"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with(
            "clock.yml:1:1: error: the file is larger than 4 MiB; this is not a clock.yml\n"
        ),
        "{stderr}"
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn bad_flags_are_usage_errors() {
    let output = clockctl(
        &fixture("validate_warnings"),
        &["validate", "--format", "xml"],
    );
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn an_unquoted_cron_star_gets_a_quoting_hint() {
    check("validate_unquoted_cron_star", &[], 1, true);
}

#[test]
fn an_alias_bomb_found_by_fuzzing_stops_with_an_error() {
    check("validate_alias_bomb_from_fuzzing", &[], 1, true);
}

/// No control character but the newline in what `clockctl validate` printed.
fn assert_no_control_characters(scenario: &str, output: &Output) {
    for (stream, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        let found: Vec<char> = text
            .chars()
            .filter(|c| c.is_control() && *c != '\n')
            .collect();
        assert!(
            found.is_empty(),
            "{scenario}: {stream} holds control characters {found:?}:\n{text}"
        );
    }
}

#[test]
fn escapes_from_the_file_never_reach_the_terminal() {
    // A job named "\e]0;pwned\a" would set the terminal's title; a key, an env name and
    // values hold more escapes. Each message shows them as `\e`, `\u{7}`.
    let output = check("validate_control_characters", &[], 1, true);
    assert_no_control_characters("validate_control_characters", &output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("\"\\e]0;pwned\\u{7}\""), "{stderr}");
    let output = check("validate_control_characters_in_summary", &[], 0, false);
    assert_no_control_characters("validate_control_characters_in_summary", &output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("printf '\\e[2J'"), "{stdout}");
}

/// The secret parts of the literal credentials in `validate_credentials_masked`.
const LITERAL_CREDENTIALS: [&str; 9] = [
    "XXXXSECRETSLACK",
    "SECRETTOKEN123",
    "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "SECRETPASS",
    "0f4c2a7e",
    "SECRETCRONITORKEY",
    "SECRETDSNKEY",
    "SECRETSNITCH",
    "services/T000",
];

fn assert_no_literal_credential(what: &str, output: &Output) {
    for (stream, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        for secret in LITERAL_CREDENTIALS {
            assert!(
                !text.contains(secret),
                "{what}: {stream} shows {secret:?}:\n{text}"
            );
        }
    }
}

#[test]
fn literal_credentials_never_reach_the_output() {
    // Everything that prints clock.yml's diagnostics: validate (text and JSON), `notify
    // test` and the clock itself at start-up (the buildpack runs `validate`).
    let scenario = "validate_credentials_masked";
    let dir = fixture(scenario);
    let text = clockctl(&dir, &["validate"]);
    assert_no_literal_credential("validate", &text);
    let json = clockctl(&dir, &["validate", "--format", "json"]);
    assert_no_literal_credential("validate --format json", &json);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(report["valid"], false);
    let notify = clockctl(&dir, &["notify", "test", "ops"]);
    assert_no_literal_credential("notify test", &notify);
    assert_eq!(notify.status.code(), Some(1));
    let clock = Command::new(env!("CARGO_BIN_EXE_clock"))
        .args(["--config", "clock.yml"])
        .current_dir(&dir)
        .output()
        .expect("run clock");
    assert_no_literal_credential("clock", &clock);
    assert_eq!(clock.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&text.stderr);
    assert!(
        stderr.contains(" 5 |     slack: https://hooks.slack.com/***\n"),
        "the scheme and host stay:\n{stderr}"
    );
    check(scenario, &[], 1, true);
}
