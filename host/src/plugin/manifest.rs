//! A tenant's plugin directory: the `.wasm` files and `plugins.json`, which lists the plugins in
//! the order they run, with their configuration, failure policy and limits.
//!
//! ```json
//! {
//!   "candidates": 20,
//!   "plugins": [
//!     {"name": "never-split-vip", "config": {"tiers": ["vip", "gold"]}},
//!     {"name": "carbon-aware", "file": "carbon_aware.wasm", "on_failure": "open",
//!      "config": {"cents_per_kg_km": 0.02}, "limits": {"timeout_ms": 20}}
//!   ]
//! }
//! ```
//!
//! Without `plugins.json`, every `.wasm` file in the directory runs, in file name order, with an
//! empty configuration, fail-closed and default limits.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::rules::DEFAULT_CANDIDATES;

/// The manifest's file name inside a plugin directory.
pub const MANIFEST: &str = "plugins.json";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// How many of the cheapest candidate plans the plugins judge.
    #[serde(default = "default_candidates")]
    pub candidates: usize,
    pub plugins: Vec<PluginEntry>,
}

fn default_candidates() -> usize {
    DEFAULT_CANDIDATES
}

/// One plugin of a tenant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginEntry {
    /// The name used in decisions, logs and status.
    pub name: String,
    /// The `.wasm` file in the directory; `<name>.wasm` when absent.
    #[serde(default)]
    pub file: Option<String>,
    /// The plugin's configuration, handed to it as JSON text.
    #[serde(default = "empty_object")]
    pub config: serde_json::Value,
    #[serde(default)]
    pub on_failure: FailurePolicy,
    #[serde(default)]
    pub limits: Limits,
}

fn empty_object() -> serde_json::Value {
    serde_json::json!({})
}

impl PluginEntry {
    pub fn file_name(&self) -> String {
        self.file
            .clone()
            .unwrap_or_else(|| format!("{}.wasm", self.name))
    }
}

/// What a decision does when the plugin fails (traps, runs out of time or fuel, returns an
/// error or a malformed answer, or is not loaded).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailurePolicy {
    /// The decision fails with an error naming the plugin.
    #[default]
    Closed,
    /// The decision goes on without the plugin and records that it was skipped.
    Open,
}

/// What one call of a plugin may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Wall-clock time for one call, instantiation included.
    pub timeout_ms: u64,
    /// WebAssembly instructions for one call.
    pub fuel: u64,
    /// Linear memory, in MiB.
    pub memory_mib: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout_ms: 100,
            fuel: 50_000_000,
            memory_mib: 64,
        }
    }
}

/// The most memory a manifest may give one plugin, in MiB; the instance pool is sized by it.
pub const MAX_MEMORY_MIB: u32 = 512;

impl Manifest {
    /// Reads `plugins.json` from `dir`, or lists the directory's `.wasm` files when there is
    /// none. Errors name the file and the field.
    pub fn read(dir: &Path) -> anyhow::Result<Manifest> {
        let path = dir.join(MANIFEST);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let manifest = Manifest::parse(&bytes)
                    .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
                Ok(manifest)
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Ok(Manifest::from_files(dir)?)
            }
            Err(error) => Err(anyhow::anyhow!("cannot read {}: {error}", path.display())),
        }
    }

    /// Parses and checks manifest JSON.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, String> {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let manifest: Manifest = serde_path_to_error::deserialize(&mut deserializer)
            .map_err(|error| format!("field `{}`: {}", error.path(), error.inner()))?;
        manifest.check()?;
        Ok(manifest)
    }

    pub fn check(&self) -> Result<(), String> {
        if self.candidates == 0 {
            return Err("field `candidates`: must be at least 1".into());
        }
        let mut seen = std::collections::BTreeSet::new();
        for (at, entry) in self.plugins.iter().enumerate() {
            let field = |name: &str| format!("field `plugins[{at}].{name}`");
            let valid_name = !entry.name.is_empty()
                && entry
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !valid_name {
                return Err(format!(
                    "{}: `{}` must be letters, digits, - or _",
                    field("name"),
                    entry.name
                ));
            }
            if !seen.insert(&entry.name) {
                return Err(format!(
                    "{}: `{}` is listed twice",
                    field("name"),
                    entry.name
                ));
            }
            let file = entry.file_name();
            if file.contains('/') || file.contains('\\') || !file.ends_with(".wasm") {
                return Err(format!(
                    "{}: `{file}` must be a `.wasm` file in the directory",
                    field("file")
                ));
            }
            let limits = entry.limits;
            if limits.timeout_ms == 0 || limits.fuel == 0 {
                return Err(format!(
                    "{}: timeout_ms and fuel must be above 0",
                    field("limits")
                ));
            }
            if !(1..=MAX_MEMORY_MIB).contains(&limits.memory_mib) {
                return Err(format!(
                    "{}: memory_mib must be between 1 and {MAX_MEMORY_MIB}",
                    field("limits")
                ));
            }
        }
        Ok(())
    }

    /// Every `.wasm` file in `dir`, by file name, with defaults.
    fn from_files(dir: &Path) -> anyhow::Result<Manifest> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|error| {
                anyhow::anyhow!("cannot read plugin directory {}: {error}", dir.display())
            })?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "wasm"))
            .collect();
        files.sort();
        let plugins = files
            .iter()
            .filter_map(|path| {
                let file = path.file_name()?.to_str()?.to_string();
                let name = path.file_stem()?.to_str()?.to_string();
                Some(PluginEntry {
                    name,
                    file: Some(file),
                    config: empty_object(),
                    on_failure: FailurePolicy::default(),
                    limits: Limits::default(),
                })
            })
            .collect();
        Ok(Manifest {
            candidates: DEFAULT_CANDIDATES,
            plugins,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_what_the_manifest_leaves_out() {
        let manifest = Manifest::parse(br#"{"plugins": [{"name": "vip"}]}"#).unwrap();
        assert_eq!(manifest.candidates, DEFAULT_CANDIDATES);
        let entry = &manifest.plugins[0];
        assert_eq!(entry.file_name(), "vip.wasm");
        assert_eq!(entry.on_failure, FailurePolicy::Closed);
        assert_eq!(entry.config, serde_json::json!({}));
    }

    #[test]
    fn errors_name_the_field() {
        let error = Manifest::parse(br#"{"plugins": [{"name": "a", "on_failure": "maybe"}]}"#);
        assert!(error.unwrap_err().contains("plugins[0].on_failure"));
        let error = Manifest::parse(br#"{"plugins": [{"name": "a"}, {"name": "a"}]}"#);
        assert!(error.unwrap_err().contains("listed twice"));
        let error = Manifest::parse(br#"{"plugins": [{"name": "a", "file": "../x.wasm"}]}"#);
        assert!(error.unwrap_err().contains("plugins[0].file"));
        let error =
            Manifest::parse(br#"{"plugins": [{"name": "a", "limits": {"memory_mib": 0}}]}"#);
        assert!(error.unwrap_err().contains("memory_mib"));
    }
}
