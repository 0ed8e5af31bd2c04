//! Decisions: the plan a strategy chose for an order, what it costs, and why.
//!
//! A decision is the engine's whole answer. Besides the chosen plan it carries the runner-up
//! plans it beat, a verdict for every node on shipping the whole order alone, and the plans that
//! rules ruled out, so that an operator can see why an order shipped the way it did.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::{Cents, Id, NodeKind, ServiceLevel};

/// How a decision was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// The cost optimizer.
    Optimizer,
    /// The static rule "ship from the highest-priority node that has everything".
    PrimaryNode,
    /// The static rule "ship from the nearest node that has everything".
    NearestNode,
}

impl Strategy {
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Optimizer => "optimizer",
            Strategy::PrimaryNode => "primary-node",
            Strategy::NearestNode => "nearest-node",
        }
    }
}

/// A strategy's answer for one order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub order_id: Id,
    pub strategy: Strategy,
    /// The latest delivery date that keeps the order's promise.
    pub deliver_by: NaiveDate,
    /// The chosen plan; `None` when the order cannot be fulfilled.
    pub plan: Option<Plan>,
    /// Why no plan was possible, when `plan` is `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unfulfillable: Option<String>,
    /// The next-best plans, cheapest first.
    #[serde(default)]
    pub alternatives: Vec<Alternative>,
    /// For every node, whether it could have shipped the whole order alone, and at what cost or
    /// for what reason not.
    #[serde(default)]
    pub nodes: Vec<NodeVerdict>,
    /// Plans cheaper than the chosen one that a rule ruled out.
    #[serde(default)]
    pub rejected_plans: Vec<RejectedPlan>,
    /// Short sentences explaining the choice, for people.
    #[serde(default)]
    pub rationale: Vec<String>,
    pub search: SearchSummary,
    /// What each of the tenant's plugins did in this decision, in the order they ran.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plugins: Vec<PluginRun>,
}

/// A set of shipments that together fill the order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub shipments: Vec<Shipment>,
    pub cost: PlanCost,
    /// When the last shipment arrives.
    pub estimated_delivery: NaiveDate,
    /// Whether every shipment arrives by the promised date. Always true for the optimizer,
    /// which rejects late plans; the static baselines ship late when their rule says so.
    pub meets_promise: bool,
    /// The changes the tenant's scorer plugins made to the plan's cost.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adjustments: Vec<Adjustment>,
}

/// A plan's cost, by component. `total` is the sum of the others except `adjustments`: it is
/// what the plan costs to ship.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanCost {
    pub shipping: Cents,
    pub labor: Cents,
    pub packaging: Cents,
    pub capacity_pressure: Cents,
    pub split_penalty: Cents,
    pub total: Cents,
    /// The sum of the scorer plugins' adjustments. Plans are ranked by `total` plus this; it is
    /// not money anyone pays.
    #[serde(default, skip_serializing_if = "Cents::is_zero")]
    pub adjustments: Cents,
}

/// One scorer plugin's change to a plan's cost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjustment {
    pub plugin: String,
    /// Positive makes the plan less attractive, negative more.
    pub cents: Cents,
    pub reason: String,
}

/// What one plugin did in a decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginRun {
    pub plugin: String,
    /// The plugin's version: the start of the SHA-256 of its `.wasm` file.
    pub version: String,
    pub kind: PluginKind,
    #[serde(flatten)]
    pub outcome: PluginOutcome,
    /// WebAssembly instructions the call used (its fuel).
    pub fuel_used: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PluginKind {
    /// Allows or rejects candidate plans.
    Constraint,
    /// Adjusts the cost of candidate plans.
    Scorer,
}

impl PluginKind {
    pub fn name(self) -> &'static str {
        match self {
            PluginKind::Constraint => "constraint",
            PluginKind::Scorer => "scorer",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PluginOutcome {
    /// The plugin judged the plans: how many it rejected (constraints) or adjusted (scorers).
    Ran { plans: usize, changed: usize },
    /// The plugin failed and its failure policy is fail-open, so the decision went on without
    /// it.
    Skipped { error: String },
}

/// One parcel: a node ships some of the order's lines with one carrier service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Shipment {
    pub node: Id,
    pub node_kind: NodeKind,
    pub service: Id,
    pub carrier: Id,
    pub service_level: ServiceLevel,
    pub zone: u8,
    pub lines: Vec<ShipmentLine>,
    pub weight_g: u64,
    pub billable_lb: u32,
    pub ship_date: NaiveDate,
    pub transit_days: u8,
    pub estimated_delivery: NaiveDate,
    pub cost: ShipmentCost,
}

/// A shipment's cost, by component. `total` is the sum of the others.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentCost {
    pub shipping: Cents,
    pub labor: Cents,
    pub packaging: Cents,
    pub capacity_pressure: Cents,
    pub total: Cents,
}

/// Units of one order line in a shipment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentLine {
    /// The line's position in the order, from 0.
    pub line: usize,
    pub sku: Id,
    pub quantity: u32,
}

/// A runner-up plan and how much more it costs than the chosen one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alternative {
    pub costs_more_by: Cents,
    pub plan: Plan,
}

