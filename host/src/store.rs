//! Durable state: tenants and their API keys, live stock, decisions and the reservations they
//! hold, and the inventory events already applied. Embedded SQLite by default, PostgreSQL when
//! several replicas share state; the same SQL runs on both through sqlx's `Any` driver, and the
//! schema migrations in `host/migrations/` run when a store opens.
//!
//! Correctness rests on the database, not on the process. Each process commits decisions
//! through its writers (one on SQLite, two on PostgreSQL), a batch per transaction. A batch
//! reads the stock it reserves inside its transaction (locking it, on PostgreSQL, so writers
//! and replicas take turns), and the update that
//! reserves it still changes a position only while its available to promise covers it, so
//! concurrent decisions for scarce stock can never reserve more than there is, on one replica
//! or many. A decision and its reservations are written in one transaction keyed by the order
//! id, so routing an order twice reserves once, and a crash leaves either both or neither.
//!
//! The HTTP service ([`crate::server`]) stands on this layer.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::pool::PoolConnection;
use sqlx::{AnyConnection, AnyPool, Executor, Row};
use thiserror::Error;

/// Why a store operation failed.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("unsupported database URL `{0}`: use `sqlite://<file>` or `postgres://...`")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("schema migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("unknown tenant `{0}`")]
    UnknownTenant(String),
    #[error("{0}")]
    Invalid(String),
}

/// Which database a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// One node's stock of one SKU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    pub node: String,
    pub sku: String,
    pub on_hand: i64,
    pub reserved: i64,
    pub safety_stock: i64,
}

impl Position {
    /// On hand less reserved less safety stock, never below zero.
    pub fn available(&self) -> i64 {
        (self.on_hand - self.reserved - self.safety_stock).max(0)
    }
}

/// Units a decision holds back at one node.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hold {
    pub node: String,
    pub sku: String,
    pub quantity: i64,
}

/// What became of a decision handed to [`Store::commit_decision`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Commit {
    /// Stored with its reservations.
    Stored,
    /// The order was already decided: this is the decision stored first, and nothing was
    /// reserved again.
    AlreadyDecided { decision: String },
    /// Stock moved since the decision was made: this hold no longer fits, and nothing was
    /// stored. Deciding again on fresh stock is the remedy.
    Short { hold: Hold, available: i64 },
}

/// A stored decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredDecision {
    pub status: String,
    pub decision: String,
}

/// What an inventory event does to a position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Units arrived: on hand goes up.
    Receipt,
    /// A count correction, up or down.
    Adjustment,
    /// An order's units were picked. Nothing moves in available to promise; the event checks
    /// that the order holds them and is kept on record.
    PickConfirm,
    /// An order's units left the building: on hand and the order's reservation both go down.
    Ship,
}

impl EventKind {
    fn name(self) -> &'static str {
        match self {
            EventKind::Receipt => "receipt",
            EventKind::Adjustment => "adjustment",
            EventKind::PickConfirm => "pick_confirm",
            EventKind::Ship => "ship",
        }
    }
}

/// One inventory event, applied at most once per id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub id: String,
    pub kind: EventKind,
    pub node: String,
    pub sku: String,
    pub quantity: i64,
    /// The order a pick or shipment is for; required for those two kinds.
    pub order_id: Option<String>,
}

/// One uploaded version of a plugin.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PluginVersion {
    pub name: String,
    pub version: String,
    pub kind: String,
    /// Unix milliseconds.
    pub uploaded_at: i64,
}

/// A tenant's live plugin manifest and the activation it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Activation {
    pub revision: i64,
    pub manifest: String,
}

/// The database, migrated and pooled.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite lets one connection write at a time and makes the others sleep and retry; taking
    /// turns here instead keeps writers from spinning on the file lock. PostgreSQL has row
    /// locks, so it runs without one.
    writer: Option<Arc<tokio::sync::Mutex<()>>>,
    /// The queue of decisions for the writers that commit them in batches; `None` only in the
    /// writers' own handles.
    batcher: Option<tokio::sync::mpsc::Sender<(PendingDecision, Reply)>>,
}

/// A write transaction, holding the writer's turn on SQLite until it ends.
struct Writing<'c> {
    tx: sqlx::Transaction<'c, sqlx::Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Deref for Writing<'_> {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for Writing<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

impl Writing<'_> {
    async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as i64)
}

