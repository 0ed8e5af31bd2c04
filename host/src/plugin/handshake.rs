//! The version handshake: what a `.wasm` file claims to be, read before anything compiles it.
//!
//! Plugins built with the SDK carry a custom section named `switchyard-plugin` holding, for
//! example, `switchyard:plugin@0.1.0 constraint`. A component without it is judged by the names
//! of its exports, so a plugin written against the WIT without the SDK is recognised too. This is
//! what lets the host tell a plugin built for another interface version ("rebuild it") apart
//! from a broken file or a component that is not a plugin at all.

use wasmparser::{Encoding, Parser, Payload};

use super::LoadError;
use crate::decision::PluginKind;

/// The interface version this host serves.
pub const API_VERSION: &str = "0.1.0";

/// The custom section the SDK writes.
const SECTION: &str = "switchyard-plugin";

/// The package every plugin interface belongs to.
const PACKAGE: &str = "switchyard:plugin";

/// Reads what kind of plugin `bytes` hold, or why they hold none this host can run.
pub fn inspect(bytes: &[u8]) -> Result<PluginKind, LoadError> {
    let mut depth = 0usize;
    let mut declared = None;
    let mut exports = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|error| {
            if depth == 0 {
                LoadError::NotWasm(error.message().to_string())
            } else {
                LoadError::Malformed(format!("{} (at byte {})", error.message(), error.offset()))
            }
        })?;
        match payload {
            Payload::Version { encoding, .. } => {
                if depth == 0 && encoding == Encoding::Module {
                    return Err(LoadError::CoreModule);
                }
                depth += 1;
            }
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::CustomSection(section) if section.name() == SECTION => {
                let text = std::str::from_utf8(section.data()).map_err(|_| {
                    LoadError::Malformed(format!("the `{SECTION}` section is not text"))
                })?;
                declared = Some(text.trim().to_string());
            }
            Payload::ComponentExportSection(section) if depth == 1 => {
                for export in section {
                    let export =
                        export.map_err(|e| LoadError::Malformed(e.message().to_string()))?;
                    exports.push(export.name.name.to_string());
                }
            }
            _ => {}
        }
    }

    match declared {
        Some(declared) => from_declaration(&declared),
        None => from_exports(&exports),
    }
}

/// Reads `switchyard:plugin@<version> <world>`.
fn from_declaration(declared: &str) -> Result<PluginKind, LoadError> {
    let malformed =
        || LoadError::Malformed(format!("unreadable `{SECTION}` section: `{declared}`"));
    let (package, world) = declared.split_once(' ').ok_or_else(malformed)?;
    let version = package
        .strip_prefix(PACKAGE)
        .and_then(|rest| rest.strip_prefix('@'))
        .ok_or_else(malformed)?;
    if version != API_VERSION {
        return Err(LoadError::OtherVersion {
            found: version.to_string(),
        });
    }
    match world {
        "constraint" => Ok(PluginKind::Constraint),
        "scorer" => Ok(PluginKind::Scorer),
        other => Err(LoadError::UnknownWorld(other.to_string())),
    }
}

/// Judges a component without the SDK's section by its exported interfaces.
fn from_exports(exports: &[String]) -> Result<PluginKind, LoadError> {
    for export in exports {
        // Names look like `switchyard:plugin/constraint-rules@0.1.0`.
        let Some(rest) = export
            .strip_prefix(PACKAGE)
            .and_then(|r| r.strip_prefix('/'))
        else {
            continue;
        };
        let (interface, version) = rest.split_once('@').unwrap_or((rest, ""));
        if version != API_VERSION {
            return Err(LoadError::OtherVersion {
                found: version.to_string(),
            });
        }
        match interface {
            "constraint-rules" => return Ok(PluginKind::Constraint),
            "scorer-rules" => return Ok(PluginKind::Scorer),
            _ => {}
        }
    }
    Err(LoadError::NotAPlugin {
        exports: exports.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_not_wasm() {
        assert!(matches!(
            inspect(b"not a plugin at all"),
            Err(LoadError::NotWasm(_))
        ));
        assert!(matches!(inspect(b""), Err(LoadError::NotWasm(_))));
    }

    #[test]
    fn a_core_module_is_told_apart_from_a_component() {
        // The smallest valid core module: magic and version 1.
        let module = b"\0asm\x01\0\0\0";
        assert!(matches!(inspect(module), Err(LoadError::CoreModule)));
    }

    #[test]
    fn declarations_name_version_and_world() {
        let constraint = from_declaration("switchyard:plugin@0.1.0 constraint");
        assert_eq!(constraint.unwrap(), PluginKind::Constraint);
        assert_eq!(
            from_declaration("switchyard:plugin@0.1.0 scorer").unwrap(),
            PluginKind::Scorer
        );
        let newer = from_declaration("switchyard:plugin@0.2.0 constraint");
        assert!(matches!(newer, Err(LoadError::OtherVersion { found }) if found == "0.2.0"));
        assert!(matches!(
            from_declaration("switchyard:plugin@0.1.0 auditor"),
            Err(LoadError::UnknownWorld(_))
        ));
        assert!(matches!(
            from_declaration("garbage"),
            Err(LoadError::Malformed(_))
        ));
    }

    #[test]
    fn exports_identify_plugins_without_the_section() {
        let exports = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let scorer = from_exports(&exports(&["switchyard:plugin/scorer-rules@0.1.0"]));
        assert_eq!(scorer.unwrap(), PluginKind::Scorer);
        let old = from_exports(&exports(&["switchyard:plugin/constraint-rules@0.0.9"]));
        assert!(matches!(old, Err(LoadError::OtherVersion { .. })));
        let command = from_exports(&exports(&["wasi:cli/run@0.2.6"]));
        assert!(
            matches!(command, Err(LoadError::NotAPlugin { exports }) if exports == ["wasi:cli/run@0.2.6"])
        );
    }
}
