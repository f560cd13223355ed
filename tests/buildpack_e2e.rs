//! The buildpack end to end, as Heroku runs it: `bin/detect`, `bin/compile` with a real
//! `cargo build --release`, and `bin/release` on a copy of each fixture app; then the built
//! app is moved elsewhere (as the slug moves from /tmp/build_* to /app), its `.profile.d`
//! sourced with HOME there, and the Procfile's clock command run until a job has run.
//!
//! A release build is expensive on a small machine, so one test walks every scenario with
//! one shared build cache: the first compile builds (cold on a fresh checkout, incremental
//! after that, since the cache lives in cargo's target tmp dir like Heroku's cache lives
//! between builds), and every later compile must reuse the binaries without running cargo
//! at all. Crates come from this machine's cargo registry with the network off, so the test
//! talks to nothing.

mod buildpack_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use buildpack_support::{
    PATIENCE, build_dir_from, run, script, seed_registry, transcript, wait_for_exit, wait_for_file,
    write_script,
};

/// The shared cache, and a cargo on PATH that logs each call before running the real one.
struct Builder {
    cache: PathBuf,
    env_dir: tempfile::TempDir,
    shims: tempfile::TempDir,
    cargo_log: PathBuf,
}

impl Builder {
    fn new() -> Builder {
        // The cache's heroku-clock/ is buildpack_support::shared_cargo_dir(), which the
        // Cloud Native buildpack's end-to-end test builds in too.
        let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("buildpack-cache");
        seed_registry(&cache.join("heroku-clock/cargo"));
        // Force this run's first compile through cargo, whatever an earlier run left.
        let _ = std::fs::remove_file(cache.join("heroku-clock/bin/stamp"));

        let shims = tempfile::tempdir().expect("shim dir");
        let cargo_log = shims.path().join("cargo-calls.log");
        write_script(
            &shims.path().join("cargo"),
            &format!(
                "#!/bin/sh\necho \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
                cargo_log.display(),
                real_cargo().display()
            ),
        );
        Builder {
            cache,
            env_dir: tempfile::tempdir().expect("env dir"),
            shims,
            cargo_log,
        }
    }

    fn compile(&self, build_dir: &Path) -> Output {
        self.compile_with_env(build_dir, self.env_dir.path())
    }

    /// Compiles with `env_dir` as ENV_DIR (the app's config vars, one file each).
    fn compile_with_env(&self, build_dir: &Path, env_dir: &Path) -> Output {
        let path = format!(
            "{}:{}",
            self.shims.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        run(script("compile")
            .args([build_dir, &self.cache, env_dir])
            .env("PATH", path)
            .env("CARGO_NET_OFFLINE", "true"))
    }

    /// How many times cargo has been run so far.
    fn cargo_calls(&self) -> usize {
        std::fs::read_to_string(&self.cargo_log)
            .map(|log| log.lines().count())
            .unwrap_or(0)
    }
}

/// The real cargo: the one running this test (`CARGO`), else the first on PATH. Resolved
/// to a path before the logging shim joins PATH, so the shim never runs itself.
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
fn buildpack_builds_each_fixture_app_and_the_clock_runs() {
    let builder = Builder::new();

    // 1. A Python app with a web process: the first compile builds.
    let python = built_app(&builder, "app_python_with_procfile");
    let output = &python.compile;
    assert!(
        stdout(output).contains("-----> Building clock and clockctl"),
        "{}",
        transcript(output)
    );
    assert!(
        builder.cargo_calls() > 0,
        "the first compile did not run cargo"
    );
    assert_procfile(&python, "web: gunicorn app:app\nclock: clock\n");
    // The build shows each job and its next run.
    assert!(
        stdout(output).contains("-----> Checking clock.yml\n       clock.yml is valid: 1 job\n"),
        "{}",
        transcript(output)
    );
    assert!(
        stdout(output).contains("       marker\n") && stdout(output).contains("next run: "),
        "{}",
        transcript(output)
    );
    assert!(
        stdout(output).contains("       Added `clock: clock` to the Procfile"),
        "{}",
        transcript(output)
    );
    assert_release(&python);
    assert_slug_names_no_build_path(&python);
    let cargo_calls = builder.cargo_calls();

    // Compiling the same build dir again (a rebuild) keeps one entry and runs no cargo.
    let again = builder.compile(python.dir.path());
    assert!(again.status.success(), "{}", transcript(&again));
    assert!(
        stdout(&again).contains("-----> Using clock and clockctl from the build cache"),
        "{}",
        transcript(&again)
    );
    assert!(
        stdout(&again).contains("already declares a clock process (line 2: `clock: clock`)"),
        "{}",
        transcript(&again)
    );
    assert_procfile(&python, "web: gunicorn app:app\nclock: clock\n");
    assert_eq!(
        builder.cargo_calls(),
        cargo_calls,
        "a cached compile ran cargo"
    );
    run_clock_in_moved_slug(python);

    // 2. No Procfile: one is created, from the cache.
    let bare = built_app(&builder, "app_without_procfile");
    assert_procfile(&bare, "clock: clock\n");
    assert!(
        stdout(&bare.compile).contains("Created a Procfile with `clock: clock`"),
        "{}",
        transcript(&bare.compile)
    );
    run_clock_in_moved_slug(bare);

    // 3. A Procfile whose last line has no newline: every byte kept, newline added.
    let unterminated = built_app(&builder, "app_procfile_without_final_newline");
    assert_procfile(
        &unterminated,
        "web: gunicorn app:app\nworker: python worker.py\nclock: clock\n",
    );
    run_clock_in_moved_slug(unterminated);

    // 4. The app's own clock entry is left alone, and the build says so.
    let own = built_app(&builder, "app_with_own_clock_entry");
    assert_procfile(&own, "web: gunicorn app:app\nclock: python clock.py\n");
    assert!(
        stdout(&own.compile).contains(
            "       The Procfile already declares a clock process (line 2: `clock: python clock.py`); left it as it is"
        ),
        "{}",
        transcript(&own.compile)
    );

    // 5. An invalid clock.yml fails the build at its line and column; nothing is installed.
    let invalid = build_dir_from("app_with_invalid_clock_yml");
    let detect = run(script("detect").arg(invalid.path()));
    assert!(detect.status.success(), "{}", transcript(&detect));
    let failed = builder.compile(invalid.path());
    let failed_transcript = transcript(&failed);
    assert_eq!(failed.status.code(), Some(1), "{failed_transcript}");
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains("clock.yml:5:"), "{failed_transcript}");
    assert!(
        stderr.contains(" !     Error: clock.yml is not valid (the errors are above)."),
        "{failed_transcript}"
    );
    assert!(
        !invalid.path().join(".heroku-clock").exists(),
        "binaries were installed for an invalid clock.yml"
    );
    assert_eq!(
        std::fs::read_to_string(invalid.path().join("Procfile")).expect("Procfile"),
        "web: gunicorn app:app\n",
        "the Procfile changed in a failed build"
    );