/// The SHA-256 of an API key, as stored.
fn key_hash(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

impl Store {
    /// Opens (creating it if need be) the database at `url` and brings its schema up to date.
    /// `sqlite://data/switchyard.db` makes the file; `postgres://user@host/db` connects.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        install_default_drivers();
        let (backend, url) = if let Some(path) = url.strip_prefix("sqlite://") {
            // Create the file when missing.
            let joiner = if path.contains('?') { '&' } else { '?' };
            (Backend::Sqlite, format!("{url}{joiner}mode=rwc"))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        let sqlite = backend == Backend::Sqlite;
        let pool = AnyPoolOptions::new()
            .max_connections(16)
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    if sqlite {
                        // Commits reach the write-ahead log before they are acknowledged, so a
                        // killed process loses nothing; the log is synced to disk at
                        // checkpoints, so a power cut can lose the last commits.
                        connection
                            .execute("PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000")
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        if sqlite {
            // Readers never wait for the writer.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await?;
        }
        sqlx::migrate!("./migrations").run(&pool).await?;
        if backend == Backend::Postgres {
            // Decisions are kilobytes of JSON; LZ4 compresses them for a fraction of the CPU
            // of PostgreSQL's default. A server built without LZ4 keeps its default.
            let lz4 =
                sqlx::query("ALTER TABLE decisions ALTER COLUMN decision SET COMPRESSION lz4");
            if let Err(error) = lz4.execute(&pool).await {
                tracing::debug!(cause = %error, "decisions stay compressed the default way");
            }
        }
        let writer = sqlite.then(|| Arc::new(tokio::sync::Mutex::new(())));
        let mut store = Store {
            pool,
            backend,
            writer,
            batcher: None,
        };
        // The writers' own handles have no queue, so the queue closes, and the writers end,
        // with the last handle given out.
        let (queue, receiver) = tokio::sync::mpsc::channel(4 * MAX_BATCH);
        let receiver = Arc::new(tokio::sync::Mutex::new(receiver));
        // SQLite has one writer at a time anyway. On PostgreSQL a second writer sends its
        // batch while the first waits for its commit to reach the disk.
        let writers = match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => 2,
        };
        for _ in 0..writers {
            tokio::spawn(write_batches(store.clone(), receiver.clone()));
        }
        store.batcher = Some(queue);
        Ok(store)
    }

    /// Waits for the writer's turn (SQLite only).
    async fn writer(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match &self.writer {
            Some(turn) => Some(turn.clone().lock_owned().await),
            None => None,
        }
    }

    /// Begins a transaction that writes.
    async fn begin_write(&self) -> Result<Writing<'static>, StoreError> {
        let turn = self.writer().await;
        let tx = self.pool.begin().await?;
        Ok(Writing { tx, _turn: turn })
    }

    /// Begins a transaction that writes, on a connection the caller holds.
    async fn begin_write_on<'c>(
        &self,
        connection: &'c mut AnyConnection,
    ) -> Result<Writing<'c>, StoreError> {
        let turn = self.writer().await;
        let tx = sqlx::Connection::begin(connection).await?;
        Ok(Writing { tx, _turn: turn })
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Creates a tenant.
    pub async fn create_tenant(&self, id: &str, name: &str) -> Result<(), StoreError> {
        let valid = !id.is_empty()
            && id.len() <= 64
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(StoreError::Invalid(format!(
                "tenant id `{id}` must be 1 to 64 letters, digits, - or _"
            )));
        }
        let _writer = self.writer().await;
        sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(name)
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores a new API key for the tenant; `key` itself is never stored, only its hash. With
    /// `rotate`, the tenant's other keys stop working in the same transaction.
    pub async fn add_key(&self, tenant: &str, key: &str, rotate: bool) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        self.require_tenant(&mut tx, tenant).await?;
        if rotate {
            sqlx::query(
                "UPDATE api_keys SET revoked_at = $1 WHERE tenant_id = $2 AND revoked_at IS NULL",
            )
            .bind(now_ms())
            .bind(tenant)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("INSERT INTO api_keys (hash, tenant_id, created_at) VALUES ($1, $2, $3)")
            .bind(key_hash(key))
            .bind(tenant)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The tenant a live API key belongs to.
    pub async fn tenant_for_key(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row =
            sqlx::query("SELECT tenant_id FROM api_keys WHERE hash = $1 AND revoked_at IS NULL")
                .bind(key_hash(key))
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|row| row.get::<String, _>("tenant_id")))
    }

    async fn require_tenant(
        &self,
        connection: &mut AnyConnection,
        tenant: &str,
    ) -> Result<(), StoreError> {
        let found = sqlx::query("SELECT id FROM tenants WHERE id = $1")
            .bind(tenant)
            .fetch_optional(connection)
            .await?;
        match found {
            Some(_) => Ok(()),
            None => Err(StoreError::UnknownTenant(tenant.to_string())),
        }
    }

    /// Replaces the tenant's on-hand and safety stock with a snapshot. What decisions have
    /// reserved stays reserved: a position the snapshot leaves out keeps its reservations with
    /// nothing on hand.
    pub async fn replace_inventory(
        &self,
        tenant: &str,
        positions: &[Position],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        self.require_tenant(&mut tx, tenant).await?;
        sqlx::query("UPDATE inventory SET on_hand = 0, safety_stock = 0 WHERE tenant_id = $1")
            .bind(tenant)
            .execute(&mut *tx)
            .await?;
        for position in positions {
            if position.on_hand < 0 || position.safety_stock < 0 {
                return Err(StoreError::Invalid(format!(
                    "{} at {}: on hand and safety stock must not be negative",
                    position.sku, position.node
                )));
            }
            sqlx::query(
                "INSERT INTO inventory (tenant_id, node, sku, on_hand, reserved, safety_stock) \
                 VALUES ($1, $2, $3, $4, 0, $5) \
                 ON CONFLICT (tenant_id, node, sku) DO UPDATE \
                 SET on_hand = excluded.on_hand, safety_stock = excluded.safety_stock",
            )
            .bind(tenant)
            .bind(&position.node)
            .bind(&position.sku)
            .bind(position.on_hand)
            .bind(position.safety_stock)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The tenant's stock, by node and SKU.
    pub async fn inventory(&self, tenant: &str) -> Result<Vec<Position>, StoreError> {
        let rows = sqlx::query(
            "SELECT node, sku, on_hand, reserved, safety_stock FROM inventory \
             WHERE tenant_id = $1 ORDER BY node, sku",
        )
        .bind(tenant)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(position_of).collect())
    }

    /// The tenant's stock of some SKUs, at every node.
    pub async fn inventory_of(
        &self,
        tenant: &str,
        skus: &[&str],
    ) -> Result<Vec<Position>, StoreError> {
        if skus.is_empty() {
            return Ok(Vec::new());
        }
        let listed: Vec<String> = (0..skus.len()).map(|at| format!("${}", at + 2)).collect();
        let sql = format!(
            "SELECT node, sku, on_hand, reserved, safety_stock FROM inventory \
             WHERE tenant_id = $1 AND sku IN ({})",
            listed.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(tenant);
        for sku in skus {
            query = query.bind(*sku);
        }
        let rows = query.fetch_all(&self.pool).await?;
        Ok(rows.iter().map(position_of).collect())
    }

    /// Stores a decision and reserves what it ships, all or nothing, and counts one shipment
    /// today for each node it holds stock at. See [`Commit`].
    ///
    /// Decisions arriving together are committed together: a writer takes every decision
    /// waiting for it into one transaction of a few statements for the whole batch (see
    /// `write_batch`); a decision that does not fit comes back `Short` and leaves nothing
    /// behind, so each is still all or nothing, and each is acknowledged only once the
    /// transaction commits.
    pub async fn commit_decision(
        &self,
        tenant: &str,
        order_id: &str,
        decision: &str,
        holds: &[Hold],
    ) -> Result<Commit, StoreError> {
        if let Some(hold) = holds.iter().find(|hold| hold.quantity <= 0) {
            return Err(StoreError::Invalid(format!(
                "a hold of {} at {} must be of at least one unit, not {}",
                hold.sku, hold.node, hold.quantity
            )));
        }
        let pending = PendingDecision {
            tenant: tenant.to_string(),
            order_id: order_id.to_string(),
            decision: decision.to_string(),
            holds: merged(holds),
        };
        let closed = || StoreError::Invalid("the store is shutting down".into());
        let batcher = self.batcher.as_ref().ok_or_else(closed)?;
        let (reply, answer) = tokio::sync::oneshot::channel();
        batcher.send((pending, reply)).await.map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }

    /// A stored decision, if the order was decided.
    pub async fn decision(
        &self,
        tenant: &str,
        order_id: &str,
    ) -> Result<Option<StoredDecision>, StoreError> {
        decision_of(&self.pool, tenant, order_id).await
    }

    /// What a decision holds, by node and SKU.
    pub async fn holds(&self, tenant: &str, order_id: &str) -> Result<Vec<Hold>, StoreError> {
        holds_of(&self.pool, tenant, order_id).await
    }

    /// Cancels a routed order and gives back what it reserved. False when there is no routed
    /// order of that id (never decided, already cancelled or shipped).
    pub async fn cancel(&self, tenant: &str, order_id: &str) -> Result<bool, StoreError> {
        self.close(tenant, order_id, "cancelled").await
    }

    /// Confirms that a routed order shipped whole: its reservations leave on hand and are
    /// closed. False when there is no routed order of that id.
    pub async fn confirm_shipment(&self, tenant: &str, order_id: &str) -> Result<bool, StoreError> {
        self.close(tenant, order_id, "shipped").await
    }

    /// Moves a routed order to `cancelled` (its holds go back to available to promise) or
    /// `shipped` (its held units leave on hand), closing its reservations.
    async fn close(&self, tenant: &str, order_id: &str, status: &str) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let closed = sqlx::query(
            "UPDATE decisions SET status = $3 \
             WHERE tenant_id = $1 AND order_id = $2 AND status = 'routed'",
        )
        .bind(tenant)
        .bind(order_id)
        .bind(status)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if closed == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        let on_hand_change = if status == "shipped" { "- $1" } else { "" };
        let release = format!(
            "UPDATE inventory SET reserved = reserved - $1, on_hand = on_hand {on_hand_change} \
             WHERE tenant_id = $2 AND node = $3 AND sku = $4"
        );
        for hold in holds_of(&mut *tx, tenant, order_id).await? {
            sqlx::query(&release)
                .bind(hold.quantity)
                .bind(tenant)
                .bind(hold.node)
                .bind(hold.sku)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM reservations WHERE tenant_id = $1 AND order_id = $2")
            .bind(tenant)
            .bind(order_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Applies an inventory event once: an event id seen before changes nothing and returns
    /// false. An event that cannot apply (less than nothing on hand, less on hand than is
    /// reserved, a pick or shipment of units the order does not hold) is refused with
    /// [`StoreError::Invalid`] and not recorded, so it can be corrected and sent again.
    pub async fn apply_event(&self, tenant: &str, event: &Event) -> Result<bool, StoreError> {
        let Event {
            id,
            kind,
            node,
            sku,
            quantity,
            order_id,
        } = event;
        let (kind, quantity) = (*kind, *quantity);
        if kind != EventKind::Adjustment && quantity <= 0 {
            return Err(StoreError::Invalid(format!(
                "a {} moves units: quantity {quantity} must be above 0",
                kind.name()
            )));
        }
        let order_id = match (kind, order_id) {
            (EventKind::PickConfirm | EventKind::Ship, None) => {
                return Err(StoreError::Invalid(format!(
                    "a {} event needs the `order_id` it is for",
                    kind.name()
                )));
            }
            (_, order_id) => order_id.as_deref(),
        };
        let mut tx = self.begin_write().await?;
        self.require_tenant(&mut tx, tenant).await?;
        let recorded = sqlx::query(
            "INSERT INTO inventory_events \
             (tenant_id, event_id, kind, node, sku, quantity, applied_at, order_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (tenant_id, event_id) DO NOTHING",
        )
        .bind(tenant)
        .bind(id)
        .bind(kind.name())
        .bind(node)
        .bind(sku)
        .bind(quantity)
        .bind(now_ms())
        .bind(order_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if recorded == 0 {
            tx.rollback().await?;
            return Ok(false);
        }

        let refused = |message: String| Err(StoreError::Invalid(message));
        match kind {
            EventKind::Receipt | EventKind::Adjustment => {
                sqlx::query(
                    "INSERT INTO inventory (tenant_id, node, sku, on_hand, reserved, safety_stock) \
                     VALUES ($1, $2, $3, 0, 0, 0) ON CONFLICT (tenant_id, node, sku) DO NOTHING",
                )
                .bind(tenant)
                .bind(node)
                .bind(sku)
                .execute(&mut *tx)
                .await?;
                let changed = sqlx::query(
                    "UPDATE inventory SET on_hand = on_hand + $1 \
                     WHERE tenant_id = $2 AND node = $3 AND sku = $4 AND on_hand + $1 >= reserved",
                )
                .bind(quantity)
                .bind(tenant)
                .bind(node)
                .bind(sku)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed == 0 {
                    tx.rollback().await?;
                    return refused(format!(
                        "{sku} at {node}: an adjustment of {quantity} would leave less on hand \
                         than is reserved"
                    ));
                }
            }
            EventKind::PickConfirm | EventKind::Ship => {
                let order_id = order_id.unwrap_or_default();
                let held = sqlx::query(
                    "SELECT r.quantity FROM reservations r JOIN decisions d \
                     ON d.tenant_id = r.tenant_id AND d.order_id = r.order_id \
                     WHERE r.tenant_id = $1 AND r.order_id = $2 AND r.node = $3 AND r.sku = $4 \
                     AND d.status = 'routed'",
                )
                .bind(tenant)
                .bind(order_id)
                .bind(node)
                .bind(sku)
                .fetch_optional(&mut *tx)
                .await?
                .map_or(0, |row| row.get::<i64, _>("quantity"));
                if held < quantity {
                    tx.rollback().await?;
                    return refused(format!(
                        "order `{order_id}` holds {held} of {sku} at {node}, not {quantity}"
                    ));
                }
                if kind == EventKind::Ship {
                    consume(&mut tx, tenant, order_id, node, sku, quantity).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Shipments each node took on `day` (`YYYY-MM-DD`, UTC).
    pub async fn node_load(
        &self,
        tenant: &str,
        day: &str,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT node, CAST(SUM(shipments) AS BIGINT) AS shipments FROM node_load \
                 WHERE tenant_id = $1 AND day = $2 GROUP BY node",
        )
        .bind(tenant)
        .bind(day)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|row| (row.get("node"), row.get("shipments")))
            .collect())
    }

    /// Every tenant with its revision, which goes up whenever its network or plugins change.
    pub async fn revisions(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query("SELECT id, revision FROM tenants")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|row| (row.get("id"), row.get("revision")))
            .collect())
    }

    /// A tenant's revision; `None` when there is no such tenant.
    pub async fn revision(&self, tenant: &str) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT revision FROM tenants WHERE id = $1")
            .bind(tenant)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| row.get("revision")))
    }

    /// Sets the secret the tenant's webhooks are signed with.
    pub async fn set_webhook_secret(&self, tenant: &str, secret: &str) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        let changed = sqlx::query("UPDATE tenants SET webhook_secret = $1 WHERE id = $2")
            .bind(secret)
            .bind(tenant)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(StoreError::UnknownTenant(tenant.to_string()));
        }
        Ok(())
    }

    pub async fn webhook_secret(&self, tenant: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT webhook_secret FROM tenants WHERE id = $1")
            .bind(tenant)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.and_then(|row| row.get::<Option<String>, _>("webhook_secret")))
    }

    /// Stores the tenant's network and policy (each as JSON) in place of the old ones.
    pub async fn put_network(
        &self,
        tenant: &str,
        network: &str,
        policy: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        self.require_tenant(&mut tx, tenant).await?;
        sqlx::query(
            "INSERT INTO networks (tenant_id, network, policy, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id) DO UPDATE \
             SET network = excluded.network, policy = excluded.policy, \
             updated_at = excluded.updated_at",
        )
        .bind(tenant)
        .bind(network)
        .bind(policy)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        bump_revision(&mut tx, tenant).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The tenant's network and policy JSON, if it has loaded one.
    pub async fn network(&self, tenant: &str) -> Result<Option<(String, String)>, StoreError> {
        let row = sqlx::query("SELECT network, policy FROM networks WHERE tenant_id = $1")
            .bind(tenant)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|row| (row.get("network"), row.get("policy"))))
    }

    /// Keeps an uploaded plugin version. Uploading the same bytes again changes nothing.
    pub async fn add_plugin_version(
        &self,
        tenant: &str,
        version: &PluginVersion,
        wasm: &[u8],
    ) -> Result<(), StoreError> {
        let _writer = self.writer().await;
        sqlx::query(
            "INSERT INTO plugin_versions (tenant_id, name, version, kind, wasm, uploaded_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (tenant_id, name, version) DO NOTHING",
        )
        .bind(tenant)
        .bind(&version.name)
        .bind(&version.version)
        .bind(&version.kind)
        .bind(wasm)
        .bind(version.uploaded_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every uploaded plugin version of the tenant, by name, newest first.
    pub async fn plugin_versions(&self, tenant: &str) -> Result<Vec<PluginVersion>, StoreError> {
        let rows = sqlx::query(
            "SELECT name, version, kind, uploaded_at FROM plugin_versions WHERE tenant_id = $1 \
             ORDER BY name, uploaded_at DESC, version",
        )
        .bind(tenant)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|row| PluginVersion {
                name: row.get("name"),
                version: row.get("version"),
                kind: row.get("kind"),
                uploaded_at: row.get("uploaded_at"),
            })
            .collect())
    }

    /// The bytes of one plugin version.
    pub async fn plugin_wasm(
        &self,
        tenant: &str,
        name: &str,
        version: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query(
            "SELECT wasm FROM plugin_versions WHERE tenant_id = $1 AND name = $2 AND version = $3",
        )
        .bind(tenant)
        .bind(name)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|row| row.get::<Vec<u8>, _>("wasm")))
    }

    /// Makes a plugin manifest (JSON) the tenant's live one; returns its revision.
    pub async fn activate_plugins(&self, tenant: &str, manifest: &str) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        self.require_tenant(&mut tx, tenant).await?;
        let revision = sqlx::query(
            "SELECT COALESCE(MAX(revision), 0) + 1 AS next FROM plugin_activations \
             WHERE tenant_id = $1",
        )
        .bind(tenant)
        .fetch_one(&mut *tx)
        .await?
        .get::<i64, _>("next");
        sqlx::query(
            "INSERT INTO plugin_activations (tenant_id, revision, manifest, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(tenant)
        .bind(revision)
        .bind(manifest)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        bump_revision(&mut tx, tenant).await?;
        tx.commit().await?;
        Ok(revision)
    }

    /// The tenant's live plugin manifest: the newest activation not rolled back.
    pub async fn active_plugins(&self, tenant: &str) -> Result<Option<Activation>, StoreError> {
        active_plugins(&self.pool, tenant).await
    }

    /// Rolls back the live activation, so the one before it is live again. Returns what is live
    /// now (`None`: no plugins), or [`StoreError::Invalid`] when nothing is active.
    pub async fn rollback_plugins(&self, tenant: &str) -> Result<Option<Activation>, StoreError> {
        let mut tx = self.begin_write().await?;
        let Some(live) = active_plugins(&mut *tx, tenant).await? else {
            tx.rollback().await?;
            return Err(StoreError::Invalid(
                "no plugin activation is live, so there is nothing to roll back".into(),
            ));
        };
        sqlx::query(
            "UPDATE plugin_activations SET rolled_back_at = $1 \
             WHERE tenant_id = $2 AND revision = $3",
        )
        .bind(now_ms())
        .bind(tenant)
        .bind(live.revision)
        .execute(&mut *tx)
        .await?;
        bump_revision(&mut tx, tenant).await?;
        let now = active_plugins(&mut *tx, tenant).await?;
        tx.commit().await?;
        Ok(now)
    }
}

