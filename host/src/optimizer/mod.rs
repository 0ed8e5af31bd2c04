//! The cost optimizer: order in, decision out.
//!
//! 1. [`prepare`] checks the order against the network and works out, per node, the zone, ship
//!    date, promise-keeping services, units available of each line and capacity pressure.
//! 2. [`content`] numbers every possible shipment content of the order.
//! 3. [`search`] prices every (node, content) pair and runs an exact branch and bound for the
//!    cheapest plans within the policy's shipment limit.
//! 4. The policy's split rules are applied. When the tenant has rules (plugins), the cheapest
//!    candidates go through them: constraints reject some, scorers adjust the cost of the rest,
//!    and the best-scored candidate wins.
//! 5. [`explain`] builds the decision: the chosen plan, the runner-ups, a verdict per node and
//!    the plans that rules ruled out.
//!
//! # What the search guarantees
//!
//! A plan is feasible when every shipment comes from a node that has the units available to
//! promise, has the capabilities the SKUs need, is under its daily capacity, and ships with a
//! service that arrives by the promised date; each node ships at most once per order. For
//! orders whose contents fit the search's tables (at most 4,096 distinct contents, which covers
//! every order of up to 12 lines shipped whole), the optimizer returns the cheapest feasible plan
//! under the policy, and the property tests check it against exhaustive enumeration.
//!
//! Larger orders are searched in two fallbacks, and the decision's `search.method` says which
//! ran. When line quantities may be split but the order has too many units for every split to be
//! tabled, each line is shipped whole and the answer is exact among such plans. When even that
//! is too large (more than 12 lines), the optimizer compares every single-node plan with one
//! greedily built split: the answer is feasible and never worse than the best single-node plan,
//! but it may miss a cheaper split.
//!
//! Ties between plans of equal cost are broken as described in [`plan`]; ties between candidates
//! of equal score after plugin adjustments keep that order.
//!
//! With plugins, only the cheapest candidates (20 unless the tenant says otherwise) are shown
//! to them. When constraints reject every one of those, the order is reported unfulfillable
//! even if a dearer plan further down would have passed; a tenant whose constraints reject
//! often raises the candidate count.

mod content;
#[cfg(test)]
mod exhaustive;
mod explain;
mod heuristic;
mod plan;
mod prepare;
mod quote;
mod search;
#[cfg(test)]
mod tests;

use thiserror::Error;

use crate::decision::SearchSummary;
use crate::decision::{
    Alternative, Decision, Plan, RejectReason, RejectedPlan, SearchMethod, Strategy,
};
use crate::model::{Cents, Network, Order, Stock, TenantPolicy};
use crate::rules::{Judgement, NoRules, RuleFailure, RuleInput, Rules};
use content::ContentSpace;
pub(crate) use prepare::OrderContext;
use search::{QuoteTable, lower_bounds};

pub(crate) use explain::{node_verdicts, parcel, plan as materialize, unfulfillable_reason};
pub(crate) use plan::{RawPlan, RawShipment};
pub(crate) use prepare::ServiceOption;
pub(crate) use quote::shipment_cost;

/// The most distinct shipment contents the exact search tables.
const MAX_CONTENTS: usize = 4096;

/// The most (content, content inside it) pairs the lower-bound table visits; 3^12 is what 12
/// whole lines need.
const MAX_CONTENT_PAIRS: u64 = 531_441;

/// An order that cannot be routed at all, as opposed to one that can be routed but not filled.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RouteError {
    #[error("the order has no lines")]
    NoLines,
    #[error("unknown SKU `{sku}`")]
    UnknownSku { line: usize, sku: String },
    #[error("quantity must be at least 1")]
    ZeroQuantity { line: usize },
    #[error("only US destinations can be routed, not `{0}`")]
    UnsupportedCountry(String),
    #[error("ZIP code {0} is in neither the zone chart nor the ZIP3 table")]
    UnknownZip(String),
    #[error("the order needs a `service_level` or a `deliver_by` date")]
    NoPromise,
    /// A fail-closed plugin failed, so the decision cannot be trusted.
    #[error(transparent)]
    Plugin(#[from] RuleFailure),
}

impl RouteError {
    /// The path of the order field at fault, such as `lines[2].sku`.
    pub fn field(&self) -> String {
        match self {
            RouteError::NoLines => "lines".into(),
            RouteError::UnknownSku { line, .. } => format!("lines[{line}].sku"),
            RouteError::ZeroQuantity { line } => format!("lines[{line}].quantity"),
            RouteError::UnsupportedCountry(_) => "ship_to.country".into(),
            RouteError::UnknownZip(_) => "ship_to.zip".into(),
            RouteError::NoPromise => "service_level".into(),
            RouteError::Plugin(failure) => format!("plugins.{}", failure.plugin),
        }
    }
}

