//! Playing the lifecycle's part for the Cloud Native Buildpack's tests: there is no `pack`,
//! lifecycle or Docker daemon on the machines these tests run on, so this module does what
//! the Buildpack API 0.10 spec says the lifecycle does, as closely as a test can.
//!
//! - **Layout** ([`Lifecycle::new`]): a temporary root with `workspace/` (the app, a copy
//!   of a fixture), `platform/env/`, `layers/<escaped id>/` and a copy of the buildpack
//!   at `cnb/buildpacks/<escaped id>/<version>/`, made with `cp -a` so that cargo sees the
//!   same file times as in the repository.
//! - **Invocation** ([`Lifecycle::detect`], [`Lifecycle::build`]): `bin/detect PLATFORM
//!   PLAN` and `bin/build LAYERS PLATFORM PLAN`, run in the app directory with the spec's
//!   variables (`CNB_BUILDPACK_DIR`, `CNB_PLATFORM_DIR`, `CNB_BUILD_PLAN_PATH`,
//!   `CNB_LAYERS_DIR`, `CNB_BP_PLAN_PATH`, every `CNB_TARGET_*`), the platform's env files
//!   exported (the buildpack sets no `clear-env`), and nothing of the test runner's.
//! - **Outputs** ([`BuildOutputs::read`]): every `*.toml` the buildpack wrote, parsed with
//!   typed structs that deny unknown fields, plus the spec's rules that types cannot say.
//! - **Restore** ([`Lifecycle::restore`]): what a rebuild starts from: `cache = true`
//!   layers kept with their `[types]` stripped and their `[metadata]` re-encoded (indented,
//!   as the lifecycle's TOML writer does), launch-only layers reduced to their metadata,
//!   everything else and `launch.toml` gone.
//! - **Launch** ([`Lifecycle::launch_env`], [`Lifecycle::process_command`]): each
//!   buildpack's launch layers in group order: `bin/` prepended to PATH and `lib/` to
//!   LD_LIBRARY_PATH, `env/`, `env.launch/` and `env.launch/<process>/` applied with the
//!   lifecycle's rules (override by default, `.default`, `.append`/`.prepend` joined by
//!   `NAME.delim` or nothing), then `exec.d/` and `exec.d/<process>/` run with FD 3 read as
//!   TOML; the process's command looked up on that PATH and run from the app directory.
//!
//! The rules come from buildpacks/spec (buildpack.md, API 0.10) and buildpacks/lifecycle
//! (env/env.go, launch/launcher.go, launch/exec_d.go, buildpack/layermetadata.go).

#![allow(dead_code)] // each test binary uses its own part of this module

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde::Deserialize;

use crate::buildpack_support::{buildpack_dir, copy_dir, fixture, run, transcript};

/// The id in buildpack.toml, and its escaped form: the name of the buildpack's directory
/// under the layers directory and under /cnb/buildpacks (lifecycle `launch.EscapeID`).
pub const BUILDPACK_ID: &str = "heroku-clock/clock";
pub const ESCAPED_ID: &str = "heroku-clock_clock";

/// What the buildpack's source tree needs to build: the files `pack buildpack package`
/// would put into the image (docs/releasing.md), without tests, docs or cargo's target/.
pub const BUILDPACK_FILES: &[&str] = &[
    "bin",
    "buildpack",
    "buildpack.toml",
    "Cargo.toml",
    "Cargo.lock",
    "src",
    "templates",
];

/// The run image's PATH (heroku/heroku:24-cnb), which holds no cargo.
pub const RUN_IMAGE_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// ---------------------------------------------------------------------------------------
// The files, as the spec defines them. `deny_unknown_fields` everywhere: a key the spec
// does not define (a misspelling, `launch = true` at the top level of a layer file) fails.

