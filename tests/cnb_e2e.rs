//! The Cloud Native Buildpack end to end, with tests/cnb_support playing the lifecycle:
//! detect, a build with a real `cargo build --release`, a rebuild from the restored cache
//! that runs no cargo, then the launch: the image's launch layers applied as the launcher
//! applies them (a language buildpack's env files and exec.d included), `clockctl` in a
//! one-off, and the `clock` process started from the workspace until its job has run.
//!
//! A release build is expensive on a small machine, so this test shares cargo's home and
//! target directory with tests/buildpack_e2e.rs (`buildpack_support::shared_cargo_dir`,
//! through the test-only HEROKU_CLOCK_CARGO_DIR: cargo's fingerprints name each crate's
//! source path under CARGO_HOME, so the two must be the same path). The buildpack is
//! copied with its file times kept, so cargo finds everything fresh once either test has
//! built it; crates come from this machine's registry and the network stays off. The
//! toolchain layer itself is covered by tests/cnb_scripts.rs.

mod buildpack_support;
mod cnb_support;

use std::path::{Path, PathBuf};
use std::process::Output;

use buildpack_support::{
    PATIENCE, fixture, seed_registry, shared_cargo_dir, transcript, wait_for_exit, wait_for_file,
    write_script,
};
use cnb_support::{EarlierBuildpack, Lifecycle, fir_dyno_env};

/// A language buildpack before this one in the group, with one launch layer that sets
/// variables through every kind of env file and through exec.d.
const LANGUAGE: EarlierBuildpack = EarlierBuildpack {
    escaped_id: "test_language",
    write_layers: write_language_layers,
};

fn write_language_layers(dir: &Path) {
    let layer = dir.join("runtime");
    for sub in ["env", "env.launch", "exec.d"] {
        std::fs::create_dir_all(layer.join(sub)).expect("mkdir");
    }
    std::fs::write(dir.join("runtime.toml"), "[types]\nlaunch = true\n").expect("layer toml");
    // `a`, then `b` appended with the delimiter `,`: "a,b" (without the .delim file the
    // lifecycle would join them with nothing).
    std::fs::write(layer.join("env/CLOCK_TEST_LIST.override"), "a").expect("env");
    std::fs::write(layer.join("env.launch/CLOCK_TEST_LIST.append"), "b").expect("env");
    std::fs::write(layer.join("env.launch/CLOCK_TEST_LIST.delim"), ",").expect("env");
    write_script(
        &layer.join("exec.d/greeting"),
        "#!/bin/sh\necho 'CLOCK_TEST_GREETING = \"hello from exec.d\"' >&3\n",
    );
}

/// A cargo on PATH that logs each call before running the real one. The build runs with
/// the build image's PATH and its own HOME, so the shim also puts the real cargo's
/// directory (where rustc is) first on PATH and names rustup's home, as a build image with
/// Rust installed would have them.
struct CargoShim {
    dir: tempfile::TempDir,
}

impl CargoShim {
    fn new() -> CargoShim {
        let dir = tempfile::tempdir().expect("shim dir");
        let cargo = real_cargo();
        let rustup_home = std::env::var_os("RUSTUP_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").expect("HOME")).join(".rustup"));
        write_script(
            &dir.path().join("cargo"),
            &format!(
                "#!/bin/sh\necho \"$*\" >> '{log}'\n\
                 PATH='{bin}':\"$PATH\" RUSTUP_HOME='{rustup_home}' exec '{cargo}' \"$@\"\n",
                log = dir.path().join("calls.log").display(),
                bin = cargo.parent().expect("cargo's directory").display(),
                rustup_home = rustup_home.display(),
                cargo = cargo.display()
            ),
        );
        CargoShim { dir }
    }

    fn calls(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("calls.log"))
            .map(|log| log.lines().count())
            .unwrap_or(0)
    }
}

/// The real cargo: the one running this test (`CARGO`), else the first on PATH.
fn real_cargo() -> PathBuf {
    if let Some(cargo) = std::env::var_os("CARGO") {
        return PathBuf::from(cargo);
    }
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("cargo"))
        .find(|candidate| candidate.is_file())
        .expect("cargo on PATH")
}