/// Takes `quantity` units of an order's hold at a node out of on hand and out of the
/// reservation, closing the hold when nothing is left of it.
async fn consume(
    connection: &mut AnyConnection,
    tenant: &str,
    order_id: &str,
    node: &str,
    sku: &str,
    quantity: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE inventory SET on_hand = on_hand - $1, reserved = reserved - $1 \
         WHERE tenant_id = $2 AND node = $3 AND sku = $4",
    )
    .bind(quantity)
    .bind(tenant)
    .bind(node)
    .bind(sku)
    .execute(&mut *connection)
    .await?;
    sqlx::query(
        "UPDATE reservations SET quantity = quantity - $1 \
         WHERE tenant_id = $2 AND order_id = $3 AND node = $4 AND sku = $5",
    )
    .bind(quantity)
    .bind(tenant)
    .bind(order_id)
    .bind(node)
    .bind(sku)
    .execute(&mut *connection)
    .await?;
    sqlx::query(
        "DELETE FROM reservations WHERE tenant_id = $1 AND order_id = $2 AND node = $3 \
         AND sku = $4 AND quantity <= 0",
    )
    .bind(tenant)
    .bind(order_id)
    .bind(node)
    .bind(sku)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

async fn bump_revision(connection: &mut AnyConnection, tenant: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE tenants SET revision = revision + 1 WHERE id = $1")
        .bind(tenant)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

async fn active_plugins<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    tenant: &str,
) -> Result<Option<Activation>, StoreError> {
    let row = sqlx::query(
        "SELECT revision, manifest FROM plugin_activations \
         WHERE tenant_id = $1 AND rolled_back_at IS NULL ORDER BY revision DESC LIMIT 1",
    )
    .bind(tenant)
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|row| Activation {
        revision: row.get("revision"),
        manifest: row.get("manifest"),
    }))
}

