//! Small builders for decision inputs, so a plugin's logic can be unit-tested natively with
//! `cargo test`. Every builder fills the fields a test rarely cares about with plausible values;
//! the fields are public, so a test changes what matters to it.
//!
//! Plans are built shipment by shipment with [`shipment`] and [`plan`]; [`input`] lays them
//! out in the decision's flat lists as the host does.
//!
//! ```
//! use switchyard_sdk::testing::{input, node, order, plan, shipment};
//! use switchyard_sdk::NodeKind;
//!
//! let nodes = vec![node("DC-NJ", NodeKind::Warehouse), node("STORE-NYC", NodeKind::Store)];
//! let split = plan(vec![shipment(0, &[0]), shipment(1, &[0])]);
//! let decision = input(order("SO-1", "vip"), nodes, vec![split]);
//! assert!(decision.plans[0].is_split());
//! assert!(decision.plan_nodes(&decision.plans[0]).any(|node| node.is_store()));
//! ```

use crate::{
    Customer, Date, DecisionInput, Node, NodeKind, Order, OrderLine, Plan, Service, ServiceLevel,
    ShipTo, Shipment, ShipmentCost, ShipmentLine, Span,
};

/// The services every [`input`] lists, by position: ground, two-day and overnight.
pub const GROUND: u32 = 0;
pub const TWO_DAY: u32 = 1;
pub const OVERNIGHT: u32 = 2;

/// An order with one line of `SKU-1` (1 unit, 500 g) to New York, placed on a Tuesday morning.
pub fn order(id: &str, tier: &str) -> Order {
    Order {
        id: id.into(),
        channel: "web".into(),
        customer: Customer {
            id: "C-1".into(),
            tier: tier.into(),
            tags: Vec::new(),
        },
        ship_to: ShipTo {
            zip: "10016".into(),
            country: "US".into(),
            residential: true,
        },
        lines: vec![line("SKU-1", 1)],
        service_level: Some(ServiceLevel::Ground),
        deliver_by: Date::new(2026, 12, 14),
        placed_at: "2026-12-08T14:00:00Z".into(),
        attributes: Vec::new(),
    }
}

/// An order line of `quantity` units weighing 500 g each, with no tags.
pub fn line(sku: &str, quantity: u32) -> OrderLine {
    OrderLine {
        sku: sku.into(),
        quantity,
        tags: Vec::new(),
        handling: Vec::new(),
        weight_grams: 500,
    }
}

/// A node in Edison, NJ with no capabilities.
pub fn node(id: &str, kind: NodeKind) -> Node {
    Node {
        id: id.into(),
        kind,
        zip: "08837".into(),
        latitude: 40.51,
        longitude: -74.52,
        capabilities: Vec::new(),
    }
}

/// A shipment for [`plan`]: its fields, and the lines it carries.
#[derive(Clone, Debug)]
pub struct TestShipment {
    pub shipment: Shipment,
    pub lines: Vec<ShipmentLine>,
}

/// A plan for [`input`]: its fields, and its shipments.
#[derive(Clone, Debug)]
pub struct TestPlan {
    pub plan: Plan,
    pub shipments: Vec<TestShipment>,
}

/// A ground shipment from the `node`-th node of the decision carrying one unit of each listed
/// order line, 300 miles, costing $10.00 of shipping and $2.00 of labor.
pub fn shipment(node: u32, lines: &[u32]) -> TestShipment {
    let cost = ShipmentCost {
        shipping: 1000,
        labor: 200,
        packaging: 0,
        capacity_pressure: 0,
        total: 1200,
    };
    let shipment = Shipment {
        node,
        service: GROUND,
        zone: 3,
        lines: Span { first: 0, count: 0 },
        weight_grams: 500 * lines.len() as u64,
        distance_miles: 300.0,
        ship_date: Date::new(2026, 12, 8),
        estimated_delivery: Date::new(2026, 12, 11),
        cost,
    };
    TestShipment {
        shipment,
        lines: lines
            .iter()
            .map(|&line| ShipmentLine { line, quantity: 1 })
            .collect(),
    }
}

/// A plan of these shipments, with a $1.50 penalty per extra shipment.
pub fn plan(shipments: Vec<TestShipment>) -> TestPlan {
    let split_penalty = 150 * shipments.len().saturating_sub(1) as i64;
    let total = shipments.iter().map(|s| s.shipment.cost.total).sum::<i64>() + split_penalty;
    let estimated_delivery = shipments
        .iter()
        .map(|s| s.shipment.estimated_delivery)
        .max()
        .unwrap_or(Date::new(2026, 12, 11));
    TestPlan {
        plan: Plan {
            shipments: Span { first: 0, count: 0 },
            split_penalty,
            total,
            estimated_delivery,
        },
        shipments,
    }
}

/// A decision with this order, these nodes and these candidate plans, and UPS's ground,
/// two-day and overnight services at [`GROUND`], [`TWO_DAY`] and [`OVERNIGHT`].
pub fn input(order: Order, nodes: Vec<Node>, plans: Vec<TestPlan>) -> DecisionInput {
    let service = |id: &str, level| Service {
        id: id.into(),
        carrier: "ups".into(),
        level,
    };
    let mut decision = DecisionInput {
        order,
        nodes,
        services: vec![
            service("ups-ground", ServiceLevel::Ground),
            service("ups-2nd-day-air", ServiceLevel::TwoDay),
            service("ups-next-day-air", ServiceLevel::Overnight),
        ],
        shipments: Vec::new(),
        shipment_lines: Vec::new(),
        plans: Vec::new(),
    };
    for TestPlan {
        mut plan,
        shipments,
    } in plans
    {
        plan.shipments = Span {
            first: decision.shipments.len() as u32,
            count: shipments.len() as u32,
        };
        for TestShipment {
            mut shipment,
            lines,
        } in shipments
        {
            shipment.lines = Span {
                first: decision.shipment_lines.len() as u32,
                count: lines.len() as u32,
            };
            decision.shipment_lines.extend(lines);
            decision.shipments.push(shipment);
        }
        decision.plans.push(plan);
    }
    decision
}
