//! Write Switchyard routing rules as WebAssembly plugins.
//!
//! A plugin is one of two kinds:
//!
//! - a [`Constraint`] looks at each candidate plan of a decision and allows or rejects it;
//! - a [`Scorer`] adds a cost adjustment (in cents, negative to favour a plan) to each plan.
//!
//! Implement the trait, register the type with [`constraint!`] or [`scorer!`], and build the crate
//! as a `cdylib` with `cargo build --target wasm32-wasip2 --release`. The host calls the plugin
//! once per decision with every candidate plan; the SDK hands the plans to your trait one by one.
//!
//! The same logic runs natively in `cargo test` through [`run_constraint`] and [`run_scorer`],
//! which take the configuration as JSON text instead of asking the host for it.
//!
//! The types a plugin sees ([`Order`], [`Plan`], [`Shipment`], [`Node`] ...) mirror the WIT
//! package `switchyard:plugin@0.1.0` in the repository's `wit/` folder.

mod config;
mod helpers;
mod log;
pub mod testing;

pub use config::Config;

#[cfg(all(target_arch = "wasm32", feature = "arena-allocator"))]
mod alloc;

/// The allocator of every plugin built with the SDK (see the `arena-allocator` feature and the
/// `alloc` module): it never frees, and a typical call never grows its memory.
#[cfg(all(target_arch = "wasm32", feature = "arena-allocator"))]
#[global_allocator]
// SAFETY: a plugin instance runs on one thread only; WebAssembly threads are not enabled.
static ALLOCATOR: alloc::PluginAllocator = unsafe { alloc::PluginAllocator::new() };

pub use log::{debug, error, info, warn};

/// The interface version this SDK builds plugins for. The host reads it from the plugin before
/// instantiating it, so a plugin built for another version gets a clear message.
pub const API_VERSION: &str = "0.1.0";

/// Generated bindings. Not part of the API: the registration macros use them.
#[doc(hidden)]
pub mod __bindings {
    pub mod constraint {
        // The constraint world generates the shared `types` and `host` interfaces; the scorer
        // world below reuses them, so both kinds of plugin see the same Rust types.
        wit_bindgen::generate!({
            path: "../wit/plugin@0.1.0",
            world: "constraint",
            // The export macro is called from plugin crates, through `constraint!`.
            pub_export_macro: true,
            export_macro_name: "export_constraint",
            default_bindings_module: "switchyard_sdk::__bindings::constraint",
        });
    }

    pub mod scorer {
        wit_bindgen::generate!({
            path: "../wit/plugin@0.1.0",
            world: "scorer",
            // Reuse the types generated for the constraint world instead of a second copy.
            with: {
                "switchyard:plugin/types@0.1.0": super::constraint::switchyard::plugin::types,
                "switchyard:plugin/host@0.1.0": super::constraint::switchyard::plugin::host,
            },
            pub_export_macro: true,
            export_macro_name: "export_scorer",
            default_bindings_module: "switchyard_sdk::__bindings::scorer",
        });
    }
}

use __bindings::constraint::exports::switchyard::plugin::constraint_rules as wit_constraint;
use __bindings::scorer::exports::switchyard::plugin::scorer_rules as wit_scorer;

pub use __bindings::constraint::switchyard::plugin::types::{
    Customer, Date, DecisionInput, Node, NodeKind, Order, OrderLine, Plan, PluginError, Service,
    ServiceLevel, ShipTo, Shipment, ShipmentCost, ShipmentLine, Span,
};

/// A constraint's judgement of one plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// The plan breaks the rule; the reason appears in the decision's explanation.
    Reject(String),
}

impl Verdict {
    /// `Reject` with a reason, or `Allow` when `broken` is false.
    pub fn reject_if(broken: bool, reason: impl FnOnce() -> String) -> Verdict {
        if broken {
            Verdict::Reject(reason())
        } else {
            Verdict::Allow
        }
    }
}

/// A scorer's change to one plan's cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adjustment {
    /// Added to the plan's total: positive discourages the plan, negative favours it.
    pub cents: i64,
    pub reason: String,
}

impl Adjustment {
    /// No change.
    pub fn none() -> Adjustment {
        Adjustment {
            cents: 0,
            reason: String::new(),
        }
    }

    pub fn new(cents: i64, reason: impl Into<String>) -> Adjustment {
        Adjustment {
            cents,
            reason: reason.into(),
        }
    }
}

/// A rule that allows or rejects candidate plans.
pub trait Constraint: Sized {
    /// Builds the rule from the tenant's configuration; an error fails the plugin call with
    /// `invalid-config`.
    fn new(config: &Config) -> Result<Self, String>;

    /// Judges one candidate plan of the decision.
    fn check(&self, input: &DecisionInput, plan: &Plan) -> Verdict;

    /// Judges every candidate plan, one verdict per plan in order. Override it to work out
    /// once per decision what every plan's verdict needs.
    fn check_plans(&self, input: &DecisionInput) -> Vec<Verdict> {
        input
            .plans
            .iter()
            .map(|plan| self.check(input, plan))
            .collect()
    }
}