/// What a decision holds, read through a pool or inside a transaction.
async fn decision_of<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    tenant: &str,
    order_id: &str,
) -> Result<Option<StoredDecision>, StoreError> {
    let row = sqlx::query(
        "SELECT status, decision FROM decisions WHERE tenant_id = $1 AND order_id = $2",
    )
    .bind(tenant)
    .bind(order_id)
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|row| StoredDecision {
        status: row.get("status"),
        decision: row.get("decision"),
    }))
}

async fn holds_of<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    tenant: &str,
    order_id: &str,
) -> Result<Vec<Hold>, StoreError> {
    let rows = sqlx::query(
        "SELECT node, sku, quantity FROM reservations \
         WHERE tenant_id = $1 AND order_id = $2 ORDER BY node, sku",
    )
    .bind(tenant)
    .bind(order_id)
    .fetch_all(executor)
    .await?;
    Ok(rows
        .iter()
        .map(|row| Hold {
            node: row.get("node"),
            sku: row.get("sku"),
            quantity: row.get("quantity"),
        })
        .collect())
}

/// Rows a node's daily shipment count is spread over on PostgreSQL, where replicas write it
/// at once; each batch picks one at random. SQLite's single writer uses slot 0.
const LOAD_SLOTS: u32 = 8;

/// The holds sorted by node and SKU, each position once with its quantities summed.
fn merged(holds: &[Hold]) -> Vec<Hold> {
    let mut holds = holds.to_vec();
    holds.sort();
    let mut out: Vec<Hold> = Vec::with_capacity(holds.len());
    for hold in holds {
        match out.last_mut() {
            Some(last) if last.node == hold.node && last.sku == hold.sku => {
                last.quantity += hold.quantity;
            }
            _ => out.push(hold),
        }
    }
    out
}

