//! Helpers shared by the whole-system tests: where the repository is, and running the
//! `switchyard` binary as a user would.

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
            .current_target()
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
