//! The figures a simulation reports for one strategy, and the tally that collects them order by
//! order and day by day.
//!
//! Fulfillment cost is what a plan costs in money: carrier charges, pick and pack labor and
//! packaging. The split penalty and capacity pressure that the optimizer also weighs are the
//! tenant's own prices for inconvenience and load, not money anyone pays; they are reported
//! apart. Averages per order are over filled orders.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::Serialize;

use crate::decision::Decision;
use crate::model::{Cents, Id, Network, NodeKind, Order, ServiceLevel, Stock};

/// Delivery-day buckets: 0 to 9 calendar days after the order, and 10 or more.
pub const DELIVERY_DAY_BUCKETS: usize = 11;

/// Everything measured for one strategy over one run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Figures {
    pub orders: u64,
    pub filled: u64,
    /// Orders with no plan, including those whose decision failed.
    pub unfilled: u64,
    /// Unfilled orders with a line that no node had the units of: out of stock, whoever
    /// decides. The rest were left unfilled by the promise, capacity or the split rules.
    pub unfilled_out_of_stock: u64,
    /// Orders whose decision failed because a fail-closed plugin failed.
    pub failed_decisions: u64,
    /// Unfilled orders by the service level they asked for (`none` for a date-only promise).
    pub unfilled_by_service_level: BTreeMap<String, u64>,
    /// Shipping, labor and packaging over all filled orders.
    pub fulfillment_cost: Cents,
    pub average_fulfillment_cost: Cents,
    pub shipping_cost: Cents,
    pub average_shipping_cost: Cents,
    pub labor_cost: Cents,
    pub packaging_cost: Cents,
    /// The policy's split penalties over all filled orders; not money paid.
    pub split_penalty: Cents,
    /// The policy's capacity pressure over all filled orders; not money paid.
    pub capacity_pressure: Cents,
    pub shipments: u64,
    /// Share of filled orders shipped in more than one shipment.
    pub split_rate: f64,
    pub shipments_per_order: f64,
    /// Share of filled orders whose last shipment arrives by the promised date.
    pub on_time_rate: f64,
    /// Share of filled orders that arrive within 2 calendar days of the customer's order date.
    pub within_two_days_rate: f64,
    /// Business days in transit, averaged over shipments.
    pub average_transit_days: f64,
    /// Filled orders by calendar days from order to delivery: index 0 to 9, and 10 for 10 or
    /// more.
    pub delivery_days: Vec<u64>,
    /// Shipments by kind of node.
    pub shipments_by_node_kind: BTreeMap<String, u64>,
    /// Shipments by the level of the service they went with, whatever the order asked for.
    pub shipments_by_service_level: BTreeMap<String, u64>,
    /// Every node, in the network's order.
    pub nodes: Vec<NodeUse>,
}

/// How much one node was used.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeUse {
    pub node: Id,
    pub kind: NodeKind,
    /// Shipments the strategy sent from the node over the run.
    pub shipments: u64,
    /// Shipments taken (with any base load) over the node's capacity, over all days.
    pub utilization: f64,
    /// The highest day's utilization.
    pub peak_utilization: f64,
}

/// Collects figures as a run goes.
pub struct Tally {
    orders: u64,
    filled: u64,
    out_of_stock: u64,
    failed: u64,
    unfilled_by_level: BTreeMap<String, u64>,
    shipments: u64,
    split_orders: u64,
    on_time: u64,
    within_two_days: u64,
    transit_days: u64,
    shipping: Cents,
    labor: Cents,
    packaging: Cents,
    split_penalty: Cents,
    capacity_pressure: Cents,
    delivery_days: [u64; DELIVERY_DAY_BUCKETS],
    by_kind: BTreeMap<String, u64>,
    by_level: BTreeMap<String, u64>,
    node_shipments: Vec<u64>,
    node_taken: Vec<u64>,
    node_peak: Vec<f64>,
    days: u64,
}

impl Tally {
    pub fn new(network: &Network) -> Tally {
        let nodes = network.nodes().len();
        Tally {
            orders: 0,
            filled: 0,
            out_of_stock: 0,
            failed: 0,
            unfilled_by_level: BTreeMap::new(),
            shipments: 0,
            split_orders: 0,
            on_time: 0,
            within_two_days: 0,
            transit_days: 0,
            shipping: Cents::ZERO,
            labor: Cents::ZERO,
            packaging: Cents::ZERO,
            split_penalty: Cents::ZERO,
            capacity_pressure: Cents::ZERO,
            delivery_days: [0; DELIVERY_DAY_BUCKETS],
            by_kind: BTreeMap::new(),
            by_level: BTreeMap::new(),
            node_shipments: vec![0; nodes],
            node_taken: vec![0; nodes],
            node_peak: vec![0.0; nodes],
            days: 0,
        }
    }

