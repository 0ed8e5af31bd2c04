//! A tenant's network and stock: replacing the network (nodes, SKUs, carrier services with their
//! rates, holidays and the routing policy), inventory snapshots, and inventory events (receipt,
//! adjustment, pick confirm, ship), each applied once per event id.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use tracing::info;

use super::problem::{Json, Problem};
use super::tenants::NetworkBody;
use super::{AppState, TenantAuth};
use crate::model::Network;
use crate::store::{Event, EventKind, Position};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NetworkSummary {
    pub nodes: usize,
    pub skus: usize,
    pub services: usize,
}

/// Replaces the tenant's network and routing policy. Every problem in the network is reported
/// at once, each with its path.
#[utoipa::path(put, path = "/v1/network", tag = "network",
    security(("tenant_key" = [])),
    request_body(content = Object, description = "`nodes`, `skus`, `services` (each with `rates`: \
        rows of nine zone prices in cents per whole pound), optional `holidays` and `policy`; \
        the shapes of examples/networks/us-retail"),
    responses(
        (status = 200, body = NetworkSummary),
        (status = 422, body = Problem),
    ))]
pub async fn put_network(
    TenantAuth(tenant): TenantAuth,
    State(state): State<AppState>,
    Json(body): Json<NetworkBody>,
) -> Result<axum::Json<NetworkSummary>, Problem> {
    let (parts, policy) = body.split();
    let network = Network::new(parts.clone()).map_err(|error| {
        let first = error.problems[0].location.clone();
        Problem::invalid(Some(first), error.to_string())
    })?;
    let parts = serde_json::to_string(&parts).map_err(Problem::internal)?;
    let policy = serde_json::to_string(&policy).map_err(Problem::internal)?;
    state.store.put_network(&tenant, &parts, &policy).await?;
    state.tenants.reload(&tenant).await?;
    info!(tenant = %tenant, nodes = network.nodes().len(), "network replaced");
    Ok(axum::Json(NetworkSummary {
        nodes: network.nodes().len(),
        skus: network.skus().len(),
        services: network.services().len(),
    }))
}

/// The tenant's network and policy, as last loaded.
#[utoipa::path(get, path = "/v1/network", tag = "network",
    security(("tenant_key" = [])),
    responses(
        (status = 200, body = Object),
        (status = 404, body = Problem, description = "No network loaded yet"),
    ))]
pub async fn get_network(
    TenantAuth(tenant): TenantAuth,
    State(state): State<AppState>,
) -> Result<axum::Json<NetworkBody>, Problem> {
    let found = state.tenants.get(&tenant).await?;
    let network = found
        .network
        .as_ref()
        .ok_or_else(|| Problem::not_found("no network is loaded; PUT /v1/network first"))?;
    Ok(axum::Json(NetworkBody::new(
        network.to_parts(),
        found.policy.clone(),
    )))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InventorySnapshot {
    pub positions: Vec<SnapshotPosition>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotPosition {
    pub node: String,
    pub sku: String,
    pub on_hand: u32,
    #[serde(default)]
    pub safety_stock: u32,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InventoryView {
    pub positions: Vec<PositionView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PositionView {
    pub node: String,
    pub sku: String,
    pub on_hand: i64,
    pub reserved: i64,
    pub safety_stock: i64,
    /// Available to promise: on hand less reserved less safety stock.
    pub available: i64,
}

/// Replaces on-hand and safety stock with a snapshot. Reservations stay as they are.
#[utoipa::path(put, path = "/v1/inventory", tag = "inventory",
    security(("tenant_key" = [])),
    request_body = InventorySnapshot,
    responses(
        (status = 200, body = InventoryView),
        (status = 409, body = Problem, description = "No network loaded yet"),
        (status = 422, body = Problem),
    ))]
pub async fn put_inventory(
    TenantAuth(tenant): TenantAuth,
    State(state): State<AppState>,
    Json(body): Json<InventorySnapshot>,
) -> Result<axum::Json<InventoryView>, Problem> {
    let found = state.tenants.get(&tenant).await?;
    let network = found.network.as_ref().ok_or_else(|| {
        Problem::conflict("load a network (PUT /v1/network) before its inventory")
    })?;
    let mut seen = std::collections::HashSet::new();
    for (at, position) in body.positions.iter().enumerate() {
        if network.node_index(&position.node).is_none() {
            return Err(Problem::invalid(
                Some(format!("positions[{at}].node")),
                format!("unknown node `{}`", position.node),
            ));
        }
        if network.sku_index(&position.sku).is_none() {
            return Err(Problem::invalid(
                Some(format!("positions[{at}].sku")),
                format!("unknown SKU `{}`", position.sku),
            ));
        }
        if !seen.insert((&position.node, &position.sku)) {
            return Err(Problem::invalid(
                Some(format!("positions[{at}]")),
                format!(
                    "a second position for node `{}` and SKU `{}`",
                    position.node, position.sku
                ),
            ));
        }
    }
    let positions: Vec<Position> = body
        .positions
        .iter()
        .map(|position| Position {
            node: position.node.clone(),
            sku: position.sku.clone(),
            on_hand: position.on_hand.into(),
            reserved: 0,
            safety_stock: position.safety_stock.into(),
        })
        .collect();
    state.store.replace_inventory(&tenant, &positions).await?;
    state.tenants.refresh_stock(&found).await?;
    info!(tenant = %tenant, positions = positions.len(), "inventory snapshot");
    inventory_view(&state, &tenant).await
}

/// The tenant's stock by node and SKU.
#[utoipa::path(get, path = "/v1/inventory", tag = "inventory",
    security(("tenant_key" = [])),
    responses((status = 200, body = InventoryView)))]
