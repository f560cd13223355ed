//! The Cloud Native Buildpack's `bin/detect` and `bin/build` as the lifecycle runs them
//! (tests/cnb_support plays the lifecycle), without a real Rust build: a fake cargo on
//! PATH "builds" by writing two small scripts that run the clock and clockctl this test
//! run already built, so clock.yml is still checked by the real clockctl. The real cargo
//! build, the launch and the running clock are in tests/cnb_e2e.rs.

mod buildpack_support;
mod cnb_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use buildpack_support::{buildpack_dir, run, sha256_of, transcript, write_script};
use cnb_support::{BuildOutputs, Lifecycle, Process, machine_rust_arch, read_descriptor};

/// The rustup-init 1.28.2 checksums the official Rust images pin
/// (rust-lang/docker-rust@0090aa71b570edfb7464fb7a380d32b6ed4b3c10:stable/bookworm/Dockerfile).
const RUSTUP_SHA256_X86_64: &str =
    "20a06e644b0d9bd2fbdbfd52d42540bdde820ea7df86e92e533c073da0cdd43c";
const RUSTUP_SHA256_AARCH64: &str =
    "e3853c5a252fca15252d07cb23a1bdd9377a8c6f3efa01531109281ae47f841c";

/// A fake cargo in its own directory, logging every call.
struct FakeCargo {
    dir: tempfile::TempDir,
}

impl FakeCargo {
    fn new() -> FakeCargo {
        let dir = tempfile::tempdir().expect("fake cargo dir");
        let log = dir.path().join("calls.log");
        write_script(
            &dir.path().join("cargo"),
            &format!(
                "#!/bin/sh\necho \"cargo $* (CARGO_HOME=$CARGO_HOME CARGO_TARGET_DIR=$CARGO_TARGET_DIR)\" >> '{log}'\n\
                 if [ \"$1\" = --version ]; then echo 'cargo 1.95.0 (fake)'; exit 0; fi\n\
                 mkdir -p \"$CARGO_TARGET_DIR/release\"\n\
                 ln -sf '{clockctl}' \"$CARGO_TARGET_DIR/release/clockctl\"\n",
                log = log.display(),
                clockctl = env!("CARGO_BIN_EXE_clockctl"),
            ),
        );
        FakeCargo { dir }
    }

    /// Every call, one line each.
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("calls.log")).unwrap_or_default()
    }

    /// How many `cargo build` calls there have been.
    fn builds(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("calls.log"))
            .map(|log| log.matches("cargo build").count())
            .unwrap_or(0)
    }
}

/// A lifecycle for fixture `app` with the fake cargo on the build's PATH.
fn lifecycle_with(app: &str, cargo: &FakeCargo) -> Lifecycle {
    let mut lifecycle = Lifecycle::new(app);
    lifecycle.path_prefix = Some(cargo.dir.path().to_path_buf());
    lifecycle
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A value from buildpack/toolchain.env (`NAME=value` lines).
fn toolchain_pin(name: &str) -> String {
    let text = std::fs::read_to_string(buildpack_dir().join("buildpack/toolchain.env"))
        .expect("toolchain.env");
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} in toolchain.env"))
        .to_string()
}

#[test]
fn detect_passes_with_clock_yml_and_fails_with_100_without() {
    for app in ["app_python_with_procfile", "app_with_invalid_clock_yml"] {
        let output = Lifecycle::new(app).detect();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{app}: {}",
            transcript(&output)
        );
    }
    let output = Lifecycle::new("app_without_clock_yml").detect();
    assert_eq!(output.status.code(), Some(100), "{}", transcript(&output));
    assert!(
        stderr(&output).contains("no clock.yml"),
        "{}",
        transcript(&output)
    );
}

#[test]
fn detect_follows_clock_config_from_the_platform_env() {
    let lifecycle = Lifecycle::new("app_without_clock_yml");
    std::fs::create_dir(lifecycle.app_dir.join("config")).expect("mkdir");
    std::fs::write(lifecycle.app_dir.join("config/schedule.yml"), "jobs: {}\n").expect("write");
    for (value, code) in [
        ("config/schedule.yml", 0),
        ("/workspace/config/schedule.yml", 0),
        ("config/other.yml", 100),
        ("/etc/schedule.yml", 100),
    ] {
        lifecycle.set_platform_env("CLOCK_CONFIG", value);
        let output = lifecycle.detect();
        assert_eq!(
            output.status.code(),
            Some(code),
            "{value}: {}",
            transcript(&output)
        );
    }
}

