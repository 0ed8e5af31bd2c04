//! One wasmtime engine for the process: compiling plugins (or loading them from the on-disk
//! cache), linking them, checking them against a sample decision, and calling them.
//!
//! Every call runs in a fresh store, so no state survives from one decision to the next and a
//! plugin cannot see another tenant's data. A call has a wall-clock deadline (epoch
//! interruption, ticked every millisecond by a background thread), an instruction budget (fuel,
//! whose use is recorded) and a memory cap. WASI is linked because Rust's standard library
//! imports it, but with an empty context: no files, no network, no environment or arguments; the
//! clocks are frozen at the Unix epoch and the random source is a fixed sequence, so a plugin is
//! a function of its input. Standard error is kept, up to 4 KiB, only to quote a panic message in
//! the error. The context is made on a call's first WASI import, which most calls never make.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tracing::{debug, info, warn};
use wasmtime::component::{
    Component, ComponentExportIndex, HasSelf, InstancePre, Lift, Linker, ResourceTable,
};
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store,
    StoreLimits, StoreLimitsBuilder, Trap,
};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView};

use super::LoadError;
use super::handshake;
use super::manifest::{Limits, MAX_MEMORY_MIB};
use super::v0_1_0::{self, constraint, host, wit};
use crate::decision::PluginKind;

/// The longest reason a plugin may give for one plan, in bytes.
pub const MAX_REASON_BYTES: usize = 1024;

/// How often the epoch advances; deadlines are counted in these ticks.
const TICK: Duration = Duration::from_millis(1);

/// How much of a pooled plugin's memory stays mapped between calls, reset in place.
const KEEP_RESIDENT_BYTES: usize = 4 << 20;

/// The most log lines one call may write; the rest are dropped.
const MAX_LOG_LINES: u32 = 32;

#[derive(Clone, Debug, Default)]
pub struct RuntimeOptions {
    /// Where compiled plugins are kept between runs; `None` compiles every time.
    pub cache_dir: Option<PathBuf>,
}

impl RuntimeOptions {
    /// The user's cache directory, such as `~/.cache/switchyard/plugins`.
    pub fn with_default_cache() -> RuntimeOptions {
        RuntimeOptions {
            cache_dir: dirs::cache_dir().map(|dir| dir.join("switchyard").join("plugins")),
        }
    }
}

/// The engine and everything shared by all plugins of all tenants.
pub struct Runtime {
    engine: Engine,
    linker: Linker<CallState>,
    cache_dir: Option<PathBuf>,
    /// Names this engine's compiled-code format in cache file names: compiled plugins from
    /// another wasmtime version or configuration are never loaded.
    engine_key: String,
    /// Whether instances come from the pooling allocator, or on demand because the pool could
    /// not be reserved.
    pooling: bool,
}

impl Runtime {
    pub fn new(options: RuntimeOptions) -> anyhow::Result<Arc<Runtime>> {
        let (engine, pooling) = engine()?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        // The scorer world imports the same interfaces, so linking them once serves both.
        constraint::Constraint::add_to_linker::<CallState, HasSelf<CallState>>(
            &mut linker,
            |state| state,
        )?;

        let mut hasher = std::hash::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let engine_key = format!("{:016x}", hasher.finish());

        start_ticker(&engine);
        info!(pooling, cache = ?options.cache_dir, "plugin runtime ready");
        Ok(Arc::new(Runtime {
            engine,
            linker,
            cache_dir: options.cache_dir,
            engine_key,
            pooling,
        }))
    }

    /// Whether the pooling allocator is in use.
    pub fn pooling(&self) -> bool {
        self.pooling
    }

    /// Makes a live plugin of `bytes`: handshake, compile or load from cache, link, and a run
    /// against the sample decision with the tenant's `config`.
    pub fn load(
        &self,
        name: &str,
        bytes: &[u8],
        config: &str,
        limits: Limits,
    ) -> Result<LoadedPlugin, LoadError> {
        let (kind, hash, pre) = self.link(bytes)?;
        let plugin = LoadedPlugin {
            name: name.into(),
            version: hash[..VERSION_DIGITS].into(),
            kind,
            pre,
            engine: self.engine.clone(),
            config: config.into(),
            limits,
        };

        // Run it once on a sample before it goes live.
        let sample = v0_1_0::sample_decision();
        let checked = match kind {
            PluginKind::Constraint => plugin.check(&sample.input()).map(|_| ()),
            PluginKind::Scorer => plugin.score(&sample.input()).map(|_| ()),
        };
        checked.map_err(|failure| LoadError::SampleRun(failure.message))?;
        Ok(plugin)
    }