/// Routes an order at the lowest total cost that keeps its promise, and explains the choice.
pub fn route(
    network: &Network,
    stock: &Stock,
    policy: &TenantPolicy,
    order: &Order,
) -> Result<Decision, RouteError> {
    route_with(network, stock, policy, order, &NoRules)
}

/// Routes an order like [`route`], with the tenant's rules judging the cheapest candidates.
pub fn route_with(
    network: &Network,
    stock: &Stock,
    policy: &TenantPolicy,
    order: &Order,
    rules: &dyn Rules,
) -> Result<Decision, RouteError> {
    let context = OrderContext::new(network, stock, policy, order)?;
    let keep = 1 + context.policy.alternatives;
    let keep = if rules.is_empty() {
        keep
    } else {
        keep.max(rules.candidates())
    };
    let outcome = optimize(&context, keep);
    decide(&context, outcome, rules)
}

/// The search's result before it is explained.
pub(crate) struct Outcome {
    /// The chosen plan first, then the runner-ups the policy allows.
    pub plans: Vec<RawPlan>,
    /// Every node's quote for the whole order, when the exact search priced them.
    pub whole_order_quotes: Option<Vec<quote::Quote>>,
    pub rejected: Vec<(RawPlan, RejectReason)>,
    pub summary: SearchSummary,
}

/// Finds the plan the policy picks and its runner-ups, `keep` plans in all at most.
pub(crate) fn optimize(context: &OrderContext, keep: usize) -> Outcome {
    let policy = &context.policy;
    let limit = policy.shipment_limit();

    // Pick the finest content space that fits the tables.
    let exact = |split| ContentSpace::new(&context.lines, split, MAX_CONTENTS, MAX_CONTENT_PAIRS);
    let (space, method) = match exact(policy.split_line_quantities) {
        Some(space) => (space, SearchMethod::Exact),
        None => match exact(false) {
            Some(space) => (space, SearchMethod::ExactWholeLines),
            None => {
                let plans = heuristic::search(context, keep);
                let summary = SearchSummary {
                    method: SearchMethod::Heuristic,
                    plans_completed: plans.len() as u64,
                    ..SearchSummary::default()
                };
                return Outcome {
                    plans,
                    whole_order_quotes: None,
                    rejected: Vec::new(),
                    summary,
                };
            }
        },
    };

    // Price contents, bound them, and search within the shipment limit.
    let table = QuoteTable::build(context, &space);
    let bounds = lower_bounds(&space, &table, policy.split_penalty);
    let found = search::search(context, &space, &table, &bounds, limit, keep);
    let mut plans = found.plans;
    let mut rejected = Vec::new();
    let summary = SearchSummary {
        method,
        contents: space.count,
        quotes: table.len(),
        plans_completed: found.plans_completed,
    };

    // A split must save at least the policy's minimum over the best single-node plan.
    let splits_first = plans.first().is_some_and(|plan| plan.shipments.len() > 1);
    if splits_first && policy.min_split_savings > Cents::ZERO {
        let singles = single_node_plans(context, &space, &table, keep);
        if let Some(single) = singles.first() {
            let savings = single.total - plans[0].total;
            if savings < policy.min_split_savings {
                let detail = format!(
                    "saves {savings} over shipping from one node; the policy requires {}",
                    policy.min_split_savings
                );
                let reason = RejectReason::Policy {
                    rule: "min_split_savings".into(),
                    detail,
                };
                rejected.push((plans.remove(0), reason));
                plans = singles;
            }
        }
    }

    // Report the cheaper plans that the shipment limit ruled out.
    let most_shipments: u32 = (0..space.lines())
        .map(|line| space.digit(space.full(), line))
        .sum();
    if limit < most_shipments {
        let unlimited = search::search(context, &space, &table, &bounds, most_shipments, 1);
        if let Some(cheaper) = unlimited.plans.into_iter().next() {
            let beats_chosen = plans
                .first()
                .is_none_or(|chosen| cheaper.total < chosen.total);
            if cheaper.shipments.len() as u32 > limit && beats_chosen {
                let reason = if policy.never_split {
                    RejectReason::Policy {
                        rule: "never_split".into(),
                        detail: format!("the plan has {} shipments", cheaper.shipments.len()),
                    }
                } else {
                    RejectReason::TooManyShipments {
                        shipments: cheaper.shipments.len() as u32,
                        max_shipments: limit,
                    }
                };
                rejected.push((cheaper, reason));
            }
        }
    }

    let whole_order_quotes = Some(table.for_content(space.full()).to_vec());
    Outcome {
        plans,
        whole_order_quotes,
        rejected,
        summary,
    }
}

