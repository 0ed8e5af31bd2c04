//! Turning what the search found into a [`Decision`](crate::decision::Decision)'s parts: plans
//! with names and cost breakdowns, a verdict per node, and sentences for people.

use std::sync::Arc;

use super::plan::RawPlan;
use super::prepare::{Line, OrderContext, ServiceOption};
use super::quote::{Parcel, Quote, best_quote, shipment_cost};
use crate::decision::{
    NodeVerdict, Plan, PlanCost, RejectReason, Shipment, ShipmentLine, Shortfall, Verdict,
};
use crate::model::Cents;

/// The parcel made of some units of each order line.
pub(crate) fn parcel(context: &OrderContext, quantities: &[u32]) -> Parcel {
    let mut parcel = Parcel {
        weight_g: 0,
        volume_mm3: 0,
        units: 0,
    };
    for (line, &quantity) in context.lines.iter().zip(quantities) {
        parcel.weight_g += line.unit_weight_g * quantity as u64;
        parcel.volume_mm3 += line.unit_volume_mm3 * quantity as u64;
        parcel.units += quantity;
    }
    parcel
}

/// A plan with ids, per-shipment cost breakdowns and dates.
pub(crate) fn plan(context: &OrderContext, raw: &RawPlan) -> Plan {
    let network = context.network;
    let mut cost = PlanCost::default();
    let mut shipments = Vec::with_capacity(raw.shipments.len());
    for shipment in &raw.shipments {
        let node = &network.nodes()[shipment.node];
        let service = &network.services()[shipment.service];
        let option = &context.nodes[shipment.node];
        let parcel = parcel(context, &shipment.quantities);
        let transit_days = service.transit(option.zone).unwrap_or(0);
        let chosen = ServiceOption {
            service: shipment.service,
            delivery: shipment.delivery,
        };
        let breakdown =
            shipment_cost(context, shipment.node, option, &chosen, parcel).unwrap_or_default();
        cost.shipping += breakdown.shipping;
        cost.labor += breakdown.labor;
        cost.packaging += breakdown.packaging;
        cost.capacity_pressure += breakdown.capacity_pressure;
        shipments.push(Shipment {
            node: node.id.clone(),
            node_kind: node.kind,
            service: service.id.clone(),
            carrier: service.carrier.clone(),
            service_level: service.level,
            zone: option.zone,
            lines: shipment
                .quantities
                .iter()
                .enumerate()
                .filter(|&(_, &quantity)| quantity > 0)
                .map(|(line, &quantity)| ShipmentLine {
                    line,
                    sku: context.order.lines[line].sku.clone(),
                    quantity,
                })
                .collect(),
            weight_g: parcel.weight_g,
            billable_lb: service.billable_lb(parcel.weight_g, parcel.volume_mm3),
            ship_date: option.ship_date,
            transit_days,
            estimated_delivery: shipment.delivery,
            cost: breakdown,
        });
    }
    cost.split_penalty = context.policy.split_penalty * (shipments.len().max(1) as i64 - 1);
    cost.total =
        cost.shipping + cost.labor + cost.packaging + cost.capacity_pressure + cost.split_penalty;
    let estimated_delivery = raw.latest_delivery().unwrap_or(context.deliver_by);
    Plan {
        shipments,
        cost,
        estimated_delivery,
        meets_promise: estimated_delivery <= context.deliver_by,
        adjustments: Vec::new(),
    }
}