/// buildpack.toml (spec "buildpack.toml (TOML)").
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildpackDescriptor {
    pub api: String,
    pub buildpack: BuildpackInfo,
    #[serde(default)]
    pub targets: Vec<Target>,
    #[serde(default)]
    pub stacks: Vec<Stack>,
    pub metadata: Option<toml::Table>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildpackInfo {
    pub id: String,
    pub version: String,
    pub name: Option<String>,
    pub homepage: Option<String>,
    pub description: Option<String>,
    pub keywords: Option<Vec<String>>,
    #[serde(rename = "clear-env")]
    pub clear_env: Option<bool>,
    #[serde(rename = "sbom-formats")]
    pub sbom_formats: Option<Vec<String>>,
    pub licenses: Option<Vec<License>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct License {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub uri: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub os: Option<String>,
    pub arch: Option<String>,
    pub variant: Option<String>,
    pub distros: Option<Vec<Distro>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Distro {
    pub name: String,
    pub version: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stack {
    pub id: String,
    pub mixins: Option<Vec<String>>,
}

/// `<layer>.toml` (spec "Layer Content Metadata (TOML)"): flags only under [types].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerToml {
    pub types: Option<LayerTypes>,
    pub metadata: Option<toml::Table>,
}

#[derive(Debug, Default, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LayerTypes {
    #[serde(default)]
    pub launch: bool,
    #[serde(default)]
    pub build: bool,
    #[serde(default)]
    pub cache: bool,
}

impl LayerToml {
    pub fn types(&self) -> LayerTypes {
        self.types.unwrap_or_default()
    }

    /// The string at `key` in [metadata].
    pub fn metadata_str(&self, key: &str) -> Option<&str> {
        self.metadata.as_ref()?.get(key)?.as_str()
    }
}

/// launch.toml (spec "launch.toml (TOML)"), with API 0.9+ processes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LaunchToml {
    #[serde(default)]
    pub processes: Vec<Process>,
    #[serde(default)]
    pub labels: Vec<Label>,
    #[serde(default)]
    pub slices: Vec<Slice>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Process {
    #[serde(rename = "type")]
    pub kind: String,
    pub command: Vec<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub default: bool,
    #[serde(rename = "working-dir")]
    pub working_dir: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slice {
    pub paths: Vec<String>,
}

/// build.toml (spec "build.toml (TOML)").
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildToml {
    #[serde(default)]
    pub unmet: Vec<toml::Table>,
}

/// store.toml (spec "store.toml (TOML)").
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreToml {
    pub metadata: Option<toml::Table>,
}

/// The build plan detect may write (spec "Build Plan (TOML)").
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectPlan {
    #[serde(default)]
    pub provides: Vec<toml::Table>,
    #[serde(default)]
    pub requires: Vec<toml::Table>,
    #[serde(default)]
    pub or: Vec<toml::Table>,
}

/// Parses `path` strictly as `T`, failing the test with the file and the parser's words.
pub fn parse_toml<T: serde::de::DeserializeOwned>(path: &Path) -> T {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path:?}: {e}"));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{path:?} breaks the spec: {e}\n{text}"))
}

/// buildpack.toml, parsed strictly and checked against the spec's rules.
pub fn read_descriptor(dir: &Path) -> BuildpackDescriptor {
    let descriptor: BuildpackDescriptor = parse_toml(&dir.join("buildpack.toml"));
    let id = &descriptor.buildpack.id;
    assert!(
        !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '-')),
        "buildpack id {id:?}: only letters, digits, '.', '/' and '-'"
    );
    assert!(
        !["app", "config", "generated", "sbom"].contains(&id.as_str()),
        "buildpack id {id:?} is reserved"
    );
    let version = &descriptor.buildpack.version;
    let parts: Vec<&str> = version.split('.').collect();
    assert!(
        parts.len() == 3
            && parts.iter().all(|p| {
                !p.is_empty()
                    && p.chars().all(|c| c.is_ascii_digit())
                    && (*p == "0" || !p.starts_with('0'))
            }),
        "buildpack version {version:?} is not X.Y.Z without leading zeros"
    );
    descriptor
}

/// Everything the buildpack left in its layers directory after a build, read strictly.
#[derive(Debug)]
pub struct BuildOutputs {
    pub launch: Option<LaunchToml>,
    pub layers: BTreeMap<String, LayerToml>,
}

