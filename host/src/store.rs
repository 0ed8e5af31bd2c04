//! Durable state: tenants and their API keys, live stock, decisions and the reservations they
//! hold, and the inventory events already applied. Embedded SQLite by default, PostgreSQL when
//! several replicas share state; the same SQL runs on both through sqlx's `Any` driver, and the
//! schema migrations in `host/migrations/` run when a store opens.
//!
//! Correctness rests on the database, not on the process: a reservation is one conditional
//! `UPDATE` that only succeeds while available to promise covers it, so concurrent decisions for
//! scarce stock can never reserve more than there is, on one replica or many; and a decision and
//! its reservations are written in one transaction keyed by the order id, so routing an order
//! twice reserves once, and a crash leaves either both or neither.
//!
//! This is the storage layer of the HTTP service; the service itself is built on top of it.

use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Row};
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// Units arrived: on hand goes up.
    Receipt,
    /// A count correction, up or down.
    Adjustment,
}

impl EventKind {
    fn name(self) -> &'static str {
        match self {
            EventKind::Receipt => "receipt",
            EventKind::Adjustment => "adjustment",
        }
    }
}

/// The database, migrated and pooled.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
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
        let pool = AnyPoolOptions::new()
            .max_connections(16)
            .connect(&url)
            .await?;
        if backend == Backend::Sqlite {
            // Readers never wait for the writer, and writers queue instead of failing at once.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await?;
        }
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store { pool, backend })
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
        let mut tx = self.pool.begin().await?;
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
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        tenant: &str,
    ) -> Result<(), StoreError> {
        let found = sqlx::query("SELECT id FROM tenants WHERE id = $1")
            .bind(tenant)
            .fetch_optional(&mut **tx)
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
        let mut tx = self.pool.begin().await?;
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
        Ok(rows
            .iter()
            .map(|row| Position {
                node: row.get("node"),
                sku: row.get("sku"),
                on_hand: row.get("on_hand"),
                reserved: row.get("reserved"),
                safety_stock: row.get("safety_stock"),
            })
            .collect())
    }

    /// Stores a decision and reserves what it ships, all or nothing. See [`Commit`].
    pub async fn commit_decision(
        &self,
        tenant: &str,
        order_id: &str,
        decision: &str,
        holds: &[Hold],
    ) -> Result<Commit, StoreError> {
        let mut tx = self.pool.begin().await?;

        // The decision row first: a second decision for the order stops here.
        let inserted = sqlx::query(
            "INSERT INTO decisions (tenant_id, order_id, status, decision, created_at) \
             VALUES ($1, $2, 'routed', $3, $4) ON CONFLICT (tenant_id, order_id) DO NOTHING",
        )
        .bind(tenant)
        .bind(order_id)
        .bind(decision)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            tx.rollback().await?;
            let stored = self.decision(tenant, order_id).await?;
            return Ok(Commit::AlreadyDecided {
                decision: stored.map(|s| s.decision).unwrap_or_default(),
            });
        }

        // Then each hold, in one order so that two decisions never wait on each other.
        let mut holds = holds.to_vec();
        holds.sort();
        for hold in &holds {
            let reserved = sqlx::query(
                "UPDATE inventory SET reserved = reserved + $1 \
                 WHERE tenant_id = $2 AND node = $3 AND sku = $4 \
                 AND on_hand - reserved - safety_stock >= $1",
            )
            .bind(hold.quantity)
            .bind(tenant)
            .bind(&hold.node)
            .bind(&hold.sku)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if reserved == 0 {
                tx.rollback().await?;
                let row = sqlx::query(
                    "SELECT on_hand - reserved - safety_stock AS available FROM inventory \
                     WHERE tenant_id = $1 AND node = $2 AND sku = $3",
                )
                .bind(tenant)
                .bind(&hold.node)
                .bind(&hold.sku)
                .fetch_optional(&self.pool)
                .await?;
                let available = row.map_or(0, |row| row.get::<i64, _>("available").max(0));
                return Ok(Commit::Short {
                    hold: hold.clone(),
                    available,
                });
            }
            sqlx::query(
                "INSERT INTO reservations (tenant_id, order_id, node, sku, quantity) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(tenant)
            .bind(order_id)
            .bind(&hold.node)
            .bind(&hold.sku)
            .bind(hold.quantity)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Commit::Stored)
    }

    /// A stored decision, if the order was decided.
    pub async fn decision(
        &self,
        tenant: &str,
        order_id: &str,
    ) -> Result<Option<StoredDecision>, StoreError> {
        let row = sqlx::query(
            "SELECT status, decision FROM decisions WHERE tenant_id = $1 AND order_id = $2",
        )
        .bind(tenant)
        .bind(order_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|row| StoredDecision {
            status: row.get("status"),
            decision: row.get("decision"),
        }))
    }

    /// What a decision holds, by node and SKU.
    pub async fn holds(&self, tenant: &str, order_id: &str) -> Result<Vec<Hold>, StoreError> {
        holds_of(&self.pool, tenant, order_id).await
    }

    /// Cancels a routed order and gives back what it reserved. False when there is no routed
    /// order of that id (never decided, or already cancelled).
    pub async fn cancel(&self, tenant: &str, order_id: &str) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let cancelled = sqlx::query(
            "UPDATE decisions SET status = 'cancelled' \
             WHERE tenant_id = $1 AND order_id = $2 AND status = 'routed'",
        )
        .bind(tenant)
        .bind(order_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if cancelled == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        for hold in holds_of(&mut *tx, tenant, order_id).await? {
            sqlx::query(
                "UPDATE inventory SET reserved = reserved - $1 \
                 WHERE tenant_id = $2 AND node = $3 AND sku = $4",
            )
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
    /// false. A change that would leave less than nothing on hand, or less than is reserved, is
    /// refused and not recorded.
    pub async fn apply_event(
        &self,
        tenant: &str,
        event_id: &str,
        kind: EventKind,
        node: &str,
        sku: &str,
        quantity: i64,
    ) -> Result<bool, StoreError> {
        if kind == EventKind::Receipt && quantity <= 0 {
            return Err(StoreError::Invalid(format!(
                "a receipt adds units: quantity {quantity} must be above 0"
            )));
        }
        let mut tx = self.pool.begin().await?;
        self.require_tenant(&mut tx, tenant).await?;
        let recorded = sqlx::query(
            "INSERT INTO inventory_events \
             (tenant_id, event_id, kind, node, sku, quantity, applied_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, event_id) DO NOTHING",
        )
        .bind(tenant)
        .bind(event_id)
        .bind(kind.name())
        .bind(node)
        .bind(sku)
        .bind(quantity)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if recorded == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
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
            return Err(StoreError::Invalid(format!(
                "{sku} at {node}: an adjustment of {quantity} would leave less on hand than is \
                 reserved"
            )));
        }
        tx.commit().await?;
        Ok(true)
    }
}

/// What a decision holds, read through a pool or inside a transaction.
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