/// The best single-node plans, best first.
fn single_node_plans(
    context: &OrderContext,
    space: &ContentSpace,
    table: &QuoteTable,
    keep: usize,
) -> Vec<RawPlan> {
    let mut plans: Vec<RawPlan> = table
        .for_content(space.full())
        .iter()
        .map(|quote| {
            let shipment = RawShipment {
                node: quote.node as usize,
                service: quote.service as usize,
                quantities: context.lines.iter().map(|line| line.quantity).collect(),
                cost: quote.cost,
                delivery: quote.delivery,
            };
            RawPlan::new(
                context.network,
                vec![shipment],
                context.policy.split_penalty,
            )
        })
        .collect();
    plans.sort_by(|a, b| a.compare(b, context.network));
    plans.truncate(keep);
    plans
}

/// Builds the decision from what the search found and what the rules made of it.
fn decide(
    context: &OrderContext,
    outcome: Outcome,
    rules: &dyn Rules,
) -> Result<Decision, RouteError> {
    let Outcome {
        plans,
        whole_order_quotes,
        rejected,
        summary,
    } = outcome;
    let mut candidates: Vec<Plan> = plans.iter().map(|raw| materialize(context, raw)).collect();
    let mut rejected_plans: Vec<RejectedPlan> = rejected
        .iter()
        .map(|(raw, reason)| RejectedPlan {
            reason: reason.clone(),
            plan: materialize(context, raw),
        })
        .collect();

    // Let the tenant's rules judge the candidates.
    let mut plugins = Vec::new();
    let mut unfulfillable = None;
    if !rules.is_empty() && !candidates.is_empty() {
        let input = RuleInput {
            network: context.network,
            order: context.order,
            deliver_by: context.deliver_by,
            plans: &candidates,
        };
        let judgement = rules.judge(&input)?;
        let checked = candidates.len();
        let (kept, ruled_out) = apply_judgement(candidates, &judgement);
        // Report the plugin rejections that beat the winner, or all of them if none is left.
        let winner = kept.first().map(|(at, _)| *at);
        rejected_plans.extend(
            ruled_out
                .into_iter()
                .filter(|(at, _)| winner.is_none_or(|winner| *at < winner))
                .map(|(_, plan)| plan),
        );
        if kept.is_empty() {
            unfulfillable = Some(format!(
                "the tenant's plugins rejected all {checked} candidate plans"
            ));
        }
        candidates = kept.into_iter().map(|(_, plan)| plan).collect();
        plugins = judgement.runs;
    }
    candidates.truncate(1 + context.policy.alternatives);

    let mut plans = candidates.into_iter();
    let chosen = plans.next();
    let alternatives: Vec<Alternative> = plans
        .map(|plan| Alternative {
            costs_more_by: plan.score() - chosen.as_ref().map_or(Cents::ZERO, Plan::score),
            plan,
        })
        .collect();
    let nodes = node_verdicts(context, whole_order_quotes.as_deref());
    if chosen.is_none() && unfulfillable.is_none() {
        unfulfillable = Some(unfulfillable_reason(context));
    }

    let mut decision = Decision {
        order_id: context.order.id.clone(),
        strategy: Strategy::Optimizer,
        deliver_by: context.deliver_by,
        unfulfillable,
        plan: chosen,
        alternatives,
        nodes,
        rejected_plans,
        rationale: Vec::new(),
        search: summary,
        plugins,
    };
    decision.rationale = crate::rationale::for_optimizer(&decision);
    Ok(decision)
}

/// Splits the candidates into those the constraints kept, with the scorers' adjustments applied
/// and ranked by score, and those they rejected; each with its position among the candidates.
#[allow(clippy::type_complexity)]
fn apply_judgement(
    candidates: Vec<Plan>,
    judgement: &Judgement,
) -> (Vec<(usize, Plan)>, Vec<(usize, RejectedPlan)>) {
    let mut kept = Vec::with_capacity(candidates.len());
    let mut ruled_out = Vec::new();
    for (at, mut plan) in candidates.into_iter().enumerate() {
        if let Some(Some((plugin, reason))) = judgement.rejections.get(at) {
            let reason = RejectReason::Plugin {
                plugin: plugin.clone(),
                reason: reason.clone(),
            };
            ruled_out.push((at, RejectedPlan { reason, plan }));
            continue;
        }
        if let Some(adjustments) = judgement.adjustments.get(at) {
            plan.cost.adjustments = adjustments.iter().map(|a| a.cents).sum();
            plan.adjustments = adjustments.clone();
        }
        kept.push((at, plan));
    }
    // A stable sort: equal scores keep the optimizer's tie-breaking order.
    kept.sort_by_key(|(_, plan)| plan.score());
    (kept, ruled_out)
}
