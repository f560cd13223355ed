//! `bin/detect`, `bin/release` and the toolchain step of `bin/compile`, without a real
//! Rust build: the toolchain tests point the rustup-init download at local files (a fake
//! installer, a wrong checksum) or at a closed port, so they need no network and no cargo.

mod buildpack_support;

use buildpack_support::{
    build_dir_from, entries, fixture, run, script, sha256_of, transcript, write_script,
};

const PINNED_SHA256: &str = "20a06e644b0d9bd2fbdbfd52d42540bdde820ea7df86e92e533c073da0cdd43c";

#[test]
fn detect_passes_for_an_app_with_clock_yml() {
    for app in [
        "app_python_with_procfile",
        "app_without_procfile",
        "app_with_invalid_clock_yml",
    ] {
        let output = run(script("detect").arg(fixture(app)));
        assert!(output.status.success(), "{app}: {}", transcript(&output));
        assert_eq!(String::from_utf8_lossy(&output.stdout), "heroku-clock\n");
    }
}

#[test]
fn detect_fails_with_one_line_reason_without_clock_yml() {
    let output = run(script("detect").arg(fixture("app_without_clock_yml")));
    assert_eq!(output.status.code(), Some(1), "{}", transcript(&output));
    assert!(output.stdout.is_empty(), "{}", transcript(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{}", transcript(&output));
    assert!(stderr.contains("no clock.yml"), "{}", transcript(&output));
}

#[test]
fn detect_follows_clock_config_in_its_environment() {
    let build = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(build.path().join("config")).expect("mkdir");
    std::fs::write(build.path().join("config/schedule.yml"), "jobs: {}\n").expect("write");

    let found = run(script("detect")
        .arg(build.path())
        .env("CLOCK_CONFIG", "config/schedule.yml"));
    assert!(found.status.success(), "{}", transcript(&found));

    let under_app = run(script("detect")
        .arg(build.path())
        .env("CLOCK_CONFIG", "/app/config/schedule.yml"));
    assert!(under_app.status.success(), "{}", transcript(&under_app));

    let missing = run(script("detect")
        .arg(build.path())
        .env("CLOCK_CONFIG", "config/other.yml"));
    assert_eq!(missing.status.code(), Some(1), "{}", transcript(&missing));
}

#[test]
fn release_declares_only_the_clock_process() {
    let output = run(script("release").arg(fixture("app_python_with_procfile")));
    assert!(output.status.success(), "{}", transcript(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "---\ndefault_process_types:\n  clock: clock\n"
    );
}

/// One toolchain scenario: a fresh build dir, cache, env dir and temp dir, and a compile
/// forced onto the rustup path with PATH holding no cargo.
struct ToolchainBuild {
    build: tempfile::TempDir,
    cache: tempfile::TempDir,
    env: tempfile::TempDir,
    tmp: tempfile::TempDir,
    fakes: tempfile::TempDir,
}

impl ToolchainBuild {
    fn new() -> ToolchainBuild {
        ToolchainBuild {
            build: build_dir_from("app_without_procfile"),
            cache: tempfile::tempdir().expect("cache dir"),
            env: tempfile::tempdir().expect("env dir"),
            tmp: tempfile::tempdir().expect("tmp dir"),
            fakes: tempfile::tempdir().expect("fakes dir"),
        }
    }

    /// Runs bin/compile with the rustup-init download at `url`, checked against `sha256`
    /// (the pinned one when `None`).
    fn compile(&self, url: &str, sha256: Option<&str>) -> std::process::Output {
        let mut command = script("compile");
        command
            .args([self.build.path(), self.cache.path(), self.env.path()])
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("TMPDIR", self.tmp.path())
            .env("HEROKU_CLOCK_FORCE_RUSTUP", "1")
            .env("HEROKU_CLOCK_RUSTUP_URL", url);
        if let Some(sha256) = sha256 {
            command.env("HEROKU_CLOCK_RUSTUP_SHA256", sha256);
        }
        run(&mut command)
    }

    /// The buildpack's state in the cache.
    fn state(&self) -> std::path::PathBuf {
        self.cache.path().join("heroku-clock")
    }

    /// Fails unless the cache holds no toolchain, whole or partial, and no download is left.
    fn assert_no_toolchain(&self, transcript: &str) {
        let state = entries(&self.state());
        assert!(
            !state.iter().any(|name| name.starts_with("rust-")),
            "a toolchain was left in the cache: {state:?}\n{transcript}"
        );
        assert_eq!(
            entries(self.tmp.path()),
            Vec::<String>::new(),
            "the download was left behind\n{transcript}"
        );
        assert!(
            !self.build.path().join(".heroku-clock").exists(),
            "the slug got binaries from a failed build\n{transcript}"
        );
    }

    /// A fake rustup-init at `name` running `body`; returns its file:// URL and checksum.
    fn fake_rustup_init(&self, name: &str, body: &str) -> (String, String) {
        let path = self.fakes.path().join(name);
        write_script(&path, body);
        (format!("file://{}", path.display()), sha256_of(&path))
    }
}

#[test]
fn a_wrong_checksum_stops_the_build_before_rustup_init_runs() {
    let build = ToolchainBuild::new();
    let ran = build.fakes.path().join("ran");
    let (url, _) = build.fake_rustup_init(
        "rustup-init",
        &format!("#!/bin/sh\ntouch '{}'\n", ran.display()),
    );

    let output = build.compile(&url, None);
    let transcript = transcript(&output);
    assert_eq!(output.status.code(), Some(1), "{transcript}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(" !     Error: rustup-init failed its checksum; it was not run."),
        "{transcript}"
    );
    assert!(
        stderr.contains(&format!("Expected SHA-256: {PINNED_SHA256}")),
        "{transcript}"
    );
    assert!(!ran.exists(), "rustup-init ran despite its checksum");
    build.assert_no_toolchain(&transcript);
}

#[test]
fn an_unreachable_download_stops_the_build_with_curls_reason() {
    let build = ToolchainBuild::new();
    let output = build.compile("http://127.0.0.1:1/rustup-init", None);
    let transcript = transcript(&output);
    assert_eq!(output.status.code(), Some(1), "{transcript}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(" !     Error: could not download rustup-init, the Rust installer."),
        "{transcript}"
    );
    assert!(
        stderr.contains(" !     curl said: curl: (7)"),
        "{transcript}"
    );
    build.assert_no_toolchain(&transcript);
}

#[test]
fn a_failing_installer_leaves_no_half_installed_toolchain() {
    let build = ToolchainBuild::new();
    // Leaves part of a toolchain in its CARGO_HOME, then fails, as an interrupted
    // download of the Rust components would.
    let (url, sha256) = build.fake_rustup_init(
        "rustup-init",
        "#!/bin/sh\nmkdir -p \"$CARGO_HOME/bin\" \"$RUSTUP_HOME/toolchains/partial\"\n\
         echo 'error: component download failed' >&2\nexit 1\n",
    );
    let output = build.compile(&url, Some(&sha256));
    let transcript = transcript(&output);
    assert_eq!(output.status.code(), Some(1), "{transcript}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("       error: component download failed"),
        "{transcript}"
    );
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains(" !     Error: could not install Rust 1.95.0."),
        "{transcript}"
    );
    build.assert_no_toolchain(&transcript);
}

#[test]
fn the_installed_toolchain_builds_and_is_reused() {
    let build = ToolchainBuild::new();
    let calls = build.fakes.path().join("calls.log");
    // The fake installer puts a fake cargo in CARGO_HOME; the fake cargo "builds" by
    // linking the binaries this test run already built.
    let fake_cargo = format!(
        "#!/bin/sh\necho \"cargo $*\" >> '{calls}'\n\
         if [ \"$1\" = --version ]; then echo 'cargo 1.95.0 (fake)'; exit 0; fi\n\
         mkdir -p \"$CARGO_TARGET_DIR/release\"\n\
         ln -sf '{clockctl}' \"$CARGO_TARGET_DIR/release/clockctl\"\n",
        calls = calls.display(),
        clockctl = env!("CARGO_BIN_EXE_clockctl"),
    );
    let fake_cargo_path = build.fakes.path().join("cargo");
    write_script(&fake_cargo_path, &fake_cargo);
    let (url, sha256) = build.fake_rustup_init(
        "rustup-init",
        &format!(
            "#!/bin/sh\necho \"rustup-init $*\" >> '{calls}'\n\
             mkdir -p \"$CARGO_HOME/bin\" \"$RUSTUP_HOME\"\n\
             cp '{cargo}' \"$CARGO_HOME/bin/cargo\"\n",
            calls = calls.display(),
            cargo = fake_cargo_path.display(),
        ),
    );

    let first = build.compile(&url, Some(&sha256));
    let first_transcript = transcript(&first);
    assert!(first.status.success(), "{first_transcript}");
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        stdout.contains("-----> Installing Rust 1.95.0 (rustup 1.28.2, minimal profile)"),
        "{first_transcript}"
    );
    let log = std::fs::read_to_string(&calls).expect("calls log");
    assert!(
        log.contains(
            "rustup-init -y --quiet --no-modify-path --profile minimal --default-toolchain 1.95.0"
        ),
        "{log}"
    );
    assert!(
        log.contains("cargo build --release --locked --bin clockctl"),
        "{log}"
    );
    assert_eq!(
        entries(&build.state())
            .into_iter()
            .filter(|name| name.starts_with("rust-"))
            .collect::<Vec<_>>(),
        ["rust-1.95.0"],
        "{first_transcript}"
    );
    assert!(build.state().join("rust-1.95.0/installed").is_file());

    // A new buildpack version (another stamp) rebuilds with the cached toolchain.
    std::fs::remove_file(build.state().join("bin/stamp")).expect("remove stamp");
    let second = build.compile(&url, Some(&sha256));
    let second_transcript = transcript(&second);
    assert!(second.status.success(), "{second_transcript}");
    assert!(
        String::from_utf8_lossy(&second.stdout)
            .contains("-----> Using Rust 1.95.0 from the build cache"),
        "{second_transcript}"
    );
    let log = std::fs::read_to_string(&calls).expect("calls log");
    assert_eq!(
        log.matches("rustup-init ").count(),
        1,
        "rustup-init ran again: {log}"
    );
    assert_eq!(log.matches("cargo build").count(), 2, "{log}");
}

/// Runs `validate::clock_yml` from `buildpack/lib/validate.sh` with the built clockctl, on
/// CONFIG_PATH under BUILD_DIR, as `bin/compile` does.
fn validate_step(build_dir: &std::path::Path, config_path: &str) -> std::process::Output {
    let lib = buildpack_support::buildpack_dir().join("buildpack/lib");
    run(std::process::Command::new("bash")
        .arg("-c")
        .arg(r#"set -euo pipefail; source "$1/output.sh"; source "$1/validate.sh"; validate::clock_yml "$2" "$3" "$4""#)
        .arg("validate-step")
        .arg(&lib)
        .arg(env!("CARGO_BIN_EXE_clockctl"))
        .arg(build_dir)
        .arg(config_path))
}

/// A CLOCK_CONFIG whose file name looks like an option is still the file to check: an
/// invalid one fails the build, a valid one is shown, and clockctl's help never stands in.
#[test]
fn a_clock_config_named_like_an_option_is_checked_as_a_file() {
    let cases = [
        ("app_with_invalid_clock_yml", Some(1), "is not valid"),
        ("app_without_procfile", Some(0), "--help is valid: 1 job"),
    ];
    for (app, code, expected) in cases {
        let build = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(build.path().join("config")).expect("mkdir");
        std::fs::copy(
            fixture(app).join("clock.yml"),
            build.path().join("config/--help"),
        )
        .expect("copy clock.yml");
        let output = validate_step(build.path(), "config/--help");
        let shown = transcript(&output);
        assert_eq!(output.status.code(), code, "{app}: {shown}");
        assert!(shown.contains(expected), "{app}: {shown}");
        assert!(
            !shown.contains("Usage:"),
            "{app}: help was printed: {shown}"
        );
    }
}