    /// Checks that `bytes` are a plugin this host can run: the handshake, compiling (or the
    /// cache) and linking, but not the sample run, which needs the tenant's configuration.
    pub fn check(&self, bytes: &[u8]) -> Result<PluginKind, LoadError> {
        self.link(bytes).map(|(kind, _, _)| kind)
    }

    /// Handshake, compile and link: the plugin's world, its content hash and its pre-linked
    /// component.
    fn link(&self, bytes: &[u8]) -> Result<(PluginKind, String, Pre), LoadError> {
        let kind = handshake::inspect(bytes)?;
        let hash = content_hash(bytes);
        let component = self.component(bytes, &hash)?;
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(link_error)?;
        // Calls go through the world's one export directly, with the borrowed `v0_1_0::Input`.
        let (interface, function) = match kind {
            PluginKind::Constraint => CONSTRAINT_EXPORT,
            PluginKind::Scorer => SCORER_EXPORT,
        };
        let export = component
            .get_export_index(None, interface)
            .and_then(|interface| component.get_export_index(Some(&interface), function))
            .ok_or_else(|| {
                missing_export(kind, wasmtime::format_err!("no `{interface}` export"))
            })?;
        let pre = Pre {
            instance: pre,
            export,
        };
        Ok((kind, hash, pre))
    }

    /// The compiled component, from the cache when it holds this content for this engine.
    fn component(&self, bytes: &[u8], hash: &str) -> Result<Component, LoadError> {
        let compile = || {
            Component::new(&self.engine, bytes).map_err(|e| LoadError::Compile(format!("{e:#}")))
        };
        let Some(dir) = &self.cache_dir else {
            return compile();
        };
        let path = dir.join(format!("{hash}-{}.cwasm", self.engine_key));
        // The artifact is read into memory rather than mapped: a mapped file that someone
        // truncates would crash the host.
        if let Ok(artifact) = std::fs::read(&path) {
            // SAFETY: the file is this host's own output for exactly these bytes and this engine
            // (both are in its name), written atomically below, and wasmtime checks that it was
            // made by a compatible engine. Whoever can write the cache directory can run native
            // code in the host, so it must be private to the host's user.
            match unsafe { Component::deserialize(&self.engine, &artifact) } {
                Ok(component) => {
                    debug!(path = %path.display(), "plugin loaded from the compile cache");
                    return Ok(component);
                }
                Err(error) => warn!(
                    cause = %error,
                    path = %path.display(),
                    "recompiling a plugin whose cached copy is unusable"
                ),
            }
        }
        let component = compile()?;
        if let Err(error) = store_artifact(&component, dir, &path) {
            warn!(cause = %error, dir = %dir.display(), "cannot write the plugin compile cache");
        }
        Ok(component)
    }
}

/// Builds the engine, with the pooling allocator when its address space can be reserved.
fn engine() -> anyhow::Result<(Engine, bool)> {
    let mut config = Config::new();
    config.epoch_interruption(true);
    config.consume_fuel(true);
    // Plugins are called synchronously, one call per store. Without this, every call into a
    // plugin (including each allocation while an input is written into its memory) also sets up
    // and tears down the bookkeeping for the component model's concurrent tasks.
    config.concurrency_support(false);
    // Lets `perf` name the plugins' compiled functions when an operator profiles the host.
    if std::env::var_os("SWITCHYARD_PLUGIN_PERFMAP").is_some() {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }

    let mut pool = PoolingAllocationConfig::default();
    pool.max_memory_size((MAX_MEMORY_MIB as usize) << 20);
    // A plugin instance lives for one call, so its slot is reused at once. Resetting only the
    // pages the call dirtied (found with Linux's PAGEMAP_SCAN where the kernel has it) and
    // keeping them mapped saves the page faults that would otherwise cost most of a call.
    pool.pagemap_scan(Enabled::Auto);
    pool.linear_memory_keep_resident(KEEP_RESIDENT_BYTES);
    pool.table_keep_resident(KEEP_RESIDENT_BYTES);
    let mut pooled = config.clone();
    pooled.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    match Engine::new(&pooled) {
        Ok(engine) => Ok((engine, true)),
        Err(error) => {
            warn!(cause = %error, "plugin instance pool unavailable; allocating on demand");
            config.allocation_strategy(InstanceAllocationStrategy::OnDemand);
            Ok((Engine::new(&config)?, false))
        }
    }
}