    // 6. CLOCK_CONFIG (from ENV_DIR) names the file to check. Its value, the path, is never
    //    printed: only its basename is (`schedule.yml:LINE:COL`, "no missing.yml"), as the
    //    file's name in messages. Other config vars' values never appear.
    let moved = build_dir_from("app_python_with_procfile");
    std::fs::create_dir(moved.path().join("config")).expect("mkdir config");
    std::fs::rename(
        moved.path().join("clock.yml"),
        moved.path().join("config/schedule.yml"),
    )
    .expect("move clock.yml");
    let env_dir = tempfile::tempdir().expect("env dir");
    std::fs::write(env_dir.path().join("CLOCK_CONFIG"), "config/schedule.yml").expect("env");
    std::fs::write(env_dir.path().join("SECRET_TOKEN"), "s3cr3t-value").expect("env");
    let configured = builder.compile_with_env(moved.path(), env_dir.path());
    let configured_transcript = transcript(&configured);
    assert!(configured.status.success(), "{configured_transcript}");
    assert!(
        stdout(&configured).contains("-----> Checking the clock.yml that CLOCK_CONFIG names"),
        "{configured_transcript}"
    );
    for value in ["config/schedule.yml", "s3cr3t-value"] {
        assert!(
            !configured_transcript.contains(value),
            "a config var's value was printed: {value}\n{configured_transcript}"
        );
    }

    std::fs::write(env_dir.path().join("CLOCK_CONFIG"), "config/missing.yml").expect("env");
    let missing = builder.compile_with_env(moved.path(), env_dir.path());
    assert_eq!(missing.status.code(), Some(1), "{}", transcript(&missing));
    assert!(
        String::from_utf8_lossy(&missing.stderr)
            .contains(" !     Error: the app has no missing.yml where the build looked for it."),
        "{}",
        transcript(&missing)
    );

    assert_eq!(
        builder.cargo_calls(),
        cargo_calls,
        "a compile after the first ran cargo"
    );
}

/// A fixture app after detect and a successful compile.
struct BuiltApp {
    name: &'static str,
    dir: tempfile::TempDir,
    compile: Output,
}