/// Whether one node could ship the whole order by itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeVerdict {
    pub node: Id,
    #[serde(flatten)]
    pub verdict: Verdict,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// The node can ship everything in one shipment at this cost.
    CanShipAll {
        cost: Cents,
        service: Id,
        estimated_delivery: NaiveDate,
    },
    /// It cannot, for this reason. The node may still ship part of the order in a split.
    Rejected { reason: RejectReason },
}

/// A plan that a rule ruled out, and the rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RejectedPlan {
    pub reason: RejectReason,
    pub plan: Plan,
}

/// Why a node or a plan was not used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RejectReason {
    /// The node lacks available-to-promise units of these SKUs.
    NoStock { short: std::sync::Arc<[Shortfall]> },
    /// No service from the node arrives by the promised date. `earliest_delivery` is the best it
    /// could do, if it can reach the destination at all.
    MissesPromise {
        deliver_by: NaiveDate,
        earliest_delivery: Option<NaiveDate>,
    },
    /// The node has already taken its daily capacity.
    OverCapacity {
        orders_today: u32,
        daily_capacity: u32,
    },
    /// The node lacks a capability that a SKU needs, such as `hazmat`.
    CannotHandle { sku: Id, capability: String },
    /// No service at the node can carry the parcel: too heavy for every rate card.
    NoService { billable_lb: u32 },
    /// The plan has more shipments than the policy allows.
    TooManyShipments { shipments: u32, max_shipments: u32 },
    /// A policy rule, named, with the detail of how the plan broke it.
    Policy { rule: String, detail: String },
    /// A tenant's constraint plugin rejected the plan, for this reason.
    Plugin { plugin: String, reason: String },
}

/// Units of a SKU a node would need and has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shortfall {
    pub sku: Id,
    pub needed: u32,
    pub available: u32,
}

/// How the optimizer searched, so that an operator can tell an exact answer from a heuristic one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchSummary {
    pub method: SearchMethod,
    /// Distinct shipment contents considered.
    pub contents: usize,
    /// Priced (node, contents) pairs.
    pub quotes: usize,
    /// Complete plans reached by the search.
    pub plans_completed: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchMethod {
    /// Every plan allowed by the policy was covered; the chosen plan is the cheapest.
    #[default]
    Exact,
    /// Line quantities were not split because the order has too many units to search every
    /// split; the plan is the cheapest that ships each line from one node.
    ExactWholeLines,
    /// The order is too large to search exactly; the plan is the better of the best single-node
    /// plan and a greedy split.
    Heuristic,
    /// A static rule, not a search.
    Rule,
}

impl std::fmt::Display for RejectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RejectReason::NoStock { short } => {
                write!(f, "no stock:")?;
                for (at, shortfall) in short.iter().enumerate() {
                    let separator = if at == 0 { " " } else { ", " };
                    let Shortfall {
                        sku,
                        needed,
                        available,
                    } = shortfall;
                    write!(f, "{separator}{sku} needs {needed}, has {available}")?;
                }
                Ok(())
            }
            RejectReason::MissesPromise {
                deliver_by,
                earliest_delivery: Some(earliest),
            } => {
                write!(
                    f,
                    "misses promise: earliest delivery {earliest}, promised {deliver_by}"
                )
            }
            RejectReason::MissesPromise {
                earliest_delivery: None,
                ..
            } => {
                write!(f, "misses promise: no service reaches the destination")
            }
            RejectReason::OverCapacity {
                orders_today,
                daily_capacity,
            } => {
                write!(
                    f,
                    "over capacity: {orders_today} of {daily_capacity} orders today"
                )
            }
            RejectReason::CannotHandle { sku, capability } => {
                write!(f, "cannot handle {sku}: lacks `{capability}`")
            }
            RejectReason::NoService { billable_lb } => {
                write!(f, "no service carries a {billable_lb} lb parcel")
            }
            RejectReason::TooManyShipments {
                shipments,
                max_shipments,
            } => {
                write!(
                    f,
                    "too many shipments: {shipments}, the policy allows {max_shipments}"
                )
            }
            RejectReason::Policy { rule, detail } => write!(f, "policy `{rule}`: {detail}"),
            RejectReason::Plugin { plugin, reason } => write!(f, "plugin `{plugin}`: {reason}"),
        }
    }
}

impl Plan {
    /// What plans are ranked by: the cost plus the scorer plugins' adjustments.
    pub fn score(&self) -> Cents {
        self.cost.total + self.cost.adjustments
    }

    /// The plan in a few words, such as `DC-NJ (SKU-1 x2) by ups-ground + DC-TX (SKU-7 x1) by
    /// fedex-ground`; the lines are left out when a single shipment carries them all.
    pub fn summary(&self) -> String {
        if let [only] = self.shipments.as_slice() {
            return format!("{} by {}", only.node, only.service);
        }
        let parts: Vec<String> = self
            .shipments
            .iter()
            .map(|shipment| {
                let lines: Vec<String> = shipment
                    .lines
                    .iter()
                    .map(|line| format!("{} x{}", line.sku, line.quantity))
                    .collect();
                format!(
                    "{} ({}) by {}",
                    shipment.node,
                    lines.join(", "),
                    shipment.service
                )
            })
            .collect();
        parts.join(" + ")
    }
}