/// Advances the engine's epoch every tick for as long as the engine lives.
fn start_ticker(engine: &Engine) {
    let weak = engine.weak();
    let spawned = std::thread::Builder::new()
        .name("plugin-deadlines".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(TICK);
            }
        });
    if let Err(error) = spawned {
        warn!(cause = %error, "cannot start the plugin deadline thread; deadlines will not fire");
    }
}

fn store_artifact(component: &Component, dir: &Path, path: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let artifact = component.serialize()?;
    let mut temporary = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut temporary, &artifact)?;
    temporary.persist(path)?;
    Ok(())
}

/// How many hex digits of the content hash name a plugin version.
const VERSION_DIGITS: usize = 12;

/// The SHA-256 of a `.wasm` file, in hex: the compile cache's key.
fn content_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The version a `.wasm` file loads as: the start of its content hash.
pub fn version_of(bytes: &[u8]) -> String {
    let mut hash = content_hash(bytes);
    hash.truncate(VERSION_DIGITS);
    hash
}

fn link_error(error: wasmtime::Error) -> LoadError {
    let message = format!("{error:#}");
    // Wasmtime names the missing import between backticks.
    if message.contains("matching implementation was not found") {
        let import = message.split('`').nth(1).unwrap_or("an interface");
        return LoadError::UnknownImport(format!("`{import}`"));
    }
    LoadError::Link(message)
}

fn missing_export(kind: PluginKind, error: wasmtime::Error) -> LoadError {
    LoadError::Link(format!(
        "declares the {} world but does not export it: {error:#}",
        kind.name()
    ))
}

/// The interface each world exports, and its one function.
const CONSTRAINT_EXPORT: (&str, &str) = ("switchyard:plugin/constraint-rules@0.1.0", "check");
const SCORER_EXPORT: (&str, &str) = ("switchyard:plugin/scorer-rules@0.1.0", "score");

/// A pre-linked component, and where its one exported function is.
struct Pre {
    instance: InstancePre<CallState>,
    export: ComponentExportIndex,
}

/// One version of one tenant's plugin, compiled, linked and checked, ready to call.
pub struct LoadedPlugin {
    pub name: Arc<str>,
    /// The first 12 hex digits of the SHA-256 of the `.wasm` file.
    pub version: Arc<str>,
    pub kind: PluginKind,
    pre: Pre,
    engine: Engine,
    config: Arc<str>,
    pub limits: Limits,
}

/// What a successful call returned, and the instructions it used.
pub struct Called<T> {
    pub value: T,
    pub fuel_used: u64,
}

/// Why a call failed, for the decision and the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallFailure {
    pub message: String,
    pub fuel_used: u64,
}

impl LoadedPlugin {
    /// Runs a constraint: `None` allows a plan, `Some(reason)` rejects it.
    pub fn check(&self, input: &v0_1_0::Input) -> Result<Called<Vec<Option<String>>>, CallFailure> {
        if self.kind != PluginKind::Constraint {
            return Err(self.failure("is a scorer, called as a constraint", 0));
        }
        let (verdicts, fuel_used) = self.call::<v0_1_0::Verdict>(input)?;
        let mut out = Vec::with_capacity(verdicts.len());
        for (at, verdict) in verdicts.into_iter().enumerate() {
            out.push(match verdict {
                v0_1_0::Verdict::Allow => None,
                v0_1_0::Verdict::Reject(reason) => {
                    Some(self.checked_reason(reason, at, fuel_used)?)
                }
            });
        }
        Ok(Called {
            value: out,
            fuel_used,
        })
    }

    /// Runs a scorer: an adjustment in cents and a reason per plan.
    pub fn score(&self, input: &v0_1_0::Input) -> Result<Called<Vec<(i64, String)>>, CallFailure> {
        if self.kind != PluginKind::Scorer {
            return Err(self.failure("is a constraint, called as a scorer", 0));
        }
        let (adjustments, fuel_used) = self.call::<v0_1_0::Adjustment>(input)?;
        let mut out = Vec::with_capacity(adjustments.len());
        for (at, v0_1_0::Adjustment { cents, reason }) in adjustments.into_iter().enumerate() {
            out.push((cents, self.checked_reason(reason, at, fuel_used)?));
        }
        Ok(Called {
            value: out,
            fuel_used,
        })
    }