/// A decision waiting to be stored.
struct PendingDecision {
    tenant: String,
    order_id: String,
    decision: String,
    /// Sorted by node and SKU, each position once, every quantity positive.
    holds: Vec<Hold>,
}

type Reply = tokio::sync::oneshot::Sender<Result<Commit, StoreError>>;

/// The most decisions one transaction takes.
const MAX_BATCH: usize = 128;

/// A writer: takes every decision waiting, commits them in one transaction, answers each.
/// Runs until the store's last handle is gone.
async fn write_batches(
    store: Store,
    queue: Arc<tokio::sync::Mutex<tokio::sync::mpsc::Receiver<(PendingDecision, Reply)>>>,
) {
    // A batch holds each order once; a second decision for an order already in the batch
    // starts the next one, where it finds the first stored.
    let mut carried = None;
    // Each writer keeps a connection of its own: taking one from the pool for every batch
    // would cost a round trip to check it, on top of the batch's own.
    let mut connection = None;
    loop {
        let mut batch: Vec<(PendingDecision, Reply)> = Vec::new();
        batch.extend(carried.take());
        // With a decision in hand, a writer does not wait for the queue: the other writer may
        // be holding it while it waits for decisions to arrive.
        let taken = if batch.is_empty() {
            Some(queue.lock().await)
        } else {
            queue.try_lock().ok()
        };
        if let Some(mut queue) = taken {
            if batch.is_empty() {
                match queue.recv().await {
                    Some(first) => batch.push(first),
                    None => break,
                }
            }
            while batch.len() < MAX_BATCH {
                let Ok(next) = queue.try_recv() else { break };
                let again = batch
                    .iter()
                    .any(|(p, _)| p.tenant == next.0.tenant && p.order_id == next.0.order_id);
                if again {
                    carried = Some(next);
                    break;
                }
                batch.push(next);
            }
        }
        // Every writer, in every replica, takes its row locks in one order (decision rows by
        // order id, then stock by position, then shipment counts by node), so writers wait
        // for one another but never deadlock among themselves.
        batch.sort_by(|(a, _), (b, _)| (&a.tenant, &a.order_id).cmp(&(&b.tenant, &b.order_id)));
        let pending: Vec<&PendingDecision> = batch.iter().map(|(pending, _)| pending).collect();
        let outcomes = store.commit_batch(&mut connection, &pending).await;
        for ((_, reply), outcome) in batch.into_iter().zip(outcomes) {
            let _ = reply.send(outcome);
        }
    }
}

impl Store {
    /// One transaction for a batch of decisions, none of them for the same order. If a
    /// statement or the commit fails, every decision in the batch fails and nothing of it is
    /// stored.
    ///
    /// The batch runs on the writer's `connection`, which is taken from the pool when there is
    /// none yet and dropped when it fails.
    async fn commit_batch(
        &self,
        connection: &mut Option<PoolConnection<sqlx::Any>>,
        batch: &[&PendingDecision],
    ) -> Vec<Result<Commit, StoreError>> {
        // A batch can still, rarely, deadlock with a cancellation or an inventory event, which
        // lock in an order of their own; PostgreSQL then aborts one, and a batch is tried again.
        // So is a batch whose connection broke (a database restart, say). Even when the break
        // came during the commit, and the batch was in fact stored, trying again is safe: each
        // order then finds its first decision, and nothing is reserved twice.
        let (mut attempt, mut reconnected) = (0, false);
        let outcome = loop {
            attempt += 1;
            let held = match connection {
                Some(held) => held,
                None => match self.pool.acquire().await {
                    Ok(fresh) => connection.insert(fresh),
                    Err(error) => break Err(error.into()),
                },
            };
            match self.try_commit_batch(held, batch).await {
                Err(StoreError::Database(error)) if attempt < 4 && is_deadlock(&error) => {}
                Err(StoreError::Database(error)) if is_broken(&error) => {
                    *connection = None;
                    if reconnected {
                        break Err(error.into());
                    }
                    reconnected = true;
                }
                outcome => break outcome,
            }
        };
        match outcome {
            Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
            Err(error) => (0..batch.len())
                .map(|_| {
                    Err(StoreError::Invalid(format!(
                        "the decision was not stored: {error}"
                    )))
                })
                .collect(),
        }
    }

    async fn try_commit_batch(
        &self,
        connection: &mut AnyConnection,
        batch: &[&PendingDecision],
    ) -> Result<Vec<Commit>, StoreError> {
        if self.backend == Backend::Postgres
            && let Some(outcomes) = write_batch_at_once(connection, batch).await?
        {
            return Ok(outcomes);
        }
        let mut tx = self.begin_write_on(connection).await?;
        match write_batch(&mut tx, self.backend, batch).await {
            Ok(outcomes) => {
                tx.commit().await?;
                Ok(outcomes)
            }
            Err(error) => {
                let _ = tx.rollback().await;
                Err(error)
            }
        }
    }
}

/// Whether the connection itself failed, rather than a statement on it: it was cut, or the
/// server ended it (SQLSTATE class 08, or 57P01 to 57P03 when the server shuts down or a
/// backend is terminated).
fn is_broken(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(error) => error
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P0")),
        _ => false,
    }
}

fn is_deadlock(error: &sqlx::Error) -> bool {
    let code = error.as_database_error().and_then(|e| e.code());
    matches!(code.as_deref(), Some("40P01") | Some("40001"))
}

