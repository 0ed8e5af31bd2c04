//! How the network changes over the days of a simulation: inventory is reserved when an order is
//! decided and leaves when its shipment ships, replenishment brings each position back to its
//! stocking level on a schedule, and node capacity starts afresh every day.
//!
//! Stocking levels keep the network's assortment and its relative depth (which nodes carry a SKU,
//! and stores thinner than distribution centers) and scale the depth to the demand: each SKU's
//! available units across the network are set to a number of days of that SKU's demand in the
//! stream. The forecast behind that is perfect in total; the stream's day-to-day swings, peaks
//! and the uneven spread of customers across nodes are what the strategies have to cope with.
//!
//! Replenishment is order-up-to: on a node's delivery day, every position it carries is filled
//! back to its level (counting units already reserved as gone), whatever was ordered. Deliveries
//! have no lead time of their own: the schedule is the arrival schedule.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::decision::Decision;
use crate::model::{Network, NodeKind, Stock, StockPosition};

/// How often each kind of node gets a delivery, in days. Drop-ship vendors ship from their own
/// stock and are filled every day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Replenishment {
    /// Distribution centers and 3PLs.
    pub warehouse_every: u32,
    pub store_every: u32,
}

impl Default for Replenishment {
    fn default() -> Self {
        Replenishment {
            warehouse_every: 7,
            store_every: 3,
        }
    }
}

impl Replenishment {
    fn every(&self, kind: NodeKind) -> u32 {
        match kind {
            NodeKind::Warehouse | NodeKind::ThirdParty => self.warehouse_every.max(1),
            NodeKind::Store => self.store_every.max(1),
            NodeKind::Dropship => 1,
        }
    }

    /// Whether node `node` (by index) gets a delivery on day `day` of the run. Deliveries are
    /// staggered by node so that not every node is filled on the same day.
    pub fn delivers(&self, kind: NodeKind, node: usize, day: u32) -> bool {
        let every = self.every(kind);
        day % every == node as u32 % every
    }
}

/// Stocking levels for a run: the network's stock with no reservations, each SKU's available
/// units scaled to `days_of_demand` days of its demand (`units_by_sku` over `run_days` days)
/// and shared among the nodes that had it available in proportion to what each had. Safety
/// stock is kept. A SKU with no demand keeps its available units. With `days_of_demand` of 0
/// the stock is kept as it is, less the reservations.
pub fn stock_to_demand(
    network: &Network,
    stock: &Stock,
    units_by_sku: &[u64],
    run_days: u32,
    days_of_demand: f64,
) -> Stock {
    let mut levels = Stock::new(network.nodes().len(), network.skus().len());
    for sku in 0..network.skus().len() {
        let units = units_by_sku.get(sku).copied().unwrap_or(0);
        let holders: Vec<(usize, StockPosition)> = stock.holders(sku).collect();
        let held: u64 = holders.iter().map(|(_, p)| p.available() as u64).sum();
        let target = units as f64 / run_days.max(1) as f64 * days_of_demand;
        let scaled = days_of_demand > 0.0 && units > 0 && held > 0;
        for (node, position) in holders {
            let available = if scaled {
                (target * position.available() as f64 / held as f64).round() as u32
            } else {
                position.available()
            };
            let level = StockPosition {
                on_hand: position.safety_stock + available,
                reserved: 0,
                safety_stock: position.safety_stock,
            };
            levels.set(node, sku, level);
        }
    }
    levels
}

/// Units of one SKU moving at one node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Units {
    node: usize,
    sku: usize,
    quantity: u32,
}

/// The live state of the network during a run, for one strategy.
pub struct NetworkState {
    stock: Stock,
    /// For each node, the on-hand level of each SKU it carries: `(sku, level)`.
    levels: Vec<Vec<(usize, u32)>>,
    /// Reserved units by the day their shipment leaves.
    pending: BTreeMap<NaiveDate, Vec<Units>>,
    /// Shipments each node takes every day before the simulated orders: other channels' work.
    base_load: Vec<u32>,
    kinds: Vec<NodeKind>,
    replenishment: Replenishment,
}

