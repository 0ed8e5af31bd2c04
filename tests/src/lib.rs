//! Helpers shared by the whole-system tests: where the repository is, and running the
//! `switchyard` binary as a user would, and ([`server`]) running `switchyard serve` and talking
//! to it.

pub mod server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository")
        .into()
}

/// The example network directory.
pub fn example_network() -> PathBuf {
    repo().join("examples/networks/us-retail")
}

/// An example order file by name, such as `chicago-3-items.json`.
pub fn example_order(name: &str) -> PathBuf {
    repo().join("examples/orders").join(name)
}

/// The `switchyard` binary, built once per test run.
pub fn switchyard_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        escargot::CargoBuild::new()
            .package("switchyard")
            .bin("switchyard")
            .current_release()
            .manifest_path(repo().join("Cargo.toml"))
            .run()
            .expect("the switchyard binary builds")
            .path()
            .to_path_buf()
    })
}

/// What a run of the binary printed, and whether it succeeded.
pub struct Run {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `switchyard` with arguments.
pub fn switchyard<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(switchyard_binary())
        .args(args)
        .output()
        .expect("switchyard runs");
    let run = Run {
        success: status.success(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "switchyard panicked:\n{}",
        run.stderr
    );
    run
}

/// Routes an order with the optimizer (or `extra` flags) and parses the JSON decision.
pub fn route_json(order: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "route".into(),
        "--network".into(),
        example_network().into_os_string(),
        "--order".into(),
        order.as_os_str().to_owned(),
        "--json".into(),
    ];
    args.extend(extra.iter().map(Into::into));
    let run = switchyard(args);
    assert!(run.success, "route failed:\n{}", run.stderr);
    serde_json::from_str(&run.stdout).expect("route --json prints JSON")
}

/// Copies the example network into a fresh temporary directory, for tests that break it.
pub fn copy_of_example_network() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for entry in std::fs::read_dir(example_network()).expect("the example network exists") {
        let entry = entry.expect("a directory entry");
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy");
    }
    dir
}

/// The plugins in `tests/fixtures/`, by crate name: the hostile ones, and the do-nothing plugin
/// the benchmark measures a bare call with.
pub const FIXTURE_PLUGINS: &[&str] = &[
    "hostile-plugin",
    "foreign-import-plugin",
    "wrong-world-plugin",
    "allow-all-plugin",
];

/// The cargo target directory the tests were built in.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target"))
}

/// Builds plugin crates for `wasm32-wasip2` in release mode, as a plugin author does, with
/// `env` set for the build. Returns the directory holding the `.wasm` files.
pub fn build_plugins(crates: &[&str], env: &[(&str, &str)]) -> PathBuf {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command
        .current_dir(repo())
        .args(["build", "--quiet", "--release", "--target", "wasm32-wasip2"])
        .env("CARGO_TARGET_DIR", target_dir())
        // Debug information only slows loading; plugin authors may keep it.
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false");
    for name in crates {
        command.args(["--package", name]);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("cargo runs");
    assert!(
        output.status.success(),
        "building plugins failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    target_dir().join("wasm32-wasip2/release")
}

/// Every example plugin and fixture, built once per test binary and copied aside, so a test
/// that rebuilds one does not change what the others read. Files are named by crate, such as
/// `never-split-vip.wasm`.
pub fn plugins() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let crates: Vec<&str> = EXAMPLE_PLUGINS
            .iter()
            .chain(FIXTURE_PLUGINS)
            .copied()
            .collect();
        let built = build_plugins(&crates, &[]);
        let dir = tempfile::tempdir().expect("a temporary directory");
        for name in &crates {
            // Libraries are named with underscores, binaries as the crate.
            let library = built.join(format!("{}.wasm", name.replace('-', "_")));
            let binary = built.join(format!("{name}.wasm"));
            let from = if library.exists() { library } else { binary };
            std::fs::copy(&from, dir.path().join(format!("{name}.wasm")))
                .unwrap_or_else(|error| panic!("copy {}: {error}", from.display()));
        }
        dir
    })
    .path()
}

/// The bytes of a built plugin or fixture, such as `plugin_bytes("hostile-plugin")`.
pub fn plugin_bytes(name: &str) -> Vec<u8> {
    std::fs::read(plugins().join(format!("{name}.wasm"))).expect("the plugin was built")
}

/// A fresh plugin directory holding these plugins (by crate name) and this `plugins.json`.
pub fn plugin_dir(names: &[&str], manifest: &serde_json::Value) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for name in names {
        std::fs::write(dir.path().join(format!("{name}.wasm")), plugin_bytes(name)).expect("write");
    }
    std::fs::write(dir.path().join("plugins.json"), manifest.to_string()).expect("write");
    dir
}

/// The example tenant `acme` (`examples/tenants/acme`).
pub fn acme() -> PathBuf {
    repo().join("examples/tenants/acme")
}

/// A copy of the `acme` tenant's plugin directory with the example plugins built into it, as
/// its README tells a user to do: the files named as cargo names them, such as
/// `never_split_vip.wasm`.
pub fn acme_plugins() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for name in EXAMPLE_PLUGINS {
        let file = format!("{}.wasm", name.replace('-', "_"));
        std::fs::write(dir.path().join(file), plugin_bytes(name)).expect("write");
    }
    std::fs::copy(
        acme().join("plugins/plugins.json"),
        dir.path().join("plugins.json"),
    )
    .expect("copy the manifest");
    dir
}

/// The example plugins in `plugins/`, by crate name.
pub const EXAMPLE_PLUGINS: &[&str] = &[
    "never-split-vip",
    "no-hazmat-from-stores",
    "prefer-clearance-stores",
    "carbon-aware",
    "maintenance-window",
];
