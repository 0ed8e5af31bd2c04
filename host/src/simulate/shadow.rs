//! Shadow comparison: a candidate rule set decides every order beside the current rules, on the
//! state the current rules' own decisions produced, and is never applied. So each changed
//! decision is a change the candidate would have made at that moment, not the echo of an
//! earlier change. What the candidate would do to the figures if it went live is measured by a
//! separate full run of it; both go into the report.

use serde::Serialize;

use crate::decision::Decision;
use crate::model::Id;

/// How many changed decisions a comparison keeps as examples.
pub const EXAMPLES: usize = 10;

/// Decisions compared so far.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ShadowLog {
    pub compared: u64,
    pub changed: u64,
    /// The first changed decisions.
    pub examples: Vec<ChangedDecision>,
}

/// One order the candidate would have decided differently.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChangedDecision {
    pub order: Id,
    pub current: String,
    pub candidate: String,
    /// What in the candidate's decision says why, when it says: the first plan its policy or
    /// plugins ruled out, or the first adjustment of its chosen plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

impl ShadowLog {
    /// Compares the two decisions of one order; `None` is a decision that failed.
    pub fn compare(
        &mut self,
        order: &Id,
        current: Option<&Decision>,
        candidate: Option<&Decision>,
    ) {
        self.compared += 1;
        if choice(current) == choice(candidate) {
            return;
        }
        self.changed += 1;
        if self.examples.len() < EXAMPLES {
            self.examples.push(ChangedDecision {
                order: order.clone(),
                current: describe(current),
                candidate: describe(candidate),
                why: candidate.and_then(why),
            });
        }
    }
}

/// Each shipment's node, service and units of each line.
type Shipments = Vec<(Id, Id, Vec<(usize, u32)>)>;

/// What a decision chose, as far as a customer and a warehouse can tell: its shipments, or no
/// plan; `None` for a decision that failed.
fn choice(decision: Option<&Decision>) -> Option<Option<Shipments>> {
    let decision = decision?;
    Some(decision.plan.as_ref().map(|plan| {
        plan.shipments
            .iter()
            .map(|shipment| {
                let lines = shipment
                    .lines
                    .iter()
                    .map(|line| (line.line, line.quantity))
                    .collect();
                (shipment.node.clone(), shipment.service.clone(), lines)
            })
            .collect()
    }))
}

fn describe(decision: Option<&Decision>) -> String {
    let Some(decision) = decision else {
        return "decision failed: a fail-closed plugin failed".into();
    };
    match &decision.plan {
        Some(plan) => format!("{} for {}", plan.summary(), plan.cost.total),
        None => format!(
            "unfilled: {}",
            decision.unfulfillable.as_deref().unwrap_or("no plan")
        ),
    }
}

fn why(decision: &Decision) -> Option<String> {
    let ruled_out = decision
        .rejected_plans
        .first()
        .map(|rejected| format!("ruled out {}: {}", rejected.plan.summary(), rejected.reason));
    let adjusted = || {
        let plan = decision.plan.as_ref()?;
        let adjustment = plan.adjustments.first()?;
        Some(format!(
            "plugin `{}` adjusted the plan by {}: {}",
            adjustment.plugin, adjustment.cents, adjustment.reason
        ))
    };
    ruled_out.or_else(adjusted)
}
