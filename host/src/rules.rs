//! Tenant rules inside a decision. The optimizer finds the cheapest candidate plans under the
//! tenant's policy; [`Rules`] then lets constraints reject candidates and scorers adjust their
//! cost, and the optimizer picks the best candidate left. The plugin runtime
//! ([`crate::plugin`]) implements [`Rules`] for a tenant's WebAssembly plugins; the optimizer
//! knows nothing of WebAssembly.

use chrono::NaiveDate;
use thiserror::Error;

use crate::decision::{Plan, PluginRun};
use crate::model::{Cents, Network, Order};

/// How many candidate plans the optimizer hands to the rules when the tenant does not say.
pub const DEFAULT_CANDIDATES: usize = 20;

/// What the rules see of one decision.
pub struct RuleInput<'a> {
    pub network: &'a Network,
    pub order: &'a Order,
    /// The latest delivery date that keeps the order's promise.
    pub deliver_by: NaiveDate,
    /// Candidate plans, cheapest first, every one feasible under the tenant's policy.
    pub plans: &'a [Plan],
}

/// What the rules made of the candidates; the vectors are indexed like the candidates.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Judgement {
    /// The first constraint that rejected each candidate: its plugin name and reason.
    pub rejections: Vec<Option<(String, String)>>,
    /// The scorers' adjustments to each candidate that no constraint rejected.
    pub adjustments: Vec<Vec<crate::decision::Adjustment>>,
    /// What each plugin did, in the order they ran.
    pub runs: Vec<PluginRun>,
}

impl Judgement {
    /// A judgement that changes nothing about `plans` candidates.
    pub fn neutral(plans: usize) -> Judgement {
        Judgement {
            rejections: vec![None; plans],
            adjustments: vec![Vec::new(); plans],
            runs: Vec::new(),
        }
    }

    /// The sum of a candidate's adjustments.
    pub fn adjustment(&self, plan: usize) -> Cents {
        self.adjustments[plan].iter().map(|a| a.cents).sum()
    }
}

/// A rule failed and its failure policy says the decision must fail with it.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("plugin `{plugin}` ({version}) failed: {message}")]
pub struct RuleFailure {
    pub plugin: String,
    pub version: String,
    pub message: String,
}

/// A tenant's rules.
pub trait Rules {
    /// Whether there are no rules, so the optimizer can skip the candidate list.
    fn is_empty(&self) -> bool;

    /// How many candidate plans to find for the rules.
    fn candidates(&self) -> usize {
        DEFAULT_CANDIDATES
    }

    /// Judges the candidates of one decision.
    fn judge(&self, input: &RuleInput) -> Result<Judgement, RuleFailure>;
}

/// No rules: decisions are the optimizer's own.
pub struct NoRules;

impl Rules for NoRules {
    fn is_empty(&self) -> bool {
        true
    }

    fn judge(&self, input: &RuleInput) -> Result<Judgement, RuleFailure> {
        Ok(Judgement::neutral(input.plans.len()))
    }
}

/// Rules shared between threads, such as a tenant's plugin set.
impl<T: Rules + ?Sized> Rules for std::sync::Arc<T> {
    fn is_empty(&self) -> bool {
        (**self).is_empty()
    }

    fn candidates(&self) -> usize {
        (**self).candidates()
    }

    fn judge(&self, input: &RuleInput) -> Result<Judgement, RuleFailure> {
        (**self).judge(input)
    }
}
