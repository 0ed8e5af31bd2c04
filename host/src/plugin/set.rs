//! One tenant's plugins: the ordered list from its plugin directory, each with its
//! configuration, failure policy and breaker, and the [`Rules`] the optimizer calls.
//!
//! The live list is an immutable snapshot behind an atomic pointer. A decision takes the
//! snapshot once and runs on it to the end, so a reload that swaps in a new snapshot never
//! changes a decision in flight. A reload builds the new snapshot beside the old one: a plugin
//! whose file did not change keeps its compiled instance and its breaker, and a file that fails
//! to load leaves the last good version of that plugin live.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use serde::Serialize;
use tracing::{error, info, warn};

use super::manifest::{FailurePolicy, Manifest, PluginEntry};
use super::runtime::{CallFailure, Called, LoadedPlugin, Runtime};
use super::v0_1_0::{self, wit};
use crate::decision::{Adjustment, PluginKind, PluginOutcome, PluginRun};
use crate::model::Cents;
use crate::rules::{DEFAULT_CANDIDATES, Judgement, RuleFailure, RuleInput, Rules};

/// Consecutive failures that open a plugin's breaker.
pub const BREAKER_THRESHOLD: u32 = 5;

/// How long an open breaker keeps a plugin switched off before one trial call.
pub const BREAKER_COOLDOWN: Duration = Duration::from_secs(30);

/// A tenant's plugins, reloadable.
pub struct PluginSet {
    runtime: Arc<Runtime>,
    dir: PathBuf,
    live: ArcSwap<Snapshot>,
    /// One reload at a time; decisions never wait for it.
    reloading: Mutex<()>,
}

/// The plugins one decision runs with.
struct Snapshot {
    candidates: usize,
    slots: Vec<Arc<Slot>>,
}

/// One manifest entry and the version of its plugin that is live.
struct Slot {
    entry: PluginEntry,
    /// The configuration as the JSON text the plugin receives.
    config: String,
    /// `None` when no version of the file ever loaded.
    plugin: Option<Arc<LoadedPlugin>>,
    /// Why the file on disk is not what runs, if it is not.
    problem: Option<String>,
    breaker: Mutex<Breaker>,
    calls: AtomicU64,
    failures: AtomicU64,
    fuel_used: AtomicU64,
}

#[derive(Default)]
struct Breaker {
    consecutive_failures: u32,
    opened_at: Option<Instant>,
}

/// A plugin's state, as `status` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PluginState {
    /// Live, and its last call succeeded.
    Active,
    /// Live, but its last calls failed.
    Failing,
    /// Switched off by its breaker after repeated failures, until a trial call succeeds.
    BreakerOpen,
    /// No version of it could be loaded.
    NotLoaded,
}

/// What an operator sees of one plugin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PluginStatus {
    pub name: String,
    pub file: String,
    pub version: Option<String>,
    pub kind: Option<PluginKind>,
    pub state: PluginState,
    pub on_failure: FailurePolicy,
    pub calls: u64,
    pub failures: u64,
    pub consecutive_failures: u32,
    pub fuel_used: u64,
    /// Why the file on disk is not the live version, or why nothing is live.
    pub problem: Option<String>,
}

impl PluginSet {
    /// Loads the plugins in `dir`. Problems with single plugins are kept in their status (and
    /// logged), not returned: the set is usable with the plugins that did load. An unreadable
    /// manifest is an error.
    pub fn open(runtime: Arc<Runtime>, dir: &Path) -> anyhow::Result<Arc<PluginSet>> {
        let set = Arc::new(PluginSet {
            runtime,
            dir: dir.to_path_buf(),
            live: ArcSwap::from_pointee(Snapshot {
                candidates: DEFAULT_CANDIDATES,
                slots: Vec::new(),
            }),
            reloading: Mutex::new(()),
        });
        set.reload()?;
        Ok(set)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Reads the directory again and swaps in what changed. On an unreadable manifest the live
    /// plugins stay as they are and the error is returned.
    pub fn reload(&self) -> anyhow::Result<()> {
        let _one_at_a_time = self.reloading.lock().unwrap_or_else(|p| p.into_inner());
        let manifest = Manifest::read(&self.dir)?;
        let old = self.live.load_full();
        let mut slots = Vec::with_capacity(manifest.plugins.len());
        for entry in manifest.plugins {
            let previous = old.slots.iter().find(|slot| slot.entry.name == entry.name);
            slots.push(self.slot(entry, previous));
        }
        self.live.store(Arc::new(Snapshot {
            candidates: manifest.candidates,
            slots,
        }));
        Ok(())
    }

    /// The slot for `entry`: the previous one when nothing changed, else a freshly loaded one.
    fn slot(&self, entry: PluginEntry, previous: Option<&Arc<Slot>>) -> Arc<Slot> {
        let name = entry.name.clone();
        let path = self.dir.join(entry.file_name());
        let config = entry.config.to_string();
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) => {
                let problem = format!("cannot read {}: {error}", path.display());
                return self.keep_last_good(entry, config, previous, problem);
            }
        };
        let version = super::runtime::version_of(&bytes);
        if let Some(previous) = previous {
            let same_plugin = previous
                .plugin
                .as_ref()
                .is_some_and(|p| *p.version == version);
            if same_plugin && previous.entry == entry {
                return previous.clone();
            }
        }

