//! Orders: routing one (decide, then store the decision with its reservations), quoting one
//! (decide only), reading a decision, cancelling an order and confirming its shipment.
//!
//! Routing decides on this replica's view of stock, then asks the store to reserve what the
//! plan ships. The store's reservation is conditional, so a view that was a moment old can
//! never oversell: a short reservation reloads the stock view and decides again, a few times
//! at most. An order id decided before gets its first decision back, unchanged.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::value::RawValue;
use tracing::{Span, debug};

use super::metrics::{ReservationLabels, TenantLabels};
use super::problem::{Json, Problem};
use super::tenants::Tenant;
use super::{AppState, TenantAuth};
use crate::decision::Decision;
use crate::model::Order;
use crate::optimizer::{RouteError, route_with};
use crate::rules::NoRules;
use crate::store::{Commit, Hold};

/// Decisions tried for one order when stock keeps moving under it.
const ATTEMPTS: usize = 3;

/// An order's decision as the store keeps it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrderRecord {
    pub order_id: String,
    /// `routed`, `cancelled` or `shipped` for a stored decision; `unfulfillable` or `quoted`
    /// for one that reserved nothing and was not stored.
    pub status: String,
    /// True when the order was decided before and this is that first decision.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub replayed: bool,
    /// What the decision holds back from available to promise.
    pub reservations: Vec<HoldView>,
    /// The decision with its explanation: the plan, its cost breakdown, the alternatives, a
    /// verdict per node, plans rules ruled out, and what each plugin did.
    #[schema(value_type = Object)]
    pub decision: Box<RawValue>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HoldView {
    pub node: String,
    pub sku: String,
    pub quantity: i64,
}

impl From<Hold> for HoldView {
    fn from(hold: Hold) -> HoldView {
        HoldView {
            node: hold.node,
            sku: hold.sku,
            quantity: hold.quantity,
        }
    }
}

/// Routes an order: decides it and reserves what it ships.
#[utoipa::path(post, path = "/v1/orders", tag = "orders",
    security(("tenant_key" = [])),
    request_body(content = Object, description = "An order: `id`, `customer`, `ship_to`, `lines`, \
        `service_level` or `deliver_by`, `placed_at`; see examples/orders"),
    responses(
        (status = 201, body = OrderRecord, description = "Decided and reserved"),
        (status = 200, body = OrderRecord, description = "Decided before (`replayed`), or \
            unfulfillable and not stored"),
        (status = 409, body = Problem, description = "Stock kept moving; try again"),
        (status = 422, body = Problem, description = "The order is not valid"),
        (status = 503, body = Problem, description = "A fail-closed plugin failed"),
    ))]
pub async fn route_order(
    TenantAuth(tenant): TenantAuth,
    State(state): State<AppState>,
    Json(order): Json<Order>,
) -> Result<(StatusCode, axum::Json<OrderRecord>), Problem> {
    route_and_reserve(&state, &tenant, order).await
}

