//! Each replica's working copy of its tenants: the checked network, the policy, the plugins and
//! a view of live stock, loaded from the store on first use and kept fresh by [`Tenants::sync`],
//! which the server runs every second.
//!
//! The database is the authority and this is a cache of it. A tenant's revision goes up when
//! its network or plugins change on any replica; `sync` rebuilds the tenants whose revision
//! moved, which is how a plugin uploaded through one replica goes live on all of them. Stock
//! seen here can be a moment old: routing uses it to choose a plan, and the store's conditional
//! reservation is what guarantees that no unit is promised twice. When a reservation comes up
//! short, the route reloads the tenant's stock and decides again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use super::metrics::Metrics;
use super::problem::Problem;
use crate::model::{Network, NetworkParts, Stock, StockPosition, TenantPolicy};
use crate::plugin::{FailurePolicy, Limits, Manifest, PluginEntry, PluginSet, Runtime, Watcher};
use crate::rules::DEFAULT_CANDIDATES;
use crate::store::{Hold, Position, Store, StoreError};

/// A plugin manifest as activated through the API: like `plugins.json`, but each plugin names
/// an uploaded version instead of a file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActiveManifest {
    /// How many of the cheapest candidate plans the plugins judge.
    #[serde(default = "default_candidates")]
    pub candidates: usize,
    pub plugins: Vec<ActivePlugin>,
}

fn default_candidates() -> usize {
    DEFAULT_CANDIDATES
}

/// One plugin of an activation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivePlugin {
    pub name: String,
    /// The uploaded version to run; the newest upload of the name when absent.
    #[serde(default)]
    pub version: Option<String>,
    /// The plugin's configuration, handed to it as JSON text.
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub config: serde_json::Value,
    #[serde(default)]
    #[schema(value_type = String, example = "closed")]
    pub on_failure: FailurePolicy,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub limits: Limits,
}

fn empty_object() -> serde_json::Value {
    serde_json::json!({})
}

/// A network with its policy, as the API takes and gives it: [`NetworkParts`] with a
/// `policy` beside them.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkBody {
    pub nodes: Vec<crate::model::Node>,
    pub skus: Vec<crate::model::Sku>,
    pub services: Vec<crate::model::CarrierService>,
    #[serde(default)]
    pub holidays: std::collections::BTreeSet<chrono::NaiveDate>,
    #[serde(default)]
    pub policy: TenantPolicy,
}

impl NetworkBody {
    pub fn new(parts: NetworkParts, policy: TenantPolicy) -> NetworkBody {
        NetworkBody {
            nodes: parts.nodes,
            skus: parts.skus,
            services: parts.services,
            holidays: parts.holidays,
            policy,
        }
    }

    /// The network's parts and the policy, apart.
    pub fn split(self) -> (NetworkParts, TenantPolicy) {
        let parts = NetworkParts {
            nodes: self.nodes,
            skus: self.skus,
            services: self.services,
            holidays: self.holidays,
        };
        (parts, self.policy)
    }
}

/// One tenant as this replica sees it.
pub struct Tenant {
    pub id: String,
    /// The store revision this copy was built from.
    pub revision: i64,
    /// `None` until the tenant loads a network.
    pub network: Option<Arc<Network>>,
    pub policy: TenantPolicy,
    pub plugins: Option<Arc<PluginSet>>,
    /// The activation the plugins came from; `None` for no plugins or a local directory.
    pub plugin_revision: Option<i64>,
    stock: RwLock<Stock>,
}

impl Tenant {
    /// Runs `f` with the stock view; routing holds it only while it decides.
    pub fn with_stock<T>(&self, f: impl FnOnce(&Stock) -> T) -> T {
        let stock = self.stock.read().unwrap_or_else(|p| p.into_inner());
        f(&stock)
    }

    /// Marks what a stored decision reserved, so the next decision here sees it at once.
    pub fn reserved(&self, holds: &[Hold]) {
        let Some(network) = &self.network else { return };
        let mut stock = self.stock.write().unwrap_or_else(|p| p.into_inner());
        let mut shipping_nodes = Vec::new();
        for hold in holds {
            let (Some(node), Some(sku)) =
                (network.node_index(&hold.node), network.sku_index(&hold.sku))
            else {
                continue;
            };
            let mut position = stock.position(node, sku);
            position.reserved = position.reserved.saturating_add(hold.quantity as u32);
            stock.set(node, sku, position);
            if !shipping_nodes.contains(&node) {
                shipping_nodes.push(node);
            }
        }
        for node in shipping_nodes {
            let today = stock.orders_today(node);
            stock.set_orders_today(node, today + 1);
        }
    }
}

