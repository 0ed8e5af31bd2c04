//! The static rules retailers run today, as baselines for the optimizer. Both return the same
//! [`Decision`] type, priced with the same cost model, so the simulator can compare them.
//!
//! - Primary node: the highest-priority node that has every line ships it all. If none does, the
//!   fewest-shipments fallback: the smallest set of nodes that covers every line, ties going to
//!   the lowest sum of priorities, each line shipped by the highest-priority node of the set
//!   that has it.
//! - Nearest node: the nearest node that has every line ships it all; otherwise each line ships
//!   from the nearest node that has it.
//!
//! Like the rules they copy, the baselines choose nodes without looking at cost or the promise.
//! They do respect available to promise, capabilities and daily capacity, never split a line's
//! quantity, and ship with the requested service level's cheapest service at the node (or, for
//! a date-only promise, the cheapest service that keeps it, else the fastest). A baseline plan
//! that arrives late is still returned, with `meets_promise` false.

use crate::decision::{Decision, SearchMethod, SearchSummary, Strategy};
use crate::geo::Geography;
use crate::model::{Cents, Network, Order, ServiceLevel, Stock, TenantPolicy};
use crate::optimizer::{
    OrderContext, RawPlan, RawShipment, RouteError, ServiceOption, materialize, parcel,
    unfulfillable_reason,
};

/// Lines beyond which the fewest-shipments fallback assigns lines one by one instead of
/// searching every set of nodes.
const MAX_COVER_LINES: usize = 12;

/// The primary-node rule.
pub fn primary_node(
    network: &Network,
    stock: &Stock,
    policy: &TenantPolicy,
    order: &Order,
) -> Result<Decision, RouteError> {
    let context = OrderContext::new(network, stock, policy, order)?;
    let mut ranked = eligible_nodes(&context);
    ranked.sort_by_key(|&node| (network.nodes()[node].priority, network.node_rank(node)));

    let (assignment, note) = match ranked.iter().find(|&&node| has_everything(&context, node)) {
        Some(&node) => (
            Some(vec![(node, all_lines(&context))]),
            format!(
                "Primary node {} (priority {}) has every line.",
                network.nodes()[node].id,
                network.nodes()[node].priority
            ),
        ),
        None => (
            fewest_shipments(&context, &ranked),
            "No single node has every line; the fewest-shipments fallback covers them.".into(),
        ),
    };
    Ok(decision(&context, Strategy::PrimaryNode, assignment, note))
}

/// The nearest-node rule.
pub fn nearest_node(
    network: &Network,
    stock: &Stock,
    policy: &TenantPolicy,
    order: &Order,
) -> Result<Decision, RouteError> {
    let context = OrderContext::new(network, stock, policy, order)?;
    let destination = order.ship_to.zip.zip3();
    let centroid = Geography::get().area(destination).map(|area| area.centroid);
    let mut ranked: Vec<(f64, usize)> = eligible_nodes(&context)
        .into_iter()
        .map(|node| {
            let miles = match centroid {
                Some(centroid) => network.nodes()[node].location.miles_to(centroid),
                // Destinations without a centroid are ordered by zone instead.
                None => context.nodes[node].zone as f64 * 1000.0,
            };
            (miles, node)
        })
        .collect();
    ranked.sort_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then(network.node_rank(a.1).cmp(&network.node_rank(b.1)))
    });
    let ranked: Vec<usize> = ranked.into_iter().map(|(_, node)| node).collect();

    let (assignment, note) = match ranked.iter().find(|&&node| has_everything(&context, node)) {
        Some(&node) => (
            Some(vec![(node, all_lines(&context))]),
            format!(
                "Nearest node with every line is {}.",
                network.nodes()[node].id
            ),
        ),
        None => {
            // Each line from the nearest node that has all of it, grouped by node.
            let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
            let mut complete = true;
            for line in 0..context.lines.len() {
                match ranked
                    .iter()
                    .find(|&&node| can_ship_line(&context, node, line))
                {
                    Some(&node) => match groups.iter_mut().find(|(held, _)| *held == node) {
                        Some((_, lines)) => lines.push(line),
                        None => groups.push((node, vec![line])),
                    },
                    None => complete = false,
                }
            }
            (
                complete.then_some(groups),
                "No single node has every line; each line ships from the nearest node with it."
                    .into(),
            )
        }
    };
    Ok(decision(&context, Strategy::NearestNode, assignment, note))
}