/// What happened at the start of a day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DayStart {
    /// Units that left in shipments since the day before.
    pub shipped: u64,
    /// Units that arrived by replenishment.
    pub replenished: u64,
}

impl NetworkState {
    /// A state starting at the stocking levels `levels`, with `base_load` shipments taken at the
    /// start of every day (zero for none), indexed like the network's nodes.
    pub fn new(
        network: &Network,
        levels: &Stock,
        base_load: Vec<u32>,
        replenishment: Replenishment,
    ) -> NetworkState {
        let nodes = network.nodes().len();
        let mut by_node: Vec<Vec<(usize, u32)>> = vec![Vec::new(); nodes];
        for sku in 0..network.skus().len() {
            for (node, position) in levels.holders(sku) {
                by_node[node].push((sku, position.on_hand));
            }
        }
        NetworkState {
            stock: levels.clone(),
            levels: by_node,
            pending: BTreeMap::new(),
            base_load,
            kinds: network.nodes().iter().map(|node| node.kind).collect(),
            replenishment,
        }
    }

    pub fn stock(&self) -> &Stock {
        &self.stock
    }

    /// Starts day `day` (from 0) on `date`: shipments with an earlier ship date leave, the nodes
    /// due a delivery are replenished, and every node's count of shipments today goes back to its
    /// base load.
    pub fn start_day(&mut self, day: u32, date: NaiveDate) -> DayStart {
        let mut start = DayStart::default();

        // Shipments leave: their units are no longer on hand or reserved.
        let later = self.pending.split_off(&date);
        let leaving = std::mem::replace(&mut self.pending, later);
        for units in leaving.into_values().flatten() {
            let mut position = self.stock.position(units.node, units.sku);
            position.on_hand = position.on_hand.saturating_sub(units.quantity);
            position.reserved = position.reserved.saturating_sub(units.quantity);
            self.stock.set(units.node, units.sku, position);
            start.shipped += units.quantity as u64;
        }

        // Deliveries fill positions back to their levels.
        for (node, levels) in self.levels.iter().enumerate() {
            if !self.replenishment.delivers(self.kinds[node], node, day) {
                continue;
            }
            for &(sku, level) in levels {
                let mut position = self.stock.position(node, sku);
                let free = position.on_hand.saturating_sub(position.reserved);
                if free < level {
                    position.on_hand += level - free;
                    start.replenished += (level - free) as u64;
                    self.stock.set(node, sku, position);
                }
            }
        }

        // Capacity starts afresh.
        for (node, &load) in self.base_load.iter().enumerate() {
            self.stock.set_orders_today(node, load);
        }
        start
    }