        let started = Instant::now();
        match self.runtime.load(&name, &bytes, &config, entry.limits) {
            Ok(plugin) => {
                let replaced = previous
                    .and_then(|p| p.plugin.as_ref())
                    .map(|p| p.version.to_string());
                info!(
                    plugin = %name,
                    version = %plugin.version,
                    kind = plugin.kind.name(),
                    ?replaced,
                    millis = started.elapsed().as_millis() as u64,
                    "plugin loaded"
                );
                Arc::new(Slot::new(entry, config, Some(Arc::new(plugin)), None))
            }
            Err(load_error) => {
                let problem = format!("{} {load_error}", path.display());
                self.keep_last_good(entry, config, previous, problem)
            }
        }
    }

    /// A slot that keeps the previous live version, if any, after the file failed to load.
    fn keep_last_good(
        &self,
        entry: PluginEntry,
        config: String,
        previous: Option<&Arc<Slot>>,
        problem: String,
    ) -> Arc<Slot> {
        let last_good = previous.and_then(|slot| slot.plugin.clone());
        match &last_good {
            Some(plugin) => warn!(
                plugin = %entry.name,
                version = %plugin.version,
                cause = %problem,
                "plugin file rejected; the last good version stays live"
            ),
            None => error!(plugin = %entry.name, cause = %problem, "plugin not loaded"),
        }
        // A kept version runs with the entry and configuration it was checked with.
        let (entry, config) = match (&last_good, previous) {
            (Some(_), Some(previous)) => (previous.entry.clone(), previous.config.clone()),
            _ => (entry, config),
        };
        Arc::new(Slot::new(entry, config, last_good, Some(problem)))
    }

    pub fn status(&self) -> Vec<PluginStatus> {
        self.live
            .load()
            .slots
            .iter()
            .map(|slot| slot.status())
            .collect()
    }
}

impl Slot {
    fn new(
        entry: PluginEntry,
        config: String,
        plugin: Option<Arc<LoadedPlugin>>,
        problem: Option<String>,
    ) -> Slot {
        Slot {
            entry,
            config,
            plugin,
            problem,
            breaker: Mutex::new(Breaker::default()),
            calls: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            fuel_used: AtomicU64::new(0),
        }
    }

    fn breaker(&self) -> std::sync::MutexGuard<'_, Breaker> {
        self.breaker.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn status(&self) -> PluginStatus {
        let breaker = self.breaker();
        let state = match (
            &self.plugin,
            breaker.opened_at,
            breaker.consecutive_failures,
        ) {
            (None, _, _) => PluginState::NotLoaded,
            (Some(_), Some(_), _) => PluginState::BreakerOpen,
            (Some(_), None, 0) => PluginState::Active,
            (Some(_), None, _) => PluginState::Failing,
        };
        PluginStatus {
            name: self.entry.name.clone(),
            file: self.entry.file_name(),
            version: self.plugin.as_ref().map(|p| p.version.to_string()),
            kind: self.plugin.as_ref().map(|p| p.kind),
            state,
            on_failure: self.entry.on_failure,
            calls: self.calls.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            consecutive_failures: breaker.consecutive_failures,
            fuel_used: self.fuel_used.load(Ordering::Relaxed),
            problem: self.problem.clone(),
        }
    }

    /// Whether the breaker lets a call through. After the cool-down one trial call goes
    /// through; if it fails, the breaker opens again at once.
    fn admits(&self) -> bool {
        let mut breaker = self.breaker();
        match breaker.opened_at {
            None => true,
            Some(at) if at.elapsed() >= BREAKER_COOLDOWN => {
                breaker.opened_at = None;
                breaker.consecutive_failures = BREAKER_THRESHOLD - 1;
                true
            }
            Some(_) => false,
        }
    }