/// Nodes under capacity that can reach the destination with some service.
fn eligible_nodes(context: &OrderContext) -> Vec<usize> {
    (0..context.nodes.len())
        .filter(|&node| {
            let spec = &context.network.nodes()[node];
            context.stock.orders_today(node) < spec.daily_capacity
                && context.network.node_services(node).iter().any(|&service| {
                    context.network.services()[service]
                        .transit(context.nodes[node].zone)
                        .is_some()
                })
        })
        .collect()
}

fn can_ship_line(context: &OrderContext, node: usize, line: usize) -> bool {
    context.available(node)[line] >= context.lines[line].quantity
}

fn has_everything(context: &OrderContext, node: usize) -> bool {
    (0..context.lines.len()).all(|line| can_ship_line(context, node, line))
}

fn all_lines(context: &OrderContext) -> Vec<usize> {
    (0..context.lines.len()).collect()
}

/// The smallest set of nodes covering every line, ties to the lowest sum of priorities; each
/// line goes to the first node of `ranked` in the set that has it.
fn fewest_shipments(context: &OrderContext, ranked: &[usize]) -> Option<Vec<(usize, Vec<usize>)>> {
    let lines = context.lines.len();
    let masks: Vec<(usize, u32)> = ranked
        .iter()
        .map(|&node| {
            let mask = (0..lines)
                .filter(|&line| can_ship_line(context, node, line))
                .fold(0u32, |mask, line| mask | 1 << line);
            (node, mask)
        })
        .filter(|&(_, mask)| mask != 0)
        .collect();

    let chosen: Vec<usize> = if lines <= MAX_COVER_LINES {
        // Set cover by dynamic programming over covered-line masks.
        let full = (1u32 << lines) - 1;
        let mut best: Vec<Option<(u32, u64, Vec<usize>)>> = vec![None; 1 << lines];
        best[0] = Some((0, 0, Vec::new()));
        for covered in 0..=full as usize {
            let Some((count, priorities, nodes)) = best[covered].clone() else {
                continue;
            };
            for &(node, mask) in &masks {
                let next = covered | mask as usize;
                if next == covered {
                    continue;
                }
                let priority = context.network.nodes()[node].priority as u64;
                let candidate = (count + 1, priorities + priority);
                if best[next]
                    .as_ref()
                    .is_none_or(|held| candidate < (held.0, held.1))
                {
                    let mut with = nodes.clone();
                    with.push(node);
                    best[next] = Some((candidate.0, candidate.1, with));
                }
            }
        }
        best[full as usize].take()?.2
    } else {
        // Too many lines to search: each line from the highest-priority node that has it.
        (0..lines)
            .map(|line| {
                masks
                    .iter()
                    .find(|(_, mask)| mask & 1 << line != 0)
                    .map(|(node, _)| *node)
            })
            .collect::<Option<Vec<usize>>>()?
    };

    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    for line in 0..lines {
        let node = *ranked
            .iter()
            .find(|node| chosen.contains(node) && can_ship_line(context, **node, line))?;
        match groups.iter_mut().find(|(held, _)| *held == node) {
            Some((_, assigned)) => assigned.push(line),
            None => groups.push((node, vec![line])),
        }
    }
    Some(groups)
}