fn built_app(builder: &Builder, name: &'static str) -> BuiltApp {
    let dir = build_dir_from(name);
    let detect = run(script("detect").arg(dir.path()));
    assert!(detect.status.success(), "{name}: {}", transcript(&detect));
    let compile = builder.compile(dir.path());
    assert!(compile.status.success(), "{name}: {}", transcript(&compile));
    BuiltApp { name, dir, compile }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn assert_procfile(app: &BuiltApp, expected: &str) {
    let procfile = std::fs::read_to_string(app.dir.path().join("Procfile")).expect("Procfile");
    assert_eq!(procfile, expected, "{}: Procfile", app.name);
}

fn assert_release(app: &BuiltApp) {
    let release = run(script("release").arg(app.dir.path()));
    assert!(release.status.success(), "{}", transcript(&release));
    assert_eq!(
        stdout(&release),
        "---\ndefault_process_types:\n  clock: clock\n"
    );
}

/// The slug runs at /app, not where it was built: no text file the build wrote may name
/// the build directory.
fn assert_slug_names_no_build_path(app: &BuiltApp) {
    let build_path = app.dir.path().to_string_lossy().into_owned();
    for file in [".profile.d/heroku-clock.sh", "Procfile"] {
        let text = std::fs::read_to_string(app.dir.path().join(file)).expect(file);
        assert!(
            !text.contains(&build_path),
            "{}: {file} names the build dir:\n{text}",
            app.name
        );
    }
    for binary in ["clock", "clockctl"] {
        assert!(
            app.dir
                .path()
                .join(".heroku-clock/bin")
                .join(binary)
                .is_file(),
            "{}: {binary} missing from the slug",
            app.name
        );
    }
}

/// Moves the built app to a new directory (its "/app"), then does what a dyno does: sources
/// `.profile.d/*.sh` with HOME there and runs the Procfile's clock command with bash. Waits
/// for the every-second job's marker, then stops the clock with SIGTERM.
fn run_clock_in_moved_slug(app: BuiltApp) {
    let runtime = tempfile::tempdir().expect("runtime dir");
    let home = runtime.path().join("app");
    std::fs::rename(app.dir.path(), &home).expect("move the slug");
    let procfile = std::fs::read_to_string(home.join("Procfile")).expect("Procfile");
    let command = procfile
        .lines()
        .find_map(|line| line.strip_prefix("clock:"))
        .expect("a clock entry")
        .trim()
        .to_string();
    let boot = "for f in \"$HOME\"/.profile.d/*.sh; do . \"$f\"; done";

    // `heroku run` sees the slug's binaries on PATH.
    let which = run(dyno(&home)
        .arg("-c")
        .arg(format!("{boot}; command -v clock; command -v clockctl")));
    assert_eq!(
        stdout(&which),
        format!(
            "{home}/.heroku-clock/bin/clock\n{home}/.heroku-clock/bin/clockctl\n",
            home = home.display()
        ),
        "{}: {}",
        app.name,
        transcript(&which)
    );

    // `heroku run clockctl validate` checks the slug's clock.yml.
    let validate = run(dyno(&home)
        .arg("-c")
        .arg(format!("{boot}; clockctl validate")));
    assert!(
        validate.status.success(),
        "{}: {}",
        app.name,
        transcript(&validate)
    );

    let log = runtime.path().join("clock.log");
    let log_file = std::fs::File::create(&log).expect("clock log");
    let mut clock = dyno(&home)
        .arg("-c")
        .arg(format!("{boot}; exec {command}"))
        .stdout(log_file.try_clone().expect("log"))
        .stderr(log_file)
        .spawn()
        .expect("start the clock");

    let marker = home.join("clock-ran.txt");
    let ran = wait_for_file(&marker, &mut clock);
    // SIGTERM, as Heroku stops a dyno.
    // SAFETY: kill(2) on the pid of a child this test started and has not yet reaped.
    unsafe { libc::kill(clock.id() as libc::pid_t, libc::SIGTERM) };
    let stopped = wait_for_exit(&mut clock);
    let clock_log = std::fs::read_to_string(&log).unwrap_or_default();
    if !stopped {
        let _ = clock.kill();
        let _ = clock.wait();
    }
    assert!(
        ran,
        "{}: the clock ran no job within {PATIENCE:?}; its output:\n{clock_log}",
        app.name
    );
    assert!(
        stopped,
        "{}: the clock did not stop within {PATIENCE:?} of SIGTERM; its output:\n{clock_log}",
        app.name
    );
    let marker_text = std::fs::read_to_string(&marker).expect("marker");
    assert!(marker_text.starts_with("ran\n"), "marker: {marker_text:?}");
}

/// bash in `home` with the environment of a dyno: HOME there and a PATH without cargo.
fn dyno(home: &Path) -> Command {
    let mut command = Command::new("bash");
    command
        .current_dir(home)
        .env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .stdin(Stdio::null());
    command
}
