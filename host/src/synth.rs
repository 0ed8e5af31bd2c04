//! Larger networks built from a real one, for benchmarks and simulations.
//!
//! [`scaled`] keeps a base network's distribution centers, 3PLs and drop-ship vendors, and takes
//! or adds ship-from-store nodes until the network has the requested size. Added stores copy a
//! base store's costs, services and assortment, and sit at real ZIP3 centroids drawn in
//! proportion to population, so a large network looks like a retailer's, not like noise.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::geo::{Geography, Zip3Area};
use crate::model::{Network, NetworkParts, NodeKind, Stock};

/// A network of `size` nodes grown or trimmed from `base`, with stock to match. The same seed
/// gives the same network.
///
/// # Panics
///
/// If `base` has no store to copy when stores must be added.
pub fn scaled(base: &Network, base_stock: &Stock, size: usize, seed: u64) -> (Network, Stock) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);

    // Keep the non-store nodes by priority, then the base's stores, up to `size`.
    let mut kept: Vec<usize> = (0..base.nodes().len()).collect();
    kept.sort_by_key(|&node| {
        let spec = &base.nodes()[node];
        (
            spec.kind == NodeKind::Store,
            spec.priority,
            base.node_rank(node),
        )
    });
    kept.truncate(size);
    let stores: Vec<usize> = (0..base.nodes().len())
        .filter(|&n| base.nodes()[n].kind == NodeKind::Store)
        .collect();

    let mut parts = NetworkParts {
        nodes: kept
            .iter()
            .map(|&node| base.nodes()[node].clone())
            .collect(),
        skus: base.skus().to_vec(),
        services: base.services().to_vec(),
        holidays: base.holidays().clone(),
    };
    // Where each node's assortment comes from in the base network.
    let mut template: Vec<usize> = kept.clone();

    // Add stores at populous ZIP3s until the network is big enough.
    let areas: Vec<&Zip3Area> = Geography::get()
        .areas()
        .filter(|area| time_zone_of_state(&area.state).is_some())
        .collect();
    let people: u64 = areas.iter().map(|area| area.population).sum();
    let mut added = 0;
    while parts.nodes.len() < size {
        assert!(!stores.is_empty(), "the base network has no store to copy");
        let copy = stores[rng.random_range(0..stores.len())];
        let mut draw = rng.random_range(0..people);
        let area = areas
            .iter()
            .find(|area| {
                if draw < area.population {
                    return true;
                }
                draw -= area.population;
                false
            })
            .unwrap_or(&areas[0]);
        added += 1;
        let mut node = base.nodes()[copy].clone();
        node.id = format!("SYN-STORE-{added:04}").into();
        node.name = format!("Synthetic store in ZIP3 {}", area.zip3);
        node.zip = format!("{}01", area.zip3).parse().unwrap_or(node.zip);
        node.location = area.centroid;
        node.time_zone = time_zone_of_state(&area.state).unwrap_or(node.time_zone);
        parts.nodes.push(node);
        template.push(copy);
    }

    let network = Network::new(parts).expect("a scaled copy of a valid network is valid");
    let mut stock = Stock::new(network.nodes().len(), network.skus().len());
    for (node, &source) in template.iter().enumerate() {
        for sku in 0..network.skus().len() {
            let position = base_stock.position(source, sku);
            if position != Default::default() {
                stock.set(node, sku, position);
            }
        }
        let fresh = node >= kept.len();
        stock.set_orders_today(
            node,
            if fresh {
                0
            } else {
                base_stock.orders_today(source)
            },
        );
    }
    (network, stock)
}

/// The time zone most of a state's people live in; `None` outside the 50 states and DC.
pub fn time_zone_of_state(state: &str) -> Option<chrono_tz::Tz> {
    use chrono_tz::America::*;
    use chrono_tz::Pacific::Honolulu;
    Some(match state {
        "CT" | "DE" | "DC" | "FL" | "GA" | "ME" | "MD" | "MA" | "NH" | "NJ" | "NY" | "NC"
        | "OH" | "PA" | "RI" | "SC" | "VT" | "VA" | "WV" | "MI" | "IN" | "KY" => New_York,
        "AL" | "AR" | "IL" | "IA" | "LA" | "MN" | "MS" | "MO" | "OK" | "WI" | "TN" | "TX"
        | "KS" | "NE" | "SD" | "ND" => Chicago,
        "CO" | "MT" | "NM" | "UT" | "WY" | "ID" => Denver,
        "AZ" => Phoenix,
        "CA" | "NV" | "OR" | "WA" => Los_Angeles,
        "AK" => Anchorage,
        "HI" => Honolulu,
        _ => return None,
    })
}