    fn record(&self, fuel_used: u64, failed: bool) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.fuel_used.fetch_add(fuel_used, Ordering::Relaxed);
        let mut breaker = self.breaker();
        if !failed {
            breaker.consecutive_failures = 0;
            return;
        }
        self.failures.fetch_add(1, Ordering::Relaxed);
        breaker.consecutive_failures += 1;
        if breaker.consecutive_failures >= BREAKER_THRESHOLD && breaker.opened_at.is_none() {
            breaker.opened_at = Some(Instant::now());
            error!(
                plugin = %self.entry.name,
                failures = breaker.consecutive_failures,
                cooldown_secs = BREAKER_COOLDOWN.as_secs(),
                "plugin breaker opened: the plugin is switched off"
            );
        }
    }

    fn version(&self) -> String {
        self.plugin
            .as_ref()
            .map_or_else(|| "not loaded".into(), |p| p.version.to_string())
    }

    fn kind(&self) -> Option<PluginKind> {
        self.plugin.as_ref().map(|p| p.kind)
    }

    /// Applies the failure policy: an error for fail-closed, a skipped run for fail-open.
    fn failed(&self, message: String, fuel_used: u64) -> Result<PluginRun, RuleFailure> {
        warn!(
            plugin = %self.entry.name,
            version = %self.version(),
            policy = ?self.entry.on_failure,
            cause = %message,
            "plugin failed"
        );
        match self.entry.on_failure {
            FailurePolicy::Closed => Err(RuleFailure {
                plugin: self.entry.name.clone(),
                version: self.version(),
                message,
            }),
            FailurePolicy::Open => Ok(PluginRun {
                plugin: self.entry.name.clone(),
                version: self.version(),
                kind: self.kind().unwrap_or(PluginKind::Constraint),
                outcome: PluginOutcome::Skipped { error: message },
                fuel_used,
            }),
        }
    }

    /// Calls the live plugin through its breaker and records the outcome. A failure becomes
    /// an error under fail-closed, or a skipped run in `runs` and `None` under fail-open.
    fn call<T>(
        &self,
        runs: &mut Vec<PluginRun>,
        call: impl FnOnce(&LoadedPlugin) -> Result<Called<T>, CallFailure>,
    ) -> Result<Option<(&LoadedPlugin, Called<T>)>, RuleFailure> {
        let plugin = match self.callable() {
            Ok(plugin) => plugin,
            Err(message) => {
                runs.push(self.failed(message, 0)?);
                return Ok(None);
            }
        };
        match call(plugin) {
            Ok(called) => {
                self.record(called.fuel_used, false);
                Ok(Some((plugin, called)))
            }
            Err(CallFailure { message, fuel_used }) => {
                self.record(fuel_used, true);
                runs.push(self.failed(message, fuel_used)?);
                Ok(None)
            }
        }
    }

    /// The live plugin, if it may be called now; otherwise why not.
    fn callable(&self) -> Result<&LoadedPlugin, String> {
        let Some(plugin) = &self.plugin else {
            let why = self.problem.clone().unwrap_or_else(|| "no file".into());
            return Err(format!("is not loaded: {why}"));
        };
        if !self.admits() {
            return Err(format!(
                "is switched off by its breaker after {BREAKER_THRESHOLD} consecutive failures"
            ));
        }
        Ok(plugin)
    }
}

impl Rules for PluginSet {
    fn is_empty(&self) -> bool {
        self.live.load().slots.is_empty()
    }

    fn candidates(&self) -> usize {
        self.live.load().candidates
    }

    fn judge(&self, input: &RuleInput) -> Result<Judgement, RuleFailure> {
        let snapshot = self.live.load_full();
        let plans = input.plans.len();
        let mut judgement = Judgement::neutral(plans);
        let decision = v0_1_0::decision(input);
        let everything = decision.input();

        // Constraints first (and plugins that failed to load, whose kind is unknown), each
        // judging every candidate.
        let is_scorer = |slot: &Slot| slot.kind() == Some(PluginKind::Scorer);
        for slot in snapshot.slots.iter().filter(|slot| !is_scorer(slot)) {
            let Some((plugin, called)) =
                slot.call(&mut judgement.runs, |plugin| plugin.check(&everything))?
            else {
                continue;
            };
            let mut changed = 0;
            for (at, verdict) in called.value.into_iter().enumerate() {
                if let (Some(reason), None) = (verdict, &judgement.rejections[at]) {
                    judgement.rejections[at] = Some((slot.entry.name.clone(), reason));
                    changed += 1;
                }
            }
            judgement.runs.push(PluginRun {
                plugin: slot.entry.name.clone(),
                version: plugin.version.to_string(),
                kind: PluginKind::Constraint,
                outcome: PluginOutcome::Ran { plans, changed },
                fuel_used: called.fuel_used,
            });
        }

        // Scorers see only the candidates still standing.
        let standing: Vec<usize> = (0..plans)
            .filter(|&at| judgement.rejections[at].is_none())
            .collect();
        if standing.is_empty() {
            return Ok(judgement);
        }
        let survivors: Vec<v0_1_0::Plain<wit::Plan>>;
        let scored_input = if standing.len() == plans {
            everything
        } else {
            survivors = standing.iter().map(|&at| decision.plans()[at]).collect();
            decision.with_plans(&survivors)
        };
        for slot in snapshot.slots.iter().filter(|slot| is_scorer(slot)) {
            let Some((plugin, called)) =
                slot.call(&mut judgement.runs, |plugin| plugin.score(&scored_input))?
            else {
                continue;
            };
            let mut changed = 0;
            for (&at, (cents, reason)) in standing.iter().zip(called.value) {
                if cents != 0 {
                    changed += 1;
                    judgement.adjustments[at].push(Adjustment {
                        plugin: slot.entry.name.clone(),
                        cents: Cents(cents),
                        reason,
                    });
                }
            }
            judgement.runs.push(PluginRun {
                plugin: slot.entry.name.clone(),
                version: plugin.version.to_string(),
                kind: PluginKind::Scorer,
                outcome: PluginOutcome::Ran {
                    plans: standing.len(),
                    changed,
                },
                fuel_used: called.fuel_used,
            });
        }
        Ok(judgement)
    }
}
