//! `clockctl init` through the built binary: the starter clock.yml and the Procfile entry,
//! and never overwriting a clock.yml without `--force`.

use std::path::Path;
use std::process::{Command, Output};

const STARTER: &str = include_str!("../templates/clock.yml");

fn clockctl(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clockctl"))
        .args(args)
        .current_dir(dir)
        .env_remove("CLOCK_CONFIG")
        .output()
        .expect("run clockctl")
}

fn transcript(output: &Output) -> String {
    format!(
        "exit: {:?}\n--- stdout ---\n{}--- stderr ---\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path:?}: {e}"))
}

#[test]
fn init_writes_the_starter_and_creates_the_procfile() {
    let app = tempfile::tempdir().expect("temp dir");
    let output = clockctl(&["init"], app.path());
    assert!(output.status.success(), "{}", transcript(&output));
    assert_eq!(read(&app.path().join("clock.yml")), STARTER);
    assert_eq!(read(&app.path().join("Procfile")), "clock: clock\n");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("Created a Procfile with `clock: clock`"),
        "{}",
        transcript(&output)
    );
    assert!(
        stdout.contains("clockctl validate"),
        "{}",
        transcript(&output)
    );
}

#[test]
fn init_appends_to_a_procfile_and_keeps_its_bytes() {
    let app = tempfile::tempdir().expect("temp dir");
    std::fs::write(app.path().join("Procfile"), "web: gunicorn app:app").expect("write");
    let output = clockctl(
        &["init", "--dir", &app.path().display().to_string()],
        Path::new("/"),
    );
    assert!(output.status.success(), "{}", transcript(&output));
    assert_eq!(
        read(&app.path().join("Procfile")),
        "web: gunicorn app:app\nclock: clock\n"
    );
    assert_eq!(read(&app.path().join("clock.yml")), STARTER);
}

#[test]
fn init_refuses_to_overwrite_clock_yml() {
    let app = tempfile::tempdir().expect("temp dir");
    std::fs::write(app.path().join("clock.yml"), "jobs: {}\n").expect("write");
    std::fs::write(app.path().join("Procfile"), "web: x\n").expect("write");
    let output = clockctl(&["init"], app.path());
    assert_eq!(output.status.code(), Some(1), "{}", transcript(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: ./clock.yml already exists; not overwriting it\n"),
        "{}",
        transcript(&output)
    );
    assert!(
        stderr.contains("hint: check it with `clockctl validate"),
        "{}",
        transcript(&output)
    );
    assert_eq!(read(&app.path().join("clock.yml")), "jobs: {}\n");
    assert_eq!(
        read(&app.path().join("Procfile")),
        "web: x\n",
        "Procfile touched"
    );
}

#[test]
fn init_force_replaces_clock_yml_and_keeps_an_own_clock_entry() {
    let app = tempfile::tempdir().expect("temp dir");
    std::fs::write(app.path().join("clock.yml"), "jobs: {}\n").expect("write");
    std::fs::write(app.path().join("Procfile"), "clock: python clock.py\n").expect("write");
    let output = clockctl(&["init", "--force"], app.path());
    assert!(output.status.success(), "{}", transcript(&output));
    assert_eq!(read(&app.path().join("clock.yml")), STARTER);
    assert_eq!(
        read(&app.path().join("Procfile")),
        "clock: python clock.py\n"
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("already declares a clock process"),
        "{}",
        transcript(&output)
    );
}

/// The README's first command.
#[test]
fn the_starter_clock_yml_is_valid() {
    let output = clockctl(
        &["validate", "templates/clock.yml"],
        Path::new(env!("CARGO_MANIFEST_DIR")),
    );
    assert!(output.status.success(), "{}", transcript(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    for job in ["timed-job", "scheduled-job"] {
        assert!(
            stdout.contains(job),
            "{job} missing: {}",
            transcript(&output)
        );
    }
}
