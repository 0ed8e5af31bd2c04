//! Orders: what the OMS asks us to ship, to where, and by when.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{Id, ServiceLevel};
use crate::geo::Zip5;

/// A customer order.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    pub id: Id,
    /// Where the order came from, such as `web` or `marketplace`.
    #[serde(default)]
    pub channel: String,
    pub customer: Customer,
    pub ship_to: ShipTo,
    pub lines: Vec<OrderLine>,
    /// The speed the customer paid for. It sets the promise when `deliver_by` is absent, and the
    /// service class the static baselines ship with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_level: Option<ServiceLevel>,
    /// The latest acceptable delivery date, when the OMS has promised one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliver_by: Option<NaiveDate>,
    pub placed_at: DateTime<Utc>,
    /// Anything else the OMS wants rules to see.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, serde_json::Value>,
}

/// Who placed the order; the tier selects the routing policy.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    pub id: Id,
    #[serde(default = "standard_tier")]
    pub tier: String,
    #[serde(default)]
    pub tags: BTreeSet<String>,
}

fn standard_tier() -> String {
    "standard".to_string()
}

/// The delivery address, as far as routing needs it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShipTo {
    pub zip: Zip5,
    /// ISO 3166 alpha-2; only `US` can be routed.
    #[serde(default = "united_states")]
    pub country: String,
    /// Residential deliveries carry the carrier's residential surcharge.
    #[serde(default)]
    pub residential: bool,
}

fn united_states() -> String {
    "US".to_string()
}

/// One SKU and how many units of it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    pub sku: Id,
    pub quantity: u32,
}
