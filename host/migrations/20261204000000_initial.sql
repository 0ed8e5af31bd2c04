-- Tenants, their API keys, live stock, decisions and the reservations they hold, and the
-- inventory events already applied. The SQL is the subset SQLite and PostgreSQL share: text,
-- 64-bit integers, composite primary keys. Times are Unix milliseconds.

CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Keys are stored as the SHA-256 of the key, never the key itself.
CREATE TABLE api_keys (
    hash TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id);

CREATE TABLE inventory (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    node TEXT NOT NULL,
    sku TEXT NOT NULL,
    on_hand BIGINT NOT NULL,
    reserved BIGINT NOT NULL,
    safety_stock BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, node, sku),
    CHECK (on_hand >= 0 AND reserved >= 0 AND safety_stock >= 0)
);

-- One row per order: routing the same order again returns this decision.
CREATE TABLE decisions (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    order_id TEXT NOT NULL,
    status TEXT NOT NULL,
    decision TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, order_id)
);

-- What a decision holds back from available to promise, until it ships or is cancelled.
CREATE TABLE reservations (
    tenant_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    node TEXT NOT NULL,
    sku TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, order_id, node, sku),
    FOREIGN KEY (tenant_id, order_id) REFERENCES decisions (tenant_id, order_id)
);

CREATE TABLE inventory_events (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    event_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    node TEXT NOT NULL,
    sku TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    applied_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, event_id)
);
