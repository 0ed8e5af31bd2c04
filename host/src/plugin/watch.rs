//! Hot reload: a watcher on a tenant's plugin directory that reloads the [`PluginSet`] when a
//! `.wasm` file or the manifest changes. Events are debounced (100 ms of quiet) so that a file
//! being written is read once it is complete; a file read half-written fails its check and
//! leaves the last good version live until the write finishes and the next event arrives.

use std::sync::Arc;
use std::time::Duration;

use notify_debouncer_full::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use tracing::{info, warn};

use super::manifest::MANIFEST;
use super::set::PluginSet;

/// How long the directory must be quiet before a reload.
pub const DEBOUNCE: Duration = Duration::from_millis(100);

/// Watches one plugin directory for as long as it lives.
pub struct Watcher {
    _debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
}

impl Watcher {
    pub fn start(set: Arc<PluginSet>) -> anyhow::Result<Watcher> {
        let dir = set.dir().to_path_buf();
        let handler = move |result: DebounceEventResult| match result {
            Ok(events) => {
                let relevant = events.iter().flat_map(|event| &event.paths).any(|path| {
                    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    name.ends_with(".wasm") || name == MANIFEST
                });
                if relevant && let Err(error) = set.reload() {
                    warn!(cause = %format!("{error:#}"), "plugin reload failed; the live plugins stay");
                }
            }
            Err(errors) => {
                for error in errors {
                    warn!(cause = %error, "plugin directory watch error");
                }
            }
        };
        let mut debouncer = new_debouncer(DEBOUNCE, None, handler)?;
        debouncer.watch(&dir, RecursiveMode::NonRecursive)?;
        info!(dir = %dir.display(), "watching plugin directory");
        Ok(Watcher {
            _debouncer: debouncer,
        })
    }
}
