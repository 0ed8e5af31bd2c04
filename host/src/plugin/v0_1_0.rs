//! Bindings for `switchyard:plugin@0.1.0`, and the conversion of a decision's candidates into
//! its types. A future interface version gets a module of its own beside this one, so the host
//! keeps serving plugins built for the old one.

use chrono::Datelike;
use wasmtime::component::__internal::{
    CanonicalAbiInfo, InstanceType, InterfaceType, LowerContext,
};
use wasmtime::component::{ComponentType, Lower};

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

/// The `decision-input` a plugin is called with, borrowed from a [`Decision`]: a view that
/// lowers straight into the plugin's memory, and that scorers share with constraints (with fewer
/// plans when constraints rejected some).
///
/// The records mirror the WIT types of the same names field by field (wasmtime checks that
/// against the plugin's export when it is called), but hold text as borrowed `&str` where the
/// generated bindings would hold a `String`, so converting a decision copies no text.
#[derive(ComponentType, Lower)]
#[component(record)]
pub struct Input<'a> {
    pub order: &'a Order<'a>,
    pub nodes: &'a [Node<'a>],
    pub services: &'a [Service<'a>],
    pub shipments: &'a [Plain<wit::Shipment>],
    #[component(name = "shipment-lines")]
    pub shipment_lines: &'a [Plain<wit::ShipmentLine>],
    pub plans: &'a [Plain<wit::Plan>],
}

#[derive(ComponentType, Lower)]
#[component(record)]
pub struct Order<'a> {
    pub id: &'a str,
    pub channel: &'a str,
    pub customer: Customer<'a>,
    #[component(name = "ship-to")]
    pub ship_to: ShipTo<'a>,
    pub lines: Vec<OrderLine<'a>>,
    #[component(name = "service-level")]
    pub service_level: Option<wit::ServiceLevel>,
    #[component(name = "deliver-by")]
    pub deliver_by: wit::Date,
    #[component(name = "placed-at")]
    pub placed_at: String,
    pub attributes: Vec<(&'a str, String)>,
}

#[derive(ComponentType, Lower)]
#[component(record)]
pub struct Customer<'a> {
    pub id: &'a str,
    pub tier: &'a str,
    pub tags: Vec<&'a str>,
}

#[derive(ComponentType, Lower)]
#[component(record)]
pub struct ShipTo<'a> {
    pub zip: String,
    pub country: &'a str,
    pub residential: bool,
}

#[derive(ComponentType, Lower)]
#[component(record)]
pub struct OrderLine<'a> {
    pub sku: &'a str,
    pub quantity: u32,
    pub tags: Vec<&'a str>,
    pub handling: Vec<&'a str>,
    #[component(name = "weight-grams")]
    pub weight_grams: u32,
}

#[derive(ComponentType, Lower)]
#[component(record)]
pub struct Node<'a> {
    pub id: &'a str,
    pub kind: wit::NodeKind,
    pub zip: String,
    pub latitude: f64,
    pub longitude: f64,
    pub capabilities: Vec<&'a str>,
}

#[derive(ComponentType, Lower)]
#[component(record)]
pub struct Service<'a> {
    pub id: &'a str,
    pub carrier: &'a str,
    pub level: wit::ServiceLevel,
}

/// A record of numbers only (a shipment, a plan, a shipment line), lowered into a plugin's
/// memory a whole list at a time.
///
/// Wasmtime's generated lowering looks the plugin's memory up again for every field it writes,
/// which made lowering a decision's shipments the largest part of a plugin call. `Plain` has the
/// same WIT type as the record it wraps (its type check and layout are the record's own), but
/// writes a list of them into one borrowed slice of memory, field by field in the canonical ABI's
/// layout (see [`Fields`]). A `Plain` on its own, or passed as flat values, lowers as the record.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(transparent)]
pub struct Plain<T>(pub T);

/// A record whose canonical ABI bytes [`Plain`] can write itself.
pub trait Pack: ComponentType + Lower {
    /// Writes the record into `out`, which is exactly `Self::SIZE32` bytes.
    fn pack(&self, out: &mut Fields<'_>);
}

// SAFETY: everything about the type is the wrapped record's, which wasmtime's derive wrote.
unsafe impl<T: Pack> ComponentType for Plain<T> {
    type Lower = <T as ComponentType>::Lower;