impl BuildOutputs {
    /// Reads and checks every `*.toml` in `layers_dir`, and what else is there: every
    /// directory is a layer with a `<layer>.toml` (or the lifecycle ignores it), no layer
    /// is named build, launch or store, and launch.toml's processes are well-formed.
    pub fn read(layers_dir: &Path) -> BuildOutputs {
        let mut launch = None;
        let mut layers = BTreeMap::new();
        let mut dirs = Vec::new();
        for entry in std::fs::read_dir(layers_dir).expect("read the layers dir") {
            let entry = entry.expect("entry");
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if entry.file_type().expect("file type").is_dir() {
                dirs.push(name);
                continue;
            }
            match name.as_str() {
                "launch.toml" => launch = Some(check_launch(parse_toml(&path))),
                "build.toml" => {
                    let _: BuildToml = parse_toml(&path);
                }
                "store.toml" => {
                    let _: StoreToml = parse_toml(&path);
                }
                other => {
                    let layer = other.strip_suffix(".toml").unwrap_or_else(|| {
                        panic!("{path:?}: the buildpack left a file the spec has no place for")
                    });
                    assert!(
                        !["build", "launch", "store"].contains(&layer),
                        "a layer may not be named {layer:?}"
                    );
                    layers.insert(layer.to_string(), parse_toml::<LayerToml>(&path));
                }
            }
        }
        for dir in dirs {
            assert!(
                layers.contains_key(&dir),
                "layer directory {dir:?} has no {dir}.toml: the lifecycle would ignore it"
            );
        }
        BuildOutputs { launch, layers }
    }

    /// The layer `name`, or a failure naming the layers there are.
    pub fn layer(&self, name: &str) -> &LayerToml {
        self.layers.get(name).unwrap_or_else(|| {
            panic!(
                "no layer {name:?}; layers: {:?}",
                self.layers.keys().collect::<Vec<_>>()
            )
        })
    }
}

fn check_launch(launch: LaunchToml) -> LaunchToml {
    for process in &launch.processes {
        assert!(
            !process.kind.is_empty()
                && process
                    .kind
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')),
            "process type {:?}: only letters, digits, '.', '_' and '-'",
            process.kind
        );
        assert!(
            !process.command.is_empty(),
            "process {:?}: command must name an executable",
            process.kind
        );
    }
    let defaults = launch.processes.iter().filter(|p| p.default).count();
    assert!(defaults <= 1, "{defaults} default processes in launch.toml");
    launch
}

// ---------------------------------------------------------------------------------------
// The lifecycle.

/// A buildpack that ran before this one in the build group and left launch layers, as a
/// language CNB does: its escaped id and a function that writes its layers.
pub struct EarlierBuildpack {
    pub escaped_id: &'static str,
    pub write_layers: fn(&Path),
}

/// One app's build: the directories the lifecycle would give the buildpack.
pub struct Lifecycle {
    root: tempfile::TempDir,
    pub buildpack_dir: PathBuf,
    pub app_dir: PathBuf,
    pub platform_dir: PathBuf,
    pub layers_root: PathBuf,
    pub layers_dir: PathBuf,
    /// The order of the group: earlier buildpacks' escaped ids, then ours.
    pub group: Vec<String>,
    pub target_arch: String,
    /// Put in front of the build's PATH (a cargo shim, or a toolchain a test provides).
    pub path_prefix: Option<PathBuf>,
    /// More variables for detect and build (the tests' own knobs).
    pub extra_env: Vec<(String, String)>,
}