    /// Counts one order placed on the customer's local date `ordered`: its decision, or `None`
    /// when the decision failed. `out_of_stock` says whether some line's units were at no node
    /// when it was decided.
    pub fn record(
        &mut self,
        network: &Network,
        order: &Order,
        ordered: NaiveDate,
        decision: Option<&Decision>,
        out_of_stock: bool,
    ) {
        self.orders += 1;
        let plan = decision.and_then(|decision| decision.plan.as_ref());
        let Some(plan) = plan else {
            self.failed += decision.is_none() as u64;
            self.out_of_stock += (decision.is_some() && out_of_stock) as u64;
            let level = order
                .service_level
                .map_or_else(|| "none".to_string(), |level| level.to_string());
            *self.unfilled_by_level.entry(level).or_default() += 1;
            return;
        };
        self.filled += 1;
        self.shipments += plan.shipments.len() as u64;
        self.split_orders += (plan.shipments.len() > 1) as u64;
        self.on_time += plan.meets_promise as u64;
        let days = (plan.estimated_delivery - ordered).num_days().max(0) as usize;
        self.within_two_days += (days <= 2) as u64;
        self.delivery_days[days.min(DELIVERY_DAY_BUCKETS - 1)] += 1;
        self.split_penalty += plan.cost.split_penalty;
        for shipment in &plan.shipments {
            self.transit_days += shipment.transit_days as u64;
            self.shipping += shipment.cost.shipping;
            self.labor += shipment.cost.labor;
            self.packaging += shipment.cost.packaging;
            self.capacity_pressure += shipment.cost.capacity_pressure;
            *self
                .by_kind
                .entry(shipment.node_kind.to_string())
                .or_default() += 1;
            *self
                .by_level
                .entry(shipment.service_level.to_string())
                .or_default() += 1;
            if let Some(node) = network.node_index(&shipment.node) {
                self.node_shipments[node] += 1;
            }
        }
    }

    /// Closes a day: what each node took today counts towards its utilization.
    pub fn end_day(&mut self, network: &Network, stock: &Stock) {
        self.days += 1;
        for (node, spec) in network.nodes().iter().enumerate() {
            let taken = stock.orders_today(node);
            self.node_taken[node] += taken as u64;
            let today = taken as f64 / spec.daily_capacity.max(1) as f64;
            self.node_peak[node] = self.node_peak[node].max(today);
        }
    }

    pub fn finish(self, network: &Network) -> Figures {
        let ratio = |part: u64, whole: u64| {
            if whole == 0 {
                0.0
            } else {
                part as f64 / whole as f64
            }
        };
        let per_order = |total: Cents| per_filled_order(total, self.filled);
        let fulfillment = self.shipping + self.labor + self.packaging;
        let nodes = network
            .nodes()
            .iter()
            .enumerate()
            .map(|(at, spec)| NodeUse {
                node: spec.id.clone(),
                kind: spec.kind,
                shipments: self.node_shipments[at],
                utilization: ratio(
                    self.node_taken[at],
                    spec.daily_capacity.max(1) as u64 * self.days,
                ),
                peak_utilization: self.node_peak[at],
            })
            .collect();
        Figures {
            orders: self.orders,
            filled: self.filled,
            unfilled: self.orders - self.filled,
            unfilled_out_of_stock: self.out_of_stock,
            failed_decisions: self.failed,
            unfilled_by_service_level: self.unfilled_by_level,
            fulfillment_cost: fulfillment,
            average_fulfillment_cost: per_order(fulfillment),
            shipping_cost: self.shipping,
            average_shipping_cost: per_order(self.shipping),
            labor_cost: self.labor,
            packaging_cost: self.packaging,
            split_penalty: self.split_penalty,
            capacity_pressure: self.capacity_pressure,
            shipments: self.shipments,
            split_rate: ratio(self.split_orders, self.filled),
            shipments_per_order: ratio(self.shipments, self.filled),
            on_time_rate: ratio(self.on_time, self.filled),
            within_two_days_rate: ratio(self.within_two_days, self.filled),
            average_transit_days: ratio(self.transit_days, self.shipments),
            delivery_days: self.delivery_days.to_vec(),
            shipments_by_node_kind: self.by_kind,
            shipments_by_service_level: self.by_level,
            nodes,
        }
    }
}

/// A total spread over the filled orders.
fn per_filled_order(total: Cents, filled: u64) -> Cents {
    if filled == 0 {
        Cents::ZERO
    } else {
        total.scale(1, filled as i64)
    }
}