/// The service a static rule ships with, and its delivery date.
fn rule_service(context: &OrderContext, node: usize, quantities: &[u32]) -> Option<RawShipment> {
    let network = context.network;
    let option = &context.nodes[node];
    let parcel = parcel(context, quantities);
    let residential = context.order.ship_to.residential;

    // (level, charge, transit, rank, service) for every service that can carry the parcel.
    let mut offers: Vec<(ServiceLevel, Cents, u8, u32, usize)> = Vec::new();
    for &service in network.node_services(node) {
        let spec = &network.services()[service];
        let Some(transit) = spec.transit(option.zone) else {
            continue;
        };
        let billable = spec.billable_lb(parcel.weight_g, parcel.volume_mm3);
        let Some(charge) = spec.charge(option.zone, billable, residential) else {
            continue;
        };
        offers.push((
            spec.level,
            charge,
            transit,
            network.service_rank(service),
            service,
        ));
    }
    let deadline_slack = context
        .calendar
        .business_days_between(option.ship_date, context.deliver_by);
    let pick = match context.order.service_level {
        Some(level) => offers
            .iter()
            .filter(|offer| offer.0 == level)
            .min_by_key(|offer| (offer.1, offer.3))
            .or_else(|| {
                offers
                    .iter()
                    .filter(|offer| offer.0 > level)
                    .min_by_key(|offer| (offer.0, offer.1, offer.3))
            })
            .or_else(|| {
                offers
                    .iter()
                    .min_by_key(|offer| (offer.2, offer.1, offer.3))
            }),
        None => offers
            .iter()
            .filter(|offer| offer.2 as i32 <= deadline_slack)
            .min_by_key(|offer| (offer.1, offer.3))
            .or_else(|| {
                offers
                    .iter()
                    .min_by_key(|offer| (offer.2, offer.1, offer.3))
            }),
    }?;
    let (_, _, transit, _, service) = *pick;
    let delivery = context
        .calendar
        .add_business_days(option.ship_date, transit as u32);
    let chosen = ServiceOption { service, delivery };
    let cost = crate::optimizer::shipment_cost(context, node, option, &chosen, parcel)?;
    Some(RawShipment {
        node,
        service,
        quantities: quantities.to_vec(),
        cost: cost.total,
        delivery,
    })
}

fn decision(
    context: &OrderContext,
    strategy: Strategy,
    assignment: Option<Vec<(usize, Vec<usize>)>>,
    note: String,
) -> Decision {
    let shipments: Option<Vec<RawShipment>> = assignment.and_then(|groups| {
        groups
            .into_iter()
            .map(|(node, lines)| {
                let mut quantities = vec![0; context.lines.len()];
                for line in lines {
                    quantities[line] = context.lines[line].quantity;
                }
                rule_service(context, node, &quantities)
            })
            .collect()
    });
    let plan = shipments.map(|shipments| {
        let draft = RawPlan::new(context.network, shipments, context.policy.split_penalty);
        materialize(context, &draft)
    });
    let mut rationale = Vec::new();
    match &plan {
        Some(plan) => {
            rationale.push(note);
            rationale.push(format!(
                "Ships {} for {}, arriving {} (promised by {}{}).",
                plan.summary(),
                plan.cost.total,
                plan.estimated_delivery,
                context.deliver_by,
                if plan.meets_promise { "" } else { ": late" }
            ));
        }
        None => rationale.push(format!("No plan: {}.", rule_failure(context))),
    }
    Decision {
        order_id: context.order.id.clone(),
        strategy,
        deliver_by: context.deliver_by,
        unfulfillable: plan.is_none().then(|| rule_failure(context)),
        plan,
        alternatives: Vec::new(),
        nodes: Vec::new(),
        rejected_plans: Vec::new(),
        rationale,
        search: SearchSummary {
            method: SearchMethod::Rule,
            ..SearchSummary::default()
        },
        plugins: Vec::new(),
    }
}

/// Why a static rule found no plan: a line that no eligible node has whole, or else the reason
/// the optimizer would give.
fn rule_failure(context: &OrderContext) -> String {
    let eligible = eligible_nodes(context);
    for (at, line) in context.lines.iter().enumerate() {
        if !eligible
            .iter()
            .any(|&node| can_ship_line(context, node, at))
        {
            let sku = &context.network.skus()[line.sku].id;
            return format!(
                "line {at} ({sku}): no node under capacity has all {} units, and the rule ships \
                 each line whole",
                line.quantity
            );
        }
    }
    unfulfillable_reason(context)
}