impl Lifecycle {
    /// The layout for fixture app `app`, with a fresh copy of the buildpack.
    pub fn new(app: &str) -> Lifecycle {
        let root = tempfile::Builder::new()
            .prefix("cnb_")
            .tempdir()
            .expect("create the lifecycle root");
        let version = read_descriptor(&buildpack_dir()).buildpack.version;
        let buildpack = root
            .path()
            .join("cnb/buildpacks")
            .join(ESCAPED_ID)
            .join(version);
        std::fs::create_dir_all(&buildpack).expect("mkdir buildpack");
        copy_buildpack(&buildpack);
        let app_dir = root.path().join("workspace");
        std::fs::create_dir(&app_dir).expect("mkdir workspace");
        copy_dir(&fixture(app), &app_dir);
        let platform_dir = root.path().join("platform");
        std::fs::create_dir_all(platform_dir.join("env")).expect("mkdir platform/env");
        let layers_root = root.path().join("layers");
        let layers_dir = layers_root.join(ESCAPED_ID);
        std::fs::create_dir_all(&layers_dir).expect("mkdir layers");
        Lifecycle {
            buildpack_dir: buildpack,
            app_dir,
            platform_dir,
            layers_dir,
            layers_root,
            group: vec![ESCAPED_ID.to_string()],
            target_arch: machine_target_arch().to_string(),
            path_prefix: None,
            extra_env: Vec::new(),
            root,
        }
    }

    /// The temporary root, for a test's own files.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// Adds a buildpack that ran before this one and wrote launch layers.
    pub fn add_earlier_buildpack(&mut self, earlier: &EarlierBuildpack) {
        let dir = self.layers_root.join(earlier.escaped_id);
        std::fs::create_dir_all(&dir).expect("mkdir earlier buildpack layers");
        (earlier.write_layers)(&dir);
        self.group
            .insert(self.group.len() - 1, earlier.escaped_id.to_string());
    }

    /// Sets a platform env file: a config var the platform passes to the build.
    pub fn set_platform_env(&self, name: &str, value: &str) {
        std::fs::write(self.platform_dir.join("env").join(name), value).expect("env file");
    }

