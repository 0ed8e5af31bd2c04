//! Sentences that explain a decision to a person: what was chosen, what it beat, and what rules
//! ruled out. The structured parts of the decision hold the same facts for machines.

use crate::decision::{Decision, PluginOutcome, SearchMethod, Verdict};

/// The explanation of an optimizer decision.
pub fn for_optimizer(decision: &Decision) -> Vec<String> {
    let mut sentences = Vec::new();
    let Some(plan) = &decision.plan else {
        if let Some(reason) = &decision.unfulfillable {
            sentences.push(format!("No plan can fill the order: {reason}."));
        }
        return sentences;
    };

    sentences.push(format!(
        "Ships {} in {} shipment(s) for {}, arriving {} (promised by {}).",
        plan.summary(),
        plan.shipments.len(),
        plan.cost.total,
        plan.estimated_delivery,
        decision.deliver_by
    ));

    // Compare with the best way to ship everything from one node.
    let best_single = decision
        .nodes
        .iter()
        .find_map(|verdict| match &verdict.verdict {
            Verdict::CanShipAll { cost, .. } => Some((verdict.node.clone(), *cost)),
            Verdict::Rejected { .. } => None,
        });
    match (plan.shipments.len(), best_single) {
        (1, _) => {}
        (_, Some((node, cost))) => sentences.push(format!(
            "Splitting saves {} over the best single-node plan ({node} at {cost}).",
            cost - plan.cost.total
        )),
        (_, None) => sentences.push("No single node can ship the whole order.".to_string()),
    }
    for adjustment in &plan.adjustments {
        sentences.push(format!(
            "Plugin `{}` adjusted its cost by {}: {}.",
            adjustment.plugin, adjustment.cents, adjustment.reason
        ));
    }
    if let Some(next) = decision.alternatives.first() {
        let ranked = if next.plan.cost.adjustments.is_zero() && plan.cost.adjustments.is_zero() {
            ""
        } else {
            " after plugin adjustments"
        };
        sentences.push(format!(
            "The next-best plan, {}, costs {} more{ranked}.",
            next.plan.summary(),
            next.costs_more_by
        ));
    }
    for rejected in &decision.rejected_plans {
        sentences.push(format!(
            "Ruled out {} at {}: {}.",
            rejected.plan.summary(),
            rejected.plan.cost.total,
            rejected.reason
        ));
    }

    for run in &decision.plugins {
        if let PluginOutcome::Skipped { error } = &run.outcome {
            sentences.push(format!(
                "Plugin `{}` was skipped (it fails open): {error}.",
                run.plugin
            ));
        }
    }

    let rejected_nodes = decision
        .nodes
        .iter()
        .filter(|verdict| matches!(verdict.verdict, Verdict::Rejected { .. }))
        .count();
    sentences.push(format!(
        "{} of {} nodes could not ship the whole order alone.",
        rejected_nodes,
        decision.nodes.len()
    ));
    sentences.push(match decision.search.method {
        SearchMethod::Exact => "The search was exact.".to_string(),
        SearchMethod::ExactWholeLines => {
            "The order has too many units to try every quantity split; the search was exact \
             among plans that ship each line whole."
                .to_string()
        }
        SearchMethod::Heuristic => "The order is too large to search exactly; the plan is the \
                                    better of the best single-node plan and a greedy split."
            .to_string(),
        SearchMethod::Rule => "The plan follows a static rule.".to_string(),
    });
    sentences
}
