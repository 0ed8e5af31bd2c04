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

/// The cheapest of a node's promise-keeping services, given each one's carrier charge (`None`
/// where it cannot carry the parcel); among equal charges the earlier delivery, then the service
/// whose id sorts first. The node's other costs do not depend on the service, so this is also
/// the service with the cheapest shipment.
#[inline]
pub(crate) fn cheapest_service(
    context: &OrderContext,
    services: &[ServiceOption],
    mut charge: impl FnMut(&ServiceOption) -> Option<Cents>,
) -> Option<(Cents, ServiceOption)> {
    let mut best: Option<((Cents, NaiveDate, u32), ServiceOption)> = None;
    for choice in services {
        let Some(price) = charge(choice) else {
            continue;
        };
        let key = (
            price,
            choice.delivery,
            context.network.service_rank(choice.service),
        );
        if best.as_ref().is_none_or(|(held, _)| key < *held) {
            best = Some((key, *choice));
        }
    }
    best.map(|((price, _, _), choice)| (price, choice))
}

/// The node's cheapest promise-keeping service for a parcel, priced.
pub(crate) fn best_quote(
    context: &OrderContext,
    node: usize,
    option: &NodeOption,
    parcel: Parcel,
) -> Option<Quote> {
    let residential = context.order.ship_to.residential;
    let (_, choice) = cheapest_service(context, context.services(node), |choice| {
        let carrier = &context.network.services()[choice.service];
        let billable = carrier.billable_lb(parcel.weight_g, parcel.volume_mm3);
        carrier.charge(option.zone, billable, residential)
    })?;
    let cost = shipment_cost(context, node, option, &choice, parcel)?;
    Some(Quote {
        node: node as u32,
        service: choice.service as u32,
        cost: cost.total,
        delivery: choice.delivery,
    })
}
