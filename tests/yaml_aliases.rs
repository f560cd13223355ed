//! YAML aliases and merge keys through the built `clockctl run`: what runs is what the
//! anchors hold, never the alias text (issue 13, item 1).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn clockctl(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clockctl"))
        .args(args)
        .current_dir(dir)
        .env_remove("CLOCK_CONFIG")
        .env_remove("CLOCK_LOG_FORMAT")
        .env_remove("CLOCK_LOG_LEVEL")
        .stdin(Stdio::null())
        .output()
        .expect("run clockctl")
}

#[test]
fn aliased_and_merged_values_run_as_anchored() {
    let dir = fixture("run_yaml_aliases");
    let validate = clockctl(&dir, &["validate"]);
    assert_eq!(
        validate.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&validate.stderr)
    );
    let cases: &[(&str, i32, &str)] = &[
        ("merged-env", 0, "line=\"PORT=8080 DEBUG=true\""),
        ("number-env", 0, "line=\"N=0042 ON=false\""),
        ("text-command", 0, "line=\"from the anchor\""),
        // `false` exits 1; the alias text `*off` would be a glob bash cannot run (127).
        ("boolean-command", 1, "event=failed job=boolean-command"),
    ];
    for (job, code, needle) in cases {
        let output = clockctl(&dir, &["run", job]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(*code), "job {job}:\n{stdout}");
        assert!(
            stdout.contains(needle),
            "job {job}: no {needle} in:\n{stdout}"
        );
        assert!(!stdout.contains('*'), "job {job} ran alias text:\n{stdout}");
    }
}
