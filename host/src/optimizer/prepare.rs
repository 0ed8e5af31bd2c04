//! The first step of routing: check the order against the network and work out, once per order,
//! everything about each node that does not depend on which lines it ships: its zone to the
//! destination, its ship date, the services that keep the promise, how much of each line it can
//! ship, and its capacity pressure.

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::RouteError;
use crate::calendar::Calendar;
use crate::decision::RejectReason;
use crate::geo::{Geography, Zip3};
use crate::model::{Cents, Network, Order, RoutingPolicy, Stock, TenantPolicy};

/// One order line, resolved against the network.
#[derive(Clone, Debug)]
pub(crate) struct Line {
    pub sku: usize,
    pub quantity: u32,
    pub unit_weight_g: u64,
    pub unit_volume_mm3: u64,
}

/// A carrier service at a node that arrives by the promised date.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ServiceOption {
    pub service: usize,
    pub delivery: NaiveDate,
}

/// What one node can do for this order.
#[derive(Clone, Debug)]
pub(crate) struct NodeOption {
    pub zone: u8,
    pub ship_date: NaiveDate,
    /// Services that keep the promise, in the node's listed order.
    pub services: Vec<ServiceOption>,
    /// Units of each line the node can ship: available to promise, capped at the line's
    /// quantity, and 0 where the node lacks a capability the SKU needs.
    pub available: Vec<u32>,
    pub capacity_pressure: Cents,
    /// Why the node can take no part in any plan, if it cannot.
    pub excluded: Option<RejectReason>,
}

/// An order made ready for search.
pub(crate) struct OrderContext<'a> {
    pub network: &'a Network,
    pub stock: &'a Stock,
    pub order: &'a Order,
    pub policy: RoutingPolicy,
    pub calendar: Calendar<'a>,
    pub deliver_by: NaiveDate,
    pub lines: Vec<Line>,
    /// Indexed like the network's nodes.
    pub nodes: Vec<NodeOption>,
}

impl<'a> OrderContext<'a> {
    pub fn new(
        network: &'a Network,
        stock: &'a Stock,
        policy: &TenantPolicy,
        order: &'a Order,
    ) -> Result<OrderContext<'a>, RouteError> {
        let calendar = Calendar::new(network.holidays());

        // Check the order itself.
        if order.lines.is_empty() {
            return Err(RouteError::NoLines);
        }
        if !order.ship_to.country.eq_ignore_ascii_case("US") {
            return Err(RouteError::UnsupportedCountry(
                order.ship_to.country.clone(),
            ));
        }
        let destination = order.ship_to.zip.zip3();
        let geography = Geography::get();
        if !geography.knows_destination(destination) {
            return Err(RouteError::UnknownZip(order.ship_to.zip.to_string()));
        }
        let mut lines = Vec::with_capacity(order.lines.len());
        for (at, line) in order.lines.iter().enumerate() {
            let sku = network
                .sku_index(&line.sku)
                .ok_or_else(|| RouteError::UnknownSku {
                    line: at,
                    sku: line.sku.to_string(),
                })?;
            if line.quantity == 0 {
                return Err(RouteError::ZeroQuantity { line: at });
            }
            let spec = &network.skus()[sku];
            lines.push(Line {
                sku,
                quantity: line.quantity,
                unit_weight_g: spec.weight_g as u64,
                unit_volume_mm3: spec.volume_mm3(),
            });
        }

        // The promise: an explicit date, or business days for the requested service level
        // counted from the first business day on or after the order's UTC date.
        let deliver_by = match (order.deliver_by, order.service_level) {
            (Some(date), _) => date,
            (None, Some(level)) => {
                let start = calendar.on_or_after(order.placed_at.date_naive());
                calendar.add_business_days(start, level.promised_business_days())
            }
            (None, None) => return Err(RouteError::NoPromise),
        };

        let policy = policy.for_tier(&order.customer.tier);
        let mut context = OrderContext {
            network,
            stock,
            order,
            policy,
            calendar,
            deliver_by,
            lines,
            nodes: Vec::with_capacity(network.nodes().len()),
        };
        context.nodes = context.node_options(destination);
        Ok(context)
    }

    fn node_options(&self, destination: Zip3) -> Vec<NodeOption> {
        let network = self.network;
        let geography = Geography::get();

        // Ship dates and promise slack depend only on the time zone, cutoff and handling days,
        // which few nodes differ in; remember them instead of redoing calendar arithmetic.
        let mut ship_dates: Vec<(Tz, chrono::NaiveTime, u8, NaiveDate, i32)> = Vec::new();

        let mut options = Vec::with_capacity(network.nodes().len());
        for (index, node) in network.nodes().iter().enumerate() {
            let key = (node.time_zone, node.pickup_cutoff.0, node.handling_days);
            let (ship_date, slack) = match ship_dates
                .iter()
                .find(|cached| (cached.0, cached.1, cached.2) == key)
            {
                Some(cached) => (cached.3, cached.4),
                None => {
                    let ship_date = self.calendar.ship_date(
                        self.order.placed_at,
                        node.time_zone,
                        node.pickup_cutoff,
                        node.handling_days,
                    );
                    let slack = self
                        .calendar
                        .business_days_between(ship_date, self.deliver_by);
                    ship_dates.push((key.0, key.1, key.2, ship_date, slack));
                    (ship_date, slack)
                }
            };

            // Every destination was checked to have a zone, and every node's origin has one by
            // distance at worst.
            let zone = geography
                .zone(node.zip.zip3(), node.location, destination)
                .unwrap_or(8);

            let mut services = Vec::new();
            let mut earliest: Option<u8> = None;
            for &service in network.node_services(index) {
                let Some(transit) = network.services()[service].transit(zone) else {
                    continue;
                };
                earliest = Some(earliest.map_or(transit, |e| e.min(transit)));
                if transit as i32 <= slack {
                    let delivery = self.calendar.add_business_days(ship_date, transit as u32);
                    services.push(ServiceOption { service, delivery });
                }
            }

            let available = self
                .lines
                .iter()
                .map(|line| {
                    let sku = &network.skus()[line.sku];
                    if sku.handling.is_subset(&node.capabilities) {
                        self.stock.available(index, line.sku).min(line.quantity)
                    } else {
                        0
                    }
                })
                .collect();

            let orders_today = self.stock.orders_today(index);
            let excluded = if orders_today >= node.daily_capacity {
                Some(RejectReason::OverCapacity {
                    orders_today,
                    daily_capacity: node.daily_capacity,
                })
            } else if services.is_empty() {
                Some(RejectReason::MissesPromise {
                    deliver_by: self.deliver_by,
                    earliest_delivery: earliest
                        .map(|days| self.calendar.add_business_days(ship_date, days as u32)),
                })
            } else {
                None
            };
            let capacity_pressure = if orders_today >= node.daily_capacity {
                Cents::ZERO
            } else {
                self.policy
                    .capacity_pressure
                    .cost(orders_today, node.daily_capacity)
            };

            options.push(NodeOption {
                zone,
                ship_date,
                services,
                available,
                capacity_pressure,
                excluded,
            });
        }
        options
    }
}
