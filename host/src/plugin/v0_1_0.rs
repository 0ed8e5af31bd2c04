//! Bindings for `switchyard:plugin@0.1.0`, and the conversion of a decision's candidates into
//! its types. A future interface version gets a module of its own beside this one, so the host
//! keeps serving plugins built for the old one.

use std::collections::HashMap;

use crate::decision;
use crate::geo::Geography;
use crate::model::{self, NodeKind, ServiceLevel};
use crate::rules::RuleInput;

/// Generated from the constraint world; it also holds the shared `types` and `host` interfaces.
pub mod constraint {
    wasmtime::component::bindgen!({
        path: "../wit/plugin@0.1.0",
        world: "constraint",
    });
}

/// Generated from the scorer world, reusing the constraint world's types so one converted
/// decision serves both kinds of plugin.
pub mod scorer {
    wasmtime::component::bindgen!({
        path: "../wit/plugin@0.1.0",
        world: "scorer",
        with: {
            "switchyard:plugin/types": super::constraint::switchyard::plugin::types,
            "switchyard:plugin/host": super::constraint::switchyard::plugin::host,
        },
    });
}

pub use constraint::exports::switchyard::plugin::constraint_rules::Verdict;
pub use constraint::switchyard::plugin::host;
pub use constraint::switchyard::plugin::types as wit;
pub use scorer::exports::switchyard::plugin::scorer_rules::Adjustment;

/// The decision as a plugin sees it.
pub fn decision_input(input: &RuleInput) -> wit::DecisionInput {
    let network = input.network;
    let order = input.order;
    let destination = Geography::get()
        .area(order.ship_to.zip.zip3())
        .map(|area| area.centroid);

    // Nodes are converted once even when many plans use them.
    let mut nodes: HashMap<&str, (wit::Node, f64)> = HashMap::new();
    let mut node = |id: &str| -> (wit::Node, f64) {
        if let Some(known) = nodes.get(id) {
            return known.clone();
        }
        let converted = network
            .node_index(id)
            .map(|at| &network.nodes()[at])
            .map(|node| {
                let miles = destination.map_or(0.0, |to| node.location.miles_to(to));
                (convert_node(node), miles)
            })
            .unwrap_or_else(|| (unknown_node(id), 0.0));
        nodes.insert(network_id(network, id), converted.clone());
        converted
    };

    let plans = input
        .plans
        .iter()
        .map(|plan| {
            let shipments = plan
                .shipments
                .iter()
                .map(|shipment| {
                    let (node, distance_miles) = node(&shipment.node);
                    convert_shipment(shipment, node, distance_miles)
                })
                .collect();
            wit::Plan {
                shipments,
                split_penalty: plan.cost.split_penalty.0,
                total: plan.cost.total.0,
                estimated_delivery: plan.estimated_delivery.to_string(),
            }
        })
        .collect();

    wit::DecisionInput {
        order: convert_order(network, order, input.deliver_by),
        plans,
    }
}

/// The network's own copy of a node id, so the cache above borrows from the network.
fn network_id<'n>(network: &'n model::Network, id: &str) -> &'n str {
    network
        .node_index(id)
        .map(|at| &*network.nodes()[at].id)
        .unwrap_or("")
}

fn convert_order(
    network: &model::Network,
    order: &model::Order,
    deliver_by: chrono::NaiveDate,
) -> wit::Order {
    let lines = order
        .lines
        .iter()
        .map(|line| {
            let sku = network.sku_index(&line.sku).map(|at| &network.skus()[at]);
            wit::OrderLine {
                sku: line.sku.to_string(),
                quantity: line.quantity,
                tags: sku
                    .map(|s| s.tags.iter().cloned().collect())
                    .unwrap_or_default(),
                handling: sku
                    .map(|s| s.handling.iter().cloned().collect())
                    .unwrap_or_default(),
                weight_grams: sku.map_or(0, |s| s.weight_g),
            }
        })
        .collect();
    wit::Order {
        id: order.id.to_string(),
        channel: order.channel.clone(),
        customer: wit::Customer {
            id: order.customer.id.to_string(),
            tier: order.customer.tier.clone(),
            tags: order.customer.tags.iter().cloned().collect(),
        },
        ship_to: wit::ShipTo {
            zip: order.ship_to.zip.to_string(),
            country: order.ship_to.country.clone(),
            residential: order.ship_to.residential,
        },
        lines,
        service_level: order.service_level.map(convert_level),
        deliver_by: deliver_by.to_string(),
        placed_at: order
            .placed_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        attributes: order
            .attributes
            .iter()
            .map(|(name, value)| (name.clone(), value.to_string()))
            .collect(),
    }
}

fn convert_node(node: &model::Node) -> wit::Node {
    wit::Node {
        id: node.id.to_string(),
        kind: match node.kind {
            NodeKind::Warehouse => wit::NodeKind::Warehouse,
            NodeKind::Store => wit::NodeKind::Store,
            NodeKind::ThirdParty => wit::NodeKind::ThirdParty,
            NodeKind::Dropship => wit::NodeKind::Dropship,
        },
        zip: node.zip.to_string(),
        latitude: node.location.lat,
        longitude: node.location.lon,
        capabilities: node.capabilities.iter().cloned().collect(),
    }
}

