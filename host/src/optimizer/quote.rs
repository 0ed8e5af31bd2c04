//! Pricing one shipment: what it costs for a node to ship a given content with each service that
//! keeps the promise, and which service is cheapest.

use chrono::NaiveDate;

use super::prepare::{NodeOption, OrderContext, ServiceOption};
use crate::decision::ShipmentCost;
use crate::model::Cents;

/// A node's best price for one content.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Quote {
    pub node: u32,
    pub service: u32,
    pub cost: Cents,
    pub delivery: NaiveDate,
}

/// The physical size of a content.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Parcel {
    pub weight_g: u64,
    pub volume_mm3: u64,
    pub units: u32,
}

/// The cost of shipping a parcel from a node with one service, or `None` if the parcel is too
/// heavy for the service's rate card.
pub(crate) fn shipment_cost(
    context: &OrderContext,
    node: usize,
    option: &NodeOption,
    service: &ServiceOption,
    parcel: Parcel,
) -> Option<ShipmentCost> {
    let spec = &context.network.nodes()[node];
    let carrier = &context.network.services()[service.service];
    let billable_lb = carrier.billable_lb(parcel.weight_g, parcel.volume_mm3);
    let shipping = carrier.charge(option.zone, billable_lb, context.order.ship_to.residential)?;
    let labor = spec.labor.per_order + spec.labor.per_unit * parcel.units as i64;
    let packaging = spec.packaging;
    let capacity_pressure = option.capacity_pressure;
    Some(ShipmentCost {
        shipping,
        labor,
        packaging,
        capacity_pressure,
        total: shipping + labor + packaging + capacity_pressure,
    })
}

/// The node's cheapest service for a parcel; among equal prices the earlier delivery, then the
/// service whose id sorts first.
pub(crate) fn best_quote(
    context: &OrderContext,
    node: usize,
    option: &NodeOption,
    parcel: Parcel,
) -> Option<Quote> {
    let mut best: Option<(Quote, u32)> = None;
    for service in &option.services {
        let Some(cost) = shipment_cost(context, node, option, service, parcel) else {
            continue;
        };
        let rank = context.network.service_rank(service.service);
        let candidate = Quote {
            node: node as u32,
            service: service.service as u32,
            cost: cost.total,
            delivery: service.delivery,
        };
        let better = match &best {
            None => true,
            Some((incumbent, incumbent_rank)) => {
                (candidate.cost, candidate.delivery, rank)
                    < (incumbent.cost, incumbent.delivery, *incumbent_rank)
            }
        };
        if better {
            best = Some((candidate, rank));
        }
    }
    best.map(|(quote, _)| quote)
}