    const ABI: CanonicalAbiInfo = T::ABI;

    fn typecheck(ty: &InterfaceType, types: &InstanceType<'_>) -> wasmtime::Result<()> {
        T::typecheck(ty, types)
    }
}

// SAFETY: single values lower as the record; a list writes the bytes the record's own lowering
// would, into the range the caller reserved for it.
unsafe impl<T: Pack> Lower for Plain<T> {
    fn linear_lower_to_flat<U>(
        &self,
        cx: &mut LowerContext<'_, U>,
        ty: InterfaceType,
        dst: &mut std::mem::MaybeUninit<Self::Lower>,
    ) -> wasmtime::Result<()> {
        self.0.linear_lower_to_flat(cx, ty, dst)
    }

    fn linear_lower_to_memory<U>(
        &self,
        cx: &mut LowerContext<'_, U>,
        ty: InterfaceType,
        offset: usize,
    ) -> wasmtime::Result<()> {
        self.0.linear_lower_to_memory(cx, ty, offset)
    }

    fn linear_store_list_to_memory<U>(
        cx: &mut LowerContext<'_, U>,
        _ty: InterfaceType,
        offset: usize,
        items: &[Self],
    ) -> wasmtime::Result<()> {
        let size = T::SIZE32;
        let memory = cx.as_slice_mut();
        // The caller allocated the list's bytes in the plugin's memory; a plugin whose allocator
        // answered with a range outside its memory gets an error, not a panic.
        let bytes = offset
            .checked_add(items.len() * size)
            .and_then(|end| memory.get_mut(offset..end))
            .ok_or_else(|| wasmtime::format_err!("a list's memory is out of bounds"))?;
        for (item, out) in items.iter().zip(bytes.chunks_exact_mut(size)) {
            let mut fields = Fields { out, at: 0 };
            item.0.pack(&mut fields);
            debug_assert_eq!(fields.at.next_multiple_of(T::ALIGN32 as usize), size);
        }
        Ok(())
    }
}

/// Writes a record's fields one after the other, each at the next offset its alignment allows,
/// which is the canonical ABI's record layout. Every field here is a little-endian number whose
/// alignment is its size; a nested record starts at its own alignment ([`Fields::record`]), and
/// the nested records used here (span, date, shipment cost) have no padding at their end.
pub struct Fields<'m> {
    out: &'m mut [u8],
    at: usize,
}

impl Fields<'_> {
    fn put<const N: usize>(&mut self, bytes: [u8; N]) {
        self.at = self.at.next_multiple_of(N);
        self.out[self.at..self.at + N].copy_from_slice(&bytes);
        self.at += N;
    }

    fn record(&mut self, align: u32) -> &mut Self {
        self.at = self.at.next_multiple_of(align as usize);
        self
    }

    fn span(&mut self, span: &wit::Span) {
        self.record(wit::Span::ALIGN32);
        self.put(span.first.to_le_bytes());
        self.put(span.count.to_le_bytes());
    }

    fn date(&mut self, date: &wit::Date) {
        self.record(wit::Date::ALIGN32);
        self.put(date.year.to_le_bytes());
        self.put([date.month]);
        self.put([date.day]);
    }
}

impl Pack for wit::Shipment {
    fn pack(&self, out: &mut Fields<'_>) {
        out.put(self.node.to_le_bytes());
        out.put(self.service.to_le_bytes());
        out.put([self.zone]);
        out.span(&self.lines);
        out.put(self.weight_grams.to_le_bytes());
        out.put(self.distance_miles.to_le_bytes());
        out.date(&self.ship_date);
        out.date(&self.estimated_delivery);
        let cost = &self.cost;
        out.record(wit::ShipmentCost::ALIGN32);
        for cents in [
            cost.shipping,
            cost.labor,
            cost.packaging,
            cost.capacity_pressure,
            cost.total,
        ] {
            out.put(cents.to_le_bytes());
        }
    }
}

