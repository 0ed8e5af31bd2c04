-- What the HTTP service adds: each tenant's network and policy, its plugins and which of them
-- are active, its webhook secret, and the shipments each node took per day. `revision` counts
-- changes to a tenant's network or plugins; replicas poll it to know when to reload.

ALTER TABLE tenants ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;

-- The secret Shopify signs webhooks with. It is needed in the clear to check a signature.
ALTER TABLE tenants ADD COLUMN webhook_secret TEXT;

CREATE TABLE networks (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id),
    -- The network's parts and the tenant policy, as JSON.
    network TEXT NOT NULL,
    policy TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Every uploaded version of every plugin, named by the SHA-256 of its bytes.
CREATE TABLE plugin_versions (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    kind TEXT NOT NULL,
    wasm BYTEA NOT NULL,
    uploaded_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name, version)
);

-- Each activation is a whole plugin manifest: which versions run, in what order, with what
-- configuration. The live one is the newest that was not rolled back.
CREATE TABLE plugin_activations (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    revision BIGINT NOT NULL,
    manifest TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    rolled_back_at BIGINT,
    PRIMARY KEY (tenant_id, revision)
);

-- Shipments a node took on a day (UTC), for capacity: the sum over the node's slots. Every
-- decision counts one at each node it ships from, so a busy node's count is spread over a few
-- rows that concurrent decisions pick at random, instead of one row they all queue for.
CREATE TABLE node_load (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    node TEXT NOT NULL,
    day TEXT NOT NULL,
    slot BIGINT NOT NULL,
    shipments BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, node, day, slot)
);

-- Picks and shipments name the order whose reservation they act on.
ALTER TABLE inventory_events ADD COLUMN order_id TEXT;

-- Routing rereads the stock of an order's SKUs across all nodes.
CREATE INDEX inventory_by_sku ON inventory (tenant_id, sku);