/// A node the network does not know; plans only name known nodes, so this is never shown.
fn unknown_node(id: &str) -> wit::Node {
    wit::Node {
        id: id.to_string(),
        kind: wit::NodeKind::Warehouse,
        zip: String::new(),
        latitude: 0.0,
        longitude: 0.0,
        capabilities: Vec::new(),
    }
}

fn convert_level(level: ServiceLevel) -> wit::ServiceLevel {
    match level {
        ServiceLevel::Ground => wit::ServiceLevel::Ground,
        ServiceLevel::TwoDay => wit::ServiceLevel::TwoDay,
        ServiceLevel::Overnight => wit::ServiceLevel::Overnight,
    }
}

fn convert_shipment(
    shipment: &decision::Shipment,
    node: wit::Node,
    distance_miles: f64,
) -> wit::Shipment {
    let cost = &shipment.cost;
    wit::Shipment {
        node,
        service: shipment.service.to_string(),
        carrier: shipment.carrier.to_string(),
        service_level: convert_level(shipment.service_level),
        zone: shipment.zone,
        lines: shipment
            .lines
            .iter()
            .map(|line| wit::ShipmentLine {
                line: line.line as u32,
                sku: line.sku.to_string(),
                quantity: line.quantity,
            })
            .collect(),
        weight_grams: shipment.weight_g,
        distance_miles,
        ship_date: shipment.ship_date.to_string(),
        estimated_delivery: shipment.estimated_delivery.to_string(),
        cost: wit::ShipmentCost {
            shipping: cost.shipping.0,
            labor: cost.labor.0,
            packaging: cost.packaging.0,
            capacity_pressure: cost.capacity_pressure.0,
            total: cost.total.0,
        },
    }
}

/// A decision for checking a freshly loaded plugin before it goes live: two lines, one of them
/// hazmat and tagged clearance, to Denver, with a single-node plan from a warehouse and a split
/// that uses a store.
pub fn sample_input() -> wit::DecisionInput {
    let line = |sku: &str, tags: &[&str], handling: &[&str]| wit::OrderLine {
        sku: sku.into(),
        quantity: 1,
        tags: tags.iter().map(|t| t.to_string()).collect(),
        handling: handling.iter().map(|t| t.to_string()).collect(),
        weight_grams: 800,
    };
    let node = |id: &str, kind, zip: &str, latitude, longitude| wit::Node {
        id: id.into(),
        kind,
        zip: zip.into(),
        latitude,
        longitude,
        capabilities: vec!["hazmat".into()],
    };
    let shipment = |node: wit::Node, lines: &[u32], miles| wit::Shipment {
        node,
        service: "ups-ground".into(),
        carrier: "ups".into(),
        service_level: wit::ServiceLevel::Ground,
        zone: 5,
        lines: lines
            .iter()
            .map(|&l| wit::ShipmentLine {
                line: l,
                sku: format!("SAMPLE-{l}"),
                quantity: 1,
            })
            .collect(),
        weight_grams: 800 * lines.len() as u64,
        distance_miles: miles,
        ship_date: "2026-12-08".into(),
        estimated_delivery: "2026-12-11".into(),
        cost: wit::ShipmentCost {
            shipping: 1500,
            labor: 200,
            packaging: 60,
            capacity_pressure: 0,
            total: 1760,
        },
    };
    let warehouse = || node("DC-TX", wit::NodeKind::Warehouse, "75261", 32.9, -97.0);
    let store = node("STORE-DEN", wit::NodeKind::Store, "80206", 39.7, -104.9);
    let single = wit::Plan {
        shipments: vec![shipment(warehouse(), &[0, 1], 640.0)],
        split_penalty: 0,
        total: 1760,
        estimated_delivery: "2026-12-11".into(),
    };
    let split = wit::Plan {
        shipments: vec![
            shipment(warehouse(), &[0], 640.0),
            shipment(store, &[1], 3.0),
        ],
        split_penalty: 150,
        total: 3670,
        estimated_delivery: "2026-12-11".into(),
    };
    wit::DecisionInput {
        order: wit::Order {
            id: "SAMPLE-1".into(),
            channel: "web".into(),
            customer: wit::Customer {
                id: "C-SAMPLE".into(),
                tier: "vip".into(),
                tags: Vec::new(),
            },
            ship_to: wit::ShipTo {
                zip: "80206".into(),
                country: "US".into(),
                residential: true,
            },
            lines: vec![
                line("SAMPLE-0", &["clearance"], &[]),
                line("SAMPLE-1", &["beauty"], &["hazmat"]),
            ],
            service_level: Some(wit::ServiceLevel::Ground),
            deliver_by: "2026-12-14".into(),
            placed_at: "2026-12-08T14:00:00Z".into(),
            attributes: Vec::new(),
        },
        plans: vec![single, split],
    }
}
