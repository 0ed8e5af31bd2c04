//! The network: nodes, SKUs and carrier services, checked against each other once and indexed so
//! that routing an order looks nothing up by name.

use std::collections::BTreeSet;
use std::fmt;

use chrono::NaiveDate;
use foldhash::HashMap;
use serde::{Deserialize, Serialize};

use super::{CarrierService, Id, Node, Sku};
use crate::geo::{Geography, LatLon, Zip3};

/// The parts of a network as they arrive from files or the API, before they are checked.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkParts {
    pub nodes: Vec<Node>,
    pub skus: Vec<Sku>,
    pub services: Vec<CarrierService>,
    /// Days on which no carrier picks up or delivers, besides weekends.
    #[serde(default)]
    pub holidays: BTreeSet<NaiveDate>,
}

/// One thing wrong with a network: where it is and what it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// A path such as `nodes[3].services[1]`.
    pub location: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Everything wrong with a network, so that a user can fix it in one pass.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct NetworkError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for NetworkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        write!(
            f,
            "the network has {count} problem{}",
            if count == 1 { "" } else { "s" }
        )?;
        for problem in &self.problems {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

/// A checked network. Nodes, SKUs and services keep the order they were given in, and are
/// addressed by their index in that order.
#[derive(Clone, Debug)]
pub struct Network {
    nodes: Vec<Node>,
    skus: Vec<Sku>,
    services: Vec<CarrierService>,
    holidays: BTreeSet<NaiveDate>,
    /// Ids to positions. Every plugin call looks up the node and service of each shipment, so
    /// the maps hash with foldhash, which is faster than std's SipHash on short ids and still
    /// seeded per process.
    node_index: HashMap<Id, usize>,
    sku_index: HashMap<Id, usize>,
    service_index: HashMap<Id, usize>,
    /// For each node, the indices of the services it ships with.
    node_services: Vec<Vec<usize>>,
    /// Each node's position when nodes are sorted by id; ties between plans are broken by id, and
    /// comparing ranks is cheaper than comparing strings.
    node_rank: Vec<u32>,
    /// Each service's position when services are sorted by id.
    service_rank: Vec<u32>,
    /// Node indices in id order: the inverse of `node_rank`.
    nodes_by_id: Vec<usize>,
    /// `zones[destination ZIP3 * nodes + node]`, 0 where the destination is unknown. Laid out by
    /// destination so that one order reads one short row instead of one chart row per node.
    zones: Vec<u8>,
}

impl Network {
    /// Checks the parts and builds the indices. Every problem found is reported, not just the
    /// first.
    pub fn new(parts: NetworkParts) -> Result<Network, NetworkError> {
        let NetworkParts {
            nodes,
            skus,
            services,
            holidays,
        } = parts;
        let mut problems = Vec::new();
        let mut problem = |location: String, message: String| {
            problems.push(Problem { location, message });
        };

        let service_index = index_ids(services.iter().map(|s| &s.id), "services", &mut problem);
        for (at, service) in services.iter().enumerate() {
            let location = format!("services[{at}]");
            if service.dim_divisor == 0 {
                problem(
                    format!("{location}.dim_divisor"),
                    "must be greater than 0".into(),
                );
            }
            if service.residential_surcharge.0 < 0 {
                problem(
                    format!("{location}.residential_surcharge_cents"),
                    "must not be negative".into(),
                );
            }
            if service.rates.0.is_empty() {
                problem(
                    format!("{location}.rates"),
                    format!("service `{}` has no rates", service.id),
                );
            }
            for (zone, transit) in service.transit_days.iter().enumerate() {
                let priced = service.rates.0.iter().any(|row| row[zone].is_some());
                if transit.is_some() && !priced {
                    problem(
                        format!("{location}.transit_days[{zone}]"),
                        format!("zone {} has transit days but no rates", zone + 1),
                    );
                }
            }
            for (row, prices) in service.rates.0.iter().enumerate() {
                if prices.iter().flatten().any(|price| price.0 < 0) {
                    problem(
                        format!("{location}.rates[{row}]"),
                        "prices must not be negative".into(),
                    );
                }
            }
        }

        let sku_index = index_ids(skus.iter().map(|s| &s.id), "skus", &mut problem);

        let node_index = index_ids(nodes.iter().map(|n| &n.id), "nodes", &mut problem);
        let mut node_services = Vec::with_capacity(nodes.len());
        for (at, node) in nodes.iter().enumerate() {
            let location = format!("nodes[{at}]");
            let mut resolved = Vec::with_capacity(node.services.len());
            for (slot, id) in node.services.iter().enumerate() {
                match service_index.get(id) {
                    Some(&service) => resolved.push(service),
                    None => problem(
                        format!("{location}.services[{slot}]"),
                        format!("unknown carrier service `{id}`"),
                    ),
                }
            }
            node_services.push(resolved);
            if !on_the_globe(node.location) {
                problem(
                    format!("{location}.location"),
                    "latitude or longitude out of range".into(),
                );
            }
            for (cost, name) in [
                (node.labor.per_order, "labor.per_order_cents"),
                (node.labor.per_unit, "labor.per_unit_cents"),
                (node.packaging, "packaging_cents"),
            ] {
                if cost.0 < 0 {
                    problem(format!("{location}.{name}"), "must not be negative".into());
                }
            }
        }

        if !problems.is_empty() {
            return Err(NetworkError { problems });
        }
        let node_rank = ranks(nodes.iter().map(|n| &n.id));
        let geography = Geography::get();
        let mut zones = vec![0u8; 1000 * nodes.len()];
        for destination in 0..1000u16 {
            for (at, node) in nodes.iter().enumerate() {
                let zone = geography.zone(node.zip.zip3(), node.location, Zip3(destination));
                zones[destination as usize * nodes.len() + at] = zone.unwrap_or(0);
            }
        }
        let service_rank = ranks(services.iter().map(|s| &s.id));
        let mut nodes_by_id = vec![0; nodes.len()];
        for (node, &rank) in node_rank.iter().enumerate() {
            nodes_by_id[rank as usize] = node;
        }
        Ok(Network {
            nodes,
            skus,
            services,
            holidays,
            node_index,
            sku_index,
            service_index,
            node_services,
            node_rank,
            service_rank,
            nodes_by_id,
            zones,
        })
    }

    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    pub fn skus(&self) -> &[Sku] {
        &self.skus
    }

    pub fn services(&self) -> &[CarrierService] {
        &self.services
    }

    pub fn holidays(&self) -> &BTreeSet<NaiveDate> {
        &self.holidays
    }

    pub fn node_index(&self, id: &str) -> Option<usize> {
        self.node_index.get(id).copied()
    }

    pub fn sku_index(&self, id: &str) -> Option<usize> {
        self.sku_index.get(id).copied()
    }

    pub fn service_index(&self, id: &str) -> Option<usize> {
        self.service_index.get(id).copied()
    }

    /// The services a node ships with, as service indices.
    pub fn node_services(&self, node: usize) -> &[usize] {
        &self.node_services[node]
    }

    /// The zone from a node to a destination ZIP3, if the destination is known.
    pub fn zone(&self, node: usize, destination: Zip3) -> Option<u8> {
        match self.zones[destination.0 as usize * self.nodes.len() + node] {
            0 => None,
            zone => Some(zone),
        }
    }

    /// Node indices sorted by node id.
    pub fn nodes_by_id(&self) -> &[usize] {
        &self.nodes_by_id
    }

    pub fn node_rank(&self, node: usize) -> u32 {
        self.node_rank[node]
    }

    pub fn service_rank(&self, service: usize) -> u32 {
        self.service_rank[service]
    }

    /// The parts this network was built from, for saving or sending it on.
    pub fn to_parts(&self) -> NetworkParts {
        NetworkParts {
            nodes: self.nodes.clone(),
            skus: self.skus.clone(),
            services: self.services.clone(),
            holidays: self.holidays.clone(),
        }
    }
}

fn on_the_globe(at: LatLon) -> bool {
    (-90.0..=90.0).contains(&at.lat) && (-180.0..=180.0).contains(&at.lon)
}

/// Maps ids to their positions, reporting empty and repeated ids.
fn index_ids<'a>(
    ids: impl Iterator<Item = &'a Id>,
    list: &str,
    problem: &mut impl FnMut(String, String),
) -> HashMap<Id, usize> {
    let mut index = HashMap::default();
    for (at, id) in ids.enumerate() {
        if id.trim().is_empty() {
            problem(format!("{list}[{at}].id"), "must not be empty".into());
        } else if let Some(first) = index.insert(id.clone(), at) {
            index.insert(id.clone(), first);
            problem(
                format!("{list}[{at}].id"),
                format!("`{id}` is also {list}[{first}]"),
            );
        }
    }
    index
}

/// Each item's position when the ids are sorted.
fn ranks<'a>(ids: impl Iterator<Item = &'a Id>) -> Vec<u32> {
    let ids: Vec<&Id> = ids.collect();
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_by(|&a, &b| ids[a].cmp(ids[b]));
    let mut rank = vec![0; ids.len()];
    for (position, item) in order.into_iter().enumerate() {
        rank[item] = position as u32;
    }
    rank
}
