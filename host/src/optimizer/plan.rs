//! Plans as the search builds them, before they become a [`decision::Plan`](crate::decision::Plan)
//! with names and cost breakdowns, and the rule that orders them.
//!
//! Plans are ordered by total cost; among equal costs, by fewer shipments; then by the earlier
//! arrival of the last shipment; then shipment by shipment (sorted by node id) by node id, by
//! earlier delivery, by service id and by the quantities of each line. Ids, not input order,
//! break ties, so the same network and order always give the same decision.

use std::cmp::Ordering;

use chrono::NaiveDate;

use crate::model::{Cents, Network};

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawShipment {
    pub node: usize,
    pub service: usize,
    /// Units of each order line, indexed like the order's lines.
    pub quantities: Vec<u32>,
    pub cost: Cents,
    pub delivery: NaiveDate,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawPlan {
    /// Sorted by node id.
    pub shipments: Vec<RawShipment>,
    /// Shipment costs plus the split penalty.
    pub total: Cents,
}

impl RawPlan {
    pub fn new(network: &Network, mut shipments: Vec<RawShipment>, split_penalty: Cents) -> Self {
        shipments.sort_by_key(|shipment| network.node_rank(shipment.node));
        let extra = shipments.len().saturating_sub(1) as i64;
        let total = shipments.iter().map(|s| s.cost).sum::<Cents>() + split_penalty * extra;
        RawPlan { shipments, total }
    }

    pub fn latest_delivery(&self) -> Option<NaiveDate> {
        self.shipments.iter().map(|s| s.delivery).max()
    }

    /// The tie-breaking order described in the module documentation.
    pub fn compare(&self, other: &RawPlan, network: &Network) -> Ordering {
        self.total
            .cmp(&other.total)
            .then(self.shipments.len().cmp(&other.shipments.len()))
            .then(self.latest_delivery().cmp(&other.latest_delivery()))
            .then_with(|| {
                let key = |s: &RawShipment| {
                    (
                        network.node_rank(s.node),
                        s.delivery,
                        network.service_rank(s.service),
                    )
                };
                for (mine, theirs) in self.shipments.iter().zip(&other.shipments) {
                    let order = key(mine)
                        .cmp(&key(theirs))
                        .then_with(|| mine.quantities.cmp(&theirs.quantities));
                    if order != Ordering::Equal {
                        return order;
                    }
                }
                Ordering::Equal
            })
    }
}

/// The best plans seen so far, best first, at most `keep` of them and no plan twice.
pub(crate) struct Leaderboard<'n> {
    network: &'n Network,
    keep: usize,
    plans: Vec<RawPlan>,
}

impl<'n> Leaderboard<'n> {
    pub fn new(network: &'n Network, keep: usize) -> Self {
        Leaderboard {
            network,
            keep: keep.max(1),
            plans: Vec::with_capacity(keep + 1),
        }
    }

    /// The total a plan must not exceed to enter; `None` while there is room.
    pub fn bar(&self) -> Option<Cents> {
        (self.plans.len() >= self.keep).then(|| self.plans[self.plans.len() - 1].total)
    }

    pub fn offer(&mut self, plan: RawPlan) {
        let network = self.network;
        let at = match self
            .plans
            .binary_search_by(|held| held.compare(&plan, network))
        {
            // The same plan, reached along another path.
            Ok(_) => return,
            Err(at) => at,
        };
        if at >= self.keep {
            return;
        }
        self.plans.insert(at, plan);
        self.plans.truncate(self.keep);
    }

    pub fn into_plans(self) -> Vec<RawPlan> {
        self.plans
    }
}