    /// Instantiates the plugin in a fresh store and calls its export: its answers, one per
    /// plan (a verdict or an adjustment, `T`), and the fuel it used.
    fn call<T: Lift + 'static>(&self, input: &v0_1_0::Input) -> Result<(Vec<T>, u64), CallFailure> {
        let mut store = self.store(input.order.id)?;
        let result = self.invoke::<T>(&mut store, input);
        let fuel_used = self.fuel_used(&store);
        let answers = self.returned(result, fuel_used, store.data())?;
        self.expect_one_per_plan(answers.len(), input, fuel_used)?;
        Ok((answers, fuel_used))
    }

    fn invoke<T: Lift + 'static>(
        &self,
        store: &mut Store<CallState>,
        input: &v0_1_0::Input,
    ) -> wasmtime::Result<Result<Vec<T>, wit::PluginError>> {
        let instance = self.pre.instance.instantiate(&mut *store)?;
        let export = instance
            .get_typed_func::<(&v0_1_0::Input,), (Result<Vec<T>, wit::PluginError>,)>(
                &mut *store,
                &self.pre.export,
            )?;
        let (answer,) = export.call(&mut *store, (input,))?;
        Ok(answer)
    }

    /// A fresh store for one call, with its limits set.
    fn store(&self, order: &str) -> Result<Store<CallState>, CallFailure> {
        let limits = StoreLimitsBuilder::new()
            .memory_size((self.limits.memory_mib as usize) << 20)
            .trap_on_grow_failure(true)
            .build();
        let state = CallState {
            wasi: None,
            table: ResourceTable::new(),
            limits,
            config: self.config.clone(),
            plugin: self.name.clone(),
            version: self.version.clone(),
            order: order.into(),
            logged: 0,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limits);
        store
            .set_fuel(self.limits.fuel)
            .map_err(|e| self.failure(&format!("cannot set its fuel: {e}"), 0))?;
        let ticks = self.limits.timeout_ms.div_ceil(TICK.as_millis() as u64);
        store.set_epoch_deadline(ticks);
        Ok(store)
    }

    fn fuel_used(&self, store: &Store<CallState>) -> u64 {
        self.limits.fuel - store.get_fuel().unwrap_or(0)
    }

    /// The plugin's answer, or what went wrong: a trap, or the plugin's own error.
    fn returned<T>(
        &self,
        result: wasmtime::Result<Result<T, wit::PluginError>>,
        fuel_used: u64,
        state: &CallState,
    ) -> Result<T, CallFailure> {
        match result {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(wit::PluginError::InvalidConfig(message))) => Err(self.failure(
                &format!("rejected its configuration: {}", clip(&message)),
                fuel_used,
            )),
            Ok(Err(wit::PluginError::Other(message))) => {
                Err(self.failure(&format!("returned an error: {}", clip(&message)), fuel_used))
            }
            Err(error) => Err(self.failure(&self.describe_trap(&error, state), fuel_used)),
        }
    }

    fn describe_trap(&self, error: &wasmtime::Error, state: &CallState) -> String {
        let said = state.stderr();
        let said = if said.is_empty() {
            String::new()
        } else {
            format!(" (it wrote: {})", clip(&said))
        };
        let limits = self.limits;
        if let Some(trap) = error.downcast_ref::<Trap>() {
            return match trap {
                Trap::OutOfFuel => format!("used up its budget of {} instructions", limits.fuel),
                Trap::Interrupt => format!("ran past its deadline of {} ms", limits.timeout_ms),
                Trap::StackOverflow => "overflowed its stack (recursion too deep)".to_string(),
                Trap::UnreachableCodeReached => format!("panicked{said}"),
                other => format!("trapped: {other}{said}"),
            };
        }
        // Other failures carry a wasm backtrace on the outer error; the root says what happened.
        let message = error.root_cause().to_string();
        let chain = format!("{error:#}");
        if chain.contains("growing memory") || chain.contains("memory growth") {
            return format!(
                "tried to use more than its {} MiB of memory",
                limits.memory_mib
            );
        }
        format!("failed: {}{said}", clip(&message))
    }

    fn expect_one_per_plan(
        &self,
        answers: usize,
        input: &v0_1_0::Input,
        fuel_used: u64,
    ) -> Result<(), CallFailure> {
        if answers == input.plans.len() {
            return Ok(());
        }
        Err(self.failure(
            &format!("returned {answers} answers for {} plans", input.plans.len()),
            fuel_used,
        ))
    }

    fn checked_reason(
        &self,
        reason: String,
        at: usize,
        fuel_used: u64,
    ) -> Result<String, CallFailure> {
        if reason.len() > MAX_REASON_BYTES {
            return Err(self.failure(
                &format!(
                    "gave a {}-byte reason for plan {at}; the limit is {MAX_REASON_BYTES}",
                    reason.len()
                ),
                fuel_used,
            ));
        }
        Ok(reason)
    }

    fn failure(&self, message: &str, fuel_used: u64) -> CallFailure {
        CallFailure {
            message: message.to_string(),
            fuel_used,
        }
    }
}