/// Decides an order and stores it with its reservations; shared by the API and the webhook.
pub async fn route_and_reserve(
    state: &AppState,
    tenant: &str,
    order: Order,
) -> Result<(StatusCode, axum::Json<OrderRecord>), Problem> {
    Span::current().record("order_id", &*order.id);
    let order = Arc::new(order);
    let skus: Vec<&str> = order.lines.iter().map(|line| &*line.sku).collect();
    let mut live = state.tenants.get(tenant).await?;
    for attempt in 1..=ATTEMPTS {
        let decision = decide(state, &live, order.clone()).await?;
        let Some(plan) = &decision.plan else {
            // Nothing fits on this view; a fresher one might, once.
            if attempt == 1 {
                state.tenants.refresh_skus(&live, &skus).await?;
                continue;
            }
            state.metrics.decided(tenant, "unfulfillable");
            let answer = record(
                &order.id,
                "unfulfillable".into(),
                to_json(&decision)?,
                Vec::new(),
            )?;
            return Ok((StatusCode::OK, axum::Json(answer)));
        };

        // The units each node ships, by SKU.
        let mut units: BTreeMap<(&str, &str), i64> = BTreeMap::new();
        for shipment in &plan.shipments {
            for line in &shipment.lines {
                *units.entry((&shipment.node, &line.sku)).or_default() += line.quantity as i64;
            }
        }
        let holds: Vec<Hold> = units
            .into_iter()
            .map(|((node, sku), quantity)| Hold {
                node: node.to_string(),
                sku: sku.to_string(),
                quantity,
            })
            .collect();

        let json = to_json(&decision)?;
        let reservations = |outcome| ReservationLabels {
            tenant: tenant.to_string(),
            outcome,
        };
        match state
            .store
            .commit_decision(tenant, &order.id, &json, &holds)
            .await?
        {
            Commit::Stored => {
                live.reserved(&holds);
                state
                    .metrics
                    .reservations
                    .get_or_create(&reservations("stored"))
                    .inc();
                let units = holds.iter().map(|hold| hold.quantity as u64).sum();
                state
                    .metrics
                    .reserved_units
                    .get_or_create(&TenantLabels {
                        tenant: tenant.to_string(),
                    })
                    .inc_by(units);
                state.metrics.decided(tenant, "routed");
                let answer = record(&order.id, "routed".into(), json, holds)?;
                return Ok((StatusCode::CREATED, axum::Json(answer)));
            }
            Commit::AlreadyDecided { .. } => {
                state.metrics.decided(tenant, "replayed");
                let mut stored = read_record(state, tenant, &order.id).await?;
                stored.replayed = true;
                return Ok((StatusCode::OK, axum::Json(stored)));
            }
            Commit::Short { hold, available } => {
                state
                    .metrics
                    .reservations
                    .get_or_create(&reservations("short"))
                    .inc();
                debug!(
                    node = %hold.node,
                    sku = %hold.sku,
                    wanted = hold.quantity,
                    available,
                    attempt,
                    "reservation short; deciding again on fresh stock"
                );
                live = state.tenants.get(tenant).await?;
                state.tenants.refresh_skus(&live, &skus).await?;
            }
        }
    }
    state.metrics.decided(tenant, "failed");
    Err(Problem::conflict(format!(
        "stock for this order changed {ATTEMPTS} times while it was being reserved; send it again"
    )))
}

/// Decides an order without reserving anything.
#[utoipa::path(post, path = "/v1/quotes", tag = "orders",
    security(("tenant_key" = [])),
    request_body(content = Object, description = "An order, as for POST /v1/orders"),
    responses(
        (status = 200, body = OrderRecord),
        (status = 422, body = Problem),
        (status = 503, body = Problem, description = "A fail-closed plugin failed"),
    ))]
pub async fn quote_order(
    TenantAuth(tenant): TenantAuth,
    State(state): State<AppState>,
    Json(order): Json<Order>,
) -> Result<axum::Json<OrderRecord>, Problem> {
    Span::current().record("order_id", &*order.id);
    let live = state.tenants.get(&tenant).await?;
    let id = order.id.clone();
    let decision = decide(&state, &live, Arc::new(order)).await?;
    state.metrics.decided(&tenant, "quoted");
    record(&id, "quoted".into(), to_json(&decision)?, Vec::new()).map(axum::Json)
}