    /// A command for `bin/NAME` of the copied buildpack with what the lifecycle gives
    /// every buildpack executable: the app directory as its working directory, the target
    /// variables, the platform's env files exported, and no variable of the test runner's.
    fn buildpack_command(&self, name: &str) -> Command {
        let mut command = Command::new(self.buildpack_dir.join("bin").join(name));
        let path = match &self.path_prefix {
            Some(prefix) => format!("{}:{}", prefix.display(), build_image_path()),
            None => build_image_path(),
        };
        command
            .current_dir(&self.app_dir)
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.root.path().join("home"))
            .env("CNB_BUILDPACK_DIR", &self.buildpack_dir)
            .env("CNB_PLATFORM_DIR", &self.platform_dir)
            .env("CNB_TARGET_OS", "linux")
            .env("CNB_TARGET_ARCH", &self.target_arch)
            .env("CNB_TARGET_ARCH_VARIANT", "")
            .env("CNB_TARGET_DISTRO_NAME", "ubuntu")
            .env("CNB_TARGET_DISTRO_VERSION", "24.04")
            .stdin(Stdio::null());
        for (name, value) in read_env_dir(&self.platform_dir.join("env")) {
            command.env(name, value);
        }
        for (name, value) in &self.extra_env {
            command.env(name, value);
        }
        command
    }

    /// Runs `bin/detect PLATFORM PLAN` and checks the plan it may have written.
    pub fn detect(&self) -> Output {
        let plan = self.root.path().join("detect-plan.toml");
        std::fs::write(&plan, "").expect("plan file");
        let output = run(self
            .buildpack_command("detect")
            .arg(&self.platform_dir)
            .arg(&plan)
            .env("CNB_BUILD_PLAN_PATH", &plan));
        let _: DetectPlan = parse_toml(&plan);
        output
    }

    /// Runs `bin/build LAYERS PLATFORM PLAN` (an empty buildpack plan: this buildpack
    /// requires nothing).
    pub fn build(&self) -> Output {
        let plan = self.root.path().join("buildpack-plan.toml");
        std::fs::write(&plan, "").expect("plan file");
        std::fs::create_dir_all(&self.layers_dir).expect("layers dir");
        run(self
            .buildpack_command("build")
            .arg(&self.layers_dir)
            .arg(&self.platform_dir)
            .arg(&plan)
            .env("CNB_LAYERS_DIR", &self.layers_dir)
            .env("CNB_BP_PLAN_PATH", &plan))
    }

    /// Runs the build, fails the test unless it succeeded, and reads its outputs.
    pub fn build_ok(&self) -> (Output, BuildOutputs) {
        let output = self.build();
        assert!(output.status.success(), "{}", transcript(&output));
        (output, BuildOutputs::read(&self.layers_dir))
    }

    /// What the next build starts from (spec "Phase #2 Analysis" and "Phase #3 Build",
    /// table "Layer Types"): cache layers kept, their `[types]` stripped; launch-only
    /// layers reduced to their metadata (the directory stays in the old image); build-only
    /// and ignored layers gone; launch.toml and build.toml gone; store.toml kept.
    pub fn restore(&self) {
        for entry in std::fs::read_dir(&self.layers_dir).expect("read layers") {
            let path = entry.expect("entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name == "launch.toml" || name == "build.toml" {
                std::fs::remove_file(&path).expect("drop");
                continue;
            }
            let Some(layer) = name.strip_suffix(".toml") else {
                continue;
            };
            if layer == "store" {
                continue;
            }
            let layer_toml: LayerToml = parse_toml(&path);
            let types = layer_toml.types();
            let dir = self.layers_dir.join(layer);
            if !types.cache && dir.exists() {
                std::fs::remove_dir_all(&dir).expect("drop layer dir");
            }
            if types.cache || types.launch {
                std::fs::write(&path, encode_restored_metadata(&layer_toml)).expect("rewrite");
            } else {
                std::fs::remove_file(&path).expect("drop layer toml");
            }
        }
    }

    /// The launch layers of every buildpack in the group, in the launcher's order.
    fn launch_layers(&self) -> Vec<PathBuf> {
        let mut layers = Vec::new();
        for escaped_id in &self.group {
            let dir = self.layers_root.join(escaped_id);
            let mut names: Vec<String> = std::fs::read_dir(&dir)
                .map(|entries| {
                    entries
                        .filter_map(|e| e.ok())
                        .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            names.sort();
            for name in names {
                let toml = dir.join(format!("{name}.toml"));
                // Export keeps only launch layers in the image.
                if toml.is_file() && parse_toml::<LayerToml>(&toml).types().launch {
                    layers.push(dir.join(name));
                }
            }
        }
        layers
    }

    /// The environment the launcher gives process type `process` (None for `heroku run`'s
    /// one-off, which has no type), starting from `base` (the run image's and the dyno's).
    pub fn launch_env(
        &self,
        process: Option<&str>,
        base: &BTreeMap<String, String>,
    ) -> BTreeMap<String, String> {
        let mut env = base.clone();
        let layers = self.launch_layers();
        for layer in &layers {
            for (dir, var) in [("bin", "PATH"), ("lib", "LD_LIBRARY_PATH")] {
                let path = layer.join(dir);
                if path.is_dir() {
                    let old = env.get(var).cloned().unwrap_or_default();
                    let new = if old.is_empty() {
                        path.display().to_string()
                    } else {
                        format!("{}:{old}", path.display())
                    };
                    env.insert(var.to_string(), new);
                }
            }
            apply_env_dir(&mut env, &layer.join("env"));
            apply_env_dir(&mut env, &layer.join("env.launch"));
            if let Some(process) = process {
                apply_env_dir(&mut env, &layer.join("env.launch").join(process));
            }
        }
        for layer in &layers {
            run_exec_d_dir(&mut env, &layer.join("exec.d"), &self.app_dir);
            if let Some(process) = process {
                run_exec_d_dir(&mut env, &layer.join("exec.d").join(process), &self.app_dir);
            }
        }
        env
    }

    /// The processes of the image: each buildpack's launch.toml in group order, a later
    /// process of the same type replacing an earlier one (spec "Export").
    pub fn processes(&self) -> BTreeMap<String, Process> {
        let mut processes = BTreeMap::new();
        for escaped_id in &self.group {
            let path = self.layers_root.join(escaped_id).join("launch.toml");
            if path.is_file() {
                for process in check_launch(parse_toml(&path)).processes {
                    processes.insert(process.kind.clone(), process);
                }
            }
        }
        processes
    }

    /// The command the launcher runs for process type `kind`: its environment, its
    /// command's first element looked up on the launch PATH, its working directory.
    pub fn process_command(&self, kind: &str, base: &BTreeMap<String, String>) -> Command {
        let processes = self.processes();
        let process = processes
            .get(kind)
            .unwrap_or_else(|| panic!("no process {kind:?} in the image: {processes:?}"));
        let env = self.launch_env(Some(kind), base);
        let program = look_path(&process.command[0], env.get("PATH").map(String::as_str))
            .unwrap_or_else(|| panic!("{:?} is not on the launch PATH", process.command[0]));
        let mut command = Command::new(program);
        command
            .args(&process.command[1..])
            .args(&process.args)
            .current_dir(match &process.working_dir {
                Some(dir) => PathBuf::from(dir),
                None => self.app_dir.clone(),
            })
            .env_clear()
            .envs(&env)
            .stdin(Stdio::null());
        command
    }

    /// `heroku run COMMAND...` on a CNB app: the launcher with no process type, running
    /// the command looked up on the launch PATH.
    pub fn one_off(&self, argv: &[&str], base: &BTreeMap<String, String>) -> Output {
        let env = self.launch_env(None, base);
        let program = look_path(argv[0], env.get("PATH").map(String::as_str))
            .unwrap_or_else(|| panic!("{:?} is not on the launch PATH", argv[0]));
        run(Command::new(program)
            .args(&argv[1..])
            .current_dir(&self.app_dir)
            .env_clear()
            .envs(&env)
            .stdin(Stdio::null()))
    }

    /// A digest of the copied buildpack directory: every entry's path, type, mode, size
    /// and modification time, and every file's SHA-256.
    pub fn hash_buildpack_dir(&self) -> TreeDigest {
        hash_tree(&self.buildpack_dir)
    }

    /// The total size in bytes of the files in `dir`.
    pub fn size_of(dir: &Path) -> u64 {
        let output = run(Command::new("du").arg("-sb").arg(dir));
        String::from_utf8_lossy(&output.stdout)
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .expect("du output")
    }
}

/// The environment a dyno starts from on Fir: the run image's PATH, HOME the app
/// directory (/workspace there), and a Fir-style dyno name.
pub fn fir_dyno_env(app_dir: &Path) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("PATH".to_string(), RUN_IMAGE_PATH.to_string()),
        ("HOME".to_string(), app_dir.display().to_string()),
        ("DYNO".to_string(), "clock-6d4f8b7c9-x2k7q".to_string()),
    ])
}