/// Writes a batch of decisions inside its transaction, a handful of statements for the whole
/// batch rather than a few per decision:
///
/// 1. the decision rows, where an order decided before keeps its first decision;
/// 2. the available to promise of every position the decisions hold, locked until the commit
///    on PostgreSQL (in one order, so that writers queue instead of deadlocking; on SQLite the
///    writer's turn already keeps other writers out);
/// 3. in batch order, each new decision takes its holds if every one of them fits in what is
///    left, and otherwise comes back `Short`, its decision row deleted again;
/// 4. one update of the stock for all that was taken (which still checks that each position
///    covers it), the reservations, and each shipping node's count for the day.
///
/// SQLite runs each step as a statement of its own. PostgreSQL comes here only when
/// `write_batch_at_once` found the stock short, and runs steps 1 and 2 as one statement and
/// step 4 as another, since every statement there is a round trip to the server, and the
/// writer waits out each one.
async fn write_batch(
    connection: &mut AnyConnection,
    backend: Backend,
    batch: &[&PendingDecision],
) -> Result<Vec<Commit>, StoreError> {
    let mut positions: Vec<(&str, &str, &str)> = batch
        .iter()
        .flat_map(|pending| {
            let tenant = pending.tenant.as_str();
            pending
                .holds
                .iter()
                .map(move |hold| (tenant, hold.node.as_str(), hold.sku.as_str()))
        })
        .collect();
    positions.sort_unstable();
    positions.dedup();
    let (new, available) = match backend {
        Backend::Sqlite => {
            let new = insert_decisions(connection, batch).await?;
            (new, available_to_promise(connection, &positions).await?)
        }
        Backend::Postgres => insert_and_lock(connection, batch, &positions).await?,
    };

    let position_of = |tenant: &str, hold: &Hold| {
        positions
            .binary_search(&(tenant, hold.node.as_str(), hold.sku.as_str()))
            .expect("every hold is among the positions")
    };
    let mut taken = vec![0_i64; positions.len()];
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut stored = Vec::new();
    let mut short = Vec::new();
    for (pending, new) in batch.iter().zip(&new) {
        if !*new {
            outcomes.push(already_decided(connection, pending).await?);
            continue;
        }
        let left = |hold: &Hold| {
            let at = position_of(&pending.tenant, hold);
            available[at] - taken[at]
        };
        match pending.holds.iter().find(|hold| left(hold) < hold.quantity) {
            Some(hold) => {
                outcomes.push(Commit::Short {
                    hold: hold.clone(),
                    available: left(hold).max(0),
                });
                short.push(*pending);
            }
            None => {
                for hold in &pending.holds {
                    taken[position_of(&pending.tenant, hold)] += hold.quantity;
                }
                outcomes.push(Commit::Stored);
                stored.push(*pending);
            }
        }
    }

    if !short.is_empty() {
        execute(connection, |s| delete_decisions(s, &short)).await?;
    }
    let reserved: Vec<((&str, &str, &str), i64)> = positions
        .iter()
        .zip(&taken)
        .filter(|(_, quantity)| **quantity > 0)
        .map(|(position, quantity)| (*position, *quantity))
        .collect();
    let (day, slot) = load_row(backend);
    let shipments = shipments_by_node(&stored);
    let changed = match backend {
        Backend::Sqlite => {
            let mut changed = 0;
            if !reserved.is_empty() {
                changed = execute(connection, |s| reserve(s, &reserved)).await?;
            }
            if !stored.is_empty() {
                execute(connection, |s| insert_reservations(s, &stored)).await?;
            }
            if !shipments.is_empty() {
                execute(connection, |s| count_shipments(s, &shipments, &day, slot)).await?;
            }
            changed
        }
        Backend::Postgres => {
            let mut statement = Statement::default();
            let sql = format!(
                "WITH reserved AS ({} RETURNING 1), kept AS ({}), counted AS ({}) \
                 SELECT COUNT(*) AS changed FROM reserved",
                reserve(&mut statement, &reserved),
                insert_reservations(&mut statement, &stored),
                count_shipments(&mut statement, &shipments, &day, slot),
            );
            let row = statement.query(&sql).fetch_one(&mut *connection).await?;
            row.try_get::<i64, _>("changed")? as u64
        }
    };
    if changed != reserved.len() as u64 {
        // Only a writer outside this store's rules could have moved the stock in between.
        return Err(StoreError::Invalid(format!(
            "stock changed while a batch was being reserved: {changed} of {} positions covered",
            reserved.len()
        )));
    }
    Ok(outcomes)
}

/// What makes the one-statement batch fail when its stock did not cover it (see
/// `write_batch_at_once`).
const STOCK_MOVED: &str = "stock moved under the batch";

/// On PostgreSQL, the usual way to write a batch: all of it in one statement, which the server
/// commits as a transaction of its own, so a batch costs one round trip instead of four. It
/// takes every new decision's holds, on the view of the stock the decisions were made on: the
/// decision rows, stock locked in position order, the stock update (which checks that each
/// position covers what is taken), the reservations and the shipment counts.
///
/// When some position did not cover what the batch takes (another replica got there first, or
/// two decisions in the batch wanted the same last units), the statement fails on purpose,
/// changing nothing, and the answer is `None`: the caller then writes the batch the careful way,
/// deciding which decisions fit. A statement has no way to abort itself, so it casts a text
/// that is not a number, and the error names the cause.
async fn write_batch_at_once(
    connection: &mut AnyConnection,
    batch: &[&PendingDecision],
) -> Result<Option<Vec<Commit>>, StoreError> {
    let mut statement = Statement::default();
    let decided = decision_rows(&mut statement, batch);
    let holds = hold_rows(&mut statement, batch);
    let (day, slot) = load_row(Backend::Postgres);
    let (day, slot) = (statement.text(&day), statement.int(slot));
    let moved = statement.text(STOCK_MOVED);
    let sql = format!(
        "WITH decided AS ({decided}), \
         held AS (SELECT w.column1 AS tenant_id, w.column2 AS order_id, w.column3 AS node, \
             w.column4 AS sku, w.column5 AS quantity \
           FROM {holds} JOIN decided d ON d.tenant_id = w.column1 AND d.order_id = w.column2), \
         taken AS (SELECT tenant_id, node, sku, CAST(SUM(quantity) AS BIGINT) AS quantity \
           FROM held GROUP BY tenant_id, node, sku), \
         locked AS (SELECT i.tenant_id, i.node, i.sku FROM inventory i JOIN taken t \
             ON i.tenant_id = t.tenant_id AND i.node = t.node AND i.sku = t.sku \
           ORDER BY i.tenant_id, i.node, i.sku FOR UPDATE OF i), \
         reserved AS (UPDATE inventory SET reserved = inventory.reserved + t.quantity \
           FROM taken t JOIN locked l \
             ON l.tenant_id = t.tenant_id AND l.node = t.node AND l.sku = t.sku \
           WHERE inventory.tenant_id = t.tenant_id AND inventory.node = t.node \
             AND inventory.sku = t.sku \
             AND inventory.on_hand - inventory.reserved - inventory.safety_stock >= t.quantity \
           RETURNING 1), \
         kept AS (INSERT INTO reservations (tenant_id, order_id, node, sku, quantity) \
           SELECT tenant_id, order_id, node, sku, quantity FROM held), \
         counted AS (INSERT INTO node_load (tenant_id, node, day, slot, shipments) \
           SELECT tenant_id, node, {day}, {slot}, COUNT(DISTINCT order_id) FROM held \
           GROUP BY tenant_id, node ORDER BY tenant_id, node \
           ON CONFLICT (tenant_id, node, day, slot) \
           DO UPDATE SET shipments = node_load.shipments + excluded.shipments) \
         SELECT d.tenant_id, d.order_id, \
           CASE WHEN (SELECT COUNT(*) FROM reserved) = (SELECT COUNT(*) FROM taken) THEN 0 \
             ELSE CAST({moved} || ' of order ' || d.order_id AS INTEGER) END AS moved \
         FROM decided d"
    );
    let rows = match statement.query(&sql).fetch_all(&mut *connection).await {
        Ok(rows) => rows,
        Err(error) if is_stock_moved(&error) => {
            tracing::debug!(
                decisions = batch.len(),
                "a batch's stock came up short; fitting its decisions one by one"
            );
            return Ok(None);
        }
        Err(error) => return Err(error.into()),
    };
    let mut new = vec![false; batch.len()];
    for row in &rows {
        let (tenant, order): (String, String) = (row.get("tenant_id"), row.get("order_id"));
        mark_new(&mut new, batch, &tenant, &order);
    }
    let mut outcomes = Vec::with_capacity(batch.len());
    for (pending, new) in batch.iter().zip(new) {
        outcomes.push(if new {
            Commit::Stored
        } else {
            already_decided(connection, pending).await?
        });
    }
    Ok(Some(outcomes))
}