    /// Applies a decision: each shipment takes one of its node's shipments for today and
    /// reserves its units until its ship date.
    pub fn apply(&mut self, network: &Network, decision: &Decision) {
        let Some(plan) = &decision.plan else {
            return;
        };
        for shipment in &plan.shipments {
            let Some(node) = network.node_index(&shipment.node) else {
                continue;
            };
            self.stock
                .set_orders_today(node, self.stock.orders_today(node) + 1);
            let leaving = self.pending.entry(shipment.ship_date).or_default();
            for line in &shipment.lines {
                let Some(sku) = network.sku_index(&line.sku) else {
                    continue;
                };
                let mut position = self.stock.position(node, sku);
                position.reserved += line.quantity;
                self.stock.set(node, sku, position);
                leaving.push(Units {
                    node,
                    sku,
                    quantity: line.quantity,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Order;
    use crate::simulate::example;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn order(sku: &str, quantity: u32) -> Order {
        serde_json::from_value(serde_json::json!({
            "id": "T-1",
            "customer": {"id": "C"},
            "ship_to": {"zip": "10016"},
            "lines": [{"sku": sku, "quantity": quantity}],
            "service_level": "ground",
            "placed_at": "2026-12-07T15:00:00Z",
        }))
        .unwrap()
    }

    #[test]
    fn levels_scale_to_demand_and_keep_stores_thinner() {
        let loaded = example();
        let network = &loaded.network;
        let sku = network.sku_index("SKU-0151").unwrap();
        let mut units = vec![0u64; network.skus().len()];
        units[sku] = 300;
        let levels = stock_to_demand(network, &loaded.stock, &units, 30, 10.0);
        // 300 units over 30 days is 10 a day; 10 days of it is 100 units across the holders.
        let available: u32 = levels.holders(sku).map(|(_, p)| p.available()).sum();
        assert!((95..=105).contains(&available), "{available}");
        let at = |id: &str| levels.available(network.node_index(id).unwrap(), sku);
        assert!(at("DC-NJ") > at("STORE-NYC"));
        assert!(levels.holders(sku).all(|(_, p)| p.reserved == 0));
    }

    #[test]
    fn capacity_resets_every_day_to_the_base_load() {
        let loaded = example();
        let network = &loaded.network;
        let levels = stock_to_demand(network, &loaded.stock, &[], 1, 0.0);
        let mut base = vec![0; network.nodes().len()];
        base[0] = 7;
        let mut state = NetworkState::new(network, &levels, base, Replenishment::default());
        state.start_day(0, date("2026-12-07"));
        let decision = crate::optimizer::route(
            network,
            state.stock(),
            &loaded.policy,
            &order("SKU-0151", 1),
        )
        .unwrap();
        state.apply(network, &decision);
        let node = network
            .node_index(&decision.plan.as_ref().unwrap().shipments[0].node)
            .unwrap();
        let taken = state.stock().orders_today(node);
        assert_eq!(taken, if node == 0 { 8 } else { 1 });
        state.start_day(1, date("2026-12-08"));
        assert_eq!(
            state.stock().orders_today(node),
            if node == 0 { 7 } else { 0 }
        );
        assert_eq!(state.stock().orders_today(0), 7);
    }

    #[test]
    fn units_are_reserved_then_shipped_then_replenished() {
        let loaded = example();
        let network = &loaded.network;
        let sku = network.sku_index("SKU-0151").unwrap();
        let levels = stock_to_demand(network, &loaded.stock, &[], 1, 0.0);
        let every_day = Replenishment {
            warehouse_every: 1,
            store_every: 1,
        };
        let never = Replenishment {
            warehouse_every: 1000,
            store_every: 1000,
        };
        for (schedule, refilled) in [(every_day, true), (never, false)] {
            let mut state = NetworkState::new(network, &levels, vec![0; 50], schedule);
            // Under `never`, days 1 and 2 are delivery days only of nodes 1 and 2.
            state.start_day(1, date("2026-12-07"));
            let decision = crate::optimizer::route(
                network,
                state.stock(),
                &loaded.policy,
                &order("SKU-0151", 2),
            )
            .unwrap();
            let shipment = &decision.plan.as_ref().unwrap().shipments[0];
            let node = network.node_index(&shipment.node).unwrap();
            let before = state.stock().position(node, sku);
            state.apply(network, &decision);
            let reserved = state.stock().position(node, sku);
            assert_eq!(reserved.reserved, before.reserved + 2);
            assert_eq!(reserved.available(), before.available() - 2);

            // The next day the shipment has left, and a delivery (if due) refills the position.
            let next = shipment.ship_date.succ_opt().unwrap();
            let started = state.start_day(2, next);
            assert_eq!(started.shipped, 2);
            let after = state.stock().position(node, sku);
            assert_eq!(after.reserved, 0);
            if refilled {
                assert_eq!(after, before);
                assert_eq!(started.replenished, 2);
            } else {
                assert_eq!(after.on_hand, before.on_hand - 2);
                assert_eq!(started.replenished, 0);
            }
        }
    }

    #[test]
    fn deliveries_are_staggered_by_node() {
        let schedule = Replenishment::default();
        let days: Vec<u32> = (0..14)
            .filter(|&day| schedule.delivers(NodeKind::Warehouse, 3, day))
            .collect();
        assert_eq!(days, vec![3, 10]);
        assert!((0..5).all(|day| schedule.delivers(NodeKind::Dropship, 9, day)));
        let stores: Vec<u32> = (0..7)
            .filter(|&day| schedule.delivers(NodeKind::Store, 11, day))
            .collect();
        assert_eq!(stores, vec![2, 5]);
    }
}