/// All tenants this replica has seen.
pub struct Tenants {
    store: Store,
    runtime: Arc<Runtime>,
    metrics: Arc<Metrics>,
    /// Where this process writes the plugins it syncs from the store, one directory per
    /// tenant. Private to the process, so replicas sharing a disk never step on each other.
    plugin_root: PathBuf,
    /// Tenants whose plugins come from a directory given on the command line instead of the
    /// store, each with the watcher that hot-reloads it.
    local_plugins: HashMap<String, (Arc<PluginSet>, Watcher)>,
    live: RwLock<HashMap<String, Arc<Tenant>>>,
    /// Plugin sets outlive tenant rebuilds, so that unchanged plugins keep their compiled code
    /// and their breakers.
    plugin_sets: Mutex<HashMap<String, Arc<PluginSet>>>,
}

impl Tenants {
    pub fn new(
        store: Store,
        runtime: Arc<Runtime>,
        metrics: Arc<Metrics>,
        plugin_root: PathBuf,
        local_dirs: &[(String, PathBuf)],
    ) -> anyhow::Result<Tenants> {
        let mut local_plugins = HashMap::new();
        for (tenant, dir) in local_dirs {
            let set = PluginSet::open(runtime.clone(), dir)?;
            let watcher = Watcher::start(set.clone())?;
            info!(tenant = %tenant, dir = %dir.display(), "tenant plugins come from a directory");
            local_plugins.insert(tenant.clone(), (set, watcher));
        }
        Ok(Tenants {
            store,
            runtime,
            metrics,
            plugin_root,
            local_plugins,
            live: RwLock::new(HashMap::new()),
            plugin_sets: Mutex::new(HashMap::new()),
        })
    }

    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }

    /// Whether the tenant's plugins come from a local directory rather than the API.
    pub fn has_local_plugins(&self, tenant: &str) -> bool {
        self.local_plugins.contains_key(tenant)
    }

    /// The tenant, loaded from the store when this replica has not seen it yet.
    pub async fn get(&self, tenant: &str) -> Result<Arc<Tenant>, Problem> {
        let cached = self.read_live().get(tenant).cloned();
        match cached {
            Some(found) => Ok(found),
            None => self.reload(tenant).await,
        }
    }

    /// Builds the tenant afresh from the store and makes it live here.
    pub async fn reload(&self, tenant: &str) -> Result<Arc<Tenant>, Problem> {
        let revision = self
            .store
            .revision(tenant)
            .await?
            .ok_or_else(|| Problem::not_found(format!("there is no tenant `{tenant}`")))?;
        let (network, policy) = match self.store.network(tenant).await? {
            Some((network, policy)) => {
                let parts: NetworkParts = serde_json::from_str(&network)
                    .map_err(|error| Problem::internal(format!("stored network: {error}")))?;
                let policy: TenantPolicy = serde_json::from_str(&policy)
                    .map_err(|error| Problem::internal(format!("stored policy: {error}")))?;
                let network = Network::new(parts)
                    .map_err(|error| Problem::internal(format!("stored network: {error}")))?;
                (Some(Arc::new(network)), policy)
            }
            None => (None, TenantPolicy::default()),
        };
        let stock = match &network {
            Some(network) => self.read_stock(tenant, network).await?,
            None => Stock::new(0, 0),
        };
        let (plugins, plugin_revision) = self.sync_plugins(tenant).await?;
        let built = Arc::new(Tenant {
            id: tenant.to_string(),
            revision,
            network,
            policy,
            plugins,
            plugin_revision,
            stock: RwLock::new(stock),
        });
        self.write_live().insert(tenant.to_string(), built.clone());
        Ok(built)
    }

    /// Reloads the tenant's stock view from the store.
    pub async fn refresh_stock(&self, tenant: &Tenant) -> Result<(), Problem> {
        let Some(network) = &tenant.network else {
            return Ok(());
        };
        let fresh = self.read_stock(&tenant.id, network).await?;
        *tenant.stock.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        Ok(())
    }

    /// Reloads the stock view of some SKUs only: what routing does when an order's
    /// reservation comes up short or nothing can fill it.
    pub async fn refresh_skus(&self, tenant: &Tenant, skus: &[&str]) -> Result<(), Problem> {
        let Some(network) = &tenant.network else {
            return Ok(());
        };
        let fresh = self.store.inventory_of(&tenant.id, skus).await?;
        let mut stock = tenant.stock.write().unwrap_or_else(|p| p.into_inner());
        for position in fresh {
            if let (Some(node), Some(sku)) = (
                network.node_index(&position.node),
                network.sku_index(&position.sku),
            ) {
                stock.set(node, sku, stock_position(&position));
            }
        }
        Ok(())
    }

    /// One round of keeping up with the store: tenants whose revision moved are rebuilt, the
    /// others get fresh stock.
    pub async fn sync(&self) -> Result<(), Problem> {
        let revisions: HashMap<String, i64> = self.store.revisions().await?.into_iter().collect();
        let cached: Vec<Arc<Tenant>> = self.read_live().values().cloned().collect();
        // One tenant that fails to load keeps its last copy here; the others go on.
        for tenant in cached {
            let synced = match revisions.get(&tenant.id) {
                Some(&revision) if revision != tenant.revision => {
                    info!(tenant = %tenant.id, revision, "tenant changed; reloading");
                    self.reload(&tenant.id).await.map(|_| ())
                }
                Some(_) => self.refresh_stock(&tenant).await,
                None => {
                    self.write_live().remove(&tenant.id);
                    Ok(())
                }
            };
            if let Err(problem) = synced {
                warn!(tenant = %tenant.id, cause = %problem.detail, "tenant sync failed");
            }
        }
        Ok(())
    }

    /// Live stock and today's shipments per node, by the network's indices. Positions for
    /// nodes or SKUs the network does not have are left out.
    async fn read_stock(&self, tenant: &str, network: &Network) -> Result<Stock, StoreError> {
        let mut stock = Stock::new(network.nodes().len(), network.skus().len());
        for position in self.store.inventory(tenant).await? {
            let (Some(node), Some(sku)) = (
                network.node_index(&position.node),
                network.sku_index(&position.sku),
            ) else {
                continue;
            };
            stock.set(node, sku, stock_position(&position));
        }
        let day = chrono::Utc::now().format("%Y-%m-%d").to_string();
        for (node, shipments) in self.store.node_load(tenant, &day).await? {
            if let Some(node) = network.node_index(&node) {
                stock.set_orders_today(node, shipments.clamp(0, u32::MAX as i64) as u32);
            }
        }
        Ok(stock)
    }

    /// The tenant's plugins: its local directory's, or the live activation in the store written
    /// out to this process's directory for the tenant and loaded from there.
    async fn sync_plugins(
        &self,
        tenant: &str,
    ) -> Result<(Option<Arc<PluginSet>>, Option<i64>), Problem> {
        if let Some((set, _)) = self.local_plugins.get(tenant) {
            return Ok((Some(set.clone()), None));
        }
        let Some(activation) = self.store.active_plugins(tenant).await? else {
            self.lock_sets().remove(tenant);
            return Ok((None, None));
        };
        let manifest: ActiveManifest = serde_json::from_str(&activation.manifest)
            .map_err(|error| Problem::internal(format!("stored plugin manifest: {error}")))?;

        // Write any version this process does not have yet, then the manifest.
        let dir = self.plugin_root.join(tenant);
        std::fs::create_dir_all(&dir).map_err(Problem::internal)?;
        let mut entries = Vec::new();
        for plugin in &manifest.plugins {
            let version = plugin.version.clone().unwrap_or_default();
            let file = format!("{}@{version}.wasm", plugin.name);
            let path = dir.join(&file);
            if !path.exists() {
                let wasm = self
                    .store
                    .plugin_wasm(tenant, &plugin.name, &version)
                    .await?
                    .ok_or_else(|| {
                        Problem::internal(format!(
                            "plugin `{}` version {version} is active but not stored",
                            plugin.name
                        ))
                    })?;
                write_atomically(&dir, &path, &wasm).map_err(Problem::internal)?;
            }
            entries.push(PluginEntry {
                name: plugin.name.clone(),
                file: Some(file),
                config: plugin.config.clone(),
                on_failure: plugin.on_failure,
                limits: plugin.limits,
            });
        }
        let local = Manifest {
            candidates: manifest.candidates,
            plugins: entries,
        };
        let text = serde_json::to_vec_pretty(&local).map_err(Problem::internal)?;
        write_atomically(&dir, &dir.join(crate::plugin::manifest::MANIFEST), &text)
            .map_err(Problem::internal)?;

        // Load it: a set this process already has reloads, keeping what did not change.
        let existing = self.lock_sets().get(tenant).cloned();
        let runtime = self.runtime.clone();
        let set = tokio::task::spawn_blocking(move || -> anyhow::Result<Arc<PluginSet>> {
            match existing {
                Some(set) => {
                    set.reload()?;
                    Ok(set)
                }
                None => PluginSet::open(runtime, &dir),
            }
        })
        .await
        .map_err(Problem::internal)?;
        let set = match set {
            Ok(set) => set,
            Err(error) => {
                self.metrics.reloaded(tenant, false);
                warn!(tenant, cause = %format!("{error:#}"), "plugin sync failed");
                return Err(Problem::internal(format!("{error:#}")));
            }
        };
        let loaded = set.status().iter().all(|status| status.problem.is_none());
        self.metrics.reloaded(tenant, loaded);
        self.lock_sets().insert(tenant.to_string(), set.clone());
        Ok((Some(set), Some(activation.revision)))
    }

    fn read_live(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Arc<Tenant>>> {
        self.live.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write_live(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Arc<Tenant>>> {
        self.live.write().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_sets(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<PluginSet>>> {
        self.plugin_sets.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A stored position as the optimizer counts it.
fn stock_position(position: &Position) -> StockPosition {
    let clamp = |value: i64| value.clamp(0, u32::MAX as i64) as u32;
    StockPosition {
        on_hand: clamp(position.on_hand),
        reserved: clamp(position.reserved),
        safety_stock: clamp(position.safety_stock),
    }
}

/// Writes a file so that a reader sees the old content or the new, never a part.
fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut temporary = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut temporary, bytes)?;
    temporary.persist(path).map_err(|error| error.error)?;
    Ok(())
}