#[test]
fn cnb_builds_rebuilds_from_cache_and_the_clock_process_runs() {
    let shim = CargoShim::new();
    let mut lifecycle = Lifecycle::new("cnb_app_with_launch_env");
    lifecycle.path_prefix = Some(shim.dir.path().to_path_buf());
    let cargo_dir = shared_cargo_dir();
    seed_registry(&cargo_dir.join("cargo"));
    lifecycle.extra_env = vec![
        ("CARGO_NET_OFFLINE".into(), "true".into()),
        (
            "HEROKU_CLOCK_CARGO_DIR".into(),
            cargo_dir.display().to_string(),
        ),
    ];
    lifecycle.add_earlier_buildpack(&LANGUAGE);
    let buildpack_before = lifecycle.hash_buildpack_dir();

    // 1. Detect passes; the first build runs cargo.
    let detect = lifecycle.detect();
    assert_eq!(detect.status.code(), Some(0), "{}", transcript(&detect));
    let (first, outputs) = lifecycle.build_ok();
    assert!(
        shim.calls() > 0,
        "the first build ran no cargo: {}",
        transcript(&first)
    );
    assert!(
        stdout(&first).contains("-----> Building clock and clockctl"),
        "{}",
        transcript(&first)
    );
    let clock = outputs.layer("clock");
    assert!(
        clock.types().launch && clock.types().cache,
        "{:?}",
        clock.types()
    );
    let launch = outputs.launch.as_ref().expect("launch.toml");
    assert_eq!(launch.processes.len(), 1, "{launch:?}");
    assert_eq!(launch.processes[0].command, ["clock"]);
    let calls = shim.calls();
    eprintln!(
        "launch layer `clock`: {} bytes",
        Lifecycle::size_of(&lifecycle.layers_dir.join("clock"))
    );

    // 2. Rebuild from the restored cache: no cargo at all.
    lifecycle.restore();
    let (second, _) = lifecycle.build_ok();
    assert_eq!(
        shim.calls(),
        calls,
        "the rebuild ran cargo: {}",
        transcript(&second)
    );
    assert!(
        stdout(&second).contains("-----> Using clock and clockctl from the build cache"),
        "{}",
        transcript(&second)
    );
    buildpack_before.assert_unchanged(
        &lifecycle.hash_buildpack_dir(),
        "the build wrote into CNB_BUILDPACK_DIR",
    );

    // 3. Launch: `heroku run` finds both binaries on PATH and clockctl checks the app.
    let base = fir_dyno_env(&lifecycle.app_dir);
    let clock_bin = lifecycle.layers_dir.join("clock/bin");
    let which = lifecycle.one_off(
        &["bash", "-c", "command -v clock; command -v clockctl"],
        &base,
    );
    assert_eq!(
        stdout(&which),
        format!("{0}/clock\n{0}/clockctl\n", clock_bin.display()),
        "{}",
        transcript(&which)
    );
    let validate = lifecycle.one_off(&["clockctl", "validate"], &base);
    assert!(validate.status.success(), "{}", transcript(&validate));

    // The clock process, from the workspace, runs its job with the launch environment.
    let log = lifecycle.root().join("clock.log");
    let log_file = std::fs::File::create(&log).expect("clock log");
    let mut clock = lifecycle
        .process_command("clock", &base)
        .stdout(log_file.try_clone().expect("log"))
        .stderr(log_file)
        .spawn()
        .expect("start the clock process");
    let marker = lifecycle.app_dir.join("clock-ran.txt");
    let ran = wait_for_file(&marker, &mut clock);
    // SIGTERM, as a dyno is stopped.
    // SAFETY: kill(2) on the pid of a child this test started and has not yet reaped.
    unsafe { libc::kill(clock.id() as libc::pid_t, libc::SIGTERM) };
    let stopped = wait_for_exit(&mut clock);
    if !stopped {
        let _ = clock.kill();
        let _ = clock.wait();
    }
    let clock_log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        ran,
        "the clock ran no job within {PATIENCE:?}; its output:\n{clock_log}"
    );
    assert!(
        stopped,
        "the clock did not stop after SIGTERM; its output:\n{clock_log}"
    );
    let marker_text = std::fs::read_to_string(&marker).expect("marker");
    assert_eq!(
        marker_text.lines().next(),
        Some(
            format!(
                "list=a,b greeting=hello from exec.d clockctl={}/clockctl",
                clock_bin.display()
            )
            .as_str()
        ),
        "the job's environment; the clock's output:\n{clock_log}"
    );

    // 4. A broken clock.yml fails the next build at its location.
    std::fs::copy(
        fixture("app_with_invalid_clock_yml/clock.yml"),
        lifecycle.app_dir.join("clock.yml"),
    )
    .expect("break clock.yml");
    lifecycle.restore();
    let broken = lifecycle.build();
    assert_eq!(broken.status.code(), Some(1), "{}", transcript(&broken));
    assert!(
        String::from_utf8_lossy(&broken.stderr).contains("clock.yml:5:"),
        "{}",
        transcript(&broken)
    );
    assert_eq!(shim.calls(), calls, "a build after the first ran cargo");
    buildpack_before.assert_unchanged(
        &lifecycle.hash_buildpack_dir(),
        "the build wrote into CNB_BUILDPACK_DIR",
    );
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}
