//! Questions rules ask often, as methods on the plugin types.

use std::cmp::Ordering;
use std::fmt;

use crate::{
    Date, DecisionInput, Node, NodeKind, OrderLine, Plan, Service, Shipment, ShipmentLine, Span,
};

impl DecisionInput {
    /// The shipments of `plan`.
    pub fn shipments(&self, plan: &Plan) -> &[Shipment] {
        slice(&self.shipments, plan.shipments)
    }

    /// The lines `shipment` carries: which order line, and how many units of it.
    pub fn lines(&self, shipment: &Shipment) -> &[ShipmentLine] {
        slice(&self.shipment_lines, shipment.lines)
    }

    /// The order lines `shipment` carries units of, with their quantities.
    pub fn shipment_lines<'a>(
        &'a self,
        shipment: &'a Shipment,
    ) -> impl Iterator<Item = (&'a OrderLine, u32)> + 'a {
        let lines = &self.order.lines;
        self.lines(shipment)
            .iter()
            .filter_map(move |line| lines.get(line.line as usize).map(|l| (l, line.quantity)))
    }

    /// Units in `shipment`.
    pub fn units(&self, shipment: &Shipment) -> u32 {
        self.lines(shipment).iter().map(|line| line.quantity).sum()
    }

    /// The node that ships `shipment`.
    pub fn node(&self, shipment: &Shipment) -> &Node {
        &self.nodes[shipment.node as usize]
    }

    /// The carrier service `shipment` goes by.
    pub fn service(&self, shipment: &Shipment) -> &Service {
        &self.services[shipment.service as usize]
    }

    /// The nodes that ship in `plan`, in plan order.
    pub fn plan_nodes<'a>(&'a self, plan: &'a Plan) -> impl Iterator<Item = &'a Node> + 'a {
        self.shipments(plan)
            .iter()
            .map(|shipment| self.node(shipment))
    }
}

/// The entries of `list` that `span` covers. The host always sends spans inside their lists; a
/// span that is not gives an empty slice rather than a panic.
fn slice<T>(list: &[T], span: Span) -> &[T] {
    let first = span.first as usize;
    list.get(first..first.saturating_add(span.count as usize))
        .unwrap_or(&[])
}

impl Plan {
    /// How many shipments the plan has.
    pub fn shipment_count(&self) -> usize {
        self.shipments.count as usize
    }

    /// Whether the order ships in more than one parcel.
    pub fn is_split(&self) -> bool {
        self.shipments.count > 1
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

impl Date {
    pub fn new(year: u16, month: u8, day: u8) -> Date {
        Date { year, month, day }
    }
}

/// Dates print as ISO 8601, such as `2026-12-07`.
impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl PartialEq for Date {
    fn eq(&self, other: &Date) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Date {}

/// Earlier dates are smaller.
impl Ord for Date {
    fn cmp(&self, other: &Date) -> Ordering {
        (self.year, self.month, self.day).cmp(&(other.year, other.month, other.day))
    }
}

impl PartialOrd for Date {
    fn partial_cmp(&self, other: &Date) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
