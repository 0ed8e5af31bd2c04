//! Routing policy: how a tenant trades splitting, speed and node load against cost.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Cents;

/// The rules the optimizer follows for one order. Every field has a default, so a policy file
/// names only what it changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoutingPolicy {
    /// The most shipments one order may be split into.
    pub max_shipments: u32,
    /// Ship the whole order from one node or not at all.
    pub never_split: bool,
    /// A split plan is taken only if it is at least this much cheaper than the best single-node
    /// plan.
    #[serde(rename = "min_split_savings_cents")]
    pub min_split_savings: Cents,
    /// Whether one line's quantity may be shipped from more than one node.
    pub split_line_quantities: bool,
    /// Added once for every shipment after the first: the customer's inconvenience and the
    /// extra contact.
    #[serde(rename = "split_penalty_cents")]
    pub split_penalty: Cents,
    pub capacity_pressure: CapacityPressure,
    /// How many runner-up plans a decision lists.
    pub alternatives: usize,
}

impl Default for RoutingPolicy {
    fn default() -> Self {
        RoutingPolicy {
            max_shipments: 3,
            never_split: false,
            min_split_savings: Cents::ZERO,
            split_line_quantities: false,
            split_penalty: Cents(150),
            capacity_pressure: CapacityPressure::default(),
            alternatives: 5,
        }
    }
}

impl RoutingPolicy {
    /// The most shipments a plan may have under this policy.
    pub fn shipment_limit(&self) -> u32 {
        if self.never_split {
            1
        } else {
            self.max_shipments.max(1)
        }
    }
}

/// A cost that rises with a node's utilization today, so busy nodes are used only when they are
/// clearly cheaper. Zero up to `start_percent` of daily capacity, then rising with the square of
/// the excess to `cost_at_full` at 100%.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CapacityPressure {
    pub start_percent: u32,
    #[serde(rename = "cost_at_full_cents")]
    pub cost_at_full: Cents,
}

impl Default for CapacityPressure {
    fn default() -> Self {
        CapacityPressure {
            start_percent: 60,
            cost_at_full: Cents(400),
        }
    }
}

impl CapacityPressure {
    /// The pressure cost of one more shipment at a node that has taken `orders_today` of its
    /// `capacity`. Callers check that the node is not already full.
    pub fn cost(&self, orders_today: u32, capacity: u32) -> Cents {
        let start = self.start_percent.min(99) as i64 * 10;
        let utilization = ((orders_today as i64 + 1) * 1000 / capacity.max(1) as i64).min(1000);
        let excess = utilization - start;
        if excess <= 0 {
            return Cents::ZERO;
        }
        let span = 1000 - start;
        self.cost_at_full.scale(excess * excess, span * span)
    }
}

/// Policy fields a customer tier changes; absent fields keep the tenant default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyOverride {
    pub max_shipments: Option<u32>,
    pub never_split: Option<bool>,
    #[serde(rename = "min_split_savings_cents")]
    pub min_split_savings: Option<Cents>,
    pub split_line_quantities: Option<bool>,
    #[serde(rename = "split_penalty_cents")]
    pub split_penalty: Option<Cents>,
}

/// A tenant's default policy and its overrides by customer tier.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TenantPolicy {
    pub default: RoutingPolicy,
    pub tiers: BTreeMap<String, PolicyOverride>,
}

impl TenantPolicy {
    /// The policy for a customer tier: the default with the tier's overrides applied.
    pub fn for_tier(&self, tier: &str) -> RoutingPolicy {
        let mut policy = self.default.clone();
        if let Some(tier) = self.tiers.get(tier) {
            let PolicyOverride {
                max_shipments,
                never_split,
                min_split_savings,
                split_line_quantities,
                split_penalty,
            } = tier.clone();
            policy.max_shipments = max_shipments.unwrap_or(policy.max_shipments);
            policy.never_split = never_split.unwrap_or(policy.never_split);
            policy.min_split_savings = min_split_savings.unwrap_or(policy.min_split_savings);
            policy.split_line_quantities =
                split_line_quantities.unwrap_or(policy.split_line_quantities);
            policy.split_penalty = split_penalty.unwrap_or(policy.split_penalty);
        }
        policy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pressure_is_zero_below_the_start_and_full_at_capacity() {
        let pressure = CapacityPressure {
            start_percent: 60,
            cost_at_full: Cents(400),
        };
        assert_eq!(pressure.cost(0, 100), Cents::ZERO);
        assert_eq!(pressure.cost(59, 100), Cents::ZERO);
        // 80% is half-way from 60% to 100%: a quarter of the full cost.
        assert_eq!(pressure.cost(79, 100), Cents(100));
        assert_eq!(pressure.cost(99, 100), Cents(400));
    }

    #[test]
    fn tier_overrides_replace_only_what_they_name() {
        let json = r#"{"default": {"max_shipments": 2}, "tiers": {"vip": {"never_split": true}}}"#;
        let policy: TenantPolicy = serde_json::from_str(json).unwrap();
        let vip = policy.for_tier("vip");
        assert!(vip.never_split);
        assert_eq!(vip.max_shipments, 2);
        assert_eq!(vip.shipment_limit(), 1);
        assert_eq!(policy.for_tier("standard").shipment_limit(), 2);
    }
}
