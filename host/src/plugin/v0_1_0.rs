//! Bindings for `switchyard:plugin@0.1.0`, and the conversion of a decision's candidates into
//! its types. A future interface version gets a module of its own beside this one, so the host
//! keeps serving plugins built for the old one.

use std::collections::HashMap;

use chrono::Datelike;

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

/// The decision as a plugin sees it. Each node and service that ships in some plan is converted
/// once and listed once; shipments refer to them by position.
pub fn decision_input(input: &RuleInput) -> wit::DecisionInput {
    let network = input.network;
    let order = input.order;
    let destination = Geography::get()
        .area(order.ship_to.zip.zip3())
        .map(|area| area.centroid);

    let mut nodes: Vec<wit::Node> = Vec::new();
    let mut node_at: HashMap<&str, (u32, f64)> = HashMap::new();
    let mut services: Vec<wit::Service> = Vec::new();
    let mut service_at: HashMap<&str, u32> = HashMap::new();
    let mut shipments = Vec::new();
    let mut shipment_lines = Vec::new();
    let mut plans = Vec::with_capacity(input.plans.len());
    for plan in input.plans {
        let first_shipment = shipments.len();
        for shipment in &plan.shipments {
            let (node, distance_miles) = *node_at.entry(&shipment.node).or_insert_with(|| {
                let known = network
                    .node_index(&shipment.node)
                    .map(|at| &network.nodes()[at]);
                let miles = match (known, destination) {
                    (Some(node), Some(to)) => node.location.miles_to(to),
                    _ => 0.0,
                };
                nodes.push(known.map_or_else(|| unknown_node(&shipment.node), convert_node));
                (nodes.len() as u32 - 1, miles)
            });
            let service = *service_at.entry(&shipment.service).or_insert_with(|| {
                services.push(wit::Service {
                    id: shipment.service.to_string(),
                    carrier: shipment.carrier.to_string(),
                    level: convert_level(shipment.service_level),
                });
                services.len() as u32 - 1
            });
            let first_line = shipment_lines.len();
            shipment_lines.extend(shipment.lines.iter().map(|line| wit::ShipmentLine {
                line: line.line as u32,
                quantity: line.quantity,
            }));
            let lines = span(first_line, shipment_lines.len());
            shipments.push(convert_shipment(
                shipment,
                node,
                service,
                lines,
                distance_miles,
            ));
        }
        plans.push(wit::Plan {
            shipments: span(first_shipment, shipments.len()),
            split_penalty: plan.cost.split_penalty.0,
            total: plan.cost.total.0,
            estimated_delivery: date(plan.estimated_delivery),
        });
    }

    wit::DecisionInput {
        order: convert_order(network, order, input.deliver_by),
        nodes,
        services,
        shipments,
        shipment_lines,
        plans,
    }
}

/// The entries of a list from `first` up to `end`.
fn span(first: usize, end: usize) -> wit::Span {
    wit::Span {
        first: first as u32,
        count: (end - first) as u32,
    }
}

fn date(date: chrono::NaiveDate) -> wit::Date {
    wit::Date {
        year: date.year() as u16,
        month: date.month() as u8,
        day: date.day() as u8,
    }
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
        deliver_by: date(deliver_by),
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
    node: u32,
    service: u32,
    lines: wit::Span,
    distance_miles: f64,
) -> wit::Shipment {
    let cost = &shipment.cost;
    wit::Shipment {
        node,
        service,
        zone: shipment.zone,
        lines,
        weight_grams: shipment.weight_g,
        distance_miles,
        ship_date: date(shipment.ship_date),
        estimated_delivery: date(shipment.estimated_delivery),
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
/// hazmat and the other tagged clearance, to Denver, with a single-node plan from a warehouse and
/// a split that uses a store.
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
    let day = |day| wit::Date {
        year: 2026,
        month: 12,
        day,
    };
    let shipment = |node, first_line, lines: u32, miles| wit::Shipment {
        node,
        service: 0,
        zone: 5,
        lines: wit::Span {
            first: first_line,
            count: lines,
        },
        weight_grams: 800 * u64::from(lines),
        distance_miles: miles,
        ship_date: day(8),
        estimated_delivery: day(11),
        cost: wit::ShipmentCost {
            shipping: 1500,
            labor: 200,
            packaging: 60,
            capacity_pressure: 0,
            total: 1760,
        },
    };
    // The whole order from the warehouse, then each line from one of the two nodes.
    let shipments = vec![
        shipment(0, 0, 2, 640.0),
        shipment(0, 2, 1, 640.0),
        shipment(1, 3, 1, 3.0),
    ];
    let shipment_lines = [0, 1, 0, 1]
        .into_iter()
        .map(|line| wit::ShipmentLine { line, quantity: 1 })
        .collect();
    let single = wit::Plan {
        shipments: wit::Span { first: 0, count: 1 },
        split_penalty: 0,
        total: 1760,
        estimated_delivery: day(11),
    };
    let split = wit::Plan {
        shipments: wit::Span { first: 1, count: 2 },
        split_penalty: 150,
        total: 3670,
        estimated_delivery: day(11),
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
            deliver_by: day(14),
            placed_at: "2026-12-08T14:00:00Z".into(),
            attributes: Vec::new(),
        },
        nodes: vec![
            node("DC-TX", wit::NodeKind::Warehouse, "75261", 32.9, -97.0),
            node("STORE-DEN", wit::NodeKind::Store, "80206", 39.7, -104.9),
        ],
        services: vec![wit::Service {
            id: "ups-ground".into(),
            carrier: "ups".into(),
            level: wit::ServiceLevel::Ground,
        }],
        shipments,
        shipment_lines,
        plans: vec![single, split],
    }
}