/// Whether each node could ship the whole order alone: feasible nodes cheapest first, then the
/// rest by id.
///
/// `whole_order_quotes`, when the search has them, are the quotes for shipping everything from
/// one node; a node without one is then known not to manage it.
pub(crate) fn node_verdicts(
    context: &OrderContext,
    whole_order_quotes: Option<&[Quote]>,
) -> Vec<NodeVerdict> {
    let network = context.network;
    let whole: Vec<u32> = context.lines.iter().map(|line| line.quantity).collect();
    let whole_parcel = parcel(context, &whole);
    let mut known = vec![None; context.nodes.len()];
    for quote in whole_order_quotes.unwrap_or_default() {
        known[quote.node as usize] = Some(*quote);
    }
    // Nodes are visited in id order, so the rejected ones need no sorting.
    let mut feasible: Vec<(Cents, NodeVerdict)> = Vec::new();
    let mut rejected: Vec<NodeVerdict> = Vec::with_capacity(context.nodes.len());
    let mut holds_nothing = None;
    for &index in network.nodes_by_id() {
        let option = &context.nodes[index];
        let node = &network.nodes()[index];
        let quote = match whole_order_quotes {
            Some(_) => known[index],
            None if option.excluded.is_none() => best_quote(context, index, option, whole_parcel),
            None => None,
        };
        let verdict = if let Some(reason) = &option.excluded {
            Verdict::Rejected {
                reason: reason.clone(),
            }
        } else if let Some(quote) = quote {
            Verdict::CanShipAll {
                cost: quote.cost,
                service: network.services()[quote.service as usize].id.clone(),
                estimated_delivery: quote.delivery,
            }
        } else if let Some(reason) = shortfall(context, index, &mut holds_nothing) {
            Verdict::Rejected { reason }
        } else {
            // The node has everything but no service carries the parcel.
            let lightest = context
                .services(index)
                .iter()
                .map(|s| {
                    network.services()[s.service]
                        .billable_lb(whole_parcel.weight_g, whole_parcel.volume_mm3)
                })
                .min()
                .unwrap_or(0);
            Verdict::Rejected {
                reason: RejectReason::NoService {
                    billable_lb: lightest,
                },
            }
        };
        let verdict = NodeVerdict {
            node: node.id.clone(),
            verdict,
        };
        match verdict.verdict {
            Verdict::CanShipAll { cost, .. } => feasible.push((cost, verdict)),
            Verdict::Rejected { .. } => rejected.push(verdict),
        }
    }
    // A stable sort keeps id order among equal costs.
    feasible.sort_by_key(|(cost, _)| *cost);
    let mut verdicts: Vec<NodeVerdict> = feasible.into_iter().map(|(_, v)| v).collect();
    verdicts.append(&mut rejected);
    verdicts
}

/// Why a node cannot cover every line: a capability it lacks, or the units it is short.
/// `holds_nothing` is the shortfall of a node with none of the order's SKUs, shared by all such
/// nodes (most nodes, for most orders) and built by the first.
fn shortfall(
    context: &OrderContext,
    node: usize,
    holds_nothing: &mut Option<Arc<[Shortfall]>>,
) -> Option<RejectReason> {
    let network = context.network;
    let spec = &network.nodes()[node];
    let atp = context.atp(node);
    for line in &context.lines {
        let sku = &network.skus()[line.sku];
        if sku.handling.is_empty() {
            continue;
        }
        if let Some(capability) = sku.handling.difference(&spec.capabilities).next() {
            return Some(RejectReason::CannotHandle {
                sku: sku.id.clone(),
                capability: capability.clone(),
            });
        }
    }
    let short_of = |(line, &available): (&Line, &u32)| {
        (available < line.quantity).then(|| Shortfall {
            sku: network.skus()[line.sku].id.clone(),
            needed: line.quantity,
            available,
        })
    };
    let short: Arc<[Shortfall]> = if atp.iter().all(|&units| units == 0) {
        holds_nothing
            .get_or_insert_with(|| context.lines.iter().zip(atp).filter_map(short_of).collect())
            .clone()
    } else {
        context.lines.iter().zip(atp).filter_map(short_of).collect()
    };
    (!short.is_empty()).then_some(RejectReason::NoStock { short })
}

/// Why no plan exists, in one sentence.
pub(crate) fn unfulfillable_reason(context: &OrderContext) -> String {
    let network = context.network;
    for (at, line) in context.lines.iter().enumerate() {
        let sku = &network.skus()[line.sku].id;
        let held: u32 = context
            .stock
            .holders(line.sku)
            .map(|(_, p)| p.available())
            .sum();
        if held == 0 {
            return format!("line {at} ({sku}): no node has it available to promise");
        }
        let usable_nodes =
            || (0..context.nodes.len()).filter(|&n| context.nodes[n].excluded.is_none());
        let usable: u32 = usable_nodes().map(|node| context.available(node)[at]).sum();
        if usable == 0 {
            return format!(
                "line {at} ({sku}): every node that has it is full, cannot handle it, or cannot \
                 deliver by {}",
                context.deliver_by
            );
        }
        if usable < line.quantity {
            return format!(
                "line {at} ({sku}): {usable} of {} units can be shipped by {}",
                line.quantity, context.deliver_by
            );
        }
        let whole = usable_nodes().any(|node| context.available(node)[at] >= line.quantity);
        if !whole && !context.policy.split_line_quantities {
            return format!(
                "line {at} ({sku}): no single node has {} units and the policy does not split \
                 line quantities",
                line.quantity
            );
        }
    }
    format!(
        "no combination of at most {} shipment(s) covers every line by {}",
        context.policy.shipment_limit(),
        context.deliver_by
    )
}
