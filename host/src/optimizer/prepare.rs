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
    /// Where the node's promise-keeping services sit in `OrderContext::service_options`.
    services: (u32, u32),
    pub capacity_pressure: Cents,
    /// Why the node can take no part in any plan, if it cannot.
    pub excluded: Option<RejectReason>,
}

/// A ship date of this order, and when parcels shipped that day can arrive; computed once per
/// order and distinct date.
struct ShipDay {
    ship_date: NaiveDate,
    /// Business days from the ship date to the promised date.
    slack: i32,
    /// `arrivals[n]` is the date `n` business days after the ship date, up to `slack`.
    arrivals: Vec<NaiveDate>,
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
    /// Every node's promise-keeping services, node after node, in each node's listed order;
    /// read through [`OrderContext::services`].
    service_options: Vec<ServiceOption>,
    /// Per node and line, the units the node can ship: available to promise, capped at the
    /// line's quantity, and 0 where the node lacks a capability the SKU needs; read through
    /// [`OrderContext::available`].
    available: Vec<u32>,
    /// Per node and line, the available to promise of the line's SKU, uncapped.
    atp: Vec<u32>,
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
            nodes: Vec::new(),
            service_options: Vec::new(),
            available: Vec::new(),
            atp: Vec::new(),
        };
        context.prepare_nodes(destination);
        Ok(context)
    }

    /// The services of a node that keep the promise.
    pub fn services(&self, node: usize) -> &[ServiceOption] {
        let (start, end) = self.nodes[node].services;
        &self.service_options[start as usize..end as usize]
    }

    /// Units of each line a node can ship.
    pub fn available(&self, node: usize) -> &[u32] {
        let lines = self.lines.len();
        &self.available[node * lines..(node + 1) * lines]
    }

    /// Available to promise of each line's SKU at a node.
    pub fn atp(&self, node: usize) -> &[u32] {
        let lines = self.lines.len();
        &self.atp[node * lines..(node + 1) * lines]
    }

    fn prepare_nodes(&mut self, destination: Zip3) {
        let network = self.network;
        let node_count = network.nodes().len();

        // Nodes share few time zones and fewer ship dates; remember the conversions and the
        // calendar arithmetic instead of redoing them per node.
        let mut local_times: Vec<(Tz, chrono::NaiveDateTime)> = Vec::new();
        let mut ship_dates: Vec<ShipDay> = Vec::new();

        // Available to promise of every line at every node, from each SKU's list of holders.
        let line_count = self.lines.len();
        let mut atp = vec![0u32; node_count * line_count];
        for (at, line) in self.lines.iter().enumerate() {
            for (node, position) in self.stock.holders(line.sku) {
                atp[node * line_count + at] = position.available();
            }
        }
        let mut available = vec![0u32; node_count * line_count];
        let mut service_options = Vec::with_capacity(node_count * 4);
        let mut options = Vec::with_capacity(node_count);
        for (index, node) in network.nodes().iter().enumerate() {
            // The order's local time at the node, once per time zone.
            let local = match local_times.iter().find(|(zone, _)| *zone == node.time_zone) {
                Some(&(_, local)) => local,
                None => {
                    let local = self
                        .order
                        .placed_at
                        .with_timezone(&node.time_zone)
                        .naive_local();
                    local_times.push((node.time_zone, local));
                    local
                }
            };
            let ship_date =
                self.calendar
                    .ship_date_local(local, node.pickup_cutoff, node.handling_days);

            // Promise slack and arrival dates, once per ship date.
            let day = match ship_dates
                .iter()
                .position(|cached| cached.ship_date == ship_date)
            {
                Some(at) => &ship_dates[at],
                None => {
                    let slack = self
                        .calendar
                        .business_days_between(ship_date, self.deliver_by);
                    // Arrival dates for every transit time that keeps the promise.
                    let mut arrivals = vec![ship_date];
                    for _ in 0..slack.clamp(0, 30) {
                        let last = arrivals[arrivals.len() - 1];
                        arrivals.push(self.calendar.add_business_days(last, 1));
                    }
                    ship_dates.push(ShipDay {
                        ship_date,
                        slack,
                        arrivals,
                    });
                    &ship_dates[ship_dates.len() - 1]
                }
            };
            let (ship_date, slack) = (day.ship_date, day.slack);

            // Every destination was checked to have a zone, and every node's origin has one by
            // distance at worst.
            let zone = network.zone(index, destination).unwrap_or(8);

            let first_service = service_options.len() as u32;
            let mut earliest: Option<u8> = None;
            for &service in network.node_services(index) {
                let Some(transit) = network.services()[service].transit(zone) else {
                    continue;
                };
                earliest = Some(earliest.map_or(transit, |e| e.min(transit)));
                if transit as i32 <= slack {
                    let delivery = match day.arrivals.get(transit as usize) {
                        Some(&date) => date,
                        None => self.calendar.add_business_days(ship_date, transit as u32),
                    };
                    service_options.push(ServiceOption { service, delivery });
                }
            }
            let services = (first_service, service_options.len() as u32);

            let row = index * line_count..(index + 1) * line_count;
            for ((line, units), &held) in self
                .lines
                .iter()
                .zip(&mut available[row.clone()])
                .zip(&atp[row])
            {
                let handling = &network.skus()[line.sku].handling;
                if handling.is_empty() || handling.is_subset(&node.capabilities) {
                    *units = held.min(line.quantity);
                }
            }

            let orders_today = self.stock.orders_today(index);
            let excluded = if orders_today >= node.daily_capacity {
                Some(RejectReason::OverCapacity {
                    orders_today,
                    daily_capacity: node.daily_capacity,
                })
            } else if services.0 == services.1 {
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
                capacity_pressure,
                excluded,
            });
        }
        self.nodes = options;
        self.service_options = service_options;
        self.available = available;
        self.atp = atp;
    }
}
