//! Live state: inventory positions per node and SKU, and how many shipments each node has taken
//! today. This is what changes between decisions; the [`Network`](super::Network) does not.

use serde::{Deserialize, Serialize};

/// One SKU at one node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockPosition {
    pub on_hand: u32,
    /// Units promised to orders that have not shipped yet.
    pub reserved: u32,
    /// Units held back so that counting errors do not become broken promises.
    pub safety_stock: u32,
}

impl StockPosition {
    /// Available to promise: on hand minus reserved minus safety stock, never below zero.
    pub fn available(&self) -> u32 {
        self.on_hand
            .saturating_sub(self.reserved)
            .saturating_sub(self.safety_stock)
    }
}

/// Inventory and today's load for every node of one network, addressed by the network's node
/// and SKU indices.
#[derive(Clone, Debug, Default)]
pub struct Stock {
    /// For each SKU, the nodes that have a position in it, sorted by node index. Most SKUs sit
    /// at a few nodes, so this stays small for large catalogs.
    positions: Vec<Vec<(u32, StockPosition)>>,
    orders_today: Vec<u32>,
}

impl Stock {
    /// Empty stock for a network of `nodes` nodes and `skus` SKUs.
    pub fn new(nodes: usize, skus: usize) -> Stock {
        Stock {
            positions: vec![Vec::new(); skus],
            orders_today: vec![0; nodes],
        }
    }

    /// Sets the position of one SKU at one node, replacing any earlier one.
    pub fn set(&mut self, node: usize, sku: usize, position: StockPosition) {
        let holders = &mut self.positions[sku];
        match holders.binary_search_by_key(&(node as u32), |&(holder, _)| holder) {
            Ok(at) => holders[at].1 = position,
            Err(at) => holders.insert(at, (node as u32, position)),
        }
    }

    pub fn position(&self, node: usize, sku: usize) -> StockPosition {
        let holders = &self.positions[sku];
        holders
            .binary_search_by_key(&(node as u32), |&(holder, _)| holder)
            .map(|at| holders[at].1)
            .unwrap_or_default()
    }

    pub fn available(&self, node: usize, sku: usize) -> u32 {
        self.position(node, sku).available()
    }

    /// The nodes with a position in a SKU, as `(node index, position)`, by node index.
    pub fn holders(&self, sku: usize) -> impl Iterator<Item = (usize, StockPosition)> + '_ {
        self.positions[sku]
            .iter()
            .map(|&(node, position)| (node as usize, position))
    }

    pub fn orders_today(&self, node: usize) -> u32 {
        self.orders_today[node]
    }

    pub fn set_orders_today(&mut self, node: usize, orders: u32) {
        self.orders_today[node] = orders;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn available_never_goes_below_zero() {
        let position = StockPosition {
            on_hand: 5,
            reserved: 4,
            safety_stock: 3,
        };
        assert_eq!(position.available(), 0);
        let position = StockPosition {
            on_hand: 10,
            reserved: 4,
            safety_stock: 3,
        };
        assert_eq!(position.available(), 3);
    }

    #[test]
    fn set_replaces_and_keeps_holders_sorted() {
        let mut stock = Stock::new(4, 1);
        stock.set(
            3,
            0,
            StockPosition {
                on_hand: 1,
                ..Default::default()
            },
        );
        stock.set(
            1,
            0,
            StockPosition {
                on_hand: 2,
                ..Default::default()
            },
        );
        stock.set(
            3,
            0,
            StockPosition {
                on_hand: 7,
                ..Default::default()
            },
        );
        let holders: Vec<_> = stock
            .holders(0)
            .map(|(node, p)| (node, p.on_hand))
            .collect();
        assert_eq!(holders, vec![(1, 2), (3, 7)]);
        assert_eq!(stock.available(2, 0), 0);
    }
}