/// CNB_TARGET_ARCH for this machine (Go's names, as the lifecycle gives them).
pub fn machine_target_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => panic!("no CNB target architecture for {other}"),
    }
}

/// Rust's name for this machine's architecture, as the buildpack records it.
pub fn machine_rust_arch() -> &'static str {
    std::env::consts::ARCH
}

/// The build image's PATH: the system's, with a cargo only if a test puts one in front.
fn build_image_path() -> String {
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string()
}

/// `cp -a` of the buildpack's files from this repository into `to`, times and modes kept.
fn copy_buildpack(to: &Path) {
    let output = run(Command::new("cp")
        .arg("-a")
        .args(BUILDPACK_FILES)
        .arg(to)
        .current_dir(buildpack_dir()));
    assert!(
        output.status.success(),
        "copy the buildpack: {}",
        transcript(&output)
    );
}

/// The variables in an env directory: file name to contents.
fn read_env_dir(dir: &Path) -> Vec<(String, String)> {
    let mut vars = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.filter_map(|e| e.ok()) {
            if entry.path().is_file() {
                let value = std::fs::read_to_string(entry.path()).expect("env file");
                vars.push((entry.file_name().to_string_lossy().into_owned(), value));
            }
        }
    }
    vars.sort();
    vars
}

/// The lifecycle's env-file rules (env/env.go `addEnvDir`), files in name order: `NAME`
/// and `NAME.override` set, `NAME.default` sets only an unset or empty variable,
/// `NAME.append` and `NAME.prepend` join with the contents of `NAME.delim` (nothing when
/// there is none); other suffixes, `.delim` among them, do nothing by themselves.
pub fn apply_env_dir(env: &mut BTreeMap<String, String>, dir: &Path) {
    for (file, value) in read_env_dir(dir) {
        let (name, action) = match file.split_once('.') {
            Some((name, action)) => (name.to_string(), action),
            None => (file.clone(), "override"),
        };
        let delim = std::fs::read_to_string(dir.join(format!("{name}.delim"))).unwrap_or_default();
        let old = env.get(&name).cloned().unwrap_or_default();
        let new = match action {
            "override" => value,
            "default" if old.is_empty() => value,
            "default" => continue,
            "prepend" if old.is_empty() => value,
            "prepend" => format!("{value}{delim}{old}"),
            "append" if old.is_empty() => value,
            "append" => format!("{old}{delim}{value}"),
            _ => continue,
        };
        env.insert(name, new);
    }
}

