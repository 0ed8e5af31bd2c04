//! Nodes: the places that ship orders, with what each costs to use and when it hands parcels to
//! carriers.

use std::collections::BTreeSet;
use std::fmt;

use chrono::NaiveTime;
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Cents, Id};
use crate::geo::{LatLon, Zip5};

/// What kind of place a node is. Plugins and policies often treat stores differently from
/// distribution centers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Warehouse,
    Store,
    #[serde(rename = "3pl")]
    ThirdParty,
    Dropship,
}

impl fmt::Display for NodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NodeKind::Warehouse => "warehouse",
            NodeKind::Store => "store",
            NodeKind::ThirdParty => "3pl",
            NodeKind::Dropship => "dropship",
        })
    }
}

/// Pick and pack labor: a fixed cost per shipment plus a cost per unit picked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labor {
    #[serde(rename = "per_order_cents")]
    pub per_order: Cents,
    #[serde(rename = "per_unit_cents")]
    pub per_unit: Cents,
}

/// The local time of day by which a parcel must be ready for the carrier to leave the same day,
/// written `"HH:MM"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PickupCutoff(pub NaiveTime);

impl Serialize for PickupCutoff {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0.format("%H:%M"))
    }
}

impl<'de> Deserialize<'de> for PickupCutoff {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        NaiveTime::parse_from_str(&text, "%H:%M")
            .map(PickupCutoff)
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a time like \"15:30\"")))
    }
}

/// A node that can ship orders.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    pub id: Id,
    #[serde(default)]
    pub name: String,
    pub kind: NodeKind,
    pub zip: Zip5,
    /// Where the node is; used for distances (the nearest-node baseline, and zones where the
    /// chart has no row).
    pub location: LatLon,
    /// IANA time zone, such as `America/Chicago`; the pickup cutoff is in this zone.
    pub time_zone: Tz,
    /// How many shipments the node can pack in a day.
    pub daily_capacity: u32,
    pub labor: Labor,
    /// Box, fill and label cost per shipment.
    #[serde(rename = "packaging_cents")]
    pub packaging: Cents,
    /// The carrier services that pick up here, by service id.
    pub services: Vec<Id>,
    pub pickup_cutoff: PickupCutoff,
    /// Business days between the order reaching the node and the parcel being ready; 0 for a
    /// node that ships the same day before its cutoff.
    #[serde(default)]
    pub handling_days: u8,
    /// What the node may handle, such as `hazmat` or `oversize`; a SKU's `handling` tags must
    /// all be here for the node to ship it.
    #[serde(default)]
    pub capabilities: BTreeSet<String>,
    /// Rank for the primary-node baseline: 1 is tried first.
    pub priority: u32,
}