impl Pack for wit::Plan {
    fn pack(&self, out: &mut Fields<'_>) {
        out.span(&self.shipments);
        out.put(self.split_penalty.to_le_bytes());
        out.put(self.total.to_le_bytes());
        out.date(&self.estimated_delivery);
    }
}

impl Pack for wit::ShipmentLine {
    fn pack(&self, out: &mut Fields<'_>) {
        out.put(self.line.to_le_bytes());
        out.put(self.quantity.to_le_bytes());
    }
}

/// A decision converted for plugins once, whatever the number of plugins. Each node and service
/// that ships in some plan is listed once; shipments refer to them by position.
pub struct Decision<'a> {
    order: Order<'a>,
    nodes: Vec<Node<'a>>,
    services: Vec<Service<'a>>,
    shipments: Vec<Plain<wit::Shipment>>,
    shipment_lines: Vec<Plain<wit::ShipmentLine>>,
    plans: Vec<Plain<wit::Plan>>,
}

impl<'a> Decision<'a> {
    /// Every candidate plan.
    pub fn input(&self) -> Input<'_> {
        self.with_plans(&self.plans)
    }

    /// The same decision with other plans (a subset of its own).
    pub fn with_plans<'b>(&'b self, plans: &'b [Plain<wit::Plan>]) -> Input<'b> {
        Input {
            order: &self.order,
            nodes: &self.nodes,
            services: &self.services,
            shipments: &self.shipments,
            shipment_lines: &self.shipment_lines,
            plans,
        }
    }

    pub fn plans(&self) -> &[Plain<wit::Plan>] {
        &self.plans
    }
}

/// Converts a decision's candidates for plugins.
pub fn decision<'a>(input: &RuleInput<'a>) -> Decision<'a> {
    let network = input.network;
    let order = input.order;
    let destination = Geography::get()
        .area(order.ship_to.zip.zip3())
        .map(|area| area.centroid);

    // Where each of the network's nodes and services is listed, by the network's own index (see
    // `listed_once`). Zeroed vectors come straight from the allocator.
    let mut node_at = vec![0u32; network.nodes().len()];
    let mut service_at = vec![0u32; network.services().len()];
    let shipment_count: usize = input.plans.iter().map(|plan| plan.shipments.len()).sum();
    let mut nodes = Vec::with_capacity(shipment_count.min(network.nodes().len()));
    // Each listed node's distance to the destination, by position in `nodes`.
    let mut miles = Vec::with_capacity(nodes.capacity());
    let mut services = Vec::with_capacity(shipment_count.min(network.services().len()));
    let mut shipments = Vec::with_capacity(shipment_count);
    let mut shipment_lines = Vec::with_capacity(shipment_count * order.lines.len().max(1));
    let mut plans = Vec::with_capacity(input.plans.len());
    for plan in input.plans {
        let first_shipment = shipments.len();
        for shipment in &plan.shipments {
            let mut add_node = |node, miles_to_destination| {
                nodes.push(node);
                miles.push(miles_to_destination);
                nodes.len() - 1
            };
            let node = match network.node_index(&shipment.node) {
                Some(at) => listed_once(&mut node_at[at], || {
                    let known = &network.nodes()[at];
                    let to = destination.map_or(0.0, |to| known.location.miles_to(to));
                    add_node(convert_node(known), to)
                }),
                None => add_node(unknown_node(&shipment.node), 0.0) as u32,
            };
            let distance_miles = miles[node as usize];
            let mut add_service = || {
                services.push(Service {
                    id: &shipment.service,
                    carrier: &shipment.carrier,
                    level: convert_level(shipment.service_level),
                });
                services.len() - 1
            };
            let service = match network.service_index(&shipment.service) {
                Some(at) => listed_once(&mut service_at[at], add_service),
                None => add_service() as u32,
            };
            let first_line = shipment_lines.len();
            shipment_lines.extend(shipment.lines.iter().map(|line| {
                Plain(wit::ShipmentLine {
                    line: line.line as u32,
                    quantity: line.quantity,
                })
            }));
            let lines = span(first_line, shipment_lines.len());
            shipments.push(Plain(convert_shipment(
                shipment,
                node,
                service,
                lines,
                distance_miles,
            )));
        }
        plans.push(Plain(wit::Plan {
            shipments: span(first_shipment, shipments.len()),
            split_penalty: plan.cost.split_penalty.0,
            total: plan.cost.total.0,
            estimated_delivery: date(plan.estimated_delivery),
        }));
    }

    Decision {
        order: convert_order(network, order, input.deliver_by),
        nodes,
        services,
        shipments,
        shipment_lines,
        plans,
    }
}