/// One figure's value, typed for display and differences.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    Count(u64),
    Money(Cents),
    Share(f64),
    Number(f64),
}

impl Value {
    /// The value as a plain number: cents for money, a fraction for shares.
    pub fn number(self) -> f64 {
        match self {
            Value::Count(count) => count as f64,
            Value::Money(cents) => cents.0 as f64,
            Value::Share(share) | Value::Number(share) => share,
        }
    }

    /// `other` minus `self`, written with its sign: `+12`, `-$0.40`, `+1.2 pts`.
    pub fn difference_to(self, other: Value) -> String {
        match (self, other) {
            (Value::Count(a), Value::Count(b)) => format!("{:+}", b as i64 - a as i64),
            (Value::Money(a), Value::Money(b)) => {
                let change = b - a;
                if change.0 >= 0 {
                    format!("+{change}")
                } else {
                    change.to_string()
                }
            }
            (Value::Share(a), Value::Share(b)) => format!("{:+.1} pts", (b - a) * 100.0),
            (a, b) => format!("{:+.2}", b.number() - a.number()),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Count(count) => write!(f, "{count}"),
            Value::Money(cents) => write!(f, "{cents}"),
            Value::Share(share) => write!(f, "{:.1}%", share * 100.0),
            Value::Number(number) => write!(f, "{number:.2}"),
        }
    }
}

/// A named figure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Row {
    pub label: &'static str,
    pub value: Value,
}

impl Figures {
    /// The headline figures, in the order reports show them.
    pub fn rows(&self) -> Vec<Row> {
        let per_order = |total: Cents| per_filled_order(total, self.filled);
        let stores = self
            .shipments_by_node_kind
            .get(&NodeKind::Store.to_string())
            .copied()
            .unwrap_or(0);
        let busiest = self
            .nodes
            .iter()
            .map(|node| node.peak_utilization)
            .fold(0.0, f64::max);
        let share_of_shipments = |count: Option<&u64>| {
            if self.shipments == 0 {
                0.0
            } else {
                count.copied().unwrap_or(0) as f64 / self.shipments as f64
            }
        };
        let by_level = |level: ServiceLevel| {
            Value::Share(share_of_shipments(
                self.shipments_by_service_level.get(&level.to_string()),
            ))
        };
        let row = |label, value| Row { label, value };
        vec![
            row("Orders", Value::Count(self.orders)),
            row("Filled", Value::Count(self.filled)),
            row("Could not be filled", Value::Count(self.unfilled)),
            row(
                "... of which out of stock",
                Value::Count(self.unfilled_out_of_stock),
            ),
            row(
                "Fulfillment cost, total",
                Value::Money(self.fulfillment_cost),
            ),
            row(
                "Fulfillment cost per order",
                Value::Money(self.average_fulfillment_cost),
            ),
            row("Shipping, total", Value::Money(self.shipping_cost)),
            row(
                "Shipping per order",
                Value::Money(self.average_shipping_cost),
            ),
            row("Labor per order", Value::Money(per_order(self.labor_cost))),
            row(
                "Packaging per order",
                Value::Money(per_order(self.packaging_cost)),
            ),
            row(
                "Split penalty per order (policy)",
                Value::Money(per_order(self.split_penalty)),
            ),
            row(
                "Capacity pressure per order (policy)",
                Value::Money(per_order(self.capacity_pressure)),
            ),
            row("Split rate", Value::Share(self.split_rate)),
            row(
                "Shipments per order",
                Value::Number(self.shipments_per_order),
            ),
            row("On time", Value::Share(self.on_time_rate)),
            row(
                "Delivered within 2 days",
                Value::Share(self.within_two_days_rate),
            ),
            row(
                "Transit days per shipment",
                Value::Number(self.average_transit_days),
            ),
            row(
                "Shipments from stores",
                Value::Share(share_of_shipments(Some(&stores))),
            ),
            row(
                "Shipments by a ground service",
                by_level(ServiceLevel::Ground),
            ),
            row(
                "Shipments by a two-day service",
                by_level(ServiceLevel::TwoDay),
            ),
            row(
                "Shipments by an overnight service",
                by_level(ServiceLevel::Overnight),
            ),
            row("Busiest node, peak day", Value::Share(busiest)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_carry_their_sign_and_unit() {
        assert_eq!(Value::Count(10).difference_to(Value::Count(7)), "-3");
        assert_eq!(
            Value::Money(Cents(1000)).difference_to(Value::Money(Cents(1040))),
            "+$0.40"
        );
        assert_eq!(
            Value::Share(0.5).difference_to(Value::Share(0.512)),
            "+1.2 pts"
        );
        assert_eq!(Value::Share(0.5).to_string(), "50.0%");
    }
}