/// Decides on the tenant's current view, with its plugins (off the async threads, since a
/// plugin may run for its whole deadline).
async fn decide(
    state: &AppState,
    tenant: &Arc<Tenant>,
    order: Arc<Order>,
) -> Result<Decision, Problem> {
    let network = tenant
        .network
        .clone()
        .ok_or_else(|| Problem::conflict("the tenant has no network yet; PUT /v1/network first"))?;
    let started = Instant::now();
    let decided = match tenant.plugins.clone() {
        Some(plugins) => {
            let tenant = tenant.clone();
            tokio::task::spawn_blocking(move || {
                tenant.with_stock(|stock| {
                    route_with(&network, stock, &tenant.policy, &order, &plugins)
                })
            })
            .await
            .map_err(Problem::internal)?
        }
        None => {
            tenant.with_stock(|stock| route_with(&network, stock, &tenant.policy, &order, &NoRules))
        }
    };
    state
        .metrics
        .decision_seconds
        .get_or_create(&TenantLabels {
            tenant: tenant.id.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    let decision = decided.map_err(|error| match &error {
        RouteError::Plugin(failure) => {
            state.metrics.plugin_failed(&tenant.id, &failure.plugin);
            state.metrics.decided(&tenant.id, "failed");
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "plugin-failed",
                "A plugin failed",
                failure.to_string(),
            )
            .with_field(error.field())
        }
        _ => {
            state.metrics.decided(&tenant.id, "invalid");
            Problem::invalid(Some(error.field()), error.to_string())
        }
    })?;
    state.metrics.plugins_ran(&tenant.id, &decision);
    Ok(decision)
}

/// A decision's JSON, its status and its holds as the API answers them.
fn record(
    order_id: &str,
    status: String,
    decision: String,
    holds: Vec<Hold>,
) -> Result<OrderRecord, Problem> {
    Ok(OrderRecord {
        order_id: order_id.to_string(),
        status,
        replayed: false,
        reservations: holds.into_iter().map(HoldView::from).collect(),
        decision: RawValue::from_string(decision).map_err(Problem::internal)?,
    })
}

fn to_json(decision: &Decision) -> Result<String, Problem> {
    serde_json::to_string(decision).map_err(Problem::internal)
}

async fn read_record(
    state: &AppState,
    tenant: &str,
    order_id: &str,
) -> Result<OrderRecord, Problem> {
    let stored = state
        .store
        .decision(tenant, order_id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no decision for order `{order_id}`")))?;
    let holds = state.store.holds(tenant, order_id).await?;
    record(order_id, stored.status, stored.decision, holds)
}

/// An order's stored decision with its explanation and what it still holds.
#[utoipa::path(get, path = "/v1/orders/{order_id}", tag = "orders",
    security(("tenant_key" = [])),
    params(("order_id" = String, Path)),
    responses(
        (status = 200, body = OrderRecord),
        (status = 404, body = Problem),
    ))]
pub async fn get_order(
    TenantAuth(tenant): TenantAuth,
    State(state): State<AppState>,
    Path(order_id): Path<String>,
) -> Result<axum::Json<OrderRecord>, Problem> {
    Span::current().record("order_id", order_id.as_str());
    read_record(&state, &tenant, &order_id)
        .await
        .map(axum::Json)
}

/// Cancels a routed order and releases what it reserved.
#[utoipa::path(post, path = "/v1/orders/{order_id}/cancel", tag = "orders",
    security(("tenant_key" = [])),
    params(("order_id" = String, Path)),
    responses(
        (status = 200, body = OrderRecord),
        (status = 404, body = Problem),
        (status = 409, body = Problem, description = "Already cancelled or shipped"),
    ))]
pub async fn cancel_order(
    TenantAuth(tenant): TenantAuth,
    State(state): State<AppState>,
    Path(order_id): Path<String>,
) -> Result<axum::Json<OrderRecord>, Problem> {
    close(&state, &tenant, &order_id, "cancelled").await
}

/// Confirms that a routed order shipped: its reserved units leave on hand.
#[utoipa::path(post, path = "/v1/orders/{order_id}/ship", tag = "orders",
    security(("tenant_key" = [])),
    params(("order_id" = String, Path)),
    responses(
        (status = 200, body = OrderRecord),
        (status = 404, body = Problem),
        (status = 409, body = Problem, description = "Already cancelled or shipped"),
    ))]
pub async fn ship_order(
    TenantAuth(tenant): TenantAuth,
    State(state): State<AppState>,
    Path(order_id): Path<String>,
) -> Result<axum::Json<OrderRecord>, Problem> {
    close(&state, &tenant, &order_id, "shipped").await
}

/// Cancels an order or confirms its shipment, then rereads the stock of the SKUs it held.
async fn close(
    state: &AppState,
    tenant: &str,
    order_id: &str,
    became: &str,
) -> Result<axum::Json<OrderRecord>, Problem> {
    Span::current().record("order_id", order_id);
    let held = state.store.holds(tenant, order_id).await?;
    let changed = match became {
        "shipped" => state.store.confirm_shipment(tenant, order_id).await?,
        _ => state.store.cancel(tenant, order_id).await?,
    };
    let record = read_record(state, tenant, order_id).await?;
    if !changed {
        return Err(Problem::conflict(format!(
            "order `{order_id}` is {}, so it cannot be {became}",
            record.status
        )));
    }
    let skus: Vec<&str> = held.iter().map(|hold| hold.sku.as_str()).collect();
    let live = state.tenants.get(tenant).await?;
    state.tenants.refresh_skus(&live, &skus).await?;
    Ok(axum::Json(record))
}