#[test]
fn build_writes_the_layers_and_launch_toml_and_a_rebuild_runs_no_cargo() {
    let cargo = FakeCargo::new();
    let lifecycle = lifecycle_with("app_python_with_procfile", &cargo);
    let app_before = listing(&lifecycle.app_dir);
    let buildpack_before = lifecycle.hash_buildpack_dir();

    assert_eq!(lifecycle.detect().status.code(), Some(0));
    let (first, outputs) = lifecycle.build_ok();
    assert_eq!(cargo.builds(), 1, "{}", transcript(&first));
    // cargo's home and target directory live in the toolchain layer, which is cached.
    let toolchain = lifecycle.layers_dir.join("toolchain");
    assert!(
        cargo.log().contains(&format!(
            "(CARGO_HOME={0}/cargo CARGO_TARGET_DIR={0}/target)",
            toolchain.display()
        )),
        "{}",
        cargo.log()
    );
    assert!(
        stdout(&first).contains("-----> Building clock and clockctl"),
        "{}",
        transcript(&first)
    );
    assert!(
        stdout(&first).contains("-----> Checking clock.yml\n       clock.yml is valid: 1 job\n"),
        "{}",
        transcript(&first)
    );
    assert_build_outputs(&lifecycle, &outputs);
    let stamp = outputs
        .layer("clock")
        .metadata_str("stamp")
        .unwrap()
        .to_string();

    // The app directory is exported as it is: no .profile.d, no Procfile edit.
    assert_eq!(
        listing(&lifecycle.app_dir),
        app_before,
        "the build changed the app dir"
    );

    // Rebuild: cache layers kept without [types], launch.toml gone.
    lifecycle.restore();
    assert!(!lifecycle.layers_dir.join("launch.toml").exists());
    let (second, outputs) = lifecycle.build_ok();
    assert_eq!(
        cargo.builds(),
        1,
        "the rebuild ran cargo: {}",
        transcript(&second)
    );
    assert!(
        stdout(&second).contains(&format!(
            "-----> Using clock and clockctl from the build cache\n       \
             Built earlier from this buildpack's source ({}) for {}\n",
            &stamp[..12],
            machine_rust_arch()
        )),
        "{}",
        transcript(&second)
    );
    assert!(
        !stdout(&second).contains("Rust toolchain"),
        "{}",
        transcript(&second)
    );
    assert_build_outputs(&lifecycle, &outputs);

    buildpack_before.assert_unchanged(
        &lifecycle.hash_buildpack_dir(),
        "the build wrote into CNB_BUILDPACK_DIR",
    );
}

/// What every successful build leaves: exactly the two layers, their types and metadata,
/// and launch.toml with the clock process.
fn assert_build_outputs(lifecycle: &Lifecycle, outputs: &BuildOutputs) {
    assert_eq!(
        outputs.layers.keys().collect::<Vec<_>>(),
        ["clock", "toolchain"],
        "layers"
    );
    let clock = outputs.layer("clock");
    let types = clock.types();
    assert!(
        types.launch && types.cache && !types.build,
        "clock layer types: {types:?}"
    );
    let descriptor = read_descriptor(&lifecycle.buildpack_dir);
    let stamp = clock.metadata_str("stamp").expect("a stamp");
    assert!(
        stamp.len() == 64 && stamp.chars().all(|c| c.is_ascii_hexdigit()),
        "stamp {stamp:?}"
    );
    assert_eq!(
        clock.metadata_str("buildpack_version"),
        Some(descriptor.buildpack.version.as_str())
    );
    assert_eq!(clock.metadata_str("arch"), Some(machine_rust_arch()));
    assert_eq!(
        clock.metadata_str("rust_version"),
        Some(toolchain_pin("RUST_VERSION").as_str())
    );
    for binary in ["clock", "clockctl"] {
        let path = lifecycle.layers_dir.join("clock/bin").join(binary);
        assert!(is_executable(&path), "{path:?} is not an executable");
    }

    let toolchain = outputs.layer("toolchain");
    let types = toolchain.types();
    assert!(
        types.cache && !types.launch && !types.build,
        "toolchain types: {types:?}"
    );
    assert_eq!(toolchain.metadata_str("arch"), Some(machine_rust_arch()));
    assert_eq!(
        toolchain.metadata_str("rustup_version"),
        Some(toolchain_pin("RUSTUP_VERSION").as_str())
    );

    let launch = outputs.launch.as_ref().expect("launch.toml");
    let [
        Process {
            kind,
            command,
            args,
            default,
            working_dir,
        },
    ] = launch.processes.as_slice()
    else {
        panic!("launch.toml processes: {:?}", launch.processes);
    };
    assert_eq!(kind, "clock");
    assert_eq!(command, &["clock"]);
    assert!(args.is_empty(), "args: {args:?}");
    assert!(!default, "the clock process must not be the default");
    assert_eq!(working_dir, &None);
    assert!(
        !lifecycle.app_dir.join(".profile.d").exists(),
        "CNB dropped .profile.d; nothing may write it"
    );
}

