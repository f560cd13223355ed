//! Shared by the buildpack's integration tests: running `bin/*` the way Heroku does, on
//! copies of the fixture apps in `tests/fixtures/app_*`.
//!
//! Heroku runs `bin/detect BUILD_DIR`, `bin/compile BUILD_DIR CACHE_DIR ENV_DIR` and
//! `bin/release BUILD_DIR` from the buildpack's checkout, with BUILD_DIR a fresh
//! `/tmp/build_*` directory. These helpers do the same with the repository as the buildpack,
//! and an environment stripped of what `cargo test` itself sets, so the scripts see what a
//! build would.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The buildpack: this repository.
pub fn buildpack_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/fixtures/NAME`.
pub fn fixture(name: &str) -> PathBuf {
    buildpack_dir().join("tests/fixtures").join(name)
}

/// A fresh `build_*` directory under the system temp dir holding a copy of fixture `name`.
pub fn build_dir_from(name: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("build_")
        .tempdir()
        .expect("create a build dir");
    copy_dir(&fixture(name), dir.path());
    dir
}

/// Copies the tree at `from` into `to` (which exists), files and directories only.
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("read {from:?}: {e}")) {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("copy {:?}: {e}", entry.path()));
        }
    }
}

/// A `bin/NAME` command with the environment a build would give it: the test runner's own
/// `CARGO*` variables and any `CLOCK_CONFIG` removed.
pub fn script(name: &str) -> Command {
    let mut command = Command::new(buildpack_dir().join("bin").join(name));
    for (key, _) in std::env::vars_os() {
        let key_text = key.to_string_lossy();
        if key_text.starts_with("CARGO")
            || key_text.starts_with("HEROKU_CLOCK_")
            || key_text == "RUSTC_WRAPPER"
            || key_text == "CLOCK_CONFIG"
        {
            command.env_remove(&key);
        }
    }
    command
}

/// Runs `command` and returns its output.
pub fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("run {command:?}: {e}"))
}

/// stdout and stderr of a run, for assertion messages.
pub fn transcript(output: &Output) -> String {
    format!(
        "exit: {:?}\n--- stdout ---\n{}--- stderr ---\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Writes an executable shell script at `path`.
pub fn write_script(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, body).expect("write script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// The SHA-256 of the file at `path`, in hex (through `sha256sum`, as the buildpack does).
pub fn sha256_of(path: &Path) -> String {
    let output = run(Command::new("sha256sum").arg(path));
    assert!(
        output.status.success(),
        "sha256sum: {}",
        transcript(&output)
    );
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .expect("a checksum")
        .to_string()
}

/// Where the end-to-end tests of both buildpacks keep cargo's home and target directory:
/// one place, so that a test run compiles the release binaries once. Cargo's fingerprints
/// name the path of each crate's source under CARGO_HOME, so sharing the target directory
/// alone would not do; the classic build puts both here by itself (its cache is
/// `$CARGO_TARGET_TMPDIR/buildpack-cache`), the Cloud Native one through
/// HEROKU_CLOCK_CARGO_DIR.
pub fn shared_cargo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("buildpack-cache/heroku-clock")
}

/// Points the cargo registry of CARGO_HOME `cargo_home` at this machine's, which already
/// holds every crate the lock file names (they were needed to build this test), so the
/// build runs offline. Two test binaries may do this at once: whichever links first wins.
pub fn seed_registry(cargo_home: &Path) {
    std::fs::create_dir_all(cargo_home).expect("create CARGO_HOME");
    let link = cargo_home.join("registry");
    if link.exists() {
        return;
    }
    let home_cargo = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").expect("HOME")).join(".cargo"));
    let registry = home_cargo.join("registry");
    assert!(
        registry.is_dir(),
        "no cargo registry at {registry:?} to build offline from"
    );
    match std::os::unix::fs::symlink(&registry, &link) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => panic!("link the registry at {link:?}: {e}"),
    }
}

/// The names of the entries in `dir` (empty when it does not exist), sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|entry| {
                    entry
                        .expect("entry")
                        .file_name()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The longest the end-to-end tests wait for a launched clock to run its every-second job,
/// or to stop after SIGTERM: a failsafe against hanging, not a measurement.
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

/// Polls until `path` exists, the child exits, or PATIENCE passes; says whether it exists.
pub fn wait_for_file(path: &Path, child: &mut std::process::Child) -> bool {
    let deadline = std::time::Instant::now() + PATIENCE;
    while std::time::Instant::now() < deadline && !path.is_file() {
        if matches!(child.try_wait(), Ok(Some(_))) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    path.is_file()
}

/// Polls until the child exits or PATIENCE passes; says whether it exited.
pub fn wait_for_exit(child: &mut std::process::Child) -> bool {
    let deadline = std::time::Instant::now() + PATIENCE;
    while std::time::Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    false
}