/// Shortens text from a plugin before it goes into an error or a log.
fn clip(text: &str) -> String {
    const MAX: usize = 300;
    if text.len() <= MAX {
        return text.to_string();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// What the host keeps for one call.
pub(crate) struct CallState {
    /// The plugin's WASI context, made on its first WASI call. A plugin that neither panics
    /// nor prints makes none, so most calls skip building one.
    wasi: Option<Sandbox>,
    table: ResourceTable,
    limits: StoreLimits,
    config: Arc<str>,
    plugin: Arc<str>,
    version: Arc<str>,
    /// The order being decided, so a plugin's log lines can be traced to it.
    order: String,
    logged: u32,
}

impl CallState {
    /// What the plugin wrote to standard error, trimmed; empty when it wrote nothing.
    fn stderr(&self) -> String {
        let Some(sandbox) = &self.wasi else {
            return String::new();
        };
        String::from_utf8_lossy(&sandbox.stderr.contents())
            .trim()
            .to_string()
    }
}

impl wasmtime_wasi::WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        let sandbox = self.wasi.get_or_insert_with(Sandbox::new);
        WasiCtxView {
            ctx: &mut sandbox.ctx,
            table: &mut self.table,
        }
    }
}

/// The empty WASI context a plugin runs in, and the pipe that keeps its standard error.
struct Sandbox {
    ctx: WasiCtx,
    stderr: MemoryOutputPipe,
}

impl Sandbox {
    /// No files, sockets, environment or arguments; clocks frozen at the Unix epoch and random
    /// sources that repeat a fixed byte; standard error kept, up to 4 KiB.
    fn new() -> Sandbox {
        let stderr = MemoryOutputPipe::new(4096);
        let mut wasi = WasiCtxBuilder::new();
        wasi.stderr(stderr.clone())
            .wall_clock(FrozenClock)
            .monotonic_clock(FrozenClock)
            .secure_random(wasmtime_wasi::Deterministic::new(vec![0x5a]))
            .insecure_random(wasmtime_wasi::Deterministic::new(vec![0xa5]))
            .insecure_random_seed(0);
        Sandbox {
            ctx: wasi.build(),
            stderr,
        }
    }
}

impl host::Host for CallState {
    fn log(&mut self, level: host::LogLevel, message: String, fields: Vec<(String, String)>) {
        self.logged += 1;
        if self.logged > MAX_LOG_LINES {
            return;
        }
        let (plugin, version, order) = (&*self.plugin, &*self.version, &*self.order);
        let message = clip(&message);
        let fields = clip(&format!("{fields:?}"));
        match level {
            host::LogLevel::Debug => debug!(plugin, version, order, ?fields, "{message}"),
            host::LogLevel::Info => info!(plugin, version, order, ?fields, "{message}"),
            host::LogLevel::Warn => warn!(plugin, version, order, ?fields, "{message}"),
            host::LogLevel::Error => tracing::error!(plugin, version, order, ?fields, "{message}"),
        }
    }

    fn config(&mut self) -> String {
        self.config.to_string()
    }
}

impl wit::Host for CallState {}

/// A clock stopped at the Unix epoch: plugins must not depend on the time of the call.
struct FrozenClock;

impl HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }

    fn now(&self) -> u64 {
        0
    }
}