#[test]
fn another_buildpack_version_rebuilds_the_binaries_and_keeps_the_toolchain() {
    let cargo = FakeCargo::new();
    let lifecycle = lifecycle_with("app_without_procfile", &cargo);
    lifecycle.build_ok();
    let kept = lifecycle.layers_dir.join("toolchain/kept-between-builds");
    std::fs::write(&kept, "").expect("marker");

    // The previous image's binaries came from another buildpack version.
    lifecycle.restore();
    rewrite_metadata(
        &lifecycle.layers_dir.join("clock.toml"),
        "buildpack_version",
        "0.0.1",
    );
    let (output, outputs) = lifecycle.build_ok();
    assert_eq!(cargo.builds(), 2, "{}", transcript(&output));
    assert!(
        kept.exists(),
        "the toolchain layer was dropped: {}",
        transcript(&output)
    );
    assert_eq!(
        outputs.layer("clock").metadata_str("buildpack_version"),
        Some(
            read_descriptor(&lifecycle.buildpack_dir)
                .buildpack
                .version
                .as_str()
        )
    );

    // A cache from another architecture is no use at all: both layers start again.
    lifecycle.restore();
    rewrite_metadata(
        &lifecycle.layers_dir.join("toolchain.toml"),
        "arch",
        "riscv64",
    );
    rewrite_metadata(&lifecycle.layers_dir.join("clock.toml"), "arch", "riscv64");
    let (output, outputs) = lifecycle.build_ok();
    assert_eq!(cargo.builds(), 3, "{}", transcript(&output));
    assert!(
        !kept.exists(),
        "a toolchain for another arch was kept: {}",
        transcript(&output)
    );
    assert_eq!(
        outputs.layer("toolchain").metadata_str("arch"),
        Some(machine_rust_arch())
    );
}

/// Replaces KEY's value in a restored `<layer>.toml` (as an older build would have left it).
fn rewrite_metadata(path: &Path, key: &str, value: &str) {
    let text = std::fs::read_to_string(path).expect("layer toml");
    let mut table: toml::Table = toml::from_str(&text).expect("layer toml parses");
    assert!(
        table.get("types").is_none(),
        "restore left [types] in {path:?}"
    );
    table
        .get_mut("metadata")
        .and_then(|m| m.as_table_mut())
        .expect("[metadata]")
        .insert(key.to_string(), toml::Value::String(value.to_string()));
    std::fs::write(path, toml::to_string(&table).expect("encode")).expect("write");
}

#[test]
fn a_broken_clock_yml_fails_the_build_with_its_location() {
    let cargo = FakeCargo::new();
    let lifecycle = lifecycle_with("app_with_invalid_clock_yml", &cargo);
    let before = lifecycle.hash_buildpack_dir();
    let output = lifecycle.build();
    let transcript = transcript(&output);
    assert_eq!(output.status.code(), Some(1), "{transcript}");
    assert!(stderr(&output).contains("clock.yml:5:"), "{transcript}");
    assert!(
        stderr(&output).contains(" !     Error: clock.yml is not valid (the errors are above)."),
        "{transcript}"
    );
    assert!(
        !lifecycle.layers_dir.join("launch.toml").exists(),
        "a failed build declared the process"
    );
    assert!(
        !lifecycle.layers_dir.join("clock.toml").exists(),
        "a failed build marked the binaries as finished"
    );
    before.assert_unchanged(
        &lifecycle.hash_buildpack_dir(),
        "the build wrote into CNB_BUILDPACK_DIR",
    );
}

#[test]
fn clock_config_from_the_platform_env_names_the_file_to_check() {
    let cargo = FakeCargo::new();
    let lifecycle = lifecycle_with("app_python_with_procfile", &cargo);
    std::fs::create_dir(lifecycle.app_dir.join("config")).expect("mkdir");
    std::fs::rename(
        lifecycle.app_dir.join("clock.yml"),
        lifecycle.app_dir.join("config/schedule.yml"),
    )
    .expect("move clock.yml");
    lifecycle.set_platform_env("SECRET_TOKEN", "s3cr3t-value");

    for value in ["config/schedule.yml", "/workspace/config/schedule.yml"] {
        lifecycle.set_platform_env("CLOCK_CONFIG", value);
        let (output, _) = lifecycle.build_ok();
        let transcript = transcript(&output);
        assert!(
            stdout(&output).contains("-----> Checking the clock.yml that CLOCK_CONFIG names"),
            "{transcript}"
        );
        for secret in [value, "s3cr3t-value"] {
            assert!(
                !transcript.contains(secret),
                "printed {secret:?}:\n{transcript}"
            );
        }
        lifecycle.restore();
    }

    lifecycle.set_platform_env("CLOCK_CONFIG", "/etc/schedule.yml");
    let output = lifecycle.build();
    assert_eq!(output.status.code(), Some(1), "{}", transcript(&output));
    assert!(
        stderr(&output).contains(
            " !     Error: the CLOCK_CONFIG config var holds an absolute path outside /workspace."
        ),
        "{}",
        transcript(&output)
    );
}

