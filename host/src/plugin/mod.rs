//! The plugin runtime: tenants' constraint and scorer rules as sandboxed WebAssembly components.
//!
//! A plugin goes from file to decision in these steps, each in its own module:
//!
//! - [`handshake`] reads which interface version and world a `.wasm` file was built for, before
//!   anything compiles it, so version skew gets a clear message.
//! - [`runtime`] owns the one wasmtime engine: it compiles components (or loads them from the
//!   on-disk cache), links them against the host's imports and an empty WASI context, checks
//!   them against a sample decision, and calls them, each call in a fresh store with a deadline,
//!   an instruction budget and a memory cap.
//! - [`v0_1_0`] holds the bindings for `switchyard:plugin@0.1.0` and turns a decision's
//!   candidates into its types.
//! - [`manifest`] reads a tenant's `plugins.json`: which plugins run, in what order, with what
//!   configuration, failure policy and limits.
//! - [`set`] is one tenant's ordered plugins with their configuration and failure policy, the
//!   breaker that switches off a failing plugin, and the [`Rules`](crate::rules::Rules) the
//!   optimizer calls.
//! - [`watch`] reloads a plugin directory when its files change.

pub mod handshake;
pub mod manifest;
pub mod runtime;
pub mod set;
pub mod v0_1_0;
pub mod watch;

use thiserror::Error;

pub use manifest::{FailurePolicy, Limits, Manifest, PluginEntry};
pub use runtime::{LoadedPlugin, Runtime, RuntimeOptions};
pub use set::{PluginSet, PluginState, PluginStatus};
pub use watch::Watcher;

/// Why a `.wasm` file could not become a live plugin.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum LoadError {
    #[error("cannot read the file: {0}")]
    Unreadable(String),
    #[error("is not WebAssembly ({0})")]
    NotWasm(String),
    #[error(
        "is a core WebAssembly module, not a component; build plugins with \
         `cargo build --target wasm32-wasip2`"
    )]
    CoreModule,
    #[error("is a broken WebAssembly component: {0}")]
    Malformed(String),
    #[error(
        "was built for interface switchyard:plugin@{found}, but this host serves \
         switchyard:plugin@{}; rebuild it with the matching switchyard-sdk",
        handshake::API_VERSION
    )]
    OtherVersion { found: String },
    #[error("declares world `{0}`; plugins are either `constraint` or `scorer`")]
    UnknownWorld(String),
    #[error(
        "is a WebAssembly component but not a Switchyard plugin: it exports [{}] instead of \
         switchyard:plugin/constraint-rules or scorer-rules",
        exports.join(", ")
    )]
    NotAPlugin { exports: Vec<String> },
    #[error("failed to compile: {0}")]
    Compile(String),
    #[error(
        "imports {0}, which the host does not provide; a plugin may import only \
         switchyard:plugin/host and WASI, whose files, network and environment are empty"
    )]
    UnknownImport(String),
    #[error("cannot be instantiated: {0}")]
    Link(String),
    #[error("failed its check against a sample decision: {0}")]
    SampleRun(String),
}