/// Runs each executable in `dir` (launch/exec_d.go): the current environment, the app
/// directory as working directory, FD 3 a pipe whose contents are TOML `NAME = "value"`
/// pairs that then override the environment.
fn run_exec_d_dir(env: &mut BTreeMap<String, String>, dir: &Path, app_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    for file in files {
        // FD 3 becomes the pipe this test reads (stdout of sh); the program's own stdout
        // goes to stderr, as the launcher passes it through to the process's output.
        let output = run(Command::new("sh")
            .arg("-c")
            .arg("exec \"$0\" 3>&1 1>&2")
            .arg(&file)
            .current_dir(app_dir)
            .env_clear()
            .envs(env.iter()));
        assert!(
            output.status.success(),
            "exec.d {file:?}: {}",
            transcript(&output)
        );
        let text = String::from_utf8_lossy(&output.stdout);
        let vars: BTreeMap<String, String> = toml::from_str(&text)
            .unwrap_or_else(|e| panic!("exec.d {file:?} wrote invalid TOML to FD 3: {e}"));
        env.extend(vars);
    }
}

/// The first executable file named `name` in `path` (or `name` itself if it has a slash).
fn look_path(name: &str, path: Option<&str>) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    if name.contains('/') {
        return Some(PathBuf::from(name));
    }
    std::env::split_paths(path?)
        .map(|dir| dir.join(name))
        .find(|candidate| {
            candidate
                .metadata()
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}

/// `<layer>.toml` as the lifecycle restores it: [metadata] only, re-encoded with the
/// keys indented under the table header as its Go TOML writer does.
fn encode_restored_metadata(layer: &LayerToml) -> String {
    let Some(metadata) = &layer.metadata else {
        return String::new();
    };
    let body = toml::to_string(metadata).expect("encode metadata");
    let mut text = String::from("[metadata]\n");
    for line in body.lines() {
        text.push_str("  ");
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// One line per entry of a tree (path, type, mode, size, modification time) and one per
/// file (its SHA-256), as `find` and `sha256sum` print them.
#[derive(Debug, PartialEq, Eq)]
pub struct TreeDigest(Vec<String>);

impl TreeDigest {
    /// Fails the test unless `after` is the same tree, naming the entries that differ.
    pub fn assert_unchanged(&self, after: &TreeDigest, what: &str) {
        let gone: Vec<&String> = self.0.iter().filter(|l| !after.0.contains(l)).collect();
        let new: Vec<&String> = after.0.iter().filter(|l| !self.0.contains(l)).collect();
        assert!(
            gone.is_empty() && new.is_empty(),
            "{what}\nbefore: {gone:#?}\nafter: {new:#?}"
        );
    }
}

/// The [`TreeDigest`] of the tree at `dir`.
fn hash_tree(dir: &Path) -> TreeDigest {
    let listing = run(Command::new("sh")
        .arg("-c")
        .arg(
            "find . -printf '%P %y %m %s %T@\\n' | LC_ALL=C sort && \
             find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum",
        )
        .current_dir(dir));
    assert!(
        listing.status.success(),
        "hash {dir:?}: {}",
        transcript(&listing)
    );
    TreeDigest(
        String::from_utf8_lossy(&listing.stdout)
            .lines()
            .map(str::to_string)
            .collect(),
    )
}