/// A rule that adjusts the cost of candidate plans.
pub trait Scorer: Sized {
    /// Builds the rule from the tenant's configuration; an error fails the plugin call with
    /// `invalid-config`.
    fn new(config: &Config) -> Result<Self, String>;

    /// The adjustment for one candidate plan of the decision.
    fn score(&self, input: &DecisionInput, plan: &Plan) -> Adjustment;

    /// Adjusts every candidate plan, one adjustment per plan in order. Override it to work out
    /// once per decision what every plan's adjustment needs.
    fn score_plans(&self, input: &DecisionInput) -> Vec<Adjustment> {
        input
            .plans
            .iter()
            .map(|plan| self.score(input, plan))
            .collect()
    }
}

/// Runs a constraint over every plan of a decision, as the host's call does; `config` is the
/// tenant's configuration as JSON text. Use it to test a plugin natively.
pub fn run_constraint<C: Constraint>(
    config: &str,
    input: &DecisionInput,
) -> Result<Vec<Verdict>, PluginError> {
    let rule = C::new(&Config::parse(config)?).map_err(PluginError::InvalidConfig)?;
    Ok(rule.check_plans(input))
}

/// Runs a scorer over every plan of a decision, as the host's call does; `config` is the
/// tenant's configuration as JSON text. Use it to test a plugin natively.
pub fn run_scorer<S: Scorer>(
    config: &str,
    input: &DecisionInput,
) -> Result<Vec<Adjustment>, PluginError> {
    let rule = S::new(&Config::parse(config)?).map_err(PluginError::InvalidConfig)?;
    Ok(rule.score_plans(input))
}

/// What a `constraint!` plugin's export does: ask the host for the configuration, then run.
#[doc(hidden)]
pub fn __export_constraint<C: Constraint>(
    input: DecisionInput,
) -> Result<Vec<wit_constraint::Verdict>, PluginError> {
    let config = __bindings::constraint::switchyard::plugin::host::config();
    let verdicts = run_constraint::<C>(&config, &input)?;
    Ok(verdicts
        .into_iter()
        .map(|verdict| match verdict {
            Verdict::Allow => wit_constraint::Verdict::Allow,
            Verdict::Reject(reason) => wit_constraint::Verdict::Reject(reason),
        })
        .collect())
}

/// What a `scorer!` plugin's export does: ask the host for the configuration, then run.
#[doc(hidden)]
pub fn __export_scorer<S: Scorer>(
    input: DecisionInput,
) -> Result<Vec<wit_scorer::Adjustment>, PluginError> {
    let config = __bindings::constraint::switchyard::plugin::host::config();
    let adjustments = run_scorer::<S>(&config, &input)?;
    Ok(adjustments
        .into_iter()
        .map(|adjustment| wit_scorer::Adjustment {
            cents: adjustment.cents,
            reason: adjustment.reason,
        })
        .collect())
}

/// Registers a [`Constraint`] type as the plugin's export. Use once per plugin crate.
#[macro_export]
macro_rules! constraint {
    ($rule:ty) => {
        struct __SwitchyardPlugin;

        impl $crate::__bindings::constraint::exports::switchyard::plugin::constraint_rules::Guest
            for __SwitchyardPlugin
        {
            fn check(
                input: $crate::DecisionInput,
            ) -> ::core::result::Result<
                ::std::vec::Vec<
                    $crate::__bindings::constraint::exports::switchyard::plugin::constraint_rules::Verdict,
                >,
                $crate::PluginError,
            > {
                $crate::__export_constraint::<$rule>(input)
            }
        }

        $crate::__bindings::constraint::export_constraint!(
            __SwitchyardPlugin with_types_in $crate::__bindings::constraint
        );

        /// Which interface version and world this plugin was built for; the host reads it
        /// before instantiating the plugin.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(link_section = "switchyard-plugin")]
        #[used]
        static __SWITCHYARD_PLUGIN: [u8; 34] = *b"switchyard:plugin@0.1.0 constraint";
    };
}

/// Registers a [`Scorer`] type as the plugin's export. Use once per plugin crate.
#[macro_export]
macro_rules! scorer {
    ($rule:ty) => {
        struct __SwitchyardPlugin;

        impl $crate::__bindings::scorer::exports::switchyard::plugin::scorer_rules::Guest
            for __SwitchyardPlugin
        {
            fn score(
                input: $crate::DecisionInput,
            ) -> ::core::result::Result<
                ::std::vec::Vec<
                    $crate::__bindings::scorer::exports::switchyard::plugin::scorer_rules::Adjustment,
                >,
                $crate::PluginError,
            > {
                $crate::__export_scorer::<$rule>(input)
            }
        }

        $crate::__bindings::scorer::export_scorer!(
            __SwitchyardPlugin with_types_in $crate::__bindings::scorer
        );

        /// Which interface version and world this plugin was built for; the host reads it
        /// before instantiating the plugin.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(link_section = "switchyard-plugin")]
        #[used]
        static __SWITCHYARD_PLUGIN: [u8; 30] = *b"switchyard:plugin@0.1.0 scorer";
    };
}
