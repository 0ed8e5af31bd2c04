//! Shopify's `orders/create` webhook. Shopify signs the raw body with the shop's secret
//! (HMAC-SHA256, base64, in `X-Shopify-Hmac-Sha256`); a body whose signature does not check
//! out is refused before it is read. A signed order is mapped to ours and routed like any
//! order, so a webhook delivered twice reserves once.
//!
//! The mapping: the order id is `shopify-<id>`; each line item's `sku` and `quantity` become a
//! line (a line item without a SKU cannot be routed and is an error); the shipping address's
//! `zip` and `country_code` are the destination, residential unless it names a `company`; the
//! first shipping line's title or code chooses the service level (`overnight`, `next day` or
//! `express` is overnight, `2 day` or `two day` is two-day, anything else ground); a customer
//! tag that names a tier of the tenant's policy sets the tier; `created_at` is when it was
//! placed.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{KeyInit, Mac};
use serde::Deserialize;

use super::AppState;
use super::orders::{OrderRecord, route_and_reserve};
use super::problem::{Problem, body_bytes, parse};
use crate::geo::Zip5;
use crate::model::{Customer, Order, OrderLine, ServiceLevel, ShipTo};

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-shopify-hmac-sha256";

#[derive(Debug, Deserialize)]
struct ShopifyOrder {
    id: u64,
    created_at: DateTime<Utc>,
    #[serde(default)]
    customer: Option<ShopifyCustomer>,
    shipping_address: ShopifyAddress,
    line_items: Vec<ShopifyLine>,
    #[serde(default)]
    shipping_lines: Vec<ShopifyShippingLine>,
}

#[derive(Debug, Deserialize)]
struct ShopifyCustomer {
    id: u64,
    /// Comma-separated.
    #[serde(default)]
    tags: String,
}

#[derive(Debug, Deserialize)]
struct ShopifyAddress {
    zip: String,
    #[serde(default = "united_states")]
    country_code: String,
    #[serde(default)]
    company: Option<String>,
}

fn united_states() -> String {
    "US".into()
}

#[derive(Debug, Deserialize)]
struct ShopifyLine {
    #[serde(default)]
    sku: Option<String>,
    quantity: u32,
}

#[derive(Debug, Deserialize)]
struct ShopifyShippingLine {
    #[serde(default)]
    title: String,
    #[serde(default)]
    code: Option<String>,
}

/// Routes an order Shopify created. Authenticated by the signature, not an API key.
#[utoipa::path(post, path = "/v1/webhooks/shopify/{tenant_id}/orders-create", tag = "webhooks",
    params(
        ("tenant_id" = String, Path),
        ("X-Shopify-Hmac-Sha256" = String, Header, description = "Base64 HMAC-SHA256 of the body \
            with the tenant's webhook secret"),
    ),
    request_body(content = Object, description = "Shopify's order payload"),
    responses(
        (status = 201, body = OrderRecord),
        (status = 200, body = OrderRecord, description = "Delivered before, or unfulfillable"),
        (status = 401, body = Problem, description = "Missing or wrong signature"),
        (status = 422, body = Problem),
    ))]
pub async fn shopify_orders_create(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    request: Request,
) -> Result<(StatusCode, axum::Json<OrderRecord>), Problem> {
    let signature = request
        .headers()
        .get(SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string)
        .ok_or_else(|| {
            Problem::unauthorized(format!("the `{SIGNATURE_HEADER}` header is missing"))
        })?;
    let body = body_bytes(request, &state).await?;

    // The signature first: nothing of an unsigned body is looked at.
    let refused = || Problem::unauthorized("the webhook signature does not match");
    let secret = state
        .store
        .webhook_secret(&tenant)
        .await?
        .ok_or_else(refused)?;
    let expected = base64::engine::general_purpose::STANDARD
        .decode(signature.trim())
        .map_err(|_| refused())?;
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).map_err(Problem::internal)?;
    mac.update(&body);
    mac.verify_slice(&expected).map_err(|_| refused())?;
    tracing::Span::current().record("tenant", tenant.as_str());

    let payload: ShopifyOrder = parse(&body)?;
    let tiers: BTreeSet<String> = {
        let live = state.tenants.get(&tenant).await?;
        live.policy.tiers.keys().cloned().collect()
    };
    let order = to_order(payload, &tiers)?;
    route_and_reserve(&state, &tenant, order).await
}

fn to_order(payload: ShopifyOrder, tiers: &BTreeSet<String>) -> Result<Order, Problem> {
    let mut lines = Vec::new();
    for (at, item) in payload.line_items.iter().enumerate() {
        let sku = item
            .sku
            .as_deref()
            .filter(|sku| !sku.is_empty())
            .ok_or_else(|| {
                Problem::invalid(
                    Some(format!("line_items[{at}].sku")),
                    "a line item without a SKU cannot be routed",
                )
            })?;
        lines.push(OrderLine {
            sku: sku.into(),
            quantity: item.quantity,
        });
    }
    let zip: Zip5 = serde_json::from_value(serde_json::Value::String(
        payload.shipping_address.zip.clone(),
    ))
    .map_err(|error| Problem::invalid(Some("shipping_address.zip".into()), error.to_string()))?;
    let level = payload
        .shipping_lines
        .first()
        .map(|line| {
            let text = format!("{} {}", line.title, line.code.as_deref().unwrap_or(""))
                .to_lowercase()
                .replace('-', " ");
            if ["overnight", "next day", "express"]
                .iter()
                .any(|w| text.contains(w))
            {
                ServiceLevel::Overnight
            } else if ["2 day", "two day", "2day"]
                .iter()
                .any(|w| text.contains(w))
            {
                ServiceLevel::TwoDay
            } else {
                ServiceLevel::Ground
            }
        })
        .unwrap_or(ServiceLevel::Ground);
    let (customer_id, tags) = match &payload.customer {
        Some(customer) => (
            customer.id.to_string(),
            customer
                .tags
                .split(',')
                .map(|tag| tag.trim().to_lowercase())
                .filter(|tag| !tag.is_empty())
                .collect::<BTreeSet<String>>(),
        ),
        None => ("guest".to_string(), BTreeSet::new()),
    };
    let tier = tags
        .iter()
        .find(|tag| tiers.contains(*tag))
        .cloned()
        .unwrap_or_else(|| "standard".into());
    Ok(Order {
        id: format!("shopify-{}", payload.id).into(),
        channel: "shopify".into(),
        customer: Customer {
            id: customer_id.into(),
            tier,
            tags,
        },
        ship_to: ShipTo {
            zip,
            country: payload.shipping_address.country_code,
            residential: payload
                .shipping_address
                .company
                .is_none_or(|company| company.trim().is_empty()),
        },
        lines,
        service_level: Some(level),
        deliver_by: None,
        placed_at: payload.created_at,
        attributes: BTreeMap::new(),
    })
}
