//! The search for orders too large to search exactly: every single-node plan, plus one split
//! built greedily (each step takes the node that ships the most remaining units, cheapest
//! first). The result is always feasible and never worse than the best single-node plan; among
//! split plans it is not guaranteed to be the cheapest.

use super::explain::parcel;
use super::plan::{Leaderboard, RawPlan, RawShipment};
use super::prepare::OrderContext;
use super::quote::best_quote;

pub(crate) fn search(context: &OrderContext, keep: usize) -> Vec<RawPlan> {
    let network = context.network;
    let whole: Vec<u32> = context.lines.iter().map(|line| line.quantity).collect();
    let mut leaderboard = Leaderboard::new(network, keep);

    // Every node that has the whole order.
    let whole_parcel = parcel(context, &whole);
    for (node, option) in context.nodes.iter().enumerate() {
        if option.excluded.is_some()
            || context
                .available(node)
                .iter()
                .zip(&whole)
                .any(|(a, w)| a < w)
        {
            continue;
        }
        if let Some(quote) = best_quote(context, node, option, whole_parcel) {
            let shipment = RawShipment {
                node,
                service: quote.service as usize,
                quantities: whole.clone(),
                cost: quote.cost,
                delivery: quote.delivery,
            };
            leaderboard.offer(RawPlan::new(
                network,
                vec![shipment],
                context.policy.split_penalty,
            ));
        }
    }

    if context.policy.shipment_limit() > 1
        && let Some(split) = greedy_split(context, &whole)
    {
        leaderboard.offer(split);
    }
    leaderboard.into_plans()
}

/// Ships the order in steps, each from the unused node that can ship the most of what remains.
fn greedy_split(context: &OrderContext, whole: &[u32]) -> Option<RawPlan> {
    let network = context.network;
    let split_quantities = context.policy.split_line_quantities;
    let mut remaining = whole.to_vec();
    let mut used = vec![false; context.nodes.len()];
    let mut shipments = Vec::new();

    while remaining.iter().any(|&units| units > 0) {
        if shipments.len() as u32 >= context.policy.shipment_limit() {
            return None;
        }
        let mut best: Option<(u32, RawShipment)> = None;
        for (node, option) in context.nodes.iter().enumerate() {
            if used[node] || option.excluded.is_some() {
                continue;
            }
            let take: Vec<u32> = remaining
                .iter()
                .zip(context.available(node))
                .map(|(&left, &available)| match split_quantities {
                    true => left.min(available),
                    false if available >= left => left,
                    false => 0,
                })
                .collect();
            let units: u32 = take.iter().sum();
            if units == 0 {
                continue;
            }
            let Some(quote) = best_quote(context, node, option, parcel(context, &take)) else {
                continue;
            };
            let better = best.as_ref().is_none_or(|(best_units, held)| {
                (
                    std::cmp::Reverse(units),
                    quote.cost,
                    network.node_rank(node),
                ) < (
                    std::cmp::Reverse(*best_units),
                    held.cost,
                    network.node_rank(held.node),
                )
            });
            if better {
                let shipment = RawShipment {
                    node,
                    service: quote.service as usize,
                    quantities: take,
                    cost: quote.cost,
                    delivery: quote.delivery,
                };
                best = Some((units, shipment));
            }
        }
        let (_, shipment) = best?;
        used[shipment.node] = true;
        for (left, taken) in remaining.iter_mut().zip(&shipment.quantities) {
            *left -= taken;
        }
        shipments.push(shipment);
    }
    Some(RawPlan::new(
        network,
        shipments,
        context.policy.split_penalty,
    ))
}
