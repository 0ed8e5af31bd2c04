//! SKUs: the products on order lines.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::Id;

/// A product: how heavy and how big one unit is, and what it is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sku {
    pub id: Id,
    #[serde(default)]
    pub name: String,
    pub weight_g: u32,
    pub length_mm: u32,
    pub width_mm: u32,
    pub height_mm: u32,
    /// Free-form attributes that rules may read, such as `apparel` or `fragile`.
    #[serde(default)]
    pub tags: BTreeSet<String>,
    /// Capabilities a node needs to ship this SKU, such as `hazmat`.
    #[serde(default)]
    pub handling: BTreeSet<String>,
}

impl Sku {
    /// The volume of one unit in cubic millimetres.
    pub fn volume_mm3(&self) -> u64 {
        self.length_mm as u64 * self.width_mm as u64 * self.height_mm as u64
    }
}
