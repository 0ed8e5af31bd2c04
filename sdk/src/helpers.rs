//! Questions rules ask often, as methods on the plugin types.

use crate::{Node, NodeKind, OrderLine, Plan, Shipment};

impl Plan {
    /// How many shipments the plan has.
    pub fn shipment_count(&self) -> usize {
        self.shipments.len()
    }

    /// Whether the order ships in more than one parcel.
    pub fn is_split(&self) -> bool {
        self.shipments.len() > 1
    }

    /// The nodes that ship, in plan order.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.shipments.iter().map(|shipment| &shipment.node)
    }
}

impl Shipment {
    /// The order lines this shipment carries units of, with their quantities.
    pub fn order_lines<'a>(
        &'a self,
        lines: &'a [OrderLine],
    ) -> impl Iterator<Item = (&'a OrderLine, u32)> + 'a {
        self.lines
            .iter()
            .filter_map(move |line| lines.get(line.line as usize).map(|l| (l, line.quantity)))
    }

    /// Units in the shipment.
    pub fn units(&self) -> u32 {
        self.lines.iter().map(|line| line.quantity).sum()
    }
}

impl Node {
    pub fn is_store(&self) -> bool {
        self.kind == NodeKind::Store
    }

    pub fn has_capability(&self, capability: &str) -> bool {
        self.capabilities.iter().any(|held| held == capability)
    }
}

impl OrderLine {
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|held| held == tag)
    }

    /// Whether the SKU needs a node capability such as `hazmat`.
    pub fn needs(&self, capability: &str) -> bool {
        self.handling.iter().any(|needed| needed == capability)
    }
}