pub async fn get_inventory(
    TenantAuth(tenant): TenantAuth,
    State(state): State<AppState>,
) -> Result<axum::Json<InventoryView>, Problem> {
    inventory_view(&state, &tenant).await
}

async fn inventory_view(
    state: &AppState,
    tenant: &str,
) -> Result<axum::Json<InventoryView>, Problem> {
    let positions = state
        .store
        .inventory(tenant)
        .await?
        .into_iter()
        .map(|position| PositionView {
            available: position.available(),
            node: position.node,
            sku: position.sku,
            on_hand: position.on_hand,
            reserved: position.reserved,
            safety_stock: position.safety_stock,
        })
        .collect();
    Ok(axum::Json(InventoryView { positions }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    /// Unique per event: the same id sent again changes nothing.
    pub id: String,
    #[schema(value_type = String, example = "receipt")]
    pub kind: EventKind,
    pub node: String,
    pub sku: String,
    /// Units; an adjustment may be negative.
    pub quantity: i64,
    /// The order a `pick_confirm` or `ship` is for.
    #[serde(default)]
    pub order_id: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventApplied {
    /// False when the event id was seen before and nothing changed.
    pub applied: bool,
}

/// Applies an inventory event once per event id.
#[utoipa::path(post, path = "/v1/inventory/events", tag = "inventory",
    security(("tenant_key" = [])),
    request_body = EventBody,
    responses(
        (status = 200, body = EventApplied),
        (status = 422, body = Problem),
    ))]
pub async fn post_event(
    TenantAuth(tenant): TenantAuth,
    State(state): State<AppState>,
    Json(body): Json<EventBody>,
) -> Result<axum::Json<EventApplied>, Problem> {
    if body.id.is_empty() {
        return Err(Problem::invalid(Some("id".into()), "the event id is empty"));
    }
    let found = state.tenants.get(&tenant).await?;
    if let Some(network) = &found.network {
        if network.node_index(&body.node).is_none() {
            return Err(Problem::invalid(
                Some("node".into()),
                format!("unknown node `{}`", body.node),
            ));
        }
        if network.sku_index(&body.sku).is_none() {
            return Err(Problem::invalid(
                Some("sku".into()),
                format!("unknown SKU `{}`", body.sku),
            ));
        }
    }
    let event = Event {
        id: body.id,
        kind: body.kind,
        node: body.node,
        sku: body.sku,
        quantity: body.quantity,
        order_id: body.order_id,
    };
    let applied = state.store.apply_event(&tenant, &event).await?;
    if applied {
        state.tenants.refresh_skus(&found, &[&event.sku]).await?;
    }
    Ok(axum::Json(EventApplied { applied }))
}