/// The answer for a decision whose order was decided before: the first decision.
async fn already_decided(
    connection: &mut AnyConnection,
    pending: &PendingDecision,
) -> Result<Commit, StoreError> {
    let first = decision_of(&mut *connection, &pending.tenant, &pending.order_id).await?;
    Ok(Commit::AlreadyDecided {
        decision: first.map(|first| first.decision).unwrap_or_default(),
    })
}

/// The `node_load` row a batch counts its shipments in: today (UTC) and a slot, picked at
/// random on PostgreSQL.
fn load_row(backend: Backend) -> (String, i64) {
    let slot = match backend {
        Backend::Sqlite => 0,
        Backend::Postgres => i64::from(rand::random_range(0..LOAD_SLOTS)),
    };
    (chrono::Utc::now().format("%Y-%m-%d").to_string(), slot)
}

/// Whether `write_batch_at_once` failed because its stock did not cover it.
fn is_stock_moved(error: &sqlx::Error) -> bool {
    error.as_database_error().is_some_and(|error| {
        error.code().as_deref() == Some("22P02") && error.message().contains(STOCK_MOVED)
    })
}

/// Step 1 on SQLite: inserts the batch's decision rows; for each decision, whether it is new
/// (false when its order was decided before).
async fn insert_decisions(
    connection: &mut AnyConnection,
    batch: &[&PendingDecision],
) -> Result<Vec<bool>, StoreError> {
    let mut statement = Statement::default();
    let sql = decision_rows(&mut statement, batch);
    let rows = statement.query(&sql).fetch_all(&mut *connection).await?;
    let mut new = vec![false; batch.len()];
    for row in &rows {
        let (tenant, order): (String, String) = (row.get("tenant_id"), row.get("order_id"));
        mark_new(&mut new, batch, &tenant, &order);
    }
    Ok(new)
}

/// Step 2 on SQLite: what each position has available to promise.
async fn available_to_promise(
    connection: &mut AnyConnection,
    positions: &[(&str, &str, &str)],
) -> Result<Vec<i64>, StoreError> {
    let mut available = vec![0; positions.len()];
    if positions.is_empty() {
        return Ok(available);
    }
    let mut statement = Statement::default();
    let sql = stock_of(&mut statement, positions);
    for row in statement.query(&sql).fetch_all(&mut *connection).await? {
        let (tenant, node, sku): (String, String, String) =
            (row.get("tenant_id"), row.get("node"), row.get("sku"));
        set_available(
            &mut available,
            positions,
            (&tenant, &node, &sku),
            row.get("available"),
        );
    }
    Ok(available)
}

/// Steps 1 and 2 on PostgreSQL, in one statement: which decisions are new, and what each
/// position has available to promise, locked in order until the commit.
async fn insert_and_lock(
    connection: &mut AnyConnection,
    batch: &[&PendingDecision],
    positions: &[(&str, &str, &str)],
) -> Result<(Vec<bool>, Vec<i64>), StoreError> {
    let mut statement = Statement::default();
    let sql = format!(
        "WITH decided AS ({}), stock AS ({} FOR UPDATE OF i) \
         SELECT 'decided' AS kind, tenant_id, order_id AS node, '' AS sku, \
           CAST(0 AS BIGINT) AS available FROM decided \
         UNION ALL SELECT 'stock', tenant_id, node, sku, available FROM stock",
        decision_rows(&mut statement, batch),
        stock_of(&mut statement, positions),
    );
    let mut new = vec![false; batch.len()];
    let mut available = vec![0; positions.len()];
    for row in statement.query(&sql).fetch_all(&mut *connection).await? {
        let (tenant, node): (String, String) = (row.get("tenant_id"), row.get("node"));
        if row.get::<String, _>("kind") == "decided" {
            mark_new(&mut new, batch, &tenant, &node);
        } else {
            let sku: String = row.get("sku");
            set_available(
                &mut available,
                positions,
                (&tenant, &node, &sku),
                row.get("available"),
            );
        }
    }
    Ok((new, available))
}

fn mark_new(new: &mut [bool], batch: &[&PendingDecision], tenant: &str, order: &str) {
    if let Some(at) = batch
        .iter()
        .position(|p| p.tenant == tenant && p.order_id == order)
    {
        new[at] = true;
    }
}

/// Records a position's available to promise, never below zero.
fn set_available(
    available: &mut [i64],
    positions: &[(&str, &str, &str)],
    position: (&str, &str, &str),
    units: i64,
) {
    if let Ok(at) = positions.binary_search(&position) {
        available[at] = units.max(0);
    }
}

/// The decision rows, inserted unless their order has one: `RETURNING` names the new ones.
fn decision_rows<'a>(statement: &mut Statement<'a>, batch: &[&'a PendingDecision]) -> String {
    let now = statement.int(now_ms());
    let rows = statement.values(
        [Value::NullText; 3],
        batch.iter().map(|pending| {
            [
                Value::Text(&pending.tenant),
                Value::Text(&pending.order_id),
                Value::Text(&pending.decision),
            ]
        }),
    );
    format!(
        "INSERT INTO decisions (tenant_id, order_id, status, decision, created_at) \
         SELECT w.column1, w.column2, 'routed', w.column3, {now} FROM {rows} \
         WHERE w.column1 IS NOT NULL \
         ON CONFLICT (tenant_id, order_id) DO NOTHING RETURNING tenant_id, order_id"
    )
}