/// The position of an entry listed on first use: `slot` holds its position plus one, or 0 until
/// `list` has listed it and returned its position.
fn listed_once(slot: &mut u32, list: impl FnOnce() -> usize) -> u32 {
    if *slot == 0 {
        *slot = list() as u32 + 1;
    }
    *slot - 1
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

fn texts(set: &std::collections::BTreeSet<String>) -> Vec<&str> {
    set.iter().map(String::as_str).collect()
}

fn convert_order<'a>(
    network: &'a model::Network,
    order: &'a model::Order,
    deliver_by: chrono::NaiveDate,
) -> Order<'a> {
    let lines = order
        .lines
        .iter()
        .map(|line| {
            let sku = network.sku_index(&line.sku).map(|at| &network.skus()[at]);
            OrderLine {
                sku: &line.sku,
                quantity: line.quantity,
                tags: sku.map(|s| texts(&s.tags)).unwrap_or_default(),
                handling: sku.map(|s| texts(&s.handling)).unwrap_or_default(),
                weight_grams: sku.map_or(0, |s| s.weight_g),
            }
        })
        .collect();
    Order {
        id: &order.id,
        channel: &order.channel,
        customer: Customer {
            id: &order.customer.id,
            tier: &order.customer.tier,
            tags: texts(&order.customer.tags),
        },
        ship_to: ShipTo {
            zip: order.ship_to.zip.to_string(),
            country: &order.ship_to.country,
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
            .map(|(name, value)| (name.as_str(), value.to_string()))
            .collect(),
    }
}

fn convert_node(node: &model::Node) -> Node<'_> {
    Node {
        id: &node.id,
        kind: match node.kind {
            NodeKind::Warehouse => wit::NodeKind::Warehouse,
            NodeKind::Store => wit::NodeKind::Store,
            NodeKind::ThirdParty => wit::NodeKind::ThirdParty,
            NodeKind::Dropship => wit::NodeKind::Dropship,
        },
        zip: node.zip.to_string(),
        latitude: node.location.lat,
        longitude: node.location.lon,
        capabilities: texts(&node.capabilities),
    }
}

/// A node the network does not know; plans only name known nodes, so this is never shown.
fn unknown_node(id: &str) -> Node<'_> {
    Node {
        id,
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
pub fn sample_decision() -> Decision<'static> {
    let line = |sku, tags: &[&'static str], handling: &[&'static str]| OrderLine {
        sku,
        quantity: 1,
        tags: tags.to_vec(),
        handling: handling.to_vec(),
        weight_grams: 800,
    };
    let node = |id, kind, zip: &str, latitude, longitude| Node {
        id,
        kind,
        zip: zip.into(),
        latitude,
        longitude,
        capabilities: vec!["hazmat"],
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
        Plain(shipment(0, 0, 2, 640.0)),
        Plain(shipment(0, 2, 1, 640.0)),
        Plain(shipment(1, 3, 1, 3.0)),
    ];
    let shipment_lines = [0, 1, 0, 1]
        .into_iter()
        .map(|line| Plain(wit::ShipmentLine { line, quantity: 1 }))
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
    Decision {
        order: Order {
            id: "SAMPLE-1",
            channel: "web",
            customer: Customer {
                id: "C-SAMPLE",
                tier: "vip",
                tags: Vec::new(),
            },
            ship_to: ShipTo {
                zip: "80206".into(),
                country: "US",
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
        services: vec![Service {
            id: "ups-ground",
            carrier: "ups",
            level: wit::ServiceLevel::Ground,
        }],
        shipments,
        shipment_lines,
        plans: vec![Plain(single), Plain(split)],
    }
}