#[test]
fn a_procfile_clock_entry_is_pointed_out() {
    let cargo = FakeCargo::new();
    let lifecycle = lifecycle_with("app_with_own_clock_entry", &cargo);
    let (output, _) = lifecycle.build_ok();
    assert!(
        stdout(&output).contains(
            "       The Procfile declares clock too: with heroku/procfile after this buildpack, \
             its command is the one that runs"
        ),
        "{}",
        transcript(&output)
    );
    assert_eq!(
        std::fs::read_to_string(lifecycle.app_dir.join("Procfile")).expect("Procfile"),
        "web: gunicorn app:app\nclock: python clock.py\n",
        "the build edited the Procfile"
    );
}

#[test]
fn an_unsupported_target_arch_fails_saying_which_are_supported() {
    let cargo = FakeCargo::new();
    let mut lifecycle = lifecycle_with("app_python_with_procfile", &cargo);
    lifecycle.target_arch = "ppc64le".to_string();
    let output = lifecycle.build();
    assert_eq!(output.status.code(), Some(1), "{}", transcript(&output));
    assert!(
        stderr(&output)
            .contains(" !     Error: heroku-clock does not build for the architecture ppc64le."),
        "{}",
        transcript(&output)
    );
    assert!(stderr(&output).contains("linux/amd64 and linux/arm64"));
    assert_eq!(cargo.builds(), 0);
    assert_eq!(
        buildpack_support::entries(&lifecycle.layers_dir),
        Vec::<String>::new()
    );
}

#[test]
fn each_target_arch_gets_its_pinned_rustup_init() {
    // The pin itself, through the buildpack's own functions.
    for (arch, sha256) in [
        ("x86_64", RUSTUP_SHA256_X86_64),
        ("aarch64", RUSTUP_SHA256_AARCH64),
    ] {
        let output = run(Command::new("bash")
            .arg("-c")
            .arg(format!(
                "set -euo pipefail; source buildpack/toolchain.env; source buildpack/lib/toolchain.sh; \
                 toolchain::select_host {arch}; echo \"$RUSTUP_INIT_URL $RUSTUP_INIT_SHA256\""
            ))
            .current_dir(buildpack_dir()));
        assert!(output.status.success(), "{}", transcript(&output));
        assert_eq!(
            stdout(&output),
            format!(
                "https://static.rust-lang.org/rustup/archive/1.28.2/{arch}-unknown-linux-gnu/rustup-init {sha256}\n"
            )
        );
    }

    // bin/build picks it from CNB_TARGET_ARCH: a download that is not the pinned file is
    // refused with the pin for that architecture, and nothing is run or kept.
    let fakes = tempfile::tempdir().expect("fakes");
    let ran = fakes.path().join("ran");
    let installer = fakes.path().join("rustup-init");
    write_script(
        &installer,
        &format!("#!/bin/sh\ntouch '{}'\n", ran.display()),
    );
    assert_ne!(sha256_of(&installer), RUSTUP_SHA256_AARCH64);
    for (target_arch, sha256) in [
        ("amd64", RUSTUP_SHA256_X86_64),
        ("arm64", RUSTUP_SHA256_AARCH64),
    ] {
        let mut lifecycle = Lifecycle::new("app_python_with_procfile");
        lifecycle.target_arch = target_arch.to_string();
        lifecycle.extra_env = vec![
            ("HEROKU_CLOCK_FORCE_RUSTUP".into(), "1".into()),
            (
                "HEROKU_CLOCK_RUSTUP_URL".into(),
                format!("file://{}", installer.display()),
            ),
            ("TMPDIR".into(), fakes.path().display().to_string()),
        ];
        let output = lifecycle.build();
        let transcript = transcript(&output);
        assert_eq!(output.status.code(), Some(1), "{target_arch}: {transcript}");
        assert!(
            stderr(&output).contains(&format!("Expected SHA-256: {sha256}")),
            "{target_arch}: {transcript}"
        );
        assert!(!ran.exists(), "rustup-init ran despite its checksum");
        let toolchain = buildpack_support::entries(&lifecycle.layers_dir.join("toolchain"));
        assert!(
            !toolchain.iter().any(|name| name.starts_with("rust-")),
            "{target_arch}: a toolchain was kept: {toolchain:?}"
        );
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Every path under `dir` with its contents' checksum, for "nothing changed" checks.
fn listing(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap().to_path_buf();
                found.push((relative, sha256_of(&path)));
            }
        }
    }
    found.sort();
    found
}
