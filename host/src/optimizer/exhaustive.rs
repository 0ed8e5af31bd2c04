//! The reference the optimizer is tested against: every assignment of units to nodes and every
//! service for every shipment, priced one by one. Exponential, so only for small orders; the
//! property tests check that the optimizer's choice equals this one.

use std::cmp::Ordering;

use super::explain::parcel;
use super::plan::{RawPlan, RawShipment};
use super::prepare::OrderContext;
use super::quote::shipment_cost;

/// The plan the policy picks among all plans: the cheapest within the shipment limit, or the
/// cheapest single-node plan when the cheapest split saves less than the policy's minimum.
pub(crate) fn best_plan(context: &OrderContext) -> Option<RawPlan> {
    let mut search = Exhaustive {
        context,
        contents: Vec::new(),
        best: None,
        best_single: None,
    };
    let nodes = context.nodes.len();
    search.contents = vec![vec![0; context.lines.len()]; nodes];
    search.assign_line(0);

    match (search.best, search.best_single) {
        (Some(best), Some(single))
            if best.shipments.len() > 1
                && single.total - best.total < context.policy.min_split_savings =>
        {
            Some(single)
        }
        (best, _) => best,
    }
}

struct Exhaustive<'s, 'c> {
    context: &'s OrderContext<'c>,
    /// Units of each line assigned to each node so far.
    contents: Vec<Vec<u32>>,
    best: Option<RawPlan>,
    best_single: Option<RawPlan>,
}

impl Exhaustive<'_, '_> {
    /// Tries every way to give line `line`'s units to nodes, then the next line.
    fn assign_line(&mut self, line: usize) {
        if line == self.context.lines.len() {
            self.price_assignment();
            return;
        }
        let quantity = self.context.lines[line].quantity;
        if self.context.policy.split_line_quantities {
            self.distribute(line, 0, quantity);
        } else {
            for node in 0..self.context.nodes.len() {
                if self.can_take(node, line) >= quantity {
                    self.contents[node][line] = quantity;
                    self.assign_line(line + 1);
                    self.contents[node][line] = 0;
                }
            }
        }
    }

    /// Gives `left` units of `line` to nodes `node..`, in every possible way.
    fn distribute(&mut self, line: usize, node: usize, left: u32) {
        if left == 0 {
            self.assign_line(line + 1);
            return;
        }
        if node == self.context.nodes.len() {
            return;
        }
        for units in (0..=left.min(self.can_take(node, line))).rev() {
            self.contents[node][line] = units;
            self.distribute(line, node + 1, left - units);
        }
        self.contents[node][line] = 0;
    }

    fn can_take(&self, node: usize, line: usize) -> u32 {
        let option = &self.context.nodes[node];
        if option.excluded.is_some() {
            0
        } else {
            self.context.available(node)[line]
        }
    }

    /// Prices every choice of services for the current assignment.
    fn price_assignment(&mut self) {
        let shipping: Vec<usize> = (0..self.context.nodes.len())
            .filter(|&node| self.contents[node].iter().any(|&units| units > 0))
            .collect();
        if shipping.len() as u32 > self.context.policy.shipment_limit() {
            return;
        }
        self.choose_services(&shipping, &mut Vec::new());
    }

    fn choose_services(&mut self, shipping: &[usize], chosen: &mut Vec<RawShipment>) {
        let context = self.context;
        let Some((&node, rest)) = shipping.split_first() else {
            let plan = RawPlan::new(
                context.network,
                chosen.clone(),
                context.policy.split_penalty,
            );
            self.consider(plan);
            return;
        };
        let option = &context.nodes[node];
        let quantities = self.contents[node].clone();
        let parcel = parcel(context, &quantities);
        for service in context.services(node) {
            let Some(cost) = shipment_cost(context, node, option, service, parcel) else {
                continue;
            };
            chosen.push(RawShipment {
                node,
                service: service.service,
                quantities: quantities.clone(),
                cost: cost.total,
                delivery: service.delivery,
            });
            self.choose_services(rest, chosen);
            chosen.pop();
        }
    }

    fn consider(&mut self, plan: RawPlan) {
        let network = self.context.network;
        let better = |held: &Option<RawPlan>| {
            held.as_ref()
                .is_none_or(|held| plan.compare(held, network) == Ordering::Less)
        };
        if plan.shipments.len() == 1 && better(&self.best_single) {
            self.best_single = Some(plan.clone());
        }
        if better(&self.best) {
            self.best = Some(plan);
        }
    }
}