/// The positions' stock, in position order; a position the tenant does not stock has no
/// row.
fn stock_of<'a>(
    statement: &mut Statement<'a>,
    positions: &[(&'a str, &'a str, &'a str)],
) -> String {
    let wanted = statement.values(
        [Value::NullText; 3],
        positions
            .iter()
            .map(|(tenant, node, sku)| [Value::Text(tenant), Value::Text(node), Value::Text(sku)]),
    );
    format!(
        "SELECT i.tenant_id, i.node, i.sku, \
           i.on_hand - i.reserved - i.safety_stock AS available \
         FROM {wanted} JOIN inventory i ON i.tenant_id = w.column1 AND i.node = w.column2 \
           AND i.sku = w.column3 \
         ORDER BY i.tenant_id, i.node, i.sku"
    )
}

/// Runs the statement `build` writes: the rows it changed.
async fn execute<'a>(
    connection: &mut AnyConnection,
    build: impl FnOnce(&mut Statement<'a>) -> String,
) -> Result<u64, StoreError> {
    let mut statement = Statement::default();
    let sql = build(&mut statement);
    let done = statement.query(&sql).execute(connection).await?;
    Ok(done.rows_affected())
}

/// Takes back the rows of decisions that came up short.
fn delete_decisions<'a>(statement: &mut Statement<'a>, short: &[&'a PendingDecision]) -> String {
    let short = statement.values(
        [Value::NullText; 2],
        short
            .iter()
            .map(|pending| [Value::Text(&pending.tenant), Value::Text(&pending.order_id)]),
    );
    format!(
        "DELETE FROM decisions WHERE (tenant_id, order_id) IN \
         (SELECT w.column1, w.column2 FROM {short})"
    )
}

/// Adds what the batch took to each position's reserved units, in one statement that still
/// changes a position only while its available to promise covers what is taken.
fn reserve<'a>(
    statement: &mut Statement<'a>,
    reserved: &[((&'a str, &'a str, &'a str), i64)],
) -> String {
    let taken = statement.values(
        [
            Value::NullText,
            Value::NullText,
            Value::NullText,
            Value::NullInt,
        ],
        reserved.iter().map(|((tenant, node, sku), quantity)| {
            [
                Value::Text(tenant),
                Value::Text(node),
                Value::Text(sku),
                Value::Int(*quantity),
            ]
        }),
    );
    format!(
        "UPDATE inventory SET reserved = reserved + w.column4 FROM {taken} \
         WHERE inventory.tenant_id = w.column1 AND inventory.node = w.column2 \
           AND inventory.sku = w.column3 \
           AND inventory.on_hand - inventory.reserved - inventory.safety_stock >= w.column4"
    )
}

/// The decisions' holds as rows of tenant, order, node, SKU and quantity.
fn hold_rows<'a>(statement: &mut Statement<'a>, decisions: &[&'a PendingDecision]) -> String {
    statement.values(
        [
            Value::NullText,
            Value::NullText,
            Value::NullText,
            Value::NullText,
            Value::NullInt,
        ],
        decisions.iter().flat_map(|pending| {
            pending.holds.iter().map(|hold| {
                [
                    Value::Text(&pending.tenant),
                    Value::Text(&pending.order_id),
                    Value::Text(&hold.node),
                    Value::Text(&hold.sku),
                    Value::Int(hold.quantity),
                ]
            })
        }),
    )
}

/// The stored decisions' reservations.
fn insert_reservations<'a>(
    statement: &mut Statement<'a>,
    stored: &[&'a PendingDecision],
) -> String {
    let reservations = hold_rows(statement, stored);
    format!(
        "INSERT INTO reservations (tenant_id, order_id, node, sku, quantity) \
         SELECT w.column1, w.column2, w.column3, w.column4, w.column5 FROM {reservations} \
         WHERE w.column1 IS NOT NULL"
    )
}

/// How many of the stored decisions ship from each node, by tenant and node.
fn shipments_by_node<'a>(stored: &[&'a PendingDecision]) -> BTreeMap<(&'a str, &'a str), i64> {
    let mut shipments = BTreeMap::new();
    for pending in stored {
        let mut nodes: Vec<&str> = pending
            .holds
            .iter()
            .map(|hold| hold.node.as_str())
            .collect();
        nodes.dedup();
        for node in nodes {
            *shipments
                .entry((pending.tenant.as_str(), node))
                .or_default() += 1;
        }
    }
    shipments
}

/// Each node that ships in a stored decision takes one more shipment today, in `slot`.
fn count_shipments<'a>(
    statement: &mut Statement<'a>,
    shipments: &BTreeMap<(&'a str, &'a str), i64>,
    day: &'a str,
    slot: i64,
) -> String {
    let (day, slot) = (statement.text(day), statement.int(slot));
    let counts = statement.values(
        [Value::NullText, Value::NullText, Value::NullInt],
        shipments.iter().map(|((tenant, node), count)| {
            [Value::Text(tenant), Value::Text(node), Value::Int(*count)]
        }),
    );
    // The WHERE also tells SQLite that ON CONFLICT is the upsert, not a join constraint.
    format!(
        "INSERT INTO node_load (tenant_id, node, day, slot, shipments) \
         SELECT w.column1, w.column2, {day}, {slot}, w.column3 FROM {counts} \
         WHERE w.column1 IS NOT NULL \
         ON CONFLICT (tenant_id, node, day, slot) \
         DO UPDATE SET shipments = node_load.shipments + excluded.shipments"
    )
}

/// The values of a statement put together piece by piece: each one added gives the numbered
/// parameter (`$n`, which both databases take) to write into the SQL.
#[derive(Default)]
struct Statement<'a> {
    values: Vec<Value<'a>>,
}

#[derive(Clone, Copy)]
enum Value<'a> {
    Text(&'a str),
    Int(i64),
    /// Pads a list of rows; matches nothing.
    NullText,
    NullInt,
}

impl<'a> Statement<'a> {
    /// Adds a text value; its parameter, to write into the SQL.
    fn text(&mut self, value: &'a str) -> String {
        self.values.push(Value::Text(value));
        format!("${}", self.values.len())
    }

    /// Adds an integer value; its parameter, to write into the SQL.
    fn int(&mut self, value: i64) -> String {
        self.values.push(Value::Int(value));
        format!("${}", self.values.len())
    }

    /// `(VALUES ($1, $2), ($3, $4) ...) AS w` for the rows, whose columns both databases name
    /// `w.column1`, `w.column2` and so on. The rows are padded with nulls to a power of two,
    /// so that batches of similar size share one statement text, which each connection
    /// prepares once instead of planning every batch anew; a null matches no row, and
    /// inserts skip them with `WHERE w.column1 IS NOT NULL`. `padding` is the row of nulls,
    /// each typed like its column, as PostgreSQL wants one type per column.
    fn values<const N: usize>(
        &mut self,
        padding: [Value<'a>; N],
        rows: impl Iterator<Item = [Value<'a>; N]>,
    ) -> String {
        let mut rows: Vec<[Value<'a>; N]> = rows.collect();
        let padded = rows.len().max(1).next_power_of_two();
        rows.resize(padded, padding);
        let rows: Vec<String> = rows
            .into_iter()
            .map(|row| {
                let places: Vec<String> = row
                    .into_iter()
                    .map(|value| {
                        self.values.push(value);
                        format!("${}", self.values.len())
                    })
                    .collect();
                format!("({})", places.join(", "))
            })
            .collect();
        format!("(VALUES {}) AS w", rows.join(", "))
    }

    fn query<'q>(
        &'q self,
        sql: &'q str,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        let mut query = sqlx::query(sql);
        for value in &self.values {
            query = match value {
                Value::Text(text) => query.bind(*text),
                Value::Int(int) => query.bind(*int),
                Value::NullText => query.bind(None::<String>),
                Value::NullInt => query.bind(None::<i64>),
            };
        }
        query
    }
}

fn position_of(row: &sqlx::any::AnyRow) -> Position {
    Position {
        node: row.get("node"),
        sku: row.get("sku"),
        on_hand: row.get("on_hand"),
        reserved: row.get("reserved"),
        safety_stock: row.get("safety_stock"),
    }
}
